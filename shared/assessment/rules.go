package assessment

import (
	"fmt"

	"productgov/shared/money"
)

// RevenueTest names how the revenue window is compared with the threshold.
type RevenueTest string

const (
	// RevenueAverage passes when the window's average reaches the threshold,
	// compared exactly as sum ≥ months × threshold (SPEC 3, decided reading of
	// P§19(一) "连续三个月均收入").
	RevenueAverage RevenueTest = "average"
	// RevenueEachMonth passes only when every month of the window reaches the
	// threshold: the alternative reading the policy may switch to (SPEC 3).
	RevenueEachMonth RevenueTest = "each_month"
)

// Rules holds every figure of the monthly assessment (SPEC 3, P§17–P§19, P§11)
// as policy data; the versioned policy document embeds it.
type Rules struct {
	// AssessedLevels are the product levels in scope (P§19(三): 省内省市级产品).
	AssessedLevels []Level `json:"assessedLevels"`
	// AssessedStages are the stages in scope (SPEC 3: trial_commercial, commercial).
	AssessedStages []Stage `json:"assessedStages"`
	// QualityModes are the modes that take the quality test too (P§19(三):
	// 省内合作产品考核收入及产品质量; self-built products revenue only).
	QualityModes []Mode `json:"qualityModes"`
	// ExemptCompleteMonths is how many complete calendar months after the
	// (trial) commercial notice are exempt (P§19(三): 首三个完整账单月免考核).
	ExemptCompleteMonths int `json:"exemptCompleteMonths"`

	// RevenueWindowMonths is how many months ending with M the revenue test
	// reads (P§19(一): 连续三个月).
	RevenueWindowMonths int `json:"revenueWindowMonths"`
	// RevenueTest is "average" or "each_month" (SPEC 3, decided: average).
	RevenueTest RevenueTest `json:"revenueTest"`
	// RevenueThresholds is the monthly revenue threshold per level (P§19(一):
	// province 100,000, city 50,000).
	RevenueThresholds map[Level]money.Amount `json:"revenueThresholds"`

	// QualityPassScore is the lowest passing monthly quality score (P§19(二): 60).
	QualityPassScore Score `json:"qualityPassScore"`
	// QualityExitConsecutiveFails is how many consecutive failed months send
	// the quality track to exit (P§19(二): 连续 2 次不达标).
	QualityExitConsecutiveFails int `json:"qualityExitConsecutiveFails"`
	// QualityExitFailsInWindow is how many failed months within the window
	// send the quality track to exit (P§19(二): 一年内累计 3 次不达标).
	QualityExitFailsInWindow int `json:"qualityExitFailsInWindow"`
	// QualityFailWindowMonths is the length of that window ending with M
	// (SPEC 3: M-11..M, i.e. 12 months).
	QualityFailWindowMonths int `json:"qualityFailWindowMonths"`

	// TrialCommercialMaxMonths is how long a product may stay in trial
	// commercial use before its revenue must reach the commercial minimum
	// (P§18: 自开展试商用起超过2年).
	TrialCommercialMaxMonths int `json:"trialCommercialMaxMonths"`
	// CommercialMinAnnualRevenue is the trailing 12-month revenue a product
	// needs for commercial use (P§18: 年收入不少于120万).
	CommercialMinAnnualRevenue money.Amount `json:"commercialMinAnnualRevenue"`
	// CommercialRevenueMonths is the length of the trailing revenue window (12).
	CommercialRevenueMonths int `json:"commercialRevenueMonths"`
}

// DefaultRules returns SPEC's defaults.
func DefaultRules() Rules {
	return Rules{
		AssessedLevels:              []Level{LevelProvince, LevelCity},
		AssessedStages:              []Stage{StageTrialCommercial, StageCommercial},
		QualityModes:                []Mode{ModeCooperative},
		ExemptCompleteMonths:        3,
		RevenueWindowMonths:         3,
		RevenueTest:                 RevenueAverage,
		RevenueThresholds:           map[Level]money.Amount{LevelProvince: money.FromYuan(100_000), LevelCity: money.FromYuan(50_000)},
		QualityPassScore:            Points(60),
		QualityExitConsecutiveFails: 2,
		QualityExitFailsInWindow:    3,
		QualityFailWindowMonths:     12,
		TrialCommercialMaxMonths:    24,
		CommercialMinAnnualRevenue:  money.FromYuan(1_200_000),
		CommercialRevenueMonths:     12,
	}
}

// Validate reports every unusable figure, keyed by its JSON field name.
func (r Rules) Validate() error {
	errs := FieldErrors{}
	r.collectErrors(errs, "")
	return errs.errOrNil()
}

// collectErrors adds the rules' problems to errs, each key prefixed.
func (r Rules) collectErrors(errs FieldErrors, prefix string) {
	for i, l := range r.AssessedLevels {
		if !l.valid() {
			errs[fmt.Sprintf("%sassessedLevels[%d]", prefix, i)] = fmt.Sprintf("unknown level %q", l)
			continue
		}
		if t, ok := r.RevenueThresholds[l]; !ok {
			errs[prefix+"revenueThresholds."+string(l)] = "required for every assessed level"
		} else if t <= 0 {
			errs[prefix+"revenueThresholds."+string(l)] = "must be positive"
		}
	}
	for l := range r.RevenueThresholds {
		if !l.valid() {
			errs[prefix+"revenueThresholds."+string(l)] = fmt.Sprintf("unknown level %q", l)
		}
	}
	for i, s := range r.AssessedStages {
		if !s.valid() {
			errs[fmt.Sprintf("%sassessedStages[%d]", prefix, i)] = fmt.Sprintf("unknown stage %q", s)
		}
	}
	for i, m := range r.QualityModes {
		if !m.valid() {
			errs[fmt.Sprintf("%squalityModes[%d]", prefix, i)] = fmt.Sprintf("unknown mode %q", m)
		}
	}
	if r.RevenueTest != RevenueAverage && r.RevenueTest != RevenueEachMonth {
		errs[prefix+"revenueTest"] = `must be "average" or "each_month"`
	}
	if r.QualityPassScore < 0 || r.QualityPassScore > MaxScore {
		errs[prefix+"qualityPassScore"] = "must be between 0 and 100"
	}
	if r.CommercialMinAnnualRevenue < 0 {
		errs[prefix+"commercialMinAnnualRevenue"] = "must not be negative"
	}
	nonNegative := map[string]int{
		"exemptCompleteMonths":     r.ExemptCompleteMonths,
		"trialCommercialMaxMonths": r.TrialCommercialMaxMonths,
	}
	for name, v := range nonNegative {
		if v < 0 {
			errs[prefix+name] = "must not be negative"
		}
	}
	positive := map[string]int{
		"revenueWindowMonths":         r.RevenueWindowMonths,
		"qualityExitConsecutiveFails": r.QualityExitConsecutiveFails,
		"qualityExitFailsInWindow":    r.QualityExitFailsInWindow,
		"qualityFailWindowMonths":     r.QualityFailWindowMonths,
		"commercialRevenueMonths":     r.CommercialRevenueMonths,
	}
	for name, v := range positive {
		if v < 1 {
			errs[prefix+name] = "must be at least 1"
		}
	}
}

func (r Rules) assessesLevel(l Level) bool  { return contains(r.AssessedLevels, l) }
func (r Rules) assessesStage(s Stage) bool  { return contains(r.AssessedStages, s) }
func (r Rules) assessesQuality(m Mode) bool { return contains(r.QualityModes, m) }

func contains[T comparable](list []T, v T) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}
