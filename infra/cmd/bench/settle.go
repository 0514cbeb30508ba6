package main

// The settlement section (SPEC 4.3). Data: -settle-partners active support
// partners, each with a 300,000 deposit and a 20,000 fine in Q2 (drawing on
// its fees, so the waterfall runs), and -settle-projects approved support
// projects spread over them, one product each: half in revenue mode (direct
// benefit, 2.7%, a workload floor) with 12 months of revenue, half in
// guarantee mode with two priced work items; every project has its four
// quarter inputs of last year.
//
// Runs, on one DynamoDB Local: Q1, Q2 and Q3 of last year, then its annual
// clearing (Q4: revenue-mode projects cleared, guarantee projects settled),
// each by the system — app.PlanSettlement, then SettlePartner for every
// partner, two at once as the state machine's Map — and then by the floor:
// the same reads and the same writes issued with the SDK (one Query of the
// partner's projects, batched reads of inputs, figures, accruals and for Q4
// the year's statements, the charges, the rounds; one PutItem per statement
// and one transaction for the partner's round), writing into keys of its own
// so that it never disturbs the system; the floor computes nothing, it writes
// the documents the system wrote. Last, Q3 again by the system: a re-run that
// finds nothing changed. Both clients count their requests.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strconv"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddb "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"productgov/infra/bench"
	"productgov/shared/app"
	"productgov/shared/audit"
	"productgov/shared/id"
	"productgov/shared/money"
	"productgov/shared/partner"
	"productgov/shared/period"
	"productgov/shared/product"
	"productgov/shared/settlement"
	"productgov/shared/store"
)

// settleOptions are the settlement section's flags.
type settleOptions struct {
	projects int
	partners int
	timeout  time.Duration
}

func (o settleOptions) check() error {
	if o.projects < 1 || o.partners < 1 || o.timeout <= 0 {
		return errors.New("-settle-projects and -settle-partners must be at least 1, -settle-timeout positive")
	}
	return nil
}

// settleData is the loaded partners and projects.
type settleData struct {
	year      int
	partners  []string
	projects  []settlement.Project
	byPartner map[string][]settlement.Project
	items     int
	took      time.Duration
}

// settleRun is one measured run.
type settleRun struct {
	label    string
	quarter  period.Quarter
	projects int
	written  int
	took     time.Duration
	reqs     bench.RequestCounts
	floor    *settleRun
}

