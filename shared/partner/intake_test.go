package partner

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"productgov/shared/money"
	"productgov/shared/period"
)

func ratePtr(s string) *money.Rate { r := money.MustParseRate(s); return &r }

// thresholdFacts meets every standard exactly at its threshold.
func thresholdFacts() IntakeFacts {
	return IntakeFacts{
		RegisteredCapital: money.MustParse("5000000"), NetAssets: money.MustParse("10000000"),
		AnnualRevenue: money.MustParse("10000000"), ProfitableYears: 3, DebtRatio: ratePtr("0.5"),
		Licences:  []string{"vas_telecom", "system_integration", "high_tech", "software_enterprise", "iso9001", "iso27001"},
		CMMILevel: 3, TelecomYears: 3, OpsStaff: 30, CloseSupportStaff: 10, CustomerServiceStaff: 3,
		Hotline7x24: true, SecurityStaff: 3, EmergencyProcess: true,
	}
}

var today = period.MustDate("2026-05-10")

func TestScreenEachCriterionAtAndBelowThreshold(t *testing.T) {
	r := DefaultRules().Intake
	tests := []struct {
		name      string
		change    func(*IntakeFacts)
		criterion string
		article   string
	}{
		{"registered capital one fen below", func(f *IntakeFacts) { f.RegisteredCapital = money.MustParse("4999999.99") }, "registeredCapital", "S§8.1(1)"},
		{"net assets one fen below", func(f *IntakeFacts) { f.NetAssets = money.MustParse("9999999.99") }, "netAssets", "S§8.1(1)"},
		{"annual revenue one fen below", func(f *IntakeFacts) { f.AnnualRevenue = money.MustParse("9999999.99") }, "annualRevenue", "S§8.1(1)"},
		{"two profitable years", func(f *IntakeFacts) { f.ProfitableYears = 2 }, "profitableYears", "S§8.1(1)"},
		{"debt ratio 0.50000001", func(f *IntakeFacts) { f.DebtRatio = ratePtr("0.50000001") }, "debtRatio", "S§8.1(1)"},
		{"debt ratio 0.55", func(f *IntakeFacts) { f.DebtRatio = ratePtr("0.55") }, "debtRatio", "S§8.1(1)"},
		{"no vas licence", func(f *IntakeFacts) { f.Licences = f.Licences[1:] }, "licences", "S§8.1(2)"},
		{"no iso27001", func(f *IntakeFacts) { f.Licences = f.Licences[:5] }, "licences", "S§8.5(1)"},
		{"CMMI 2", func(f *IntakeFacts) { f.CMMILevel = 2 }, "cmmiLevel", "S§8.1(2)"},
		{"credit notice", func(f *IntakeFacts) { f.CreditNotice = true }, "creditNotice", "S§8.1(4)"},
		{"two telecom years", func(f *IntakeFacts) { f.TelecomYears = 2 }, "telecomYears", "S§8.2"},
		{"29 ops staff", func(f *IntakeFacts) { f.OpsStaff = 29 }, "opsStaff", "S§8.3(1)"},
		{"9 close-support staff", func(f *IntakeFacts) { f.CloseSupportStaff = 9 }, "closeSupportStaff", "S§8.3(2)"},
		{"2 customer-service staff", func(f *IntakeFacts) { f.CustomerServiceStaff = 2 }, "customerServiceStaff", "S§8.4(1)"},
		{"no hotline", func(f *IntakeFacts) { f.Hotline7x24 = false }, "hotline7x24", "S§8.4(1)"},
		{"2 security staff", func(f *IntakeFacts) { f.SecurityStaff = 2 }, "securityStaff", "S§8.5(1)"},
		{"no emergency process", func(f *IntakeFacts) { f.EmergencyProcess = false }, "emergencyProcess", "S§8.5(2)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := thresholdFacts()
			tt.change(&f)
			s, err := Screen(f, nil, today, r)
			if err != nil {
				t.Fatal(err)
			}
			if s.Eligible || len(s.Failures) != 1 {
				t.Fatalf("got eligible=%v failures=%+v; want exactly one failure", s.Eligible, s.Failures)
			}
			got := s.Failures[0]
			if got.Criterion != tt.criterion || got.Article != tt.article || got.Reason == "" {
				t.Errorf("failure = %+v; want %s %s", got, tt.criterion, tt.article)
			}
		})
	}
}

