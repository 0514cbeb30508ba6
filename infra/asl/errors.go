package asl

import (
	"errors"
	"fmt"
	"strings"
)

// Error names defined by the Amazon States Language, as matched by Retry and
// Catch and reported by DescribeExecution.
const (
	// ErrorAll matches every error except ErrorRuntime and ErrorDataLimitExceeded.
	ErrorAll = "States.ALL"
	// ErrorTimeout reports a Task that ran longer than TimeoutSeconds (or an
	// execution longer than its TimeoutSeconds). In ErrorEquals it also matches
	// ErrorHeartbeatTimeout, as the specification defines.
	ErrorTimeout = "States.Timeout"
	// ErrorHeartbeatTimeout reports a callback Task that got no heartbeat
	// within HeartbeatSeconds.
	ErrorHeartbeatTimeout = "States.HeartbeatTimeout"
	// ErrorTaskFailed matches, in ErrorEquals, every error except timeouts and
	// ErrorRuntime; no task reports it by itself.
	ErrorTaskFailed = "States.TaskFailed"
	// ErrorRuntime reports an execution that cannot continue, such as a path
	// (InputPath, a Parameters field, a Choice variable) that matches nothing;
	// Retry and Catch never match it.
	ErrorRuntime = "States.Runtime"
	// ErrorNoChoiceMatched reports a Choice state with no matching rule and no Default.
	ErrorNoChoiceMatched = "States.NoChoiceMatched"
	// ErrorResultPathMatchFailure reports a ResultPath that cannot be applied to the state input.
	ErrorResultPathMatchFailure = "States.ResultPathMatchFailure"
	// ErrorIntrinsicFailure reports an intrinsic function that failed.
	ErrorIntrinsicFailure = "States.IntrinsicFailure"
	// ErrorDataLimitExceeded reports a payload beyond the 256 KiB quota (see
	// the package documentation); only an ErrorEquals naming it matches it.
	ErrorDataLimitExceeded = "States.DataLimitExceeded"
	// ErrorLambdaUnknown reports a handler that panicked, like an unhandled Lambda crash.
	ErrorLambdaUnknown = "Lambda.Unknown"
	// ErrorLambdaResourceNotFound reports a Lambda function with no registered handler.
	ErrorLambdaResourceNotFound = "Lambda.ResourceNotFoundException"
)

// StatesError is a named error in the sense of the States Language: the Name
// is what Retry and Catch match, the Cause is the human-readable detail.
// Handlers may return it (or any error with an ErrorName method) to raise a
// named error such as "TransientError".
type StatesError struct {
	Name  string
	Cause string
}

// Error implements error.
func (e *StatesError) Error() string {
	if e.Cause == "" {
		return e.Name
	}
	return e.Name + ": " + e.Cause
}

// ErrorName returns the ASL error name.
func (e *StatesError) ErrorName() string { return e.Name }

// newStatesError is a shorthand for engine-raised errors.
func newStatesError(name, format string, args ...any) *StatesError {
	return &StatesError{Name: name, Cause: fmt.Sprintf(format, args...)}
}

// errorMatches reports whether an ErrorEquals entry matches the error name.
func errorMatches(pattern, name string) bool {
	switch pattern {
	case ErrorAll:
		return name != ErrorRuntime && name != ErrorDataLimitExceeded
	case ErrorTaskFailed:
		return name != ErrorRuntime && name != ErrorDataLimitExceeded &&
			name != ErrorTimeout && name != ErrorHeartbeatTimeout
	case ErrorTimeout:
		return name == ErrorTimeout || name == ErrorHeartbeatTimeout
	}
	return pattern == name
}

// DefinitionError lists every problem found in a state machine definition.
type DefinitionError struct {
	Problems []string
}

// Error implements error.
func (e *DefinitionError) Error() string {
	return "asl: invalid state machine definition: " + strings.Join(e.Problems, "; ")
}

// Sentinel errors of the ExecutionStore contract.
var (
	// ErrExecutionExists is returned by CreateExecution when the ARN is taken.
	ErrExecutionExists = errors.New("asl: execution already exists")
	// ErrExecutionNotFound is returned for an unknown execution ARN.
	ErrExecutionNotFound = errors.New("asl: execution not found")
	// ErrExecutionFinished is returned by FinishExecution when the execution
	// is no longer RUNNING.
	ErrExecutionFinished = errors.New("asl: execution already finished")
	// ErrDuplicateEvent is returned by AppendHistory when an event with the
	// same key exists; the stored event is left unchanged. The engine relies on
	// this compare-and-set to let exactly one task outcome win.
	ErrDuplicateEvent = errors.New("asl: history event already recorded")
	// ErrTokenNotFound is returned by LookupToken for an unknown token.
	ErrTokenNotFound = errors.New("asl: task token not found")
)

// errEngineClosed stops executions without finishing them, so Resume can pick them up.
var errEngineClosed = errors.New("asl: engine closed")

// errBranchCancelled cancels the siblings of a failed Parallel branch or Map item.
var errBranchCancelled = errors.New("asl: cancelled because a sibling branch failed")

// errExecutionTimedOut cancels an execution that exceeded its TimeoutSeconds.
var errExecutionTimedOut = errors.New("asl: execution timed out")
