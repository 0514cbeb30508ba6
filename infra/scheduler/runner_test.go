package scheduler

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeClock is a Clock whose time moves only when the test advances it.
type fakeClock struct {
	mu      sync.Mutex
	now     time.Time
	waiters []fakeWaiter
	// changed is closed (and replaced) whenever waiters change.
	changed chan struct{}
}

type fakeWaiter struct {
	when time.Time
	ch   chan time.Time
}

func newFakeClock(now time.Time) *fakeClock {
	return &fakeClock{now: now, changed: make(chan struct{})}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) After(d time.Duration) <-chan time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	ch := make(chan time.Time, 1)
	if d <= 0 {
		ch <- c.now
		return ch
	}
	c.waiters = append(c.waiters, fakeWaiter{when: c.now.Add(d), ch: ch})
	c.notifyLocked()
	return ch
}

// advance moves the time forward by d and delivers to every waiter due.
func (c *fakeClock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
	c.waiters = slices.DeleteFunc(c.waiters, func(w fakeWaiter) bool {
		if w.when.After(c.now) {
			return false
		}
		w.ch <- c.now
		return true
	})
	c.notifyLocked()
}

func (c *fakeClock) notifyLocked() {
	close(c.changed)
	c.changed = make(chan struct{})
}

// waitForWaiters blocks until n goroutines wait on the clock: the Runner has
// done all it can at the current time.
func (c *fakeClock) waitForWaiters(t *testing.T, n int) {
	t.Helper()
	timeout := time.After(5 * time.Second)
	for {
		c.mu.Lock()
		count, changed := len(c.waiters), c.changed
		c.mu.Unlock()
		if count == n {
			return
		}
		select {
		case <-changed:
		case <-timeout:
			t.Fatalf("%d goroutines wait on the clock; want %d", count, n)
		}
	}
}

// discardLog keeps the Runner quiet in tests that do not read its log.
var discardLog = slog.New(slog.DiscardHandler)

// fireRecord is one call of a FireFunc.
type fireRecord struct {
	name string
	at   time.Time
}

// recorder collects fires from concurrent goroutines.
type recorder struct {
	mu    sync.Mutex
	fires []fireRecord
}

func (r *recorder) add(e Entry, at time.Time) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.fires = append(r.fires, fireRecord{e.Name, at})
}

// get returns the fires in the order of their due times; fires run in
// goroutines of their own, so they may be recorded in another order.
func (r *recorder) get() []fireRecord {
	r.mu.Lock()
	defer r.mu.Unlock()
	fires := slices.Clone(r.fires)
	slices.SortStableFunc(fires, func(a, b fireRecord) int { return a.at.Compare(b.at) })
	return fires
}

// mustEntry returns an enabled entry for expr in Asia/Shanghai.
func mustEntry(t *testing.T, name, expr string) Entry {
	t.Helper()
	s, err := ParseExpression(expr, "Asia/Shanghai")
	if err != nil {
		t.Fatal(err)
	}
	return Entry{Name: name, ResourceID: name, Expression: expr, Timezone: "Asia/Shanghai", Input: "{}", State: StateEnabled, Schedule: s}
}

// startRunner runs r in the background; the returned stop cancels it and
// fails the test if Run does not return promptly.
func startRunner(t *testing.T, r *Runner) (stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan struct{})
	go func() {
		defer close(done)
		r.Run(ctx)
	}()
	return func() {
		t.Helper()
		cancel()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			t.Fatal("Run did not return after its context was cancelled")
		}
	}
}

// TestRunnerFiresMonthly advances a fake clock across two monthly fire times
// in uneven steps and expects exactly two fires, each with its due time, even
// though every fire fails; the disabled entry never fires.
func TestRunnerFiresMonthly(t *testing.T) {
	clock := newFakeClock(mustTime(t, "2026-11-22T00:00:00Z"))
	monthly := mustEntry(t, "Assessment/Monthly", "cron(0 2 1 * ? *)")
	disabled := mustEntry(t, "Assessment/Hourly", "cron(0 * * * ? *)")
	disabled.State = StateDisabled
	var fired recorder
	fire := func(ctx context.Context, e Entry, at time.Time) error {
		fired.add(e, at)
		return errors.New("target unavailable")
	}
	var logs syncBuffer
	runner := NewRunner([]Entry{monthly, disabled}, fire, clock, slog.New(slog.NewTextHandler(&logs, nil)))
	stop := startRunner(t, runner)

	end := mustTime(t, "2027-01-20T00:00:00Z")
	for clock.Now().Before(end) {
		clock.waitForWaiters(t, 1)
		clock.advance(5*time.Hour + 7*time.Minute)
	}
	clock.waitForWaiters(t, 1)
	stop()

	want := []fireRecord{
		{"Assessment/Monthly", mustTime(t, "2026-11-30T18:00:00Z")}, // Dec 1 02:00 +08:00
		{"Assessment/Monthly", mustTime(t, "2026-12-31T18:00:00Z")}, // Jan 1 02:00 +08:00
	}
	got := fired.get()
	if !slices.EqualFunc(got, want, func(a, b fireRecord) bool { return a.name == b.name && a.at.Equal(b.at) }) {
		t.Fatalf("fires = %v; want %v", got, want)
	}
	if n := strings.Count(logs.String(), "target unavailable"); n != 2 {
		t.Errorf("logged %d fire errors; want 2:\n%s", n, logs.String())
	}
	if !strings.Contains(logs.String(), "schedule is disabled") {
		t.Errorf("the disabled schedule is not logged:\n%s", logs.String())
	}
}

