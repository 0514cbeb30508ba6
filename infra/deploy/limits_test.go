package deploy

import (
	"encoding/json"
	"fmt"
	"math"
	"strings"
	"testing"
	"time"

	"productgov/shared/app"
	"productgov/shared/assessment"
	"productgov/shared/money"
	"productgov/shared/period"
	"productgov/shared/product"
	"productgov/shared/store"
)

// AWS Step Functions quotas of a Standard execution (Step Functions
// developer guide, "Quotas"): events in one execution's history, and the
// size of a state's input or output.
const (
	historyEventQuota = 25000
	payloadQuota      = 256 * 1024
	// partitionWriteCeiling is DynamoDB's write ceiling of one partition, in
	// write units a second.
	partitionWriteCeiling = 1000
)

// nationalSize is the size the jobs must hold on paper (issue 11).
var nationalSize = struct {
	products, partners int
	// projectsPerPartner bounds the projects one partner's result lists.
	projectsPerPartner int
}{products: 1_000_000, partners: 10_000, projectsPerPartner: 50}

// TestLimitsOnPaper computes, from the state machine definitions themselves,
// what one run costs at a national size (1,000,000 products, 10,000
// partners): the history events of every execution (the parent's and each
// Distributed Map child's), the largest state payload, and the DynamoDB write
// units of a monthly assessment with the hottest partition's share. Each must
// stay under AWS's limit with at least 2× headroom. A change to a definition
// (another state in the page loop, a bigger batch, a ResultPath that keeps
// the children's results) changes these numbers, and the test says which
// limit it broke.
func TestLimitsOnPaper(t *testing.T) {
	assess := mustLoad(t, "monthly-assessment.asl.json")
	settle := mustLoad(t, "quarterly-settlement.asl.json")
	shards := store.DefaultShards

	// Monthly assessment. Worst case: every in-scope product in one stage,
	// so a shard's segment holds 1/shards of them, plus 10% for an uneven
	// hash; one retry of every task (3 events each) as a margin.
	perSegment := int(math.Ceil(1.1 * float64(nationalSize.products) / float64(shards)))
	pages := (perSegment + app.AssessPageSize - 1) / app.AssessPageSize
	segmentsMap := distributedMap(t, assess, "AssessSegments")
	childEvents := mustCount(t, processorOf(t, segmentsMap), Walk{Loops: map[string]int{"MorePages": pages - 1}, RetriesPerTask: 1})
	parentEvents := mustCount(t, assess, Walk{})

	// Quarterly settlement: 25 partners a child (the ItemBatcher), each
	// settled by the child's inline Map.
	partnersMap := distributedMap(t, settle, "SettlePartners")
	batch := int(partnersMap.Object("ItemBatcher").Number("MaxItemsPerBatch"))
	if batch < 1 {
		t.Fatalf("SettlePartners: ItemBatcher.MaxItemsPerBatch is %d", batch)
	}
	batchEvents := mustCount(t, processorOf(t, partnersMap), Walk{Items: map[string]int{"SettleBatch": batch}, RetriesPerTask: 1})
	settleParent := mustCount(t, settle, Walk{})
	// The SI settlement (P§20): a child per stage shard pages its products
	// like an assessment segment, worst case the same products a shard.
	siMap := distributedMap(t, settle, "SettleSISegments")
	siEvents := mustCount(t, processorOf(t, siMap), Walk{Loops: map[string]int{"MoreSIPages": pages - 1}, RetriesPerTask: 1})

	// The largest payloads, built from the jobs' own result types at their
	// largest: a 63-character bucket name, the longest cursor, a partner
	// result listing every project as pending, and a caught error's cause at
	// the 32,768 characters Step Functions keeps of it.
	bucket := strings.Repeat("b", 63)
	cause := strings.Repeat("c", 32768)
	plan := app.AssessmentPlan{Month: period.Month{Year: 2026, Month: 11}, PolicyVersion: "2023.09-v2", SegmentCount: 2 * shards,
		Work: app.ObjectRef{Bucket: bucket, Key: "runs/assessment/2026-11/99/segments.json"}, Run: 99}
	cursor := strings.Repeat("x", 4*(2+4*128)/3) // base64 of the 4 key attributes, each up to 128 bytes
	childInput := map[string]any{"month": "2026-11", "policyVersion": "2023.09-v2", "cursor": cursor, "run": 99,
		"segment": app.AssessmentSegment{Stage: product.StageTrialCommercial, Shard: shards - 1},
		"page":    app.PageResult{Cursor: cursor, Done: false, Assessed: app.AssessPageSize},
		"exits":   map[string]int{"opened": app.AssessPageSize * pages},
		"error":   app.JobError{Error: "Task.Transient", Cause: cause}}
	parentInput := map[string]any{"month": "2026-11", "scheduledTime": "2026-12-01T02:00:00+08:00", "plan": plan,
		"report": map[string]any{"total": nationalSize.products, "counts": map[string]int{"pass": 1, "fail": 1, "exempt": 1, "pending_data": 1, "skipped": 1}},
		"error":  app.JobError{Error: "States.ExceedToleratedFailureThreshold", Cause: cause}}
	pending := make([]app.PendingProject, app.MaxPendingListed)
	for i := range pending {
		pending[i] = app.PendingProject{ProjectID: fmt.Sprintf("prj_%020d", i), Missing: []string{"revenue 2026-10 of product prd_0000000000000000", "revenue 2026-11 of product prd_0000000000000000", "revenue 2026-12 of product prd_0000000000000000"}}
	}
	results := make([]app.RoundResult, batch)
	items := make([]string, batch)
	for i := range results {
		items[i] = fmt.Sprintf("ptn_%020d", i)
		results[i] = app.RoundResult{PartnerID: items[i], Statements: nationalSize.projectsPerPartner, Pending: pending,
			PendingCount: nationalSize.projectsPerPartner, Failed: true, Error: strings.Repeat("e", app.MaxPartnerError)}
	}
	siInput := map[string]any{"period": "2026-11", "policyVersion": "2023.09-v2", "cursor": cursor, "run": 99,
		"segment": app.AssessmentSegment{Stage: product.StageTrialSuspended, Shard: shards - 1},
		"page":    app.PageResult{Cursor: cursor, Done: false, Assessed: app.AssessPageSize},
		"error":   app.JobError{Error: "Task.Transient", Cause: cause}}
	batchInput := map[string]any{"BatchInput": map[string]string{"period": "2026-Q4", "policyVersion": "2023.09-v2"}, "Items": items}
	settleInput := map[string]any{"job": "quarter", "period": "2026-Q4", "scheduledTime": "2027-01-05T02:00:00+08:00",
		"plan":    app.SettlementPlan{Job: "quarter", Period: "2026-Q4", PolicyVersion: "2023.09-v2", PartnerCount: nationalSize.partners, Work: app.ObjectRef{Bucket: bucket, Key: "runs/settlement/2026-Q4/99/partners.json"}, Run: 99},
		"results": map[string]any{"MapRunArn": strings.Repeat("a", 512), "ResultWriterDetails": app.ObjectRef{Bucket: bucket, Key: strings.Repeat("k", 256)}},
		"run":     map[string]string{"status": "failed"},
		"error":   app.JobError{Error: "Settlement.PartnerFailed", Cause: cause}}

	execs := []struct {
		name    string
		events  int
		payload int
	}{
		{"assessment parent", parentEvents, size(t, parentInput)},
		{fmt.Sprintf("assessment segment child (%d products, %d pages)", perSegment, pages), childEvents, size(t, childInput)},
		{"settlement parent", settleParent, size(t, settleInput)},
		{fmt.Sprintf("settlement batch child (%d partners)", batch), batchEvents, max(size(t, batchInput), size(t, results))},
		{fmt.Sprintf("SI settlement segment child (%d products, %d pages)", perSegment, pages), siEvents, size(t, siInput)},
	}
	t.Logf("at %d products and %d partners, %d shards:", nationalSize.products, nationalSize.partners, shards)
	for _, e := range execs {
		t.Logf("  %-58s %6d history events (%4.1f× headroom)  largest payload %7d B (%5.1f× headroom)",
			e.name, e.events, float64(historyEventQuota)/float64(e.events), e.payload, float64(payloadQuota)/float64(e.payload))
		if 2*e.events > historyEventQuota {
			t.Errorf("%s: %d history events leave less than 2× headroom under %d", e.name, e.events, historyEventQuota)
		}
		if 2*e.payload > payloadQuota {
			t.Errorf("%s: a %d-byte payload leaves less than 2× headroom under %d", e.name, e.payload, payloadQuota)
		}
	}
	t.Logf("  children: %d assessment segments, %d settlement batches (a Map Run holds up to 10,000 children at once)",
		2*shards, (nationalSize.partners+batch-1)/batch)

	writes := assessmentWrites(t, shards)
	t.Logf("assessment write units per run: %.0f (results %.0f, page tallies %.0f, product updates %.0f)",
		writes.total(), writes.results, writes.tallies, writes.updates)
	t.Logf("  hottest partition: %s, %.1f%% of the run's writes; at one page a second per child, %.0f write units a second (%.1f× headroom under %d)",
		writes.hottest, 100*writes.hottestShare, writes.hottestRate, partitionWriteCeiling/writes.hottestRate, partitionWriteCeiling)
	if 2*writes.hottestRate > partitionWriteCeiling {
		t.Errorf("the hottest partition takes %.0f write units a second: less than 2× headroom under %d", writes.hottestRate, partitionWriteCeiling)
	}
}

