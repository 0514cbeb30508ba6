package store

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"

	"productgov/shared/audit"
	"productgov/shared/policy"
	"productgov/shared/problem"
)

// Policy keys: pk POLICY, sk VERSION#<effectiveFrom>#<version>. A version,
// once stored, is never changed: past results cite it.
type policyItem struct {
	keys
	Type     string `dynamodbav:"type"`
	Version  string `dynamodbav:"version"`
	Document string `dynamodbav:"document"`
}

// PutPolicy stores a new policy version; storing an existing one is a conflict.
func (s *Store) PutPolicy(ctx context.Context, m audit.Meta, d policy.Document) error {
	b, err := json.Marshal(d)
	if err != nil {
		return fmt.Errorf("store: marshal policy: %w", err)
	}
	put, err := s.putItem(policyItem{keys: keys{PK: "POLICY", SK: "VERSION#" + d.EffectiveFrom.String() + "#" + d.Version},
		Type: "policy", Version: d.Version, Document: string(b)}, condNew, nil)
	if err != nil {
		return err
	}
	aud, err := s.auditPut(m, audit.Entity("policy", d.Version), "policy.put", nil, d)
	if err != nil {
		return err
	}
	err = s.transact(ctx, []ddbWrite{put, aud})
	if cancelledAt(err, 0) {
		return problem.Conflict("policy version %s already exists", d.Version)
	}
	if err != nil {
		return fmt.Errorf("store: put policy %s: %w", d.Version, err)
	}
	return nil
}

// PolicyHistory reads every stored version.
func (s *Store) PolicyHistory(ctx context.Context) (policy.History, error) {
	var out policy.History
	cursor := ""
	for {
		p, err := s.queryPage(ctx, "", "pk", "POLICY", "sk", "VERSION#", cursor, 50, true)
		if err != nil {
			return nil, err
		}
		for _, raw := range p.items {
			var it policyItem
			if err := attributevalue.UnmarshalMap(raw, &it); err != nil {
				return nil, fmt.Errorf("store: policy unmarshal: %w", err)
			}
			d, err := policy.Decode([]byte(it.Document))
			if err != nil {
				return nil, err
			}
			out = append(out, d)
		}
		if p.cursor == "" {
			return out, nil
		}
		cursor = p.cursor
	}
}
