package main

// The assessment section. Data: -products in-scope products (province and
// city; commercial and trial_commercial, a quarter of them in trial
// commercial use for more than two years so that P§18 reads 12 months; half
// cooperative), notices long past so every product is assessed, and -months
// months of revenue (above the thresholds) and quality for each. A tenth of
// the cooperative products fail quality every sixth month, so some products
// change phase every month (warning and back), as in a real month; none
// reaches exit.
//
// Runs, on one DynamoDB Local:
//  1. the first month, by the system: the first-month case (no results of
//     the month before; products start from their registered phase). It
//     warms the JVM up and writes the results the next month reads. Shown,
//     not compared.
//  2. -assess-rounds months, each by the floor and then by the system (the
//     system overwrites the floor's result items with its own, which the
//     next month reads). These are the compared rows.
//  3. with -sfn, one more month by the floor and then by the state machine on
//     the local ASL engine (StartExecution, then Wait).
//
// The system run calls what the state machine's tasks call, in the same
// shape: PlanAssessment, then AssessPage page by page over each segment, at
// most the Map's MaxConcurrency segments at once — through app.Service, not
// through the engine. Its DynamoDB client counts requests (smithy
// middleware); the floor's is counted the same way.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/url"
	"os"
	"path/filepath"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddb "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"productgov/infra/bench"
	"productgov/infra/dynamolocal"
	"productgov/shared/assessment"
	"productgov/shared/audit"
	"productgov/shared/id"
	"productgov/shared/period"
	"productgov/shared/policy"
	"productgov/shared/product"
	"productgov/shared/store"
)

// assessOptions are the assessment section's flags.
type assessOptions struct {
	products int
	months   int
	writers  int
	rounds   int
	sfn      bool
	timeout  time.Duration
}

// assessedMonths is how many months the section assesses: the first month,
// the rounds and the state machine's month.
func (o assessOptions) assessedMonths() int { return 1 + o.rounds + boolInt(o.sfn) }

func (o assessOptions) check() error {
	switch {
	case o.products < 1 || o.writers < 1 || o.rounds < 1 || o.timeout <= 0:
		return errors.New("-products, -writers and -assess-rounds must be at least 1, -assess-timeout positive")
	case o.months < o.assessedMonths()+2:
		return fmt.Errorf("-months must be at least %d: %d assessed months and the two before the first", o.assessedMonths()+2, o.assessedMonths())
	}
	return nil
}

// runAssessment starts its own DynamoDB Local and stack, loads the data,
// measures and prints the section.
func runAssessment(ctx context.Context, o assessOptions, header bool) error {
	began, loadBefore := time.Now(), loadAverage()
	ctx, cancel := context.WithTimeoutCause(ctx, o.timeout, fmt.Errorf("the assessment section took longer than -assess-timeout %s", o.timeout))
	defer cancel()

	progress("assessment: starting DynamoDB Local (in memory) and the stack on 127.0.0.1 …")
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	s, err := startStack(ctx, log)
	if err != nil {
		return err
	}
	defer s.close()
	fail := func(err error) error {
		if cause := context.Cause(ctx); cause != nil && !errors.Is(err, cause) {
			err = fmt.Errorf("%w (%v)", err, cause)
		}
		return errors.Join(err, s.failed())
	}
	pol, err := s.sys.App.Policy(ctx)
	if err != nil {
		return err
	}
	last := period.MonthOf(time.Now()).Add(-1)
	d := newDataset(o, pol, last)
	ld, err := d.load(ctx, s.sys.Store, o.writers, pol.Version)
	if err != nil {
		return fail(fmt.Errorf("load: %w", err))
	}
	ld.jvm = jvmMemory(s.ddb)

	m, err := newMeasurer(s, pol, log)
	if err != nil {
		return err
	}
	defer m.close()
	runs, err := m.measureAll(ctx, o, d)
	if err != nil {
		return fail(err)
	}
	check, err := m.checkResults(ctx, d.assessed[len(d.assessed)-1])
	if err != nil {
		return fail(err)
	}
	return writeAssessReport(os.Stdout, assessReport{
		opts: o, header: header, began: began, took: time.Since(began), loadBefore: loadBefore, loadAfter: loadAverage(),
		data: d, load: ld, runs: runs, jvmEnd: jvmMemory(s.ddb), check: check, mapConcurrency: m.mapConcurrency,
		functionPeaks: functionPeaks(s),
	})
}

