package asl

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	sfntypes "github.com/aws/aws-sdk-go-v2/service/sfn/types"
)

// errExecutionAborted cancels an execution that StopExecution stopped.
var errExecutionAborted = errors.New("asl: execution stopped")

// ExecutionLister is an ExecutionStore that can also list every execution of
// a state machine, finished ones included (for ListExecutions).
type ExecutionLister interface {
	ListExecutions(ctx context.Context, stateMachineArn string) ([]ExecutionRecord, error)
}

// ListExecutions implements ExecutionLister.
func (s *MemoryStore) ListExecutions(_ context.Context, stateMachineArn string) ([]ExecutionRecord, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []ExecutionRecord
	for _, rec := range s.executions {
		if rec.StateMachineArn == stateMachineArn {
			out = append(out, *rec)
		}
	}
	return out, nil
}

// StopExecution stops a running execution: it ends ABORTED with the given
// error and cause, and its waiting tasks' tokens are no longer accepted.
func (e *Engine) StopExecution(ctx context.Context, params *sfn.StopExecutionInput, _ ...func(*sfn.Options)) (*sfn.StopExecutionOutput, error) {
	if params == nil || params.ExecutionArn == nil {
		return nil, &sfntypes.InvalidArn{Message: aws.String("executionArn is required")}
	}
	arn := *params.ExecutionArn
	stop := e.now()
	err := e.store.FinishExecution(ctx, arn, ExecutionOutcome{Status: StatusAborted,
		Error: aws.ToString(params.Error), Cause: aws.ToString(params.Cause), StopDate: stop})
	switch {
	case errors.Is(err, ErrExecutionNotFound):
		return nil, &sfntypes.ExecutionDoesNotExist{Message: aws.String("Execution Does Not Exist: '" + arn + "'")}
	case errors.Is(err, ErrExecutionFinished):
		return nil, &sfntypes.ExecutionNotRedrivable{Message: aws.String("Execution is not running: '" + arn + "'")}
	case err != nil:
		return nil, fmt.Errorf("asl: stop execution %s: %w", arn, err)
	}
	if ex := e.liveExecution(arn); ex != nil {
		ex.mu.Lock()
		abort := ex.abort
		ex.mu.Unlock()
		if abort != nil {
			abort(errExecutionAborted)
		}
	}
	return &sfn.StopExecutionOutput{StopDate: aws.Time(stop)}, nil
}

// ListExecutions lists a state machine's executions, newest first. Without
// an ExecutionLister store only running executions are known.
func (e *Engine) ListExecutions(ctx context.Context, params *sfn.ListExecutionsInput, _ ...func(*sfn.Options)) (*sfn.ListExecutionsOutput, error) {
	if params != nil && params.MapRunArn != nil && params.StateMachineArn == nil {
		// A Map Run's children belong to the machine named in its ARN:
		// …:mapRun:<machine>/<label>:<id> → …:stateMachine:<machine>/<label>.
		run := *params.MapRunArn
		i, j := strings.Index(run, ":mapRun:"), strings.LastIndex(run, ":")
		if i < 0 || j <= i+len(":mapRun:") {
			return nil, &sfntypes.InvalidArn{Message: aws.String("Invalid Arn: '" + run + "'")}
		}
		copied := *params
		copied.StateMachineArn = aws.String(run[:i] + ":stateMachine:" + run[i+len(":mapRun:"):j])
		params = &copied
	}
	if params == nil || params.StateMachineArn == nil {
		return nil, &sfntypes.InvalidArn{Message: aws.String("stateMachineArn is required")}
	}
	machine := *params.StateMachineArn
	e.mu.Lock()
	_, known := e.machines[machine]
	e.mu.Unlock()
	if !known {
		return nil, &sfntypes.StateMachineDoesNotExist{Message: aws.String("State Machine Does Not Exist: '" + machine + "'")}
	}
	var records []ExecutionRecord
	var err error
	if lister, ok := e.store.(ExecutionLister); ok {
		records, err = lister.ListExecutions(ctx, machine)
	} else {
		records, err = e.store.ListRunning(ctx)
	}
	if err != nil {
		return nil, fmt.Errorf("asl: list executions: %w", err)
	}
	sort.Slice(records, func(i, j int) bool {
		if !records[i].StartDate.Equal(records[j].StartDate) {
			return records[i].StartDate.After(records[j].StartDate)
		}
		return records[i].ExecutionArn > records[j].ExecutionArn
	})
	var items []sfntypes.ExecutionListItem
	for _, rec := range records {
		if rec.StateMachineArn != machine || (params.StatusFilter != "" && string(params.StatusFilter) != rec.Status) ||
			(params.MapRunArn != nil && rec.MapRunArn != *params.MapRunArn) {
			continue
		}
		it := sfntypes.ExecutionListItem{ExecutionArn: aws.String(rec.ExecutionArn), StateMachineArn: aws.String(rec.StateMachineArn),
			Name: aws.String(rec.Name), Status: sfntypes.ExecutionStatus(rec.Status), StartDate: aws.Time(rec.StartDate)}
		if rec.MapRunArn != "" {
			it.MapRunArn = aws.String(rec.MapRunArn)
		}
		if !rec.StopDate.IsZero() {
			it.StopDate = aws.Time(rec.StopDate)
		}
		items = append(items, it)
	}
	start, end, next, err := pageBounds(len(items), params.NextToken, params.MaxResults)
	if err != nil {
		return nil, err
	}
	return &sfn.ListExecutionsOutput{Executions: items[start:end], NextToken: next}, nil
}

