package store

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddb "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"productgov/shared/audit"
	"productgov/shared/id"
	"productgov/shared/period"
	"productgov/shared/problem"
	"productgov/shared/product"
	"productgov/shared/reason"
)

// Product keys:
//
//	pk PRODUCT#<id>  sk PRODUCT
//	gsi1 STAGE#<stage>#<shard> / <level>#<id>   (by stage; in-scope listing for the assessment)
//
// The stage key is sharded by the product id (ShardOf): a national run
// updates products of two stages, which on one key each would be two hot
// partitions. Listing by level reads the stages' shards narrowed to the
// level's prefix, so a product writes one index entry, not two.
const skProduct = "PRODUCT"

func productPK(id string) string { return "PRODUCT#" + id }

type productItem struct {
	keys
	Type          string   `dynamodbav:"type"`
	Ver           int64    `dynamodbav:"ver"`
	ID            string   `dynamodbav:"id"`
	Name          string   `dynamodbav:"name"`
	Level         string   `dynamodbav:"level"`
	Mode          string   `dynamodbav:"mode"`
	PartnerID     string   `dynamodbav:"partnerId,omitempty"`
	Strategic     bool     `dynamodbav:"strategic"`
	Customers     int64    `dynamodbav:"customers"`
	Stage         string   `dynamodbav:"stage"`
	NoticeDate    string   `dynamodbav:"noticeDate,omitempty"`
	ExemptUntil   string   `dynamodbav:"exemptUntil,omitempty"`
	Phase         string   `dynamodbav:"phase,omitempty"`
	StageSince    string   `dynamodbav:"stageSince"`
	HadSpend      bool     `dynamodbav:"hadSpend"`
	PlanDueDate   string   `dynamodbav:"planDueDate,omitempty"`
	Flags         []string `dynamodbav:"flags,omitempty,stringset"`
	LastCommittee string   `dynamodbav:"lastCommittee,omitempty"`
	PhaseMonth    string   `dynamodbav:"phaseMonth,omitempty"`
	PlanSubmitted string   `dynamodbav:"planSubmitted,omitempty"`
	InitialPhase  string   `dynamodbav:"initialPhase,omitempty"`
	Exit          string   `dynamodbav:"exit,omitempty"`
	Suspension    string   `dynamodbav:"suspension,omitempty"`
	SIAgreement   string   `dynamodbav:"siAgreement,omitempty"`
	CreatedBy     string   `dynamodbav:"createdBy"`
	CreatedAt     string   `dynamodbav:"createdAt"`
	UpdatedAt     string   `dynamodbav:"updatedAt"`
}

// stageKey is the gsi1 partition of a stage's products: STAGE#<stage>.
func stageKey(st product.Stage) string { return "STAGE#" + string(st) }

// StageShardKey is the gsi1 partition of one shard of a stage's products.
func StageShardKey(st product.Stage, shard int) string { return shardKey(stageKey(st), shard) }

// ProductIndexKeys are a product's gsi1 key and sort key (exported for the
// benchmark's direct floor, which writes the same items).
func ProductIndexKeys(p product.Product, shards int) (pk, sk string) {
	return shardKey(stageKey(p.Stage), ShardOf(p.ID, shards)), string(p.Level) + "#" + p.ID
}

// ownerKey is the gsi2 partition of the products a person registered:
// OWNER#<sub>#<shard>, sharded by product id, since an admin who registers a
// whole province's existing products would otherwise write them all to one
// key. Empty (no index entry) for a product without a creator.
func ownerKey(p product.Product, shards int) string {
	if p.CreatedBy == "" {
		return ""
	}
	return shardKey("OWNER#"+p.CreatedBy, ShardOf(p.ID, shards))
}

// IndexOwners gives each product written before the owner index its gsi2
// entry, a page of the listing at a time; a product that has one is left
// alone. It returns how many it indexed: for a table from before the index
// (`make run`'s, kept in var/).
func (s *Store) IndexOwners(ctx context.Context) (int, error) {
	n, cursor := 0, ""
	for {
		page, next, err := s.ListProducts(ctx, product.Filter{}, cursor, 100)
		if err != nil {
			return n, err
		}
		for _, p := range page {
			pk := ownerKey(p, s.Shards())
			if pk == "" {
				continue
			}
			_, err := s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: aws.String(s.table), Key: keyOf(productPK(p.ID), skProduct),
				UpdateExpression:    aws.String("SET gsi2pk = :pk, gsi2sk = :sk"),
				ConditionExpression: aws.String("attribute_exists(pk) AND attribute_not_exists(gsi2pk)"),
				ExpressionAttributeValues: map[string]ddb.AttributeValue{
					":pk": &ddb.AttributeValueMemberS{Value: pk}, ":sk": &ddb.AttributeValueMemberS{Value: p.ID}}})
			switch {
			case err == nil:
				n++
			case !isConditionFailure(err):
				return n, fmt.Errorf("store: index the owner of %s: %w", p.ID, err)
			}
		}
		if next == "" {
			return n, nil
		}
		cursor = next
	}
}

