package asl

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"time"
)

// taskAttempt runs one attempt of a Task state. A recorded outcome is
// returned as is, so a replay never invokes a handler twice.
func (ex *execution) taskAttempt(ctx context.Context, v *visit, attemptKey string, effective any) (any, error) {
	st := v.state
	resultKey := attemptKey + ":result"
	callback := strings.HasSuffix(st.resource, waitForTaskToken)
	v.token = ""
	if callback {
		v.token = ex.taskToken(attemptKey)
	}
	if ev, ok := ex.event(resultKey); ok {
		return outcomeOf(ev)
	}
	env := ex.env(ctx, v, effective, attemptKey+":parameters")
	input := effective
	if st.parameters != nil {
		var err error
		if input, err = st.parameters.evaluate(env); err != nil {
			return nil, err
		}
	}
	if err := ex.checkPayload(input, "the input of state "+strconv.Quote(st.name)); err != nil {
		return nil, err
	}
	timeout, heartbeat, err := taskTimeouts(st, env)
	if err != nil {
		return nil, err
	}
	var deadline time.Time
	if timeout > 0 || callback {
		started, err := ex.recordedTime(ctx, attemptKey+":started", EventTaskStarted, ex.engine.now)
		if err != nil {
			return nil, err
		}
		if timeout > 0 {
			deadline = started.Add(timeout)
		}
	}
	call, err := ex.resolveTask(st, input, attemptKey, callback)
	if err != nil {
		return ex.settle(ctx, resultKey, nil, err)
	}
	if !callback {
		out, err := ex.invokeBefore(ctx, call, deadline)
		if err != nil && isCancellation(err) {
			return nil, err
		}
		return ex.settle(ctx, resultKey, out, err)
	}
	return ex.callbackTask(ctx, v, attemptKey, call, deadline, heartbeat)
}

// callbackTask runs a .waitForTaskToken task: it publishes the token,
// invokes the handler once (its output is ignored) and waits for
// SendTaskSuccess or SendTaskFailure, a timeout or a missed heartbeat.
func (ex *execution) callbackTask(ctx context.Context, v *visit, attemptKey string, call taskCall, deadline time.Time, heartbeat time.Duration) (any, error) {
	e := ex.engine
	resultKey := attemptKey + ":result"
	// The mapping is written on every run, replays included, so a crash
	// between issuing the token and storing it cannot lose it.
	if err := e.store.PutToken(ctx, TaskTokenRecord{Token: v.token, ExecutionArn: ex.rec.ExecutionArn, StepKey: attemptKey}); err != nil {
		return nil, fmt.Errorf("store task token: %w", err)
	}
	if _, invoked := ex.event(attemptKey + ":invoked"); !invoked {
		if _, err := ex.invokeBefore(ctx, call, deadline); err != nil {
			if isCancellation(err) {
				return nil, err
			}
			return ex.settle(ctx, resultKey, nil, err)
		}
		// Recorded even if the engine is closing meanwhile: the handler ran,
		// and a replay must not send the same request again.
		invoked := HistoryEvent{Key: attemptKey + ":invoked", Kind: EventTaskInvoked, Time: e.now()}
		if _, err := ex.record(context.WithoutCancel(ctx), invoked); err != nil {
			return nil, err
		}
	}
	lastBeat := ex.startedAt(attemptKey)
	if ex.resumedAt.After(lastBeat) {
		lastBeat = ex.resumedAt
	}
	for {
		if ev, ok := ex.event(resultKey); ok {
			return outcomeOf(ev)
		}
		now := e.clock.Now()
		next, reason := deadline, ErrorTimeout
		if heartbeat > 0 {
			beatDeadline := ex.lastBeat(attemptKey, lastBeat).Add(heartbeat)
			if next.IsZero() || beatDeadline.Before(next) {
				next, reason = beatDeadline, ErrorHeartbeatTimeout
			}
		}
		if !next.IsZero() && !now.Before(next) {
			cause := "The task did not complete within its TimeoutSeconds"
			if reason == ErrorHeartbeatTimeout {
				cause = "The task sent no heartbeat within its HeartbeatSeconds"
			}
			return ex.settle(ctx, resultKey, nil, &StatesError{Name: reason, Cause: cause})
		}
		w := newWakeup(e.act)
		ex.addWaiter(resultKey, w)
		var t Timer
		if !next.IsZero() {
			t = e.clock.AfterFunc(next.Sub(now), w.fire)
		}
		stop := context.AfterFunc(ctx, w.fire)
		w.wait()
		stop()
		if t != nil {
			t.Stop()
		}
		ex.removeWaiter(resultKey, w)
		if ctx.Err() != nil {
			cause := context.Cause(ctx)
			if errors.Is(cause, errBranchCancelled) {
				// Reject the token from now on, as Step Functions does for a
				// task whose branch was stopped.
				_, _ = ex.record(context.WithoutCancel(ctx), HistoryEvent{
					Key: resultKey, Kind: EventTaskAbandoned, Time: e.now(),
					Error: "States.Aborted", Cause: "a sibling branch failed",
				})
			}
			return nil, cause
		}
	}
}

