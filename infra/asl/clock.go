package asl

import (
	"container/heap"
	"context"
	"sync"
	"time"
)

// Clock is the engine's only source of time: Wait states, retry delays and
// timeouts all go through it, so tests can substitute a FakeClock and run
// days of simulated waiting in milliseconds.
type Clock interface {
	// Now returns the current time.
	Now() time.Time
	// AfterFunc calls f once d has elapsed, like time.AfterFunc. The engine
	// only passes functions that return at once, so a clock may call f on any
	// goroutine.
	AfterFunc(d time.Duration, f func()) Timer
}

// Timer is a pending Clock.AfterFunc call.
type Timer interface {
	// Stop prevents the call; it reports false if the call already happened.
	Stop() bool
}

// SystemClock returns the wall clock.
func SystemClock() Clock { return systemClock{} }

type systemClock struct{}

func (systemClock) Now() time.Time { return time.Now() }

func (systemClock) AfterFunc(d time.Duration, f func()) Timer { return time.AfterFunc(d, f) }

// activityTracker is implemented by clocks that simulate time. The engine
// reports every goroutine it runs as busy while it can make progress and idle
// while it blocks, so the clock can tell when nothing but the passing of time
// can move an execution forward.
type activityTracker interface {
	busy()
	idle()
}

type noActivity struct{}

func (noActivity) busy() {}
func (noActivity) idle() {}

// trackerOf returns the clock's activity tracker, or one that ignores reports.
func trackerOf(c Clock) activityTracker {
	if t, ok := c.(activityTracker); ok {
		return t
	}
	return noActivity{}
}

// wakeup is a one-shot signal that keeps the activity count exact: whoever
// wakes a blocked goroutine marks it busy before it runs, so a simulated
// clock never sees a gap in which everything looks idle.
type wakeup struct {
	once sync.Once
	ch   chan struct{}
	act  activityTracker
}

func newWakeup(act activityTracker) *wakeup {
	return &wakeup{ch: make(chan struct{}), act: act}
}

// fire wakes the waiter; later calls do nothing.
func (w *wakeup) fire() {
	w.once.Do(func() {
		w.act.busy()
		close(w.ch)
	})
}

// wait blocks until fire; the caller must be a busy goroutine.
func (w *wakeup) wait() {
	w.act.idle()
	<-w.ch
}

// sleepOn blocks for d on the clock, or until ctx is done.
func sleepOn(ctx context.Context, c Clock, act activityTracker, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	w := newWakeup(act)
	t := c.AfterFunc(d, w.fire)
	stop := context.AfterFunc(ctx, w.fire)
	w.wait()
	t.Stop()
	stop()
	return ctx.Err()
}

// FakeClock is a simulated Clock for tests. Time moves only through Advance,
// or automatically after StartAutoAdvance: then, whenever every goroutine of
// the engines using it is blocked, the clock jumps to the next pending timer.
//
// Handlers run by the engine may call Sleep to simulate slow work. Code the
// engine does not run must not call Sleep unless it was started with Go; a
// test goroutine can use Hold to keep the clock still while it acts.
type FakeClock struct {
	mu       sync.Mutex
	now      time.Time
	timers   fakeTimerHeap
	seq      uint64
	running  int
	version  uint64
	changed  chan struct{}
	settling time.Duration
}

// NewFakeClock returns a FakeClock showing start.
func NewFakeClock(start time.Time) *FakeClock {
	return &FakeClock{now: start, settling: time.Millisecond}
}

// Now returns the simulated time.
func (c *FakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// AfterFunc schedules f for when the simulated time reaches Now()+d.
func (c *FakeClock) AfterFunc(d time.Duration, f func()) Timer {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.seq++
	t := &fakeTimer{clock: c, when: c.now.Add(d), seq: c.seq, f: f}
	heap.Push(&c.timers, t)
	c.changedLocked()
	return t
}

// Advance moves the time forward by d, running every timer that falls due, in order.
func (c *FakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	target := c.now.Add(d)
	c.mu.Unlock()
	for {
		c.mu.Lock()
		if len(c.timers) == 0 || c.timers[0].when.After(target) {
			if target.After(c.now) {
				c.now = target
			}
			c.changedLocked()
			c.mu.Unlock()
			return
		}
		t := c.popLocked()
		c.mu.Unlock()
		t.f()
	}
}

// PendingTimers reports how many timers wait to fire.
func (c *FakeClock) PendingTimers() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.timers)
}

