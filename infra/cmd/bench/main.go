// Command bench (make bench) measures the system on a private, in-memory
// DynamoDB Local, in two sections.
//
// The api section measures product operations at three layers: the API over
// HTTP (a real TCP server on 127.0.0.1, a keep-alive client), the store's
// methods called directly, and hand-built DynamoDB requests beneath them (the
// floor). It prints throughput, p50 and p99 latency and each layer's time per
// operation relative to the floor, with the machine, the date and the
// process's peak heap.
//
// The assessment section loads -products in-scope products with -months of
// revenue and quality figures (not timed with the runs), then runs the
// monthly assessment as the state machine does — directly through
// app.Service, and once through the local ASL engine — and the same reads
// and writes issued with the SDK (the floor). It prints products per second,
// DynamoDB requests per product by operation, peak heap, the JVM's resident
// memory and the ratios to the floor (see assess.go).
//
// Usage:
//
//	go run ./infra/cmd/bench [-sections api,assessment]
//	    [-n 500] [-gets 1000] [-lists 250] [-c 8] [-warmup 50] [-rounds 4] [-timeout 100s]
//	    [-products 10000] [-months 36] [-writers 12] [-assess-rounds 2] [-sfn=true] [-assess-timeout 40m]
//	    [-settle-projects 500] [-settle-partners 5] [-settle-timeout 20m]
//
// The coldstart section starts each function's built bootstrap in fresh
// runtime-emulator processes and prints the init duration the runtime reports
// against a hello-world aws-lambda-go bootstrap built the same way.
//
// The settlement section loads -settle-projects support projects of
// -settle-partners partners with a year of inputs and settles Q1–Q3 and the
// annual clearing, each by the system and by the floor (see settle.go).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"os"
	"os/signal"
	"runtime"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"

	"productgov/infra/bench"
)

// options are the command's flags.
type options struct {
	n       int
	gets    int
	lists   int
	workers int
	warmup  int
	rounds  int
	timeout time.Duration
	// sections are the parts to run: api, assessment.
	sections []string
	assess   assessOptions
	settle   settleOptions
}

// sectionNames are the sections -sections accepts, in the order they run.
var sectionNames = []string{"api", "assessment", "settlement", "coldstart"}

// parseSections reads a comma-separated list of sections; "all" or "" is every one.
func parseSections(s string) ([]string, error) {
	if s == "" || s == "all" {
		return sectionNames, nil
	}
	want := map[string]bool{}
	for _, name := range strings.Split(s, ",") {
		name = strings.TrimSpace(name)
		if !slices.Contains(sectionNames, name) {
			return nil, fmt.Errorf("unknown section %q (want %s)", name, strings.Join(sectionNames, ", "))
		}
		want[name] = true
	}
	var out []string
	for _, name := range sectionNames {
		if want[name] {
			out = append(out, name)
		}
	}
	return out, nil
}

func main() {
	var o options
	flag.IntVar(&o.n, "n", 500, "products each layer creates (measured)")
	flag.IntVar(&o.gets, "gets", 1000, "products each layer reads")
	flag.IntVar(&o.lists, "lists", 250, "list pages each layer reads")
	flag.IntVar(&o.workers, "c", 8, "concurrent workers")
	flag.IntVar(&o.warmup, "warmup", 50, "unmeasured operations of each layer before an operation's rows")
	flag.IntVar(&o.rounds, "rounds", 4, "turns in which the layers share each operation's measured runs")
	flag.DurationVar(&o.timeout, "timeout", 100*time.Second, "give up when the api section takes longer")
	sections := flag.String("sections", "all", "comma-separated sections to run: api, assessment, settlement, coldstart (all: every one)")
	flag.IntVar(&o.assess.products, "products", 10000, "assessment: in-scope products loaded")
	flag.IntVar(&o.assess.months, "months", 36, "assessment: months of revenue and quality loaded per product")
	flag.IntVar(&o.assess.writers, "writers", 12, "assessment: concurrent writers loading the data")
	flag.IntVar(&o.assess.rounds, "assess-rounds", 2, "assessment: months assessed by both the floor and the system, in turn")
	flag.BoolVar(&o.assess.sfn, "sfn", true, "assessment: also run one month through the state machine on the local engine")
	flag.DurationVar(&o.assess.timeout, "assess-timeout", 40*time.Minute, "give up when the assessment section takes longer")
	flag.IntVar(&o.settle.projects, "settle-projects", 500, "settlement: support projects loaded")
	flag.IntVar(&o.settle.partners, "settle-partners", 5, "settlement: support partners the projects belong to")
	flag.DurationVar(&o.settle.timeout, "settle-timeout", 20*time.Minute, "give up when the settlement section takes longer")
	flag.Parse()
	var err error
	if o.sections, err = parseSections(*sections); err != nil {
		fmt.Fprintln(os.Stderr, "bench: -sections:", err)
		os.Exit(2)
	}
	if o.n < 1 || o.gets < 1 || o.lists < 1 || o.workers < 1 || o.warmup < 0 || o.rounds < 1 || o.timeout <= 0 {
		fmt.Fprintln(os.Stderr, "bench: -n, -gets, -lists, -c and -rounds must be at least 1, -warmup at least 0, -timeout positive")
		os.Exit(2)
	}
	if err := o.settle.check(); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(2)
	}
	if err := o.assess.check(); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(2)
	}
	if err := run(o); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

