package decision

import (
	"testing"
	"time"

	"productgov/shared/period"
)

// mayDay2026 is the 2026 Labour Day holiday: 1–5 May off, Saturday 9 May worked.
var mayDay2026 = period.Calendar{
	Holidays: map[period.Date]bool{
		period.MustDate("2026-05-01"): true, period.MustDate("2026-05-04"): true, period.MustDate("2026-05-05"): true,
	},
	WorkingDays: map[period.Date]bool{period.MustDate("2026-05-09"): true},
}

func at(s string) time.Time {
	t, err := time.ParseInLocation("2006-01-02 15:04", s, period.Shanghai)
	if err != nil {
		panic(err)
	}
	return t
}

func TestReminderAt(t *testing.T) {
	tests := []struct {
		name    string
		started string
		cal     period.Calendar
		want    string
	}{
		{"Monday → Wednesday", "2026-03-02 09:30", period.Calendar{}, "2026-03-04 09:30"},
		{"Thursday → Monday over the weekend", "2026-03-05 10:00", period.Calendar{}, "2026-03-09 10:00"},
		{"Saturday start counts from Monday", "2026-03-07 20:00", period.Calendar{}, "2026-03-10 20:00"},
		{"over Labour Day", "2026-04-30 16:00", mayDay2026, "2026-05-07 16:00"},
	}
	for _, tt := range tests {
		m := ReminderAt(at(tt.started), tt.cal, DefaultRules())
		if !m.At.Equal(at(tt.want)) || m.Rule != "SPEC 2.4" || m.Reason == "" {
			t.Errorf("%s: ReminderAt = %v (%s); want %s", tt.name, m.At, m.Reason, tt.want)
		}
	}
}

func TestExpiry(t *testing.T) {
	started := at("2026-03-05 10:00")
	if m := StepExpiresAt(started, DefaultRules()); !m.At.Equal(at("2026-03-12 10:00")) || m.Rule != "SPEC 2.4" {
		t.Errorf("StepExpiresAt = %+v", m)
	}
	if m := LinkExpiresAt(started, DefaultRules()); !m.At.Equal(at("2026-03-12 10:00")) || m.Reason == "" {
		t.Errorf("LinkExpiresAt = %+v", m)
	}
}

func TestConstructionPlanDue(t *testing.T) {
	tests := []struct {
		name     string
		approved string
		cal      period.Calendar
		due      string
	}{
		{"two plain weeks", "2026-03-06", period.Calendar{}, "2026-03-20"},
		{"without holidays", "2026-04-30", period.Calendar{}, "2026-05-14"},
		{"over Labour Day with the make-up Saturday", "2026-04-30", mayDay2026, "2026-05-18"},
	}
	for _, tt := range tests {
		d := ConstructionPlanDue(period.MustDate(tt.approved), tt.cal, DefaultRules())
		if d.Date.String() != tt.due || d.Rule != "P§11" || d.Reason == "" {
			t.Errorf("%s: ConstructionPlanDue = %+v; want %s", tt.name, d, tt.due)
		}
		if d.OverdueOn(period.MustDate(tt.due)) || !d.OverdueOn(period.MustDate(tt.due).AddDays(1)) {
			t.Errorf("%s: overdue only after %s", tt.name, tt.due)
		}
	}
}

func TestTrialUseEnds(t *testing.T) {
	tests := []struct{ started, ends string }{
		{"2026-01-15", "2026-04-15"},
		{"2025-11-30", "2026-02-28"},
	}
	for _, tt := range tests {
		d := TrialUseEnds(period.MustDate(tt.started), DefaultRules())
		if d.Date.String() != tt.ends || d.Rule != "P§17(一)" {
			t.Errorf("TrialUseEnds(%s) = %+v; want %s", tt.started, d, tt.ends)
		}
		if d.OverdueOn(d.Date) || !d.OverdueOn(d.Date.AddDays(1)) {
			t.Errorf("TrialUseEnds(%s): in time on the last day, overdue the day after", tt.started)
		}
	}
}
