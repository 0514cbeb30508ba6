package store

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddb "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"productgov/shared/audit"
	"productgov/shared/partner"
	"productgov/shared/period"
	"productgov/shared/problem"
	"productgov/shared/settlement"
)

// Partner keys:
//
//	pk PARTNER#<id>  sk PARTNER                  the partner (its record in doc)
//	gsi1 PARTNERS#<kind> / <id>                   partners by kind
//	gsi2 PARTNERNAME#<name> / <createdAt>#<id>    earlier applications by the same name (S§21 re-entry ban)
//	pk PARTNER#<id>  sk LEDGER#<reference>        a deposit posting, keyed by its reference
//	pk PARTNER#<id>  sk PENALTY#<quarter>#<id>    a penalty (S§19)
//	pk PARTNER#<id>  sk STAFF#<quarter>#<id>      a core-staff change (S§21)
//	pk PARTNER#<id>  sk ROUND#<quarter>           the partner's settlement of a quarter
//	pk PARTNERS      sk ACTIVE                    the count of support partners counted as active (S§7)
func partnerPK(id string) string { return "PARTNER#" + id }

const (
	skPartner      = "PARTNER"
	skLedger       = "LEDGER#"
	skPenalty      = "PENALTY#"
	skStaff        = "STAFF#"
	skRound        = "ROUND#"
	pkPartnerCount = "PARTNERS"
	skActiveCount  = "ACTIVE"
)

// PartnerExists reports whether a partner with the id exists.
func (s *Store) PartnerExists(ctx context.Context, id string) (bool, error) {
	var it struct {
		ID string `dynamodbav:"id"`
	}
	ok, err := s.get(ctx, partnerPK(id), skPartner, &it)
	if err != nil {
		return false, fmt.Errorf("store: get partner %s: %w", id, err)
	}
	return ok, nil
}

// partnerItem is a partner's record. A partner registered by RegisterPartner
// has no doc: its record is its attributes.
type partnerItem struct {
	keys
	Type      string `dynamodbav:"type"`
	Ver       int64  `dynamodbav:"ver"`
	ID        string `dynamodbav:"id"`
	Kind      string `dynamodbav:"kind"`
	Name      string `dynamodbav:"name"`
	Status    string `dynamodbav:"status"`
	CreatedAt string `dynamodbav:"createdAt"`
	Balance   int64  `dynamodbav:"balance"`
	Doc       string `dynamodbav:"doc,omitempty"`
}

