package store

import (
	"context"
	"encoding/json"
	"fmt"

	ddb "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"productgov/shared/audit"
	"productgov/shared/period"
	"productgov/shared/problem"
	"productgov/shared/settlement"
)

// SI statement keys (P§20): pk SISETTLE#<YYYY-MM>, sk <productId>; one
// partition per month, read with one Query.
func siStatementPK(m period.Month) string { return "SISETTLE#" + m.String() }

func siStatementEntity(m period.Month, productID string) string {
	return audit.Entity("si_statement", m.String()+"/"+productID)
}

func decodeSIStatement(doc string, ver int64) (settlement.SIStatement, error) {
	var r settlement.SIStatement
	if err := json.Unmarshal([]byte(doc), &r); err != nil {
		return r, fmt.Errorf("store: si statement: %w", err)
	}
	r.Version = ver
	return r, nil
}

func (s *Store) siStatementPut(st settlement.SIStatement, cond string, vals map[string]ddb.AttributeValue) (ddbWrite, error) {
	doc, err := json.Marshal(st)
	if err != nil {
		return ddbWrite{}, fmt.Errorf("store: marshal si statement: %w", err)
	}
	return s.putItem(docItem{keys: keys{PK: siStatementPK(st.Month), SK: st.ProductID}, Type: "si_statement", Ver: st.Version, Doc: string(doc)}, cond, vals)
}

// PutSIStatement writes a computed SI statement: new when before is nil,
// else replacing before only if it is still the stored version.
func (s *Store) PutSIStatement(ctx context.Context, m audit.Meta, before *settlement.SIStatement, after settlement.SIStatement) (settlement.SIStatement, error) {
	cond, vals := condNew, map[string]ddb.AttributeValue(nil)
	after.Version = 1
	var prev any
	if before != nil {
		cond, vals = condVersion, versionIs(before.Version)
		after.Version = before.Version + 1
		prev = before
	}
	put, err := s.siStatementPut(after, cond, vals)
	if err != nil {
		return after, err
	}
	aud, err := s.auditPut(m, siStatementEntity(after.Month, after.ProductID), "si_statement.compute", prev, after)
	if err != nil {
		return after, err
	}
	err = s.transact(ctx, []ddbWrite{put, aud})
	if cancelledAt(err, 0) {
		return after, problem.Conflict("the SI statement of %s for %s changed meanwhile", after.ProductID, after.Month)
	}
	if err != nil {
		return after, fmt.Errorf("store: put si statement %s %s: %w", after.Month, after.ProductID, err)
	}
	return after, nil
}

// GetSIStatement reads one SI statement; not_found when absent.
func (s *Store) GetSIStatement(ctx context.Context, month period.Month, productID string) (settlement.SIStatement, error) {
	var it docItem
	ok, err := s.get(ctx, siStatementPK(month), productID, &it)
	if err != nil {
		return settlement.SIStatement{}, fmt.Errorf("store: get si statement %s %s: %w", month, productID, err)
	}
	if !ok {
		return settlement.SIStatement{}, problem.NotFound("si statement", month.String()+"/"+productID)
	}
	return decodeSIStatement(it.Doc, it.Ver)
}

// UpdateSIStatement applies fn to a stored SI statement with optimistic
// concurrency; fn returns the audit action.
func (s *Store) UpdateSIStatement(ctx context.Context, m audit.Meta, month period.Month, productID string, fn func(*settlement.SIStatement) (string, error)) (settlement.SIStatement, error) {
	for attempt := 0; ; attempt++ {
		before, err := s.GetSIStatement(ctx, month, productID)
		if err != nil {
			return before, err
		}
		after, err := decodeSIStatement(mustJSON(before), before.Version)
		if err != nil {
			return before, err
		}
		action, err := fn(&after)
		if err != nil {
			return before, err
		}
		after.Version = before.Version + 1
		put, err := s.siStatementPut(after, condVersion, versionIs(before.Version))
		if err != nil {
			return before, err
		}
		aud, err := s.auditPut(m, siStatementEntity(month, productID), action, before, after)
		if err != nil {
			return before, err
		}
		err = s.transact(ctx, []ddbWrite{put, aud})
		if err == nil {
			return after, nil
		}
		if !isConditionFailure(err) || attempt >= maxUpdateAttempts {
			return before, fmt.Errorf("store: update si statement %s %s: %w", month, productID, err)
		}
		if err := backoff(ctx, attempt); err != nil {
			return before, err
		}
	}
}
