package settlement

import (
	"testing"

	"productgov/shared/period"
)

func TestRevenueAccrual(t *testing.T) {
	a, err := RevenueAccrual("p1", period.MustMonth("2026-01"), m("300000"), rate("0.027"))
	if err != nil || a.Amount.String() != "8100.00" || a.Rule != "S§17" || a.Reason == "" {
		t.Errorf("%+v, %v", a, err)
	}
	if _, err := RevenueAccrual("", period.Month{}, m("-1"), rate("1")); err == nil || len(err.(FieldErrors)) != 4 {
		t.Errorf("validation: %v", err)
	}
}

func TestGuaranteeAccrualSumsToPlannedBase(t *testing.T) {
	tests := []struct {
		name   string
		plan   []PlannedItem
		months [3]string
	}{
		{"10 × 1000", []PlannedItem{{"业务运营", qty("10"), m("1000")}}, [3]string{"3333.33", "3333.33", "3333.34"}},
		{"2.5 × 33.33", []PlannedItem{{"页面设计", qty("2.5"), m("33.33")}}, [3]string{"27.78", "27.78", "27.77"}},
	}
	for _, tt := range tests {
		for i, month := range period.MustQuarter("2026-Q2").Months() {
			a, err := GuaranteeAccrual("p1", month, tt.plan)
			if err != nil || a.Amount.String() != tt.months[i] {
				t.Errorf("%s %s: %+v, %v; want %s", tt.name, month, a, err, tt.months[i])
			}
		}
	}
	if _, err := GuaranteeAccrual("p1", period.MustMonth("2026-04"), []PlannedItem{{"", qty("-1"), 0}}); err == nil || len(err.(FieldErrors)) != 3 {
		t.Errorf("validation: %v", err)
	}
}

func TestReverseAccruals(t *testing.T) {
	q := period.MustQuarter("2026-Q1")
	accruals := []Accrual{
		{ProjectID: "p1", Month: period.MustMonth("2026-01"), Amount: m("8100")},
		{ProjectID: "p1", Month: period.MustMonth("2026-02"), Amount: m("7000.50")},
		{ProjectID: "p1", Month: period.MustMonth("2026-03"), Amount: m("9000")},
	}
	rev, err := ReverseAccruals(q, accruals)
	if err != nil {
		t.Fatal(err)
	}
	if rev.Total.String() != "-24100.50" || len(rev.Entries) != 3 || rev.Entries[1].Amount.String() != "-7000.50" || rev.Rule != "S§17" {
		t.Errorf("%+v", rev)
	}
	bad := append(accruals, Accrual{ProjectID: "p1", Month: period.MustMonth("2026-04")}, accruals[0])
	_, err = ReverseAccruals(q, bad)
	if fe, ok := err.(FieldErrors); !ok || fe["accruals[3].month"] == "" || fe["accruals[4].month"] == "" {
		t.Errorf("err = %v", err)
	}
}
