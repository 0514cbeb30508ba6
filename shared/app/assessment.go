package app

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"

	"productgov/shared/assessment"
	"productgov/shared/decision"
	"productgov/shared/directory"
	"productgov/shared/id"
	"productgov/shared/money"
	"productgov/shared/period"
	"productgov/shared/policy"
	"productgov/shared/problem"
	"productgov/shared/product"
	"productgov/shared/reason"
	"productgov/shared/store"
)

// Assessments is the monthly assessment part of the store.
type Assessments interface {
	ProductsPage(ctx context.Context, stage product.Stage, level product.Level, cursor string, limit int32) ([]product.Product, string, error)
	ProductsInShard(ctx context.Context, stage product.Stage, level product.Level, shard int, cursor string, limit int32) ([]product.Product, string, error)
	Shards() int
	BatchFigures(ctx context.Context, kind product.FigureKind, ks []product.FigureKey) (map[product.FigureKey]int64, error)
	AssessmentDocs(ctx context.Context, m period.Month, ids []string) (map[string][]byte, error)
	PutAssessmentDocs(ctx context.Context, m period.Month, docs map[string][]byte) error
	PutAssessmentPage(ctx context.Context, m period.Month, docs map[string][]byte, tally store.PageTally) error
	EachAssessmentPage(ctx context.Context, m period.Month, run, shard int, prefix string, fn func(doc []byte) error) error
	PutJobPage(ctx context.Context, kind, period string, tally store.PageTally) error
	EachJobPage(ctx context.Context, kind, period string, run int, fn func(doc []byte) error) error
	MonthAssessmentDocs(ctx context.Context, m period.Month, cursor string, limit int32) ([][]byte, string, error)
	GetRun(ctx context.Context, kind, period string) (store.Run, error)
	PutRun(ctx context.Context, m auditMeta, r store.Run) error
	PutRunFailure(ctx context.Context, kind, period string, run int, key string, f store.RunFailure) error
	RunFailures(ctx context.Context, kind, period string, run int) ([]store.RunFailure, error)
}

// AssessmentRecord is one product's result for one month (SPEC 3 "Results"),
// with the policy version that decided it and the quality fails of the
// window M-10..M that the next month needs.
type AssessmentRecord struct {
	assessment.Result
	PolicyVersion     string         `json:"policyVersion"`
	QualityFailMonths []period.Month `json:"qualityFailMonths"`
	// QualityScoreText and RevenueAverageText are the SPEC 8 fields as shown.
	Level product.Level `json:"level"`
	Mode  product.Mode  `json:"mode"`
}

// runKindAssessment names the monthly assessment's run records.
const runKindAssessment = "assessment"

// AssessmentSegment is one index partition of in-scope products (SPEC 3: province
// and city products in trial commercial or commercial use): a shard of a
// stage's products, every level (hq products get their skipped record).
type AssessmentSegment struct {
	Stage product.Stage `json:"stage"`
	Shard int           `json:"shard"`
}

// tallyPrefix begins the keys of the segment's page tallies.
func (seg AssessmentSegment) tallyPrefix() string {
	return fmt.Sprintf("%s/%02d#", seg.Stage, seg.Shard)
}

// AssessmentPlan is what the job's first step decides: the month, the policy
// version, and the index segments the Map pages through.
type AssessmentPlan struct {
	Month         period.Month `json:"month"`
	PolicyVersion string       `json:"policyVersion"`
	// Segments are the work list; the Distributed Map's ItemReader reads them
	// from Work, so the execution's payload does not grow with the shards.
	Segments []AssessmentSegment `json:"-"`
	// SegmentCount is len(Segments).
	SegmentCount int `json:"segments"`
	// Work is the work list in the bucket: a JSON array of segments.
	Work ObjectRef `json:"work"`
	// Run numbers this run of the month: its pages' tallies are kept under it.
	Run int `json:"run"`
}

// runObjectKey names an object of one run of a job in the work bucket.
func runObjectKey(kind, p string, run int, name string) string {
	return fmt.Sprintf("runs/%s/%s/%d/%s", kind, p, run, name)
}

