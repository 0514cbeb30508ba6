package asl

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// execution is the in-memory side of one running execution. Its event
// cache mirrors the store's history: every event is appended to the store
// first, so the store stays the source of truth across restarts.
type execution struct {
	engine  *Engine
	rec     ExecutionRecord
	machine *stateMachine
	input   any
	secret  []byte
	// resumedAt is when a replay started; heartbeats are not persisted, so a
	// resumed task measures its heartbeat timeout from here.
	resumedAt time.Time

	mu      sync.Mutex
	events  map[string]HistoryEvent
	waiters map[string]*wakeup
	beats   map[string]time.Time

	done chan struct{}
	// abort stops the running execution (StopExecution); set by run.
	abort context.CancelCauseFunc
	// stopErr explains why the execution stopped without finishing; it is
	// written before done is closed.
	stopErr error

	// historyEvents and largestPayload count against the quotas (limits.go).
	historyEvents  atomic.Int64
	largestPayload atomic.Int64
}

// run executes (or replays) the execution and records how it ended.
func (ex *execution) run(resumed bool) {
	e := ex.engine
	ctx, cancel := context.WithCancelCause(e.root)
	defer cancel(nil)
	ex.mu.Lock()
	ex.abort = cancel
	ex.mu.Unlock()
	if timeout := ex.machine.timeout; timeout > 0 {
		remaining := ex.rec.StartDate.Add(timeout).Sub(e.clock.Now())
		t := e.clock.AfterFunc(max(remaining, 0), func() { cancel(errExecutionTimedOut) })
		defer t.Stop()
	}
	out, err := ex.start(ctx, resumed)
	if err == nil || !isCancellation(err) && ctx.Err() == nil {
		if outcome, oerr := ex.outcome(out, err); oerr == nil {
			e.finish(ex.rec.ExecutionArn, outcome)
			return
		}
	}
	switch {
	case errors.Is(context.Cause(ctx), errExecutionTimedOut) && e.root.Err() == nil:
		e.finish(ex.rec.ExecutionArn, ExecutionOutcome{
			Status: StatusTimedOut, Error: ErrorTimeout,
			Cause:    fmt.Sprintf("The execution exceeded its TimeoutSeconds of %d", int64(ex.machine.timeout/time.Second)),
			StopDate: e.now(),
		})
	case errors.Is(context.Cause(ctx), errExecutionAborted):
		// StopExecution has recorded the outcome already.
	case e.root.Err() != nil:
		// The engine is closing: leave the execution RUNNING for Resume.
		ex.stopErr = errEngineClosed
	default:
		var se *StatesError
		if errors.As(err, &se) {
			e.finish(ex.rec.ExecutionArn, ExecutionOutcome{Status: StatusFailed, Error: se.Name, Cause: se.Cause, StopDate: e.now()})
			return
		}
		// The infrastructure (the store, usually) failed. The execution stays
		// RUNNING so a later Resume continues it from its history.
		ex.stopErr = err
		e.logger.Error("asl: execution stopped; it stays RUNNING until resumed", "execution", ex.rec.ExecutionArn, "error", err)
	}
}

// outcome turns how a run of the machine ended into the execution's
// outcome, or returns the error when the execution must stay RUNNING
// (cancellation, the engine closing, a store failure).
func (ex *execution) outcome(out any, err error) (ExecutionOutcome, error) {
	e := ex.engine
	if err == nil {
		// ExecutionSucceeded; its output is under the payload quota too.
		if err = ex.count(1); err == nil {
			err = ex.checkPayload(out, "the execution output")
		}
		if err == nil {
			ex.keepStats()
			return ExecutionOutcome{Status: StatusSucceeded, Output: mustEncodeJSON(out), StopDate: e.now()}, nil
		}
	}
	var se *StatesError
	if errors.As(err, &se) && !isCancellation(err) {
		ex.historyEvents.Add(1) // ExecutionFailed
		ex.keepStats()
		return ExecutionOutcome{Status: StatusFailed, Error: se.Name, Cause: se.Cause, StopDate: e.now()}, nil
	}
	return ExecutionOutcome{}, err
}