// functionPeaks reads the largest peak RSS of each function's bootstraps.
func functionPeaks(s *stack) map[string]uint64 {
	out := map[string]uint64{}
	for _, fn := range s.local.Lambda.Functions() {
		peaks, err := s.local.Lambda.PeakRSS(fn)
		if err != nil {
			continue
		}
		for _, p := range peaks {
			out[fn] = max(out[fn], p)
		}
	}
	return out
}

// jvmMemory reads the resident memory of the java process of a DynamoDB
// Local this process started, found by its -port argument; "" when it cannot.
func jvmMemory(inst *dynamolocal.Instance) string {
	u, err := url.Parse(inst.Endpoint)
	if err != nil {
		return ""
	}
	pid, err := bench.FindChild("DynamoDBLocal.jar", "-port", u.Port())
	if err != nil {
		return ""
	}
	mem, err := bench.ReadProcMemory(pid)
	if err != nil {
		return ""
	}
	return fmt.Sprintf("%s RSS, %s peak RSS (VmHWM, pid %d)", mib(mem.RSS), mib(mem.PeakRSS), pid)
}

// spec is one loaded product.
type spec struct {
	i      int
	id     string
	level  product.Level
	mode   product.Mode
	stage  product.Stage
	notice period.Date
	// trailingYear marks trial-commercial products past the P§18 limit in
	// every assessed month: the system reads their last 12 months.
	trailingYear bool
	// revenue is the product's usual monthly revenue, fen.
	revenue int64
	// weak products fail quality in the months where (index+offset)%6 == 0.
	weak   bool
	offset int
}

// dataset is the loaded data and the months the runs assess.
type dataset struct {
	specs []spec
	// months are the loaded months, oldest first.
	months []period.Month
	// assessed are the assessed months in order: the first month, the
	// rounds', then the state machine's.
	assessed []period.Month
}

// newDataset draws the products (a fixed seed: every run loads the same mix)
// and the months: figures through last, the last month assessed.
func newDataset(o assessOptions, pol policy.Document, last period.Month) *dataset {
	d := &dataset{}
	for k := o.months - 1; k >= 0; k-- {
		d.months = append(d.months, last.Add(-k))
	}
	first := last.Add(1 - o.assessedMonths())
	for k := range o.assessedMonths() {
		d.assessed = append(d.assessed, first.Add(k))
	}
	rules := pol.Assessment
	r := rand.New(rand.NewPCG(20260101, 1))
	day := func() int { return 1 + r.IntN(28) }
	for i := range o.products {
		sp := spec{i: i, id: id.New("prd"), level: product.LevelProvince, mode: product.ModeSelfBuilt, stage: product.StageCommercial}
		if r.IntN(2) == 0 {
			sp.level = product.LevelCity
		}
		if r.IntN(2) == 0 {
			sp.mode = product.ModeCooperative
			sp.weak, sp.offset = r.IntN(10) == 0, r.IntN(6)
		}
		var noticeMonth period.Month
		switch k := r.IntN(20); {
		case k < 12: // commercial, notice half a year to five years before the first assessed month
			noticeMonth = first.Add(-(6 + r.IntN(48)))
		case k < 15: // trial commercial for more than two years throughout
			sp.stage, sp.trailingYear = product.StageTrialCommercial, true
			noticeMonth = first.Add(-(rules.TrialCommercialMaxMonths + 3 + r.IntN(12)))
		default: // trial commercial, within two years throughout
			sp.stage = product.StageTrialCommercial
			noticeMonth = first.Add(-(6 + r.IntN(12)))
		}
		sp.notice = period.Date{Year: noticeMonth.Year, Month: noticeMonth.Month, Day: day()}
		// Revenue: 1.3–1.7 or 2.6–3.0 times the level's threshold, so the
		// revenue test passes and P§18 (1.2M a year) is clearly met or missed.
		pct := 130 + r.IntN(41)
		if r.IntN(2) == 0 {
			pct += 130
		}
		sp.revenue = rules.RevenueThresholds[assessment.Level(sp.level)].Fen() * int64(pct) / 100
		d.specs = append(d.specs, sp)
	}
	return d
}