func (s *Store) toProductItem(p product.Product) productItem {
	gpk, gsk := ProductIndexKeys(p, s.Shards())
	it := productItem{
		keys: keys{PK: productPK(p.ID), SK: skProduct, GSI1PK: gpk, GSI1SK: gsk, GSI2PK: ownerKey(p, s.Shards()), GSI2SK: p.ID},
		Type: "product", Ver: p.Version, ID: p.ID, Name: p.Name, Level: string(p.Level), Mode: string(p.Mode),
		PartnerID: p.PartnerID, Strategic: p.Strategic, Customers: p.Customers, Stage: string(p.Stage),
		Phase: string(p.Phase), InitialPhase: string(p.InitialPhase), StageSince: p.StageSince.String(), HadSpend: p.HadSpend, Flags: p.Flags,
		CreatedBy: p.CreatedBy, CreatedAt: p.CreatedAt.UTC().Format(time.RFC3339Nano),
		UpdatedAt: p.UpdatedAt.UTC().Format(time.RFC3339Nano),
	}
	if p.NoticeDate != nil {
		it.NoticeDate = p.NoticeDate.String()
	}
	if p.ExemptUntil != nil {
		it.ExemptUntil = p.ExemptUntil.String()
	}
	if p.PlanDueDate != nil {
		it.PlanDueDate = p.PlanDueDate.String()
	}
	if p.LastCommitteeDecision != nil {
		it.LastCommittee = p.LastCommitteeDecision.String()
	}
	if p.PhaseMonth != nil {
		it.PhaseMonth = p.PhaseMonth.String()
	}
	if p.PlanSubmittedOn != nil {
		it.PlanSubmitted = p.PlanSubmittedOn.String()
	}
	if p.Exit != nil {
		b, _ := json.Marshal(p.Exit)
		it.Exit = string(b)
	}
	if p.Suspension != nil {
		b, _ := json.Marshal(p.Suspension)
		it.Suspension = string(b)
	}
	if p.SIAgreement != nil {
		b, _ := json.Marshal(p.SIAgreement)
		it.SIAgreement = string(b)
	}
	return it
}

func (it productItem) product() product.Product {
	p := product.Product{
		ID: it.ID, Name: it.Name, Level: product.Level(it.Level), Mode: product.Mode(it.Mode), PartnerID: it.PartnerID,
		Strategic: it.Strategic, Customers: it.Customers, Stage: product.Stage(it.Stage), Phase: product.Phase(it.Phase), InitialPhase: product.Phase(it.InitialPhase),
		HadSpend: it.HadSpend, Flags: it.Flags, Version: it.Ver, CreatedBy: it.CreatedBy,
	}
	p.StageSince, _ = period.ParseDate(it.StageSince)
	if d, err := period.ParseDate(it.NoticeDate); err == nil {
		p.NoticeDate = &d
	}
	if m, err := period.ParseMonth(it.ExemptUntil); err == nil {
		p.ExemptUntil = &m
	}
	if d, err := period.ParseDate(it.PlanDueDate); err == nil {
		p.PlanDueDate = &d
	}
	if d, err := period.ParseDate(it.LastCommittee); err == nil {
		p.LastCommitteeDecision = &d
	}
	if m, err := period.ParseMonth(it.PhaseMonth); err == nil {
		p.PhaseMonth = &m
	}
	if d, err := period.ParseDate(it.PlanSubmitted); err == nil {
		p.PlanSubmittedOn = &d
	}
	if it.Exit != "" {
		var e product.Exit
		if json.Unmarshal([]byte(it.Exit), &e) == nil {
			p.Exit = &e
		}
	}
	if it.Suspension != "" {
		var sp product.Suspension
		if json.Unmarshal([]byte(it.Suspension), &sp) == nil {
			p.Suspension = &sp
		}
	}
	if it.SIAgreement != "" {
		var a product.SIAgreement
		if json.Unmarshal([]byte(it.SIAgreement), &a) == nil {
			p.SIAgreement = &a
		}
	}
	p.CreatedAt, _ = time.Parse(time.RFC3339Nano, it.CreatedAt)
	p.UpdatedAt, _ = time.Parse(time.RFC3339Nano, it.UpdatedAt)
	return p
}

