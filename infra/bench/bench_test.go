package bench

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

func TestRunCallsEveryIndexOnce(t *testing.T) {
	const n = 1000
	var seen [n]atomic.Int32
	r, err := Run(context.Background(), n, 7, func(_ context.Context, i int) error {
		seen[i].Add(1)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if r.Ops != n {
		t.Fatalf("Ops = %d, want %d", r.Ops, n)
	}
	for i := range seen {
		if got := seen[i].Load(); got != 1 {
			t.Fatalf("index %d called %d times", i, got)
		}
	}
	if r.Elapsed <= 0 || r.PerSecond() <= 0 {
		t.Errorf("elapsed %v, %f ops/s", r.Elapsed, r.PerSecond())
	}
}

func TestRunStopsAtFirstError(t *testing.T) {
	boom := errors.New("boom")
	var calls atomic.Int32
	_, err := Run(context.Background(), 10000, 4, func(ctx context.Context, i int) error {
		calls.Add(1)
		switch {
		case i == 10:
			return boom
		case i > 10:
			// Later operations wait for the run to be stopped, so the count
			// below does not depend on how the workers are scheduled.
			<-ctx.Done()
			return ctx.Err()
		}
		return nil
	})
	if !errors.Is(err, boom) || !strings.Contains(err.Error(), "operation 10") {
		t.Fatalf("err = %v, want operation 10: boom", err)
	}
	if calls.Load() > 14 {
		t.Errorf("%d calls after the error; the run should stop", calls.Load())
	}
}

func TestRunReportsCancellation(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Run(ctx, 5, 2, func(context.Context, int) error { return nil }); !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
}

func TestPercentileNearestRank(t *testing.T) {
	var lat []time.Duration
	for i := 100; i >= 1; i-- { // unsorted on purpose
		lat = append(lat, time.Duration(i)*time.Millisecond)
	}
	r := newResult(lat, 2*time.Second)
	for _, c := range []struct {
		p    float64
		want time.Duration
	}{{50, 50 * time.Millisecond}, {99, 99 * time.Millisecond}, {100, 100 * time.Millisecond}, {0, time.Millisecond}, {0.5, time.Millisecond}} {
		if got := r.Percentile(c.p); got != c.want {
			t.Errorf("p%v = %v, want %v", c.p, got, c.want)
		}
	}
	if got := r.PerSecond(); got != 50 {
		t.Errorf("PerSecond = %v, want 50", got)
	}
	if got := r.PerOp(); got != 20*time.Millisecond {
		t.Errorf("PerOp = %v, want 20ms", got)
	}
	if (Result{}).Percentile(50) != 0 {
		t.Error("empty result should have no percentile")
	}
}

func TestTableAligns(t *testing.T) {
	tb := Table{Header: []string{"op", "n"}, RightAligned: map[int]bool{1: true}}
	tb.Add("create", "5")
	tb.Add("get", "1234")
	var b strings.Builder
	if _, err := tb.WriteTo(&b); err != nil {
		t.Fatal(err)
	}
	want := "" +
		"| op     |    n |\n" +
		"| ------ | ---: |\n" +
		"| create |    5 |\n" +
		"| get    | 1234 |\n"
	if b.String() != want {
		t.Errorf("got\n%s\nwant\n%s", b.String(), want)
	}
}

func TestHeapMonitorSeesAllocation(t *testing.T) {
	m := StartHeapMonitor(time.Millisecond)
	keep := make([]byte, 8<<20)
	for i := range keep {
		keep[i] = byte(i)
	}
	time.Sleep(10 * time.Millisecond)
	s := m.Stop()
	if s.PeakAlloc < 8<<20 {
		t.Errorf("peak %d bytes, want at least the 8 MiB held", s.PeakAlloc)
	}
	_ = keep[len(keep)-1]
	if s2 := m.Stop(); s2 != s {
		t.Error("a second Stop should return the same stats")
	}
}

func TestMerge(t *testing.T) {
	a := newResult([]time.Duration{3, 1}, 10)
	b := newResult([]time.Duration{2, 4}, 30)
	m := Merge(a, b)
	if m.Ops != 4 || m.Elapsed != 40 || m.Percentile(50) != 2 || m.Percentile(100) != 4 {
		t.Errorf("merged %+v", m)
	}
	if a.Percentile(100) != 3 || b.Percentile(0) != 2 {
		t.Error("Merge must not change its inputs")
	}
}
