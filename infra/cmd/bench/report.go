package main

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"productgov/infra/bench"
	"productgov/infra/dynamolocal"
)

// report is everything the command prints.
type report struct {
	opts  options
	began time.Time
	took  time.Duration
	rows  []row
	heap  bench.HeapStats
	// loadBefore and loadAfter are /proc/loadavg's 1-minute figures.
	loadBefore  string
	loadAfter   string
	createSizes [3]int
	pageItems   int
}

// floorLayer names the layer the others are compared with.
var floorLayer = (&rawLayer{}).name()

// writeReport prints the machine, the table and the notes.
func writeReport(w io.Writer, r report) error {
	b := bufio.NewWriter(w)
	writeMachine(b, r.began, r.loadBefore, r.loadAfter)
	fmt.Fprintf(b, "load: %d concurrent workers; per operation %d warm-up ops per layer, then the layers take turns in %d rounds;\n"+
		"      client, API server and DynamoDB Local share the machine, all on 127.0.0.1\n\n", r.opts.workers, r.opts.warmup, r.opts.rounds)

	t := bench.Table{
		Header:       []string{"operation", "layer", "ops", "ops/s", "p50 ms", "p99 ms", "ratio to floor"},
		RightAligned: map[int]bool{2: true, 3: true, 4: true, 5: true, 6: true},
	}
	floor := map[string]bench.Result{}
	for _, x := range r.rows {
		if x.layer == floorLayer {
			floor[x.op] = x.res
		}
	}
	for _, x := range r.rows {
		ratio := "–"
		if f, ok := floor[x.op]; ok && f.PerOp() > 0 {
			ratio = fmt.Sprintf("%.2f×", float64(x.res.PerOp())/float64(f.PerOp()))
		}
		t.Add(x.op, x.layer, fmt.Sprint(x.res.Ops), fmt.Sprintf("%.0f", x.res.PerSecond()),
			ms(x.res.Percentile(50)), ms(x.res.Percentile(99)), ratio)
	}
	if _, err := t.WriteTo(b); err != nil {
		return err
	}

	fmt.Fprintf(b, "\ncreate: POST /products | store.CreateProduct | TransactWriteItems of 3 conditional Puts cloned from items the store wrote (product ≈%d B, stage history ≈%d B, audit ≈%d B)\n",
		r.createSizes[0], r.createSizes[1], r.createSizes[2])
	fmt.Fprintf(b, "get:    GET /products/{id} | store.GetProduct | GetItem, consistent read (random products of the creates)\n")
	fmt.Fprintf(b, "list:   GET /products?level=%s&limit=%d | store.ListProducts | Query on %s, limit %d (pages of %d items)\n",
		listLevel, listLimit, "gsi2", listLimit, r.pageItems)
	fmt.Fprintf(b, "ratio to floor: wall time per operation (1 / ops/s) over the floor's for the same operation\n")
	fmt.Fprintf(b, "API over HTTP: through the API gateway front, the Lambda runtime emulator and the api bootstrap (what ships);\n  DynamoDB requests per call, counted at the function's endpoint (the floor makes 1):")
	for _, x := range r.rows {
		if x.requests >= 0 {
			fmt.Fprintf(b, " %s %.2f", x.op, x.requests)
		}
	}
	fmt.Fprintln(b)
	fmt.Fprintf(b, "peak heap of the bench process (client, API server, SDK clients): %s HeapAlloc (sampled every %s), %s HeapSys; %s allocated, %d GCs\n",
		mib(r.heap.PeakAlloc), r.heap.Every, mib(r.heap.Sys), mib(r.heap.TotalAlloc), r.heap.NumGC)
	fmt.Fprintf(b, "took %.1fs (flags: -n %d -gets %d -lists %d -c %d -warmup %d -rounds %d)\n",
		r.took.Seconds(), r.opts.n, r.opts.gets, r.opts.lists, r.opts.workers, r.opts.warmup, r.opts.rounds)
	return b.Flush()
}

// writeMachine prints the title, the machine and the load average around a run.
func writeMachine(b io.Writer, began time.Time, loadBefore, loadAfter string) {
	fmt.Fprintf(b, "productgov bench, %s\n", began.Format("2006-01-02 15:04 MST"))
	fmt.Fprintf(b, "machine: %d CPUs (nproc), GOMAXPROCS %d, %s/%s%s; %s; %s; DynamoDB Local %s, in memory\n",
		runtime.NumCPU(), runtime.GOMAXPROCS(0), runtime.GOOS, runtime.GOARCH, cpuModel(), runtime.Version(), javaVersion(), dynamoVersion())
	fmt.Fprintf(b, "load average (1 min): %s before, %s after; other processes on the machine skew the figures\n", loadBefore, loadAfter)
}

func ms(d time.Duration) string { return fmt.Sprintf("%.2f", float64(d)/float64(time.Millisecond)) }

func mib(n uint64) string { return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20)) }

// cpuModel returns ", <model name>" from /proc/cpuinfo, or "".
func cpuModel() string {
	b, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return ""
	}
	for line := range strings.Lines(string(b)) {
		if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
			return ", " + strings.TrimSpace(v)
		}
	}
	return ""
}

// loadAverage returns the 1-minute load average, or "?".
func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if f := strings.Fields(string(b)); err == nil && len(f) > 0 {
		return f[0]
	}
	return "?"
}

// javaVersion returns the first line of `java -version`.
func javaVersion() string {
	out, err := exec.Command("java", "-version").CombinedOutput()
	if err != nil {
		return "java ?"
	}
	first, _, _ := strings.Cut(string(out), "\n")
	return strings.TrimSpace(first)
}

// dynamoVersion returns the release date in DynamoDB Local's folder name.
func dynamoVersion() string {
	dir, err := dynamolocal.JarDir()
	if err != nil {
		return "?"
	}
	return strings.TrimPrefix(filepath.Base(dir), "dynamodb_local_")
}
