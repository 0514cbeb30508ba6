package main

import (
	"bufio"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"time"

	"productgov/infra/bench"
	"productgov/shared/assessment"
	"productgov/shared/period"
	"productgov/shared/product"
)

// assessReport is everything the assessment section prints.
type assessReport struct {
	opts assessOptions
	// header prints the machine first (when the api section did not).
	header                bool
	began                 time.Time
	took                  time.Duration
	loadBefore, loadAfter string
	data                  *dataset
	load                  loaded
	runs                  []assessRun
	jvmEnd                string
	check                 resultCheck
	mapConcurrency        int
	// functionPeaks is each function's largest bootstrap peak RSS after the
	// runs (a process serves many invocations, so its peak covers them all).
	functionPeaks map[string]uint64
}

// assessRow is runs of one kind merged: a row of the tables.
type assessRow struct {
	label    string
	months   []period.Month
	products int
	took     time.Duration
	reqs     bench.RequestCounts
	engine   bench.RequestCounts
	heapBase uint64
	heapPeak uint64
	// floor is the row this one is compared with, if any.
	floor *assessRow
}

func merge(label string, runs []assessRun) *assessRow {
	r := &assessRow{label: label, reqs: bench.RequestCounts{}, engine: bench.RequestCounts{}}
	for i, x := range runs {
		r.months = append(r.months, x.month)
		r.products += x.products
		r.took += x.took
		r.reqs = r.reqs.Add(x.reqs)
		r.engine = r.engine.Add(x.engineReqs)
		if i == 0 || x.heapBase < r.heapBase {
			r.heapBase = x.heapBase
		}
		r.heapPeak = max(r.heapPeak, x.heapPeak)
	}
	return r
}

func (r *assessRow) perSecond() float64 { return float64(r.products) / r.took.Seconds() }

func (r *assessRow) perProduct(n int64) float64 { return float64(n) / float64(r.products) }

func (r *assessRow) monthSpan() string {
	if len(r.months) == 0 {
		return ""
	}
	first, last := r.months[0], r.months[len(r.months)-1]
	if first == last {
		return first.String()
	}
	return first.String() + "…" + last.String()
}

// rows groups the runs: the rounds' floor and system, the state machine's
// month's floor and engine run, and the first month.
func (r assessReport) rows() []*assessRow {
	var floorRounds, system, floorSFN, sfnRuns, first []assessRun
	for i, x := range r.runs {
		switch x.who {
		case runFirst:
			first = append(first, x)
		case runSystem:
			system = append(system, x)
		case runSFN:
			sfnRuns = append(sfnRuns, x)
		case runFloor:
			if i+1 < len(r.runs) && r.runs[i+1].who == runSFN {
				floorSFN = append(floorSFN, x)
			} else {
				floorRounds = append(floorRounds, x)
			}
		}
	}
	fr := merge("floor: SDK requests", floorRounds)
	sys := merge("system: app.Service direct", system)
	sys.floor = fr
	out := []*assessRow{fr, sys}
	if len(sfnRuns) > 0 {
		fs := merge("floor: SDK requests", floorSFN)
		sm := merge("system: state machine, local engine", sfnRuns)
		sm.floor = fs
		out = append(out, fs, sm)
	}
	return append(out, merge("system, first month (warm-up)", first))
}

// labelOrder is the order of the request columns; other labels follow, sorted.
var labelOrder = []string{"Query gsi1", "Query table", "BatchGetItem", "BatchWriteItem", "GetItem", "TransactWriteItems", "PutItem"}

