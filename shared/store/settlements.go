package store

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"

	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	ddb "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"productgov/shared/audit"
	"productgov/shared/period"
	"productgov/shared/problem"
	"productgov/shared/settlement"
)

// Statement keys:
//
//	pk SETTLE#<YYYY-Qn>  sk <projectId>           one project's statement of a quarter (the
//	                                              annual clearing is the revenue mode's Q4)
//	gsi1 SETTLES#PARTNER#<partnerId> / <YYYY-Qn>#<projectId>   a partner's statements
//	pk ACCRUAL#<YYYY-MM> sk <projectId>           a project's accrual of a month
func statementPK(q period.Quarter) string { return "SETTLE#" + q.String() }

func accrualPK(m period.Month) string { return "ACCRUAL#" + m.String() }

// StatementKey names one project's statement of a quarter.
type StatementKey struct {
	Quarter   period.Quarter
	ProjectID string
}

func (s *Store) statementPut(r settlement.StatementRecord, cond string, vals map[string]ddb.AttributeValue) (ddbWrite, error) {
	doc, err := json.Marshal(r)
	if err != nil {
		return ddbWrite{}, fmt.Errorf("store: marshal statement: %w", err)
	}
	return s.putItem(docItem{keys: keys{PK: statementPK(r.Quarter), SK: r.ProjectID,
		GSI1PK: "SETTLES#PARTNER#" + r.PartnerID, GSI1SK: r.Quarter.String() + "#" + r.ProjectID},
		Type: "statement", Ver: r.Version, Doc: string(doc)}, cond, vals)
}

func statementEntity(q period.Quarter, projectID string) string {
	return audit.Entity("statement", q.String()+"/"+projectID)
}

// PutStatement writes a computed statement with its audit entry; before is
// the stored statement it replaces (nil for a new one), and the write happens
// only if that is still the stored version (else a conflict).
func (s *Store) PutStatement(ctx context.Context, m audit.Meta, before *settlement.StatementRecord, after settlement.StatementRecord) (settlement.StatementRecord, error) {
	cond, vals := condNew, map[string]ddb.AttributeValue(nil)
	after.Version = 1
	var prev any
	if before != nil {
		cond, vals = condVersion, versionIs(before.Version)
		after.Version = before.Version + 1
		prev = before
	}
	put, err := s.statementPut(after, cond, vals)
	if err != nil {
		return after, err
	}
	aud, err := s.auditPut(m, statementEntity(after.Quarter, after.ProjectID), "statement.compute", prev, after)
	if err != nil {
		return after, err
	}
	err = s.transact(ctx, []ddbWrite{put, aud})
	if cancelledAt(err, 0) {
		return after, problem.Conflict("statement %s of %s changed meanwhile", after.ProjectID, after.Quarter)
	}
	if err != nil {
		return after, fmt.Errorf("store: put statement %s %s: %w", after.Quarter, after.ProjectID, err)
	}
	return after, nil
}

// GetStatement reads one statement; not_found when absent.
func (s *Store) GetStatement(ctx context.Context, q period.Quarter, projectID string) (settlement.StatementRecord, error) {
	var it docItem
	ok, err := s.get(ctx, statementPK(q), projectID, &it)
	if err != nil {
		return settlement.StatementRecord{}, fmt.Errorf("store: get statement %s %s: %w", q, projectID, err)
	}
	if !ok {
		return settlement.StatementRecord{}, problem.NotFound("statement", q.String()+"/"+projectID)
	}
	return decodeStatement(it.Doc, it.Ver)
}

func decodeStatement(doc string, ver int64) (settlement.StatementRecord, error) {
	var r settlement.StatementRecord
	if err := json.Unmarshal([]byte(doc), &r); err != nil {
		return r, fmt.Errorf("store: statement: %w", err)
	}
	r.Version = ver
	return r, nil
}

// UpdateStatement applies fn to the current statement and writes it only if
// nobody changed it meanwhile, re-applying fn on a clash (a confirmation and
// an approval never both land on one version). fn returns the audit action.
func (s *Store) UpdateStatement(ctx context.Context, m audit.Meta, q period.Quarter, projectID string, fn func(*settlement.StatementRecord) (string, error)) (settlement.StatementRecord, error) {
	for attempt := 0; ; attempt++ {
		before, err := s.GetStatement(ctx, q, projectID)
		if err != nil {
			return before, err
		}
		after, err := decodeStatement(mustJSON(before), before.Version)
		if err != nil {
			return before, err
		}
		action, err := fn(&after)
		if err != nil {
			return before, err
		}
		after.Version = before.Version + 1
		put, err := s.statementPut(after, condVersion, versionIs(before.Version))
		if err != nil {
			return before, err
		}
		aud, err := s.auditPut(m, statementEntity(q, projectID), action, before, after)
		if err != nil {
			return before, err
		}
		err = s.transact(ctx, []ddbWrite{put, aud})
		if err == nil {
			return after, nil
		}
		if !isConditionFailure(err) || attempt >= maxUpdateAttempts {
			return before, fmt.Errorf("store: update statement %s %s: %w", q, projectID, err)
		}
		if err := backoff(ctx, attempt); err != nil {
			return before, err
		}
	}
}

func mustJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return string(b)
}

// Statements lists a quarter's statements in project order, every page.
func (s *Store) Statements(ctx context.Context, q period.Quarter) ([]settlement.StatementRecord, error) {
	return s.statementsIn(ctx, "", "pk", statementPK(q), "", "")
}

// PartnerStatements lists a partner's statements whose "<quarter>#<projectId>"
// begins with prefix ("2026-" for a year, "2026-Q2#" for a quarter).
func (s *Store) PartnerStatements(ctx context.Context, partnerID, prefix string) ([]settlement.StatementRecord, error) {
	return s.statementsIn(ctx, IndexGSI1, "gsi1pk", "SETTLES#PARTNER#"+partnerID, "gsi1sk", prefix)
}

// statementsIn reads every statement of a partition, in sort-key order.
func (s *Store) statementsIn(ctx context.Context, index, pkAttr, pk, skAttr, prefix string) ([]settlement.StatementRecord, error) {
	var out []settlement.StatementRecord
	err := s.eachItem(ctx, index, pkAttr, pk, skAttr, prefix, func(it docItem) error {
		r, err := decodeStatement(it.Doc, it.Ver)
		if err == nil {
			out = append(out, r)
		}
		return err
	})
	return out, err
}

// StatementsByKey reads many statements with batched reads; missing ones are absent.
func (s *Store) StatementsByKey(ctx context.Context, ks []StatementKey) (map[StatementKey]settlement.StatementRecord, error) {
	out := map[StatementKey]settlement.StatementRecord{}
	keys := make([][2]string, len(ks))
	for i, k := range ks {
		keys[i] = [2]string{statementPK(k.Quarter), k.ProjectID}
	}
	err := s.batchDocs(ctx, keys, func(_, _, doc string, ver int64) error {
		r, err := decodeStatement(doc, ver)
		if err != nil {
			return err
		}
		out[StatementKey{r.Quarter, r.ProjectID}] = r
		return nil
	})
	return out, err
}

// AccrualKey names one project's accrual of a month.
type AccrualKey struct {
	Month     period.Month
	ProjectID string
}

// PutAccruals writes a month's accruals with batched writes (each a plain
// overwrite of the same key: a re-run writes the same records) and one audit
// entry listing them.
func (s *Store) PutAccruals(ctx context.Context, m audit.Meta, month period.Month, recs []settlement.AccrualRecord) error {
	if len(recs) == 0 {
		return nil
	}
	reqs := make([]ddb.WriteRequest, 0, len(recs))
	for _, r := range recs {
		doc, err := json.Marshal(r)
		if err != nil {
			return err
		}
		av, err := attributevalue.MarshalMap(docItem{keys: keys{PK: accrualPK(month), SK: r.ProjectID}, Type: "accrual", Ver: 1, Doc: string(doc)})
		if err != nil {
			return err
		}
		reqs = append(reqs, ddb.WriteRequest{PutRequest: &ddb.PutRequest{Item: av}})
	}
	if err := s.batchWrite(ctx, reqs); err != nil {
		return fmt.Errorf("store: put accruals %s: %w", month, err)
	}
	aud, err := s.auditPut(m, audit.Entity("accrual", month.String()), "accrual.put", nil, recs)
	if err != nil {
		return err
	}
	return s.transact(ctx, []ddbWrite{aud})
}

// Accruals reads many accruals with batched reads; missing ones are absent.
func (s *Store) Accruals(ctx context.Context, ks []AccrualKey) (map[AccrualKey]settlement.AccrualRecord, error) {
	out := map[AccrualKey]settlement.AccrualRecord{}
	keys := make([][2]string, len(ks))
	for i, k := range ks {
		keys[i] = [2]string{accrualPK(k.Month), k.ProjectID}
	}
	err := s.batchDocs(ctx, keys, func(_, _, doc string, _ int64) error {
		var r settlement.AccrualRecord
		if err := json.Unmarshal([]byte(doc), &r); err != nil {
			return err
		}
		out[AccrualKey{r.Month, r.ProjectID}] = r
		return nil
	})
	return out, err
}

// MonthAccruals lists a month's accruals in project order.
func (s *Store) MonthAccruals(ctx context.Context, month period.Month) ([]settlement.AccrualRecord, error) {
	var out []settlement.AccrualRecord
	err := s.eachDoc(ctx, accrualPK(month), "", func(doc string) error {
		var r settlement.AccrualRecord
		if err := json.Unmarshal([]byte(doc), &r); err != nil {
			return err
		}
		out = append(out, r)
		return nil
	})
	sort.Slice(out, func(i, j int) bool { return out[i].ProjectID < out[j].ProjectID })
	return out, err
}