func TestScreenAtThresholdsIsEligible(t *testing.T) {
	s, err := Screen(thresholdFacts(), nil, today, DefaultRules().Intake)
	if err != nil {
		t.Fatal(err)
	}
	if !s.Eligible || len(s.Failures) != 0 || s.Rule != "S§8" {
		t.Errorf("screening = %+v; want eligible", s)
	}
	b, _ := json.Marshal(s)
	if !strings.Contains(string(b), `"failures":[]`) {
		t.Errorf("JSON %s; want an empty failures list", b)
	}
}

func TestScreenNamesEveryFailure(t *testing.T) {
	f := IntakeFacts{DebtRatio: ratePtr("0.9"), CreditNotice: true}
	s, err := Screen(f, &Exit{Date: period.MustDate("2025-01-01"), Type: ExitAssessment}, today, DefaultRules().Intake)
	if err != nil {
		t.Fatal(err)
	}
	// 5 company figures, 6 licences, CMMI, credit, telecom, 2 team, 2 service, 2 security, re-entry = 21.
	if s.Eligible || len(s.Failures) != 21 {
		t.Fatalf("got %d failures: %+v", len(s.Failures), s.Failures)
	}
	last := s.Failures[len(s.Failures)-1]
	if last.Criterion != "reentryBan" || last.Article != "S§21" {
		t.Errorf("last failure = %+v; want the re-entry ban", last)
	}
}

func TestValidateIntakeFacts(t *testing.T) {
	f := thresholdFacts()
	f.NetAssets = money.MustParse("-1")
	f.OpsStaff = -1
	f.DebtRatio = ratePtr("1.01")
	f.Licences = []string{"vas_telecom", "iso14001", "vas_telecom"}
	f.CMMILevel = 6
	_, err := Screen(f, nil, today, DefaultRules().Intake)
	var fe FieldErrors
	if !errors.As(err, &fe) {
		t.Fatalf("err = %v; want FieldErrors", err)
	}
	for _, field := range []string{"netAssets", "opsStaff", "debtRatio", "licences[1]", "licences[2]", "cmmiLevel"} {
		if fe[field] == "" {
			t.Errorf("no error for %s in %v", field, fe)
		}
	}
	if len(fe) != 6 {
		t.Errorf("errors = %v; want 6", fe)
	}

	f = thresholdFacts()
	f.DebtRatio = nil
	if err := ValidateIntakeFacts(f); err == nil || err.(FieldErrors)["debtRatio"] == "" {
		t.Errorf("missing debt ratio: err = %v", err)
	}
	f.DebtRatio = ratePtr("1")
	if err := ValidateIntakeFacts(f); err != nil {
		t.Errorf("debt ratio 1: err = %v", err)
	}
}

func TestIntakeFactsJSON(t *testing.T) {
	in := `{"registeredCapital":"5000000","netAssets":10000000,"annualRevenue":"10000000.00","profitableYears":3,
	"debtRatio":"0.55","licences":["vas_telecom"],"cmmiLevel":3,"creditNotice":false,"telecomYears":3,"opsStaff":30,
	"closeSupportStaff":10,"customerServiceStaff":3,"hotline7x24":true,"securityStaff":3,"emergencyProcess":true}`
	var f IntakeFacts
	if err := json.Unmarshal([]byte(in), &f); err != nil {
		t.Fatal(err)
	}
	if f.DebtRatio.String() != "0.55" || f.NetAssets != money.FromYuan(10_000_000) || !f.Hotline7x24 {
		t.Errorf("decoded %+v", f)
	}
}

