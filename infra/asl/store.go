package asl

import (
	"context"
	"fmt"
	"sort"
	"sync"
	"time"
)

// Execution statuses, spelled as Step Functions reports them.
const (
	// StatusRunning is the status of an execution that has not finished;
	// Resume continues these after a restart.
	StatusRunning = "RUNNING"
	// StatusSucceeded is the status of an execution that reached its end.
	StatusSucceeded = "SUCCEEDED"
	// StatusFailed is the status of an execution that ended with an error.
	StatusFailed = "FAILED"
	// StatusTimedOut is the status of an execution that exceeded its TimeoutSeconds.
	StatusTimedOut = "TIMED_OUT"
	// StatusAborted is the status of a stopped execution; this engine never
	// stops one, but a store may hold them.
	StatusAborted = "ABORTED"
)

// ExecutionRecord is the persisted summary of one execution. Together with
// its history it is everything the engine needs to resume the execution
// after a restart.
type ExecutionRecord struct {
	ExecutionArn    string `json:"executionArn"`
	StateMachineArn string `json:"stateMachineArn"`
	Name            string `json:"name"`
	// Definition is the definition the execution started with, after
	// substitutions, so a replay runs exactly the same states even if the
	// state machine has been registered again with a new definition.
	Definition string `json:"definition"`
	// Input is the JSON input of the execution.
	Input string `json:"input"`
	// Secret is random, base64-encoded key material. Task tokens, UUIDs and
	// random numbers derive from it, so a replay reproduces them while
	// outsiders cannot guess them. Keep it server-side.
	Secret    string    `json:"secret"`
	Status    string    `json:"status"`
	StartDate time.Time `json:"startDate"`
	// StopDate, Output, Error and Cause are set when the execution finishes.
	StopDate time.Time `json:"stopDate,omitzero"`
	Output   string    `json:"output,omitempty"`
	Error    string    `json:"error,omitempty"`
	Cause    string    `json:"cause,omitempty"`
	// ParentArn and MapRunArn are set on the child executions of a
	// Distributed Map: the parent resumes them, Resume does not.
	ParentArn string `json:"parentArn,omitempty"`
	MapRunArn string `json:"mapRunArn,omitempty"`
}

// ExecutionOutcome is how an execution finished.
type ExecutionOutcome struct {
	Status   string    `json:"status"`
	Output   string    `json:"output,omitempty"`
	Error    string    `json:"error,omitempty"`
	Cause    string    `json:"cause,omitempty"`
	StopDate time.Time `json:"stopDate"`
}

// Kinds of history events. Only steps whose outcome is not a pure function
// of the definition and the input are recorded.
const (
	// EventStateEntered records when a state read $$.State.EnteredTime.
	EventStateEntered = "StateEntered"
	// EventTaskStarted records when a task attempt with a timeout or a
	// callback started, so its deadline survives a restart.
	EventTaskStarted = "TaskStarted"
	// EventTaskInvoked records that a callback task's handler returned, so a
	// replay waits for the token instead of invoking the handler again.
	EventTaskInvoked = "TaskInvoked"
	// EventTaskSucceeded records a task attempt's output.
	EventTaskSucceeded = "TaskSucceeded"
	// EventTaskFailed records a task attempt's error.
	EventTaskFailed = "TaskFailed"
	// EventTaskAbandoned records that a waiting task was cancelled because a
	// sibling branch failed; its token is then rejected.
	EventTaskAbandoned = "TaskAbandoned"
	// EventWaitScheduled records when a Wait state wakes up.
	EventWaitScheduled = "WaitScheduled"
	// EventRetryScheduled records when a retry runs.
	EventRetryScheduled = "RetryScheduled"
)

// HistoryEvent is one recorded step of an execution.
type HistoryEvent struct {
	// Key identifies the step within the execution; see the package
	// documentation for its form. Keys are unique per execution.
	Key  string `json:"key"`
	Kind string `json:"kind"`
	// Time is the recorded moment (entered, started, wake-up) or, for
	// outcomes, when the event was recorded.
	Time time.Time `json:"time"`
	// Output is JSON text, for EventTaskSucceeded.
	Output string `json:"output,omitempty"`
	Error  string `json:"error,omitempty"`
	Cause  string `json:"cause,omitempty"`
}

// TaskTokenRecord maps an issued task token to the step that waits for it.
type TaskTokenRecord struct {
	Token        string `json:"token"`
	ExecutionArn string `json:"executionArn"`
	StepKey      string `json:"stepKey"`
}