// figure returns a product's figure of a month: revenue within ±5% of its
// usual; quality 70.00–97.99, or 45.00–58.99 in a weak product's fail month.
func (sp spec) figure(kind product.FigureKind, m period.Month) int64 {
	h := mix(uint64(sp.i)<<20 ^ uint64(m.Sub(period.Month{Year: 2000, Month: time.January}))<<2 ^ boolU(kind == product.KindQuality))
	if kind == product.KindRevenue {
		return sp.revenue * int64(95+h%11) / 100
	}
	if sp.weak && (m.Sub(period.Month{Year: 2000, Month: time.January})+sp.offset)%6 == 0 {
		return int64(4500 + h%1400)
	}
	return int64(7000 + h%2800)
}

// mix is splitmix64's finalizer: a cheap, well-spread hash.
func mix(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ x>>30) * 0xbf58476d1ce4e5b9
	x = (x ^ x>>27) * 0x94d049bb133111eb
	return x ^ x>>31
}

func boolU(b bool) uint64 {
	if b {
		return 1
	}
	return 0
}

// product is the spec as the product use cases would hold it.
func (sp spec) product(now time.Time) product.Product {
	notice := sp.notice
	p := product.Product{
		ID: sp.id, Name: sp.name(), Level: sp.level, Mode: sp.mode, Customers: sp.customers(), Stage: sp.stage,
		NoticeDate: &notice, Phase: product.PhaseAssessment, StageSince: notice,
		CreatedBy: benchSub, CreatedAt: now, UpdatedAt: now,
	}
	if sp.mode == product.ModeCooperative {
		p.PartnerID = "ptn_bench00001"
	}
	return p
}

func (sp spec) name() string     { return fmt.Sprintf("assessed product %06d", sp.i) }
func (sp spec) customers() int64 { return int64(100 + sp.i%900) }

// kind groups the products that share a template item.
type kind struct {
	level product.Level
	mode  product.Mode
	stage product.Stage
}

func (sp spec) kind() kind { return kind{sp.level, sp.mode, sp.stage} }

// loaded is what loading took.
type loaded struct {
	products, figures       int
	productTook, figureTook time.Duration
	jvm                     string
}

