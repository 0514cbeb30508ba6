package settlement

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"productgov/shared/partner"
	"productgov/shared/period"
)

func TestSettleQuarterRevenue(t *testing.T) {
	in := QuarterInput{ProjectID: "sp-1", Quarter: period.MustQuarter("2026-Q1"), BenefitType: partner.BenefitDirect,
		Revenue: m("1000000"), Rate: rate("0.027"), Workload: qty("12"), MinWorkload: qty("10"),
		Ledger: DeductionInput{Deductions: []Deduction{{Kind: DeductionPenalty, Amount: m("5000")}}, DepositBalance: m("300000")}}
	s, err := SettleQuarter(in, DefaultRules())
	if err != nil {
		t.Fatal(err)
	}
	if s.Mode != partner.ModeRevenue || s.Revenue.String() != "1000000.00" || s.Rate.String() != "0.027" || s.Base != nil || s.Share != nil ||
		s.Fee.String() != "27000.00" || s.Deductions.String() != "5000.00" || s.FromDeposit != 0 || s.Payable.String() != "22000.00" ||
		s.Status != StatusDraft || s.Kind != KindQuarterly || s.Rule != "S§16" || s.QuarterInput == nil || s.Reason == "" {
		t.Errorf("%+v", s)
	}
	b, _ := json.Marshal(s)
	for _, key := range []string{"projectId", "mode", "revenue", "rate", "base", "share", "fee", "deductions", "fromDeposit", "payable", "status"} {
		if !strings.Contains(string(b), `"`+key+`":`) {
			t.Errorf("JSON lacks %s: %s", key, b)
		}
	}
	if !strings.Contains(string(b), `"fee":"27000.00"`) || !strings.Contains(string(b), `"rate":"0.027"`) {
		t.Errorf("JSON %s", b)
	}
}

func TestSettleQuarterRevenueQ4IsRefused(t *testing.T) {
	in := QuarterInput{ProjectID: "sp-1", Quarter: period.MustQuarter("2026-Q4"), BenefitType: partner.BenefitIndirect, Rate: rate("0.05")}
	_, err := SettleQuarter(in, DefaultRules())
	var refusal Refusal
	if !errors.As(err, &refusal) || refusal.Rule != "S§17" {
		t.Errorf("err = %v", err)
	}
}

func TestSettleQuarterGuarantee(t *testing.T) {
	in := QuarterInput{ProjectID: "sp-2", Quarter: period.MustQuarter("2026-Q4"), BenefitType: partner.BenefitGuarantee,
		Items:  []GuaranteeItem{{Name: "内容审核", Workload: qty("10"), UnitPrice: m("1000"), Score: pts("84")}},
		Ledger: DeductionInput{Deductions: []Deduction{{Kind: DeductionStaffChange, Amount: m("20000")}}, DepositBalance: m("300000")}}
	s, err := SettleQuarter(in, DefaultRules())
	if err != nil {
		t.Fatal(err)
	}
	if s.Mode != partner.ModeGuarantee || s.Base.String() != "10000.00" || s.Share.String() != "0.98" || s.Fee.String() != "9800.00" ||
		s.FromFee.String() != "9800.00" || s.FromDeposit.String() != "10200.00" || s.Payable != 0 || s.Revenue != nil || len(s.Items) != 1 {
		t.Errorf("%+v", s)
	}
}

func TestSettleQuarterValidation(t *testing.T) {
	_, err := SettleQuarter(QuarterInput{BenefitType: "charity"}, DefaultRules())
	if fe, ok := err.(FieldErrors); !ok || len(fe) != 3 {
		t.Errorf("err = %v", err)
	}
	_, err = SettleQuarter(QuarterInput{ProjectID: "p", Quarter: period.MustQuarter("2026-Q1"), BenefitType: partner.BenefitDirect,
		Rate: rate("0.027"), Ledger: DeductionInput{DepositBalance: m("-1")}}, DefaultRules())
	if fe, ok := err.(FieldErrors); !ok || fe["ledger.depositBalance"] == "" {
		t.Errorf("err = %v", err)
	}
}

func TestSettleAnnualClearingNegative(t *testing.T) {
	in := ClearingInput{ProjectID: "sp-1", Year: 2026, AnnualRevenue: m("950000"), Rate: rate("0.03"),
		LastYear: &YearFigures{m("1000000"), m("27000")}, SettledQ1toQ3: m("26000"),
		Ledger: DeductionInput{DepositBalance: m("300000")}}
	s, err := SettleAnnualClearing(in)
	if err != nil {
		t.Fatal(err)
	}
	if s.Kind != KindAnnualClearing || s.Quarter.String() != "2026-Q4" || s.Fee.String() != "-350.00" || s.Payable != 0 ||
		s.FromDeposit != 0 || s.CarriedForward.String() != "350.00" || s.Ledger.CarriedRecovery.String() != "350.00" ||
		s.Clearing == nil || !s.Clearing.DeclineRule || s.Rule != "S§16" {
		t.Errorf("%+v", s)
	}
	// The next quarter's payment recovers it.
	next, err := SettleQuarter(QuarterInput{ProjectID: "sp-1", Quarter: period.MustQuarter("2027-Q1"), BenefitType: partner.BenefitDirect,
		Revenue: m("100000"), Rate: rate("0.03"), Ledger: DeductionInput{CarriedRecovery: s.Ledger.CarriedRecovery}}, DefaultRules())
	if err != nil || next.Fee.String() != "3000.00" || next.FromFee.String() != "350.00" || next.Payable.String() != "2650.00" {
		t.Errorf("next quarter: %+v, %v", next, err)
	}
}

func TestAdvanceStatement(t *testing.T) {
	r := DefaultRules()
	tests := []struct {
		status, role, decision, want string
		refused                      bool
	}{
		{StatusDraft, "marketing", DecisionApprove, StatusRevenueConfirmed, false},
		{StatusDraft, "marketing", DecisionReturn, StatusReturned, false},
		{StatusDraft, "finance", DecisionApprove, "", true},
		{StatusRevenueConfirmed, "finance", DecisionApprove, StatusApproved, false},
		{StatusRevenueConfirmed, "finance", DecisionReturn, StatusReturned, false},
		{StatusRevenueConfirmed, "marketing", DecisionApprove, "", true},
		{StatusApproved, "finance", DecisionApprove, "", true},
	}
	for _, tt := range tests {
		got, err := AdvanceStatement(tt.status, tt.role, tt.decision, r)
		var refusal Refusal
		if tt.refused != errors.As(err, &refusal) || got != tt.want {
			t.Errorf("%s by %s %s: %q, %v", tt.status, tt.role, tt.decision, got, err)
		}
	}
	if _, err := AdvanceStatement(StatusDraft, "marketing", "maybe", r); err == nil {
		t.Error("unknown decision accepted")
	}
	p := StatementApprovalPlan(r)
	if len(p.Stages) != 2 || p.Stages[0].Roles[0] != "marketing" || p.Stages[1].Roles[0] != "finance" {
		t.Errorf("plan %+v", p)
	}
}