// Sleep blocks a handler for d of simulated time, or until ctx is done.
func (c *FakeClock) Sleep(ctx context.Context, d time.Duration) error {
	return sleepOn(ctx, c, c, d)
}

// Go runs f on a new goroutine that the clock accounts for, so f may Sleep
// and act on executions (send heartbeats, complete tasks later) while
// auto-advance is on.
func (c *FakeClock) Go(f func()) {
	c.busy()
	go func() {
		defer c.idle()
		f()
	}()
}

// Hold keeps auto-advance from moving the time until release is called, so a
// test goroutine can act on an execution that is otherwise idle.
func (c *FakeClock) Hold() (release func()) {
	c.busy()
	var once sync.Once
	return func() { once.Do(c.idle) }
}

// StartAutoAdvance lets the clock advance by itself whenever the engines
// using it are idle. Call stop before the test ends.
func (c *FakeClock) StartAutoAdvance() (stop func()) {
	done := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		for c.autoStep(done) {
		}
	}()
	var once sync.Once
	return func() {
		once.Do(func() {
			close(done)
			<-finished
		})
	}
}

// autoStep fires the next timer once the engine has been idle for a moment;
// it reports false when auto-advance is stopped.
func (c *FakeClock) autoStep(done <-chan struct{}) bool {
	c.mu.Lock()
	if c.running > 0 || len(c.timers) == 0 {
		ch := c.changedChanLocked()
		c.mu.Unlock()
		select {
		case <-ch:
			return true
		case <-done:
			return false
		}
	}
	version := c.version
	c.mu.Unlock()
	// The settling pause covers wake-ups the accounting cannot see, such as
	// context.AfterFunc goroutines that are about to start.
	select {
	case <-time.After(c.settling):
	case <-done:
		return false
	}
	c.mu.Lock()
	if c.version != version || c.running > 0 || len(c.timers) == 0 {
		c.mu.Unlock()
		return true
	}
	t := c.popLocked()
	c.mu.Unlock()
	t.f()
	return true
}

func (c *FakeClock) busy() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.running++
	c.changedLocked()
}

func (c *FakeClock) idle() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.running--
	if c.running < 0 {
		panic("asl: FakeClock activity underflow: Sleep or a Hold release called outside the engine's goroutines")
	}
	c.changedLocked()
}

// popLocked removes the earliest timer and moves the time to it.
func (c *FakeClock) popLocked() *fakeTimer {
	t := heap.Pop(&c.timers).(*fakeTimer)
	if t.when.After(c.now) {
		c.now = t.when
	}
	c.changedLocked()
	return t
}

func (c *FakeClock) changedLocked() {
	c.version++
	if c.changed != nil {
		close(c.changed)
		c.changed = nil
	}
}

func (c *FakeClock) changedChanLocked() <-chan struct{} {
	if c.changed == nil {
		c.changed = make(chan struct{})
	}
	return c.changed
}

type fakeTimer struct {
	clock *FakeClock
	when  time.Time
	seq   uint64
	f     func()
	index int
}

// Stop cancels the timer.
func (t *fakeTimer) Stop() bool {
	c := t.clock
	c.mu.Lock()
	defer c.mu.Unlock()
	if t.index < 0 {
		return false
	}
	heap.Remove(&c.timers, t.index)
	c.changedLocked()
	return true
}

// fakeTimerHeap orders timers by due time, then by creation.
type fakeTimerHeap []*fakeTimer

func (h fakeTimerHeap) Len() int { return len(h) }
func (h fakeTimerHeap) Less(i, j int) bool {
	if !h[i].when.Equal(h[j].when) {
		return h[i].when.Before(h[j].when)
	}
	return h[i].seq < h[j].seq
}
func (h fakeTimerHeap) Swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].index = i
	h[j].index = j
}
func (h *fakeTimerHeap) Push(x any) {
	t := x.(*fakeTimer)
	t.index = len(*h)
	*h = append(*h, t)
}
func (h *fakeTimerHeap) Pop() any {
	old := *h
	t := old[len(old)-1]
	old[len(old)-1] = nil
	*h = old[:len(old)-1]
	t.index = -1
	return t
}
