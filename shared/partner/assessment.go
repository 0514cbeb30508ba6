package partner

import (
	"fmt"
	"math/big"
	"sort"
	"strings"

	"productgov/shared/money"
	"productgov/shared/period"
)

// maxPoints is the top of every 0–100 score of S-A3 and S-A6.
var maxPoints = Points(100)

// ProjectAnnualScore is a support project's score for one year (S-A6 表一, 表二).
type ProjectAnnualScore struct {
	Mode Mode `json:"mode"`
	// RevenueScore is min(100, 100 × revenue ÷ target) in revenue mode.
	RevenueScore *Score `json:"revenueScore,omitempty"`
	ServiceScore *Score `json:"serviceScore,omitempty"`
	// QuarterScores are the guarantee mode's quarterly scores.
	QuarterScores []Score `json:"quarterScores,omitempty"`
	Score         Score   `json:"score"`
	Passed        bool    `json:"passed"`
	Rule          string  `json:"rule"`
	Reason        string  `json:"reason"`
}

// RevenueYear is a revenue-mode project's year: revenue against the target set
// at the start of the year (S§3 marketing sets it), and the service score.
type RevenueYear struct {
	AnnualRevenue money.Amount `json:"annualRevenue"`
	AnnualTarget  money.Amount `json:"annualTarget"`
	ServiceScore  Score        `json:"serviceScore"`
}

func checkPoints(errs FieldErrors, field string, s Score, max Score) {
	switch {
	case !s.HasAtMostTwoDecimals():
		errs[field] = "must have at most two decimals"
	case s.Sign() < 0 || s.Cmp(max) > 0:
		errs[field] = fmt.Sprintf("must be between 0 and %s", max.Exact())
	}
}

// RevenueProjectScore scores a revenue-mode project's year (S-A6 表一):
// 80% × min(100, 100 × revenue ÷ target) + 20% × service score, exact
// (业务收入完成80%即得80分).
func RevenueProjectScore(in RevenueYear, r Rules) (ProjectAnnualScore, error) {
	errs := FieldErrors{}
	if in.AnnualRevenue < 0 {
		errs["annualRevenue"] = "must not be negative"
	}
	if in.AnnualTarget <= 0 {
		errs["annualTarget"] = "must be positive"
	}
	checkPoints(errs, "serviceScore", in.ServiceScore, maxPoints)
	if err := errs.errOrNil(); err != nil {
		return ProjectAnnualScore{}, err
	}
	a := r.Assessment
	completion := new(big.Rat).Quo(in.AnnualRevenue.Rat(), in.AnnualTarget.Rat())
	revenueScore := ScoreOfRat(completion.Mul(completion, big.NewRat(100, 1)))
	if revenueScore.Cmp(a.RevenueScoreCap) > 0 {
		revenueScore = a.RevenueScoreCap
	}
	service := in.ServiceScore
	total := revenueScore.MulRat(a.RevenueWeight.Rat()).Add(service.MulRat(a.ServiceWeight.Rat()))
	p := ProjectAnnualScore{Mode: ModeRevenue, RevenueScore: &revenueScore, ServiceScore: &service, Score: total,
		Passed: total.Cmp(a.PassScore) >= 0, Rule: "S-A6 表一"}
	p.Reason = fmt.Sprintf("%s × revenue score %s (revenue %s of target %s) + %s × service %s = %s; %s",
		a.RevenueWeight, revenueScore, in.AnnualRevenue, in.AnnualTarget, a.ServiceWeight, service, total, passText(p.Passed, a.PassScore))
	return p, nil
}

func passText(passed bool, mark Score) string {
	if passed {
		return "≥ " + mark.String() + ": passed"
	}
	return "< " + mark.String() + ": failed"
}

// GuaranteeProjectScore scores a guarantee-mode project's year as the mean of
// its quarterly scores (S-A6 表二: 项目年度平均分). A project that ran only part
// of the year averages the quarters it has, one to GuaranteeQuarters.
func GuaranteeProjectScore(quarters []Score, r Rules) (ProjectAnnualScore, error) {
	a := r.Assessment
	errs := FieldErrors{}
	if len(quarters) == 0 || len(quarters) > a.GuaranteeQuarters {
		errs["quarterScores"] = fmt.Sprintf("must hold 1 to %d quarterly scores", a.GuaranteeQuarters)
	}
	for i, q := range quarters {
		checkPoints(errs, fmt.Sprintf("quarterScores[%d]", i), q, maxPoints)
	}
	if err := errs.errOrNil(); err != nil {
		return ProjectAnnualScore{}, err
	}
	mean := MeanScore(quarters)
	p := ProjectAnnualScore{Mode: ModeGuarantee, QuarterScores: append([]Score(nil), quarters...), Score: mean,
		Passed: mean.Cmp(a.PassScore) >= 0, Rule: "S-A6 表二"}
	p.Reason = fmt.Sprintf("mean of %d quarterly scores %s; %s", len(quarters), mean, passText(p.Passed, a.PassScore))
	return p, nil
}

