package task

import (
	"context"
	"encoding/json"
	"fmt"

	"productgov/shared/app"
	"productgov/shared/period"
)

// SettlementEvent is the payload the quarterly settlement state machine sends.
type SettlementEvent struct {
	Action string `json:"action"`
	// Job is app.JobQuarter, app.JobClearing, app.JobAccrual or app.JobSI.
	Job string `json:"job,omitempty"`
	// Period is the quarter (YYYY-Qn), the cleared year, or the month
	// (YYYY-MM); empty in a scheduled run, which takes the period before Time.
	Period        string          `json:"period,omitempty"`
	Time          string          `json:"time,omitempty"`
	PolicyVersion string          `json:"policyVersion,omitempty"`
	PartnerID     string          `json:"partnerId,omitempty"`
	Results       json.RawMessage `json:"results,omitempty"`
	// Segment, Cursor and Run place an SI settlement page (si_page): the
	// stage shard, the page's cursor in it, and the plan's run.
	Segment *app.AssessmentSegment `json:"segment,omitempty"`
	Cursor  string                 `json:"cursor,omitempty"`
	Run     int                    `json:"run,omitempty"`
	// Error is what stopped the run, for the fail action.
	Error *app.JobError `json:"error,omitempty"`
}

// Settlement handles the quarterly settlement's tasks (SPEC 4.3): plan,
// settle_partner (a quarter, or the annual clearing's Q4), accrue_partner (a
// month's accruals), si_page (a page of a month's SI settlement, P§20),
// finish, and fail (the run stopped on an error).
func Settlement(svc *app.Service) Handler {
	return func(ctx context.Context, raw json.RawMessage) (json.RawMessage, error) {
		var ev SettlementEvent
		if err := json.Unmarshal(raw, &ev); err != nil {
			return nil, &Error{Name: ErrInvalid, Cause: fmt.Errorf("bad event %s", raw)}
		}
		switch ev.Action {
		case "plan":
			at, err := runTime(ev.Time)
			if err != nil {
				return nil, err
			}
			plan, err := svc.PlanSettlement(ctx, ev.Job, ev.Period, at)
			return ok(plan, named(err))
		case "fail":
			at, err := runTime(ev.Time)
			if err != nil || ev.Error == nil {
				return nil, &Error{Name: ErrInvalid, Cause: fmt.Errorf("fail needs a time and an error: %s", raw)}
			}
			run, err := svc.FailSettlement(ctx, ev.Job, ev.Period, at, *ev.Error)
			return ok(map[string]any{"kind": run.Kind, "period": run.Period, "status": run.Status}, named(err))
		case "settle_partner":
			q, err := period.ParseQuarter(ev.Period)
			if err != nil || ev.PartnerID == "" {
				return nil, &Error{Name: ErrInvalid, Cause: fmt.Errorf("settle_partner needs a quarter and a partnerId: %s", raw)}
			}
			res, err := svc.SettlePartner(ctx, q, ev.PolicyVersion, ev.PartnerID)
			return ok(res, named(err))
		case "accrue_partner":
			m, err := period.ParseMonth(ev.Period)
			if err != nil || ev.PartnerID == "" {
				return nil, &Error{Name: ErrInvalid, Cause: fmt.Errorf("accrue_partner needs a month and a partnerId: %s", raw)}
			}
			res, err := svc.AccruePartner(ctx, m, ev.PolicyVersion, ev.PartnerID)
			return ok(res, named(err))
		case "si_page":
			m, err := period.ParseMonth(ev.Period)
			if err != nil || ev.Segment == nil || ev.Run < 1 {
				return nil, &Error{Name: ErrInvalid, Cause: fmt.Errorf("si_page needs a month, a segment and a run: %s", raw)}
			}
			res, err := svc.SettleSIPage(ctx, m, ev.PolicyVersion, *ev.Segment, ev.Cursor, ev.Run)
			return ok(res, named(err))
		case "finish":
			run, err := svc.FinishSettlement(ctx, ev.Job, ev.Period, ev.Results)
			return ok(map[string]any{"kind": run.Kind, "period": run.Period, "status": run.Status}, named(err))
		}
		return nil, &Error{Name: ErrInvalid, Cause: fmt.Errorf("unknown action %q", ev.Action)}
	}
}
