package asl

import "fmt"

// Step Functions quotas the engine enforces (Standard workflows).
const (
	// DefaultPayloadLimit is the largest input, output or result a state
	// may have, in bytes of JSON (256 KiB); beyond it the state fails with
	// States.DataLimitExceeded.
	DefaultPayloadLimit = 262144
	// DefaultHistoryLimit is the most history events one execution may
	// have; the event that would pass it fails the execution.
	DefaultHistoryLimit = 25000
)

// WithHistoryLimit changes the history-event quota (tests set it small).
func WithHistoryLimit(n int64) Option {
	return func(e *Engine) {
		if n > 0 {
			e.historyLimit = n
		}
	}
}

// WithPayloadLimit changes the payload quota in bytes (tests set it small).
func WithPayloadLimit(n int64) Option {
	return func(e *Engine) {
		if n > 0 {
			e.payloadLimit = n
		}
	}
}

// ExecutionStats reports what counts against an execution's quotas: the
// history events Step Functions would have recorded for it (state entered
// and exited, task scheduled, started and finished, Map and Parallel
// started and finished, each inline Map iteration, Map Run started and
// finished; a Distributed Map's items count in their child executions) and
// the largest payload, in bytes of JSON, any of its states had.
type ExecutionStats struct {
	HistoryEvents       int64
	LargestPayloadBytes int64
}

// ExecutionStats returns the statistics of an execution this engine runs
// or has run since it started (they are not persisted).
func (e *Engine) ExecutionStats(executionArn string) (ExecutionStats, bool) {
	if ex := e.liveExecution(executionArn); ex != nil {
		return ex.stats(), true
	}
	return e.stats.get(executionArn)
}

func (ex *execution) stats() ExecutionStats {
	return ExecutionStats{HistoryEvents: ex.historyEvents.Load(), LargestPayloadBytes: ex.largestPayload.Load()}
}

func (ex *execution) keepStats() { ex.engine.stats.put(ex.rec.ExecutionArn, ex.stats()) }

// count adds n history events. The history counts the same on every
// replay, because the engine replays the same steps. Passing the quota
// fails the execution: Step Functions documents that the execution fails
// and names no error for it, so it is States.Runtime, which no Retry or
// Catch matches.
func (ex *execution) count(n int64) error {
	total := ex.historyEvents.Add(n)
	if limit := ex.engine.historyLimit; total > limit {
		return newStatesError(ErrorRuntime, "The execution reached the maximum number of history events (%d)", limit)
	}
	return nil
}

// checkPayload measures a payload (a state's input after Parameters, its
// result or output, a task's result) and fails with States.DataLimitExceeded
// when it passes the quota. States.ALL does not match that error; an
// ErrorEquals naming it does.
func (ex *execution) checkPayload(v any, what string) error {
	n := int64(len(mustEncodeJSON(v)))
	for {
		old := ex.largestPayload.Load()
		if n <= old || ex.largestPayload.CompareAndSwap(old, n) {
			break
		}
	}
	if limit := ex.engine.payloadLimit; n > limit {
		return &StatesError{Name: ErrorDataLimitExceeded,
			Cause: fmt.Sprintf("The state/task returned a result with a size exceeding the maximum number of bytes service limit: %s has %d bytes, more than %d", what, n, limit)}
	}
	return nil
}