// PartnerYear is what a partner's annual score is made of.
type PartnerYear struct {
	ProjectScores []Score `json:"projectScores"` // the year's project annual scores
	StaffChanges  int     `json:"staffChanges"`  // penalised core-staff changes of the year
}

// PartnerAnnualScore is a partner's score for one year (S§21, S-A6 表三).
type PartnerAnnualScore struct {
	ProjectMean  Score  `json:"projectMean"`
	StaffChanges int    `json:"staffChanges"`
	Deducted     Score  `json:"deducted"`
	Score        Score  `json:"score"`
	Passed       bool   `json:"passed"`
	Rule         string `json:"rule"`
	Reason       string `json:"reason"`
}

// ScorePartnerYear computes the partner's annual score: the mean of its
// projects' annual scores, less StaffChangePoints per penalised core-staff
// change (S§21: 扣除该合作伙伴年度考评分数3分); ≥ PassScore passes. The score
// may fall below zero; it is not floored, so the record shows the whole deduction.
func ScorePartnerYear(in PartnerYear, r Rules) (PartnerAnnualScore, error) {
	errs := FieldErrors{}
	if len(in.ProjectScores) == 0 {
		errs["projectScores"] = "must hold at least one project annual score"
	}
	for i, s := range in.ProjectScores {
		if s.Sign() < 0 || s.Cmp(maxPoints) > 0 {
			errs[fmt.Sprintf("projectScores[%d]", i)] = "must be between 0 and 100"
		}
	}
	if in.StaffChanges < 0 {
		errs["staffChanges"] = "must not be negative"
	}
	if err := errs.errOrNil(); err != nil {
		return PartnerAnnualScore{}, err
	}
	mean := MeanScore(in.ProjectScores)
	deducted := r.Penalties.StaffChangePoints.MulRat(big.NewRat(int64(in.StaffChanges), 1))
	score := mean.Sub(deducted)
	p := PartnerAnnualScore{ProjectMean: mean, StaffChanges: in.StaffChanges, Deducted: deducted, Score: score,
		Passed: score.Cmp(r.Assessment.PassScore) >= 0, Rule: "S§21"}
	p.Reason = fmt.Sprintf("mean of %d project scores %s − %s × %d core-staff changes = %s; %s",
		len(in.ProjectScores), mean, r.Penalties.StaffChangePoints, in.StaffChanges, score, passText(p.Passed, r.Assessment.PassScore))
	return p, nil
}

// QuarterScore is a score for one quarter.
type QuarterScore struct {
	Quarter period.Quarter `json:"quarter"`
	Score   Score          `json:"score"`
}

// Alert is the outcome of a warning or exit rule, with the periods that triggered it.
type Alert struct {
	Triggered bool     `json:"triggered"`
	Periods   []string `json:"periods"` // the failing run, e.g. ["2026-Q2","2026-Q3"] or ["2025","2026"]
	Rule      string   `json:"rule"`
	Reason    string   `json:"reason"`
}

