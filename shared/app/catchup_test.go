package app

import (
	"testing"
	"time"

	"productgov/shared/period"
	"productgov/shared/policy"
	"productgov/shared/product"
)

// SPEC 3 "Missing months": a catch-up reaches back to the first assessed
// month; a product registered with a phase counts from its registration month.
func TestFirstAssessedMonth(t *testing.T) {
	d := func(s string) *period.Date { v := period.MustDate(s); return &v }
	m := func(s string) *period.Month { v := period.MustMonth(s); return &v }
	created := time.Date(2026, 5, 20, 10, 0, 0, 0, period.Shanghai)
	tests := []struct {
		name string
		p    product.Product
		want string // "" when it cannot be told
	}{
		{"notice on the 1st", product.Product{Level: product.LevelCity, NoticeDate: d("2025-01-01"), CreatedAt: created}, "2025-04"},
		{"notice mid-month", product.Product{Level: product.LevelCity, NoticeDate: d("2026-03-15"), CreatedAt: created}, "2026-07"},
		{"exemption extended", product.Product{Level: product.LevelProvince, NoticeDate: d("2025-01-01"), ExemptUntil: m("2025-08"), CreatedAt: created}, "2025-09"},
		{"registered with a phase", product.Product{Level: product.LevelCity, NoticeDate: d("2020-01-01"), InitialPhase: product.Phase("warning"), CreatedAt: created}, "2026-05"},
		{"registered with a phase before its exemption ends", product.Product{Level: product.LevelCity, NoticeDate: d("2026-05-01"), InitialPhase: product.Phase("assessment"), CreatedAt: created}, "2026-08"},
		{"hq", product.Product{Level: product.LevelHQ, NoticeDate: d("2025-01-01")}, ""},
		{"no notice date", product.Product{Level: product.LevelCity}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := firstAssessedMonth(tt.p, policy.Default())
			if tt.want == "" {
				if ok {
					t.Fatalf("got %s, want none", got)
				}
				return
			}
			if !ok || got.String() != tt.want {
				t.Fatalf("got %s %v, want %s", got, ok, tt.want)
			}
		})
	}
}
