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
	"productgov/shared/period"
	"productgov/shared/problem"
	"productgov/shared/product"
)

// Assessment keys: pk ASSESS#<YYYY-MM>#<result partition>, sk <productId> —
// one record per product and month, rewritten identically by a re-run, under
// one of ResultPartitions keys by the product id, so a national run's writes
// spread; a month's results are a walk over the partitions, the month
// before's a batched read. The run: pk RUN#ASSESS#<month>, sk RUN.
func (s *Store) assessPK(m period.Month, productID string) string {
	return AssessmentKey(m, productID)
}

// AssessmentKey is the partition of a product's result for a month (exported
// for the benchmark's direct floor, which writes the same items).
func AssessmentKey(m period.Month, productID string) string {
	return shardKey("ASSESS#"+m.String(), ShardOf(productID, ResultPartitions))
}

// ResultPartitions is how many keys a month's results spread over. A result
// is 2-3 KB (3 write units) and the assessment's 32 children write a page of
// 99 about every second each, ~9,500 write units a second in all: over 64
// keys, ~150 a key. It is fixed, not KEY_SHARDS, because a result is found
// by its product id next month: a key that moved with the configuration
// would lose last month's results.
const ResultPartitions = 64

type assessmentItem struct {
	keys
	Type      string `dynamodbav:"type"`
	ProductID string `dynamodbav:"productId"`
	Month     string `dynamodbav:"month"`
	Doc       string `dynamodbav:"doc"`
}

// PutAssessmentDocs writes result documents (JSON, keyed by product) of a month
// with BatchWriteItem, 25 at a time.
func (s *Store) PutAssessmentDocs(ctx context.Context, m period.Month, docs map[string][]byte) error {
	return s.putAssessments(ctx, m, docs, nil)
}

// PageTally is one page of a run's tally: what the page counted and listed,
// so the run's report and its exits are read from a few tallies instead of
// every result (pk ASSESSPAGES#<month>#<run>#<shard>, sk the page's key).
// The key carries the segment's shard: every child execution of the Map
// writes a tally a page, which on one key per run would be the run's
// hottest partition.
type PageTally struct {
	Run   int
	Shard int
	Key   string
	Doc   []byte
}

// PutAssessmentPage writes a page's results and its tally in the same batched
// writes; a repeated page overwrites both.
func (s *Store) PutAssessmentPage(ctx context.Context, m period.Month, docs map[string][]byte, tally PageTally) error {
	return s.putAssessments(ctx, m, docs, &tally)
}

func pagesKey(m period.Month, run int) string { return fmt.Sprintf("ASSESSPAGES#%s#%d", m, run) }

// AllShards asks AssessmentPages for the tallies of every shard.
const AllShards = -1

// EachAssessmentPage calls fn with each page tally of a month's run, a
// query page at a time so no more than one page is held: of one shard whose
// keys begin with prefix ("<stage>/<shard>#": one segment's), or of every
// shard (AllShards).
func (s *Store) EachAssessmentPage(ctx context.Context, m period.Month, run, shard int, prefix string, fn func(doc []byte) error) error {
	parts := partitions{pkAttr: "pk", skAttr: "sk", prefix: prefix, pks: s.shardKeys(pagesKey(m, run))}
	if shard != AllShards {
		parts.pks = []string{shardKey(pagesKey(m, run), shard)}
	}
	return s.eachTally(ctx, parts, fn)
}

// PutJobPage writes the tally of one page of a job's run (the SI
// settlement's pages, SPEC 4.3): pk PAGES#<kind>#<period>#<run>#<shard>, sk
// the page's key; a repeated page overwrites its tally, so a retried page
// never counts twice.
func (s *Store) PutJobPage(ctx context.Context, kind, period string, tally PageTally) error {
	av, err := attributevalue.MarshalMap(assessmentItem{keys: keys{PK: shardKey(jobPagesKey(kind, period, tally.Run), tally.Shard), SK: tally.Key},
		Type: "job_page", Doc: string(tally.Doc)})
	if err != nil {
		return err
	}
	if _, err := s.db.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(s.table), Item: av}); err != nil {
		return fmt.Errorf("store: put the page tally %s of %s %s: %w", tally.Key, kind, period, err)
	}
	return nil
}

func jobPagesKey(kind, period string, run int) string {
	return fmt.Sprintf("PAGES#%s#%s#%d", kind, period, run)
}

// EachJobPage calls fn with each page tally of a job's run, a query page at
// a time, over every shard.
func (s *Store) EachJobPage(ctx context.Context, kind, period string, run int, fn func(doc []byte) error) error {
	return s.eachTally(ctx, partitions{pkAttr: "pk", skAttr: "sk", pks: s.shardKeys(jobPagesKey(kind, period, run))}, fn)
}