// settle records a task attempt's outcome and returns whichever outcome won
// the store's compare-and-set.
func (ex *execution) settle(ctx context.Context, resultKey string, out any, taskErr error) (any, error) {
	if taskErr == nil {
		// A result over the payload quota is recorded as the error it is,
		// not stored (a history event of that size would not fit the store).
		taskErr = ex.checkPayload(out, "the result of state "+strconv.Quote(stateOfKey(resultKey)))
	}
	ev := HistoryEvent{Key: resultKey, Kind: EventTaskSucceeded, Time: ex.engine.now()}
	if taskErr != nil {
		var failure *StatesError
		if !errors.As(taskErr, &failure) {
			failure = &StatesError{Name: ErrorRuntime, Cause: taskErr.Error()}
		}
		ev.Kind, ev.Error, ev.Cause = EventTaskFailed, failure.Name, failure.Cause
	} else {
		ev.Output = mustEncodeJSON(out)
	}
	// A handler that completed while the engine was closing still counts,
	// so the store write must not be cancelled with the execution.
	stored, err := ex.record(context.WithoutCancel(ctx), ev)
	if err != nil {
		return nil, err
	}
	return outcomeOf(stored)
}

// outcomeOf turns a recorded task outcome into a result or error.
func outcomeOf(ev HistoryEvent) (any, error) {
	switch ev.Kind {
	case EventTaskSucceeded:
		v, err := decodeJSON([]byte(ev.Output))
		if err != nil {
			return nil, newStatesError(ErrorRuntime, "recorded task output is not JSON: %v", err)
		}
		return v, nil
	case EventTaskFailed, EventTaskAbandoned:
		return nil, &StatesError{Name: ev.Error, Cause: ev.Cause}
	}
	return nil, newStatesError(ErrorRuntime, "unexpected history event %s for %s", ev.Kind, ev.Key)
}