// load writes the products and their figures with o.writers concurrent
// writers. The first product of each kind is created by store.CreateProduct
// (with its stage history and audit entry); every other product is that
// item as the store wrote it, read back and cloned with its own id, name,
// customers and notice date, written with BatchWriteItem. Figures go through
// store.ImportFigures (the import path: BatchWriteItem of 25 and one audit
// entry per import), one import per ten products and kind.
func (d *dataset) load(ctx context.Context, st *store.Store, writers int, policyVersion string) (loaded, error) {
	var ld loaded
	db, table := st.Client(), st.Table()
	now := time.Now()
	meta := audit.Meta{Actor: benchSub, RequestID: id.New("req"), At: now}

	t0 := time.Now()
	templates := map[kind]*spec{}
	items := map[kind]map[string]ddb.AttributeValue{}
	for i := range d.specs {
		sp := &d.specs[i]
		if templates[sp.kind()] != nil {
			continue
		}
		p := sp.product(now)
		first := product.StageChange{ProductID: p.ID, To: p.Stage, At: now.UTC(), By: benchSub, Reason: "bench load", PolicyVersion: policyVersion}
		if err := st.CreateProduct(ctx, meta, p, first); err != nil {
			return ld, err
		}
		res, err := db.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(table), Key: productKey(p.ID), ConsistentRead: aws.Bool(true)})
		if err != nil {
			return ld, err
		}
		if err := checkTemplate(res.Item, *sp, st.Shards()); err != nil {
			return ld, err
		}
		templates[sp.kind()], items[sp.kind()] = sp, res.Item
	}
	var reqs []ddb.WriteRequest
	for _, sp := range d.specs {
		t := templates[sp.kind()]
		if t.id == sp.id {
			continue
		}
		item := replaceInStrings(items[sp.kind()], t.id, sp.id)
		item["name"] = str(sp.name())
		item["customers"] = &ddb.AttributeValueMemberN{Value: fmt.Sprint(sp.customers())}
		item["noticeDate"] = str(sp.notice.String())
		item["stageSince"] = str(sp.notice.String())
		gpk, _ := store.ProductIndexKeys(product.Product{ID: sp.id, Stage: sp.stage, Level: sp.level}, st.Shards())
		item["gsi1pk"] = str(gpk) // the shard follows the id
		reqs = append(reqs, ddb.WriteRequest{PutRequest: &ddb.PutRequest{Item: item}})
	}
	var written atomic.Int64
	stopProgress := reportProgress("products", int64(len(d.specs)), &written)
	written.Add(int64(len(templates)))
	batches := (len(reqs) + 24) / 25
	_, err := bench.Run(ctx, batches, writers, func(ctx context.Context, b int) error {
		chunk := reqs[b*25 : min(b*25+25, len(reqs))]
		if err := batchWrite(ctx, db, table, chunk); err != nil {
			return err
		}
		written.Add(int64(len(chunk)))
		return nil
	})
	stopProgress()
	if err != nil {
		return ld, err
	}
	ld.products, ld.productTook = len(d.specs), time.Since(t0)

	t0 = time.Now()
	const perImport = 10
	groups := (len(d.specs) + perImport - 1) / perImport
	kinds := []product.FigureKind{product.KindRevenue, product.KindQuality}
	total := int64(len(d.specs) * len(d.months) * len(kinds))
	written.Store(0)
	stopProgress = reportProgress("figures", total, &written)
	_, err = bench.Run(ctx, groups*len(kinds), writers, func(ctx context.Context, j int) error {
		k, g := kinds[j%len(kinds)], j/len(kinds)
		var figs []product.Figure
		for _, sp := range d.specs[g*perImport : min(g*perImport+perImport, len(d.specs))] {
			for _, m := range d.months {
				figs = append(figs, product.Figure{ProductID: sp.id, Month: m, Value: sp.figure(k, m)})
			}
		}
		if err := st.ImportFigures(ctx, meta, k, fmt.Sprintf("imp_bench_%s_%06d", k, g), "bench.xlsx", figs); err != nil {
			return err
		}
		written.Add(int64(len(figs)))
		return nil
	})
	stopProgress()
	if err != nil {
		return ld, err
	}
	ld.figures, ld.figureTook = int(total), time.Since(t0)
	return ld, nil
}

// checkTemplate makes sure the store's product item holds the attributes a
// clone replaces, with the template's values: a changed layout in
// shared/store/products.go fails the load instead of loading wrong items.
func checkTemplate(item map[string]ddb.AttributeValue, sp spec, shards int) error {
	gpk, gsk := store.ProductIndexKeys(product.Product{ID: sp.id, Stage: sp.stage, Level: sp.level}, shards)
	want := map[string]string{
		"id": sp.id, "name": sp.name(), "noticeDate": sp.notice.String(), "stageSince": sp.notice.String(),
		"gsi1pk": gpk, "gsi1sk": gsk,
		"stage": string(sp.stage), "mode": string(sp.mode), "level": string(sp.level),
	}
	for k, v := range want {
		s, ok := item[k].(*ddb.AttributeValueMemberS)
		if !ok || s.Value != v {
			return fmt.Errorf("template product %s: attribute %s is %v, want %q: shared/store/products.go changed its item layout", sp.id, k, item[k], v)
		}
	}
	if n, ok := item["customers"].(*ddb.AttributeValueMemberN); !ok || n.Value != fmt.Sprint(sp.customers()) {
		return fmt.Errorf("template product %s: attribute customers is %v: shared/store/products.go changed its item layout", sp.id, item["customers"])
	}
	return nil
}

