// Package task holds the Step Functions task handlers: the same functions run
// as Lambdas on AWS and are called by the local ASL engine. Their errors carry
// names the state machines' Retry and Catch clauses match.
package task

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"productgov/shared/app"
	"productgov/shared/decision"
	"productgov/shared/problem"
)

// Error names the state machines match in Retry and Catch.
const (
	// ErrTransient may succeed when retried (the store was busy, a network blip).
	ErrTransient = "Task.Transient"
	// ErrInvalid will fail again: the event or the data is wrong.
	ErrInvalid = "Task.Invalid"
)

// Error is a handler error with the name ASL sees.
type Error struct {
	Name  string
	Cause error
}

// Error describes the failure.
func (e *Error) Error() string { return e.Name + ": " + e.Cause.Error() }

// ErrorName is the error name the ASL engine and Lambda report.
func (e *Error) ErrorName() string { return e.Name }

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Cause }

// named classifies an error for Retry/Catch; errors that already have a name
// keep it.
func named(err error) error {
	if err == nil {
		return nil
	}
	var n interface{ ErrorName() string }
	if errors.As(err, &n) {
		return err
	}
	switch problem.CodeOf(err) {
	case problem.CodeInvalid, problem.CodeNotFound, problem.CodeForbidden, problem.CodeConflict:
		return &Error{Name: ErrInvalid, Cause: err}
	}
	return &Error{Name: ErrTransient, Cause: err}
}

// Event is the payload the approval state machine sends its tasks.
type Event struct {
	Action       string               `json:"action"`
	SubmissionID string               `json:"submissionId"`
	Revision     int                  `json:"revision"`
	Stage        decision.ReviewStage `json:"stage,omitempty"`
	Step         *int                 `json:"step,omitempty"`
	TaskToken    string               `json:"taskToken,omitempty"`
	// Time is a scheduled run's time (EventBridge Scheduler's
	// <aws.scheduler.scheduled-time>): the run acts as of then, so a late or
	// repeated delivery decides the same.
	Time string `json:"time,omitempty"`
}

// runTime is a scheduled event's time, or now when the event has none.
func runTime(text string) (time.Time, error) {
	if text == "" {
		return time.Now(), nil
	}
	t, err := time.Parse(time.RFC3339, text)
	if err != nil {
		return time.Time{}, &Error{Name: ErrInvalid, Cause: fmt.Errorf("time %q: %w", text, err)}
	}
	return t, nil
}

// knownAction refuses an action the handler does not have before anything
// else is checked, so a function wired to the wrong handler says so plainly.
func knownAction(action string, known ...string) error {
	for _, k := range known {
		if action == k {
			return nil
		}
	}
	return &Error{Name: ErrInvalid, Cause: fmt.Errorf("unknown action %q", action)}
}

// Handler is a Lambda-style handler of raw JSON events.
type Handler func(ctx context.Context, event json.RawMessage) (json.RawMessage, error)

// Submissions handles the approval workflow's submission tasks: await_review,
// advance, expire_step and finish; and the daily publish_exit_notices.
func Submissions(svc *app.Service) Handler {
	return func(ctx context.Context, raw json.RawMessage) (json.RawMessage, error) {
		var ev Event
		if err := json.Unmarshal(raw, &ev); err != nil {
			return nil, &Error{Name: ErrInvalid, Cause: fmt.Errorf("bad event %s", raw)}
		}
		if err := knownAction(ev.Action, "await_review", "advance", "expire_step", "finish", "publish_exit_notices"); err != nil {
			return nil, err
		}
		if ev.Action == "publish_exit_notices" {
			at, err := runTime(ev.Time)
			if err != nil {
				return nil, err
			}
			n, err := svc.PublishExitNotices(ctx, at)
			return ok(map[string]int{"published": n}, named(err))
		}
		if ev.SubmissionID == "" {
			return nil, &Error{Name: ErrInvalid, Cause: fmt.Errorf("event without submissionId: %s", raw)}
		}
		switch ev.Action {
		case "await_review":
			if !ev.Stage.Valid() || ev.TaskToken == "" {
				return nil, &Error{Name: ErrInvalid, Cause: fmt.Errorf("await_review needs stage and taskToken")}
			}
			return ok(nil, named(svc.AwaitReview(ctx, ev.SubmissionID, ev.Revision, ev.Stage, ev.TaskToken)))
		case "advance":
			p, err := svc.Advance(ctx, ev.SubmissionID, ev.Revision)
			return ok(p, named(err))
		case "expire_step":
			if ev.Step == nil {
				return nil, &Error{Name: ErrInvalid, Cause: fmt.Errorf("expire_step needs step")}
			}
			return ok(nil, named(svc.ExpireStep(ctx, ev.SubmissionID, ev.Revision, *ev.Step)))
		case "finish":
			sub, err := svc.Finish(ctx, ev.SubmissionID, ev.Revision)
			return ok(map[string]any{"status": sub.Status}, named(err))
		}
		return nil, &Error{Name: ErrInvalid, Cause: fmt.Errorf("unknown action %q", ev.Action)}
	}
}

// Notify handles the approval workflow's mail tasks: request_decision (a
// signed link to the approver) and remind (the scheduled sweep: reminders,
// and decisions cut off in flight completed).
func Notify(svc *app.Service) Handler {
	return func(ctx context.Context, raw json.RawMessage) (json.RawMessage, error) {
		var ev Event
		if err := json.Unmarshal(raw, &ev); err != nil {
			return nil, &Error{Name: ErrInvalid, Cause: fmt.Errorf("bad event %s", raw)}
		}
		switch ev.Action {
		case "request_decision":
			if ev.Step == nil || ev.TaskToken == "" {
				return nil, &Error{Name: ErrInvalid, Cause: fmt.Errorf("request_decision needs step and taskToken")}
			}
			return ok(nil, named(svc.RequestDecision(ctx, ev.SubmissionID, ev.Revision, *ev.Step, ev.TaskToken)))
		case "remind", "":
			at, err := runTime(ev.Time)
			if err != nil {
				return nil, err
			}
			n, err := svc.SendReminders(ctx, at)
			if err != nil {
				return nil, named(err)
			}
			// The same sweep completes decisions cut off by a crash (SPEC 2.4).
			resumed, err := svc.ResumeStalledDecisions(ctx)
			return ok(map[string]int{"reminded": n, "resumed": resumed}, named(err))
		}
		return nil, &Error{Name: ErrInvalid, Cause: fmt.Errorf("unknown action %q", ev.Action)}
	}
}

func ok(v any, err error) (json.RawMessage, error) {
	if err != nil {
		return nil, err
	}
	if v == nil {
		return json.RawMessage(`{}`), nil
	}
	return json.Marshal(v)
}
