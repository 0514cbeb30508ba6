package app

import (
	"testing"
	"time"

	"productgov/shared/period"
	"productgov/shared/problem"
)

// A scheduled job settles the period before its time in Shanghai; an
// on-demand one the period given (S§15, S§17, P§20).
func TestSettlementPeriod(t *testing.T) {
	// 2027-01-01 23:30 UTC is already 2 January in Shanghai.
	at := time.Date(2027, 1, 1, 23, 30, 0, 0, time.UTC)
	tests := []struct {
		job, given   string
		kind, want   string
		invalidField string
	}{
		{JobQuarter, "", runKindSettlement, "2026-Q4", ""},
		{JobQuarter, "2026-Q2", runKindSettlement, "2026-Q2", ""},
		{JobClearing, "", runKindSettlement, "2026-Q4", ""},
		{JobClearing, "2025", runKindSettlement, "2025-Q4", ""},
		{JobAccrual, "", runKindAccrual, "2026-12", ""},
		{JobSI, "", runKindSI, "2026-12", ""},
		{JobSI, "2026-05", runKindSI, "2026-05", ""},
		{JobSI, "2026-13", "", "", "month"},
		{JobClearing, "26", "", "", "year"},
		{"weekly", "", "", "", "job"},
	}
	for _, tt := range tests {
		kind, p, err := settlementPeriod(tt.job, tt.given, at)
		if tt.invalidField != "" {
			if problem.CodeOf(err) != problem.CodeInvalid || problem.As(err).Fields[tt.invalidField] == "" {
				t.Errorf("%s %q: %v, want invalid %s", tt.job, tt.given, err, tt.invalidField)
			}
			continue
		}
		if err != nil || kind != tt.kind || p != tt.want {
			t.Errorf("%s %q: %s %s %v, want %s %s", tt.job, tt.given, kind, p, err, tt.kind, tt.want)
		}
	}
	if d := periodLastDay(runKindSI, "2026-02"); d != period.MustDate("2026-02-28") {
		t.Errorf("the SI month's last day %s", d)
	}
}