// runSettlementSection starts its own DynamoDB Local and stack, loads the
// data, measures and prints the section.
func runSettlementSection(ctx context.Context, o settleOptions, header bool) error {
	began, loadBefore := time.Now(), loadAverage()
	ctx, cancel := context.WithTimeoutCause(ctx, o.timeout, fmt.Errorf("the settlement section took longer than -settle-timeout %s", o.timeout))
	defer cancel()
	progress("settlement: starting DynamoDB Local (in memory) and the stack on 127.0.0.1 …")
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
	year := period.DateOf(time.Now()).Year - 1
	d, err := loadSettleData(ctx, s.sys.Store, o, year)
	if err != nil {
		return fail(fmt.Errorf("load: %w", err))
	}
	progress(fmt.Sprintf("settlement: loaded %d items in %.1fs", d.items, d.took.Seconds()))

	counter := bench.NewRequestCounter()
	db := counter.Client(s.sys.Store.Client())
	st := store.New(db, s.sys.Store.Table())
	plain := s.sys.App
	svc := &app.Service{Products: st, Figures: st, Users: st, Policies: st, Audit: st, Partners: st, Submissions: st,
		Approvals: st, AssessStore: st, PartnerStore: st, Workflow: plain.Workflow, Mail: plain.Mail, Links: plain.Links,
		Log: log, Now: time.Now}
	f := &settleFloor{db: db, table: s.sys.Store.Table(), data: d}

	measure := func(label string, q period.Quarter, fn func(context.Context) (int, error)) (settleRun, error) {
		before := counter.Snapshot()
		t0 := time.Now()
		written, err := fn(ctx)
		r := settleRun{label: label, quarter: q, projects: len(d.projects), written: written, took: time.Since(t0),
			reqs: counter.Snapshot().Sub(before)}
		progress(fmt.Sprintf("settlement: %-32s %s %6.2fs", label, q, r.took.Seconds()))
		return r, err
	}
	var runs []settleRun
	for k := 1; k <= 4; k++ {
		q := period.Quarter{Year: year, Q: k}
		job, given := app.JobQuarter, q.String()
		if k == 4 {
			job, given = app.JobClearing, strconv.Itoa(year)
		}
		sys, err := measure("system: app.Service direct", q, func(ctx context.Context) (int, error) {
			return settleAll(ctx, svc, job, given, d.partners)
		})
		if err != nil {
			return fail(err)
		}
		docs, err := f.prepare(ctx, s.sys.Store, q)
		if err != nil {
			return fail(err)
		}
		fl, err := measure("floor: SDK requests", q, func(ctx context.Context) (int, error) { return f.run(ctx, q, docs) })
		if err != nil {
			return fail(err)
		}
		sys.floor = &fl
		runs = append(runs, fl, sys)
	}
	q3 := period.Quarter{Year: year, Q: 3}
	again, err := measure("system: re-run, nothing changes", q3, func(ctx context.Context) (int, error) {
		return settleAll(ctx, svc, app.JobQuarter, q3.String(), d.partners)
	})
	if err != nil {
		return fail(err)
	}
	if again.written != 0 {
		return fail(fmt.Errorf("the re-run of %s wrote %d statements; want none", q3, again.written))
	}
	runs = append(runs, again)
	return writeSettleReport(os.Stdout, header, began, time.Since(began), loadBefore, loadAverage(), d, runs)
}

// settleAll plans a job and settles every partner's quarter, two partners at
// once as the state machine's Map (MaxConcurrency 2). It returns the
// statements written.
func settleAll(ctx context.Context, svc *app.Service, job, given string, partners []string) (int, error) {
	plan, err := svc.PlanSettlement(ctx, job, given, time.Now())
	if err != nil {
		return 0, err
	}
	q, err := period.ParseQuarter(plan.Period)
	if err != nil {
		return 0, err
	}
	var mu sync.Mutex
	written := 0
	_, err = bench.Run(ctx, len(plan.Partners), 2, func(ctx context.Context, i int) error {
		res, err := svc.SettlePartner(ctx, q, plan.PolicyVersion, plan.Partners[i])
		if err != nil {
			return err
		}
		if len(res.Pending) > 0 {
			return fmt.Errorf("partner %s pending: %v", res.PartnerID, res.Pending)
		}
		mu.Lock()
		written += res.Written
		mu.Unlock()
		return nil
	})
	if err != nil {
		return written, err
	}
	_, err = svc.FinishSettlement(ctx, job, plan.Period, json.RawMessage(`[]`))
	return written, err
}