func (ex *execution) start(ctx context.Context, resumed bool) (any, error) {
	secret, err := base64.StdEncoding.DecodeString(ex.rec.Secret)
	if err != nil {
		return nil, fmt.Errorf("execution secret: %w", err)
	}
	ex.secret = secret
	if ex.input, err = decodeJSON([]byte(ex.rec.Input)); err != nil {
		return nil, newStatesError(ErrorRuntime, "invalid execution input: %v", err)
	}
	if resumed {
		history, err := ex.engine.store.History(ctx, ex.rec.ExecutionArn)
		if err != nil {
			return nil, fmt.Errorf("load history: %w", err)
		}
		ex.merge(history)
	}
	if err := ex.count(1); err != nil { // ExecutionStarted
		return nil, err
	}
	return ex.runMachine(ctx, ex.machine, "", ex.input)
}

// runMachine runs a machine, branch or item processor from StartAt to its end.
// prefix is the step-key prefix of this scope.
func (ex *execution) runMachine(ctx context.Context, m *stateMachine, prefix string, input any) (any, error) {
	visits := map[string]int{}
	name := m.startAt
	for {
		if ctx.Err() != nil {
			return nil, context.Cause(ctx)
		}
		st := m.states[name]
		visits[name]++
		stepKey := prefix + escapeKeyPart(name) + "#" + strconv.Itoa(visits[name])
		out, next, err := ex.runState(ctx, st, stepKey, input)
		if err != nil {
			return nil, err
		}
		if next == "" {
			return out, nil
		}
		name, input = next, out
	}
}

// runState runs one state and returns its output and the next state's name
// ("" when the scope ends).
func (ex *execution) runState(ctx context.Context, st *state, stepKey string, raw any) (any, string, error) {
	// StateEntered and StateExited (a Fail state's exit is the execution's end).
	if err := ex.count(2); err != nil {
		return nil, "", err
	}
	out, next, err := ex.runStateType(ctx, st, stepKey, raw)
	if err == nil && st.typ != typeTask && st.typ != typeParallel && st.typ != typeMap {
		// Those three check their output inside their error handling, where
		// a Catch naming States.DataLimitExceeded can take it.
		err = ex.checkPayload(out, "the output of state "+strconv.Quote(st.name))
	}
	return out, next, err
}

func (ex *execution) runStateType(ctx context.Context, st *state, stepKey string, raw any) (any, string, error) {
	v := &visit{state: st, stepKey: stepKey}
	switch st.typ {
	case typePass:
		return ex.runPass(ctx, v, raw)
	case typeChoice:
		return ex.runChoice(ctx, v, raw)
	case typeWait:
		return ex.runWait(ctx, v, raw)
	case typeSucceed:
		effective, err := ex.inputPath(ctx, v, raw)
		if err != nil {
			return nil, "", err
		}
		out, err := ex.outputPath(ctx, v, effective)
		return out, "", err
	case typeFail:
		return nil, "", ex.runFail(ctx, v, raw)
	case typeTask:
		return ex.withErrorHandling(ctx, v, raw, ex.taskAttempt)
	case typeParallel:
		return ex.withErrorHandling(ctx, v, raw, ex.parallelAttempt)
	case typeMap:
		return ex.withErrorHandling(ctx, v, raw, ex.mapAttempt)
	}
	return nil, "", newStatesError(ErrorRuntime, "unsupported state type %q", st.typ)
}

// visit is one entry into a state; it carries what the context object shows.
type visit struct {
	state      *state
	stepKey    string
	retryCount int
	token      string
	mapIndex   int
	mapValue   any
	inMapItem  bool
}

// env builds the evaluation environment of a visit. seedKey names the
// evaluation site, so each site gets its own reproducible random stream.
func (ex *execution) env(ctx context.Context, v *visit, input any, seedKey string) *evalEnv {
	var cached any
	return &evalEnv{
		input: input,
		context: func() (any, error) {
			if cached == nil {
				c, err := ex.contextObject(ctx, v)
				if err != nil {
					return nil, err
				}
				cached = c
			}
			return cached, nil
		},
		seed: func() [32]byte { return ex.derive("random", seedKey) },
	}
}