// eachTally calls fn with the doc of every item of the partitions, 100 items
// (a tally is at most a few KB: far below a query's 1 MB) a query.
func (s *Store) eachTally(ctx context.Context, parts partitions, fn func(doc []byte) error) error {
	cursor := ""
	for {
		p, err := s.walk(ctx, parts, cursor, 100)
		if err != nil {
			return err
		}
		for _, raw := range p.items {
			if doc, ok := raw["doc"].(*ddb.AttributeValueMemberS); ok {
				if err := fn([]byte(doc.Value)); err != nil {
					return err
				}
			}
		}
		if p.cursor == "" {
			return nil
		}
		cursor = p.cursor
	}
}

func (s *Store) putAssessments(ctx context.Context, m period.Month, docs map[string][]byte, tally *PageTally) error {
	reqs := make([]ddb.WriteRequest, 0, len(docs)+1)
	if tally != nil {
		av, err := attributevalue.MarshalMap(assessmentItem{keys: keys{PK: shardKey(pagesKey(m, tally.Run), tally.Shard), SK: tally.Key}, Type: "assessment_page",
			Month: m.String(), Doc: string(tally.Doc)})
		if err != nil {
			return err
		}
		reqs = append(reqs, ddb.WriteRequest{PutRequest: &ddb.PutRequest{Item: av}})
	}
	for pid, doc := range docs {
		av, err := attributevalue.MarshalMap(assessmentItem{keys: keys{PK: s.assessPK(m, pid), SK: pid}, Type: "assessment",
			ProductID: pid, Month: m.String(), Doc: string(doc)})
		if err != nil {
			return err
		}
		reqs = append(reqs, ddb.WriteRequest{PutRequest: &ddb.PutRequest{Item: av}})
	}
	if err := s.batchWrite(ctx, reqs); err != nil {
		return fmt.Errorf("store: put assessments %s: %w", m, err)
	}
	return nil
}

// AssessmentDocs reads result documents of one month for many products with
// BatchGetItem; missing ones are absent.
func (s *Store) AssessmentDocs(ctx context.Context, m period.Month, ids []string) (map[string][]byte, error) {
	out := make(map[string][]byte, len(ids))
	for start := 0; start < len(ids); start += 100 {
		var ks []map[string]ddb.AttributeValue
		for _, id := range ids[start:min(start+100, len(ids))] {
			ks = append(ks, keyOf(s.assessPK(m, id), id))
		}
		err := s.batchGet(ctx, ks, "productId, doc", nil, func(item map[string]ddb.AttributeValue) {
			pid, _ := item["productId"].(*ddb.AttributeValueMemberS)
			doc, _ := item["doc"].(*ddb.AttributeValueMemberS)
			if pid != nil && doc != nil {
				out[pid.Value] = []byte(doc.Value)
			}
		})
		if err != nil {
			return nil, fmt.Errorf("store: assessments %s: %w", m, err)
		}
	}
	return out, nil
}

// batchGet reads keys with BatchGetItem, retrying unprocessed keys, and hands
// each item to fn.
func (s *Store) batchGet(ctx context.Context, ks []map[string]ddb.AttributeValue, projection string, names map[string]string, fn func(map[string]ddb.AttributeValue)) error {
	ka := ddb.KeysAndAttributes{Keys: ks}
	if projection != "" {
		ka.ProjectionExpression = aws.String(projection)
	}
	if len(names) > 0 {
		ka.ExpressionAttributeNames = names
	}
	req := map[string]ddb.KeysAndAttributes{s.table: ka}
	for attempt := 0; len(req) > 0; attempt++ {
		res, err := s.db.BatchGetItem(ctx, &dynamodb.BatchGetItemInput{RequestItems: req})
		if err != nil {
			return err
		}
		for _, item := range res.Responses[s.table] {
			fn(item)
		}
		req = res.UnprocessedKeys
		if len(req) > 0 {
			if err := backoff(ctx, attempt); err != nil {
				return err
			}
		}
	}
	return nil
}

// MonthAssessmentDocs lists a month's result documents shard by shard, in
// product order within a shard, a page at a time.
func (s *Store) MonthAssessmentDocs(ctx context.Context, m period.Month, cursor string, limit int32) ([][]byte, string, error) {
	pks := make([]string, ResultPartitions)
	for i := range pks {
		pks[i] = shardKey("ASSESS#"+m.String(), i)
	}
	p, err := s.walk(ctx, partitions{pkAttr: "pk", pks: pks}, cursor, limit)
	if err != nil {
		return nil, "", err
	}
	out := make([][]byte, 0, len(p.items))
	for _, raw := range p.items {
		if doc, ok := raw["doc"].(*ddb.AttributeValueMemberS); ok {
			out = append(out, []byte(doc.Value))
		}
	}
	return out, p.cursor, nil
}