// loadSettleData writes the partners (store.CreatePartner), the projects
// (store.CreateProject, 8 writers), the fines (store.AddPenalty), the revenue
// (store.ImportFigures) and the quarter inputs (BatchWriteItem of the items
// store.PutQuarterEntry writes).
func loadSettleData(ctx context.Context, st *store.Store, o settleOptions, year int) (*settleData, error) {
	t0 := time.Now()
	d := &settleData{year: year, byPartner: map[string][]settlement.Project{}}
	now := time.Now()
	meta := audit.Meta{Actor: benchSub, RequestID: id.New("req"), At: now}
	start := period.Date{Year: year, Month: time.January, Day: 1}
	for i := range o.partners {
		p := partner.Partner{ID: fmt.Sprintf("ptn_bench%03d", i), Kind: partner.KindSupport, Name: fmt.Sprintf("bench partner %d", i),
			Status: partner.StatusActive, DepositBalance: money.FromYuan(300_000), AnnualScores: []partner.AnnualAssessment{},
			CreatedBy: benchSub, CreatedAt: now, UpdatedAt: now}
		if err := st.CreatePartner(ctx, meta, p); err != nil {
			return nil, err
		}
		fine := partner.Penalty{Category: partner.FineMajorComplaint, Amount: money.FromYuan(20_000),
			Quarter: period.Quarter{Year: year, Q: 2}, Reason: "bench"}
		charge, err := partner.AssessPenalty(fine, partner.DefaultRules().Penalties)
		if err != nil {
			return nil, err
		}
		if err := st.AddPenalty(ctx, meta, partner.PenaltyRecord{ID: id.New("pen"), PartnerID: p.ID, Penalty: fine,
			Charge: charge, By: benchSub, At: now}); err != nil {
			return nil, err
		}
		d.partners = append(d.partners, p.ID)
		d.items += 2
	}
	rate := money.NewRate(27, 1000)
	for i := range o.projects {
		p := settlement.Project{ID: fmt.Sprintf("spj_bench%05d", i), PartnerID: d.partners[i%o.partners],
			ProductID: fmt.Sprintf("prd_bench%05d", i), ProductName: fmt.Sprintf("bench product %d", i),
			Status: settlement.ProjectApproved, Registered: true, ReviewYear: year, StartDate: start,
			EndDate: start.AddMonths(12).AddDays(-1), Renewals: []settlement.RenewalRecord{}, CreatedBy: benchSub, CreatedAt: now, UpdatedAt: now}
		if i%2 == 0 {
			r := rate
			p.Mode, p.BenefitType, p.ContentType, p.ContributionRate = partner.ModeRevenue, partner.BenefitDirect, partner.ContentOrdinary, &r
			p.MinWorkload, p.AnnualTarget, p.Items = settlement.Units(10), money.FromYuan(1_500_000), []settlement.PlannedWorkItem{}
		} else {
			p.Mode, p.BenefitType, p.ContentType = partner.ModeGuarantee, partner.BenefitGuarantee, partner.ContentFunction
			p.Items = []settlement.PlannedWorkItem{{Name: "内容审核", UnitPrice: money.FromYuan(1000), PlannedWorkload: settlement.Units(30)},
				{Name: "页面制作", UnitPrice: money.FromYuan(500), PlannedWorkload: settlement.Units(20)}}
		}
		d.projects = append(d.projects, p)
		d.byPartner[p.PartnerID] = append(d.byPartner[p.PartnerID], p)
	}
	if _, err := bench.Run(ctx, len(d.projects), 8, func(ctx context.Context, i int) error {
		return st.CreateProject(ctx, meta, d.projects[i])
	}); err != nil {
		return nil, err
	}
	var figs []product.Figure
	var reqs []ddb.WriteRequest
	for i, p := range d.projects {
		for m := 1; m <= 12; m++ {
			if p.Mode == partner.ModeRevenue {
				figs = append(figs, product.Figure{ProductID: p.ProductID, Month: period.Month{Year: year, Month: time.Month(m)},
					Value: int64(100_000_00 + (i%7)*1_000_00 + m*100)})
			}
		}
		for k := 1; k <= 4; k++ {
			e := settlement.QuarterEntry{ProjectID: p.ID, Quarter: period.Quarter{Year: year, Q: k}, ServiceScore: partner.Points(int64(60 + (i+k)%40)),
				Version: 1, By: benchSub, At: now}
			if p.Mode == partner.ModeRevenue {
				w := settlement.Units(int64(8 + (i+k)%5))
				e.Workload = &w
			} else {
				e.Items = []settlement.QuarterItem{{Name: "内容审核", Workload: settlement.Units(30), Score: partner.Points(int64(55 + (i+k)%45))},
					{Name: "页面制作", Workload: settlement.Units(20), Score: partner.Hundredths(int64(5950 + (i*k)%4000))}}
			}
			doc, err := json.Marshal(e)
			if err != nil {
				return nil, err
			}
			av, err := attributevalue.MarshalMap(map[string]any{"pk": "PROJECT#" + p.ID, "sk": "QUARTER#" + e.Quarter.String(),
				"type": "quarter", "ver": 1, "doc": string(doc)})
			if err != nil {
				return nil, err
			}
			reqs = append(reqs, ddb.WriteRequest{PutRequest: &ddb.PutRequest{Item: av}})
		}
	}
	for start := 0; start < len(figs); start += 1000 {
		if err := st.ImportFigures(ctx, meta, product.KindRevenue, id.New("imp"), "bench.csv", figs[start:min(start+1000, len(figs))]); err != nil {
			return nil, err
		}
	}
	if _, err := bench.Run(ctx, (len(reqs)+24)/25, 8, func(ctx context.Context, i int) error {
		pending := map[string][]ddb.WriteRequest{st.Table(): reqs[i*25 : min(i*25+25, len(reqs))]}
		for len(pending) > 0 {
			res, err := st.Client().BatchWriteItem(ctx, &dynamodb.BatchWriteItemInput{RequestItems: pending})
			if err != nil {
				return err
			}
			pending = res.UnprocessedItems
		}
		return nil
	}); err != nil {
		return nil, err
	}
	d.items += len(d.projects) + len(figs) + len(reqs)
	d.took = time.Since(t0)
	return d, nil
}