// contextObject builds the "$$" document of a visit.
func (ex *execution) contextObject(ctx context.Context, v *visit) (any, error) {
	entered, err := ex.recordedTime(ctx, v.stepKey+":entered", EventStateEntered, ex.engine.now)
	if err != nil {
		return nil, err
	}
	smName := ex.rec.StateMachineArn[strings.LastIndex(ex.rec.StateMachineArn, ":")+1:]
	// Members come in the order of the context object in the Step
	// Functions documentation.
	obj := objectOf(
		"Execution", objectOf(
			"Id", ex.rec.ExecutionArn,
			"Input", ex.input,
			"Name", ex.rec.Name,
			"RoleArn", fmt.Sprintf("arn:aws:iam::%s:role/StepFunctionsLocal", ex.engine.account),
			"StartTime", formatTime(ex.rec.StartDate),
			"RedriveCount", int64(0),
		),
		"State", objectOf(
			"EnteredTime", formatTime(entered),
			"Name", v.state.name,
			"RetryCount", int64(v.retryCount),
		),
		"StateMachine", objectOf(
			"Id", ex.rec.StateMachineArn,
			"Name", smName,
		),
	)
	if v.token != "" {
		obj.set("Task", objectOf("Token", v.token))
	}
	if v.inMapItem {
		obj.set("Map", objectOf("Item", objectOf("Index", int64(v.mapIndex), "Value", v.mapValue)))
	}
	return obj, nil
}

// formatTime renders a timestamp as Step Functions does.
func formatTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }

func (ex *execution) inputPath(ctx context.Context, v *visit, raw any) (any, error) {
	return ex.selectPath(ctx, v, v.state.inputPath, raw, "InputPath")
}

func (ex *execution) outputPath(ctx context.Context, v *visit, out any) (any, error) {
	return ex.selectPath(ctx, v, v.state.outputPath, out, "OutputPath")
}

// selectPath applies InputPath or OutputPath: null gives {}, and a path
// that matches nothing fails the execution.
func (ex *execution) selectPath(ctx context.Context, v *visit, p *jsonPath, data any, field string) (any, error) {
	if p == nil {
		return newObject(0), nil
	}
	if p == rootPath {
		return data, nil
	}
	value, found, err := p.lookup(ex.env(ctx, v, data, ""))
	if err != nil {
		return nil, err
	}
	if !found {
		return nil, newStatesError(ErrorRuntime, "Invalid path %q in %s of state %q: the path matches nothing in %s",
			p.text, field, v.state.name, mustEncodeJSON(data))
	}
	return value, nil
}

// resultPath combines the state input with a result; null discards the result.
func resultPath(p *jsonPath, raw, result any) (any, error) {
	switch {
	case p == nil:
		return raw, nil
	case len(p.expr) == 1:
		return result, nil
	}
	return p.applyResultPath(raw, result)
}

func (ex *execution) runPass(ctx context.Context, v *visit, raw any) (any, string, error) {
	st := v.state
	effective, err := ex.inputPath(ctx, v, raw)
	if err != nil {
		return nil, "", err
	}
	result := effective
	switch {
	case st.hasResult:
		result = st.result
	case st.parameters != nil:
		if result, err = st.parameters.evaluate(ex.env(ctx, v, effective, v.stepKey+":parameters")); err != nil {
			return nil, "", err
		}
	}
	out, err := resultPath(st.resultPath, raw, result)
	if err != nil {
		return nil, "", err
	}
	out, err = ex.outputPath(ctx, v, out)
	return out, st.next, err
}

func (ex *execution) runChoice(ctx context.Context, v *visit, raw any) (any, string, error) {
	st := v.state
	effective, err := ex.inputPath(ctx, v, raw)
	if err != nil {
		return nil, "", err
	}
	env := ex.env(ctx, v, effective, "")
	next := ""
	for _, rule := range st.choices {
		ok, err := rule.evaluate(env)
		if err != nil {
			return nil, "", err
		}
		if ok {
			next = rule.next
			break
		}
	}
	if next == "" {
		if st.defaultNext == "" {
			return nil, "", newStatesError(ErrorNoChoiceMatched, "No Matches! No choice rule of state %q matched and it has no Default", st.name)
		}
		next = st.defaultNext
	}
	out, err := ex.outputPath(ctx, v, effective)
	return out, next, err
}