// PlanAssessment resolves the month (given, or the month before `at` in
// Shanghai for the schedule) and the policy version: the one a previous run of
// the month used, else the one in force on the month's last day (SPEC 7).
func (s *Service) PlanAssessment(ctx context.Context, month string, at time.Time) (AssessmentPlan, error) {
	var m period.Month
	if month == "" {
		m = period.MonthOf(at).Add(-1) // P§19: the schedule assesses the previous month
	} else {
		var err error
		if m, err = period.ParseMonth(month); err != nil {
			return AssessmentPlan{}, problem.InvalidField("month", err.Error())
		}
	}
	pol, err := s.assessmentPolicy(ctx, m)
	if err != nil {
		return AssessmentPlan{}, err
	}
	run := store.Run{Kind: runKindAssessment, Period: m.String(), PolicyVersion: pol.Version, Status: "running", StartedAt: s.Now().UTC()}
	if prev, err := s.AssessStore.GetRun(ctx, runKindAssessment, m.String()); err == nil {
		run.Runs = prev.Runs
	}
	run.Runs++
	if err := s.AssessStore.PutRun(ctx, s.meta(ctx, system), run); err != nil {
		return AssessmentPlan{}, err
	}
	plan := AssessmentPlan{Month: m, PolicyVersion: pol.Version, Run: run.Runs}
	for _, st := range []product.Stage{product.StageTrialCommercial, product.StageCommercial} {
		// hq products are read too, so each gets its record: skipped, hq_not_assessed (SPEC 3).
		for shard := range s.AssessStore.Shards() {
			plan.Segments = append(plan.Segments, AssessmentSegment{Stage: st, Shard: shard})
		}
	}
	plan.SegmentCount = len(plan.Segments)
	bucket, err := s.objects()
	if err != nil {
		return AssessmentPlan{}, err
	}
	work, _ := json.Marshal(plan.Segments)
	plan.Work = ObjectRef{Bucket: bucket.Name(), Key: runObjectKey(runKindAssessment, m.String(), run.Runs, "segments.json")}
	if err := bucket.Put(ctx, plan.Work.Key, "application/json", work); err != nil {
		return AssessmentPlan{}, err
	}
	return plan, nil
}

// assessmentPolicy is the policy a month is assessed with: a re-run keeps the
// version its month was first assessed with.
func (s *Service) assessmentPolicy(ctx context.Context, m period.Month) (policy.Document, error) {
	if prev, err := s.AssessStore.GetRun(ctx, runKindAssessment, m.String()); err == nil {
		if d, ok, err := s.policyByVersion(ctx, prev.PolicyVersion); err != nil || ok {
			return d, err
		}
	} else if problem.CodeOf(err) != problem.CodeNotFound {
		return policy.Document{}, err
	}
	return s.PolicyOn(ctx, m.Last())
}

// PageResult is what one page of the assessment reports to the job.
type PageResult struct {
	Cursor   string `json:"cursor"`
	Done     bool   `json:"done"`
	Assessed int    `json:"assessed"`
}

// AssessPageSize is how many products one task assesses: one index Query,
// then batched reads of their figures and last month's results, then batched
// writes of the results with the page's tally: 99 results and the tally fill
// four BatchWriteItem calls of 25 exactly.
const AssessPageSize = 4*25 - 1

// AssessPage assesses one page of a segment's products for a month (SPEC 3):
// every figure and last month's result in batched reads, the rule, then the
// results in batched writes; products whose phase or flags change are updated
// with their audit entries.
//
// With run (the plan's), the page also keeps its tally (counts, the results
// the report lists, the exits to open) in the same writes, so the run's
// report and exits read a few tallies instead of every result.
func (s *Service) AssessPage(ctx context.Context, month period.Month, version string, seg AssessmentSegment, cursor string, run int) (PageResult, error) {
	pol, ok, err := s.policyByVersion(ctx, version)
	if err != nil {
		return PageResult{}, err
	}
	if !ok {
		return PageResult{}, fmt.Errorf("app: policy version %s not found", version)
	}
	products, next, err := s.AssessStore.ProductsInShard(ctx, seg.Stage, "", seg.Shard, cursor, AssessPageSize)
	if err != nil {
		return PageResult{}, err
	}
	records, caught, err := s.assessProducts(ctx, month, pol, products)
	if err != nil {
		return PageResult{}, err
	}
	if err := s.saveCatchUps(ctx, month, caught); err != nil {
		return PageResult{}, err
	}
	docs := make(map[string][]byte, len(records))
	for _, r := range records {
		b, err := json.Marshal(r)
		if err != nil {
			return PageResult{}, err
		}
		docs[r.ProductID] = b
	}
	if run > 0 {
		tally, err := json.Marshal(tallyOf(records))
		if err != nil {
			return PageResult{}, err
		}
		key := seg.tallyPrefix() + cursor
		if err := s.AssessStore.PutAssessmentPage(ctx, month, docs, store.PageTally{Run: run, Shard: seg.Shard, Key: key, Doc: tally}); err != nil {
			return PageResult{}, err
		}
	} else if err := s.AssessStore.PutAssessmentDocs(ctx, month, docs); err != nil {
		return PageResult{}, err
	}
	for i, r := range records {
		if err := s.applyAssessment(ctx, products[i], r); err != nil {
			return PageResult{}, err
		}
	}
	return PageResult{Cursor: next, Done: next == "", Assessed: len(records)}, nil
}

// pageTally is what one page of a run adds to the run's report: its counts,
// the results the report lists, and the results that open an exit.
type pageTally struct {
	Total  int                        `json:"total"`
	Counts map[assessment.Outcome]int `json:"counts"`
	Listed []assessment.Result        `json:"listed"`
	Exits  []AssessmentRecord         `json:"exits"`
}