// settleFloor issues the settlement's reads and writes with the SDK.
type settleFloor struct {
	db    *dynamodb.Client
	table string
	data  *settleData
}

// floorDocs are the documents the floor writes: the system's, read before the
// floor's run.
type floorDocs struct {
	statements map[string]string // project id → statement doc
	rounds     map[string]string // partner id → round doc
}

func (f *settleFloor) prepare(ctx context.Context, st *store.Store, q period.Quarter) (floorDocs, error) {
	docs := floorDocs{statements: map[string]string{}, rounds: map[string]string{}}
	sts, err := st.Statements(ctx, q)
	if err != nil {
		return docs, err
	}
	for _, s := range sts {
		b, _ := json.Marshal(s)
		docs.statements[s.ProjectID] = string(b)
	}
	for _, pid := range f.data.partners {
		r, _, err := st.Round(ctx, pid, q)
		if err != nil {
			return docs, err
		}
		b, _ := json.Marshal(r)
		docs.rounds[pid] = string(b)
	}
	return docs, nil
}

// stringAttr is a string attribute value.
func stringAttr(v string) ddb.AttributeValue { return &ddb.AttributeValueMemberS{Value: v} }

func (f *settleFloor) key(pk, sk string) map[string]ddb.AttributeValue {
	return map[string]ddb.AttributeValue{"pk": stringAttr(pk), "sk": stringAttr(sk)}
}

// batchGet reads keys 100 at a time, retrying what is left unprocessed.
func (f *settleFloor) batchGet(ctx context.Context, ks []map[string]ddb.AttributeValue) error {
	for start := 0; start < len(ks); start += 100 {
		req := map[string]ddb.KeysAndAttributes{f.table: {Keys: ks[start:min(start+100, len(ks))]}}
		for len(req) > 0 {
			res, err := f.db.BatchGetItem(ctx, &dynamodb.BatchGetItemInput{RequestItems: req})
			if err != nil {
				return err
			}
			req = res.UnprocessedKeys
		}
	}
	return nil
}

func (f *settleFloor) query(ctx context.Context, index, pkAttr, pk, skAttr, prefix string) error {
	in := &dynamodb.QueryInput{TableName: aws.String(f.table), KeyConditionExpression: aws.String("#pk = :pk"),
		ExpressionAttributeNames: map[string]string{"#pk": pkAttr}, ExpressionAttributeValues: map[string]ddb.AttributeValue{":pk": stringAttr(pk)}}
	if index != "" {
		in.IndexName = aws.String(index)
	}
	if prefix != "" {
		in.KeyConditionExpression = aws.String("#pk = :pk AND begins_with(#sk, :p)")
		in.ExpressionAttributeNames["#sk"] = skAttr
		in.ExpressionAttributeValues[":p"] = stringAttr(prefix)
	}
	for {
		res, err := f.db.Query(ctx, in)
		if err != nil {
			return err
		}
		if len(res.LastEvaluatedKey) == 0 {
			return nil
		}
		in.ExclusiveStartKey = res.LastEvaluatedKey
	}
}

