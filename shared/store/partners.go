package store

import (
	"context"
	"fmt"
	"time"

	"productgov/shared/audit"
	"productgov/shared/problem"
)

// Partner keys: pk PARTNER#<id>, sk PARTNER.
func partnerPK(id string) string { return "PARTNER#" + id }

// PartnerExists reports whether a partner with the id exists.
func (s *Store) PartnerExists(ctx context.Context, id string) (bool, error) {
	var it struct {
		ID string `dynamodbav:"id"`
	}
	ok, err := s.get(ctx, partnerPK(id), "PARTNER", &it)
	if err != nil {
		return false, fmt.Errorf("store: get partner %s: %w", id, err)
	}
	return ok, nil
}

// partnerItem is a partner's record. Intake, screening, agreement and deposit
// fields are added by the partner use cases; the product rules need only
// that the partner exists.
type partnerItem struct {
	keys
	Type      string `dynamodbav:"type"`
	Ver       int64  `dynamodbav:"ver"`
	ID        string `dynamodbav:"id"`
	Kind      string `dynamodbav:"kind"`
	Name      string `dynamodbav:"name"`
	Status    string `dynamodbav:"status"`
	CreatedAt string `dynamodbav:"createdAt"`
}

// RegisterPartner records an existing partner of kind si (a product
// cooperation partner, P§2) with its audit entry; used to migrate the current
// portfolio and by the demo seed. A repeated id is a conflict.
func (s *Store) RegisterPartner(ctx context.Context, m audit.Meta, id, kind, name string) error {
	it := partnerItem{keys: keys{PK: partnerPK(id), SK: "PARTNER", GSI1PK: "PARTNERS#" + kind, GSI1SK: id},
		Type: "partner", Ver: 1, ID: id, Kind: kind, Name: name, Status: "active",
		CreatedAt: m.At.UTC().Format(time.RFC3339Nano)}
	put, err := s.putItem(it, condNew, nil)
	if err != nil {
		return err
	}
	aud, err := s.auditPut(m, audit.Entity("partner", id), "partner.register", nil,
		map[string]string{"id": id, "kind": kind, "name": name, "status": "active"})
	if err != nil {
		return err
	}
	err = s.transact(ctx, []ddbWrite{put, aud})
	if cancelledAt(err, 0) {
		return problem.Conflict("partner %s already exists", id)
	}
	if err != nil {
		return fmt.Errorf("store: register partner %s: %w", id, err)
	}
	return nil
}
