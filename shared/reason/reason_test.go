package reason

import "testing"

func TestFormat(t *testing.T) {
	tests := []struct {
		kind     Kind
		in, want string
	}{
		{KindMoney, "1234567.89", "¥1,234,567.89"},
		{KindMoney, "120000", "¥120,000.00"},
		{KindMoney, "-5.5", "-¥5.50"},
		{KindMoney, "0.07", "¥0.07"},
		{KindMoney, "abc", "abc"},
		{KindMonth, "2026-11", "2026年11月"},
		{KindMonth, "2026-01", "2026年1月"},
		{KindMonth, "2026-13", "2026-13"},
		{KindMonths, "2026-08,2026-09", "2026年8月、2026年9月"},
		{KindDate, "2026-09-01", "2026年9月1日"},
		{KindPhase, "warning", "预警期"},
		{KindStage, "trial_commercial", "试商用"},
		{KindLevel, "city", "市级"},
		{KindType, "demand", "需求立项"},
		{KindText, "x", "x"},
		{KindRate, "0.027", "2.7%"},
		{KindRate, "1", "100%"},
		{KindRate, "0.5", "50%"},
		{KindRate, "0.00125", "0.125%"},
	}
	for _, tt := range tests {
		if got := Format(tt.kind, tt.in); got != tt.want {
			t.Errorf("Format(%s, %q) = %q, want %q", tt.kind, tt.in, got, tt.want)
		}
	}
}

func TestText(t *testing.T) {
	tests := []struct {
		r    Reason
		want string
	}{
		{New("revenue_average_fail", "from", "2026-07", "to", "2026-09", "average", "50000.00", "level", "city", "threshold", "80000.00"),
			"2026年7月至2026年9月月均收入¥50,000.00，低于市级产品门槛¥80,000.00（P§19(一)）"},
		{New("phase_change", "phaseFrom", "assessment", "phaseTo", "warning"), "运营阶段由考核期调整为预警期（P§19）"},
		{New("decision_moved", "type", "demand", "stageFrom", "demand", "stageTo", "planning", "rule", "P§10"),
			"需求立项决策经审批通过，产品由需求进入规划（P§10）"},
		{New("no_such_code", "a", "1"), "no_such_code a=1"},
	}
	for _, tt := range tests {
		if got := Text(tt.r); got != tt.want {
			t.Errorf("Text(%v) = %q, want %q", tt.r, got, tt.want)
		}
	}
}
