package partner

import (
	"testing"

	"productgov/shared/money"
	"productgov/shared/period"
)

func TestAssessPenalty(t *testing.T) {
	r := DefaultRules().Penalties
	q := period.MustQuarter("2026-Q2")
	m := money.MustParse
	tests := []struct {
		name     string
		p        Penalty
		badField string
		total    string
		rule     string
	}{
		{"complaint at minimum", Penalty{FineMajorComplaint, m("5000"), 0, q, "越级投诉"}, "", "5000.00", "S§19.1"},
		{"complaint at maximum", Penalty{FineMajorComplaint, m("20000"), 0, q, "群体性投诉"}, "", "20000.00", "S§19.1"},
		{"complaint one fen below", Penalty{FineMajorComplaint, m("4999.99"), 0, q, "x"}, "amount", "", ""},
		{"complaint one fen above", Penalty{FineMajorComplaint, m("20000.01"), 0, q, "x"}, "amount", "", ""},
		{"leak at bounds", Penalty{FineConfidentialityLeak, m("10000"), 0, q, "x"}, "", "10000.00", "S§19.2"},
		{"leak above", Penalty{FineConfidentialityLeak, m("30000.01"), 0, q, "x"}, "amount", "", ""},
		{"leak below", Penalty{FineConfidentialityLeak, m("9999.99"), 0, q, "x"}, "amount", "", ""},
		{"loss with the loss itself", Penalty{FineEconomicLoss, m("100000"), m("250000.50"), q, "x"}, "", "350000.50", "S§19.3"},
		{"loss fine below", Penalty{FineEconomicLoss, m("29999.99"), 0, q, "x"}, "amount", "", ""},
		{"loss fine above", Penalty{FineEconomicLoss, m("100000.01"), 0, q, "x"}, "amount", "", ""},
		{"negative loss", Penalty{FineEconomicLoss, m("30000"), m("-1"), q, "x"}, "loss", "", ""},
		{"warning", Penalty{FineWarning, 0, 0, q, "late report"}, "", "0.00", "S§19"},
		{"warning with an amount", Penalty{FineWarning, m("100"), 0, q, "x"}, "amount", "", ""},
		{"loss on a complaint", Penalty{FineMajorComplaint, m("5000"), m("1"), q, "x"}, "loss", "", ""},
		{"unknown category", Penalty{"rudeness", m("5000"), 0, q, "x"}, "category", "", ""},
		{"no quarter", Penalty{FineMajorComplaint, m("5000"), 0, period.Quarter{}, "x"}, "quarter", "", ""},
		{"no reason", Penalty{FineMajorComplaint, m("5000"), 0, q, " "}, "reason", "", ""},
	}
	for _, tt := range tests {
		c, err := AssessPenalty(tt.p, r)
		if tt.badField != "" {
			fe, ok := err.(FieldErrors)
			if !ok || fe[tt.badField] == "" || len(fe) != 1 {
				t.Errorf("%s: err = %v; want an error on %s only", tt.name, err, tt.badField)
			}
			continue
		}
		if err != nil || c.Total.String() != tt.total || c.Rule != tt.rule || c.Reason == "" {
			t.Errorf("%s: %+v, %v", tt.name, c, err)
		}
	}
}

func TestAssessStaffChange(t *testing.T) {
	r := DefaultRules().Penalties
	d := period.MustDate
	var none period.Date
	tests := []struct {
		name      string
		c         StaffChange
		penalised bool
	}{
		{"one day before two years", StaffChange{"张三", d("2024-03-01"), d("2026-02-28"), false, d("2025-06-01")}, true},
		{"at two years with three months' notice", StaffChange{"张三", d("2024-03-01"), d("2026-03-01"), false, d("2025-12-01")}, false},
		{"at two years, notice one day short", StaffChange{"张三", d("2024-03-01"), d("2026-03-01"), false, d("2025-12-02")}, true},
		{"after two years without notice", StaffChange{"张三", d("2020-01-01"), d("2026-03-01"), false, none}, true},
		{"within two years at company request", StaffChange{"张三", d("2025-01-01"), d("2025-02-01"), true, none}, false},
	}
	for _, tt := range tests {
		got, err := AssessStaffChange(tt.c, r)
		if err != nil || got.Penalised != tt.penalised || got.Rule != "S§21" || got.Reason == "" {
			t.Errorf("%s: %+v, %v", tt.name, got, err)
			continue
		}
		if tt.penalised && (got.Charge != money.FromYuan(20_000) || got.Points != Points(3)) {
			t.Errorf("%s: charge %s points %s", tt.name, got.Charge, got.Points)
		}
		if !tt.penalised && (got.Charge != 0 || got.Points != (Score{})) {
			t.Errorf("%s: free change charged %+v", tt.name, got)
		}
	}
	_, err := AssessStaffChange(StaffChange{JoinedOn: d("2026-01-01"), ChangedOn: d("2025-01-01"), NoticeOn: d("2025-02-01")}, r)
	if fe, ok := err.(FieldErrors); !ok || len(fe) != 3 {
		t.Errorf("validation: %v", err)
	}
}
