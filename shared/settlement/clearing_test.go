package settlement

import (
	"testing"

	"productgov/shared/period"
)

func TestComputeAnnualClearing(t *testing.T) {
	last := func(revenue, fee string) *YearFigures { return &YearFigures{m(revenue), m(fee)} }
	tests := []struct {
		name               string
		in                 ClearingInput
		decline            bool
		annualFee, clearQ4 string
		rule               string
	}{
		{"revenue grew", ClearingInput{ProjectID: "p", Year: 2026, AnnualRevenue: m("1200000"), Rate: rate("0.027"),
			LastYear: last("1000000", "27000"), SettledQ1toQ3: m("24000")}, false, "32400.00", "8400.00", "S-A5"},
		{"revenue fell, fee at rate not above last year's", ClearingInput{ProjectID: "p", Year: 2026, AnnualRevenue: m("900000"), Rate: rate("0.027"),
			LastYear: last("1000000", "27000"), SettledQ1toQ3: m("20000")}, false, "24300.00", "4300.00", "S-A5"},
		{"decline rule fires, Q4 negative", ClearingInput{ProjectID: "p", Year: 2026, AnnualRevenue: m("950000"), Rate: rate("0.03"),
			LastYear: last("1000000", "27000"), SettledQ1toQ3: m("26000")}, true, "25650.00", "-350.00", "S§16"},
		{"decline rule rounds once", ClearingInput{ProjectID: "p", Year: 2026, AnnualRevenue: m("200000.01"), Rate: rate("0.06"),
			LastYear: last("300000", "10000"), SettledQ1toQ3: m("5000")}, true, "6666.67", "1666.67", "S§16"},
		{"fee at rate equal to last year's", ClearingInput{ProjectID: "p", Year: 2026, AnnualRevenue: m("900000"), Rate: rate("0.03"),
			LastYear: last("1000000", "27000"), SettledQ1toQ3: 0}, false, "27000.00", "27000.00", "S-A5"},
		{"revenue unchanged", ClearingInput{ProjectID: "p", Year: 2026, AnnualRevenue: m("1000000"), Rate: rate("0.03"),
			LastYear: last("1000000", "27000"), SettledQ1toQ3: 0}, false, "30000.00", "30000.00", "S-A5"},
		{"first year", ClearingInput{ProjectID: "p", Year: 2026, AnnualRevenue: m("500000"), Rate: rate("0.027"),
			SettledQ1toQ3: m("10000")}, false, "13500.00", "3500.00", "S-A5"},
	}
	for _, tt := range tests {
		c, err := ComputeAnnualClearing(tt.in)
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		if c.DeclineRule != tt.decline || c.AnnualFee.String() != tt.annualFee || c.Q4Clearing.String() != tt.clearQ4 || c.Rule != tt.rule || c.Reason == "" {
			t.Errorf("%s: %+v", tt.name, c)
		}
	}
}

func TestAnnualClearingWorkloadBelowMinimum(t *testing.T) {
	in := ClearingInput{ProjectID: "p", Year: 2026, AnnualRevenue: m("500000"), Rate: rate("0.027"),
		SettledQ1toQ3: m("10000"), Q4Workload: qty("4.99"), MinWorkload: qty("5")}
	c, err := ComputeAnnualClearing(in)
	if err != nil || c.Q4Clearing != 0 || len(c.Flags) != 1 || c.Flags[0] != FlagWorkloadBelowMinimum {
		t.Errorf("positive clearing: %+v, %v", c, err)
	}
	in.SettledQ1toQ3 = m("14000")
	c, err = ComputeAnnualClearing(in)
	if err != nil || c.Q4Clearing.String() != "-500.00" || len(c.Flags) != 1 {
		t.Errorf("negative clearing: %+v, %v", c, err)
	}
}

func TestAnnualClearingValidation(t *testing.T) {
	_, err := ComputeAnnualClearing(ClearingInput{AnnualRevenue: m("-1"), LastYear: &YearFigures{m("-1"), m("-1")}, SettledQ1toQ3: m("-1")})
	want := []string{"projectId", "year", "annualRevenue", "rate", "lastYear.revenue", "lastYear.fee", "settledQ1toQ3"}
	fe, ok := err.(FieldErrors)
	if !ok || len(fe) != len(want) {
		t.Fatalf("err = %v", err)
	}
	for _, f := range want {
		if fe[f] == "" {
			t.Errorf("no error for %s", f)
		}
	}
}

func TestClearingYear(t *testing.T) {
	r := DefaultRules()
	if y, ok := ClearingYear(period.MustMonth("2027-01"), r); !ok || y != 2026 {
		t.Errorf("January: %d %v", y, ok)
	}
	if _, ok := ClearingYear(period.MustMonth("2027-02"), r); ok {
		t.Error("February clears")
	}
}
