package asl

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	sfntypes "github.com/aws/aws-sdk-go-v2/service/sfn/types"
)

// Error names of Distributed Map, as Step Functions reports them.
const (
	// ErrorItemReaderFailed reports an ItemReader that could not read or
	// parse its items.
	ErrorItemReaderFailed = "States.ItemReaderFailed"
	// ErrorResultWriterFailed reports a ResultWriter that could not write
	// the Map Run's results.
	ErrorResultWriterFailed = "States.ResultWriterFailed"
	// ErrorExceedToleratedFailureThreshold reports a Map Run whose failed
	// items exceeded ToleratedFailurePercentage or ToleratedFailureCount
	// (both 0 unless set).
	ErrorExceedToleratedFailureThreshold = "States.ExceedToleratedFailureThreshold"
)

// DefaultMapRunConcurrency bounds the child executions a Distributed Map
// runs at once when it sets no MaxConcurrency. Step Functions allows up to
// 10,000; one machine running every child's Lambda locally is better served
// by a few dozen (WithMapRunConcurrency changes it).
const DefaultMapRunConcurrency = 40

// WithMapRunConcurrency sets how many child executions a Distributed Map
// without MaxConcurrency runs at once (default DefaultMapRunConcurrency).
func WithMapRunConcurrency(n int) Option {
	return func(e *Engine) {
		if n > 0 {
			e.mapRunConcurrency = n
		}
	}
}

// childOutcome is how one child execution of a Map Run ended (or that it
// never started, when the tolerated failures were exceeded first).
type childOutcome struct {
	rec     ExecutionRecord
	started bool
	items   int
	input   any
}

// mapRun is one attempt of a Distributed Map state.
type mapRun struct {
	id        string
	arn       string
	machine   string // the children's state machine ARN
	childName string // the children's state machine name (parent/label)
}