// batchWrite sends up to 25 writes, resending what DynamoDB leaves unprocessed.
func batchWrite(ctx context.Context, db *dynamodb.Client, table string, reqs []ddb.WriteRequest) error {
	pending := map[string][]ddb.WriteRequest{table: reqs}
	for attempt := 0; len(pending) > 0; attempt++ {
		res, err := db.BatchWriteItem(ctx, &dynamodb.BatchWriteItemInput{RequestItems: pending})
		if err != nil {
			return err
		}
		pending = res.UnprocessedItems
		if len(pending) > 0 {
			if err := sleep(ctx, time.Duration(min(attempt+1, 20))*5*time.Millisecond); err != nil {
				return err
			}
		}
	}
	return nil
}

// batchGet reads keys (at most 100) with BatchGetItem, asking again for
// unprocessed keys, and hands each item to fn.
func batchGet(ctx context.Context, db *dynamodb.Client, table string, ka ddb.KeysAndAttributes, fn func(map[string]ddb.AttributeValue)) error {
	req := map[string]ddb.KeysAndAttributes{table: ka}
	for attempt := 0; len(req) > 0; attempt++ {
		res, err := db.BatchGetItem(ctx, &dynamodb.BatchGetItemInput{RequestItems: req})
		if err != nil {
			return err
		}
		for _, item := range res.Responses[table] {
			fn(item)
		}
		req = res.UnprocessedKeys
		if len(req) > 0 {
			if err := sleep(ctx, time.Duration(min(attempt+1, 20))*5*time.Millisecond); err != nil {
				return err
			}
		}
	}
	return nil
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return context.Cause(ctx)
	case <-t.C:
		return nil
	}
}

// reportProgress prints how much of total is written every 20 seconds until
// the returned function is called.
func reportProgress(what string, total int64, written *atomic.Int64) (stop func()) {
	done := make(chan struct{})
	start := time.Now()
	go func() {
		t := time.NewTicker(20 * time.Second)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				n := written.Load()
				progress(fmt.Sprintf("assessment: loading %s: %d of %d (%.0f/s)", what, n, total, float64(n)/time.Since(start).Seconds()))
			}
		}
	}()
	return func() { close(done) }
}

// mapConcurrency reads the MaxConcurrency of the assessment's Map state
// (AssessSegments) from statemachines/monthly-assessment.asl.json, so the
// direct run and the floor page through as many segments at once as the
// state machine does.
func mapConcurrency() (int, error) {
	root, err := dynamolocal.RepoRoot()
	if err != nil {
		return 0, err
	}
	b, err := os.ReadFile(filepath.Join(root, "statemachines", "monthly-assessment.asl.json"))
	if err != nil {
		return 0, err
	}
	var def struct {
		States map[string]struct {
			Type           string `json:"Type"`
			MaxConcurrency *int   `json:"MaxConcurrency"`
		} `json:"States"`
	}
	if err := json.Unmarshal(b, &def); err != nil {
		return 0, fmt.Errorf("monthly-assessment.asl.json: %w", err)
	}
	st, ok := def.States["AssessSegments"]
	if !ok || st.Type != "Map" {
		return 0, errors.New("monthly-assessment.asl.json: no Map state AssessSegments")
	}
	if st.MaxConcurrency == nil || *st.MaxConcurrency == 0 {
		return 0, errors.New("monthly-assessment.asl.json: AssessSegments has no MaxConcurrency (0 means unbounded: pass one explicitly)")
	}
	return *st.MaxConcurrency, nil
}
