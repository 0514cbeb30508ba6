package store

import (
	"context"
	"encoding/json"
	"fmt"
	"productgov/shared/id"
	"time"

	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	ddb "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"productgov/shared/audit"
)

// auditItem is an audit entry; its key makes it write-once (condNew) and the
// API offers no way to change it.
type auditItem struct {
	keys
	Type      string `dynamodbav:"type"`
	Entity    string `dynamodbav:"entity"`
	At        string `dynamodbav:"at"`
	Actor     string `dynamodbav:"actor"`
	Action    string `dynamodbav:"action"`
	RequestID string `dynamodbav:"requestId"`
	Before    string `dynamodbav:"before"`
	After     string `dynamodbav:"after"`
}

// auditPut returns the transactional write of one audit entry.
func (s *Store) auditPut(m audit.Meta, entity, action string, before, after any) (ddb.TransactWriteItem, error) {
	b, err := jsonOrNull(before)
	if err != nil {
		return ddb.TransactWriteItem{}, err
	}
	a, err := jsonOrNull(after)
	if err != nil {
		return ddb.TransactWriteItem{}, err
	}
	at := m.At.UTC().Format(time.RFC3339Nano)
	it := auditItem{
		keys:   keys{PK: "AUDIT#" + entity, SK: at + "#" + id.New("a")},
		Type:   "audit",
		Entity: entity, At: at, Actor: m.Actor, Action: action, RequestID: m.RequestID,
		Before: b, After: a,
	}
	return s.putItem(it, condNew, nil)
}

func jsonOrNull(v any) (string, error) {
	if v == nil {
		return "null", nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		return "", fmt.Errorf("store: audit marshal: %w", err)
	}
	return string(b), nil
}

// Audit lists an entity's trail, oldest first, a page at a time.
func (s *Store) Audit(ctx context.Context, entity, cursor string, limit int32) ([]audit.Entry, string, error) {
	p, err := s.queryPage(ctx, "", "pk", "AUDIT#"+entity, "", "", cursor, limit, true)
	if err != nil {
		return nil, "", err
	}
	out := make([]audit.Entry, 0, len(p.items))
	for _, raw := range p.items {
		var it auditItem
		if err := attributevalue.UnmarshalMap(raw, &it); err != nil {
			return nil, "", fmt.Errorf("store: audit unmarshal: %w", err)
		}
		at, _ := time.Parse(time.RFC3339Nano, it.At)
		out = append(out, audit.Entry{Entity: it.Entity, At: at, Actor: it.Actor, Action: it.Action,
			RequestID: it.RequestID, Before: json.RawMessage(it.Before), After: json.RawMessage(it.After)})
	}
	return out, p.cursor, nil
}