// taskToken derives the token of a callback task attempt from the
// execution's secret: the same on every replay, unguessable without it.
func (ex *execution) taskToken(attemptKey string) string {
	sum := ex.derive("task-token", attemptKey)
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

// validTokenSyntax accepts what taskToken produces; anything else is rejected
// before the store is asked.
func validTokenSyntax(token string) bool {
	if len(token) != 43 {
		return false
	}
	_, err := base64.RawURLEncoding.DecodeString(token)
	return err == nil
}

func (ex *execution) startedAt(attemptKey string) time.Time {
	ev, _ := ex.event(attemptKey + ":started")
	return ev.Time
}

func (ex *execution) addWaiter(key string, w *wakeup) {
	ex.mu.Lock()
	defer ex.mu.Unlock()
	ex.waiters[key] = w
	if _, done := ex.events[key]; done {
		w.fire()
	}
}

func (ex *execution) removeWaiter(key string, w *wakeup) {
	ex.mu.Lock()
	defer ex.mu.Unlock()
	if ex.waiters[key] == w {
		delete(ex.waiters, key)
	}
}

// heartbeat notes a heartbeat for a waiting task; it reports false if the
// task has already completed.
func (ex *execution) heartbeat(attemptKey string) bool {
	ex.mu.Lock()
	defer ex.mu.Unlock()
	if _, done := ex.events[attemptKey+":result"]; done {
		return false
	}
	ex.beats[attemptKey] = ex.engine.clock.Now()
	if w := ex.waiters[attemptKey+":result"]; w != nil {
		w.fire()
	}
	return true
}

func (ex *execution) lastBeat(attemptKey string, fallback time.Time) time.Time {
	ex.mu.Lock()
	defer ex.mu.Unlock()
	if t, ok := ex.beats[attemptKey]; ok && t.After(fallback) {
		return t
	}
	return fallback
}

// taskTimeouts resolves TimeoutSeconds(Path) and HeartbeatSeconds(Path).
func taskTimeouts(st *state, env *evalEnv) (timeout, heartbeat time.Duration, err error) {
	seconds := func(static int64, path *jsonPath, field string) (time.Duration, error) {
		if path == nil {
			return time.Duration(static) * time.Second, nil
		}
		v, found, err := path.lookup(env)
		if err != nil {
			return 0, err
		}
		n, ok := toInteger(v)
		if !found || !ok || n <= 0 {
			return 0, newStatesError(ErrorRuntime, "%s %q of state %q must select a positive integer", field, path.text, st.name)
		}
		return time.Duration(n) * time.Second, nil
	}
	if timeout, err = seconds(st.timeoutSeconds, st.timeoutSecondsPath, "TimeoutSecondsPath"); err != nil {
		return 0, 0, err
	}
	if heartbeat, err = seconds(st.heartbeatSeconds, st.heartbeatSecondsPath, "HeartbeatSecondsPath"); err != nil {
		return 0, 0, err
	}
	return timeout, heartbeat, nil
}

// taskCall is a resolved handler invocation.
type taskCall struct {
	handler Handler
	payload any
	// wrap puts the output in the lambda:invoke response envelope.
	wrap       bool
	requestKey string
	function   string
}

// resolveTask finds the handler of a task and its payload.
func (ex *execution) resolveTask(st *state, input any, attemptKey string, callback bool) (taskCall, error) {
	e := ex.engine
	resource := strings.TrimSuffix(st.resource, waitForTaskToken)
	call := taskCall{payload: input, requestKey: attemptKey}
	switch {
	case resource == lambdaInvokeResource:
		name, _ := member(input, "FunctionName")
		fn, ok := name.(string)
		if !ok {
			return call, newStatesError(ErrorRuntime, "state %q: Parameters.FunctionName must be a string", st.name)
		}
		call.function = fn
		call.payload = map[string]any{}
		if p, ok := member(input, "Payload"); ok {
			call.payload = p
		}
		call.wrap = !callback
		call.handler = e.lambdaHandler(fn)
	case strings.HasPrefix(resource, "arn:aws:lambda:"):
		call.function = resource
		call.handler = e.lambdaHandler(resource)
	default:
		e.mu.Lock()
		call.handler = e.handlers[resource]
		e.mu.Unlock()
		if call.handler == nil {
			return call, newStatesError(ErrorRuntime, "state %q: no handler is registered for resource %q", st.name, resource)
		}
	}
	if call.handler == nil {
		return call, newStatesError(ErrorLambdaResourceNotFound, "Function not found: %s (no handler is registered for it)", call.function)
	}
	return call, nil
}

// lambdaHandler finds the handler of a Lambda function given by ARN,
// partial ARN or name, with or without a version or alias qualifier.
func (e *Engine) lambdaHandler(function string) Handler {
	if e.invoker != nil {
		return invokerHandler(e.invoker, function)
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if h, ok := e.handlers[function]; ok {
		return h
	}
	want := lambdaFunctionName(function)
	for arn, h := range e.handlers {
		if strings.HasPrefix(arn, "arn:aws:lambda:") && lambdaFunctionName(arn) == want {
			return h
		}
	}
	return nil
}

// lambdaFunctionName extracts NAME from "arn:aws:lambda:r:a:function:NAME[:q]",
// "a:function:NAME[:q]" or "NAME[:q]".
func lambdaFunctionName(function string) string {
	parts := strings.Split(function, ":")
	for i, p := range parts {
		if p == "function" && i+1 < len(parts) {
			return parts[i+1]
		}
	}
	return parts[0]
}

// invokeBefore calls the handler; with a deadline the call is abandoned at
// the deadline, like a Lambda cut off by the task timeout (its context is
// cancelled too).
func (ex *execution) invokeBefore(ctx context.Context, call taskCall, deadline time.Time) (any, error) {
	e := ex.engine
	if deadline.IsZero() {
		return ex.invoke(ctx, call)
	}
	remaining := deadline.Sub(e.clock.Now())
	if remaining <= 0 {
		return nil, &StatesError{Name: ErrorTimeout, Cause: "The task did not complete within its TimeoutSeconds"}
	}
	callCtx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	type outcome struct {
		out any
		err error
	}
	finished := make(chan outcome, 1)
	w := newWakeup(e.act)
	e.act.busy()
	go func() {
		defer e.act.idle()
		out, err := ex.invoke(callCtx, call)
		finished <- outcome{out, err}
		w.fire()
	}()
	t := e.clock.AfterFunc(remaining, w.fire)
	stop := context.AfterFunc(ctx, w.fire)
	w.wait()
	t.Stop()
	stop()
	select {
	case o := <-finished:
		return o.out, o.err
	default:
	}
	if ctx.Err() != nil {
		// The handler has been told to stop; wait for it, because if it
		// completed anyway its result must be recorded, not repeated later.
		o := <-finished
		return o.out, o.err
	}
	cancel(errors.New("task timed out"))
	return nil, &StatesError{Name: ErrorTimeout, Cause: "The task did not complete within its TimeoutSeconds"}
}

// invoke runs a handler, turning its error or panic into a named error.
func (ex *execution) invoke(ctx context.Context, call taskCall) (out any, err error) {
	in, err := encodeJSON(call.payload)
	if err != nil {
		return nil, newStatesError(ErrorRuntime, "cannot encode the task input: %v", err)
	}
	defer func() {
		if r := recover(); r != nil {
			out, err = nil, &StatesError{Name: ErrorLambdaUnknown, Cause: lambdaErrorCause(fmt.Sprint(r), "Panic")}
		}
	}()
	raw, handlerErr := call.handler(ctx, json.RawMessage(in))
	if handlerErr != nil && ctx.Err() != nil {
		// The error most likely reports the cancellation (timeout, failed
		// sibling, engine closing), not a failure of the task.
		return nil, context.Cause(ctx)
	}
	if handlerErr != nil {
		var named *StatesError
		if errors.As(handlerErr, &named) {
			return nil, &StatesError{Name: named.Name, Cause: named.Cause}
		}
		name := errorName(handlerErr)
		return nil, &StatesError{Name: name, Cause: lambdaErrorCause(handlerErr.Error(), name)}
	}
	var result any
	if len(raw) > 0 {
		if result, err = decodeJSON(raw); err != nil {
			return nil, newStatesError(ErrorRuntime, "the handler returned invalid JSON: %v", err)
		}
	}
	if call.wrap {
		result = ex.lambdaInvokeResponse(call, result)
	}
	return result, nil
}

// lambdaInvokeResponse is what arn:aws:states:::lambda:invoke returns.
func (ex *execution) lambdaInvokeResponse(call taskCall, payload any) any {
	id := ex.derive("request-id", call.requestKey)
	var b [16]byte
	copy(b[:], id[:16])
	requestID := formatUUID(b)
	return map[string]any{
		"ExecutedVersion": "$LATEST",
		"Payload":         payload,
		"SdkHttpMetadata": map[string]any{
			"HttpHeaders": map[string]any{
				"Content-Type":           "application/json",
				"X-Amz-Executed-Version": "$LATEST",
				"x-amzn-RequestId":       requestID,
			},
			"HttpStatusCode": int64(200),
		},
		"SdkResponseMetadata": map[string]any{"RequestId": requestID},
		"StatusCode":          int64(200),
	}
}

// errorName names a handler error: its ErrorName if it (or an error it
// wraps) has one, else its Go type name, which is what the Lambda Go
// runtime reports.
func errorName(err error) string {
	var named interface{ ErrorName() string }
	if errors.As(err, &named) && named.ErrorName() != "" {
		return named.ErrorName()
	}
	t := reflect.TypeOf(err)
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t.Name() == "" {
		return "Error"
	}
	return t.Name()
}

// lambdaErrorCause renders a cause the way Lambda reports function errors.
func lambdaErrorCause(message, errorType string) string {
	return mustEncodeJSON(map[string]any{"errorMessage": message, "errorType": errorType})
}