func run(o options) error {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	for i, section := range o.sections {
		var err error
		switch section {
		case "api":
			err = runAPI(ctx, o)
		case "assessment":
			if i > 0 {
				fmt.Println()
			}
			err = runAssessment(ctx, o.assess, i == 0)
		case "settlement":
			if i > 0 {
				fmt.Println()
			}
			err = runSettlementSection(ctx, o.settle, i == 0)
		case "coldstart":
			err = runColdStart(ctx, i == 0)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// runAPI measures create, get and list at every layer and prints the report.
func runAPI(ctx context.Context, o options) error {
	began, loadBefore := time.Now(), loadAverage()
	ctx, cancel := context.WithTimeoutCause(ctx, o.timeout, fmt.Errorf("the run took longer than -timeout %s", o.timeout))
	defer cancel()
	heap := bench.StartHeapMonitor(50 * time.Millisecond)
	defer heap.Stop()

	progress("starting DynamoDB Local (in memory) and the API on 127.0.0.1 …")
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	s, err := startStack(ctx, log)
	if err != nil {
		return err
	}
	defer s.close()

	pol, err := s.sys.App.Policy(ctx)
	if err != nil {
		return err
	}
	st := &storeLayer{st: s.sys.Store, policyVersion: pol.Version}
	raw, err := newRawLayer(ctx, s.sys.Store, st)
	if err != nil {
		return err
	}
	api := &apiLayer{client: newHTTPClient(o.workers), base: s.baseURL, token: s.token}
	layers := []layer{api, st, raw}

	rows, err := measureAll(ctx, o, layers, func() int64 { return s.functionRequests.Snapshot().Attempts() })
	if err != nil {
		if cause := context.Cause(ctx); cause != nil && !errors.Is(err, cause) {
			err = fmt.Errorf("%w (%v)", err, cause)
		}
		return errors.Join(err, s.failed())
	}
	page, err := raw.listPage(ctx)
	if err != nil {
		return err
	}
	return writeReport(os.Stdout, report{
		opts: o, began: began, took: time.Since(began), rows: rows, heap: heap.Stop(),
		createSizes: raw.templateSizes(), pageItems: page, loadBefore: loadBefore, loadAfter: loadAverage(),
	})
}

// row is one measured operation at one layer.
type row struct {
	op, layer string
	res       bench.Result
	// requests is the DynamoDB requests per call the API function made
	// (counted by the stack's proxy); -1 for the other layers.
	requests float64
}

// operation is what every layer is measured doing.
type operation struct {
	name string
	// n is how many operations each layer does, measured.
	n int
	// prepare, when set, readies k operations of a layer before they run.
	prepare func(l layer, k int) error
	// call returns the function that does a layer's i-th operation of a run.
	call func(l layer) func(ctx context.Context, i int) error
}

// measureAll measures create, get and list at every layer. Each layer first
// warms up; then the measured operations run in rounds that take the layers
// in turn, so a drift of the shared DynamoDB Local (JIT, a growing table)
// weighs on every layer alike. Gets read random products the creates wrote.
func measureAll(ctx context.Context, o options, layers []layer, apiRequests func() int64) ([]row, error) {
	var (
		mu  sync.Mutex
		ids []string
	)
	ops := []operation{
		{name: "create", n: o.n, prepare: layer.prepareCreates, call: func(l layer) func(context.Context, int) error {
			return func(ctx context.Context, i int) error {
				pid, err := l.create(ctx, i)
				if err == nil {
					mu.Lock()
					ids = append(ids, pid)
					mu.Unlock()
				}
				return err
			}
		}},
		{name: "get", n: o.gets, call: func(l layer) func(context.Context, int) error {
			return func(ctx context.Context, _ int) error { return l.get(ctx, ids[rand.IntN(len(ids))]) }
		}},
		{name: "list", n: o.lists, call: func(l layer) func(context.Context, int) error {
			return func(ctx context.Context, _ int) error { return l.list(ctx) }
		}},
	}
	var rows []row
	for _, op := range ops {
		runs := make([][]bench.Result, len(layers))
		var apiReqs, apiOps int64
		for _, l := range layers {
			if _, err := runOnce(ctx, o, op, l, o.warmup); err != nil {
				return nil, err
			}
		}
		for round := range o.rounds {
			k := op.n/o.rounds + boolInt(round < op.n%o.rounds)
			for j, l := range layers {
				before := apiRequests()
				res, err := runOnce(ctx, o, op, l, k)
				if err != nil {
					return nil, err
				}
				if _, isAPI := l.(*apiLayer); isAPI {
					apiReqs, apiOps = apiReqs+apiRequests()-before, apiOps+int64(res.Ops)
				}
				runs[j] = append(runs[j], res)
			}
		}
		for j, l := range layers {
			res := bench.Merge(runs[j]...)
			progress(fmt.Sprintf("%-6s %-16s %6d ops in %6.2fs", op.name, l.name(), res.Ops, res.Elapsed.Seconds()))
			perCall := -1.0
			if _, isAPI := l.(*apiLayer); isAPI && apiOps > 0 {
				perCall = float64(apiReqs) / float64(apiOps)
			}
			rows = append(rows, row{op.name, l.name(), res, perCall})
		}
	}
	return rows, nil
}

// runOnce readies and runs k operations of a layer on o.workers workers.
func runOnce(ctx context.Context, o options, op operation, l layer, k int) (bench.Result, error) {
	if op.prepare != nil {
		if err := op.prepare(l, k); err != nil {
			return bench.Result{}, fmt.Errorf("%s, %s: prepare: %w", op.name, l.name(), err)
		}
	}
	runtime.GC() // start each run without garbage left by the one before
	res, err := bench.Run(ctx, k, o.workers, op.call(l))
	if err != nil {
		return res, fmt.Errorf("%s, %s: %w", op.name, l.name(), err)
	}
	return res, nil
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

func progress(msg string) { fmt.Fprintln(os.Stderr, "bench:", msg) }
