package assessment

import (
	"fmt"
	"strings"

	"productgov/shared/money"
	"productgov/shared/period"
	"productgov/shared/reason"
)

// EligibilityStatus is the outcome of the P§18 commercial-eligibility check.
type EligibilityStatus string

// Eligibility statuses.
const (
	// EligibilityNotApplicable: not in trial_commercial, or not yet longer than the limit.
	EligibilityNotApplicable EligibilityStatus = "not_applicable"
	// EligibilityEligible: over the limit, but trailing revenue reaches the minimum.
	EligibilityEligible EligibilityStatus = "eligible"
	// EligibilityIneligible is the flag commercial_ineligible (P§18): a
	// commercial submission for the product is refused.
	EligibilityIneligible EligibilityStatus = "commercial_ineligible"
	// EligibilityPendingData: over the limit, but a month of the trailing
	// revenue or the start date is missing, so the check cannot decide.
	EligibilityPendingData EligibilityStatus = "pending_data"
)

// EligibilityInput is what the P§18 check reads.
type EligibilityInput struct {
	// Stage is the product's stage; only trial_commercial is checked.
	Stage Stage `json:"stage"`
	// TrialCommercialSince is the date the product entered trial_commercial.
	TrialCommercialSince *period.Date `json:"trialCommercialSince,omitempty"`
	// AsOf is the day the check is made for (the assessment uses the last day of M).
	AsOf period.Date `json:"asOf"`
	// Revenue holds monthly revenue; only the trailing window counts.
	Revenue []RevenueFigure `json:"revenue,omitempty"`
}

// Eligibility is the result of the P§18 check.
type Eligibility struct {
	Status EligibilityStatus `json:"status"`
	// LimitDate is the day the allowed time in trial commercial use ends; the
	// check applies from the day after.
	LimitDate *period.Date `json:"limitDate,omitempty"`
	// TrailingFrom and TrailingThrough bound the revenue window that was read.
	TrailingFrom    *period.Month `json:"trailingFrom,omitempty"`
	TrailingThrough *period.Month `json:"trailingThrough,omitempty"`
	// TrailingRevenue is the window's exact sum, when every month was present.
	TrailingRevenue *money.Amount `json:"trailingRevenue,omitempty"`
	// MissingMonths lists the window's months without revenue.
	MissingMonths []period.Month `json:"missingMonths,omitempty"`
	Rule          string         `json:"rule"`
	// Reason starts with the status (English, for logs and older clients).
	Reason string `json:"reason"`
	// Cause is Reason machine-readable: a code of the reason catalog (shared/reason).
	Cause reason.Reason `json:"cause"`
}

// TrailingWindowEnd returns the last complete month on asOf: asOf's own month
// when asOf is its last day, else the month before.
func TrailingWindowEnd(asOf period.Date) period.Month {
	m := asOf.MonthOf()
	if asOf == m.Last() {
		return m
	}
	return m.Add(-1)
}