// writeAssessReport prints the data, the load, the runs table, the requests
// table and the notes.
func writeAssessReport(w io.Writer, r assessReport) error {
	b := bufio.NewWriter(w)
	if r.header {
		writeMachine(b, r.began, r.loadBefore, r.loadAfter)
	} else {
		fmt.Fprintf(b, "load average (1 min) around the assessment section: %s before, %s after\n", r.loadBefore, r.loadAfter)
	}
	d := r.data
	var coop, city, trial, trailing, weak int
	for _, sp := range d.specs {
		coop += boolInt(sp.mode == product.ModeCooperative)
		city += boolInt(sp.level == product.LevelCity)
		trial += boolInt(sp.stage == product.StageTrialCommercial)
		trailing += boolInt(sp.trailingYear)
		weak += boolInt(sp.weak)
	}
	n := len(d.specs)
	fmt.Fprintf(b, "\nmonthly assessment: %d in-scope products (%d province, %d city; %d commercial, %d trial_commercial of which %d past the P§18 limit, read over 12 months;\n"+
		"  %d self_built, %d cooperative of which %d fail quality every sixth month), all past their exemption;\n"+
		"  %d months (%s…%s) of revenue and quality each: %d figure items\n",
		n, n-city, city, n-trial, trial, trailing, n-coop, coop, weak, len(d.months), d.months[0], d.months[len(d.months)-1], r.load.figures)
	loadTook := r.load.productTook + r.load.figureTook
	fmt.Fprintf(b, "load (not in any run): products in %.1fs (BatchWriteItem of store-written items, cloned), figures in %.1fs (store.ImportFigures);\n"+
		"  %d items in %.1fs, %.0f items/s, %d writers\n",
		r.load.productTook.Seconds(), r.load.figureTook.Seconds(), r.load.products+r.load.figures, loadTook.Seconds(),
		float64(r.load.products+r.load.figures)/loadTook.Seconds(), r.opts.writers)
	fmt.Fprintf(b, "runs: %s by the system first (no results of %s: the first-month case; warms the JVM up; not compared);\n"+
		"  then %s each by the floor, then the system (reading the system's results of the month before)",
		d.assessed[0], d.assessed[0].Add(-1), joinMonths(d.assessed[1:1+r.opts.rounds]))
	if r.opts.sfn {
		fmt.Fprintf(b, ";\n  then %s by the floor, then the state machine on the local ASL engine (StartExecution, Wait)", d.assessed[len(d.assessed)-1])
	}
	fmt.Fprintf(b, ".\n  Both page through the plan's segments (a stage's shard, every level), %d at once (AssessSegments' MaxConcurrency), one page after the other: the floor 100 a page, the system 99 and the page's tally.\n", r.mapConcurrency)
	if len(r.functionPeaks) > 0 {
		names := slices.Sorted(maps.Keys(r.functionPeaks))
		parts := make([]string, len(names))
		for i, n := range names {
			parts[i] = fmt.Sprintf("%s %s", n, mib(r.functionPeaks[n]))
		}
		fmt.Fprintf(b, "function processes' peak RSS (VmHWM of each bootstrap, the largest of its pool): %s.\n", strings.Join(parts, ", "))
	}
	fmt.Fprintln(b)

	rows := r.rows()
	t := bench.Table{
		Header:       []string{"run", "months", "products", "time s", "products/s", "requests/product", "peak heap", "time ÷ floor", "requests ÷ floor"},
		RightAligned: map[int]bool{2: true, 3: true, 4: true, 5: true, 6: true, 7: true, 8: true},
	}
	for _, x := range rows {
		tr, rr := "–", "–"
		if f := x.floor; f != nil {
			tr = fmt.Sprintf("%.2f×", (x.took.Seconds()/float64(x.products))/(f.took.Seconds()/float64(f.products)))
			rr = fmt.Sprintf("%.2f×", x.perProduct(x.reqs.Attempts())/f.perProduct(f.reqs.Attempts()))
		}
		t.Add(x.label, x.monthSpan(), fmt.Sprint(x.products), fmt.Sprintf("%.2f", x.took.Seconds()), fmt.Sprintf("%.0f", x.perSecond()),
			fmt.Sprintf("%.4f", x.perProduct(x.reqs.Attempts())), fmt.Sprintf("%s (%s before)", mib(x.heapPeak), mib(x.heapBase)), tr, rr)
	}
	if _, err := t.WriteTo(b); err != nil {
		return err
	}

	labels := requestLabels(rows)
	rt := bench.Table{Header: append(append([]string{"requests per product (items per call)"}, labels...), "total")}
	rt.RightAligned = map[int]bool{}
	for i := 1; i <= len(labels)+1; i++ {
		rt.RightAligned[i] = true
	}
	for _, x := range rows {
		cells := []string{x.label + " " + x.monthSpan()}
		for _, l := range labels {
			c, ok := x.reqs[l]
			switch {
			case !ok:
				cells = append(cells, "")
			case c.Items > 0:
				cells = append(cells, fmt.Sprintf("%.4f (%.1f)", x.perProduct(c.Attempts), float64(c.Items)/float64(c.Calls)))
			default:
				cells = append(cells, fmt.Sprintf("%.4f", x.perProduct(c.Attempts)))
			}
		}
		rt.Add(append(cells, fmt.Sprintf("%.4f", x.perProduct(x.reqs.Attempts())))...)
	}
	fmt.Fprintln(b)
	if _, err := rt.WriteTo(b); err != nil {
		return err
	}

	fmt.Fprintln(b)
	for _, x := range rows {
		if x.floor == nil {
			continue
		}
		var diffs []string
		for _, l := range labels {
			dx := x.perProduct(x.reqs[l].Attempts) - x.floor.perProduct(x.floor.reqs[l].Attempts)
			if dx > 0.00005 || dx < -0.00005 {
				diffs = append(diffs, fmt.Sprintf("%s %+.4f", l, dx))
			}
		}
		fmt.Fprintf(b, "%s − floor, requests per product: %s\n", x.label, strings.Join(diffs, ", "))
		if len(x.engine) > 0 {
			fmt.Fprintf(b, "  the engine's own store requests (execution history; Step Functions on AWS), not counted above: %d, %.4f per product\n",
				x.engine.Attempts(), x.perProduct(x.engine.Attempts()))
		}
	}
	rep := r.check.report
	var counts []string
	for _, o := range assessment.Outcomes {
		counts = append(counts, fmt.Sprintf("%s %d", o, rep.Counts[o]))
	}
	fmt.Fprintf(b, "results of %s: %d (%s); %d phase changes, %d exits, %d pending data, %d commercial_ineligible\n",
		r.check.month, rep.Total, strings.Join(counts, ", "), len(rep.PhaseChanges), len(rep.ExitsOpened), len(rep.PendingData), len(rep.CommercialIneligible))
	var missing int64
	for _, x := range r.runs {
		missing += x.missingPrev
	}
	if missing > 0 {
		fmt.Fprintf(b, "the floor did not find last month's result of %d products and wrote a 1,500-byte doc instead\n", missing)
	}
	fmt.Fprintf(b, "time: wall time of the run (system: PlanAssessment through the last AssessPage; state machine: StartExecution through Wait, all four states);\n"+
		"  ratios per product to the floor row above; requests are HTTP requests (SDK retries included) counted by smithy middleware on each DynamoDB client\n")
	fmt.Fprintf(b, "peak heap: the bench process's HeapAlloc sampled every 25ms during the run (after a GC before it); it holds the loaded data's specs too\n")
	if r.load.jvm != "" || r.jvmEnd != "" {
		fmt.Fprintf(b, "DynamoDB Local JVM: after load %s; at the end %s\n", orQ(r.load.jvm), orQ(r.jvmEnd))
	}
	fmt.Fprintf(b, "took %.1fs (flags: -products %d -months %d -writers %d -assess-rounds %d -sfn=%t)\n",
		r.took.Seconds(), r.opts.products, r.opts.months, r.opts.writers, r.opts.rounds, r.opts.sfn)
	return b.Flush()
}

// requestLabels lists the labels of every row in column order.
func requestLabels(rows []*assessRow) []string {
	seen := map[string]bool{}
	for _, x := range rows {
		for l := range x.reqs {
			seen[l] = true
		}
	}
	var out, rest []string
	for _, l := range labelOrder {
		if seen[l] {
			out = append(out, l)
			delete(seen, l)
		}
	}
	for l := range seen {
		rest = append(rest, l)
	}
	slices.Sort(rest)
	return append(out, rest...)
}

func joinMonths(ms []period.Month) string {
	s := make([]string, len(ms))
	for i, m := range ms {
		s[i] = m.String()
	}
	return strings.Join(s, ", ")
}

func orQ(s string) string {
	if s == "" {
		return "?"
	}
	return s
}