// TestRunnerDoesNotReplay checks that times before the start are never fired
// and that, woken late across several times, the runner fires the overdue
// one once and skips the rest.
func TestRunnerDoesNotReplay(t *testing.T) {
	// Started half a minute after the December fire.
	clock := newFakeClock(mustTime(t, "2026-11-30T18:00:30Z"))
	var fired recorder
	fire := func(ctx context.Context, e Entry, at time.Time) error {
		fired.add(e, at)
		return nil
	}
	runner := NewRunner([]Entry{mustEntry(t, "Monthly", "cron(0 2 1 * ? *)")}, fire, clock, discardLog)
	stop := startRunner(t, runner)

	clock.waitForWaiters(t, 1)
	clock.advance(100 * 24 * time.Hour) // the machine sleeps through January, February and March 1
	clock.waitForWaiters(t, 1)
	clock.advance(30 * 24 * time.Hour) // past April 1
	clock.waitForWaiters(t, 1)
	stop()

	got := fired.get()
	want := []time.Time{
		mustTime(t, "2026-12-31T18:00:00Z"), // January's, fired late on waking; February's and March's skipped
		mustTime(t, "2027-03-31T18:00:00Z"), // April's
	}
	if len(got) != len(want) || !got[0].at.Equal(want[0]) || !got[1].at.Equal(want[1]) {
		t.Fatalf("fires = %v; want at %v", got, want)
	}
}

// TestRunnerSlowTarget checks that a fire that never finishes delays neither
// another schedule nor its own next time, and that cancelling Run reaches it.
func TestRunnerSlowTarget(t *testing.T) {
	clock := newFakeClock(mustTime(t, "2026-11-22T00:00:00Z"))
	var fired recorder
	fire := func(ctx context.Context, e Entry, at time.Time) error {
		fired.add(e, at)
		if e.Name == "Slow" {
			<-ctx.Done() // hangs until Run stops
			return ctx.Err()
		}
		return nil
	}
	runner := NewRunner([]Entry{
		mustEntry(t, "Slow", "cron(0 2 1 * ? *)"),
		mustEntry(t, "Fast", "cron(0 3 1 * ? *)"),
	}, fire, clock, discardLog)
	stop := startRunner(t, runner)

	end := mustTime(t, "2027-01-02T00:00:00Z")
	for clock.Now().Before(end) {
		clock.waitForWaiters(t, 2)
		clock.advance(30 * time.Minute)
	}
	// Both schedules wait for their next times although both Slow fires
	// still hang: had either waited for its fire, this would time out.
	clock.waitForWaiters(t, 2)
	stop() // returns although the Slow fires hang, because they honour ctx
	got := fired.get()

	count := map[string]int{}
	for _, f := range got {
		count[f.name]++
	}
	if count["Slow"] != 2 || count["Fast"] != 2 {
		t.Fatalf("fires = %v; want Slow and Fast twice each", got)
	}
}

// TestRunnerStopsPromptly checks that cancelling ctx ends Run at once, with
// the real clock and schedules far ahead, already over, or none at all.
func TestRunnerStopsPromptly(t *testing.T) {
	never := func(ctx context.Context, e Entry, at time.Time) error {
		t.Errorf("unexpected fire of %s at %s", e.Name, at)
		return nil
	}
	for _, entries := range [][]Entry{
		nil,
		{mustEntry(t, "Yearly", "cron(0 0 1 1 ? *)"), mustEntry(t, "Rate", "rate(1 day)")},
		{mustEntry(t, "Past", "at(2000-01-01T00:00:00)")},
	} {
		runner := NewRunner(entries, never, nil, discardLog)
		ctx, cancel := context.WithCancel(t.Context())
		done := make(chan struct{})
		go func() {
			defer close(done)
			runner.Run(ctx)
		}()
		select {
		case <-done:
			t.Fatalf("Run with %d entries returned before its context was cancelled", len(entries))
		case <-time.After(20 * time.Millisecond):
		}
		cancel()
		select {
		case <-done:
		case <-time.After(time.Second):
			t.Fatalf("Run with %d entries did not return within a second of cancellation", len(entries))
		}
	}
}

// TestSystemClockRechecksWallClock checks that SystemClock never waits long
// enough to sleep through a fire time unnoticed.
func TestSystemClockRechecksWallClock(t *testing.T) {
	c := SystemClock()
	before := c.Now()
	select {
	case <-c.After(time.Millisecond):
	case <-time.After(time.Second):
		t.Fatal("After(1ms) did not deliver")
	}
	if c.Now().Before(before.Add(time.Millisecond)) {
		t.Error("After(1ms) delivered early")
	}
	if wallClockRecheck > time.Minute {
		t.Errorf("wallClockRecheck = %s; a sleeping machine would notice due schedules late", wallClockRecheck)
	}
}

// syncBuffer is a bytes.Buffer safe for concurrent writers.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
