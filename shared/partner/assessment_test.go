package partner

import (
	"errors"
	"strings"
	"testing"

	"productgov/shared/money"
	"productgov/shared/period"
)

func TestRevenueProjectScore(t *testing.T) {
	rules := DefaultRules()
	tests := []struct {
		name            string
		revenue, target string
		service         string
		revenueScore    string
		score, exact    string
		passed          bool
	}{
		{"80% of target earns 80", "800000", "1000000", "90", "80.00", "82.00", "82", true},
		{"above target capped at 100", "1200000", "1000000", "50", "100.00", "90.00", "90", true},
		{"exactly 60", "625000", "1000000", "50", "62.50", "60.00", "60", true},
		{"one fen below 60", "624999.99", "1000000", "50", "62.50", "60.00", "59.9999992", false},
		{"a third of target", "1000000", "3000000", "100", "33.33", "46.67", "140/3", false},
		{"no revenue", "0", "1000000", "100", "0.00", "20.00", "20", false},
	}
	for _, tt := range tests {
		p, err := RevenueProjectScore(RevenueYear{money.MustParse(tt.revenue), money.MustParse(tt.target), MustScore(tt.service)}, rules)
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		if p.RevenueScore.String() != tt.revenueScore || p.Score.String() != tt.score || p.Score.Exact() != tt.exact ||
			p.Passed != tt.passed || p.Mode != ModeRevenue || p.Rule != "S-A6 表一" {
			t.Errorf("%s: revenue score %s, score %s (%s), passed %v", tt.name, p.RevenueScore, p.Score, p.Score.Exact(), p.Passed)
		}
	}
	_, err := RevenueProjectScore(RevenueYear{-1, 0, MustScore("100.01")}, rules)
	if fe, ok := err.(FieldErrors); !ok || len(fe) != 3 {
		t.Errorf("validation: %v", err)
	}
}

func TestGuaranteeProjectScore(t *testing.T) {
	rules := DefaultRules()
	tests := []struct {
		name     string
		quarters []string
		score    string
		passed   bool
	}{
		{"mean exactly 60", []string{"70", "65", "55", "50"}, "60.00", true},
		{"one hundredth below", []string{"70", "65", "55", "49.99"}, "60.00", false}, // 59.9975 shows as 60.00
		{"half year", []string{"85.5", "90"}, "87.75", true},
	}
	for _, tt := range tests {
		var qs []Score
		for _, q := range tt.quarters {
			qs = append(qs, MustScore(q))
		}
		p, err := GuaranteeProjectScore(qs, rules)
		if err != nil || p.Score.String() != tt.score || p.Passed != tt.passed || p.Rule != "S-A6 表二" {
			t.Errorf("%s: %+v, %v", tt.name, p, err)
		}
	}
	for _, bad := range [][]Score{nil, {Points(1), Points(1), Points(1), Points(1), Points(1)}, {Points(101)}, {MustScore("-1")}} {
		if _, err := GuaranteeProjectScore(bad, rules); err == nil {
			t.Errorf("%v accepted", bad)
		}
	}
}

func TestScorePartnerYear(t *testing.T) {
	rules := DefaultRules()
	tests := []struct {
		name     string
		projects []string
		changes  int
		score    string
		passed   bool
	}{
		{"two projects, two changes", []string{"82", "64"}, 2, "67.00", true},
		{"exactly 60 after a change", []string{"63"}, 1, "60.00", true},
		{"59.99 after a change", []string{"62.99"}, 1, "59.99", false},
		{"below zero", []string{"2"}, 1, "-1.00", false},
	}
	for _, tt := range tests {
		var ps []Score
		for _, p := range tt.projects {
			ps = append(ps, MustScore(p))
		}
		got, err := ScorePartnerYear(PartnerYear{ps, tt.changes}, rules)
		if err != nil || got.Score.String() != tt.score || got.Passed != tt.passed || got.Rule != "S§21" {
			t.Errorf("%s: %+v, %v", tt.name, got, err)
		}
	}
	if _, err := ScorePartnerYear(PartnerYear{nil, -1}, rules); err == nil || len(err.(FieldErrors)) != 2 {
		t.Errorf("validation: %v", err)
	}
}

func qs(pairs ...string) []QuarterScore {
	var out []QuarterScore
	for i := 0; i < len(pairs); i += 2 {
		out = append(out, QuarterScore{period.MustQuarter(pairs[i]), MustScore(pairs[i+1])})
	}
	return out
}

func TestCheckQuarterWarning(t *testing.T) {
	rules := DefaultRules()
	tests := []struct {
		name    string
		scores  []QuarterScore
		warn    bool
		periods string
	}{
		{"Q2 and Q3 below", qs("2026-Q1", "70", "2026-Q2", "59", "2026-Q3", "59.99", "2026-Q4", "80"), true, "2026-Q2,2026-Q3"},
		{"unsorted input", qs("2026-Q3", "50", "2026-Q2", "50"), true, "2026-Q2,2026-Q3"},
		{"exactly 60 breaks the run", qs("2026-Q1", "59", "2026-Q2", "60", "2026-Q3", "59"), false, ""},
		{"across a year end", qs("2025-Q4", "40", "2026-Q1", "40"), false, ""},
		{"a missing quarter breaks the run", qs("2026-Q1", "40", "2026-Q3", "40"), false, ""},
		{"none", nil, false, ""},
	}
	for _, tt := range tests {
		a, err := CheckQuarterWarning(tt.scores, rules)
		if err != nil || a.Triggered != tt.warn || strings.Join(a.Periods, ",") != tt.periods || a.Rule != "S§21" || a.Reason == "" {
			t.Errorf("%s: %+v, %v", tt.name, a, err)
		}
	}
	if _, err := CheckQuarterWarning(qs("2026-Q1", "40", "2026-Q1", "50", "2026-Q2", "101"), rules); err == nil {
		t.Error("duplicate quarter and out-of-range score accepted")
	}
}