// Run is a scheduled or on-demand job's record for one period: which policy
// version decided it, and how it stands.
type Run struct {
	Kind          string `json:"kind"`
	Period        string `json:"period"`
	PolicyVersion string `json:"policyVersion"`
	// Status is running, succeeded or failed (RunFailed).
	Status string `json:"status"`
	// Error and Cause say what stopped a failed run.
	Error      string          `json:"error,omitempty"`
	Cause      string          `json:"cause,omitempty"`
	StartedAt  time.Time       `json:"startedAt"`
	FinishedAt *time.Time      `json:"finishedAt,omitempty"`
	Summary    json.RawMessage `json:"summary,omitempty"`
	Runs       int             `json:"runs"`
	// CatchUpFor names the later month whose run assessed this month as a
	// missing month (SPEC 3 "Missing months").
	CatchUpFor string `json:"catchUpFor,omitempty"`
	// Failures names what failed in a run that ended failed.
	Failures []RunFailure `json:"failures,omitempty"`
}

// RunFailure is one part of a job run that failed: the partner (settlement
// jobs), product (assessment catch-up) or segment (a child execution of the
// assessment's Map) and why.
type RunFailure struct {
	PartnerID string `json:"partnerId,omitempty"`
	ProductID string `json:"productId,omitempty"`
	Segment   string `json:"segment,omitempty"`
	Error     string `json:"error"`
	Cause     string `json:"cause,omitempty"`
}

// PutRunFailure records one failed part of a run beside the run's record
// (pk RUN#<kind>#<period>, sk FAIL#<run>#<key>): the parts fail in parallel
// child executions, so each writes an item of its own instead of rewriting
// the run record.
func (s *Store) PutRunFailure(ctx context.Context, kind, period string, run int, key string, f RunFailure) error {
	doc, err := json.Marshal(f)
	if err != nil {
		return err
	}
	put, err := s.putItem(runItem{keys: keys{PK: runPK(kind, period), SK: fmt.Sprintf("FAIL#%d#%s", run, key)}, Type: "run_failure", Doc: string(doc)}, "", nil)
	if err != nil {
		return err
	}
	if err := s.transact(ctx, []ddbWrite{put}); err != nil {
		return fmt.Errorf("store: put run failure %s %s: %w", kind, period, err)
	}
	return nil
}

// RunFailures reads the failed parts recorded for one run of a period.
func (s *Store) RunFailures(ctx context.Context, kind, period string, run int) ([]RunFailure, error) {
	var out []RunFailure
	cursor := ""
	for {
		p, err := s.queryPage(ctx, "", "pk", runPK(kind, period), "sk", fmt.Sprintf("FAIL#%d#", run), cursor, 100, true)
		if err != nil {
			return nil, err
		}
		for _, raw := range p.items {
			var f RunFailure
			if doc, ok := raw["doc"].(*ddb.AttributeValueMemberS); ok && json.Unmarshal([]byte(doc.Value), &f) == nil {
				out = append(out, f)
			}
		}
		if p.cursor == "" {
			return out, nil
		}
		cursor = p.cursor
	}
}

type runItem struct {
	keys
	Type string `dynamodbav:"type"`
	Doc  string `dynamodbav:"doc"`
}

// RunFailed is the status of a job run that stopped on an error.
const RunFailed = "failed"

func runPK(kind, period string) string { return "RUN#" + kind + "#" + period }

// GetRun reads a run record; not_found when the period never ran.
func (s *Store) GetRun(ctx context.Context, kind, period string) (Run, error) {
	var it runItem
	ok, err := s.get(ctx, runPK(kind, period), "RUN", &it)
	if err != nil {
		return Run{}, fmt.Errorf("store: get run %s %s: %w", kind, period, err)
	}
	if !ok {
		return Run{}, problem.NotFound(kind+" run", period)
	}
	var r Run
	return r, json.Unmarshal([]byte(it.Doc), &r)
}

// PutRun writes a run record with its audit entry.
func (s *Store) PutRun(ctx context.Context, m audit.Meta, r Run) error {
	doc, err := json.Marshal(r)
	if err != nil {
		return err
	}
	put, err := s.putItem(runItem{keys: keys{PK: runPK(r.Kind, r.Period), SK: "RUN"}, Type: "run", Doc: string(doc)}, "", nil)
	if err != nil {
		return err
	}
	aud, err := s.auditPut(m, audit.Entity("run", r.Kind+"/"+r.Period), "run."+r.Status, nil, r)
	if err != nil {
		return err
	}
	if err := s.transact(ctx, []ddbWrite{put, aud}); err != nil {
		return fmt.Errorf("store: put run %s %s: %w", r.Kind, r.Period, err)
	}
	return nil
}

// ProductsPage lists one page of the products of a stage and level from gsi1
// across its shards (never a Scan).
func (s *Store) ProductsPage(ctx context.Context, stage product.Stage, level product.Level, cursor string, limit int32) ([]product.Product, string, error) {
	return s.ListProducts(ctx, product.Filter{Stage: stage, Level: level}, cursor, limit)
}