// stageChangeItem is one entry of a product's stage history:
// pk PRODUCT#<id>, sk STAGE#<at>#<rand>.
type stageChangeItem struct {
	keys
	Type          string            `dynamodbav:"type"`
	ProductID     string            `dynamodbav:"productId"`
	From          string            `dynamodbav:"from,omitempty"`
	To            string            `dynamodbav:"to"`
	At            string            `dynamodbav:"at"`
	By            string            `dynamodbav:"by"`
	DecisionID    string            `dynamodbav:"decisionId,omitempty"`
	Reason        string            `dynamodbav:"reason"`
	CauseCode     string            `dynamodbav:"causeCode,omitempty"`
	CauseParams   map[string]string `dynamodbav:"causeParams,omitempty"`
	PolicyVersion string            `dynamodbav:"policyVersion"`
}

func (s *Store) stageChangePut(ch product.StageChange) (ddb.TransactWriteItem, error) {
	at := ch.At.UTC().Format(time.RFC3339Nano)
	return s.putItem(stageChangeItem{
		keys: keys{PK: productPK(ch.ProductID), SK: "STAGE#" + at + "#" + id.New("s")},
		Type: "stage_change", ProductID: ch.ProductID, From: string(ch.From), To: string(ch.To), At: at, By: ch.By,
		DecisionID: ch.DecisionID, Reason: ch.Reason, CauseCode: ch.Cause.Code, CauseParams: ch.Cause.Params, PolicyVersion: ch.PolicyVersion,
	}, condNew, nil)
}

// CreateProduct writes a new product, its first stage-history entry and the
// audit entry in one transaction. It returns a conflict when the id exists,
// which is how a repeated create with the same idempotency key is detected.
func (s *Store) CreateProduct(ctx context.Context, m audit.Meta, p product.Product, first product.StageChange) error {
	p.Version = 1
	put, err := s.putItem(s.toProductItem(p), condNew, nil)
	if err != nil {
		return err
	}
	hist, err := s.stageChangePut(first)
	if err != nil {
		return err
	}
	aud, err := s.auditPut(m, audit.Entity("product", p.ID), "product.create", nil, p)
	if err != nil {
		return err
	}
	err = s.transact(ctx, []ddb.TransactWriteItem{put, hist, aud})
	if cancelledAt(err, 0) {
		return problem.Conflict("product %s already exists", p.ID)
	}
	if err != nil {
		return fmt.Errorf("store: create product %s: %w", p.ID, err)
	}
	return nil
}

// GetProduct reads one product; not_found when it does not exist.
func (s *Store) GetProduct(ctx context.Context, id string) (product.Product, error) {
	var it productItem
	ok, err := s.get(ctx, productPK(id), skProduct, &it)
	if err != nil {
		return product.Product{}, fmt.Errorf("store: get product %s: %w", id, err)
	}
	if !ok {
		return product.Product{}, problem.NotFound("product", id)
	}
	return it.product(), nil
}

// UpdateProduct applies fn to the current product and writes the result only
// if nobody changed the product meanwhile; on a clash it reads again and
// re-applies fn, so concurrent updates all land. fn must not have side effects.
func (s *Store) UpdateProduct(ctx context.Context, m audit.Meta, id string, fn func(*product.Product) (product.Change, error)) (product.Product, error) {
	return s.updateProduct(ctx, m, id, nil, fn)
}

// UpdateReadProduct is UpdateProduct for a product the caller has just read:
// its first attempt writes against that read's version without reading again,
// and only a clash costs a fresh read (the monthly job updates whole pages).
func (s *Store) UpdateReadProduct(ctx context.Context, m audit.Meta, read product.Product, fn func(*product.Product) (product.Change, error)) (product.Product, error) {
	return s.updateProduct(ctx, m, read.ID, &read, fn)
}