// GetExecutionHistory reports an execution's recorded steps as Step
// Functions history events: ExecutionStarted, each task attempt scheduled,
// started and succeeded or failed (so every retry shows), waits, and how the
// execution ended. The engine records only what a replay needs, so states
// whose outcome follows from the definition alone (Pass, Choice) do not
// appear.
func (e *Engine) GetExecutionHistory(ctx context.Context, params *sfn.GetExecutionHistoryInput, _ ...func(*sfn.Options)) (*sfn.GetExecutionHistoryOutput, error) {
	if params == nil {
		params = &sfn.GetExecutionHistoryInput{}
	}
	rec, err := e.executionRecord(ctx, params.ExecutionArn)
	if err != nil {
		return nil, err
	}
	recorded, err := e.store.History(ctx, rec.ExecutionArn)
	if err != nil {
		return nil, fmt.Errorf("asl: history of %s: %w", rec.ExecutionArn, err)
	}
	sort.SliceStable(recorded, func(i, j int) bool { return recorded[i].Time.Before(recorded[j].Time) })
	var events []sfntypes.HistoryEvent
	add := func(at time.Time, typ sfntypes.HistoryEventType, fill func(*sfntypes.HistoryEvent)) {
		ev := sfntypes.HistoryEvent{Id: int64(len(events) + 1), PreviousEventId: int64(len(events)), Timestamp: aws.Time(at), Type: typ}
		if fill != nil {
			fill(&ev)
		}
		events = append(events, ev)
	}
	add(rec.StartDate, sfntypes.HistoryEventTypeExecutionStarted, func(ev *sfntypes.HistoryEvent) {
		ev.ExecutionStartedEventDetails = &sfntypes.ExecutionStartedEventDetails{Input: aws.String(rec.Input), RoleArn: aws.String("")}
	})
	for _, h := range recorded {
		state := stateOfKey(h.Key)
		switch h.Kind {
		case EventTaskStarted:
			add(h.Time, sfntypes.HistoryEventTypeTaskStarted, func(ev *sfntypes.HistoryEvent) {
				ev.TaskStartedEventDetails = &sfntypes.TaskStartedEventDetails{Resource: aws.String(state), ResourceType: aws.String("lambda")}
			})
		case EventTaskSucceeded:
			add(h.Time, sfntypes.HistoryEventTypeTaskSucceeded, func(ev *sfntypes.HistoryEvent) {
				ev.TaskSucceededEventDetails = &sfntypes.TaskSucceededEventDetails{Resource: aws.String(state), ResourceType: aws.String("lambda"), Output: aws.String(h.Output)}
			})
		case EventTaskFailed, EventTaskAbandoned:
			add(h.Time, sfntypes.HistoryEventTypeTaskFailed, func(ev *sfntypes.HistoryEvent) {
				ev.TaskFailedEventDetails = &sfntypes.TaskFailedEventDetails{Resource: aws.String(state), ResourceType: aws.String("lambda"), Error: aws.String(h.Error), Cause: aws.String(h.Cause)}
			})
		case EventWaitScheduled:
			add(h.Time, sfntypes.HistoryEventTypeWaitStateEntered, func(ev *sfntypes.HistoryEvent) {
				ev.StateEnteredEventDetails = &sfntypes.StateEnteredEventDetails{Name: aws.String(state)}
			})
		}
	}
	switch rec.Status {
	case StatusSucceeded:
		add(rec.StopDate, sfntypes.HistoryEventTypeExecutionSucceeded, func(ev *sfntypes.HistoryEvent) {
			ev.ExecutionSucceededEventDetails = &sfntypes.ExecutionSucceededEventDetails{Output: aws.String(rec.Output)}
		})
	case StatusFailed:
		add(rec.StopDate, sfntypes.HistoryEventTypeExecutionFailed, func(ev *sfntypes.HistoryEvent) {
			ev.ExecutionFailedEventDetails = &sfntypes.ExecutionFailedEventDetails{Error: aws.String(rec.Error), Cause: aws.String(rec.Cause)}
		})
	case StatusTimedOut:
		add(rec.StopDate, sfntypes.HistoryEventTypeExecutionTimedOut, func(ev *sfntypes.HistoryEvent) {
			ev.ExecutionTimedOutEventDetails = &sfntypes.ExecutionTimedOutEventDetails{Error: aws.String(rec.Error), Cause: aws.String(rec.Cause)}
		})
	case StatusAborted:
		add(rec.StopDate, sfntypes.HistoryEventTypeExecutionAborted, func(ev *sfntypes.HistoryEvent) {
			ev.ExecutionAbortedEventDetails = &sfntypes.ExecutionAbortedEventDetails{Error: aws.String(rec.Error), Cause: aws.String(rec.Cause)}
		})
	}
	if params.ReverseOrder {
		for i, j := 0, len(events)-1; i < j; i, j = i+1, j-1 {
			events[i], events[j] = events[j], events[i]
		}
	}
	start, end, next, err := pageBounds(len(events), params.NextToken, params.MaxResults)
	if err != nil {
		return nil, err
	}
	return &sfn.GetExecutionHistoryOutput{Events: events[start:end], NextToken: next}, nil
}