func (ex *execution) runWait(ctx context.Context, v *visit, raw any) (any, string, error) {
	st := v.state
	effective, err := ex.inputPath(ctx, v, raw)
	if err != nil {
		return nil, "", err
	}
	env := ex.env(ctx, v, effective, "")
	var wakeAt func() time.Time
	switch {
	case st.hasSeconds:
		wakeAt = func() time.Time { return ex.engine.now().Add(time.Duration(st.seconds) * time.Second) }
	case st.hasTimestamp:
		wakeAt = func() time.Time { return st.timestamp }
	case st.secondsPath != nil:
		value, found, err := st.secondsPath.lookup(env)
		if err != nil {
			return nil, "", err
		}
		secs, ok := toInteger(value)
		if !found || !ok || secs < 0 {
			return nil, "", newStatesError(ErrorRuntime, "SecondsPath %q of state %q must select a non-negative integer", st.secondsPath.text, st.name)
		}
		wakeAt = func() time.Time { return ex.engine.now().Add(time.Duration(secs) * time.Second) }
	default:
		value, found, err := st.timestampPath.lookup(env)
		if err != nil {
			return nil, "", err
		}
		s, _ := value.(string)
		ts, valid := parseTimestamp(s)
		if !found || !valid {
			return nil, "", newStatesError(ErrorRuntime, "TimestampPath %q of state %q must select an RFC 3339 timestamp", st.timestampPath.text, st.name)
		}
		wakeAt = func() time.Time { return ts }
	}
	// The wake-up time is recorded, so a replay does not wait again from the start.
	wake, err := ex.recordedTime(ctx, v.stepKey+":wake", EventWaitScheduled, wakeAt)
	if err != nil {
		return nil, "", err
	}
	if err := ex.sleepUntil(ctx, wake); err != nil {
		return nil, "", err
	}
	out, err := ex.outputPath(ctx, v, effective)
	return out, st.next, err
}

func (ex *execution) runFail(ctx context.Context, v *visit, raw any) error {
	st := v.state
	failure := &StatesError{Name: st.errorName, Cause: st.cause}
	env := ex.env(ctx, v, raw, v.stepKey+":fail")
	var err error
	if st.errorExpr != nil {
		if failure.Name, err = st.errorExpr.evaluate(env, "ErrorPath"); err != nil {
			return err
		}
	}
	if st.causeExpr != nil {
		if failure.Cause, err = st.causeExpr.evaluate(env, "CausePath"); err != nil {
			return err
		}
	}
	return failure
}

// attemptFunc runs one attempt of a Task, Parallel or Map state and returns
// its raw result.
type attemptFunc func(ctx context.Context, v *visit, attemptKey string, effective any) (any, error)

// withErrorHandling applies InputPath, runs attempts under the Retry policy,
// processes the result (ResultSelector, ResultPath, OutputPath) and applies
// Catch to an error that retries did not resolve.
func (ex *execution) withErrorHandling(ctx context.Context, v *visit, raw any, attempt attemptFunc) (any, string, error) {
	st := v.state
	effective, err := ex.inputPath(ctx, v, raw)
	if err != nil {
		return nil, "", err
	}
	// Each retrier counts every retry it made, whichever of its names
	// matched, and its interval grows with that count: in the
	// specification's worked example (errors A, B, C, B) the fourth error
	// finds the first retrier exhausted after waits of 1, 2 and 5 seconds.
	uses := make([]int64, len(st.retry))
	for n := 0; ; n++ {
		v.retryCount = n
		attemptKey := v.stepKey + "@" + strconv.Itoa(n)
		result, err := ex.attemptCounted(ctx, v, attemptKey, effective, attempt)
		if err == nil {
			out, err := ex.processResult(ctx, v, attemptKey, raw, result)
			if err == nil {
				err = ex.checkPayload(out, "the output of state "+strconv.Quote(st.name))
			}
			if err == nil {
				return out, st.next, nil
			}
			return ex.catch(v, raw, err)
		}
		var failure *StatesError
		if !errors.As(err, &failure) || failure.Name == ErrorRuntime {
			return nil, "", err
		}
		i := matchingRetrier(st.retry, failure.Name)
		if i < 0 || uses[i] >= st.retry[i].maxAttempts {
			return ex.catch(v, raw, err)
		}
		uses[i]++
		delay := ex.retryDelay(st.retry[i], uses[i], attemptKey)
		wake, err := ex.recordedTime(ctx, attemptKey+":retry", EventRetryScheduled, func() time.Time {
			return ex.engine.now().Add(delay)
		})
		if err != nil {
			return nil, "", err
		}
		if err := ex.sleepUntil(ctx, wake); err != nil {
			return nil, "", err
		}
	}
}

