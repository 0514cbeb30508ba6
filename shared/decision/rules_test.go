package decision

import (
	"encoding/json"
	"errors"
	"reflect"
	"testing"

	"productgov/shared/money"
)

func TestDefaultRulesValidAndSerialisable(t *testing.T) {
	rules := DefaultRules()
	if err := rules.Validate(); err != nil {
		t.Fatalf("DefaultRules invalid: %v", err)
	}
	b, err := json.Marshal(rules)
	if err != nil {
		t.Fatal(err)
	}
	var back Rules
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(back, rules) {
		t.Errorf("JSON round trip changed the rules:\n%s", b)
	}
	// Amounts are written as decimal strings in the policy document.
	var doc struct {
		Content struct {
			CommercialMinAnnualRevenue string `json:"commercialMinAnnualRevenue"`
		} `json:"content"`
	}
	if err := json.Unmarshal(b, &doc); err != nil || doc.Content.CommercialMinAnnualRevenue != "1200000.00" {
		t.Errorf("commercialMinAnnualRevenue = %q, %v", doc.Content.CommercialMinAnnualRevenue, err)
	}
}

func TestDefaultRulesFigures(t *testing.T) {
	r := DefaultRules()
	checks := []struct {
		name      string
		got, want any
	}{
		{"minEstimateMonths (P§7(一)4)", r.Content.MinEstimateMonths, 24},
		{"minRevenueShareMonths (P§7(一)5)", r.Content.MinRevenueShareMonths, 12},
		{"commercialMinAnnualRevenue (P§18)", r.Content.CommercialMinAnnualRevenue, money.FromYuan(1_200_000)},
		{"groupMinVoters (P§8(一))", r.Review.GroupMinVoters, 5},
		{"crossDepartmentMinVoters (P§8(二))", r.Review.CrossDepartmentMinVoters, 5},
		{"groupDepartments (P§8(一))", r.Review.GroupDepartments, []string{"集团客户部", "政企客户中心", "系统集成"}},
		{"defaultCountersigners (SPEC 2.3)", r.Approval.DefaultCountersigners, []string{"finance"}},
		{"reminderWorkingDays (SPEC 2.4)", r.Timing.ReminderWorkingDays, 2},
		{"linkExpiryDays (SPEC 2.4)", r.Timing.LinkExpiryDays, 7},
		{"stepExpiryDays (SPEC 2.4)", r.Timing.StepExpiryDays, 7},
		{"constructionPlanWorkingDays (P§11)", r.Timing.ConstructionPlanWorkingDays, 10},
		{"trialUseMaxMonths (P§17(一))", r.Timing.TrialUseMaxMonths, 3},
		{"naturalNoticeMonths (P§21(二)4)", r.Exit.NaturalNoticeMonths, 3},
		{"routing rows (SPEC 2.3)", len(r.Routing), 15},
	}
	for _, c := range checks {
		if !reflect.DeepEqual(c.got, c.want) {
			t.Errorf("%s = %v, want %v", c.name, c.got, c.want)
		}
	}
}

func TestRulesValidate(t *testing.T) {
	tests := []struct {
		name   string
		change func(*Rules)
		field  string
	}{
		{"revenue fact on a demand row", func(r *Rules) {
			r.Routing[1].AnyOf[0].Fact = FactRevenue
		}, "routing[1].anyOf[0].fact"},
		{"unknown fact", func(r *Rules) { r.Routing[9].AllOf[0].Fact = "profit" }, "routing[9].allOf[0].fact"},
		{"missing comparison", func(r *Rules) { r.Routing[10].AllOf[0].Compare = "" }, "routing[10].allOf[0].compare"},
		{"committee window of zero years", func(r *Rules) { r.Routing[9].AllOf[2].Years = 0 }, "routing[9].allOf[2].years"},
		{"unknown level", func(r *Rules) { r.Routing[0].Level = "board" }, "routing[0].level"},
		{"row without article", func(r *Rules) { r.Routing[5].Rule = "" }, "routing[5].rule"},
		{"exit types on a non-exit row", func(r *Rules) { r.Routing[0].ExitTypes = []ExitType{ExitNatural} }, "routing[0].exitTypes"},
		{"type never routed", func(r *Rules) { r.Routing = r.Routing[1:] }, "routing"},
		{"routed level without steps", func(r *Rules) { r.Approval.Levels = r.Approval.Levels[:3] }, "approval.levels"},
		{"countersign without departments", func(r *Rules) { r.Approval.DefaultCountersigners = nil }, "approval.defaultCountersigners"},
		{"zero voters", func(r *Rules) { r.Review.GroupMinVoters = 0 }, "review.groupMinVoters"},
		{"zero expiry", func(r *Rules) { r.Timing.StepExpiryDays = 0 }, "timing.stepExpiryDays"},
		{"duplicate checklist key", func(r *Rules) { r.Exit.Delisting[1].Key = "adc" }, "exit.delisting[1].key"},
		{"type without a stage move", func(r *Rules) { r.StageMoves = r.StageMoves[:7] }, "stageMoves"},
		{"stage move without stages", func(r *Rules) { r.StageMoves[0].From = nil }, "stageMoves[0].from"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := DefaultRules()
			tt.change(&r)
			var fe FieldErrors
			if err := r.Validate(); !errors.As(err, &fe) || fe[tt.field] == "" {
				t.Errorf("Validate() = %v; want an error on %s", err, tt.field)
			}
		})
	}
}

func TestKinds(t *testing.T) {
	for _, s := range []string{"demand", "demand_change", "trial_commercial", "commercial", "exit", "major_change", "promotion_plan", "basic_rules"} {
		if got, err := ParseSubmissionType(s); err != nil || string(got) != s {
			t.Errorf("ParseSubmissionType(%q) = %q, %v", s, got, err)
		}
	}
	if _, err := ParseSubmissionType("launch"); err == nil {
		t.Error("unknown type accepted")
	}
	for _, e := range []ExitType{"assessment", "pilot", "natural", "application", "breach"} {
		if !e.Valid() {
			t.Errorf("exit type %s invalid", e)
		}
	}
	for _, l := range []Level{"chengpi", "special_meeting", "committee", "gm_office", "none"} {
		if !l.Valid() {
			t.Errorf("level %s invalid", l)
		}
	}
	for _, s := range []Status{"group_review", "cross_review", "deciding", "approved", "rejected", "returned", "expired", "closed"} {
		if !s.Valid() {
			t.Errorf("status %s invalid", s)
		}
	}
	if ExitType("voluntary").Valid() || Level("board").Valid() || Status("open").Valid() || Verdict("abstain").Valid() {
		t.Error("unknown values accepted")
	}
}

func TestErrorTexts(t *testing.T) {
	fe := FieldErrors{"b": "two", "a": "one"}
	if fe.Error() != "invalid: a: one; b: two" {
		t.Errorf("FieldErrors.Error() = %q", fe.Error())
	}
	rs := Refusals{{Rule: "P§24", Reason: "related"}, {Rule: "SPEC 6", Reason: "own"}}
	if rs.Error() != "refused: related (P§24); own (SPEC 6)" {
		t.Errorf("Refusals.Error() = %q", rs.Error())
	}
}