func (s *Store) updateProduct(ctx context.Context, m audit.Meta, id string, read *product.Product, fn func(*product.Product) (product.Change, error)) (product.Product, error) {
	for attempt := 0; ; attempt++ {
		var before product.Product
		var err error
		if attempt == 0 && read != nil {
			before = *read
		} else if before, err = s.GetProduct(ctx, id); err != nil {
			return product.Product{}, err
		}
		after := before
		after.Flags = append([]string(nil), before.Flags...)
		upd, err := fn(&after)
		if err != nil {
			return product.Product{}, err
		}
		after.ID = before.ID
		after.Version = before.Version + 1
		after.UpdatedAt = m.At.UTC()
		put, err := s.putItem(s.toProductItem(after), condVersion, versionIs(before.Version))
		if err != nil {
			return product.Product{}, err
		}
		items := []ddb.TransactWriteItem{put}
		if upd.StageChange != nil {
			h, err := s.stageChangePut(*upd.StageChange)
			if err != nil {
				return product.Product{}, err
			}
			items = append(items, h)
		}
		action := upd.Action
		if action == "" {
			action = "product.update"
		}
		aud, err := s.auditPut(m, audit.Entity("product", id), action, before, after)
		if err != nil {
			return product.Product{}, err
		}
		items = append(items, aud)
		err = s.transact(ctx, items)
		if err == nil {
			return after, nil
		}
		if !isConditionFailure(err) || attempt >= maxUpdateAttempts {
			return product.Product{}, fmt.Errorf("store: update product %s: %w", id, err)
		}
		if err := backoff(ctx, attempt); err != nil {
			return product.Product{}, err
		}
	}
}

// ListProducts lists products a page at a time through gsi1: a stage's
// shards (optionally narrowed to a level), or every stage's shards in turn
// narrowed to a level or not; the cursor remembers the shard.
func (s *Store) ListProducts(ctx context.Context, f product.Filter, cursor string, limit int32) ([]product.Product, string, error) {
	if f.CreatedBy != "" {
		// A person's products: the shards of their gsi2 key, in id order
		// within a shard.
		p, err := s.walk(ctx, partitions{index: IndexGSI2, pkAttr: "gsi2pk", pks: s.shardKeys("OWNER#" + f.CreatedBy)}, cursor, limit)
		if err != nil {
			return nil, "", err
		}
		out, err := decodeProducts(p.items)
		return out, p.cursor, err
	}
	stages := product.Stages
	if f.Stage != "" {
		stages = []product.Stage{f.Stage}
	}
	parts := partitions{index: IndexGSI1, pkAttr: "gsi1pk", skAttr: "gsi1sk"}
	for _, st := range stages {
		parts.pks = append(parts.pks, s.shardKeys(stageKey(st))...)
	}
	if f.Level != "" {
		parts.prefix = string(f.Level) + "#"
	}
	p, err := s.walk(ctx, parts, cursor, limit)
	if err != nil {
		return nil, "", err
	}
	out, err := decodeProducts(p.items)
	return out, p.cursor, err
}

// ProductsInShard lists one page of the products of a stage (and level, when
// given) in one shard of gsi1: the assessment's unit of work (a Map item), so
// a run's segments spread over every shard.
func (s *Store) ProductsInShard(ctx context.Context, stage product.Stage, level product.Level, shard int, cursor string, limit int32) ([]product.Product, string, error) {
	if shard < 0 || shard >= s.Shards() {
		return nil, "", fmt.Errorf("store: shard %d outside 0..%d", shard, s.Shards()-1)
	}
	prefix := ""
	if level != "" {
		prefix = string(level) + "#"
	}
	p, err := s.queryPage(ctx, IndexGSI1, "gsi1pk", shardKey(stageKey(stage), shard), "gsi1sk", prefix, cursor, limit, true)
	if err != nil {
		return nil, "", err
	}
	out, err := decodeProducts(p.items)
	return out, p.cursor, err
}

func decodeProducts(items []map[string]ddb.AttributeValue) ([]product.Product, error) {
	out := make([]product.Product, 0, len(items))
	for _, raw := range items {
		var it productItem
		if err := attributevalue.UnmarshalMap(raw, &it); err != nil {
			return nil, fmt.Errorf("store: product unmarshal: %w", err)
		}
		out = append(out, it.product())
	}
	return out, nil
}

// StageHistory lists a product's stage changes, oldest first.
func (s *Store) StageHistory(ctx context.Context, id string) ([]product.StageChange, error) {
	var out []product.StageChange
	cursor := ""
	for {
		p, err := s.queryPage(ctx, "", "pk", productPK(id), "sk", "STAGE#", cursor, 200, true)
		if err != nil {
			return nil, err
		}
		for _, raw := range p.items {
			var it stageChangeItem
			if err := attributevalue.UnmarshalMap(raw, &it); err != nil {
				return nil, fmt.Errorf("store: stage change unmarshal: %w", err)
			}
			at, _ := time.Parse(time.RFC3339Nano, it.At)
			out = append(out, product.StageChange{ProductID: it.ProductID, From: product.Stage(it.From), To: product.Stage(it.To),
				At: at, By: it.By, DecisionID: it.DecisionID, Reason: it.Reason, Cause: reason.Reason{Code: it.CauseCode, Params: it.CauseParams},
				PolicyVersion: it.PolicyVersion})
		}
		if p.cursor == "" {
			return out, nil
		}
		cursor = p.cursor
	}
}