func tallyOf(records []AssessmentRecord) pageTally {
	t := pageTally{Counts: map[assessment.Outcome]int{}}
	for _, r := range records {
		t.Total++
		t.Counts[r.Result.Result]++
		if listedInReport(r) {
			t.Listed = append(t.Listed, r.Result)
		}
		if r.OpensExit {
			t.Exits = append(t.Exits, r)
		}
	}
	return t
}

// listedInReport says which results the report lists (SPEC 3): phase
// changes, exits, pending data, P§18 flags.
func listedInReport(r AssessmentRecord) bool {
	return r.PhaseBefore != r.PhaseAfter || r.OpensExit || r.CommercialIneligible ||
		r.Result.Result == assessment.OutcomePendingData || len(r.PendingTracks) > 0
}

// eachTally calls fn with each page tally of a month's run (of one segment,
// when given), one at a time; ok is false when the run kept none (the
// results are then swept).
func (s *Service) eachTally(ctx context.Context, month period.Month, run int, seg *AssessmentSegment, fn func(pageTally) error) (ok bool, err error) {
	if run == 0 {
		return false, nil
	}
	shard, prefix := store.AllShards, ""
	if seg != nil {
		shard, prefix = seg.Shard, seg.tallyPrefix()
	}
	err = s.AssessStore.EachAssessmentPage(ctx, month, run, shard, prefix, func(doc []byte) error {
		var t pageTally
		if err := json.Unmarshal(doc, &t); err != nil {
			return err
		}
		ok = true
		return fn(t)
	})
	return ok, err
}

// maxCatchUpMonths bounds how far a run looks back for missing months of one
// product (ten years): beyond it the product starts from its registered phase.
const maxCatchUpMonths = 120

// catchUp is a product's run of missing months before M (SPEC 3 "Missing
// months"): From..M-1 are assessed in order, starting from Prev (nil: from
// the phase the product was registered with).
type catchUp struct {
	From period.Month
	Prev *AssessmentRecord
}

// firstAssessedMonth is the first month a product's tracks can be assessed
// in, or false when it cannot be told (out of scope or no notice date). A
// product registered by an admin with a phase counts from its registration
// month: its registered phase stands for the months before.
func firstAssessedMonth(p product.Product, pol policy.Document) (period.Month, bool) {
	if p.NoticeDate == nil || p.Level == product.LevelHQ {
		return period.Month{}, false
	}
	end, _ := assessment.ExemptThrough(*p.NoticeDate, p.ExemptUntil, pol.Assessment)
	first := end.Add(1)
	if p.InitialPhase != "" {
		if reg := period.MonthOf(p.CreatedAt); reg.After(first) {
			first = reg
		}
	}
	return first, true
}

// catchUps finds, for the products whose month before m has no result, the
// missing months since their last result or their first assessed month
// (SPEC 3 "Missing months": a run does not guess; it first runs them in
// order). It reads one earlier month at a time for the products still
// looking, in batches.
func (s *Service) catchUps(ctx context.Context, m period.Month, pol policy.Document, products []product.Product, prevDocs map[string][]byte) (map[string]catchUp, error) {
	out := map[string]catchUp{}
	floor := map[string]period.Month{}
	var looking []string
	earliest, known := period.Month{}, false
	for _, p := range products {
		if _, ok := prevDocs[p.ID]; ok {
			continue
		}
		first, ok := firstAssessedMonth(p, pol)
		if !ok || !first.Before(m) {
			continue // M-1 is before the first assessed month: nothing is missing
		}
		if m.Sub(first) > maxCatchUpMonths {
			first = m.Add(-maxCatchUpMonths)
		}
		if !known {
			// No month before the first policy version can be assessed: the
			// rules of then are not known (SPEC 7), so a product starts there
			// at the latest. Read only when some product has missing months.
			var err error
			if earliest, err = s.earliestPolicyMonth(ctx); err != nil {
				return nil, err
			}
			known = true
		}
		if first.Before(earliest) {
			first = earliest
		}
		if !first.Before(m) {
			continue
		}
		floor[p.ID] = first
		looking = append(looking, p.ID)
	}
	for k := 2; len(looking) > 0; k++ {
		month := m.Add(-k)
		var still, ask []string
		for _, id := range looking {
			if month.Before(floor[id]) {
				out[id] = catchUp{From: floor[id]} // no result since the first assessed month
			} else {
				ask = append(ask, id)
			}
		}
		if len(ask) == 0 {
			break
		}
		docs, err := s.AssessStore.AssessmentDocs(ctx, month, ask)
		if err != nil {
			return nil, err
		}
		for _, id := range ask {
			doc, ok := docs[id]
			if !ok {
				still = append(still, id)
				continue
			}
			var prev AssessmentRecord
			if err := json.Unmarshal(doc, &prev); err != nil {
				return nil, fmt.Errorf("app: assessment %s %s: %w", id, month, err)
			}
			out[id] = catchUp{From: month.Add(1), Prev: &prev}
		}
		looking = still
	}
	return out, nil
}

