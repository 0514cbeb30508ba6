package settlement

import (
	"regexp"
	"strings"
	"testing"

	"productgov/shared/money"
	"productgov/shared/reason"
)

// A statement's reasons are catalog codes and read in Chinese with the
// article (issue 12).
func TestStatementReasonsInChinese(t *testing.T) {
	latin := regexp.MustCompile(`[A-Za-z]{2,}`)
	tests := []struct {
		name  string
		s     Statement
		wants []string
	}{
		{"revenue", Statement{Mode: "revenue", Fee: 810000, QuarterInput: &QuarterInput{Revenue: 30000000, Rate: mustRate("0.027"), Workload: 120, MinWorkload: 100}},
			[]string{"季度收入¥300,000.00×支撑贡献率2.7%=支撑费用¥8,100.00（S§16）"}},
		{"held", Statement{Mode: "revenue", Flags: []string{FlagWorkloadBelowMinimum}, QuarterInput: &QuarterInput{Workload: 90, MinWorkload: 100}},
			[]string{"低于合同最低工作量", "S§15"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rs := append(feeReasons(tt.s), ledgerReason(DeductionResult{Deductions: 2000000, FromFee: 810000, FromDeposit: 1190000, Payable: 0}))
			for _, r := range rs {
				if _, ok := reason.Templates[r.Code]; !ok {
					t.Errorf("code %q not in the catalog", r.Code)
				}
			}
			text := reason.Join(rs)
			if w := latin.FindString(strings.ReplaceAll(text, "S§", "")); w != "" {
				t.Errorf("English %q in %s", w, text)
			}
			for _, want := range append(tt.wants, "扣减¥20,000.00", "从保证金扣¥11,900.00", "S§19–S§21") {
				if !strings.Contains(text, want) {
					t.Errorf("%s lacks %q", text, want)
				}
			}
		})
	}
}

func mustRate(s string) money.Rate {
	r, err := money.ParseRate(s)
	if err != nil {
		panic(err)
	}
	return r
}