// runWrites are the write units of one monthly assessment run.
type runWrites struct {
	results, tallies, updates float64
	hottest                   string
	hottestShare, hottestRate float64
}

func (w runWrites) total() float64 { return w.results + w.tallies + w.updates }

// changedShare is the share of products whose phase or flags change in a
// month (1.6% in the benchmark's portfolio; doubled as a margin), each an
// audited transaction; listedShare the share a page's tally lists.
const changedShare, listedShare = 0.032, 0.05

// assessmentWrites counts the write units of a national run from the items
// the store writes, sized with every optional field filled: a result, a
// page's tally, and a changed product with its audit entry (transactional
// writes cost double).
func assessmentWrites(t *testing.T, shards int) runWrites {
	t.Helper()
	amount := money.Amount(123456789)
	yes := true
	score := assessment.Score(9500)
	res := assessment.Result{ProductID: "prd_0123456789abcdef", Month: period.Month{Year: 2026, Month: 11}, Result: assessment.OutcomeFail,
		Code: "failed", Reason: strings.Repeat("r", 200), Rule: "P§19(一); P§19(二)", RevenueTest: "average",
		RevenueThreshold: &amount, RevenueSum: &amount, RevenueAverage: &amount, RevenuePass: &yes, QualityScore: &score, QualityPass: &yes,
		QualityFailsInWindow: 3, PhaseBefore: assessment.PhaseWarning, PhaseAfter: assessment.PhaseExit, OpensExit: true,
		Transitions: []assessment.Transition{
			{Track: assessment.TrackRevenue, From: assessment.PhaseWarning, To: assessment.PhaseExit, Rule: "P§19(一)", Reason: strings.Repeat("r", 120)},
			{Track: assessment.TrackQuality, From: assessment.PhaseAssessment, To: assessment.PhaseWarning, Rule: "P§19(二)", Reason: strings.Repeat("r", 120)}},
		PendingTracks: []assessment.PendingTrack{{Missing: []string{"2026-11"}}}}
	for m := 1; m <= 12; m++ {
		res.RevenueFigures = append(res.RevenueFigures, assessment.RevenueFigure{Month: period.Month{Year: 2026, Month: time.Month(m)}, Amount: amount})
	}
	record := app.AssessmentRecord{Result: res, PolicyVersion: "2023.09-v2", QualityFailMonths: []period.Month{{Year: 2026, Month: 1}, {Year: 2026, Month: 5}, {Year: 2026, Month: 11}}}
	resultItem := float64(size(t, record) + 120) // + keys, type, productId, month
	listed := int(math.Ceil(listedShare * app.AssessPageSize))
	tallyItem := float64(120 + listed*size(t, res) + int(math.Ceil(changedShare*app.AssessPageSize))*size(t, record))
	productItem, auditItem := 1200.0, 2*1200.0+300 // a product, and its audit entry holding before and after
	wcu := func(bytes float64) float64 { return math.Ceil(bytes / 1024) }

	n := float64(nationalSize.products)
	var w runWrites
	w.results = n * wcu(resultItem)
	w.tallies = math.Ceil(n/app.AssessPageSize) * wcu(tallyItem)
	// put, audit (transactional: double), gsi1 delete+put (a phase change
	// may move the stage key), gsi2's owner entry rewritten in place.
	w.updates = n * changedShare * (2*wcu(productItem) + 2*wcu(auditItem) + 2*wcu(productItem) + wcu(productItem))
	// A segment's child writes its tallies under its shard's key, shared
	// with the other stage's child of the shard, and its results over the
	// ResultPartitions keys, which every child shares: the hottest key is a
	// result key or a tally key.
	children := float64(2 * shards)
	w.hottest, w.hottestShare = "ASSESS#<month>#<result partition>", w.results/store.ResultPartitions/w.total()
	w.hottestRate = children * app.AssessPageSize * wcu(resultItem) / store.ResultPartitions
	if tallies := w.tallies / float64(shards) / w.total(); tallies > w.hottestShare {
		w.hottest, w.hottestShare = "ASSESSPAGES#<month>#<run>#<shard>", tallies
		w.hottestRate = 2 * wcu(tallyItem)
	}
	return w
}

// size is the length of v's JSON.
func size(t *testing.T, v any) int {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return len(b)
}

func mustLoad(t *testing.T, name string) Definition {
	t.Helper()
	def, err := LoadDefinition(repoRoot(t), name)
	if err != nil {
		t.Fatal(err)
	}
	return def
}

func mustCount(t *testing.T, def Definition, w Walk) int {
	t.Helper()
	n, err := HistoryEvents(def, w)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func processorOf(t *testing.T, m Definition) Definition {
	t.Helper()
	p, err := m.Processor()
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// distributedMap is the named Map state, which must be a Distributed Map
// reading its items from the bucket.
func distributedMap(t *testing.T, def Definition, name string) Definition {
	t.Helper()
	m, err := def.State(name)
	if err != nil {
		t.Fatal(err)
	}
	if !m.Distributed() {
		t.Fatalf("%s is not a Distributed Map: its history grows with every item", name)
	}
	if m.Object("ItemReader") == nil {
		t.Errorf("%s has no ItemReader: its items ride in the execution's payload", name)
	}
	return m
}