// earliestPolicyMonth is the month of the first policy version's effective
// date.
func (s *Service) earliestPolicyMonth(ctx context.Context) (period.Month, error) {
	history, err := s.Policies.PolicyHistory(ctx)
	if err != nil {
		return period.Month{}, err
	}
	var earliest period.Month
	for i, d := range history {
		if em := d.EffectiveFrom.MonthOf(); i == 0 || em.Before(earliest) {
			earliest = em
		}
	}
	return earliest, nil
}

// caughtUp is one product's result of a missing month, assessed before M.
type caughtUp struct {
	Month  period.Month
	Record AssessmentRecord
	Policy string
}

// saveCatchUps writes the results of missing months assessed before month
// (SPEC 3 "Missing months"), month by month in order, gives each caught-up
// month a run record when it has none, and opens the exits they reached.
func (s *Service) saveCatchUps(ctx context.Context, month period.Month, caught []caughtUp) error {
	if len(caught) == 0 {
		return nil
	}
	byMonth := map[period.Month]map[string][]byte{}
	versions := map[period.Month]string{}
	var months []period.Month
	for _, c := range caught {
		if byMonth[c.Month] == nil {
			byMonth[c.Month] = map[string][]byte{}
			versions[c.Month] = c.Policy
			months = append(months, c.Month)
		}
		b, err := json.Marshal(c.Record)
		if err != nil {
			return err
		}
		byMonth[c.Month][c.Record.ProductID] = b
	}
	sort.Slice(months, func(i, j int) bool { return months[i].Before(months[j]) })
	for _, mo := range months {
		if err := s.AssessStore.PutAssessmentDocs(ctx, mo, byMonth[mo]); err != nil {
			return err
		}
		if _, err := s.AssessStore.GetRun(ctx, runKindAssessment, mo.String()); problem.CodeOf(err) == problem.CodeNotFound {
			now := s.Now().UTC()
			run := store.Run{Kind: runKindAssessment, Period: mo.String(), PolicyVersion: versions[mo], Status: "succeeded",
				StartedAt: now, FinishedAt: &now, Runs: 1, CatchUpFor: month.String()}
			if err := s.AssessStore.PutRun(ctx, s.meta(ctx, system), run); err != nil {
				return err
			}
		} else if err != nil {
			return err
		}
	}
	for _, c := range caught {
		if c.Record.OpensExit {
			if _, err := s.openAssessmentExit(ctx, c.Record); err != nil {
				return err
			}
		}
	}
	return nil
}

// assessProducts reads what the rule needs for a page of products with
// batched reads and assesses each; missing months before m are assessed
// first, in order, each with the policy in force then (SPEC 3, SPEC 7), and
// returned beside m's results.
func (s *Service) assessProducts(ctx context.Context, m period.Month, pol policy.Document, products []product.Product) ([]AssessmentRecord, []caughtUp, error) {
	ids := make([]string, len(products))
	for i, p := range products {
		ids[i] = p.ID
	}
	prevDocs, err := s.AssessStore.AssessmentDocs(ctx, m.Add(-1), ids)
	if err != nil {
		return nil, nil, err
	}
	catchUps, err := s.catchUps(ctx, m, pol, products, prevDocs)
	if err != nil {
		return nil, nil, err
	}
	var revKeys, qualKeys []product.FigureKey
	for _, p := range products {
		from := m.Add(-2)
		if needsTrailingYear(p, m, pol) {
			from = m.Add(-(pol.Assessment.CommercialRevenueMonths - 1)) // P§18: trailing 12 months
		}
		qFrom := m
		if cu, ok := catchUps[p.ID]; ok {
			from = cu.From.Add(-(pol.Assessment.CommercialRevenueMonths - 1))
			qFrom = cu.From
		}
		for mo := from; !mo.After(m); mo = mo.Add(1) {
			revKeys = append(revKeys, product.FigureKey{ProductID: p.ID, Month: mo})
		}
		if p.Mode == product.ModeCooperative {
			for mo := qFrom; !mo.After(m); mo = mo.Add(1) {
				qualKeys = append(qualKeys, product.FigureKey{ProductID: p.ID, Month: mo})
			}
		}
	}
	revenue, err := s.AssessStore.BatchFigures(ctx, product.KindRevenue, revKeys)
	if err != nil {
		return nil, nil, err
	}
	quality, err := s.AssessStore.BatchFigures(ctx, product.KindQuality, qualKeys)
	if err != nil {
		return nil, nil, err
	}
	policies := map[period.Month]policy.Document{m: pol}
	policyOf := func(c period.Month) (policy.Document, error) {
		if d, ok := policies[c]; ok {
			return d, nil
		}
		d, err := s.assessmentPolicy(ctx, c)
		if err == nil {
			policies[c] = d
		}
		return d, err
	}
	out := make([]AssessmentRecord, 0, len(products))
	var caught []caughtUp
	for _, p := range products {
		var prev *AssessmentRecord
		if doc, ok := prevDocs[p.ID]; ok {
			var r AssessmentRecord
			if err := json.Unmarshal(doc, &r); err != nil {
				return nil, nil, fmt.Errorf("app: assessment %s %s: %w", p.ID, m.Add(-1), err)
			}
			prev = &r
		}
		if cu, ok := catchUps[p.ID]; ok {
			// SPEC 3 "Missing months": each missing month is a normal run of
			// its own, in order, with the policy of its month.
			prev = cu.Prev
			for c := cu.From; c.Before(m); c = c.Add(1) {
				cpol, err := policyOf(c)
				if err != nil {
					return nil, nil, err
				}
				rec, err := assessOne(p, c, cpol, prev, revenue, quality)
				if err != nil {
					return nil, nil, err
				}
				caught = append(caught, caughtUp{Month: c, Record: rec, Policy: cpol.Version})
				prev = &rec
			}
		}
		rec, err := assessOne(p, m, pol, prev, revenue, quality)
		if err != nil {
			return nil, nil, err
		}
		out = append(out, rec)
	}
	return out, caught, nil
}

