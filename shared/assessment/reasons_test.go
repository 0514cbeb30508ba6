package assessment

import (
	"regexp"
	"strings"
	"testing"

	"productgov/shared/period"
	"productgov/shared/reason"
)

// englishWord finds a word of the English reasons in a rendered Chinese
// reason (the article "P§19(一)" is not a word).
var englishWord = regexp.MustCompile(`[A-Za-z]{2,}`)

// Every result carries machine-readable reasons whose codes are in the one
// zh-CN catalog, and renders them in Chinese citing the article.
func TestReasonsRenderInChinese(t *testing.T) {
	rules := DefaultRules()
	failing := cooperativeInput()
	failing.Revenue = revenueFrom("2026-05", "100.00", "100.00", "100.00")
	failing.QualityScore = scorePtr("10")
	failing.QualityFailMonths = []period.Month{month("2026-06")}
	failing.QualityTrack = PhaseWarning
	missing := cooperativeInput()
	missing.Revenue = nil
	missing.QualityScore = nil
	hq := cooperativeInput()
	hq.Product.Level = LevelHQ
	exempt := cooperativeInput()
	exempt.Product.NoticeDate = datePtr("2026-06-10")
	fresh := selfBuiltInput()
	fresh.RevenueTrack = PhaseNone
	tests := []struct {
		name  string
		in    Input
		wants []string
	}{
		{"pass", cooperativeInput(), []string{"月均收入¥120,000.00", "P§19(一)", "质量得分80.00分", "运营阶段保持考核期"}},
		{"fail to exit", failing, []string{"低于", "P§19(二)", "退出期"}},
		{"missing", missing, []string{"2026年7月", "缺少"}},
		{"hq", hq, []string{"总部全网产品", "P§19(三)"}},
		{"exempt", exempt, []string{"免考核", "2026年6月10日"}},
		{"fresh", fresh, []string{"免考核期结束"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := mustAssess(t, tt.in, rules)
			if len(res.Reasons) == 0 {
				t.Fatalf("no reasons: %+v", res)
			}
			for _, r := range res.Reasons {
				if _, ok := reason.Templates[r.Code]; !ok {
					t.Errorf("code %q is not in the catalog", r.Code)
				}
			}
			for _, tr := range res.Transitions {
				if _, ok := reason.Templates[tr.Cause.Code]; !ok {
					t.Errorf("transition cause %q is not in the catalog", tr.Cause.Code)
				}
			}
			text := reason.Join(res.Reasons)
			if w := englishWord.FindString(strings.ReplaceAll(text, "P§", "")); w != "" {
				t.Errorf("English %q in %s", w, text)
			}
			for _, want := range tt.wants {
				if !strings.Contains(text, want) {
					t.Errorf("%q lacks %q", text, want)
				}
			}
		})
	}
}

// The P§18 check explains itself with catalog codes, in Chinese.
func TestEligibilityCauseInChinese(t *testing.T) {
	rules := DefaultRules()
	since := period.MustDate("2023-01-10")
	low := revenueFrom("2025-07", "10000.00", "10000.00", "10000.00", "10000.00", "10000.00", "10000.00",
		"10000.00", "10000.00", "10000.00", "10000.00", "10000.00", "10000.00")
	tests := []struct {
		name string
		in   EligibilityInput
		want string
	}{
		{"ineligible", EligibilityInput{Stage: StageTrialCommercial, TrialCommercialSince: &since, AsOf: period.MustDate("2026-06-30"), Revenue: low},
			"自2023年1月10日起试商用已超过24个月，2025年7月至2026年6月收入合计¥120,000.00，低于¥1,200,000.00，原则上不再商用（P§18）"},
		{"not yet", EligibilityInput{Stage: StageTrialCommercial, TrialCommercialSince: &since, AsOf: period.MustDate("2024-06-30")},
			"自2023年1月10日起试商用，至2025年1月10日未超过24个月，暂不判断商用资格（P§18）"},
		{"stage", EligibilityInput{Stage: StageCommercial, AsOf: period.MustDate("2024-06-30")}, "产品处于商用阶段"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := reason.Text(CommercialEligibility(tt.in, rules).Cause); !strings.Contains(got, tt.want) {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}
