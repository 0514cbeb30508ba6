package bench

import (
	"context"
	"slices"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/smithy-go/middleware"
)

// OpCount is what a client sent of one kind of request.
type OpCount struct {
	// Calls is the number of SDK operation calls.
	Calls int64
	// Attempts is the number of HTTP requests sent: calls plus SDK retries.
	Attempts int64
	// Items is what the calls carried: the keys BatchGetItem asked for, the
	// writes of BatchWriteItem and TransactWriteItems, the items Query and
	// GetItem returned.
	Items int64
}

// RequestCounts maps a request label — the operation name, and for Query
// the index or "table", e.g. "Query gsi1" — to what was sent.
type RequestCounts map[string]OpCount

// Attempts is the number of HTTP requests of every label.
func (c RequestCounts) Attempts() int64 {
	var n int64
	for _, v := range c {
		n += v.Attempts
	}
	return n
}

// Sub returns c minus an earlier snapshot, dropping labels left at zero.
func (c RequestCounts) Sub(earlier RequestCounts) RequestCounts {
	out := RequestCounts{}
	for k, v := range c {
		e := earlier[k]
		d := OpCount{Calls: v.Calls - e.Calls, Attempts: v.Attempts - e.Attempts, Items: v.Items - e.Items}
		if d != (OpCount{}) {
			out[k] = d
		}
	}
	return out
}

// Add returns the sum of c and d.
func (c RequestCounts) Add(d RequestCounts) RequestCounts {
	out := RequestCounts{}
	for _, m := range []RequestCounts{c, d} {
		for k, v := range m {
			o := out[k]
			o.Calls += v.Calls
			o.Attempts += v.Attempts
			o.Items += v.Items
			out[k] = o
		}
	}
	return out
}

// Labels returns the labels in c, sorted.
func (c RequestCounts) Labels() []string {
	out := make([]string, 0, len(c))
	for k := range c {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// RequestCounter counts the requests of the DynamoDB clients it is attached
// to (see Client), by label, with smithy middleware: one step at Initialize
// sees each call's input and output, one at the end of Finalize sees every
// HTTP attempt, retries included. It is safe for concurrent use.
type RequestCounter struct {
	mu     sync.Mutex
	counts RequestCounts
}

// NewRequestCounter returns a counter at zero.
func NewRequestCounter() *RequestCounter { return &RequestCounter{counts: RequestCounts{}} }

// Snapshot returns the counts so far.
func (r *RequestCounter) Snapshot() RequestCounts {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make(RequestCounts, len(r.counts))
	for k, v := range r.counts {
		out[k] = v
	}
	return out
}

func (r *RequestCounter) add(label string, d OpCount) {
	r.mu.Lock()
	defer r.mu.Unlock()
	c := r.counts[label]
	c.Calls += d.Calls
	c.Attempts += d.Attempts
	c.Items += d.Items
	r.counts[label] = c
}

// Client returns a copy of db (same endpoint, credentials and HTTP client)
// whose requests r counts.
func (r *RequestCounter) Client(db *dynamodb.Client) *dynamodb.Client {
	return dynamodb.New(db.Options(), func(o *dynamodb.Options) {
		o.APIOptions = append(slices.Clip(o.APIOptions), r.APIOption)
	})
}

// labelKey carries a call's label from Initialize to Finalize.
type labelKey struct{}

// APIOption adds the counting steps to a client's middleware stack; it fits
// dynamodb.Options.APIOptions.
func (r *RequestCounter) APIOption(stack *middleware.Stack) error {
	err := stack.Initialize.Add(middleware.InitializeMiddlewareFunc("BenchCountCalls",
		func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
			label, items := describeInput(middleware.GetOperationName(ctx), in.Parameters)
			ctx = middleware.WithStackValue(ctx, labelKey{}, label)
			out, md, err := next.HandleInitialize(ctx, in)
			if err == nil {
				items += returnedItems(out.Result)
			}
			r.add(label, OpCount{Calls: 1, Items: items})
			return out, md, err
		}), middleware.Before)
	if err != nil {
		return err
	}
	return stack.Finalize.Add(middleware.FinalizeMiddlewareFunc("BenchCountAttempts",
		func(ctx context.Context, in middleware.FinalizeInput, next middleware.FinalizeHandler) (middleware.FinalizeOutput, middleware.Metadata, error) {
			label, _ := middleware.GetStackValue(ctx, labelKey{}).(string)
			if label == "" {
				label = middleware.GetOperationName(ctx)
			}
			r.add(label, OpCount{Attempts: 1})
			return next.HandleFinalize(ctx, in)
		}), middleware.After)
}

// describeInput labels a call and counts the keys or writes it carries.
func describeInput(op string, params any) (string, int64) {
	switch in := params.(type) {
	case *dynamodb.QueryInput:
		if in.IndexName != nil {
			return op + " " + aws.ToString(in.IndexName), 0
		}
		return op + " table", 0
	case *dynamodb.BatchGetItemInput:
		var n int64
		for _, ka := range in.RequestItems {
			n += int64(len(ka.Keys))
		}
		return op, n
	case *dynamodb.BatchWriteItemInput:
		var n int64
		for _, ws := range in.RequestItems {
			n += int64(len(ws))
		}
		return op, n
	case *dynamodb.TransactWriteItemsInput:
		return op, int64(len(in.TransactItems))
	}
	return op, 0
}

// returnedItems counts the items a read returned (Query, GetItem).
func returnedItems(result any) int64 {
	switch out := result.(type) {
	case *dynamodb.QueryOutput:
		return int64(out.Count)
	case *dynamodb.GetItemOutput:
		if out.Item != nil {
			return 1
		}
	}
	return 0
}