// matchingRetrier returns the index of the first retrier whose ErrorEquals
// matches; only that retrier applies, even when its attempts are used up.
func matchingRetrier(retriers []retrier, name string) int {
	for i, r := range retriers {
		if matchesAny(r.errorEquals, name) {
			return i
		}
	}
	return -1
}

func matchesAny(patterns []string, name string) bool {
	for _, p := range patterns {
		if errorMatches(p, name) {
			return true
		}
	}
	return false
}

// maxRetryWait is the longest retry delay: a steep BackoffRate saturates
// there rather than overflowing time.Duration into a negative delay.
const maxRetryWait = time.Duration(math.MaxInt64)

// retryDelay is IntervalSeconds × BackoffRate^(retry-1), capped by
// MaxDelaySeconds, optionally with full jitter.
func (ex *execution) retryDelay(r retrier, retry int64, attemptKey string) time.Duration {
	seconds := r.interval * math.Pow(r.backoffRate, float64(retry-1))
	if r.maxDelay > 0 && seconds > r.maxDelay {
		seconds = r.maxDelay
	}
	if r.fullJitter {
		seed := ex.derive("jitter", attemptKey)
		fraction := float64(uint64(seed[0])<<8|uint64(seed[1])) / 65535
		seconds *= fraction
	}
	nanos := seconds * float64(time.Second)
	if nanos >= float64(maxRetryWait) {
		return maxRetryWait
	}
	return time.Duration(nanos)
}

// catch routes an error to the first matching catcher, or returns it.
func (ex *execution) catch(v *visit, raw any, err error) (any, string, error) {
	var failure *StatesError
	if !errors.As(err, &failure) || failure.Name == ErrorRuntime {
		return nil, "", err
	}
	for _, c := range v.state.catch {
		if !matchesAny(c.errorEquals, failure.Name) {
			continue
		}
		errorOutput := objectOf("Error", failure.Name, "Cause", failure.Cause)
		out, err := resultPath(c.resultPath, raw, errorOutput)
		if err != nil {
			return nil, "", err
		}
		return out, c.next, nil
	}
	return nil, "", err
}

// processResult applies ResultSelector, ResultPath and OutputPath.
func (ex *execution) processResult(ctx context.Context, v *visit, attemptKey string, raw, result any) (any, error) {
	st := v.state
	if st.resultSelector != nil {
		var err error
		result, err = st.resultSelector.evaluate(ex.env(ctx, v, result, attemptKey+":selector"))
		if err != nil {
			return nil, err
		}
	}
	out, err := resultPath(st.resultPath, raw, result)
	if err != nil {
		return nil, err
	}
	return ex.outputPath(ctx, v, out)
}

// parallelAttempt runs every branch on the same input; the result lists the
// branch outputs in order. The first failing branch cancels the others.
func (ex *execution) parallelAttempt(ctx context.Context, v *visit, attemptKey string, effective any) (any, error) {
	st := v.state
	input := effective
	if st.parameters != nil {
		var err error
		if input, err = st.parameters.evaluate(ex.env(ctx, v, effective, attemptKey+":parameters")); err != nil {
			return nil, err
		}
	}
	results := make([]any, len(st.branches))
	err := ex.fanOut(ctx, len(st.branches), len(st.branches), func(ctx context.Context, i int) error {
		out, err := ex.runMachine(ctx, st.branches[i], branchPrefix(attemptKey, i), input)
		results[i] = out
		return err
	})
	if err != nil {
		return nil, err
	}
	return results, nil
}