func TestCheckReentry(t *testing.T) {
	r := DefaultRules().Intake
	exit := period.MustDate("2023-05-10")
	tests := []struct {
		name    string
		last    *Exit
		today   string
		allowed bool
	}{
		{"never a partner", nil, "2024-01-01", true},
		{"assessment exit, one day before three years", &Exit{exit, ExitAssessment}, "2026-05-09", false},
		{"assessment exit, exactly three years", &Exit{exit, ExitAssessment}, "2026-05-10", true},
		{"assessment exit, a year later", &Exit{exit, ExitAssessment}, "2024-05-10", false},
		{"voluntary exit, next day", &Exit{exit, ExitVoluntary}, "2023-05-11", true},
		{"term-end exit", &Exit{exit, ExitTermEnd}, "2023-06-01", true},
	}
	for _, tt := range tests {
		c := CheckReentry(tt.last, period.MustDate(tt.today), r)
		if c.Allowed != tt.allowed || c.Rule != "S§21" || c.Reason == "" {
			t.Errorf("%s: %+v; want allowed=%v", tt.name, c, tt.allowed)
		}
	}
}

func TestCheckActivePartners(t *testing.T) {
	r := DefaultRules().Intake
	tests := []struct {
		active  int
		allowed bool
		warns   bool
	}{{0, true, false}, {2, true, false}, {3, true, true}, {4, true, true}, {5, false, false}, {6, false, false}}
	for _, tt := range tests {
		c := CheckActivePartners(tt.active, r)
		if c.Allowed != tt.allowed || (c.Warning != "") != tt.warns || c.Rule != "S§7" {
			t.Errorf("active %d: %+v; want allowed=%v warning=%v", tt.active, c, tt.allowed, tt.warns)
		}
	}
}

func TestAgreementTerm(t *testing.T) {
	r := DefaultRules().Intake
	tests := []struct{ start, end string }{
		{"2026-01-01", "2028-12-31"},
		{"2026-05-15", "2029-05-14"},
		{"2024-02-29", "2027-02-27"}, // no 29 Feb in 2027: clamped to the 28th, the day before
	}
	for _, tt := range tests {
		a := AgreementTerm(period.MustDate(tt.start), r)
		if a.End.String() != tt.end || a.Rule != "S§7" {
			t.Errorf("AgreementTerm(%s) = %+v; want end %s", tt.start, a, tt.end)
		}
	}
}

func TestActivate(t *testing.T) {
	rules := DefaultRules()
	passed := Screening{Eligible: true}
	start := period.MustDate("2026-06-01")
	tests := []struct {
		name     string
		in       ActivationInput
		allowed  bool
		refusals []string
		warnings int
	}{
		{"deposit exactly 300000", ActivationInput{Screening: passed, DepositBalance: money.MustParse("300000"), ActivePartners: 2, StartDate: start}, true, nil, 0},
		{"deposit one fen short", ActivationInput{Screening: passed, DepositBalance: money.MustParse("299999.99"), ActivePartners: 2, StartDate: start}, false, []string{"deposit"}, 0},
		{"screening failed", ActivationInput{Screening: Screening{}, DepositBalance: money.MustParse("300000"), ActivePartners: 0, StartDate: start}, false, []string{"screening"}, 0},
		{"fourth partner warns", ActivationInput{Screening: passed, DepositBalance: money.MustParse("300000"), ActivePartners: 3, StartDate: start}, true, nil, 1},
		{"sixth partner refused", ActivationInput{Screening: passed, DepositBalance: money.MustParse("300000"), ActivePartners: 5, StartDate: start}, false, []string{"activePartners"}, 0},
		{"everything wrong", ActivationInput{Screening: Screening{}, DepositBalance: 0, ActivePartners: 5, StartDate: start}, false, []string{"screening", "deposit", "activePartners"}, 0},
	}
	for _, tt := range tests {
		a, err := Activate(tt.in, rules)
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		var got []string
		for _, f := range a.Refusals {
			got = append(got, f.Criterion)
		}
		if a.Allowed != tt.allowed || strings.Join(got, ",") != strings.Join(tt.refusals, ",") || len(a.Warnings) != tt.warnings {
			t.Errorf("%s: %+v", tt.name, a)
		}
		if a.Allowed && (a.Agreement == nil || a.Agreement.End.String() != "2029-05-31") {
			t.Errorf("%s: agreement %+v", tt.name, a.Agreement)
		}
	}
	if _, err := Activate(ActivationInput{Screening: passed}, rules); err == nil {
		t.Error("missing start date accepted")
	}
}