// RegisterPartner records an existing partner of kind si (a product
// cooperation partner, P§2) with its audit entry; used to migrate the current
// portfolio and by the demo seed. A repeated id is a conflict.
func (s *Store) RegisterPartner(ctx context.Context, m audit.Meta, id, kind, name string) error {
	it := partnerItem{keys: keys{PK: partnerPK(id), SK: skPartner, GSI1PK: "PARTNERS#" + kind, GSI1SK: id},
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

func normalName(name string) string { return strings.ToLower(strings.Join(strings.Fields(name), " ")) }

func toPartnerItem(p partner.Partner) (partnerItem, error) {
	doc, err := json.Marshal(p)
	if err != nil {
		return partnerItem{}, fmt.Errorf("store: marshal partner: %w", err)
	}
	created := p.CreatedAt.UTC().Format(time.RFC3339Nano)
	return partnerItem{
		keys: keys{PK: partnerPK(p.ID), SK: skPartner, GSI1PK: "PARTNERS#" + p.Kind, GSI1SK: p.ID,
			GSI2PK: "PARTNERNAME#" + normalName(p.Name), GSI2SK: created + "#" + p.ID},
		Type: "partner", Ver: p.Version, ID: p.ID, Kind: p.Kind, Name: p.Name, Status: p.Status,
		CreatedAt: created, Balance: int64(p.DepositBalance), Doc: string(doc),
	}, nil
}

func (it partnerItem) partner() (partner.Partner, error) {
	var p partner.Partner
	if it.Doc != "" {
		if err := json.Unmarshal([]byte(it.Doc), &p); err != nil {
			return p, fmt.Errorf("store: partner %s: %w", it.ID, err)
		}
	} else {
		p = partner.Partner{ID: it.ID, Kind: it.Kind, Name: it.Name, Status: it.Status, AnnualScores: []partner.AnnualAssessment{}}
		p.CreatedAt, _ = time.Parse(time.RFC3339Nano, it.CreatedAt)
	}
	p.Version = it.Ver
	return p, nil
}

// CreatePartner writes a new partner with its audit entry.
func (s *Store) CreatePartner(ctx context.Context, m audit.Meta, p partner.Partner) error {
	p.Version = 1
	it, err := toPartnerItem(p)
	if err != nil {
		return err
	}
	put, err := s.putItem(it, condNew, nil)
	if err != nil {
		return err
	}
	aud, err := s.auditPut(m, audit.Entity("partner", p.ID), "partner.create", nil, p)
	if err != nil {
		return err
	}
	err = s.transact(ctx, []ddbWrite{put, aud})
	if cancelledAt(err, 0) {
		return problem.Conflict("partner %s already exists", p.ID)
	}
	if err != nil {
		return fmt.Errorf("store: create partner %s: %w", p.ID, err)
	}
	return nil
}

// GetPartner reads a partner; not_found when absent.
func (s *Store) GetPartner(ctx context.Context, id string) (partner.Partner, error) {
	var it partnerItem
	ok, err := s.get(ctx, partnerPK(id), skPartner, &it)
	if err != nil {
		return partner.Partner{}, fmt.Errorf("store: get partner %s: %w", id, err)
	}
	if !ok {
		return partner.Partner{}, problem.NotFound("partner", id)
	}
	return it.partner()
}

// PartnerChange is what an update of a partner writes besides the partner
// itself, in the same transaction.
type PartnerChange struct {
	// Action names the change in the audit trail.
	Action string
	// Posting is a deposit posting; it is written once (a second posting with
	// the same key is a conflict) unless ReplacePosting, which overwrites the
	// posting of a recomputed settlement.
	Posting        *partner.LedgerRecord
	ReplacePosting bool
	// CountDelta is +1 when the partner starts counting toward the active
	// limit (refused at MaxActive), −1 when it stops.
	CountDelta int
	MaxActive  int
	// Round is a partner's settlement of a quarter, written with its
	// expected RoundVersion (0: new).
	Round        *settlement.RoundSummary
	RoundVersion int64
}

// partnerLocks queues the updates of one partner within this process, so
// that concurrent postings (20 deductions at once) wait their turn instead of
// colliding and retrying. Across processes (Lambdas) the version condition
// alone decides, as it always does; the lock only spares wasted attempts.
var partnerLocks sync.Map // "<table>/<partner id>" → *sync.Mutex

func lockPartner(table, id string) func() {
	v, _ := partnerLocks.LoadOrStore(table+"/"+id, &sync.Mutex{})
	mu := v.(*sync.Mutex)
	mu.Lock()
	return mu.Unlock
}

// ErrActiveLimit is returned when a partner would exceed the active-partner limit.
var ErrActiveLimit = fmt.Errorf("store: active partner limit reached")

// UpdatePartner applies fn to the current partner and writes it, with what
// the change carries, only if nobody changed the partner meanwhile; on a clash
// it reads again and re-applies fn, so concurrent postings all land and the
// balance is always computed from the latest one. ErrNoChange from fn writes nothing.
func (s *Store) UpdatePartner(ctx context.Context, m audit.Meta, id string, fn func(*partner.Partner) (PartnerChange, error)) (partner.Partner, error) {
	unlock := lockPartner(s.table, id)
	defer unlock()
	for attempt := 0; ; attempt++ {
		before, err := s.GetPartner(ctx, id)
		if err != nil {
			return partner.Partner{}, err
		}
		after, err := copyPartner(before)
		if err != nil {
			return partner.Partner{}, err
		}
		ch, err := fn(&after)
		if err == ErrNoChange {
			return before, nil
		}
		if err != nil {
			return partner.Partner{}, err
		}
		after.ID, after.Version, after.UpdatedAt = before.ID, before.Version+1, m.At.UTC()
		items, err := s.partnerWrites(m, before, after, ch)
		if err != nil {
			return partner.Partner{}, err
		}
		err = s.transact(ctx, items)
		if err == nil {
			return after, nil
		}
		if ch.Posting != nil && !ch.ReplacePosting && cancelledAt(err, 1) {
			return partner.Partner{}, problem.Conflict("deposit posting %s of partner %s already exists", ch.Posting.Key, id)
		}
		if ch.CountDelta > 0 && cancelledAt(err, len(items)-1) {
			return partner.Partner{}, ErrActiveLimit
		}
		if !isConditionFailure(err) || attempt >= maxUpdateAttempts {
			return partner.Partner{}, fmt.Errorf("store: update partner %s: %w", id, err)
		}
		if err := backoff(ctx, attempt); err != nil {
			return partner.Partner{}, err
		}
	}
}

// partnerWrites lists a partner update's writes: the partner (index 0), the
// posting (1, when any), the round, the audit entry, and the active count last.
func (s *Store) partnerWrites(m audit.Meta, before, after partner.Partner, ch PartnerChange) ([]ddbWrite, error) {
	it, err := toPartnerItem(after)
	if err != nil {
		return nil, err
	}
	put, err := s.putItem(it, condVersion, versionIs(before.Version))
	if err != nil {
		return nil, err
	}
	items := []ddbWrite{put}
	if ch.Posting != nil {
		doc, err := json.Marshal(ch.Posting)
		if err != nil {
			return nil, err
		}
		cond := condNew
		if ch.ReplacePosting {
			cond = ""
		}
		p, err := s.putItem(docItem{keys: keys{PK: partnerPK(after.ID), SK: skLedger + ch.Posting.Key},
			Type: "ledger", Ver: 1, Doc: string(doc)}, cond, nil)
		if err != nil {
			return nil, err
		}
		items = append(items, p)
	}
	if ch.Round != nil {
		r := *ch.Round
		r.Version = ch.RoundVersion + 1
		doc, err := json.Marshal(r)
		if err != nil {
			return nil, err
		}
		cond, vals := condNew, map[string]ddb.AttributeValue(nil)
		if ch.RoundVersion > 0 {
			cond, vals = condVersion, versionIs(ch.RoundVersion)
		}
		p, err := s.putItem(docItem{keys: keys{PK: partnerPK(after.ID), SK: skRound + r.Quarter.String()},
			Type: "round", Ver: r.Version, Doc: string(doc)}, cond, vals)
		if err != nil {
			return nil, err
		}
		items = append(items, p)
	}
	action := ch.Action
	if action == "" {
		action = "partner.update"
	}
	aud, err := s.auditPut(m, audit.Entity("partner", after.ID), action, before, after)
	if err != nil {
		return nil, err
	}
	items = append(items, aud)
	if ch.CountDelta != 0 {
		items = append(items, s.activeCountUpdate(ch.CountDelta, ch.MaxActive))
	}
	return items, nil
}

// activeCountUpdate moves the active-partner count by delta: up only below
// max (S§7: at most five), down only above zero.
func (s *Store) activeCountUpdate(delta, max int) ddbWrite {
	u := &ddb.Update{TableName: aws.String(s.table), Key: keyOf(pkPartnerCount, skActiveCount),
		UpdateExpression:         aws.String("ADD #n :d"),
		ExpressionAttributeNames: map[string]string{"#n": "n"},
		ExpressionAttributeValues: map[string]ddb.AttributeValue{
			":d": &ddb.AttributeValueMemberN{Value: fmt.Sprint(delta)}}}
	if delta > 0 {
		u.ConditionExpression = aws.String("attribute_not_exists(#n) OR #n < :max")
		u.ExpressionAttributeValues[":max"] = &ddb.AttributeValueMemberN{Value: fmt.Sprint(max)}
	} else {
		u.ConditionExpression = aws.String("#n > :zero")
		u.ExpressionAttributeValues[":zero"] = &ddb.AttributeValueMemberN{Value: "0"}
	}
	return ddbWrite{Update: u}
}

// ActivePartnerCount reads how many support partners count as active (S§7).
func (s *Store) ActivePartnerCount(ctx context.Context) (int, error) {
	var it struct {
		N int `dynamodbav:"n"`
	}
	if _, err := s.get(ctx, pkPartnerCount, skActiveCount, &it); err != nil {
		return 0, fmt.Errorf("store: active partner count: %w", err)
	}
	return it.N, nil
}

func copyPartner(p partner.Partner) (partner.Partner, error) {
	b, err := json.Marshal(p)
	if err != nil {
		return p, err
	}
	var out partner.Partner
	if err := json.Unmarshal(b, &out); err != nil {
		return p, err
	}
	out.Version = p.Version
	return out, nil
}

// PartnersNamed lists the earlier partners with the same name (spaces and
// case aside), oldest first: the applicant's history for the re-entry ban.
func (s *Store) PartnersNamed(ctx context.Context, name string) ([]partner.Partner, error) {
	var out []partner.Partner
	cursor := ""
	for {
		p, err := s.queryPage(ctx, IndexGSI2, "gsi2pk", "PARTNERNAME#"+normalName(name), "", "", cursor, 100, true)
		if err != nil {
			return nil, err
		}
		got, err := decodePartners(p.items)
		if err != nil {
			return nil, err
		}
		out = append(out, got...)
		if p.cursor == "" {
			return out, nil
		}
		cursor = p.cursor
	}
}

// PartnersOfKind lists every partner of a kind (a handful: S§7 allows five).
func (s *Store) PartnersOfKind(ctx context.Context, kind string) ([]partner.Partner, error) {
	var out []partner.Partner
	cursor := ""
	for {
		p, err := s.queryPage(ctx, IndexGSI1, "gsi1pk", "PARTNERS#"+kind, "", "", cursor, 100, true)
		if err != nil {
			return nil, err
		}
		got, err := decodePartners(p.items)
		if err != nil {
			return nil, err
		}
		out = append(out, got...)
		if p.cursor == "" {
			return out, nil
		}
		cursor = p.cursor
	}
}

// PartnersPage lists one page of the partners of a kind, in id order, and
// the cursor of the next (empty after the last).
func (s *Store) PartnersPage(ctx context.Context, kind, cursor string, limit int32) ([]partner.Partner, string, error) {
	p, err := s.queryPage(ctx, IndexGSI1, "gsi1pk", "PARTNERS#"+kind, "", "", cursor, limit, true)
	if err != nil {
		return nil, "", err
	}
	out, err := decodePartners(p.items)
	return out, p.cursor, err
}

func decodePartners(items []map[string]ddb.AttributeValue) ([]partner.Partner, error) {
	out := make([]partner.Partner, 0, len(items))
	for _, raw := range items {
		var it partnerItem
		if err := attributevalue.UnmarshalMap(raw, &it); err != nil {
			return nil, fmt.Errorf("store: partner unmarshal: %w", err)
		}
		p, err := it.partner()
		if err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, nil
}

// Ledger lists a partner's deposit postings, oldest first.
func (s *Store) Ledger(ctx context.Context, partnerID string) ([]partner.LedgerRecord, error) {
	var out []partner.LedgerRecord
	err := s.eachDoc(ctx, partnerPK(partnerID), skLedger, func(doc string) error {
		var r partner.LedgerRecord
		if err := json.Unmarshal([]byte(doc), &r); err != nil {
			return err
		}
		out = append(out, r)
		return nil
	})
	sort.SliceStable(out, func(i, j int) bool { return out[i].At.Before(out[j].At) })
	return out, err
}

// AddPenalty records a penalty with its audit entry.
func (s *Store) AddPenalty(ctx context.Context, m audit.Meta, r partner.PenaltyRecord) error {
	return s.createDoc(ctx, m, partnerPK(r.PartnerID), skPenalty+r.Penalty.Quarter.String()+"#"+r.ID, "penalty",
		audit.Entity("partner", r.PartnerID), "partner.penalty", r)
}

// Penalties lists a partner's penalties whose quarter begins with prefix
// ("2026-Q2" for a quarter, "2026-" for a year).
func (s *Store) Penalties(ctx context.Context, partnerID, prefix string) ([]partner.PenaltyRecord, error) {
	return docsOf[partner.PenaltyRecord](ctx, s, partnerPK(partnerID), skPenalty+prefix)
}

// AddStaffChange records a core-staff change with its audit entry.
func (s *Store) AddStaffChange(ctx context.Context, m audit.Meta, r partner.StaffChangeRecord) error {
	return s.createDoc(ctx, m, partnerPK(r.PartnerID), skStaff+r.Quarter.String()+"#"+r.ID, "staff_change",
		audit.Entity("partner", r.PartnerID), "partner.staff_change", r)
}

// StaffChanges lists a partner's core-staff changes whose quarter begins with prefix.
func (s *Store) StaffChanges(ctx context.Context, partnerID, prefix string) ([]partner.StaffChangeRecord, error) {
	return docsOf[partner.StaffChangeRecord](ctx, s, partnerPK(partnerID), skStaff+prefix)
}

// Round reads a partner's settlement of a quarter; found is false when none.
func (s *Store) Round(ctx context.Context, partnerID string, q period.Quarter) (settlement.RoundSummary, bool, error) {
	var it docItem
	ok, err := s.get(ctx, partnerPK(partnerID), skRound+q.String(), &it)
	if err != nil || !ok {
		return settlement.RoundSummary{}, false, err
	}
	var r settlement.RoundSummary
	if err := json.Unmarshal([]byte(it.Doc), &r); err != nil {
		return r, false, err
	}
	r.Version = it.Ver
	return r, true, nil
}

// RoundBefore reads a partner's latest settlement before quarter q, which
// carries its uncovered charges and recoveries into q; found is false when none.
func (s *Store) RoundBefore(ctx context.Context, partnerID string, q period.Quarter) (settlement.RoundSummary, bool, error) {
	res, err := s.db.Query(ctx, &dynamodb.QueryInput{
		TableName:              aws.String(s.table),
		KeyConditionExpression: aws.String("pk = :pk AND sk BETWEEN :lo AND :hi"),
		ExpressionAttributeValues: map[string]ddb.AttributeValue{
			":pk": &ddb.AttributeValueMemberS{Value: partnerPK(partnerID)},
			":lo": &ddb.AttributeValueMemberS{Value: skRound},
			":hi": &ddb.AttributeValueMemberS{Value: skRound + q.Add(-1).String()},
		},
		ScanIndexForward: aws.Bool(false),
		Limit:            aws.Int32(1),
		ConsistentRead:   aws.Bool(true),
	})
	if err != nil {
		return settlement.RoundSummary{}, false, fmt.Errorf("store: round before %s of %s: %w", q, partnerID, err)
	}
	if len(res.Items) == 0 {
		return settlement.RoundSummary{}, false, nil
	}
	var it docItem
	if err := attributevalue.UnmarshalMap(res.Items[0], &it); err != nil {
		return settlement.RoundSummary{}, false, err
	}
	var r settlement.RoundSummary
	if err := json.Unmarshal([]byte(it.Doc), &r); err != nil {
		return r, false, err
	}
	r.Version = it.Ver
	return r, true, nil
}