// mapAttempt runs the item processor for every item, at most
// MaxConcurrency at a time; the result lists the outputs in item order.
func (ex *execution) mapAttempt(ctx context.Context, v *visit, attemptKey string, effective any) (any, error) {
	st := v.state
	if st.dist != nil {
		return ex.distributedAttempt(ctx, v, attemptKey, effective)
	}
	env := ex.env(ctx, v, effective, "")
	items, err := ex.mapItems(ctx, v, env)
	if err != nil {
		return nil, err
	}
	limit, err := ex.concurrency(v, env)
	if err != nil {
		return nil, err
	}
	workers := len(items)
	if limit > 0 && limit < workers {
		workers = limit
	}
	results := make([]any, len(items))
	err = ex.fanOut(ctx, len(items), workers, func(ctx context.Context, i int) error {
		itemInput, err := ex.selectItem(ctx, v, attemptKey, effective, i, items[i])
		if err != nil {
			return err
		}
		if err := ex.count(2); err != nil { // MapIterationStarted, MapIterationSucceeded
			return err
		}
		out, err := ex.runMachine(ctx, st.processor, branchPrefix(attemptKey, i), itemInput)
		results[i] = out
		return err
	})
	if err != nil {
		return nil, err
	}
	return results, nil
}

// selectItem applies the ItemSelector (if any) to item i, with
// $$.Map.Item.Index and Value set.
func (ex *execution) selectItem(ctx context.Context, v *visit, attemptKey string, effective any, i int, item any) (any, error) {
	if v.state.itemSelector == nil {
		return item, nil
	}
	iv := &visit{state: v.state, stepKey: v.stepKey, retryCount: v.retryCount, inMapItem: true, mapIndex: i, mapValue: item}
	return v.state.itemSelector.evaluate(ex.env(ctx, iv, effective, branchPrefix(attemptKey, i)+":selector"))
}

func branchPrefix(attemptKey string, i int) string {
	return attemptKey + "/[" + strconv.Itoa(i) + "]/"
}

// fanOut runs fn for indexes 0..n-1 on the given number of workers. The
// first failure cancels the remaining work and is returned.
func (ex *execution) fanOut(parent context.Context, n, workers int, fn func(ctx context.Context, i int) error) error {
	if n == 0 {
		return nil
	}
	ctx, cancel := context.WithCancelCause(parent)
	defer cancel(nil)
	act := ex.engine.act
	var (
		next      atomic.Int64
		remaining atomic.Int64
		mu        sync.Mutex
		firstErr  error
	)
	remaining.Store(int64(workers))
	joined := newWakeup(act)
	for range workers {
		act.busy()
		go func() {
			defer act.idle()
			defer func() {
				if remaining.Add(-1) == 0 {
					joined.fire()
				}
			}()
			for {
				i := int(next.Add(1) - 1)
				if i >= n || ctx.Err() != nil {
					return
				}
				if err := fn(ctx, i); err != nil && !isCancellation(err) {
					mu.Lock()
					if firstErr == nil {
						firstErr = err
						cancel(errBranchCancelled)
					}
					mu.Unlock()
				}
			}
		}()
	}
	joined.wait()
	if parent.Err() != nil {
		return context.Cause(parent)
	}
	return firstErr
}

// isCancellation reports errors that only say the work was cancelled.
func isCancellation(err error) bool {
	return errors.Is(err, errBranchCancelled) || errors.Is(err, errEngineClosed) ||
		errors.Is(err, errExecutionTimedOut) || errors.Is(err, context.Canceled)
}

// sleepUntil blocks until the clock reaches t or ctx ends.
func (ex *execution) sleepUntil(ctx context.Context, t time.Time) error {
	d := t.Sub(ex.engine.clock.Now())
	if err := sleepOn(ctx, ex.engine.clock, ex.engine.act, d); err != nil {
		return context.Cause(ctx)
	}
	return nil
}