// assessOne assesses one product for month m from the record of the month
// before (nil: none, so the product starts from its registered phase).
func assessOne(p product.Product, m period.Month, pol policy.Document, prev *AssessmentRecord, revenue, quality map[product.FigureKey]int64) (AssessmentRecord, error) {
	in := assessment.Input{Month: m, Product: assessment.Product{ID: p.ID, Level: assessment.Level(p.Level),
		Mode: assessment.Mode(p.Mode), Stage: assessment.Stage(p.Stage), NoticeDate: p.NoticeDate,
		ExemptUntil: p.ExemptUntil, TrialCommercialSince: trialCommercialSince(p)}}
	// SPEC 3: a month computes from the phases recorded after the month before.
	if prev != nil {
		in.RevenueTrack, in.QualityTrack, in.QualityFailMonths = prev.RevenueTrackAfter, prev.QualityTrackAfter, prev.QualityFailMonths
	} else {
		// No result for the month before and none missing since the first
		// assessed month: start from the phase the product was registered
		// with, never from its current phase, so the month computes the same
		// whatever ran since (order-safe re-runs).
		in.RevenueTrack = assessment.Phase(p.InitialPhase)
	}
	for mo := m.Add(-(pol.Assessment.CommercialRevenueMonths - 1)); !mo.After(m); mo = mo.Add(1) {
		if v, ok := revenue[product.FigureKey{ProductID: p.ID, Month: mo}]; ok {
			in.Revenue = append(in.Revenue, assessment.RevenueFigure{Month: mo, Amount: money.Amount(v)})
		}
	}
	if v, ok := quality[product.FigureKey{ProductID: p.ID, Month: m}]; ok {
		sc := assessment.Score(v)
		in.QualityScore = &sc
	}
	res, err := assessment.Assess(in, pol.Assessment)
	if err != nil {
		return AssessmentRecord{}, fmt.Errorf("app: assess %s %s: %w", p.ID, m, err)
	}
	return AssessmentRecord{Result: res, PolicyVersion: pol.Version, Level: p.Level, Mode: p.Mode,
		QualityFailMonths: failWindow(in.QualityFailMonths, res, m)}, nil
}

// failWindow carries the quality fails of M-10..M forward, so the next month
// sees its M-11..M-1 (SPEC 3: the 3rd fail within 12 months).
func failWindow(before []period.Month, res assessment.Result, m period.Month) []period.Month {
	out := []period.Month{}
	for _, f := range before {
		if m.Sub(f) <= 10 && !f.After(m) && f != m {
			out = append(out, f)
		}
	}
	if res.QualityPass != nil && !*res.QualityPass {
		out = append(out, m)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Before(out[j]) })
	return out
}

// needsTrailingYear tells whether the P§18 check needs the product's last 12
// months: only trial-commercial products past the limit do, so the others'
// reads stay at three months.
func needsTrailingYear(p product.Product, m period.Month, pol policy.Document) bool {
	since := trialCommercialSince(p)
	if p.Stage != product.StageTrialCommercial || since == nil {
		return false
	}
	return m.Last().After(since.AddMonths(pol.Assessment.TrialCommercialMaxMonths))
}

func trialCommercialSince(p product.Product) *period.Date {
	if p.Stage != product.StageTrialCommercial {
		return nil
	}
	d := p.StageSince
	if p.NoticeDate != nil && p.NoticeDate.Before(d) {
		d = *p.NoticeDate
	}
	return &d
}

