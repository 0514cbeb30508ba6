// Package aslstore persists the local ASL engine's executions in the system's
// DynamoDB table, so that a restart of the local stack resumes them and an
// emailed approval link still works afterwards.
package aslstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddb "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"productgov/infra/asl"
)

// Keys:
//
//	pk EXEC#<arn>   sk EXEC          the execution record (doc), in gsi1 EXECS#RUNNING while running,
//	                                 in gsi2 EXECS#<state machine arn> by start time (ListExecutions)
//	pk EXEC#<arn>   sk H#<key>       one history event, write-once
//	pk TOKEN#<tok>  sk TOKEN         task token → execution and step
const (
	skExec          = "EXEC"
	runningPK       = "EXECS#RUNNING"
	statusAttribute = "status"
)

// Store is an asl.ExecutionStore on DynamoDB.
type Store struct {
	db    *dynamodb.Client
	table string
}

var _ asl.ExecutionStore = (*Store)(nil)

// New returns a Store on the table.
func New(db *dynamodb.Client, table string) *Store { return &Store{db: db, table: table} }

func key(pk, sk string) map[string]ddb.AttributeValue {
	return map[string]ddb.AttributeValue{"pk": str(pk), "sk": str(sk)}
}

func str(s string) ddb.AttributeValue { return &ddb.AttributeValueMemberS{Value: s} }

func conditionFailed(err error) bool {
	var ccf *ddb.ConditionalCheckFailedException
	return errors.As(err, &ccf)
}

// CreateExecution stores a new record; an existing arn is ErrExecutionExists.
func (s *Store) CreateExecution(ctx context.Context, rec asl.ExecutionRecord) error {
	doc, err := json.Marshal(rec)
	if err != nil {
		return err
	}
	item := key("EXEC#"+rec.ExecutionArn, skExec)
	item["doc"] = str(string(doc))
	item[statusAttribute] = str(rec.Status)
	if rec.Status == asl.StatusRunning {
		item["gsi1pk"], item["gsi1sk"] = str(runningPK), str(rec.ExecutionArn)
	}
	item["gsi2pk"], item["gsi2sk"] = str("EXECS#"+rec.StateMachineArn), str(rec.StartDate.UTC().Format(time.RFC3339Nano)+"#"+rec.ExecutionArn)
	_, err = s.db.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(s.table), Item: item,
		ConditionExpression: aws.String("attribute_not_exists(pk)")})
	if conditionFailed(err) {
		return asl.ErrExecutionExists
	}
	if err != nil {
		return fmt.Errorf("aslstore: create %s: %w", rec.ExecutionArn, err)
	}
	return nil
}

// GetExecution reads a record.
func (s *Store) GetExecution(ctx context.Context, arn string) (asl.ExecutionRecord, error) {
	res, err := s.db.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(s.table), Key: key("EXEC#"+arn, skExec), ConsistentRead: aws.Bool(true)})
	if err != nil {
		return asl.ExecutionRecord{}, fmt.Errorf("aslstore: get %s: %w", arn, err)
	}
	if res.Item == nil {
		return asl.ExecutionRecord{}, asl.ErrExecutionNotFound
	}
	return decodeRecord(res.Item)
}

func decodeRecord(item map[string]ddb.AttributeValue) (asl.ExecutionRecord, error) {
	var rec asl.ExecutionRecord
	doc, _ := item["doc"].(*ddb.AttributeValueMemberS)
	if doc == nil {
		return rec, errors.New("aslstore: record without doc")
	}
	return rec, json.Unmarshal([]byte(doc.Value), &rec)
}

// FinishExecution records the outcome only while the execution runs.
func (s *Store) FinishExecution(ctx context.Context, arn string, out asl.ExecutionOutcome) error {
	for {
		res, err := s.db.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(s.table), Key: key("EXEC#"+arn, skExec), ConsistentRead: aws.Bool(true)})
		if err != nil {
			return fmt.Errorf("aslstore: get %s: %w", arn, err)
		}
		if res.Item == nil {
			return asl.ErrExecutionNotFound
		}
		rec, err := decodeRecord(res.Item)
		if err != nil {
			return err
		}
		if rec.Status != asl.StatusRunning {
			return asl.ErrExecutionFinished
		}
		rec.Status, rec.Output, rec.Error, rec.Cause, rec.StopDate = out.Status, out.Output, out.Error, out.Cause, out.StopDate
		doc, err := json.Marshal(rec)
		if err != nil {
			return err
		}
		_, err = s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
			TableName:                 aws.String(s.table),
			Key:                       key("EXEC#"+arn, skExec),
			ConditionExpression:       aws.String("#status = :running"),
			UpdateExpression:          aws.String("SET doc = :doc, #status = :status REMOVE gsi1pk, gsi1sk"),
			ExpressionAttributeNames:  map[string]string{"#status": statusAttribute},
			ExpressionAttributeValues: map[string]ddb.AttributeValue{":running": str(asl.StatusRunning), ":doc": str(string(doc)), ":status": str(out.Status)},
		})
		if conditionFailed(err) {
			continue // finished meanwhile: the re-read reports it
		}
		if err != nil {
			return fmt.Errorf("aslstore: finish %s: %w", arn, err)
		}
		return nil
	}
}