// distributedAttempt runs a Distributed Map: each item, or batch of items,
// is a child execution with its own record and history, so the parent's
// history does not grow with the number of items.
func (ex *execution) distributedAttempt(ctx context.Context, v *visit, attemptKey string, effective any) (any, error) {
	st := v.state
	d := st.dist
	env := ex.env(ctx, v, effective, "")
	items, err := ex.mapItems(ctx, v, env)
	if err != nil {
		return nil, err
	}
	inputs := make([]any, len(items))
	for i, item := range items {
		if inputs[i], err = ex.selectItem(ctx, v, attemptKey, effective, i, item); err != nil {
			return nil, err
		}
	}
	children, sizes, err := ex.batches(ctx, v, env, effective, attemptKey, inputs)
	if err != nil {
		return nil, err
	}
	for i, child := range children {
		// A child's input is an execution input, under the payload quota.
		if err := ex.checkPayload(child, fmt.Sprintf("the input of child %d of state %q", i, st.name)); err != nil {
			return nil, err
		}
	}
	tolPercent, tolCount, err := tolerance(d, env, st.name)
	if err != nil {
		return nil, err
	}
	limit, err := ex.concurrency(v, env)
	if err != nil {
		return nil, err
	}
	if limit == 0 {
		limit = ex.engine.mapRunConcurrency
	}
	run := ex.newMapRun(st, attemptKey)
	if err := ex.count(2); err != nil { // MapRunStarted, MapRunSucceeded/Failed
		return nil, err
	}
	info := ex.engine.mapRuns.open(&mapRunInfo{arn: run.arn, executionArn: ex.rec.ExecutionArn, machineArn: ex.rec.StateMachineArn,
		status: sfntypes.MapRunStatusRunning, start: ex.engine.now(), maxConcurrency: limit, tolPercent: tolPercent, tolCount: tolCount,
		items:      sfntypes.MapRunItemCounts{Pending: int64(len(items)), Total: int64(len(items))},
		executions: sfntypes.MapRunExecutionCounts{Pending: int64(len(children)), Total: int64(len(children))}})
	outcomes := make([]childOutcome, len(children))
	var failedItems atomic.Int64
	var exceeded atomic.Bool
	total := float64(len(items))
	err = ex.fanOut(ctx, len(children), min(limit, max(len(children), 1)), func(ctx context.Context, i int) error {
		outcomes[i].items, outcomes[i].input = sizes[i], children[i]
		if exceeded.Load() {
			return nil
		}
		info.childStarted(int64(sizes[i]))
		rec, err := ex.runChild(ctx, st, run, attemptKey, i, children[i])
		if err != nil {
			return err
		}
		info.childEnded(int64(sizes[i]), rec.Status == StatusSucceeded)
		outcomes[i].rec, outcomes[i].started = rec, true
		if rec.Status != StatusSucceeded {
			failed := failedItems.Add(int64(sizes[i]))
			if float64(failed) > float64(tolCount) && tolCount >= 0 || tolPercent >= 0 && float64(failed)*100/total > tolPercent {
				exceeded.Store(true)
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	var result any
	var written, writtenChildren int64
	if d.writer != nil {
		if result, err = ex.writeResults(ctx, v, env, run, outcomes); err != nil {
			info.end(sfntypes.MapRunStatusFailed, ex.engine.now(), 0, 0)
			return nil, err
		}
		for _, o := range outcomes {
			if o.started {
				written, writtenChildren = written+int64(o.items), writtenChildren+1
			}
		}
	} else {
		list := make([]any, len(outcomes))
		for i, o := range outcomes {
			list[i] = childResultValue(o.rec)
		}
		result = list
	}
	if exceeded.Load() {
		info.end(sfntypes.MapRunStatusFailed, ex.engine.now(), written, writtenChildren)
		return nil, newStatesError(ErrorExceedToleratedFailureThreshold,
			"The specified tolerated failure threshold was exceeded: %d of %d items failed in Map Run %s", failedItems.Load(), len(items), run.arn)
	}
	info.end(sfntypes.MapRunStatusSucceeded, ex.engine.now(), written, writtenChildren)
	return result, nil
}

// childResultValue is what a child contributes to the Map's result array:
// its output, or its error and cause when it failed within the tolerance.
func childResultValue(rec ExecutionRecord) any {
	if rec.Status == StatusSucceeded {
		out, err := decodeJSON([]byte(rec.Output))
		if err == nil {
			return out
		}
	}
	return objectOf("Error", rec.Error, "Cause", rec.Cause)
}

// tolerance evaluates ToleratedFailurePercentage(Path) and
// ToleratedFailureCount(Path). Neither set tolerates no failure; one set
// leaves the other unbounded (-1).
func tolerance(d *distributedMap, env *evalEnv, stateName string) (percent float64, count int64, err error) {
	percent, count = d.toleratedPercent, d.toleratedCount
	if d.toleratedPercentPath != nil {
		v, found, err := d.toleratedPercentPath.lookup(env)
		if err != nil {
			return 0, 0, err
		}
		n, ok := toNumber(v)
		if !found || !ok {
			return 0, 0, newStatesError(ErrorRuntime, "The ToleratedFailurePercentagePath field of state %q refers to value %s which is not a valid float: %s", stateName, mustEncodeJSON(v), d.toleratedPercentPath.text)
		}
		if n < 0 || n > 100 {
			return 0, 0, newStatesError(ErrorRuntime, "ToleratedFailurePercentage must be between 0 and 100.")
		}
		percent = n
	}
	if d.toleratedCountPath != nil {
		v, found, err := d.toleratedCountPath.lookup(env)
		if err != nil {
			return 0, 0, err
		}
		n, ok := toInteger(v)
		if !found || !ok {
			return 0, 0, newStatesError(ErrorRuntime, "The ToleratedFailureCountPath field of state %q refers to value %s which is not a valid integer: %s", stateName, mustEncodeJSON(v), d.toleratedCountPath.text)
		}
		if n < 0 {
			return 0, 0, newStatesError(ErrorRuntime, "ToleratedFailureCount cannot be negative.")
		}
		count = n
	}
	if percent < 0 && count < 0 {
		count = 0
	}
	return percent, count, nil
}

// concurrency evaluates MaxConcurrency(Path); 0 means no limit was set.
func (ex *execution) concurrency(v *visit, env *evalEnv) (int, error) {
	st := v.state
	limit := st.maxConcurrency
	if st.maxConcurrencyPath != nil {
		value, found, err := st.maxConcurrencyPath.lookup(env)
		if err != nil {
			return 0, err
		}
		n, ok := toInteger(value)
		if !found || !ok || n < 0 {
			return 0, newStatesError(ErrorRuntime, "MaxConcurrencyPath %q of state %q must select a non-negative integer", st.maxConcurrencyPath.text, st.name)
		}
		limit = n
	}
	return int(limit), nil
}

// mapItems reads the items from the ItemReader, or selects them with ItemsPath.
func (ex *execution) mapItems(ctx context.Context, v *visit, env *evalEnv) ([]any, error) {
	st := v.state
	if st.dist != nil && st.dist.reader != nil {
		return ex.readItems(ctx, st.dist.reader, env)
	}
	value, found, err := st.itemsPath.lookup(env)
	if err != nil {
		return nil, err
	}
	items, ok := value.([]any)
	if !found || !ok {
		return nil, newStatesError(ErrorRuntime, "ItemsPath %q of state %q must select an array", st.itemsPath.text, st.name)
	}
	return items, nil
}

// batches groups the item inputs as the ItemBatcher says, each batch being
// {"BatchInput": …, "Items": […]}; without a batcher each item is a child.
// sizes gives how many items each child carries.
func (ex *execution) batches(ctx context.Context, v *visit, env *evalEnv, effective any, attemptKey string, inputs []any) (children []any, sizes []int, err error) {
	b := v.state.dist.batcher
	if b == nil {
		sizes = make([]int, len(inputs))
		for i := range sizes {
			sizes[i] = 1
		}
		return inputs, sizes, nil
	}
	maxItems, err := pathOrValue(env, b.maxItems, b.maxItemsPath, "MaxItemsPerBatchPath", 1, 1<<31-1)
	if err != nil {
		return nil, nil, err
	}
	maxBytes, err := pathOrValue(env, b.maxBytes, b.maxBytesPath, "MaxInputBytesPerBatchPath", 1, maxBatchBytes)
	if err != nil {
		return nil, nil, err
	}
	var batchInput any
	if b.batchInput != nil {
		if batchInput, err = b.batchInput.evaluate(ex.env(ctx, v, effective, attemptKey+":batchInput")); err != nil {
			return nil, nil, err
		}
	}
	newBatch := func() *object {
		if batchInput != nil {
			return objectOf("BatchInput", batchInput, "Items", []any{})
		}
		return objectOf("Items", []any{})
	}
	base := int64(len(mustEncodeJSON(newBatch())))
	var current []any
	size := base
	flush := func() {
		if len(current) == 0 {
			return
		}
		batch := newBatch()
		batch.set("Items", current)
		children, sizes = append(children, batch), append(sizes, len(current))
		current, size = nil, base
	}
	for i, in := range inputs {
		n := int64(len(mustEncodeJSON(in)))
		if len(current) > 0 {
			n++ // the comma
		}
		if maxBytes > 0 && base+n > maxBytes {
			return nil, nil, newStatesError(ErrorRuntime, "item %d of state %q (%d bytes) does not fit in MaxInputBytesPerBatch (%d)", i, v.state.name, n, maxBytes)
		}
		if (maxItems > 0 && int64(len(current)) >= maxItems) || (maxBytes > 0 && size+n > maxBytes) {
			flush()
			n = int64(len(mustEncodeJSON(in)))
		}
		current = append(current, in)
		size += n
	}
	flush()
	return children, sizes, nil
}

// pathOrValue evaluates an integer field that may be given by a path.
func pathOrValue(env *evalEnv, value int64, path *jsonPath, field string, lo, hi int64) (int64, error) {
	if path == nil {
		return value, nil
	}
	v, found, err := path.lookup(env)
	if err != nil {
		return 0, err
	}
	n, ok := toInteger(v)
	if !found || !ok || n < lo || n > hi {
		return 0, newStatesError(ErrorRuntime, "%s %q must select an integer from %d to %d", field, path.text, lo, hi)
	}
	return n, nil
}

// newMapRun names a Map Run as Step Functions does: its children belong to
// the state machine "<machine>/<label>" (the Label, or the state's name),
// and the Map Run's id is reproducible from the attempt, so a replay after
// a restart finds the same children.
func (ex *execution) newMapRun(st *state, attemptKey string) mapRun {
	e := ex.engine
	label := st.name
	if st.dist.label != "" {
		label = st.dist.label
	}
	parent := ex.rec.StateMachineArn[strings.LastIndex(ex.rec.StateMachineArn, ":")+1:]
	seed := ex.derive("map-run", attemptKey)
	var b [16]byte
	copy(b[:], seed[:16])
	run := mapRun{id: formatUUID(b), childName: parent + "/" + label}
	run.machine = e.StateMachineArn(run.childName)
	run.arn = fmt.Sprintf("arn:aws:states:%s:%s:mapRun:%s:%s", e.region, e.account, run.childName, run.id)
	e.mu.Lock()
	if e.machines[run.machine] == nil {
		e.machines[run.machine] = &registeredMachine{arn: run.machine, name: run.childName, definition: st.processorText, machine: st.processor, child: true}
	}
	e.mu.Unlock()
	return run
}

// runChild runs (or, after a restart, resumes or just reads) child i of a
// Map Run and returns its final record. Only infrastructure failures and
// cancellation are returned as errors: a failed child is an outcome.
func (ex *execution) runChild(ctx context.Context, st *state, run mapRun, attemptKey string, i int, input any) (ExecutionRecord, error) {
	e := ex.engine
	childKey := branchPrefix(attemptKey, i)
	seed := ex.derive("child", childKey)
	var b [16]byte
	copy(b[:], seed[:16])
	name := formatUUID(b)
	arn := e.ExecutionArn(run.childName, name)
	rec, err := e.store.GetExecution(ctx, arn)
	resumed := err == nil
	switch {
	case err == nil && rec.Status != StatusRunning:
		return rec, nil
	case errors.Is(err, ErrExecutionNotFound):
		secret := ex.derive("child-secret", childKey)
		rec = ExecutionRecord{
			ExecutionArn: arn, StateMachineArn: run.machine, Name: name, Definition: st.processorText,
			Input: mustEncodeJSON(input), Secret: base64.StdEncoding.EncodeToString(secret[:]),
			Status: StatusRunning, StartDate: e.now(), ParentArn: ex.rec.ExecutionArn, MapRunArn: run.arn,
		}
		if err := e.store.CreateExecution(ctx, rec); err != nil && !errors.Is(err, ErrExecutionExists) {
			return rec, fmt.Errorf("create child execution %s: %w", arn, err)
		}
	case err != nil:
		return rec, fmt.Errorf("child execution %s: %w", arn, err)
	}
	child := &execution{engine: e, rec: rec, machine: st.processor, events: map[string]HistoryEvent{},
		waiters: map[string]*wakeup{}, beats: map[string]time.Time{}, done: make(chan struct{})}
	if resumed {
		child.resumedAt = e.now()
	}
	e.mu.Lock()
	e.live[arn] = child
	e.mu.Unlock()
	defer func() {
		e.mu.Lock()
		delete(e.live, arn)
		e.mu.Unlock()
		close(child.done)
	}()
	childCtx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	child.mu.Lock()
	child.abort = cancel
	child.mu.Unlock()
	out, runErr := child.start(childCtx, resumed)
	outcome, err := child.outcome(out, runErr)
	if err != nil {
		// A parent that was stopped or timed out takes its children with
		// it, as on AWS; one that stops with the engine leaves them to its
		// replay.
		if cause := context.Cause(ctx); errors.Is(cause, errExecutionAborted) || errors.Is(cause, errExecutionTimedOut) {
			e.finish(arn, ExecutionOutcome{Status: StatusAborted, Error: "States.Aborted", Cause: "the parent execution stopped", StopDate: e.now()})
		}
		return rec, err
	}
	e.finish(arn, outcome)
	rec.Status, rec.Output, rec.Error, rec.Cause, rec.StopDate = outcome.Status, outcome.Output, outcome.Error, outcome.Cause, outcome.StopDate
	return rec, nil
}

// mapRunResults groups child records by how they ended, for ResultWriter.
type mapRunResults struct {
	succeeded, failed, pending []any
}

func collectResults(run mapRun, outcomes []childOutcome) mapRunResults {
	var r mapRunResults
	for i, o := range outcomes {
		if !o.started {
			r.pending = append(r.pending, objectOf("Index", int64(i), "Input", mustEncodeJSON(o.input)))
			continue
		}
		rec := o.rec
		entry := objectOf(
			"ExecutionArn", rec.ExecutionArn,
			"Input", rec.Input,
			"InputDetails", objectOf("Included", true),
			"Name", rec.Name,
		)
		if rec.Status == StatusSucceeded {
			entry.set("Output", rec.Output)
			entry.set("OutputDetails", objectOf("Included", true))
		} else {
			entry.set("Error", rec.Error)
			entry.set("Cause", rec.Cause)
		}
		entry.set("RedriveCount", int64(0))
		entry.set("RedriveStatus", "NOT_REDRIVABLE")
		entry.set("StartDate", formatTime(rec.StartDate))
		entry.set("StateMachineArn", rec.StateMachineArn)
		entry.set("Status", rec.Status)
		entry.set("StopDate", formatTime(rec.StopDate))
		if rec.Status == StatusSucceeded {
			r.succeeded = append(r.succeeded, entry)
		} else {
			r.failed = append(r.failed, entry)
		}
	}
	return r
}

// keyOf joins a ResultWriter prefix and a name with one slash.
func keyOf(prefix, name string) string {
	prefix = strings.TrimSuffix(prefix, "/")
	if prefix == "" {
		return name
	}
	return prefix + "/" + name
}

// statsStore keeps the statistics of finished executions for ExecutionStats.
type statsStore struct {
	mu sync.Mutex
	m  map[string]ExecutionStats
}

func (s *statsStore) put(arn string, st ExecutionStats) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.m == nil {
		s.m = map[string]ExecutionStats{}
	}
	s.m[arn] = st
}

func (s *statsStore) get(arn string) (ExecutionStats, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	st, ok := s.m[arn]
	return st, ok
}