// applyAssessment carries a result to its product: the phase (only from the
// latest assessed month, so re-running an earlier month never moves it) and
// the P§18 flag.
func (s *Service) applyAssessment(ctx context.Context, p product.Product, r AssessmentRecord) error {
	if r.Result.Result == assessment.OutcomeSkipped || p.PhaseMonth != nil && r.Month.Before(*p.PhaseMonth) {
		return nil
	}
	wantPhase := product.Phase(r.PhaseAfter)
	if wantPhase == p.Phase && r.CommercialIneligible == p.HasFlag(product.FlagCommercialIneligible) {
		return nil // nothing changes: no write
	}
	_, err := s.Products.UpdateReadProduct(ctx, s.meta(ctx, system), p, func(x *product.Product) (product.Change, error) {
		if x.PhaseMonth != nil && r.Month.Before(*x.PhaseMonth) {
			return product.Change{}, errNothingToDo
		}
		x.Phase = wantPhase
		month := r.Month
		x.PhaseMonth = &month
		x.Flags = withFlag(x.Flags, product.FlagCommercialIneligible, r.CommercialIneligible)
		return product.Change{Action: "product.assessment." + r.Month.String()}, nil
	})
	if errors.Is(err, errNothingToDo) {
		return nil
	}
	return err
}

var errNothingToDo = errors.New("app: nothing to do")

func withFlag(flags []string, flag string, on bool) []string {
	out := make([]string, 0, len(flags)+1)
	for _, f := range flags {
		if f != flag {
			out = append(out, f)
		}
	}
	if on {
		out = append(out, flag)
	}
	return out
}

// OpenAssessmentExits opens one exit submission (exitType assessment, the
// system as applicant) for each product whose phase became exit in the month
// (SPEC 3, 2.5), or, given a segment, in that segment's pages of the run: the
// state machine opens each segment's exits in the segment's own child
// execution, so no one task opens a national run's thousands. The
// submission's id derives from product and month, so a re-run opens none
// twice.
func (s *Service) OpenAssessmentExits(ctx context.Context, month period.Month, seg *AssessmentSegment) (int, error) {
	opened := 0
	run, err := s.AssessStore.GetRun(ctx, runKindAssessment, month.String())
	if err != nil {
		return 0, err
	}
	ok, err := s.eachTally(ctx, month, run.Runs, seg, func(t pageTally) error {
		for _, r := range t.Exits {
			done, err := s.openAssessmentExit(ctx, r)
			if err != nil {
				return err
			}
			if done {
				opened++
			}
		}
		return nil
	})
	if ok || seg != nil || err != nil {
		return opened, err
	}
	cursor := ""
	for {
		docs, next, err := s.AssessStore.MonthAssessmentDocs(ctx, month, cursor, 200)
		if err != nil {
			return opened, err
		}
		for _, doc := range docs {
			var r AssessmentRecord
			if err := json.Unmarshal(doc, &r); err != nil {
				return opened, err
			}
			if !r.OpensExit {
				continue
			}
			ok, err := s.openAssessmentExit(ctx, r)
			if err != nil {
				return opened, err
			}
			if ok {
				opened++
			}
		}
		if next == "" {
			return opened, nil
		}
		cursor = next
	}
}

func (s *Service) openAssessmentExit(ctx context.Context, r AssessmentRecord) (bool, error) {
	subID := "sub_exit_" + r.ProductID + "_" + r.Month.String()
	if _, err := s.Submissions.GetSubmission(ctx, subID); err == nil {
		return false, nil
	} else if problem.CodeOf(err) != problem.CodeNotFound {
		return false, err
	}
	exitDate := r.Month.Add(4).First()
	content := map[string]any{
		"exitType":            "assessment",
		"evaluation":          fmt.Sprintf("%s月度考核进入退出期：%s（%s）", reason.Month(r.Month.String()), reason.Join(r.Reasons), r.Rule),
		"exitPlan":            "按产品退出流程发布退出公告，停止新增用户，存量用户迁移后下架（P§21）",
		"replacementProduct":  "无",
		"exitDate":            exitDate.String(),
		"customerServicePlan": "退出公告后由客户经理逐户沟通，提供迁移或替代方案，确保服务平稳过渡",
	}
	if r.Mode == product.ModeCooperative {
		content["cooperationMatters"] = "按合作协议约定终止合作，结清分成与承诺金"
	}
	raw := map[string]json.RawMessage{}
	for k, v := range content {
		b, _ := json.Marshal(v)
		raw[k] = b
	}
	_, err := s.CreateSubmission(ctx, directory.Person{Sub: SystemApplicant}, SubmissionRequest{
		ID: subID, Type: decision.TypeExit, ProductID: r.ProductID, Content: raw})
	if problem.CodeOf(err) == problem.CodeConflict {
		return false, nil
	}
	return err == nil, err
}