// executionRecord reads an execution's record for the API, answering as Step
// Functions does when the ARN is missing or unknown.
func (e *Engine) executionRecord(ctx context.Context, arn *string) (ExecutionRecord, error) {
	if arn == nil {
		return ExecutionRecord{}, &sfntypes.InvalidArn{Message: aws.String("executionArn is required")}
	}
	rec, err := e.store.GetExecution(ctx, *arn)
	if errors.Is(err, ErrExecutionNotFound) {
		return rec, &sfntypes.ExecutionDoesNotExist{Message: aws.String("Execution Does Not Exist: '" + *arn + "'")}
	}
	if err != nil {
		return rec, fmt.Errorf("asl: execution %s: %w", *arn, err)
	}
	return rec, nil
}

// stateOfKey is the state name in a step key ("…/Name#visit:attempt…").
func stateOfKey(key string) string {
	if i := strings.LastIndex(key, "/"); i >= 0 {
		key = key[i+1:]
	}
	if i := strings.Index(key, "#"); i >= 0 {
		key = key[:i]
	}
	return key
}

// pageBounds pages n items with a numeric next token (default and maximum
// page 1,000, as Step Functions).
func pageBounds(n int, token *string, maxResults int32) (start, end int, next *string, err error) {
	if t := aws.ToString(token); t != "" {
		if _, scanErr := fmt.Sscanf(t, "%d", &start); scanErr != nil || start < 0 || start > n {
			return 0, 0, nil, &sfntypes.InvalidToken{Message: aws.String("Invalid Token: '" + t + "'")}
		}
	}
	size := int(maxResults)
	if size <= 0 || size > 1000 {
		size = 1000
	}
	end = min(start+size, n)
	if end < n {
		next = aws.String(fmt.Sprint(end))
	}
	return start, end, next, nil
}
