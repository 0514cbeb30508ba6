package app_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"runtime"
	"strings"
	"testing"
	"time"

	"productgov/infra/dynamolocal"
	"productgov/infra/s3local"
	"productgov/shared/app"
	"productgov/shared/assessment"
	"productgov/shared/audit"
	"productgov/shared/money"
	"productgov/shared/objects"
	"productgov/shared/period"
	"productgov/shared/problem"
	"productgov/shared/product"
	"productgov/shared/store"
)

func TestMain(m *testing.M) {
	code := dynamolocal.RunTests(m)
	s3local.StopShared()
	os.Exit(code)
}

// runningAssessment is a table in DynamoDB Local and a bucket in the S3
// server with run 1 of the month 2026-11 under way, and the service that
// reports it.
func runningAssessment(tb testing.TB) (*store.Store, *app.Service, period.Month) {
	tb.Helper()
	client, table := dynamolocal.NewTestTable(tb)
	st := store.New(client, table)
	s3c, bucket := s3local.NewTestBucket(tb)
	now := time.Date(2026, 12, 3, 9, 0, 0, 0, time.UTC)
	svc := &app.Service{AssessStore: st, Objects: objects.New(s3c, bucket), Now: func() time.Time { return now }}
	month := period.MustMonth("2026-11")
	meta := audit.Meta{Actor: "test", RequestID: "t", At: now}
	if err := st.PutRun(context.Background(), meta, store.Run{Kind: "assessment", Period: month.String(), PolicyVersion: "2023.09-v2",
		Status: "running", StartedAt: now, Runs: 1}); err != nil {
		tb.Fatal(err)
	}
	return st, svc, month
}

// The Report step of a national run (SPEC 3): more listed results than it
// holds in memory, arriving in page-tally order, come out sorted in pages
// of 1000, with the head of each list and each list's size in the run record.
func TestFinishAssessmentPagesTheReport(t *testing.T) {
	ctx := context.Background()
	st, svc, month := runningAssessment(t)

	// 2,600 listed results (pending data, every other one also a phase
	// change) and 400 not listed, over 30 page tallies of 3 shards, in a
	// shuffled product order.
	const listed, plain, tallies = 2600, 400, 30
	ids := rand.New(rand.NewPCG(3, 11)).Perm(listed + plain)
	type tally struct {
		Total  int                        `json:"total"`
		Counts map[assessment.Outcome]int `json:"counts"`
		Listed []assessment.Result        `json:"listed"`
	}
	pages := make([]tally, tallies)
	for i, n := range ids {
		tl := &pages[i%tallies]
		if tl.Counts == nil {
			tl.Counts = map[assessment.Outcome]int{}
		}
		tl.Total++
		if n >= listed {
			tl.Counts[assessment.OutcomePass]++
			continue
		}
		res := assessment.Result{ProductID: fmt.Sprintf("P%05d", n), Month: month, Result: assessment.OutcomePendingData,
			PhaseBefore: assessment.PhaseAssessment, PhaseAfter: assessment.PhaseAssessment}
		if n%2 == 0 {
			res.PhaseAfter = assessment.PhaseWarning
		}
		tl.Counts[res.Result]++
		tl.Listed = append(tl.Listed, res)
	}
	for i, tl := range pages {
		doc, err := json.Marshal(tl)
		if err != nil {
			t.Fatal(err)
		}
		if err := st.PutAssessmentPage(ctx, month, nil, store.PageTally{Run: 1, Shard: i % 3, Key: fmt.Sprintf("commercial/%02d#%d", i%3, i), Doc: doc}); err != nil {
			t.Fatal(err)
		}
	}

	head, err := svc.FinishAssessment(ctx, month)
	if err != nil {
		t.Fatal(err)
	}
	if head.Total != listed+plain || head.Counts[assessment.OutcomePendingData] != listed || head.Counts[assessment.OutcomePass] != plain {
		t.Errorf("counts %d %v", head.Total, head.Counts)
	}
	if head.Sizes != (assessment.ListSizes{PhaseChanges: listed / 2, PendingData: listed}) || !head.Truncated() ||
		len(head.PendingData) != 100 || len(head.PhaseChanges) != 100 || head.PhaseChanges[99].ProductID != "P00198" {
		t.Errorf("head: sizes %+v, %d pending, %d changes", head.Sizes, len(head.PendingData), len(head.PhaseChanges))
	}

	run, err := st.GetRun(ctx, "assessment", month.String())
	if err != nil {
		t.Fatal(err)
	}
	var summary struct {
		assessment.RunReport
		Truncated bool `json:"truncated"`
	}
	if err := json.Unmarshal(run.Summary, &summary); err != nil || run.Status != "succeeded" || !summary.Truncated ||
		summary.Sizes.PendingData != listed || len(summary.PendingData) != 100 {
		t.Fatalf("run %s, summary %s", run.Status, run.Summary)
	}

	full, _, err := svc.AssessmentReport(ctx, month)
	if err != nil {
		t.Fatal(err)
	}
	if full.Listed != listed || full.Pages != 3 || full.PolicyVersion != "2023.09-v2" {
		t.Fatalf("report: %d listed on %d pages, version %s", full.Listed, full.Pages, full.PolicyVersion)
	}
	next := 0
	for page, want := range []int{1000, 1000, 600} {
		got, err := svc.ReportPage(ctx, full, page+1)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != want {
			t.Fatalf("page %d holds %d, want %d", page+1, len(got), want)
		}
		for _, res := range got {
			if res.ProductID != fmt.Sprintf("P%05d", next) {
				t.Fatalf("page %d: %s where P%05d belongs (report order)", page+1, res.ProductID, next)
			}
			next++
		}
	}
	for _, page := range []int{0, 4} {
		if _, err := svc.ReportPage(ctx, full, page); problem.CodeOf(err) != problem.CodeInvalid {
			t.Errorf("page %d: %v, want invalid", page, err)
		}
	}
}

