package task

import (
	"context"
	"encoding/json"
	"fmt"

	"productgov/shared/app"
	"productgov/shared/period"
)

// AssessmentEvent is the payload the monthly assessment state machine sends.
type AssessmentEvent struct {
	Action string `json:"action"`
	// Month is YYYY-MM; empty in a scheduled run, which assesses the month
	// before Time.
	Month         string                 `json:"month,omitempty"`
	Time          string                 `json:"time,omitempty"`
	PolicyVersion string                 `json:"policyVersion,omitempty"`
	Segment       *app.AssessmentSegment `json:"segment,omitempty"`
	Cursor        string                 `json:"cursor,omitempty"`
	// Run is the plan's run number: a page keeps its tally under it.
	Run int `json:"run,omitempty"`
	// Error is what stopped the run, for the fail action.
	Error *app.JobError `json:"error,omitempty"`
}

// Assessment handles the monthly assessment's tasks (SPEC 3): plan, page,
// open_exits, report, fail (the run stopped on an error) and fail_segment
// (one child execution of the Map did).
func Assessment(svc *app.Service) Handler {
	return func(ctx context.Context, raw json.RawMessage) (json.RawMessage, error) {
		var ev AssessmentEvent
		if err := json.Unmarshal(raw, &ev); err != nil {
			return nil, &Error{Name: ErrInvalid, Cause: fmt.Errorf("bad event %s", raw)}
		}
		if err := knownAction(ev.Action, "plan", "page", "open_exits", "report", "fail", "fail_segment"); err != nil {
			return nil, err
		}
		switch ev.Action {
		case "plan":
			at, err := runTime(ev.Time)
			if err != nil {
				return nil, err
			}
			plan, err := svc.PlanAssessment(ctx, ev.Month, at)
			return ok(plan, named(err))
		case "fail":
			at, err := runTime(ev.Time)
			if err != nil || ev.Error == nil {
				return nil, &Error{Name: ErrInvalid, Cause: fmt.Errorf("fail needs a time and an error: %s", raw)}
			}
			run, err := svc.FailAssessment(ctx, ev.Month, at, *ev.Error)
			return ok(map[string]any{"period": run.Period, "status": run.Status}, named(err))
		}
		m, err := period.ParseMonth(ev.Month)
		if err != nil {
			return nil, &Error{Name: ErrInvalid, Cause: fmt.Errorf("month %q: %w", ev.Month, err)}
		}
		switch ev.Action {
		case "page":
			if ev.Segment == nil {
				return nil, &Error{Name: ErrInvalid, Cause: fmt.Errorf("page needs a segment")}
			}
			res, err := svc.AssessPage(ctx, m, ev.PolicyVersion, *ev.Segment, ev.Cursor, ev.Run)
			return ok(res, named(err))
		case "fail_segment":
			if ev.Segment == nil || ev.Error == nil || ev.Run < 1 {
				return nil, &Error{Name: ErrInvalid, Cause: fmt.Errorf("fail_segment needs a segment, a run and an error: %s", raw)}
			}
			err := svc.FailSegment(ctx, m, ev.Run, *ev.Segment, *ev.Error)
			return ok(map[string]string{"status": "recorded"}, named(err))
		case "open_exits":
			n, err := svc.OpenAssessmentExits(ctx, m, ev.Segment)
			return ok(map[string]int{"opened": n}, named(err))
		case "report":
			rep, err := svc.FinishAssessment(ctx, m)
			return ok(map[string]any{"total": rep.Total, "counts": rep.Counts}, named(err))
		}
		return nil, &Error{Name: ErrInvalid, Cause: fmt.Errorf("unknown action %q", ev.Action)}
	}
}
