package assessment

import (
	"testing"

	"productgov/shared/money"
	"productgov/shared/period"
)

// twelveMonths returns 2025-03..2026-02, eleven months of 100,000.00 and a last month of last.
func twelveMonths(last string) []RevenueFigure {
	figures := revenueFrom("2025-03", "100000.00", "100000.00", "100000.00", "100000.00", "100000.00", "100000.00",
		"100000.00", "100000.00", "100000.00", "100000.00", "100000.00")
	return append(figures, RevenueFigure{Month: month("2026-02"), Amount: money.MustParse(last)})
}

func TestCommercialEligibility(t *testing.T) {
	rules := DefaultRules()
	tests := []struct {
		name    string
		stage   Stage
		since   *period.Date
		asOf    string
		revenue []RevenueFigure
		want    EligibilityStatus
		sum     string
	}{
		{"commercial stage is not checked", StageCommercial, datePtr("2024-03-15"), "2026-03-16", twelveMonths("0"), EligibilityNotApplicable, ""},
		{"exactly two years is not more than two", StageTrialCommercial, datePtr("2024-03-15"), "2026-03-15", twelveMonths("0"), EligibilityNotApplicable, ""},
		{"one day over two years, at the minimum", StageTrialCommercial, datePtr("2024-03-15"), "2026-03-16", twelveMonths("100000.00"), EligibilityEligible, "1200000.00"},
		{"one day over two years, one fen below", StageTrialCommercial, datePtr("2024-03-15"), "2026-03-16", twelveMonths("99999.99"), EligibilityIneligible, "1199999.99"},
		{"a month of the window missing", StageTrialCommercial, datePtr("2024-03-15"), "2026-03-16", twelveMonths("0")[1:], EligibilityPendingData, ""},
		{"start date missing", StageTrialCommercial, nil, "2026-03-16", twelveMonths("0"), EligibilityPendingData, ""},
		// On the last day of a month the month itself is complete and ends the window.
		{"month end closes the window", StageTrialCommercial, datePtr("2024-01-31"), "2026-02-28", twelveMonths("99999.99"), EligibilityIneligible, "1199999.99"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := CommercialEligibility(EligibilityInput{Stage: tt.stage, TrialCommercialSince: tt.since, AsOf: period.MustDate(tt.asOf), Revenue: tt.revenue}, rules)
			if e.Status != tt.want || e.Rule != "P§18" {
				t.Fatalf("status %s rule %s, want %s: %s", e.Status, e.Rule, tt.want, e.Reason)
			}
			if tt.sum != "" && (e.TrailingRevenue == nil || e.TrailingRevenue.String() != tt.sum) {
				t.Errorf("trailing revenue %v, want %s", e.TrailingRevenue, tt.sum)
			}
			if tt.sum != "" && (*e.TrailingFrom != month("2025-03") || *e.TrailingThrough != month("2026-02")) {
				t.Errorf("window %s..%s", e.TrailingFrom, e.TrailingThrough)
			}
			if e.Status == EligibilityPendingData && tt.since != nil && len(e.MissingMonths) != 1 {
				t.Errorf("missing months %v", e.MissingMonths)
			}
		})
	}
}

func TestAssessFlagsCommercialIneligible(t *testing.T) {
	in := selfBuiltInput()
	in.Month = month("2026-02")
	in.Product.Stage = StageTrialCommercial
	in.Product.NoticeDate = datePtr("2024-01-20") // stands in for the trial-commercial start
	in.Revenue = twelveMonths("99999.99")
	res := mustAssess(t, in, DefaultRules())
	if !res.CommercialIneligible || res.CommercialEligibility.Status != EligibilityIneligible {
		t.Fatalf("not flagged: %+v", res.CommercialEligibility)
	}
	if res.Result != OutcomeFail {
		t.Errorf("result %s", res.Result)
	}
	in.Product.Stage = StageCommercial
	if res := mustAssess(t, in, DefaultRules()); res.CommercialIneligible {
		t.Error("a commercial product was flagged")
	}
	in.Product.Level = LevelHQ
	if res := mustAssess(t, in, DefaultRules()); res.CommercialEligibility.Status != EligibilityNotApplicable {
		t.Errorf("skipped product checked: %+v", res.CommercialEligibility)
	}
}

func TestTrialUseOverdue(t *testing.T) {
	tests := []struct {
		name, entered, today string
		stage                Stage
		raised               bool
		due                  string
	}{
		{"exactly three months", "2026-01-10", "2026-04-10", StageTrialUse, false, "2026-04-10"},
		{"one day over", "2026-01-10", "2026-04-11", StageTrialUse, true, "2026-04-10"},
		{"month end clamps", "2026-01-31", "2026-04-30", StageTrialUse, false, "2026-04-30"},
		{"month end clamps, one day over", "2026-01-31", "2026-05-01", StageTrialUse, true, "2026-04-30"},
		{"no longer in trial use", "2026-01-10", "2026-09-01", StageTrialCommercial, false, "2026-04-10"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := TrialUseOverdue(tt.stage, period.MustDate(tt.entered), period.MustDate(tt.today), 3)
			if f.Raised != tt.raised || f.DueDate != period.MustDate(tt.due) || f.Code != FlagTrialUseOverdue || f.Rule != "P§17(一)" || f.Reason == "" {
				t.Errorf("got %+v", f)
			}
		})
	}
}

func TestConstructionPlan(t *testing.T) {
	due := period.MustDate("2026-03-16")
	tests := []struct {
		name      string
		submitted *period.Date
		today     string
		raised    bool
	}{
		{"on the due date, not submitted", nil, "2026-03-16", false},
		{"one day after, not submitted", nil, "2026-03-17", true},
		{"submitted on time", datePtr("2026-03-16"), "2026-04-01", false},
		{"submitted late clears the flag", datePtr("2026-03-20"), "2026-04-01", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := ConstructionPlanOverdue(due, tt.submitted, period.MustDate(tt.today))
			if f.Raised != tt.raised || f.Code != FlagConstructionPlanOverdue || f.Rule != "P§11" || f.DueDate != due || f.Reason == "" {
				t.Errorf("got %+v", f)
			}
		})
	}
}
