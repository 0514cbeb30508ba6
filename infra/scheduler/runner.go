package scheduler

import (
	"context"
	"log/slog"
	"sync"
	"time"
)

// Clock is the Runner's source of time, so tests can substitute a simulated
// one.
type Clock interface {
	// Now returns the current time.
	Now() time.Time
	// After delivers the time on the returned channel once d has elapsed.
	// The Runner reads Now again on every delivery and waits more if it is
	// still early, so a clock may deliver before d has fully elapsed.
	After(d time.Duration) <-chan time.Time
}

// wallClockRecheck bounds how long SystemClock waits at once. Go's timers
// measure monotonic time, which stands still while the machine sleeps;
// looking at the wall clock every minute makes a schedule that came due
// during a sleep fire within a minute of waking, not days late.
const wallClockRecheck = time.Minute

// SystemClock returns the machine's clock. Its After delivers after at most a
// minute, whatever d is, so the Runner re-reads the wall clock regularly.
func SystemClock() Clock { return systemClock{} }

type systemClock struct{}

func (systemClock) Now() time.Time { return time.Now() }

func (systemClock) After(d time.Duration) <-chan time.Time {
	return time.After(min(d, wallClockRecheck))
}

// FireFunc starts a schedule's target: it is called with the entry and the
// time the schedule was due (not the moment it was called). ctx is the one
// given to Runner.Run, cancelled when the Runner stops.
type FireFunc func(ctx context.Context, e Entry, at time.Time) error

// Runner fires each enabled entry at each of its times, the local stand-in for
// EventBridge Scheduler.
//
// Times are computed from the moment Run starts: times that passed before (or
// while the local stack was not running) are not replayed. If the Runner
// wakes late, because the machine slept through a due time, it fires that
// time once, late, and skips the others that passed meanwhile. Each fire runs
// in its own goroutine, so a slow target delays neither other schedules nor
// its own next fire; an error from a fire is logged and the schedule carries
// on.
type Runner struct {
	entries []Entry
	fire    FireFunc
	clock   Clock
	log     *slog.Logger
}

// NewRunner returns a Runner over entries (typically from FromTemplate) that
// calls fire for each due time. A nil clock means SystemClock, and a nil log
// means slog.Default().
func NewRunner(entries []Entry, fire FireFunc, clock Clock, log *slog.Logger) *Runner {
	if clock == nil {
		clock = SystemClock()
	}
	if log == nil {
		log = slog.Default()
	}
	return &Runner{entries: entries, fire: fire, clock: clock, log: log}
}

// Run fires the schedules until ctx is done, then waits for the fires in
// progress (which see ctx cancelled) to return. Disabled entries, and entries
// without a Schedule, are logged and left out.
func (r *Runner) Run(ctx context.Context) {
	start := r.clock.Now()
	var schedules, fires sync.WaitGroup
	for _, e := range r.entries {
		log := r.log.With("schedule", e.Name)
		switch {
		case e.Schedule == nil:
			log.Error("scheduler: entry has no parsed schedule; skipped", "expression", e.Expression)
			continue
		case !e.Enabled():
			log.Info("scheduler: schedule is disabled", "expression", e.Expression, "state", e.State)
			continue
		}
		schedules.Go(func() { r.runSchedule(ctx, e, start, log, &fires) })
	}
	schedules.Wait()
	<-ctx.Done()
	fires.Wait()
}

// runSchedule fires one entry at each of its times after start, until ctx is
// done or the schedule has no more times.
func (r *Runner) runSchedule(ctx context.Context, e Entry, start time.Time, log *slog.Logger, fires *sync.WaitGroup) {
	next, ok := e.Schedule.Next(start)
	if !ok {
		log.Info("scheduler: schedule has no time after the start; it will not fire", "expression", e.Expression)
		return
	}
	log.Info("scheduler: schedule armed", "expression", e.Expression, "timezone", e.Timezone, "next", next)
	for {
		if !r.sleepUntil(ctx, next) {
			return
		}
		due := next
		fires.Go(func() { r.fireOnce(ctx, e, due, log) })

		next, ok = e.Schedule.Next(due)
		if now := r.clock.Now(); ok && !next.After(now) {
			// Woken late: more times passed while the machine slept. They
			// are skipped, not replayed.
			next, ok = e.Schedule.Next(now)
			log.Warn("scheduler: missed times skipped", "fired_late", due, "now", now)
		}
		if !ok {
			log.Info("scheduler: schedule has no more times", "expression", e.Expression)
			return
		}
	}
}

// sleepUntil waits on the clock until t; it reports false if ctx ended first.
func (r *Runner) sleepUntil(ctx context.Context, t time.Time) bool {
	for ctx.Err() == nil {
		wait := t.Sub(r.clock.Now())
		if wait <= 0 {
			return true
		}
		select {
		case <-ctx.Done():
		case <-r.clock.After(wait):
		}
	}
	return false
}

// fireOnce calls fire for one due time and logs how it went.
func (r *Runner) fireOnce(ctx context.Context, e Entry, at time.Time, log *slog.Logger) {
	log = log.With("at", at)
	log.Info("scheduler: firing", "resource", e.ResourceID)
	if err := r.fire(ctx, e, at); err != nil {
		if ctx.Err() != nil {
			log.Info("scheduler: fire ended by the runner stopping", "error", err)
			return
		}
		log.Error("scheduler: fire failed", "error", err)
		return
	}
	log.Info("scheduler: fired")
}