// derive returns key material bound to this execution and a purpose, such
// as a task token; it is reproducible from the persisted secret.
func (ex *execution) derive(purpose, key string) [32]byte {
	mac := hmac.New(sha256.New, ex.secret)
	mac.Write([]byte(purpose))
	mac.Write([]byte{0})
	mac.Write([]byte(key))
	var out [32]byte
	copy(out[:], mac.Sum(nil))
	return out
}

// event returns a recorded event.
func (ex *execution) event(key string) (HistoryEvent, bool) {
	ex.mu.Lock()
	defer ex.mu.Unlock()
	ev, ok := ex.events[key]
	return ev, ok
}

// merge adds events loaded from the store, keeping those already known.
func (ex *execution) merge(events []HistoryEvent) {
	ex.mu.Lock()
	defer ex.mu.Unlock()
	for _, ev := range events {
		if _, ok := ex.events[ev.Key]; !ok {
			ex.events[ev.Key] = ev
		}
	}
}

// record appends an event unless one with its key exists, and returns the
// event that won.
func (ex *execution) record(ctx context.Context, ev HistoryEvent) (HistoryEvent, error) {
	if existing, ok := ex.event(ev.Key); ok {
		return existing, nil
	}
	err := ex.engine.store.AppendHistory(ctx, ex.rec.ExecutionArn, ev)
	if errors.Is(err, ErrDuplicateEvent) {
		// Another writer (SendTaskSuccess, usually) got there first.
		history, err := ex.engine.store.History(ctx, ex.rec.ExecutionArn)
		if err != nil {
			return HistoryEvent{}, fmt.Errorf("reload history: %w", err)
		}
		ex.merge(history)
		if existing, ok := ex.event(ev.Key); ok {
			return existing, nil
		}
		return HistoryEvent{}, fmt.Errorf("event %s is recorded but missing from the history", ev.Key)
	}
	if err != nil {
		return HistoryEvent{}, fmt.Errorf("record %s: %w", ev.Key, err)
	}
	ex.deliver(ev)
	return ev, nil
}

// deliver adds an event that is already in the store and wakes whoever waits for it.
func (ex *execution) deliver(ev HistoryEvent) {
	ex.mu.Lock()
	defer ex.mu.Unlock()
	if _, ok := ex.events[ev.Key]; !ok {
		ex.events[ev.Key] = ev
	}
	if w := ex.waiters[ev.Key]; w != nil {
		w.fire()
	}
}

// recordedTime returns the time recorded under key, recording compute()
// first if there is none.
func (ex *execution) recordedTime(ctx context.Context, key, kind string, compute func() time.Time) (time.Time, error) {
	if ev, ok := ex.event(key); ok {
		return ev.Time, nil
	}
	ev, err := ex.record(ctx, HistoryEvent{Key: key, Kind: kind, Time: compute().UTC().Truncate(time.Millisecond)})
	if err != nil {
		return time.Time{}, err
	}
	return ev.Time, nil
}

// escapeKeyPart escapes the characters step keys use as separators, so any
// state name yields an unambiguous key.
func escapeKeyPart(name string) string {
	if !strings.ContainsAny(name, "%/#@:[]") {
		return name
	}
	var b strings.Builder
	for i := 0; i < len(name); i++ {
		c := name[i]
		if strings.IndexByte("%/#@:[]", c) >= 0 {
			fmt.Fprintf(&b, "%%%02X", c)
		} else {
			b.WriteByte(c)
		}
	}
	return b.String()
}

// attemptCounted runs one attempt, counting its history events (a task's
// scheduled, started and outcome events; a Map's or Parallel's started and
// outcome events) and checking its result against the payload quota.
func (ex *execution) attemptCounted(ctx context.Context, v *visit, attemptKey string, effective any, attempt attemptFunc) (any, error) {
	events := int64(2)
	if v.state.typ == typeTask {
		events = 3
	}
	if err := ex.count(events); err != nil {
		return nil, err
	}
	result, err := attempt(ctx, v, attemptKey, effective)
	if err == nil {
		err = ex.checkPayload(result, "the result of state "+strconv.Quote(v.state.name))
	}
	return result, err
}