// CheckQuarterWarning applies S§21: a warning when, within one calendar year,
// WarningConsecutiveQuarters consecutive quarters score below PassScore. A run
// across a year end (Q4 then Q1) does not count: the article says 1年中. A
// missing quarter breaks the run.
func CheckQuarterWarning(scores []QuarterScore, r Rules) (Alert, error) {
	a := r.Assessment
	errs := FieldErrors{}
	seen := map[period.Quarter]bool{}
	for i, s := range scores {
		if s.Quarter.Year == 0 {
			errs[fmt.Sprintf("scores[%d].quarter", i)] = "is required"
		} else if seen[s.Quarter] {
			errs[fmt.Sprintf("scores[%d].quarter", i)] = s.Quarter.String() + " is listed twice"
		}
		seen[s.Quarter] = true
		checkPoints(errs, fmt.Sprintf("scores[%d].score", i), s.Score, maxPoints)
	}
	if err := errs.errOrNil(); err != nil {
		return Alert{}, err
	}
	sorted := append([]QuarterScore(nil), scores...)
	sort.Slice(sorted, func(i, j int) bool {
		return sorted[i].Quarter.Year*4+sorted[i].Quarter.Q < sorted[j].Quarter.Year*4+sorted[j].Quarter.Q
	})
	var run []string
	for i, s := range sorted {
		continues := i > 0 && sorted[i-1].Quarter.Add(1) == s.Quarter && sorted[i-1].Quarter.Year == s.Quarter.Year
		if !continues {
			run = nil
		}
		if s.Score.Cmp(a.PassScore) >= 0 {
			run = nil
			continue
		}
		run = append(run, s.Quarter.String())
		if len(run) >= a.WarningConsecutiveQuarters {
			return Alert{Triggered: true, Periods: run, Rule: "S§21",
				Reason: fmt.Sprintf("%s scored below %s in consecutive quarters of one year: warning", strings.Join(run, ", "), a.PassScore)}, nil
		}
	}
	return Alert{Periods: []string{}, Rule: "S§21",
		Reason: fmt.Sprintf("no %d consecutive quarters below %s within a year", a.WarningConsecutiveQuarters, a.PassScore)}, nil
}

// YearScore is a partner's annual score for one year.
type YearScore struct {
	Year  int   `json:"year"`
	Score Score `json:"score"`
}

// CheckAssessmentExit applies S§21: ExitConsecutiveYears consecutive years
// below PassScore → exit by assessment: the agreement is not renewed and the
// partner may not re-enter for ReentryBanYears (see CheckReentry). Annual
// scores may be negative after staff deductions.
func CheckAssessmentExit(years []YearScore, r Rules) (Alert, error) {
	a := r.Assessment
	errs := FieldErrors{}
	seen := map[int]bool{}
	for i, y := range years {
		if y.Year == 0 {
			errs[fmt.Sprintf("years[%d].year", i)] = "is required"
		} else if seen[y.Year] {
			errs[fmt.Sprintf("years[%d].year", i)] = fmt.Sprintf("%d is listed twice", y.Year)
		}
		seen[y.Year] = true
	}
	if err := errs.errOrNil(); err != nil {
		return Alert{}, err
	}
	sorted := append([]YearScore(nil), years...)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i].Year < sorted[j].Year })
	var run []string
	for i, y := range sorted {
		if i == 0 || sorted[i-1].Year+1 != y.Year {
			run = nil
		}
		if y.Score.Cmp(a.PassScore) >= 0 {
			run = nil
			continue
		}
		run = append(run, fmt.Sprint(y.Year))
		if len(run) >= a.ExitConsecutiveYears {
			return Alert{Triggered: true, Periods: run, Rule: "S§21",
				Reason: fmt.Sprintf("annual scores below %s in %s: exit by assessment, no renewal, no re-entry for %d years",
					a.PassScore, strings.Join(run, " and "), r.Intake.ReentryBanYears)}, nil
		}
	}
	return Alert{Periods: []string{}, Rule: "S§21",
		Reason: fmt.Sprintf("no %d consecutive years below %s", a.ExitConsecutiveYears, a.PassScore)}, nil
}

// TermInput is what the end-of-term evaluation is made of (S-A6 表四).
type TermInput struct {
	AnnualScores []Score `json:"annualScores"` // the partner's annual scores over the term
	// Recheck holds the re-check of the intake standards, item key → points (0–4).
	Recheck map[string]Score `json:"recheck"`
}

// TermResult is the end-of-term evaluation.
type TermResult struct {
	AnnualMean   Score `json:"annualMean"`
	AnnualPart   Score `json:"annualPart"`   // TermAnnualWeight × AnnualMean
	RecheckTotal Score `json:"recheckTotal"` // sum of the re-check items
	Total        Score `json:"total"`
	// Renewal is true when the total supports renewing the agreement.
	Renewal bool `json:"renewal"`
	// RefundDeposit is true when the partnership ends on this evaluation: the
	// deposit is returned (S§21: 取消其长期合作资格, 不再续签合同, 退还保证金).
	RefundDeposit bool   `json:"refundDeposit"`
	Rule          string `json:"rule"`
	Reason        string `json:"reason"`
}