// CommercialEligibility applies P§18: a product in trial_commercial for more
// than TrialCommercialMaxMonths (2 years) whose trailing CommercialRevenueMonths
// (12) complete months of revenue sum below CommercialMinAnnualRevenue
// (1,200,000.00) is flagged commercial_ineligible. The sum is compared exactly.
func CommercialEligibility(in EligibilityInput, rules Rules) Eligibility {
	e := Eligibility{Rule: articleCommercial}
	var cause reason.Reason
	done := func(s EligibilityStatus, detail string) Eligibility {
		e.Status = s
		e.Reason = string(s) + ": " + detail
		e.Cause = cause
		return e
	}
	if in.Stage != StageTrialCommercial {
		cause = reason.New("commercial_stage_na", "stage", string(in.Stage))
		return done(EligibilityNotApplicable, fmt.Sprintf("stage %s is not trial_commercial", in.Stage))
	}
	if in.TrialCommercialSince == nil {
		cause = reason.New("commercial_since_missing")
		return done(EligibilityPendingData, "the date the product entered trial_commercial is missing")
	}
	limit := in.TrialCommercialSince.AddMonths(rules.TrialCommercialMaxMonths)
	e.LimitDate = &limit
	since, count := in.TrialCommercialSince.String(), fmt.Sprint(rules.TrialCommercialMaxMonths)
	if !in.AsOf.After(limit) {
		cause = reason.New("commercial_within_limit", "since", since, "count", count, "limit", limit.String())
		return done(EligibilityNotApplicable, fmt.Sprintf("in trial_commercial since %s, not more than %d months on %s",
			*in.TrialCommercialSince, rules.TrialCommercialMaxMonths, in.AsOf))
	}
	through := TrailingWindowEnd(in.AsOf)
	window := monthsEnding(through, rules.CommercialRevenueMonths)
	e.TrailingFrom, e.TrailingThrough = &window[0], &through
	byMonth := revenueByMonth(in.Revenue)
	sum := money.Amount(0)
	for _, m := range window {
		if a, ok := byMonth[m]; ok {
			sum += a
		} else {
			e.MissingMonths = append(e.MissingMonths, m)
		}
	}
	if len(e.MissingMonths) > 0 {
		names := make([]string, len(e.MissingMonths))
		for i, m := range e.MissingMonths {
			names[i] = m.String()
		}
		cause = reason.New("commercial_revenue_missing", "revenueMonths", joinMonths(e.MissingMonths))
		return done(EligibilityPendingData, "revenue missing for "+strings.Join(names, ", "))
	}
	e.TrailingRevenue = &sum
	window12 := []string{"from", window[0].String(), "to", through.String(), "sum", sum.String(), "minimum", rules.CommercialMinAnnualRevenue.String()}
	if sum < rules.CommercialMinAnnualRevenue {
		cause = reason.New("commercial_ineligible", append(window12, "since", since, "count", count)...)
		return done(EligibilityIneligible, fmt.Sprintf(
			"in trial_commercial since %s (more than %d months) and revenue of %s..%s is %s, below %s",
			*in.TrialCommercialSince, rules.TrialCommercialMaxMonths, window[0], through, sum, rules.CommercialMinAnnualRevenue))
	}
	cause = reason.New("commercial_eligible", window12...)
	return done(EligibilityEligible, fmt.Sprintf("revenue of %s..%s is %s, reaching %s",
		window[0], through, sum, rules.CommercialMinAnnualRevenue))
}

// Flag codes of SPEC 1.
const (
	FlagTrialUseOverdue         = "trial_use_overdue"
	FlagConstructionPlanOverdue = "construction_plan_overdue"
)

// Flag is an overdue flag of SPEC 1 as of one day.
type Flag struct {
	Code string `json:"code"`
	// Raised tells whether the flag is up.
	Raised bool `json:"raised"`
	// DueDate is the last day that is still on time.
	DueDate period.Date `json:"dueDate"`
	Rule    string      `json:"rule"`
	// Reason explains the state in English.
	Reason string `json:"reason"`
}

// TrialUseOverdue flags a product that has been in trial_use longer than
// maxMonths, the policy's decision.timing.trialUseMaxMonths (P§17(一): 测试期原则上不超过三个月). Entered on 2026-01-10,
// it is on time through 2026-04-10 and overdue from 2026-04-11.
func TrialUseOverdue(stage Stage, enteredTrialUse, today period.Date, maxMonths int) Flag {
	due := enteredTrialUse.AddMonths(maxMonths)
	f := Flag{Code: FlagTrialUseOverdue, DueDate: due, Rule: articleTrialUse}
	switch {
	case stage != StageTrialUse:
		f.Reason = fmt.Sprintf("stage %s is not trial_use", stage)
	case today.After(due):
		f.Raised = true
		f.Reason = fmt.Sprintf("in trial_use since %s, more than %d months on %s (allowed through %s)",
			enteredTrialUse, maxMonths, today, due)
	default:
		f.Reason = fmt.Sprintf("in trial_use since %s, allowed through %s", enteredTrialUse, due)
	}
	return f
}

// ConstructionPlanOverdue flags a construction plan not submitted by its due
// date (P§11; the due date is decision.ConstructionPlanDue). submittedOn is nil while the plan is not submitted; a plan that
// was submitted, even late, no longer raises the flag, but the reason says it was late.
func ConstructionPlanOverdue(due period.Date, submittedOn *period.Date, today period.Date) Flag {
	f := Flag{Code: FlagConstructionPlanOverdue, DueDate: due, Rule: articleConstructionPlan}
	switch {
	case submittedOn != nil && submittedOn.After(due):
		f.Reason = fmt.Sprintf("submitted on %s, late (due %s)", *submittedOn, due)
	case submittedOn != nil:
		f.Reason = fmt.Sprintf("submitted on %s, on time (due %s)", *submittedOn, due)
	case today.After(due):
		f.Raised = true
		f.Reason = fmt.Sprintf("not submitted; due %s, overdue on %s", due, today)
	default:
		f.Reason = fmt.Sprintf("not submitted yet; due %s", due)
	}
	return f
}
