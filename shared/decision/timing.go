package decision

import (
	"fmt"
	"time"

	"productgov/shared/period"
)

// TimingRules holds the reminder, expiry and due-date figures (SPEC 1, 2.4).
type TimingRules struct {
	// ReminderWorkingDays is how long a step waits before its approver is
	// reminded (SPEC 2.4: default 2 working days).
	ReminderWorkingDays int `json:"reminderWorkingDays"`
	// LinkExpiryDays is how long an approval link works (SPEC 2.4: 7 days).
	LinkExpiryDays int `json:"linkExpiryDays"`
	// StepExpiryDays is how long a step waits before it expires and the
	// submission with it (SPEC 2.4: 7 days).
	StepExpiryDays int `json:"stepExpiryDays"`
	// ConstructionPlanWorkingDays is the time allowed for the construction
	// plan after an approved demand (P§11: 需求评审通过后 10 个工作日内提交).
	ConstructionPlanWorkingDays int `json:"constructionPlanWorkingDays"`
	// TrialUseMaxMonths is the longest internal trial use (P§17(一): 测试期原则上不超过三个月).
	TrialUseMaxMonths int `json:"trialUseMaxMonths"`
}

// Moment is an instant a rule sets, with the rule and why.
type Moment struct {
	At     time.Time `json:"at"`
	Rule   string    `json:"rule"`
	Reason string    `json:"reason"`
}

// ReminderAt is when the approver of a step started at started is reminded:
// ReminderWorkingDays working days later at the same time of day, in Shanghai
// (SPEC 2.4).
func ReminderAt(started time.Time, cal period.Calendar, rules Rules) Moment {
	n := rules.Timing.ReminderWorkingDays
	return Moment{
		At:     cal.AddWorkingTime(started, n),
		Rule:   "SPEC 2.4",
		Reason: fmt.Sprintf("a step waiting %d working days gets a reminder", n),
	}
}

// StepExpiresAt is when a step started at started expires unanswered:
// StepExpiryDays calendar days later (SPEC 2.4).
func StepExpiresAt(started time.Time, rules Rules) Moment {
	n := rules.Timing.StepExpiryDays
	return Moment{
		At:     started.AddDate(0, 0, n),
		Rule:   "SPEC 2.4",
		Reason: fmt.Sprintf("an unanswered step expires after %d days and the submission with it", n),
	}
}

// LinkExpiresAt is when an approval link issued at issued stops working:
// LinkExpiryDays calendar days later (SPEC 2.4).
func LinkExpiresAt(issued time.Time, rules Rules) Moment {
	n := rules.Timing.LinkExpiryDays
	return Moment{
		At:     issued.AddDate(0, 0, n),
		Rule:   "SPEC 2.4",
		Reason: fmt.Sprintf("an approval link works for %d days", n),
	}
}

// ConstructionPlanDue is the last day for the construction plan after a
// demand approved on day approved: ConstructionPlanWorkingDays working days
// later, the approval day not counted (P§11).
func ConstructionPlanDue(approved period.Date, cal period.Calendar, rules Rules) Deadline {
	n := rules.Timing.ConstructionPlanWorkingDays
	return Deadline{
		Date:   cal.AddWorkingDays(approved, n),
		Rule:   "P§11",
		Reason: fmt.Sprintf("the construction plan is due %d working days after the demand decision of %s", n, approved),
	}
}

// TrialUseEnds is the last day of an internal trial use started on day
// started: TrialUseMaxMonths later, clamped to the month's end (P§17(一)). A
// product still in trial_use after it is overdue (SPEC 1).
func TrialUseEnds(started period.Date, rules Rules) Deadline {
	n := rules.Timing.TrialUseMaxMonths
	return Deadline{
		Date:   started.AddMonths(n),
		Rule:   "P§17(一)",
		Reason: fmt.Sprintf("trial use started on %s lasts at most %d months", started, n),
	}
}
