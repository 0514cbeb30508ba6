package decision

import (
	"strings"
	"testing"

	"productgov/shared/money"
	"productgov/shared/period"
)

func amountPtr(s string) *money.Amount { a := money.MustParse(s); return &a }
func datePtr(s string) *period.Date    { d := period.MustDate(s); return &d }

func TestRoute(t *testing.T) {
	today := period.MustDate("2026-03-10")
	// Exits route on the records (SPEC 2.3 decided): the figures are the
	// product's facts; the content's own figures never count.
	selfExit := ExitContent{ExitType: ExitAssessment, TrailingRevenue: money.FromYuan(1), Customers: 1}
	records := func(revenue string, customers int64) ProductFacts {
		return ProductFacts{Mode: ModeSelfBuilt, TrailingRevenue: money.MustParse(revenue), Customers: customers}
	}
	committeeOn := func(revenue string, customers int64, d string) ProductFacts {
		f := records(revenue, customers)
		f.LastCommitteeApproval = datePtr(d)
		return f
	}
	demand := func(inv, rd *money.Amount) DemandContent {
		return DemandContent{Kind: TypeDemand, EstimatedInvestment: inv, EstimatedRdCost: rd}
	}
	tests := []struct {
		name    string
		content Content
		facts   ProductFacts
		level   Level
		row     int
	}{
		// Row 1: basic rules.
		{"basic rules", BasicRulesContent{RuleKind: RulePricing}, ProductFacts{}, LevelChengpi, 1},
		// Rows 2–3: demand, investment or R&D cost at 5,000,000.
		{"investment one fen below 5,000,000", demand(amountPtr("4999999.99"), nil), selfBuilt, LevelSpecialMeeting, 3},
		{"investment exactly 5,000,000", demand(amountPtr("5000000.00"), nil), selfBuilt, LevelCommittee, 2},
		{"R&D cost exactly 5,000,000", demand(amountPtr("0"), amountPtr("5000000")), selfBuilt, LevelCommittee, 2},
		{"R&D cost one fen below", demand(nil, amountPtr("4999999.99")), selfBuilt, LevelSpecialMeeting, 3},
		{"demand change of a strategic product", DemandContent{Kind: TypeDemandChange, EstimatedInvestment: amountPtr("1")},
			ProductFacts{Mode: ModeCooperative, Strategic: true}, LevelCommittee, 2},
		// Rows 4–5: (trial) commercial.
		{"commercial strategic", CommercialContent{Kind: TypeCommercial, EstimatedAnnualRevenue: money.FromYuan(100)},
			ProductFacts{Strategic: true}, LevelGMOffice, 4},
		{"trial commercial strategic", CommercialContent{Kind: TypeTrialCommercial}, ProductFacts{Strategic: true}, LevelGMOffice, 4},
		{"commercial at 1,200,000", CommercialContent{Kind: TypeCommercial, EstimatedAnnualRevenue: money.FromYuan(1_200_000)},
			ProductFacts{}, LevelSpecialMeeting, 5},
		{"trial commercial below 1,200,000 (decided)", CommercialContent{Kind: TypeTrialCommercial, EstimatedAnnualRevenue: money.MustParse("1199999.99")},
			ProductFacts{}, LevelSpecialMeeting, 5},
		// Row 6: promotion plan.
		{"promotion plan", PromotionPlanContent{}, ProductFacts{}, LevelSpecialMeeting, 6},
		// Rows 7–8: major change by mode.
		{"major change self-built", MajorChangeContent{}, selfBuilt, LevelSpecialMeeting, 7},
		{"major change cooperative", MajorChangeContent{}, cooperative, LevelChengpi, 8},
		// Row 9: natural exit.
		{"natural exit", ExitContent{ExitType: ExitNatural, TrailingRevenue: money.FromYuan(50_000_000)}, cooperative, LevelNone, 9},
		// Row 10: committee, strict on both figures (decided).
		{"committee: revenue 10,000,000.01, customers 10,000,001, decision 2 years ago to the day",
			selfExit, committeeOn("10000000.01", 10_000_001, "2024-03-10"), LevelCommittee, 10},
		{"revenue exactly 10,000,000 (超千万 strict)", selfExit, committeeOn("10000000.00", 10_000_001, "2026-01-01"), LevelGMOffice, 11},
		{"decision 2 years and a day ago", selfExit, committeeOn("10000000.01", 10_000_001, "2024-03-09"), LevelGMOffice, 11},
		{"customers exactly 10,000,000", selfExit, committeeOn("10000000.01", 10_000_000, "2026-01-01"), LevelGMOffice, 11},
		{"no committee decision", selfExit, records("20000000.00", 30_000_000), LevelGMOffice, 11},
		// Row 11: gm office.
		{"revenue exactly 10,000,000", selfExit, records("10000000.00", 0), LevelGMOffice, 11},
		{"revenue one fen below 10,000,000", selfExit, committeeOn("9999999.99", 10_000_001, "2026-01-01"), LevelSpecialMeeting, 12},
		// Row 12: special meeting, any mode.
		{"revenue exactly 1,200,000", selfExit, records("1200000.00", 0), LevelSpecialMeeting, 12},
		{"customers exactly 100,000 (decided: higher level)", selfExit, records("0", 100_000), LevelSpecialMeeting, 12},
		{"cooperative breach exit with large figures (decided)", ExitContent{ExitType: ExitBreach},
			ProductFacts{Mode: ModeCooperative, TrailingRevenue: money.FromYuan(50_000_000), Customers: 20_000_000}, LevelSpecialMeeting, 12},
		{"cooperative exit at 1,200,000", ExitContent{ExitType: ExitApplication},
			ProductFacts{Mode: ModeCooperative, TrailingRevenue: money.FromYuan(1_200_000)}, LevelSpecialMeeting, 12},
		{"cooperative exit at 100,000 customers", ExitContent{ExitType: ExitAssessment},
			ProductFacts{Mode: ModeCooperative, Customers: 100_000}, LevelSpecialMeeting, 12},
		// Row 13: chengpi, any mode.
		{"revenue one fen below 1,200,000 and 99,999 customers", selfExit, records("1199999.99", 99_999), LevelChengpi, 13},
		{"small cooperative exit", ExitContent{ExitType: ExitBreach},
			ProductFacts{Mode: ModeCooperative, TrailingRevenue: money.MustParse("1199999.99"), Customers: 99_999}, LevelChengpi, 13},
		{"pilot exit of a small product", ExitContent{ExitType: ExitPilot}, selfBuilt, LevelChengpi, 13},
		// Rows 14–15: pricing and revenue share (P§9(二)2; below 1,200,000 呈批, decided).
		{"pricing at 1,200,000", PricingContent{EstimatedAnnualRevenue: money.FromYuan(1_200_000)}, selfBuilt, LevelSpecialMeeting, 14},
		{"pricing one fen below", PricingContent{EstimatedAnnualRevenue: money.MustParse("1199999.99")}, selfBuilt, LevelChengpi, 15},
		{"revenue share at 1,200,000", RevenueShareContent{EstimatedAnnualRevenue: money.FromYuan(1_200_000)}, cooperative, LevelSpecialMeeting, 14},
		{"revenue share one fen below", RevenueShareContent{EstimatedAnnualRevenue: money.MustParse("1199999.99")}, cooperative, LevelChengpi, 15},
		{"strategic pricing still by revenue", PricingContent{EstimatedAnnualRevenue: money.FromYuan(1)}, ProductFacts{Mode: ModeSelfBuilt, Strategic: true}, LevelChengpi, 15},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := Route(tt.content, tt.facts, today, DefaultRules())
			if err != nil {
				t.Fatal(err)
			}
			if r.Level != tt.level || r.Row != tt.row {
				t.Errorf("Route = %s row %d (%s); want %s row %d", r.Level, r.Row, r.Reason, tt.level, tt.row)
			}
			if r.NeedsReview != (tt.level != LevelNone) {
				t.Errorf("NeedsReview = %v for level %s", r.NeedsReview, r.Level)
			}
			if r.Rule == "" || !strings.HasPrefix(r.Reason, "routing row ") || !strings.HasSuffix(r.Reason, "→ "+string(tt.level)) {
				t.Errorf("rule %q reason %q", r.Rule, r.Reason)
			}
		})
	}
}