// The SI settlement's pages (P§20) keep a tally each under the run, keyed by
// the page's cursor: a page the state machine retries replaces its tally,
// so Finish counts every statement once.
func TestSISettlementPagesCountOnce(t *testing.T) {
	ctx := context.Background()
	client, table := dynamolocal.NewTestTable(t)
	st := store.New(client, table).WithShards(1)
	now := time.Date(2026, 12, 3, 9, 0, 0, 0, time.UTC)
	meta := audit.Meta{Actor: "test", RequestID: "t", At: now}
	svc := &app.Service{AssessStore: st, PartnerStore: st, Products: st, Now: func() time.Time { return now }}
	month := period.MustMonth("2026-11")
	share, _ := money.ParseRate("0.3")
	for i, rev := range []int64{6000000, -1} { // the second has no revenue: pending
		p := product.New(fmt.Sprintf("prd_si%d", i), product.Draft{Name: fmt.Sprintf("合作%d", i), Level: product.LevelCity,
			Mode: product.ModeCooperative, PartnerID: "ptn_si", Stage: product.StageCommercial}, "admin", now)
		p.SIAgreement = &product.SIAgreement{Share: share, StartDate: period.MustDate("2026-01-01"), EndDate: period.MustDate("2027-12-31")}
		if err := st.CreateProduct(ctx, meta, p, product.StageChange{ProductID: p.ID, To: p.Stage, At: now}); err != nil {
			t.Fatal(err)
		}
		if rev >= 0 {
			if err := st.PutFigure(ctx, meta, product.KindRevenue, product.Figure{ProductID: p.ID, Month: month, Value: rev}); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := st.PutRun(ctx, meta, store.Run{Kind: "si_settlement", Period: month.String(), PolicyVersion: "2023.09-v2", Status: "running", StartedAt: now, Runs: 1}); err != nil {
		t.Fatal(err)
	}
	seg := app.AssessmentSegment{Stage: product.StageCommercial, Shard: 0}
	for attempt := range 2 { // the second is a retry of the same page
		page, err := svc.SettleSIPage(ctx, month, "2023.09-v2", seg, "", 1)
		if err != nil || !page.Done || page.Assessed != 2 {
			t.Fatalf("attempt %d: %+v %v", attempt, page, err)
		}
	}
	run, err := svc.FinishSettlement(ctx, app.JobSI, month.String(), nil)
	if err != nil {
		t.Fatal(err)
	}
	var sum app.SIRunResult
	if err := json.Unmarshal(run.Summary, &sum); err != nil || run.Status != "succeeded" {
		t.Fatalf("run %s %s", run.Status, run.Summary)
	}
	// The retry found its statement unchanged, so its tally (which replaced
	// the first) says written 0: the run reports what the last attempt did.
	if sum.Statements != 1 || sum.Written != 0 || sum.PendingCount != 1 || len(sum.Pending) != 1 || sum.Pending[0].ProductID != "prd_si1" || sum.PolicyVersion != "2023.09-v2" {
		t.Fatalf("summary %+v", sum)
	}
	got, err := st.GetSIStatement(ctx, month, "prd_si0")
	if err != nil || got.Fee.String() != "18000.00" {
		t.Fatalf("statement %+v %v", got, err)
	}
}

// BenchmarkFinishAssessment measures the Report step (SPEC 3) at national
// sizes from page tallies in DynamoDB Local: 5.4% of the products listed
// (the benchmark portfolio's share of phase changes and P§18 flags), each a
// result with every field the report carries. It reports the peak heap above
// the heap before the step (the spill keeps it flat in the portfolio) and
// the listed results' JSON, what the spill writes to the function's /tmp.
func BenchmarkFinishAssessment(b *testing.B) {
	for _, products := range []int{10_000, 100_000, 1_000_000} {
		b.Run(fmt.Sprintf("products=%d", products), func(b *testing.B) {
			ctx := context.Background()
			st, svc, month := runningAssessment(b)
			listed := fullResult(month)
			pages := (products + app.AssessPageSize - 1) / app.AssessPageSize
			n := 0
			for page := range pages {
				tally := map[string]any{"total": app.AssessPageSize, "counts": map[string]int{"pass": app.AssessPageSize}}
				var results []assessment.Result
				for n*1000 < (page+1)*app.AssessPageSize*54 { // 5.4% of the products so far
					r := listed
					r.ProductID = fmt.Sprintf("prd_%016x", uint64(n)*0x9e3779b97f4a7c15)
					results = append(results, r)
					n++
				}
				tally["listed"] = results
				doc, _ := json.Marshal(tally)
				if err := st.PutAssessmentPage(ctx, month, nil, store.PageTally{Run: 1, Shard: page % store.DefaultShards,
					Key: fmt.Sprintf("commercial/%02d#%08d", page%store.DefaultShards, page), Doc: doc}); err != nil {
					b.Fatal(err)
				}
			}
			b.ResetTimer()
			var peak uint64
			for range b.N {
				runtime.GC()
				var before runtime.MemStats
				runtime.ReadMemStats(&before)
				done := make(chan struct{})
				sampled := make(chan uint64)
				go func() {
					var top uint64
					var ms runtime.MemStats
					for {
						select {
						case <-done:
							sampled <- top
							return
						case <-time.After(5 * time.Millisecond):
							runtime.ReadMemStats(&ms)
							top = max(top, ms.HeapAlloc)
						}
					}
				}()
				if _, err := svc.FinishAssessment(ctx, month); err != nil {
					b.Fatal(err)
				}
				close(done)
				if top := <-sampled; top > before.HeapAlloc {
					peak = max(peak, top-before.HeapAlloc)
				}
			}
			one, _ := json.Marshal(listed)
			b.ReportMetric(float64(n), "listed")
			// The listed results as JSON lines: what the spill writes to /tmp
			// (Lambda's 512 MB by default) once they pass the 2,000 it holds.
			b.ReportMetric(float64(n*(len(one)+1))/(1<<20), "listed-json-MiB")
			b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MiB")
		})
	}
}

// fullResult is a listed result with every field the report carries filled:
// a phase change to exit with both tracks' moves, 12 months of figures and
// the P§18 flag.
func fullResult(m period.Month) assessment.Result {
	amount := money.Amount(123456789)
	yes := true
	score := assessment.Score(9500)
	r := assessment.Result{Month: m, Result: assessment.OutcomeFail, Code: "failed", Reason: strings.Repeat("r", 200),
		Rule: "P§19(一); P§19(二)", RevenueTest: "average", RevenueThreshold: &amount, RevenueSum: &amount, RevenueAverage: &amount,
		RevenuePass: &yes, QualityScore: &score, QualityPass: &yes, QualityFailsInWindow: 3,
		PhaseBefore: assessment.PhaseWarning, PhaseAfter: assessment.PhaseExit, OpensExit: true, CommercialIneligible: true,
		Transitions: []assessment.Transition{
			{Track: assessment.TrackRevenue, From: assessment.PhaseWarning, To: assessment.PhaseExit, Rule: "P§19(一)", Reason: strings.Repeat("r", 120)},
			{Track: assessment.TrackQuality, From: assessment.PhaseAssessment, To: assessment.PhaseWarning, Rule: "P§19(二)", Reason: strings.Repeat("r", 120)}}}
	for i := range 12 {
		r.RevenueFigures = append(r.RevenueFigures, assessment.RevenueFigure{Month: m.Add(-i), Amount: amount})
	}
	return r
}
