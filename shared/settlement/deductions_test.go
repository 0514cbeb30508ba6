package settlement

import (
	"testing"

	"productgov/shared/money"
)

func TestApplyDeductions(t *testing.T) {
	fine := func(amount string) Deduction {
		return Deduction{Kind: DeductionPenalty, Amount: m(amount), Rule: "S§19.1"}
	}
	staff := Deduction{Kind: DeductionStaffChange, Amount: m("20000"), Rule: "S§21"}
	tests := []struct {
		name                                          string
		fee                                           string
		in                                            DeductionInput
		fromFee, fromDeposit, carried, payable, depAf string
	}{
		{"fee covers all", "10000", DeductionInput{Deductions: []Deduction{fine("3000")}, DepositBalance: m("300000")},
			"3000.00", "0.00", "0.00", "7000.00", "300000.00"},
		{"fee exactly covers", "20000", DeductionInput{Deductions: []Deduction{staff}, DepositBalance: m("300000")},
			"20000.00", "0.00", "0.00", "0.00", "300000.00"},
		{"deposit takes the rest", "10000", DeductionInput{Deductions: []Deduction{fine("5000"), staff}, DepositBalance: m("300000")},
			"10000.00", "15000.00", "0.00", "0.00", "285000.00"},
		{"deposit one fen short", "0", DeductionInput{Deductions: []Deduction{staff}, DepositBalance: m("19999.99")},
			"0.00", "19999.99", "0.01", "0.00", "0.00"},
		{"carried charges first", "40000", DeductionInput{CarriedCharges: m("15000"), DepositBalance: 0},
			"15000.00", "0.00", "0.00", "25000.00", "0.00"},
		{"negative Q4 clearing carried, never from deposit", "-5000", DeductionInput{Deductions: []Deduction{fine("2000")}, DepositBalance: m("300000")},
			"0.00", "2000.00", "5000.00", "0.00", "298000.00"},
		{"recovery before charges", "3000", DeductionInput{Deductions: []Deduction{fine("1000")}, CarriedRecovery: m("5000"), DepositBalance: m("100")},
			"3000.00", "100.00", "2900.00", "0.00", "0.00"},
		{"recovery fully recovered", "8000", DeductionInput{CarriedRecovery: m("5000")},
			"5000.00", "0.00", "0.00", "3000.00", "0.00"},
		{"nothing", "1234.56", DeductionInput{}, "0.00", "0.00", "0.00", "1234.56", "0.00"},
	}
	for _, tt := range tests {
		r, err := ApplyDeductions(m(tt.fee), tt.in)
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		if r.FromFee.String() != tt.fromFee || r.FromDeposit.String() != tt.fromDeposit || r.CarriedForward.String() != tt.carried ||
			r.Payable.String() != tt.payable || r.DepositAfter.String() != tt.depAf || r.Rule != "S§20" || r.Reason == "" {
			t.Errorf("%s: %+v", tt.name, r)
		}
		if r.Deductions != r.FromFee+r.FromDeposit+r.CarriedForward {
			t.Errorf("%s: deductions %s ≠ fee %s + deposit %s + carried %s", tt.name, r.Deductions, r.FromFee, r.FromDeposit, r.CarriedForward)
		}
		if r.Payable != money.Max(m(tt.fee), 0)-r.FromFee || r.DepositAfter != tt.in.DepositBalance-r.FromDeposit {
			t.Errorf("%s: payable or deposit does not add up: %+v", tt.name, r)
		}
	}
}

func TestApplyDeductionsValidation(t *testing.T) {
	_, err := ApplyDeductions(0, DeductionInput{
		Deductions:     []Deduction{{Kind: "tip", Amount: m("-1")}},
		CarriedCharges: m("-1"), CarriedRecovery: m("-1"), DepositBalance: m("-1"),
	})
	if fe, ok := err.(FieldErrors); !ok || len(fe) != 5 {
		t.Errorf("err = %v; want 5 field errors", err)
	}
}