func TestCheckAssessmentExit(t *testing.T) {
	rules := DefaultRules()
	y := func(year int, s string) YearScore { return YearScore{year, MustScore(s)} }
	tests := []struct {
		name    string
		years   []YearScore
		exit    bool
		periods string
	}{
		{"two years below", []YearScore{y(2025, "59"), y(2026, "59.99")}, true, "2025,2026"},
		{"a pass between", []YearScore{y(2024, "50"), y(2025, "60"), y(2026, "50")}, false, ""},
		{"not consecutive", []YearScore{y(2024, "50"), y(2026, "50")}, false, ""},
		{"one year below", []YearScore{y(2026, "10")}, false, ""},
		{"negative after deductions", []YearScore{y(2026, "-3"), y(2025, "58")}, true, "2025,2026"},
	}
	for _, tt := range tests {
		a, err := CheckAssessmentExit(tt.years, rules)
		if err != nil || a.Triggered != tt.exit || strings.Join(a.Periods, ",") != tt.periods {
			t.Errorf("%s: %+v, %v", tt.name, a, err)
		}
	}
	if _, err := CheckAssessmentExit([]YearScore{y(2025, "1"), y(2025, "2")}, rules); err == nil {
		t.Error("duplicate year accepted")
	}
}

func recheck(each string) map[string]Score {
	m := map[string]Score{}
	for _, k := range []string{RecheckOverallStrength, RecheckOperationTeam, RecheckSupportExperience, RecheckSuccessCases, RecheckQualifications} {
		m[k] = MustScore(each)
	}
	return m
}

func TestEvaluateTerm(t *testing.T) {
	rules := DefaultRules()
	tests := []struct {
		name    string
		annual  []string
		recheck map[string]Score
		total   string
		renew   bool
	}{
		{"mean 75, no re-check points", []string{"70", "80", "75"}, recheck("0"), "60.00", true},
		{"mean 60 and 12 re-check points", []string{"60", "60", "60"}, recheck("2.4"), "60.00", true},
		{"one hundredth short", []string{"60", "60", "60"}, func() map[string]Score { m := recheck("2.4"); m[RecheckQualifications] = MustScore("2.39"); return m }(), "59.99", false},
		{"full marks", []string{"100", "100", "100"}, recheck("4"), "100.00", true},
	}
	for _, tt := range tests {
		var as []Score
		for _, a := range tt.annual {
			as = append(as, MustScore(a))
		}
		got, err := EvaluateTerm(TermInput{as, tt.recheck}, rules)
		if err != nil || got.Total.String() != tt.total || got.Renewal != tt.renew || got.RefundDeposit == tt.renew || got.Rule != "S§21" {
			t.Errorf("%s: %+v, %v", tt.name, got, err)
		}
	}
	bad := recheck("4")
	bad[RecheckOverallStrength] = MustScore("4.01")
	delete(bad, RecheckSuccessCases)
	bad["charisma"] = Points(1)
	_, err := EvaluateTerm(TermInput{nil, bad}, rules)
	var fe FieldErrors
	if !errors.As(err, &fe) || len(fe) != 4 || fe["recheck.overall_strength"] != "must be between 0 and 4" {
		t.Errorf("validation: %v", err)
	}
}

func TestPlanVoluntaryTermination(t *testing.T) {
	rules := DefaultRules()
	d := period.MustDate
	tests := []struct {
		name       string
		n          TerminationNotice
		bad        []string
		transition string
	}{
		{"exactly three months", TerminationNotice{d("2026-01-15"), d("2026-04-15"), 1}, nil, "2026-05-15"},
		{"three-month transition", TerminationNotice{d("2026-01-15"), d("2026-06-30"), 3}, nil, "2026-09-30"},
		{"one day short", TerminationNotice{d("2026-01-15"), d("2026-04-14"), 2}, []string{"endDate"}, ""},
		{"no transition", TerminationNotice{d("2026-01-15"), d("2026-05-01"), 0}, []string{"transitionMonths"}, ""},
		{"four-month transition", TerminationNotice{d("2026-01-15"), d("2026-05-01"), 4}, []string{"transitionMonths"}, ""},
		{"nothing given", TerminationNotice{}, []string{"endDate", "noticeDate", "transitionMonths"}, ""},
	}
	for _, tt := range tests {
		p, err := PlanVoluntaryTermination(tt.n, rules)
		if tt.bad == nil {
			if err != nil || p.TransitionEnd.String() != tt.transition || p.DepositRefundFrom != tt.n.EndDate.AddMonths(3) || p.Rule != "S§21" {
				t.Errorf("%s: %+v, %v", tt.name, p, err)
			}
			continue
		}
		fe, ok := err.(FieldErrors)
		if !ok || len(fe) != len(tt.bad) {
			t.Errorf("%s: err = %v; want %v", tt.name, err, tt.bad)
			continue
		}
		for _, f := range tt.bad {
			if fe[f] == "" {
				t.Errorf("%s: no error for %s", tt.name, f)
			}
		}
	}
}
