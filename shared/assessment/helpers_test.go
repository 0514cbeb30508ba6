package assessment

import (
	"testing"

	"productgov/shared/money"
	"productgov/shared/period"
)

func month(s string) period.Month { return period.MustMonth(s) }

func datePtr(s string) *period.Date { d := period.MustDate(s); return &d }

func monthPtr(s string) *period.Month { m := period.MustMonth(s); return &m }

func scorePtr(s string) *Score { v := MustScore(s); return &v }

// revenueFrom returns consecutive monthly figures starting at first.
func revenueFrom(first string, amounts ...string) []RevenueFigure {
	m := month(first)
	out := make([]RevenueFigure, len(amounts))
	for i, a := range amounts {
		out[i] = RevenueFigure{Month: m.Add(i), Amount: money.MustParse(a)}
	}
	return out
}

// cooperativeInput is a province cooperative product long past its exemption,
// assessed for 2026-07 with passing figures.
func cooperativeInput() Input {
	return Input{
		Month: month("2026-07"),
		Product: Product{
			ID: "P-001", Level: LevelProvince, Mode: ModeCooperative, Stage: StageCommercial,
			NoticeDate: datePtr("2025-01-10"),
		},
		RevenueTrack: PhaseAssessment,
		QualityTrack: PhaseAssessment,
		Revenue:      revenueFrom("2026-05", "120000.00", "120000.00", "120000.00"),
		QualityScore: scorePtr("80"),
	}
}

// selfBuiltInput is cooperativeInput made self-built, without a quality score.
func selfBuiltInput() Input {
	in := cooperativeInput()
	in.Product.Mode = ModeSelfBuilt
	in.QualityTrack = PhaseNone
	in.QualityScore = nil
	return in
}

func mustAssess(t *testing.T, in Input, rules Rules) Result {
	t.Helper()
	res, err := Assess(in, rules)
	if err != nil {
		t.Fatalf("Assess: %v", err)
	}
	return res
}

func boolValue(b *bool) string {
	switch {
	case b == nil:
		return "nil"
	case *b:
		return "true"
	}
	return "false"
}