// EvaluateTerm computes the end-of-term total (S§21, S-A6 表四): 80% × mean of
// the annual scores + the re-check (5 items × 4 points). ≥ PassScore supports
// renewal; below, the partnership ends and the deposit is refunded.
func EvaluateTerm(in TermInput, r Rules) (TermResult, error) {
	a := r.Assessment
	errs := FieldErrors{}
	if len(in.AnnualScores) == 0 {
		errs["annualScores"] = "must hold at least one annual score"
	}
	known := map[string]Score{}
	for _, it := range a.RecheckItems {
		known[it.Key] = it.Max
		s, ok := in.Recheck[it.Key]
		if !ok {
			errs["recheck."+it.Key] = fmt.Sprintf("is required (0–%s)", it.Max.Exact())
			continue
		}
		checkPoints(errs, "recheck."+it.Key, s, it.Max)
	}
	for key := range in.Recheck {
		if _, ok := known[key]; !ok {
			errs["recheck."+key] = "is not a re-check item"
		}
	}
	if err := errs.errOrNil(); err != nil {
		return TermResult{}, err
	}
	mean := MeanScore(in.AnnualScores)
	annualPart := mean.MulRat(a.TermAnnualWeight.Rat())
	var recheck Score
	for _, it := range a.RecheckItems {
		recheck = recheck.Add(in.Recheck[it.Key])
	}
	total := annualPart.Add(recheck)
	t := TermResult{AnnualMean: mean, AnnualPart: annualPart, RecheckTotal: recheck, Total: total, Rule: "S§21"}
	t.Renewal = total.Cmp(a.PassScore) >= 0
	t.RefundDeposit = !t.Renewal
	verdict := "supports renewal"
	if !t.Renewal {
		verdict = "the partnership ends and the deposit is refunded"
	}
	t.Reason = fmt.Sprintf("%s × annual mean %s + re-check %s = %s; %s: %s",
		a.TermAnnualWeight, mean, recheck, total, passText(t.Renewal, a.PassScore), verdict)
	return t, nil
}

// TerminationNotice is a partner's written request to end the partnership.
type TerminationNotice struct {
	NoticeDate       period.Date `json:"noticeDate"`
	EndDate          period.Date `json:"endDate"` // the day the agreement ends
	TransitionMonths int         `json:"transitionMonths"`
}

// TerminationPlan is an accepted voluntary termination.
type TerminationPlan struct {
	NoticeDate period.Date `json:"noticeDate"`
	EndDate    period.Date `json:"endDate"`
	// TransitionEnd is when the buffer period, in which the partner keeps supporting, ends.
	TransitionEnd period.Date `json:"transitionEnd"`
	// DepositRefundFrom is the first day the deposit may be refunded (S§20).
	DepositRefundFrom period.Date `json:"depositRefundFrom"`
	Rule              string      `json:"rule"`
	Reason            string      `json:"reason"`
}

// PlanVoluntaryTermination validates a partner's own termination (S§21: 至少提前
// 三个月提出书面申请; 一至三个月的退出缓冲期): the end at least MinNoticeMonths
// after the notice, a transition of MinTransitionMonths to MaxTransitionMonths.
func PlanVoluntaryTermination(n TerminationNotice, r Rules) (TerminationPlan, error) {
	a := r.Assessment
	errs := FieldErrors{}
	if n.NoticeDate.IsZero() {
		errs["noticeDate"] = "is required"
	}
	if n.EndDate.IsZero() {
		errs["endDate"] = "is required"
	}
	if !n.NoticeDate.IsZero() && !n.EndDate.IsZero() {
		earliest := n.NoticeDate.AddMonths(a.MinNoticeMonths)
		if n.EndDate.Before(earliest) {
			errs["endDate"] = fmt.Sprintf("must be at least %d months after the notice of %s: %s or later",
				a.MinNoticeMonths, n.NoticeDate, earliest)
		}
	}
	if n.TransitionMonths < a.MinTransitionMonths || n.TransitionMonths > a.MaxTransitionMonths {
		errs["transitionMonths"] = fmt.Sprintf("must be between %d and %d", a.MinTransitionMonths, a.MaxTransitionMonths)
	}
	if err := errs.errOrNil(); err != nil {
		return TerminationPlan{}, err
	}
	p := TerminationPlan{NoticeDate: n.NoticeDate, EndDate: n.EndDate,
		TransitionEnd:     n.EndDate.AddMonths(n.TransitionMonths),
		DepositRefundFrom: RefundDate(n.EndDate, r.Deposit), Rule: "S§21"}
	p.Reason = fmt.Sprintf("notice on %s, ends %s, transition of %d month(s) to %s; deposit refundable from %s",
		p.NoticeDate, p.EndDate, n.TransitionMonths, p.TransitionEnd, p.DepositRefundFrom)
	return p, nil
}
