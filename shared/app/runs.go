package app

import (
	"context"
	"encoding/json"
	"strings"
	"time"

	"productgov/shared/period"
	"productgov/shared/problem"
	"productgov/shared/store"
)

// JobError is what stopped a job: the error name and cause Step Functions
// caught ({"Error": ..., "Cause": ...}).
type JobError struct {
	Error string `json:"Error"`
	Cause string `json:"Cause"`
}

// FailAssessment records the monthly assessment run of month (or, for a
// scheduled run, of the month before at) as failed with what stopped it, so
// an operator sees it and a re-run starts afresh (SPEC 3).
func (s *Service) FailAssessment(ctx context.Context, month string, at time.Time, why JobError) (store.Run, error) {
	m := period.MonthOf(at.In(period.Shanghai)).Add(-1) // P§19: the schedule assesses the previous month
	if month != "" {
		var err error
		if m, err = period.ParseMonth(month); err != nil {
			return store.Run{}, problem.InvalidField("month", err.Error())
		}
	}
	return s.failRun(ctx, runKindAssessment, m.String(), why)
}

// FailSegment records that one segment of a month's run (a child execution
// of the assessment's Map) stopped on an error, beside the run record; the
// run's own fail step then reports it.
func (s *Service) FailSegment(ctx context.Context, month period.Month, run int, seg AssessmentSegment, why JobError) error {
	key := strings.TrimSuffix(seg.tallyPrefix(), "#")
	return s.AssessStore.PutRunFailure(ctx, runKindAssessment, month.String(), run, key,
		store.RunFailure{Segment: key, Error: why.Error, Cause: why.Cause})
}

// FailSettlement records a settlement job's run (quarter, clearing or
// accrual) as failed with what stopped it (SPEC 4.3).
func (s *Service) FailSettlement(ctx context.Context, job, given string, at time.Time, why JobError) (store.Run, error) {
	kind, p, err := settlementPeriod(job, given, at)
	if err != nil {
		return store.Run{}, err
	}
	return s.failRun(ctx, kind, p, why)
}

func (s *Service) failRun(ctx context.Context, kind, p string, why JobError) (store.Run, error) {
	now := s.Now().UTC()
	run, err := s.AssessStore.GetRun(ctx, kind, p)
	switch {
	case problem.CodeOf(err) == problem.CodeNotFound:
		// Failed before the plan recorded the run.
		run = store.Run{Kind: kind, Period: p, StartedAt: now, Runs: 1}
	case err != nil:
		return run, err
	}
	run.Status, run.FinishedAt, run.Error, run.Cause = store.RunFailed, &now, why.Error, why.Cause
	failures, err := s.AssessStore.RunFailures(ctx, kind, p, run.Runs)
	if err != nil {
		return run, err
	}
	if len(failures) > 0 {
		// A Map fails with States.ExceedToleratedFailureThreshold, which says
		// nothing of why: the run says what stopped the first failed part,
		// and lists every part that failed.
		run.Failures = failures
		run.Error, run.Cause = failures[0].Error, failures[0].Cause
	}
	return run, s.AssessStore.PutRun(ctx, s.meta(ctx, system), run)
}

// partnerFailures lists the partners whose part of a settlement job failed:
// one the use case reported ({"failed": true, "error": "…"}), or one the
// state machine's Map caught ({"error": {"Error": …, "Cause": …}}), so the
// others still settle.
func partnerFailures(results json.RawMessage) []store.RunFailure {
	var items []struct {
		PartnerID string          `json:"partnerId"`
		Failed    bool            `json:"failed"`
		Error     json.RawMessage `json:"error"`
	}
	if json.Unmarshal(results, &items) != nil {
		return []store.RunFailure{{Error: "the partners' results could not be read"}}
	}
	var failed []store.RunFailure
	for _, it := range items {
		caught := len(it.Error) > 0 && string(it.Error) != "null" && string(it.Error) != `""`
		if !it.Failed && !caught {
			continue
		}
		why := string(it.Error)
		var text string
		var states JobError
		switch {
		case json.Unmarshal(it.Error, &text) == nil:
			why = text
		case json.Unmarshal(it.Error, &states) == nil && states.Error != "":
			why = states.Error + ": " + states.Cause
		}
		failed = append(failed, store.RunFailure{PartnerID: it.PartnerID, Error: why})
	}
	return failed
}
