// Package store keeps every record in one DynamoDB table (single-table design;
// keys and indexes in README "Store"). Item structs with dynamodbav tags live
// here only. Every change is written together with its audit entry in one
// transaction, guarded by a version attribute so concurrent updates never lose
// a write. Listings go through indexes with cursors; nothing here Scans.
package store

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddb "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"productgov/shared/problem"
)

// Index names, as template.yaml declares them.
const (
	IndexGSI1 = "gsi1"
	IndexGSI2 = "gsi2"
)

// maxUpdateAttempts bounds optimistic-concurrency retries of one update.
const maxUpdateAttempts = 60

// Store is the DynamoDB single-table store.
type Store struct {
	db    *dynamodb.Client
	table string
	// shards spreads the hot keys (0: DefaultShards; see WithShards).
	shards int
}

// New returns a Store on the named table.
func New(db *dynamodb.Client, table string) *Store { return &Store{db: db, table: table} }

// Client returns the DynamoDB client (for the benchmark's direct floor).
func (s *Store) Client() *dynamodb.Client { return s.db }

// Table returns the table name.
func (s *Store) Table() string { return s.table }

// keys are the primary and index keys every item carries.
type keys struct {
	PK     string `dynamodbav:"pk"`
	SK     string `dynamodbav:"sk"`
	GSI1PK string `dynamodbav:"gsi1pk,omitempty"`
	GSI1SK string `dynamodbav:"gsi1sk,omitempty"`
	GSI2PK string `dynamodbav:"gsi2pk,omitempty"`
	GSI2SK string `dynamodbav:"gsi2sk,omitempty"`
}

// Ping checks that the table answers (GET /healthz).
func (s *Store) Ping(ctx context.Context) error {
	_, err := s.db.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(s.table)})
	if err != nil {
		return fmt.Errorf("store: describe table %s: %w", s.table, err)
	}
	return nil
}

func (s *Store) get(ctx context.Context, pk, sk string, out any) (bool, error) {
	res, err := s.db.GetItem(ctx, &dynamodb.GetItemInput{
		TableName:      aws.String(s.table),
		Key:            keyOf(pk, sk),
		ConsistentRead: aws.Bool(true),
	})
	if err != nil {
		return false, err
	}
	if res.Item == nil {
		return false, nil
	}
	return true, attributevalue.UnmarshalMap(res.Item, out)
}

func keyOf(pk, sk string) map[string]ddb.AttributeValue {
	return map[string]ddb.AttributeValue{
		"pk": &ddb.AttributeValueMemberS{Value: pk},
		"sk": &ddb.AttributeValueMemberS{Value: sk},
	}
}

// page is one page of a query, with the cursor for the next.
type page struct {
	items  []map[string]ddb.AttributeValue
	cursor string
}

// queryPage reads one page of items whose index partition is pk and, when
// given, whose sort key begins with prefix.
func (s *Store) queryPage(ctx context.Context, index, pkAttr, pk, skAttr, prefix, cursor string, limit int32, forward bool) (page, error) {
	names := map[string]string{"#pk": pkAttr}
	values := map[string]ddb.AttributeValue{":pk": &ddb.AttributeValueMemberS{Value: pk}}
	cond := "#pk = :pk"
	if prefix != "" {
		names["#sk"] = skAttr
		values[":prefix"] = &ddb.AttributeValueMemberS{Value: prefix}
		cond += " AND begins_with(#sk, :prefix)"
	}
	return s.runQuery(ctx, queryInput(s.table, index, cond, names, values, limit, forward), cursor)
}

func queryInput(table, index, cond string, names map[string]string, values map[string]ddb.AttributeValue, limit int32, forward bool) *dynamodb.QueryInput {
	in := &dynamodb.QueryInput{
		TableName:                 aws.String(table),
		KeyConditionExpression:    aws.String(cond),
		ExpressionAttributeNames:  names,
		ExpressionAttributeValues: values,
		ScanIndexForward:          aws.Bool(forward),
		Limit:                     aws.Int32(limit),
	}
	if index != "" {
		in.IndexName = aws.String(index)
	}
	return in
}