func TestRouteReasonShowsFigures(t *testing.T) {
	c := ExitContent{ExitType: ExitAssessment, TrailingRevenue: money.MustParse("10000000.01"), Customers: 10_000_001, FilledFromRecords: []string{"trailingRevenue", "customers"}}
	facts := ProductFacts{Mode: ModeSelfBuilt, LastCommitteeApproval: datePtr("2024-03-10"), TrailingRevenue: money.MustParse("10000000.01"),
		Customers: 10_000_001, TrailingFrom: period.MustMonth("2025-03"), TrailingTo: period.MustMonth("2026-02")}
	r, err := Route(c, facts, period.MustDate("2026-03-10"), DefaultRules())
	if err != nil {
		t.Fatal(err)
	}
	want := "routing row 10 (P§9(三)3): self-built, revenue > 10,000,000, customers > 10,000,000 and a committee decision within 2 years (超千万: strict, decided); " +
		"revenue 10000000.01 > 10000000.00; customers 10000001 > 10000000; " +
		"committee decision of 2024-03-10 within 2 years (on or after 2024-03-10); " +
		"routed on the records: revenue 10000000.01 of 2025-03..2026-02, customers 10000001 → committee"
	if r.Reason != want {
		t.Errorf("reason:\n got %s\nwant %s", r.Reason, want)
	}
}