// run settles every partner's quarter with the fewest requests, two partners at once.
func (f *settleFloor) run(ctx context.Context, q period.Quarter, docs floorDocs) (int, error) {
	var mu sync.Mutex
	written := 0
	_, err := bench.Run(ctx, len(f.data.partners), 2, func(ctx context.Context, i int) error {
		n, err := f.partner(ctx, q, f.data.partners[i], docs)
		mu.Lock()
		written += n
		mu.Unlock()
		return err
	})
	return written, err
}

func (f *settleFloor) partner(ctx context.Context, q period.Quarter, pid string, docs floorDocs) (int, error) {
	if _, err := f.db.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(f.table), Key: f.key("PARTNER#"+pid, "PARTNER"), ConsistentRead: aws.Bool(true)}); err != nil {
		return 0, err
	}
	if err := f.query(ctx, "gsi2", "gsi2pk", "PROJECTS#PARTNER#"+pid, "", ""); err != nil {
		return 0, err
	}
	projects := f.data.byPartner[pid]
	var entries, figures, accruals, prior []map[string]ddb.AttributeValue
	months := q.Months()
	for _, p := range projects {
		entries = append(entries, f.key("PROJECT#"+p.ID, "QUARTER#"+q.String()))
		for _, m := range months {
			accruals = append(accruals, f.key("ACCRUAL#"+m.String(), p.ID))
		}
		if p.Mode != partner.ModeRevenue {
			continue
		}
		fm := months[:]
		if q.Q == 4 {
			fm = yearMonthsOf(q.Year)
			for k := 1; k <= 3; k++ {
				prior = append(prior, f.key("SETTLE#"+period.Quarter{Year: q.Year, Q: k}.String(), p.ID))
			}
			prior = append(prior, f.key("SETTLE#"+period.Quarter{Year: q.Year - 1, Q: 4}.String(), p.ID))
		}
		for _, m := range fm {
			figures = append(figures, f.key("PRODUCT#"+p.ProductID, "REVENUE#"+m.String()))
		}
	}
	for _, ks := range [][]map[string]ddb.AttributeValue{entries, figures, prior, accruals} {
		if err := f.batchGet(ctx, ks); err != nil {
			return 0, err
		}
	}
	// The partner's statements of the quarter, its charges and its rounds.
	for _, qq := range [][4]string{
		{"gsi1", "gsi1pk", "SETTLES#PARTNER#" + pid, q.String() + "#"},
		{"", "pk", "PARTNER#" + pid, "PENALTY#" + q.String()},
		{"", "pk", "PARTNER#" + pid, "STAFF#" + q.String()},
		{"", "pk", "PARTNER#" + pid, "ROUND#"},
	} {
		skAttr := "sk"
		if qq[0] == "gsi1" {
			skAttr = "gsi1sk"
		}
		if err := f.query(ctx, qq[0], qq[1], qq[2], skAttr, qq[3]); err != nil {
			return 0, err
		}
	}
	n := 0
	for _, p := range projects {
		doc, ok := docs.statements[p.ID]
		if !ok {
			continue
		}
		if _, err := f.db.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(f.table), Item: map[string]ddb.AttributeValue{
			"pk": stringAttr("FLOOR#SETTLE#" + q.String()), "sk": stringAttr(p.ID), "type": stringAttr("statement"), "doc": stringAttr(doc)}}); err != nil {
			return n, err
		}
		n++
	}
	_, err := f.db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: []ddb.TransactWriteItem{
		{Put: &ddb.Put{TableName: aws.String(f.table), Item: map[string]ddb.AttributeValue{"pk": stringAttr("FLOOR#PARTNER#" + pid), "sk": stringAttr("ROUND#" + q.String()), "doc": stringAttr(docs.rounds[pid])}}},
		{Put: &ddb.Put{TableName: aws.String(f.table), Item: map[string]ddb.AttributeValue{"pk": stringAttr("FLOOR#PARTNER#" + pid), "sk": stringAttr("PARTNER"), "doc": stringAttr(q.String())}}},
	}})
	return n, err
}