// runQuery runs one query from the cursor and returns the page with the next cursor.
func (s *Store) runQuery(ctx context.Context, in *dynamodb.QueryInput, cursor string) (page, error) {
	if cursor != "" {
		start, err := decodeCursor(cursor)
		if err != nil {
			return page{}, err
		}
		in.ExclusiveStartKey = start
	}
	res, err := s.db.Query(ctx, in)
	if err != nil {
		return page{}, fmt.Errorf("store: query %s %v: %w", aws.ToString(in.IndexName), in.ExpressionAttributeValues[":pk"], err)
	}
	p := page{items: res.Items}
	if len(res.LastEvaluatedKey) > 0 {
		p.cursor = encodeCursor(res.LastEvaluatedKey)
	}
	return p, nil
}

// encodeCursor turns a LastEvaluatedKey (all string attributes here) into an
// opaque URL-safe cursor.
func encodeCursor(k map[string]ddb.AttributeValue) string {
	m := map[string]string{}
	for name, v := range k {
		if sv, ok := v.(*ddb.AttributeValueMemberS); ok {
			m[name] = sv.Value
		}
	}
	b, _ := json.Marshal(m)
	return base64.RawURLEncoding.EncodeToString(b)
}

func decodeCursor(c string) (map[string]ddb.AttributeValue, error) {
	b, err := base64.RawURLEncoding.DecodeString(c)
	var m map[string]string
	if err == nil {
		err = json.Unmarshal(b, &m)
	}
	if err != nil || len(m) == 0 {
		return nil, problem.InvalidField("cursor", "is not a cursor this API returned")
	}
	out := map[string]ddb.AttributeValue{}
	for k, v := range m {
		out[k] = &ddb.AttributeValueMemberS{Value: v}
	}
	return out, nil
}

// isConditionFailure reports whether err is a failed condition or a conflict
// of a transaction, which an optimistic update answers by reading again.
func isConditionFailure(err error) bool {
	var ccf *ddb.ConditionalCheckFailedException
	if errors.As(err, &ccf) {
		return true
	}
	var tce *ddb.TransactionCanceledException
	if errors.As(err, &tce) {
		for _, r := range tce.CancellationReasons {
			code := aws.ToString(r.Code)
			if code == "ConditionalCheckFailed" || code == "TransactionConflict" {
				return true
			}
		}
	}
	var tcf *ddb.TransactionConflictException
	return errors.As(err, &tcf)
}

// cancelledAt reports whether the transaction was cancelled by a failed
// condition on its i-th item.
func cancelledAt(err error, i int) bool {
	var tce *ddb.TransactionCanceledException
	if errors.As(err, &tce) && i < len(tce.CancellationReasons) {
		return aws.ToString(tce.CancellationReasons[i].Code) == "ConditionalCheckFailed"
	}
	return false
}

// backoff sleeps a little longer after each failed optimistic attempt, with
// jitter so that concurrent writers spread out.
func backoff(ctx context.Context, attempt int) error {
	max := 5 * (attempt + 1)
	if max > 200 {
		max = 200
	}
	n, _ := rand.Int(rand.Reader, big.NewInt(int64(max)))
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(time.Duration(n.Int64()+1) * time.Millisecond):
		return nil
	}
}

// putItem marshals an item into a transactional Put; cond guards it.
func (s *Store) putItem(item any, cond string, values map[string]ddb.AttributeValue) (ddb.TransactWriteItem, error) {
	av, err := attributevalue.MarshalMap(item)
	if err != nil {
		return ddb.TransactWriteItem{}, fmt.Errorf("store: marshal: %w", err)
	}
	p := &ddb.Put{TableName: aws.String(s.table), Item: av}
	if cond != "" {
		p.ConditionExpression = aws.String(cond)
		if len(values) > 0 {
			p.ExpressionAttributeValues = values
		}
	}
	return ddb.TransactWriteItem{Put: p}, nil
}

func (s *Store) transact(ctx context.Context, items []ddb.TransactWriteItem) error {
	_, err := s.db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: items})
	return err
}

func versionIs(v int64) map[string]ddb.AttributeValue {
	return map[string]ddb.AttributeValue{":ver": &ddb.AttributeValueMemberN{Value: fmt.Sprint(v)}}
}

const (
	condNew     = "attribute_not_exists(pk)"
	condVersion = "ver = :ver"
)

// ddbWrite is one item of a write transaction.
type ddbWrite = ddb.TransactWriteItem