// ExecutionStore persists executions so they survive a restart. Every
// method must be safe for concurrent use. The contract:
//
//   - CreateExecution stores a new record; if the ExecutionArn exists it
//     returns ErrExecutionExists and changes nothing.
//   - GetExecution returns the record or ErrExecutionNotFound.
//   - FinishExecution sets the status, output, error, cause and stop date
//     only if the execution is RUNNING (a conditional write); otherwise it
//     returns ErrExecutionFinished, or ErrExecutionNotFound.
//   - ListRunning returns every RUNNING execution, in any order.
//   - AppendHistory adds an event if no event of that execution has the same
//     Key; otherwise it returns ErrDuplicateEvent and keeps the stored event.
//     This compare-and-set decides races such as two SendTaskSuccess calls
//     for one token, or a success racing a timeout.
//   - History returns all events of the execution, in any order (nil if none).
//   - PutToken stores a token mapping; storing the same mapping again is not
//     an error.
//   - LookupToken returns the mapping or ErrTokenNotFound.
//
// Times must round-trip at millisecond precision; the engine truncates the
// times it stores to milliseconds.
type ExecutionStore interface {
	CreateExecution(ctx context.Context, rec ExecutionRecord) error
	GetExecution(ctx context.Context, executionArn string) (ExecutionRecord, error)
	FinishExecution(ctx context.Context, executionArn string, outcome ExecutionOutcome) error
	ListRunning(ctx context.Context) ([]ExecutionRecord, error)
	AppendHistory(ctx context.Context, executionArn string, ev HistoryEvent) error
	History(ctx context.Context, executionArn string) ([]HistoryEvent, error)
	PutToken(ctx context.Context, rec TaskTokenRecord) error
	LookupToken(ctx context.Context, token string) (TaskTokenRecord, error)
}

// MemoryStore is an in-process ExecutionStore. Executions survive an Engine
// being closed and another one created on the same store, which is how the
// tests simulate a restart; they do not survive the process.
type MemoryStore struct {
	mu         sync.Mutex
	executions map[string]*ExecutionRecord
	history    map[string]map[string]HistoryEvent
	tokens     map[string]TaskTokenRecord
}

// NewMemoryStore returns an empty MemoryStore.
func NewMemoryStore() *MemoryStore {
	return &MemoryStore{
		executions: map[string]*ExecutionRecord{},
		history:    map[string]map[string]HistoryEvent{},
		tokens:     map[string]TaskTokenRecord{},
	}
}

var _ ExecutionStore = (*MemoryStore)(nil)

// CreateExecution implements ExecutionStore.
func (s *MemoryStore) CreateExecution(_ context.Context, rec ExecutionRecord) error {
	if rec.ExecutionArn == "" {
		return fmt.Errorf("asl: create execution: empty ARN")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, exists := s.executions[rec.ExecutionArn]; exists {
		return ErrExecutionExists
	}
	s.executions[rec.ExecutionArn] = &rec
	return nil
}

// GetExecution implements ExecutionStore.
func (s *MemoryStore) GetExecution(_ context.Context, executionArn string) (ExecutionRecord, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	rec, ok := s.executions[executionArn]
	if !ok {
		return ExecutionRecord{}, ErrExecutionNotFound
	}
	return *rec, nil
}

// FinishExecution implements ExecutionStore.
func (s *MemoryStore) FinishExecution(_ context.Context, executionArn string, outcome ExecutionOutcome) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	rec, ok := s.executions[executionArn]
	if !ok {
		return ErrExecutionNotFound
	}
	if rec.Status != StatusRunning {
		return ErrExecutionFinished
	}
	rec.Status = outcome.Status
	rec.Output = outcome.Output
	rec.Error = outcome.Error
	rec.Cause = outcome.Cause
	rec.StopDate = outcome.StopDate
	return nil
}

// ListRunning implements ExecutionStore.
func (s *MemoryStore) ListRunning(_ context.Context) ([]ExecutionRecord, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []ExecutionRecord
	for _, rec := range s.executions {
		if rec.Status == StatusRunning {
			out = append(out, *rec)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ExecutionArn < out[j].ExecutionArn })
	return out, nil
}

// AppendHistory implements ExecutionStore.
func (s *MemoryStore) AppendHistory(_ context.Context, executionArn string, ev HistoryEvent) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	events := s.history[executionArn]
	if events == nil {
		events = map[string]HistoryEvent{}
		s.history[executionArn] = events
	}
	if _, exists := events[ev.Key]; exists {
		return ErrDuplicateEvent
	}
	events[ev.Key] = ev
	return nil
}

// History implements ExecutionStore.
func (s *MemoryStore) History(_ context.Context, executionArn string) ([]HistoryEvent, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	events := s.history[executionArn]
	if len(events) == 0 {
		return nil, nil
	}
	out := make([]HistoryEvent, 0, len(events))
	for _, ev := range events {
		out = append(out, ev)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out, nil
}

// PutToken implements ExecutionStore.
func (s *MemoryStore) PutToken(_ context.Context, rec TaskTokenRecord) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.tokens[rec.Token] = rec
	return nil
}

// LookupToken implements ExecutionStore.
func (s *MemoryStore) LookupToken(_ context.Context, token string) (TaskTokenRecord, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	rec, ok := s.tokens[token]
	if !ok {
		return TaskTokenRecord{}, ErrTokenNotFound
	}
	return rec, nil
}