func yearMonthsOf(y int) []period.Month {
	out := make([]period.Month, 12)
	for i := range out {
		out[i] = period.Month{Year: y, Month: time.Month(i + 1)}
	}
	return out
}

// writeSettleReport prints the data, the runs and the requests per project.
func writeSettleReport(w io.Writer, header bool, began time.Time, took time.Duration, loadBefore, loadAfter string, d *settleData, runs []settleRun) error {
	if header {
		writeMachine(w, began, loadBefore, loadAfter)
	} else {
		fmt.Fprintf(w, "load average (1 min) around the settlement section: %s before, %s after\n", loadBefore, loadAfter)
	}
	fmt.Fprintf(w, "\nquarterly settlement: %d support projects (half revenue mode, half guarantee mode) of %d partners, year %d;\n"+
		"  Q1–Q3 quarterly, Q4 the annual clearing (revenue mode) with the guarantee projects' Q4; a 20,000 fine per partner in Q2.\n"+
		"  load (not in any run): %d items in %.1fs. Section took %.1fs.\n\n", len(d.projects), len(d.partners), d.year, d.items, d.took.Seconds(), took.Seconds())
	t := bench.Table{Header: []string{"run", "quarter", "projects", "statements written", "time s", "projects/s", "requests/project", "time ÷ floor", "requests ÷ floor"},
		RightAligned: map[int]bool{2: true, 3: true, 4: true, 5: true, 6: true, 7: true, 8: true}}
	per := func(r settleRun) float64 { return float64(r.reqs.Attempts()) / float64(r.projects) }
	for _, r := range runs {
		tr, rr := "–", "–"
		if r.floor != nil {
			tr = fmt.Sprintf("%.2f×", r.took.Seconds()/r.floor.took.Seconds())
			rr = fmt.Sprintf("%.2f×", per(r)/per(*r.floor))
		}
		t.Add(r.label, r.quarter.String(), fmt.Sprint(r.projects), fmt.Sprint(r.written), fmt.Sprintf("%.2f", r.took.Seconds()),
			fmt.Sprintf("%.0f", float64(r.projects)/r.took.Seconds()), fmt.Sprintf("%.3f", per(r)), tr, rr)
	}
	if _, err := t.WriteTo(w); err != nil {
		return err
	}
	all := bench.RequestCounts{}
	for _, r := range runs {
		all = all.Add(r.reqs)
	}
	labels := all.Labels()
	rt := bench.Table{Header: append(append([]string{"requests per project"}, labels...), "total"), RightAligned: map[int]bool{}}
	for i := 1; i <= len(labels)+1; i++ {
		rt.RightAligned[i] = true
	}
	for _, r := range runs {
		cells := []string{r.label + " " + r.quarter.String()}
		for _, l := range labels {
			if c, ok := r.reqs[l]; ok {
				cells = append(cells, fmt.Sprintf("%.3f", float64(c.Attempts)/float64(r.projects)))
			} else {
				cells = append(cells, "")
			}
		}
		rt.Add(append(cells, fmt.Sprintf("%.3f", per(r)))...)
	}
	fmt.Fprintln(w)
	if _, err := rt.WriteTo(w); err != nil {
		return err
	}
	fmt.Fprintln(w, "\nThe system writes each statement with its audit entry in one transaction (conditional on the version it read),")
	fmt.Fprintln(w, "and the partner's round with its ledger posting and audit entry in another; the floor uses a plain PutItem per statement.")
	return nil
}
