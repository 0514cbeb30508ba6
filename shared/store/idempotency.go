package store

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddb "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"productgov/shared/problem"
)

// IdempotentCall is a request sent with an Idempotency-Key and, once it is
// done, its answer, kept so a repeat gets the same answer.
type IdempotentCall struct {
	Key string
	// RequestHash identifies the request (method, path, body): a repeat with
	// another request under the same key is refused.
	RequestHash string
	Done        bool
	Status      int
	ContentType string
	Body        []byte
	ClaimedAt   time.Time
}

type idempotencyItem struct {
	keys
	Type        string `dynamodbav:"type"`
	RequestHash string `dynamodbav:"requestHash"`
	Done        bool   `dynamodbav:"done"`
	Status      int    `dynamodbav:"status,omitempty"`
	ContentType string `dynamodbav:"contentType,omitempty"`
	Body        []byte `dynamodbav:"body,omitempty"`
	ClaimedAt   string `dynamodbav:"claimedAt"`
	TTL         int64  `dynamodbav:"ttl"`
}

func idempotencyPK(key string) string { return "IDEMP#" + key }

// ClaimIdempotent claims key for a request. It returns claimed true when the
// caller is to run the request, or the earlier call under the key: done with
// its answer, or still running. A claim older than stale (its request's
// process died) is taken over. Records expire after keep.
func (s *Store) ClaimIdempotent(ctx context.Context, key, requestHash string, now time.Time, stale, keep time.Duration) (IdempotentCall, bool, error) {
	it := idempotencyItem{keys: keys{PK: idempotencyPK(key), SK: "IDEMP"}, Type: "idempotency", RequestHash: requestHash,
		ClaimedAt: ts(now), TTL: now.Add(keep).Unix()}
	av, err := attributevalue.MarshalMap(it)
	if err != nil {
		return IdempotentCall{}, false, err
	}
	_, err = s.db.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(s.table), Item: av,
		ConditionExpression: aws.String("attribute_not_exists(pk) OR (done = :false AND claimedAt < :stale AND requestHash = :hash)"),
		ExpressionAttributeValues: map[string]ddb.AttributeValue{":false": &ddb.AttributeValueMemberBOOL{Value: false},
			":stale": &ddb.AttributeValueMemberS{Value: ts(now.Add(-stale))}, ":hash": &ddb.AttributeValueMemberS{Value: requestHash}}})
	if err == nil {
		return IdempotentCall{Key: key, RequestHash: requestHash, ClaimedAt: now}, true, nil
	}
	if !isConditionFailure(err) {
		return IdempotentCall{}, false, fmt.Errorf("store: claim idempotency key: %w", err)
	}
	var earlier idempotencyItem
	ok, err := s.get(ctx, idempotencyPK(key), "IDEMP", &earlier)
	if err != nil {
		return IdempotentCall{}, false, fmt.Errorf("store: read idempotency key: %w", err)
	}
	if !ok {
		return IdempotentCall{}, false, problem.Conflict("the Idempotency-Key changed meanwhile; send the request again")
	}
	return IdempotentCall{Key: key, RequestHash: earlier.RequestHash, Done: earlier.Done, Status: earlier.Status,
		ContentType: earlier.ContentType, Body: earlier.Body, ClaimedAt: parseTS(earlier.ClaimedAt)}, false, nil
}

// FinishIdempotent keeps a claimed request's answer.
func (s *Store) FinishIdempotent(ctx context.Context, key string, status int, contentType string, body []byte) error {
	_, err := s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                aws.String(s.table),
		Key:                      keyOf(idempotencyPK(key), "IDEMP"),
		ConditionExpression:      aws.String("attribute_exists(pk) AND done = :false"),
		UpdateExpression:         aws.String("SET done = :true, #status = :status, contentType = :ct, body = :body"),
		ExpressionAttributeNames: map[string]string{"#status": "status"},
		ExpressionAttributeValues: map[string]ddb.AttributeValue{
			":false": &ddb.AttributeValueMemberBOOL{Value: false}, ":true": &ddb.AttributeValueMemberBOOL{Value: true},
			":status": &ddb.AttributeValueMemberN{Value: fmt.Sprint(status)}, ":ct": &ddb.AttributeValueMemberS{Value: contentType},
			":body": &ddb.AttributeValueMemberB{Value: body},
		},
	})
	if err != nil {
		return fmt.Errorf("store: finish idempotency key: %w", err)
	}
	return nil
}

// ReleaseIdempotent drops a claim whose request failed without an answer to
// keep (the database was unavailable), so the same request may run again.
func (s *Store) ReleaseIdempotent(ctx context.Context, key string) error {
	_, err := s.db.DeleteItem(ctx, &dynamodb.DeleteItemInput{
		TableName: aws.String(s.table), Key: keyOf(idempotencyPK(key), "IDEMP"),
		ConditionExpression:       aws.String("done = :false"),
		ExpressionAttributeValues: map[string]ddb.AttributeValue{":false": &ddb.AttributeValueMemberBOOL{Value: false}},
	})
	if err != nil && !isConditionFailure(err) {
		return fmt.Errorf("store: release idempotency key: %w", err)
	}
	return nil
}