// ListRunning lists running executions from the index (never a Scan).
func (s *Store) ListRunning(ctx context.Context) ([]asl.ExecutionRecord, error) {
	var out []asl.ExecutionRecord
	p := dynamodb.NewQueryPaginator(s.db, &dynamodb.QueryInput{
		TableName:                 aws.String(s.table),
		IndexName:                 aws.String("gsi1"),
		KeyConditionExpression:    aws.String("gsi1pk = :pk"),
		ExpressionAttributeValues: map[string]ddb.AttributeValue{":pk": str(runningPK)},
	})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("aslstore: list running: %w", err)
		}
		for _, item := range page.Items {
			rec, err := decodeRecord(item)
			if err != nil {
				return nil, err
			}
			out = append(out, rec)
		}
	}
	return out, nil
}

// ListExecutions lists every execution of a state machine (asl.ExecutionLister).
func (s *Store) ListExecutions(ctx context.Context, stateMachineArn string) ([]asl.ExecutionRecord, error) {
	var out []asl.ExecutionRecord
	p := dynamodb.NewQueryPaginator(s.db, &dynamodb.QueryInput{
		TableName:                 aws.String(s.table),
		IndexName:                 aws.String("gsi2"),
		KeyConditionExpression:    aws.String("gsi2pk = :pk"),
		ExpressionAttributeValues: map[string]ddb.AttributeValue{":pk": str("EXECS#" + stateMachineArn)},
	})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("aslstore: list executions: %w", err)
		}
		for _, item := range page.Items {
			rec, err := decodeRecord(item)
			if err != nil {
				return nil, err
			}
			// The index copy may lag; the table holds the current status.
			if current, err := s.GetExecution(ctx, rec.ExecutionArn); err == nil {
				rec = current
			}
			out = append(out, rec)
		}
	}
	return out, nil
}

// AppendHistory adds an event once per key (the engine's compare-and-set).
func (s *Store) AppendHistory(ctx context.Context, arn string, ev asl.HistoryEvent) error {
	doc, err := json.Marshal(ev)
	if err != nil {
		return err
	}
	item := key("EXEC#"+arn, "H#"+ev.Key)
	item["doc"] = str(string(doc))
	_, err = s.db.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(s.table), Item: item,
		ConditionExpression: aws.String("attribute_not_exists(pk)")})
	if conditionFailed(err) {
		return asl.ErrDuplicateEvent
	}
	if err != nil {
		return fmt.Errorf("aslstore: history %s: %w", arn, err)
	}
	return nil
}

// History lists an execution's events.
func (s *Store) History(ctx context.Context, arn string) ([]asl.HistoryEvent, error) {
	var out []asl.HistoryEvent
	p := dynamodb.NewQueryPaginator(s.db, &dynamodb.QueryInput{
		TableName:                 aws.String(s.table),
		KeyConditionExpression:    aws.String("pk = :pk AND begins_with(sk, :h)"),
		ExpressionAttributeValues: map[string]ddb.AttributeValue{":pk": str("EXEC#" + arn), ":h": str("H#")},
		ConsistentRead:            aws.Bool(true),
	})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("aslstore: history %s: %w", arn, err)
		}
		for _, item := range page.Items {
			var ev asl.HistoryEvent
			doc, _ := item["doc"].(*ddb.AttributeValueMemberS)
			if doc == nil {
				continue
			}
			if err := json.Unmarshal([]byte(doc.Value), &ev); err != nil {
				return nil, err
			}
			out = append(out, ev)
		}
	}
	return out, nil
}

// PutToken stores a token mapping (idempotent).
func (s *Store) PutToken(ctx context.Context, rec asl.TaskTokenRecord) error {
	item := key("TOKEN#"+rec.Token, "TOKEN")
	item["executionArn"], item["stepKey"] = str(rec.ExecutionArn), str(rec.StepKey)
	if _, err := s.db.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(s.table), Item: item}); err != nil {
		return fmt.Errorf("aslstore: put token: %w", err)
	}
	return nil
}

// LookupToken finds the step waiting for a token.
func (s *Store) LookupToken(ctx context.Context, token string) (asl.TaskTokenRecord, error) {
	res, err := s.db.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(s.table), Key: key("TOKEN#"+token, "TOKEN"), ConsistentRead: aws.Bool(true)})
	if err != nil {
		return asl.TaskTokenRecord{}, fmt.Errorf("aslstore: lookup token: %w", err)
	}
	if res.Item == nil {
		return asl.TaskTokenRecord{}, asl.ErrTokenNotFound
	}
	arn, _ := res.Item["executionArn"].(*ddb.AttributeValueMemberS)
	step, _ := res.Item["stepKey"].(*ddb.AttributeValueMemberS)
	if arn == nil || step == nil {
		return asl.TaskTokenRecord{}, asl.ErrTokenNotFound
	}
	return asl.TaskTokenRecord{Token: token, ExecutionArn: arn.Value, StepKey: step.Value}, nil
}