// An exit validated without figures routes on the product's records.
func TestRouteExitFromRecords(t *testing.T) {
	facts := ProductFacts{Mode: ModeSelfBuilt, TrailingRevenue: money.FromYuan(10_000_000), Customers: 5}
	c, err := ValidateContent(TypeExit, body(exitSelfBuilt), facts, DefaultRules())
	if err != nil {
		t.Fatal(err)
	}
	r, err := Route(c, facts, period.MustDate("2026-03-10"), DefaultRules())
	if err != nil || r.Level != LevelGMOffice {
		t.Errorf("Route = %+v, %v; want gm_office", r, err)
	}
	if InitialStatus(r) != StatusGroupReview {
		t.Errorf("InitialStatus = %s", InitialStatus(r))
	}
}

func TestRouteErrors(t *testing.T) {
	today := period.MustDate("2026-03-10")
	rules := DefaultRules()
	if _, err := Route(MajorChangeContent{}, ProductFacts{Mode: "joint"}, today, rules); err == nil {
		t.Error("a mode row with an unknown mode must fail")
	}
	rules.Routing = rules.Routing[:1]
	if _, err := Route(PromotionPlanContent{}, ProductFacts{}, today, rules); err == nil {
		t.Error("no matching row must fail")
	}
	bad := DefaultRules()
	bad.Routing = []RoutingRow{{Types: []SubmissionType{TypePromotionPlan}, Level: LevelChengpi, Rule: "x",
		AllOf: []Criterion{{Fact: FactRevenue, Compare: AtLeast}}}}
	if _, err := Route(PromotionPlanContent{}, ProductFacts{}, today, bad); err == nil || !strings.Contains(err.Error(), "routing row 1") {
		t.Errorf("revenue on a promotion plan: err = %v", err)
	}
}

// Issue 9 defect 2: an applicant cannot move an exit to a lower level by
// writing smaller figures; the records route it, months without a record
// count 0 and are named, and both sets of figures are kept.
func TestRouteExitOnRecordsNotContent(t *testing.T) {
	today := period.MustDate("2026-03-10")
	facts := ProductFacts{Mode: ModeSelfBuilt, TrailingRevenue: money.FromYuan(1_200_000), Customers: 5,
		TrailingFrom: period.MustMonth("2025-03"), TrailingTo: period.MustMonth("2026-02"),
		MissingRevenueMonths: []period.Month{period.MustMonth("2025-04"), period.MustMonth("2025-05")}}
	tests := []struct {
		name      string
		fields    map[string]string
		level     Level
		applicant string
	}{
		{"smaller figures written", with(exitSelfBuilt, map[string]string{"trailingRevenue": "0.01", "customers": "json:1"}), LevelSpecialMeeting, "0.01"},
		{"larger figures written", with(exitSelfBuilt, map[string]string{"trailingRevenue": "99999999.00", "customers": "json:20000000"}), LevelSpecialMeeting, "99999999.00"},
		{"no figures written", exitSelfBuilt, LevelSpecialMeeting, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := ValidateContent(TypeExit, body(tt.fields), facts, DefaultRules())
			if err != nil {
				t.Fatal(err)
			}
			r, err := Route(c, facts, today, DefaultRules())
			if err != nil {
				t.Fatal(err)
			}
			if r.Level != tt.level {
				t.Errorf("level %s (%s); want %s", r.Level, r.Reason, tt.level)
			}
			f := r.Figures
			if f == nil || f.TrailingRevenue != money.FromYuan(1_200_000) || f.Customers != 5 || len(f.MissingMonths) != 2 {
				t.Fatalf("figures %+v", f)
			}
			if !strings.Contains(r.Reason, "months without a revenue record count 0: 2025-04, 2025-05") {
				t.Errorf("reason does not name the missing months: %s", r.Reason)
			}
			got := ""
			if f.ApplicantTrailingRevenue != nil {
				got = f.ApplicantTrailingRevenue.String()
			}
			if got != tt.applicant {
				t.Errorf("applicant's revenue %q; want %q", got, tt.applicant)
			}
		})
	}
}