// FinishAssessment records the month's run as done with its report (SPEC 3).
// It reads the page tallies one at a time (the results, when the run kept
// none), sorts the results the report lists (phase changes, exits, pending
// data, P§18 flags) with a spill to a temporary file, and writes them to the
// work bucket a page at a time, so its memory does not grow with the
// portfolio: the run record and the report object keep the counts and the
// head of each list. It returns that head.
func (s *Service) FinishAssessment(ctx context.Context, month period.Month) (assessment.RunReport, error) {
	run, err := s.AssessStore.GetRun(ctx, runKindAssessment, month.String())
	if err != nil {
		return assessment.RunReport{}, err
	}
	bucket, err := s.objects()
	if err != nil {
		return assessment.RunReport{}, err
	}
	counts := map[assessment.Outcome]int{}
	for _, o := range assessment.Outcomes {
		counts[o] = 0
	}
	total := 0
	listed := newSpillSorter(reportSpillAt, assessment.ResultBefore)
	defer listed.Close()
	ok, err := s.eachTally(ctx, month, run.Runs, nil, func(t pageTally) error {
		total += t.Total
		for o, n := range t.Counts {
			counts[o] += n
		}
		for _, res := range t.Listed {
			if err := listed.Add(res); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return assessment.RunReport{}, err
	}
	for cursor := ""; !ok; {
		docs, next, err := s.AssessStore.MonthAssessmentDocs(ctx, month, cursor, 500)
		if err != nil {
			return assessment.RunReport{}, err
		}
		for _, doc := range docs {
			var r AssessmentRecord
			if err := json.Unmarshal(doc, &r); err != nil {
				return assessment.RunReport{}, err
			}
			total++
			counts[r.Result.Result]++
			if listedInReport(r) {
				if err := listed.Add(r.Result); err != nil {
					return assessment.RunReport{}, err
				}
			}
		}
		if next == "" {
			break
		}
		cursor = next
	}
	full := MonthReport{PolicyVersion: run.PolicyVersion, PageSize: reportPageSize,
		PagePrefix: runObjectKey(runKindAssessment, month.String(), run.Runs, "listed/")}
	head := assessment.NewReportBuilder(summaryListHead)
	page := make([]assessment.Result, 0, reportPageSize)
	putPage := func() error {
		if len(page) == 0 {
			return nil
		}
		body, err := json.Marshal(page)
		if err != nil {
			return err
		}
		if err := bucket.Put(ctx, full.pageKey(full.Pages), "application/json", body); err != nil {
			return err
		}
		full.Pages++
		page = page[:0]
		return nil
	}
	err = listed.Each(func(res assessment.Result) error {
		head.Add(res)
		full.Listed++
		if page = append(page, res); len(page) == reportPageSize {
			return putPage()
		}
		return nil
	})
	if err == nil {
		err = putPage()
	}
	if err != nil {
		return assessment.RunReport{}, err
	}
	report := head.Report()
	report.Total, report.Counts = total, counts
	full.RunReport = report
	body, err := json.Marshal(full)
	if err != nil {
		return report, err
	}
	ref := ObjectRef{Bucket: bucket.Name(), Key: runObjectKey(runKindAssessment, month.String(), run.Runs, "report.json")}
	if err := bucket.Put(ctx, ref.Key, "application/json", body); err != nil {
		return report, err
	}
	now := s.Now().UTC()
	run.Status, run.FinishedAt, run.Error, run.Cause = "succeeded", &now, "", ""
	run.Summary, _ = json.Marshal(runSummary{RunReport: report, Full: ref, Truncated: report.Truncated()})
	return report, s.AssessStore.PutRun(ctx, s.meta(ctx, system), run)
}

// reportSpillAt bounds the listed results the Report step holds in memory
// (about 2 KB each) before it spills a sorted run to a temporary file.
const reportSpillAt = 2000

// reportPageSize is how many listed results one page object of a report
// holds: about 2 MB, one page of the report as people read it.
const reportPageSize = 1000

// summaryListHead bounds each list a run record keeps (the whole lists are
// in the report's pages).
const summaryListHead = 100

// runSummary is what an assessment run record keeps of its report: the
// counts, the first summaryListHead entries of each list with each list's
// size, and where the whole report is.
type runSummary struct {
	assessment.RunReport
	// Truncated says some list holds only its head.
	Truncated bool `json:"truncated,omitempty"`
	// Full is the report in the work bucket (MonthReport).
	Full ObjectRef `json:"full"`
}

// MonthReport is a finished run's report as kept in the work bucket: the
// counts and the head of each list, the policy version, and where every
// result it lists is, in report order (product id, then month), PageSize to
// a page object.
type MonthReport struct {
	assessment.RunReport
	PolicyVersion string `json:"policyVersion"`
	// Listed is how many results the report lists.
	Listed int `json:"listed"`
	// Pages is how many page objects hold them.
	Pages      int    `json:"pages"`
	PageSize   int    `json:"pageSize"`
	PagePrefix string `json:"pagePrefix"`
}

// pageKey names the i-th (0-based) page object of the report: a JSON array
// of the listed results.
func (r MonthReport) pageKey(i int) string { return fmt.Sprintf("%s%05d.json", r.PagePrefix, i) }

// maxReportObject bounds a report object a page reads (a page object is
// about 2 MB).
const maxReportObject = 64 << 20

// AssessmentReport reads the report of a month's finished run from the work
// bucket (its counts, list heads and pages): not_found while the month has
// no finished run.
func (s *Service) AssessmentReport(ctx context.Context, month period.Month) (MonthReport, store.Run, error) {
	run, err := s.AssessStore.GetRun(ctx, runKindAssessment, month.String())
	if err != nil {
		return MonthReport{}, run, err
	}
	var sum runSummary
	if len(run.Summary) == 0 || json.Unmarshal(run.Summary, &sum) != nil || sum.Full.Key == "" {
		return MonthReport{}, run, problem.NotFound("assessment report", month.String())
	}
	bucket, err := s.objects()
	if err != nil {
		return MonthReport{}, run, err
	}
	raw, err := bucket.Get(ctx, sum.Full.Key, maxReportObject)
	if err != nil {
		return MonthReport{}, run, err
	}
	var rep MonthReport
	return rep, run, json.Unmarshal(raw, &rep)
}

// ReportPage reads the results on one page (from 1) of a report, in report
// order: an empty page for a report that lists none.
func (s *Service) ReportPage(ctx context.Context, rep MonthReport, page int) ([]assessment.Result, error) {
	if page < 1 || page > max(rep.Pages, 1) {
		return nil, problem.InvalidField("page", fmt.Sprintf("must be between 1 and %d", max(rep.Pages, 1)))
	}
	if rep.Pages == 0 {
		return []assessment.Result{}, nil
	}
	bucket, err := s.objects()
	if err != nil {
		return nil, err
	}
	raw, err := bucket.Get(ctx, rep.pageKey(page-1), maxReportObject)
	if err != nil {
		return nil, err
	}
	var out []assessment.Result
	return out, json.Unmarshal(raw, &out)
}

// MonthResults reads every result of a month, in product order.
func (s *Service) MonthResults(ctx context.Context, month period.Month) ([]AssessmentRecord, error) {
	var out []AssessmentRecord
	cursor := ""
	for {
		page, next, err := s.MonthResultsPage(ctx, month, cursor, 500)
		if err != nil {
			return nil, err
		}
		out = append(out, page...)
		if next == "" {
			return out, nil
		}
		cursor = next
	}
}

// MonthResultsPage reads one page of a month's results, in product order,
// and the cursor of the next (empty after the last).
func (s *Service) MonthResultsPage(ctx context.Context, month period.Month, cursor string, limit int32) ([]AssessmentRecord, string, error) {
	if limit <= 0 || limit > 1000 {
		return nil, "", problem.InvalidField("limit", "must be between 1 and 1000")
	}
	docs, next, err := s.AssessStore.MonthAssessmentDocs(ctx, month, cursor, limit)
	if err != nil {
		return nil, "", err
	}
	out := make([]AssessmentRecord, 0, len(docs))
	for _, doc := range docs {
		var r AssessmentRecord
		if err := json.Unmarshal(doc, &r); err != nil {
			return nil, "", err
		}
		out = append(out, r)
	}
	return out, next, nil
}

// AssessmentRun is the run record of a month.
func (s *Service) AssessmentRun(ctx context.Context, month period.Month) (store.Run, error) {
	return s.AssessStore.GetRun(ctx, runKindAssessment, month.String())
}

// StartAssessment runs the monthly assessment for any month on demand
// (admins, SPEC 8 POST /assessment-runs): one execution of the same state
// machine the schedule starts.
func (s *Service) StartAssessment(ctx context.Context, caller directory.Person, month string) (string, error) {
	if err := require(caller, "running the assessment", directory.RoleAdmin); err != nil {
		return "", err
	}
	m, err := period.ParseMonth(month)
	if err != nil {
		return "", problem.InvalidField("month", err.Error())
	}
	if !m.Before(period.MonthOf(s.Now())) {
		return "", problem.InvalidField("month", "must be a past month: the current month's figures are not complete")
	}
	in, _ := json.Marshal(map[string]string{"month": m.String(), "scheduledTime": ""})
	out, err := s.Workflow.StartExecution(ctx, &sfn.StartExecutionInput{
		StateMachineArn: aws.String(s.AssessmentMachineArn),
		Name:            aws.String("assess-" + m.String() + "-" + id.Random(8)),
		Input:           aws.String(string(in)),
	})
	if err != nil {
		return "", fmt.Errorf("app: start assessment %s: %w", m, err)
	}
	return aws.ToString(out.ExecutionArn), nil
}