// ProductsExist returns which of the ids exist, with batched reads.
func (s *Store) ProductsExist(ctx context.Context, ids []string) (map[string]bool, error) {
	names, err := s.ProductNames(ctx, ids)
	found := make(map[string]bool, len(names))
	for id := range names {
		found[id] = true
	}
	return found, err
}

// ProductNames returns the names of the ids that exist, with batched reads
// of the two attributes only (a page names the products it lists without
// reading the whole portfolio).
func (s *Store) ProductNames(ctx context.Context, ids []string) (map[string]string, error) {
	names := map[string]string{}
	uniq := dedupe(ids)
	for start := 0; start < len(uniq); start += 100 {
		var ks []map[string]ddb.AttributeValue
		for _, id := range uniq[start:min(start+100, len(uniq))] {
			ks = append(ks, keyOf(productPK(id), skProduct))
		}
		err := s.batchGet(ctx, ks, "id, #n", map[string]string{"#n": "name"}, func(item map[string]ddb.AttributeValue) {
			id, _ := item["id"].(*ddb.AttributeValueMemberS)
			name, _ := item["name"].(*ddb.AttributeValueMemberS)
			if id != nil && name != nil {
				names[id.Value] = name.Value
			}
		})
		if err != nil {
			return nil, fmt.Errorf("store: batch get products: %w", err)
		}
	}
	return names, nil
}

func dedupe(ids []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, id := range ids {
		if !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	return out
}

// Exit-notice keys: pk EXITNOTICE, sk <date>#<productId>, one item per natural
// exit waiting for its notice date, so the daily job finds the due ones with
// one Query; pk EXITNOTICE#<productId> points back to it for deletion.
const exitNoticePK = "EXITNOTICE"

// PutExitNotice records that a product's natural exit notice is due on date.
func (s *Store) PutExitNotice(ctx context.Context, productID string, date period.Date) error {
	items := []ddbWrite{}
	for _, k := range []keys{{PK: exitNoticePK, SK: date.String() + "#" + productID}, {PK: exitNoticePK + "#" + productID, SK: date.String()}} {
		put, err := s.putItem(struct {
			keys
			ProductID string `dynamodbav:"productId"`
			Date      string `dynamodbav:"date"`
		}{k, productID, date.String()}, "", nil)
		if err != nil {
			return err
		}
		items = append(items, put)
	}
	if err := s.transact(ctx, items); err != nil {
		return fmt.Errorf("store: exit notice %s: %w", productID, err)
	}
	return nil
}

// DueExitNotices lists the products whose notice date is today or earlier.
func (s *Store) DueExitNotices(ctx context.Context, today period.Date) ([]string, error) {
	var out []string
	in := queryInput(s.table, "", "pk = :pk AND sk <= :today", nil, map[string]ddb.AttributeValue{
		":pk": &ddb.AttributeValueMemberS{Value: exitNoticePK}, ":today": &ddb.AttributeValueMemberS{Value: today.String() + "#~"}}, 100, true)
	cursor := ""
	for {
		p, err := s.runQuery(ctx, in, cursor)
		if err != nil {
			return nil, err
		}
		for _, raw := range p.items {
			if v, ok := raw["productId"].(*ddb.AttributeValueMemberS); ok {
				out = append(out, v.Value)
			}
		}
		if p.cursor == "" {
			return out, nil
		}
		cursor = p.cursor
	}
}

// DeleteExitNotice removes a product's pending notice once published.
func (s *Store) DeleteExitNotice(ctx context.Context, productID string) error {
	p, err := s.queryPage(ctx, "", "pk", exitNoticePK+"#"+productID, "", "", "", 10, true)
	if err != nil {
		return err
	}
	items := []ddbWrite{}
	for _, raw := range p.items {
		date := raw["sk"].(*ddb.AttributeValueMemberS).Value
		for _, k := range [][2]string{{exitNoticePK, date + "#" + productID}, {exitNoticePK + "#" + productID, date}} {
			items = append(items, ddbWrite{Delete: &ddb.Delete{TableName: &s.table, Key: keyOf(k[0], k[1])}})
		}
	}
	if len(items) == 0 {
		return nil
	}
	if err := s.transact(ctx, items); err != nil {
		return fmt.Errorf("store: delete exit notice %s: %w", productID, err)
	}
	return nil
}
