package assessment

import (
	"fmt"
	"math/big"
	"sort"
	"strings"

	"productgov/shared/money"
	"productgov/shared/period"
	"productgov/shared/reason"
)

// Articles cited by the results of this package.
const (
	articleAssessment       = "P§19"    // monthly assessment in general (data source, cycle)
	articleRevenue          = "P§19(一)" // revenue test and revenue track
	articleQuality          = "P§19(二)" // quality test and quality track
	articleScope            = "P§19(三)" // scope, exemption, self-built revenue only
	articleCommercial       = "P§18"    // commercial eligibility
	articleTrialUse         = "P§17(一)" // internal trial use at most three months
	articleConstructionPlan = "P§11"    // construction plan within 10 working days
)

// Level is a product's management level (SPEC 1, P§4).
type Level string

// Levels of SPEC 1.
const (
	LevelHQ       Level = "hq"       // 总部全网: follows headquarters rules, never assessed
	LevelProvince Level = "province" // 省级
	LevelCity     Level = "city"     // 市级
)

func (l Level) valid() bool { return l == LevelHQ || l == LevelProvince || l == LevelCity }

// Mode is how a product is built and run (SPEC 1, P§2).
type Mode string

// Modes of SPEC 1.
const (
	ModeSelfBuilt   Mode = "self_built"  // 自建
	ModeCooperative Mode = "cooperative" // 合作
)

func (m Mode) valid() bool { return m == ModeSelfBuilt || m == ModeCooperative }

// Stage is a product's lifecycle stage (SPEC 1).
type Stage string

// Stages of SPEC 1, in lifecycle order.
const (
	StageDemand          Stage = "demand"
	StagePlanning        Stage = "planning"
	StageBuilding        Stage = "building"
	StageIntroducing     Stage = "introducing"
	StageTrialUse        Stage = "trial_use"
	StageTrialCommercial Stage = "trial_commercial"
	StageTrialSuspended  Stage = "trial_suspended" // stopped on a major problem (P§17(三)): not assessed
	StageCommercial      Stage = "commercial"
	StageExiting         Stage = "exiting"
	StageExited          Stage = "exited"
)

func (s Stage) valid() bool {
	switch s {
	case StageDemand, StagePlanning, StageBuilding, StageIntroducing, StageTrialUse,
		StageTrialCommercial, StageTrialSuspended, StageCommercial, StageExiting, StageExited:
		return true
	}
	return false
}

// Phase is the state of one track, and of the product as the worse of its two
// tracks (SPEC 3 "Phases", P§19: 考核期 / 预警期 / 退出期).
type Phase string

// Phases, from best to worst.
const (
	// PhaseNone means the track was never assessed (exempt, or newly in scope);
	// it counts as assessment when the first assessed month is computed.
	PhaseNone       Phase = ""
	PhaseAssessment Phase = "assessment"
	PhaseWarning    Phase = "warning"
	PhaseExit       Phase = "exit"
)

func (p Phase) rank() int {
	switch p {
	case PhaseAssessment:
		return 1
	case PhaseWarning:
		return 2
	case PhaseExit:
		return 3
	}
	return 0
}

func (p Phase) valid() bool { return p == PhaseNone || p.rank() > 0 }

// label names the phase in reasons, where an empty string would read badly.
func (p Phase) label() string {
	if p == PhaseNone {
		return "none"
	}
	return string(p)
}

// Worse returns the worse of two phases (assessment < warning < exit): the
// product's phase is the worse of its revenue and quality tracks (SPEC 3).
func Worse(a, b Phase) Phase {
	if b.rank() > a.rank() {
		return b
	}
	return a
}

// Outcome is the result of one product's assessment for one month (SPEC 8).
type Outcome string

// Outcomes of SPEC 3 / SPEC 8.
const (
	OutcomePass        Outcome = "pass"
	OutcomeFail        Outcome = "fail"
	OutcomeExempt      Outcome = "exempt"
	OutcomePendingData Outcome = "pending_data"
	OutcomeSkipped     Outcome = "skipped"
)

// Outcomes lists every outcome in a fixed order, for reports.
var Outcomes = []Outcome{OutcomePass, OutcomeFail, OutcomeExempt, OutcomePendingData, OutcomeSkipped}

// Codes a Result carries; every Reason starts with its code.
const (
	CodeHQNotAssessed     = "hq_not_assessed"     // level hq (P§19(三): 总部要求落地产品…不纳入考核范畴)
	CodeLevelNotAssessed  = "level_not_assessed"  // a level the rules leave out of scope
	CodeStageNotAssessed  = "stage_not_assessed"  // not in trial_commercial or commercial
	CodeBeforeNotice      = "before_notice"       // M is before the notice month
	CodeNoticeDateMissing = "notice_date_missing" // exemption cannot be told without the notice date
	CodeExempt            = "exempt"              // first complete months after the notice
	CodeExemptExtended    = "exempt_extended"     // exemption extended by the notice (exemptUntil)
	CodeDataMissing       = "data_missing"        // a needed figure is missing
	CodePassed            = "passed"              // every test passed
	CodeFailed            = "failed"              // a test failed
	CodeExitFinal         = "exit_final"          // phase was exit before M: it stays exit
)

// Track names a phase track.
type Track string

// The two tracks of SPEC 3.
const (
	TrackRevenue Track = "revenue"
	TrackQuality Track = "quality"
)

// PendingTrack is a track that lacked its own figures in a month, and what
// was missing (SPEC 3 "Missing data").
type PendingTrack struct {
	Track Track `json:"track"`
	// Missing names the missing figures in English (logs, old clients).
	Missing []string `json:"missing"`
	// Months are the months whose figure of this track is missing.
	Months []period.Month `json:"months"`
}

// Product holds the facts of a product the assessment reads (SPEC 1).
type Product struct {
	// ID is the product id.
	ID string `json:"id"`
	// Level is hq, province or city.
	Level Level `json:"level"`
	// Mode is self_built or cooperative.
	Mode Mode `json:"mode"`
	// Stage is the product's current stage.
	Stage Stage `json:"stage"`
	// NoticeDate is the date of the (trial) commercial notice; the exemption counts from it.
	NoticeDate *period.Date `json:"noticeDate,omitempty"`
	// ExemptUntil, when set by the notice, extends the exemption through that month (P§19(三)).
	ExemptUntil *period.Month `json:"exemptUntil,omitempty"`
	// TrialCommercialSince is when the product entered trial_commercial (P§18);
	// when absent for a trial_commercial product, NoticeDate stands in for it.
	TrialCommercialSince *period.Date `json:"trialCommercialSince,omitempty"`
}

// RevenueFigure is one month's settled revenue of a product (SPEC 3, 5).
type RevenueFigure struct {
	Month  period.Month `json:"month"`
	Amount money.Amount `json:"amount"`
}

// Input is everything Assess reads for one product and one month.
type Input struct {
	// Month is the assessed month M.
	Month period.Month `json:"month"`
	// Product holds the product's facts.
	Product Product `json:"product"`
	// RevenueTrack is the revenue track recorded after M-1 (PhaseNone if never assessed).
	RevenueTrack Phase `json:"revenueTrack"`
	// QualityTrack is the quality track recorded after M-1 (PhaseNone if never assessed).
	QualityTrack Phase `json:"qualityTrack"`
	// QualityFailMonths are the months whose recorded quality test failed. Only
	// M-11..M-1 count; M itself and later months are ignored, so a record left
	// by an earlier run of M cannot change a re-run.
	QualityFailMonths []period.Month `json:"qualityFailMonths,omitempty"`
	// Revenue holds the product's monthly revenue: M-2..M for the revenue test,
	// and M-11..M for commercial eligibility (P§18). Other months are ignored;
	// an absent month is missing data.
	Revenue []RevenueFigure `json:"revenue,omitempty"`
	// QualityScore is the quality score of M, nil when missing.
	QualityScore *Score `json:"qualityScore,omitempty"`
}

// Validate reports every structural problem of the input and the rules (rules
// fields are prefixed "rules."). Missing figures are not errors: they make the
// result pending_data.
func (in Input) Validate(rules Rules) error {
	errs := FieldErrors{}
	if in.Month.IsZero() {
		errs["month"] = "required"
	}
	if strings.TrimSpace(in.Product.ID) == "" {
		errs["product.id"] = "required"
	}
	if !in.Product.Level.valid() {
		errs["product.level"] = `must be "hq", "province" or "city"`
	}
	if !in.Product.Mode.valid() {
		errs["product.mode"] = `must be "self_built" or "cooperative"`
	}
	if !in.Product.Stage.valid() {
		errs["product.stage"] = fmt.Sprintf("unknown stage %q", in.Product.Stage)
	}
	if !in.RevenueTrack.valid() {
		errs["revenueTrack"] = `must be "", "assessment", "warning" or "exit"`
	}
	if !in.QualityTrack.valid() {
		errs["qualityTrack"] = `must be "", "assessment", "warning" or "exit"`
	}
	if in.QualityScore != nil && (*in.QualityScore < 0 || *in.QualityScore > MaxScore) {
		errs["qualityScore"] = "must be between 0 and 100"
	}
	seen := map[period.Month]bool{}
	for i, f := range in.Revenue {
		switch {
		case f.Month.IsZero():
			errs[fmt.Sprintf("revenue[%d].month", i)] = "required"
		case seen[f.Month]:
			errs[fmt.Sprintf("revenue[%d].month", i)] = fmt.Sprintf("%s appears more than once", f.Month)
		}
		seen[f.Month] = true
	}
	for i, m := range in.QualityFailMonths {
		if m.IsZero() {
			errs[fmt.Sprintf("qualityFailMonths[%d]", i)] = "must be a month written YYYY-MM"
		}
	}
	rules.collectErrors(errs, "rules.")
	return errs.errOrNil()
}

// Transition is one track's move in one month, with the article and the why.
type Transition struct {
	Track  Track  `json:"track"`
	From   Phase  `json:"from"`
	To     Phase  `json:"to"`
	Rule   string `json:"rule"`
	Reason string `json:"reason"`
	// Cause is Reason machine-readable: a code of the reason catalog and its parameters.
	Cause reason.Reason `json:"cause"`
}

// Result is the record of one product's assessment for one month (SPEC 3
// "Results", SPEC 8); the caller adds the policy version.
type Result struct {
	ProductID string       `json:"productId"`
	Month     period.Month `json:"month"`
	// Result is pass, fail, exempt, pending_data or skipped.
	Result Outcome `json:"result"`
	// Code is the machine-readable reason (hq_not_assessed, exempt, failed, …).
	Code string `json:"code"`
	// Reason explains the result in English; it starts with Code. Kept for
	// logs and old clients: pages render Reasons.
	Reason string `json:"reason"`
	// Reasons explain the result machine-readably, in order: codes of the
	// reason catalog (shared/reason) with their parameters.
	Reasons []reason.Reason `json:"reasons"`
	// Rule names the article(s) that decided, e.g. "P§19(一)" or "P§19(一); P§19(二)".
	Rule string `json:"rule"`

	// RevenueTest is the comparison used (average or each_month), when the test ran.
	RevenueTest RevenueTest `json:"revenueTest,omitempty"`
	// RevenueThreshold is the monthly threshold of the product's level, when the test ran.
	RevenueThreshold *money.Amount `json:"revenueThreshold,omitempty"`
	// RevenueFigures are the revenue inputs of the window M-2..M that were present.
	RevenueFigures []RevenueFigure `json:"revenueFigures,omitempty"`
	// RevenueSum is the exact sum of the window.
	RevenueSum *money.Amount `json:"revenueSum,omitempty"`
	// RevenueAverage is the window's average rounded half-up to the fen, for display only.
	RevenueAverage *money.Amount `json:"revenueAverage"`
	// RevenuePass is nil when the revenue test did not run.
	RevenuePass *bool `json:"revenuePass"`
	// QualityScore is the quality input of M (cooperative products only).
	QualityScore *Score `json:"qualityScore"`
	// QualityPass is nil when the quality test did not run (self-built, exempt, …).
	QualityPass *bool `json:"qualityPass"`
	// QualityFailsInWindow counts quality fails within M-11..M, M included, when the test ran.
	QualityFailsInWindow int `json:"qualityFailsInWindow,omitempty"`

	PhaseBefore        Phase `json:"phaseBefore"`
	PhaseAfter         Phase `json:"phaseAfter"`
	RevenueTrackBefore Phase `json:"revenueTrackBefore"`
	RevenueTrackAfter  Phase `json:"revenueTrackAfter"`
	QualityTrackBefore Phase `json:"qualityTrackBefore"`
	QualityTrackAfter  Phase `json:"qualityTrackAfter"`
	// Transitions lists each track that moved this month.
	Transitions []Transition `json:"transitions,omitempty"`
	// PendingTracks are the tracks that lacked their own figures this month:
	// each kept its state while the other was assessed (SPEC 3 "Missing data").
	PendingTracks []PendingTrack `json:"pendingTracks,omitempty"`
	// OpensExit is true only in the month the phase becomes exit: the caller
	// then opens one exit submission of exitType assessment (SPEC 3, 2.5).
	OpensExit bool `json:"opensExit"`

	// CommercialIneligible is the P§18 flag commercial_ineligible.
	CommercialIneligible bool `json:"commercialIneligible"`
	// CommercialEligibility details the P§18 check as of the end of M.
	CommercialEligibility Eligibility `json:"commercialEligibility"`
}

// FirstCompleteMonth returns the first calendar month that lies entirely after
// the notice: a notice on the 1st makes its own month complete (SPEC 3).
func FirstCompleteMonth(notice period.Date) period.Month {
	if notice.Day == 1 {
		return notice.MonthOf()
	}
	return notice.MonthOf().Add(1)
}

// ExemptThrough returns the last exempt month: the end of the first
// ExemptCompleteMonths complete months after the notice, or exemptUntil when
// the notice extends it further (P§19(三): 可酌情延长免考核期). The second
// result tells whether exemptUntil extended it. exemptUntil never shortens it.
func ExemptThrough(notice period.Date, exemptUntil *period.Month, rules Rules) (period.Month, bool) {
	end := standardExemptEnd(notice, rules)
	if exemptUntil != nil && exemptUntil.After(end) {
		return *exemptUntil, true
	}
	return end, false
}

// Assess assesses one product for one month (SPEC 3). It returns FieldErrors
// when the input or the rules are malformed (see Input.Validate); otherwise the
// result is fully determined by its arguments.
func Assess(in Input, rules Rules) (Result, error) {
	if err := in.Validate(rules); err != nil {
		return Result{}, err
	}
	p := in.Product
	m := in.Month
	phaseBefore := Worse(in.RevenueTrack, in.QualityTrack)
	res := Result{
		ProductID:          p.ID,
		Month:              m,
		PhaseBefore:        phaseBefore,
		PhaseAfter:         phaseBefore,
		RevenueTrackBefore: in.RevenueTrack,
		RevenueTrackAfter:  in.RevenueTrack,
		QualityTrackBefore: in.QualityTrack,
		QualityTrackAfter:  in.QualityTrack,
		CommercialEligibility: Eligibility{
			Status: EligibilityNotApplicable,
			Rule:   articleCommercial,
			Reason: string(EligibilityNotApplicable) + ": the product is not assessed this month",
			Cause:  reason.New("commercial_not_assessed"),
		},
	}
	var why []reason.Reason
	note := func(code string, kv ...string) { why = append(why, reason.New(code, kv...)) }
	finish := func(o Outcome, code, rule, detail string) (Result, error) {
		res.Result, res.Code, res.Rule = o, code, rule
		res.Reason = code + ": " + detail
		if len(why) == 0 {
			why = []reason.Reason{reason.New(code)}
		}
		res.Reasons = why
		return res, nil
	}

	// Scope (P§19(三)): province and city products in trial or full commercial use.
	if !rules.assessesLevel(p.Level) {
		if p.Level == LevelHQ {
			note(CodeHQNotAssessed)
			return finish(OutcomeSkipped, CodeHQNotAssessed, articleScope,
				"headquarters (hq) products follow the headquarters rules and are not assessed")
		}
		note(CodeLevelNotAssessed, "level", string(p.Level))
		return finish(OutcomeSkipped, CodeLevelNotAssessed, articleScope,
			fmt.Sprintf("level %s is not in the assessed levels", p.Level))
	}
	if !rules.assessesStage(p.Stage) {
		note(CodeStageNotAssessed, "stage", string(p.Stage))
		return finish(OutcomeSkipped, CodeStageNotAssessed, articleScope,
			fmt.Sprintf("stage %s is not assessed; only %s are", p.Stage, joinStages(rules.AssessedStages)))
	}

	// P§18 runs for every product in scope, exempt or not: the flag is about
	// time in trial commercial use, not about this month's tests.
	since := p.TrialCommercialSince
	if since == nil {
		since = p.NoticeDate
	}
	res.CommercialEligibility = CommercialEligibility(EligibilityInput{
		Stage:                p.Stage,
		TrialCommercialSince: since,
		AsOf:                 m.Last(),
		Revenue:              in.Revenue,
	}, rules)
	res.CommercialIneligible = res.CommercialEligibility.Status == EligibilityIneligible

	// Exemption (P§19(三)): the first complete months after the notice.
	if p.NoticeDate == nil {
		return finish(OutcomePendingData, CodeNoticeDateMissing, articleScope,
			"the (trial) commercial notice date is needed to tell the exemption; nothing changed")
	}
	if m.Before(p.NoticeDate.MonthOf()) {
		note(CodeBeforeNotice, "month", m.String(), "notice", p.NoticeDate.String())
		return finish(OutcomeSkipped, CodeBeforeNotice, articleScope,
			fmt.Sprintf("%s is before the (trial) commercial notice of %s", m, *p.NoticeDate))
	}
	exemptEnd, extended := ExemptThrough(*p.NoticeDate, p.ExemptUntil, rules)
	if !m.After(exemptEnd) {
		if extended && m.After(standardExemptEnd(*p.NoticeDate, rules)) {
			note(CodeExemptExtended, "through", exemptEnd.String(), "next", exemptEnd.Add(1).String())
			return finish(OutcomeExempt, CodeExemptExtended, articleScope,
				fmt.Sprintf("the notice extended the exemption through %s; first assessed month %s", exemptEnd, exemptEnd.Add(1)))
		}
		detail := fmt.Sprintf("notice of %s: the first %d complete months from %s are exempt, through %s",
			*p.NoticeDate, rules.ExemptCompleteMonths, FirstCompleteMonth(*p.NoticeDate), standardExemptEnd(*p.NoticeDate, rules))
		if extended {
			detail += fmt.Sprintf(", extended by the notice through %s", exemptEnd)
		}
		note(CodeExempt, "notice", p.NoticeDate.String(), "count", fmt.Sprint(rules.ExemptCompleteMonths),
			"first", FirstCompleteMonth(*p.NoticeDate).String(), "through", exemptEnd.String(), "next", exemptEnd.Add(1).String())
		return finish(OutcomeExempt, CodeExempt, articleScope, detail+"; first assessed month "+exemptEnd.Add(1).String())
	}

	// Figures: revenue of the window, and the quality score for cooperative
	// products. The two tracks are independent (SPEC 3 "Missing data",
	// decided: P§19 assesses 两个部分 each on its own table): a track lacking
	// its own figures is pending and keeps its state while the other is
	// assessed; the month is pending_data only when every track is.
	qualityAssessed := rules.assessesQuality(p.Mode)
	window := monthsEnding(m, rules.RevenueWindowMonths)
	byMonth := revenueByMonth(in.Revenue)
	var revenueMissing []string
	var missingMonths []period.Month
	for _, wm := range window {
		if a, ok := byMonth[wm]; ok {
			res.RevenueFigures = append(res.RevenueFigures, RevenueFigure{Month: wm, Amount: a})
		} else {
			revenueMissing = append(revenueMissing, "revenue of "+wm.String())
			missingMonths = append(missingMonths, wm)
		}
	}
	revenueReady := len(revenueMissing) == 0
	if !revenueReady {
		res.PendingTracks = append(res.PendingTracks, PendingTrack{Track: TrackRevenue, Missing: revenueMissing, Months: missingMonths})
	}
	qualityReady := false
	if qualityAssessed {
		res.QualityScore = copyScore(in.QualityScore)
		qualityReady = in.QualityScore != nil
		if !qualityReady {
			res.PendingTracks = append(res.PendingTracks, PendingTrack{Track: TrackQuality, Missing: []string{"quality score of " + m.String()}, Months: []period.Month{m}})
		}
	}
	if !revenueReady && !qualityReady {
		var missing, missingZh []string
		for _, pt := range res.PendingTracks {
			missing = append(missing, pt.Missing...)
			for _, pm := range pt.Months {
				missingZh = append(missingZh, reason.Month(pm.String())+reason.Names[reason.KindTrack][string(pt.Track)])
			}
		}
		note(CodeDataMissing, "missing", strings.Join(missingZh, "、"))
		return finish(OutcomePendingData, CodeDataMissing, articleAssessment,
			strings.Join(missing, ", ")+" missing; nothing changed")
	}

	details := []string{}
	failedArticles := []string{}
	testArticles := []string{}
	revenuePass := false
	if revenueReady {
		// Revenue test (P§19(一)).
		threshold := rules.RevenueThresholds[p.Level]
		sum := money.Amount(0)
		for _, f := range res.RevenueFigures {
			sum += f.Amount
		}
		average := money.RoundRat(new(big.Rat).SetFrac64(sum.Fen(), int64(len(window))))
		var revenueDetail string
		var revenueWhy reason.Reason
		revenuePass, revenueDetail, revenueWhy = revenueTest(res.RevenueFigures, sum, average, threshold, p.Level, rules)
		why = append(why, revenueWhy)
		res.RevenueTest = rules.RevenueTest
		res.RevenueThreshold = &threshold
		res.RevenueSum = &sum
		res.RevenueAverage = &average
		res.RevenuePass = &revenuePass
		details = append(details, revenueDetail)
		if !revenuePass {
			failedArticles = append(failedArticles, articleRevenue)
		}
		testArticles = append(testArticles, articleRevenue)
	} else {
		details = append(details, fmt.Sprintf("revenue track pending (%s missing): it keeps %s", strings.Join(revenueMissing, ", "), in.RevenueTrack.label()))
		note("revenue_pending", "revenueMonths", joinMonths(missingMonths), "keeps", string(in.RevenueTrack))
	}

	// Quality test (P§19(二)), cooperative products only (P§19(三)).
	var qualityPass bool
	var qualityExit bool
	var qualityExitWhy string
	var qualityExitCause reason.Reason
	if qualityAssessed && !qualityReady {
		details = append(details, fmt.Sprintf("quality track pending (quality score of %s missing): it keeps %s", m, in.QualityTrack.label()))
		note("quality_pending", "month", m.String(), "keeps", string(in.QualityTrack))
	}
	if qualityReady {
		score := *in.QualityScore
		qualityPass = score >= rules.QualityPassScore
		res.QualityPass = &qualityPass
		testArticles = append(testArticles, articleQuality)
		priorFails := failSet(in.QualityFailMonths, m, rules.QualityFailWindowMonths)
		if qualityPass {
			details = append(details, fmt.Sprintf("quality score %s reaches the pass mark %s", score, rules.QualityPassScore))
			note("quality_pass", "score", score.String(), "mark", rules.QualityPassScore.String())
		} else {
			failedArticles = append(failedArticles, articleQuality)
			res.QualityFailsInWindow = len(priorFails) + 1
			details = append(details, fmt.Sprintf("quality score %s is below the pass mark %s (%d fail(s) within %s..%s)",
				score, rules.QualityPassScore, res.QualityFailsInWindow, m.Add(1-rules.QualityFailWindowMonths), m))
			note("quality_fail", "score", score.String(), "mark", rules.QualityPassScore.String(),
				"fails", fmt.Sprint(res.QualityFailsInWindow), "from", m.Add(1-rules.QualityFailWindowMonths).String(), "to", m.String())
			qualityExit, qualityExitWhy, qualityExitCause = qualityExitDue(priorFails, m, res.QualityFailsInWindow, rules)
		}
	}

	// Exit is final (SPEC 3): a product whose phase is already exit never moves again.
	if phaseBefore == PhaseExit {
		exitArticles := []string{}
		if in.RevenueTrack == PhaseExit {
			exitArticles = append(exitArticles, articleRevenue)
		}
		if in.QualityTrack == PhaseExit {
			exitArticles = append(exitArticles, articleQuality)
		}
		details = append(details, "exit is final: phase stays exit")
		note(CodeExitFinal)
		return finish(outcomeOf(failedArticles), CodeExitFinal, strings.Join(exitArticles, "; "), strings.Join(details, "; "))
	}

	// Tracks (SPEC 3 "Phases"); a pending track keeps its state.
	if revenueReady {
		res.RevenueTrackAfter = nextRevenueTrack(in.RevenueTrack, revenuePass)
	}
	if res.RevenueTrackAfter != in.RevenueTrack {
		res.Transitions = append(res.Transitions, Transition{
			Track: TrackRevenue, From: in.RevenueTrack, To: res.RevenueTrackAfter, Rule: articleRevenue,
			Reason: revenueTransitionReason(in.RevenueTrack, res.RevenueTrackAfter),
			Cause:  revenueTransitionCause(in.RevenueTrack, res.RevenueTrackAfter),
		})
	}
	if qualityAssessed {
		if qualityReady {
			res.QualityTrackAfter = nextQualityTrack(in.QualityTrack, qualityPass, qualityExit)
		}
		if res.QualityTrackAfter != in.QualityTrack {
			res.Transitions = append(res.Transitions, Transition{
				Track: TrackQuality, From: in.QualityTrack, To: res.QualityTrackAfter, Rule: articleQuality,
				Reason: qualityTransitionReason(in.QualityTrack, res.QualityTrackAfter, res.QualityFailsInWindow, qualityExitWhy),
				Cause:  qualityTransitionCause(in.QualityTrack, res.QualityTrackAfter, res.QualityFailsInWindow, qualityExitCause),
			})
		}
	} else if in.QualityTrack != PhaseNone {
		// A product that became self-built keeps no quality track: its stale
		// warning must not hold the phase forever (P§19(三): 自建产品仅考核产品收入).
		res.QualityTrackAfter = PhaseNone
		res.Transitions = append(res.Transitions, Transition{
			Track: TrackQuality, From: in.QualityTrack, To: PhaseNone, Rule: articleScope,
			Reason: fmt.Sprintf("%s products are assessed on revenue only: quality track cleared", p.Mode),
			Cause:  reason.New("quality_cleared", "mode", string(p.Mode)),
		})
	}
	res.PhaseAfter = Worse(res.RevenueTrackAfter, res.QualityTrackAfter)
	res.OpensExit = res.PhaseAfter == PhaseExit && phaseBefore != PhaseExit

	for _, t := range res.Transitions {
		details = append(details, fmt.Sprintf("%s track %s -> %s (%s)", t.Track, t.From.label(), t.To.label(), t.Reason))
		why = append(why, t.Cause)
	}
	if res.PhaseAfter == phaseBefore {
		details = append(details, "phase stays "+res.PhaseAfter.label())
		note("phase_stays", "phase", string(res.PhaseAfter))
	} else {
		details = append(details, fmt.Sprintf("phase %s -> %s", phaseBefore.label(), res.PhaseAfter.label()))
		note("phase_change", "phaseFrom", string(phaseBefore), "phaseTo", string(res.PhaseAfter))
	}
	if res.OpensExit {
		details = append(details, "an assessment exit is to be opened")
		note("exit_opened")
	}

	rule := uniqueJoin(transitionArticles(res.Transitions))
	if rule == "" {
		rule = uniqueJoin(failedArticles)
	}
	if rule == "" {
		rule = uniqueJoin(testArticles)
	}
	code := CodePassed
	if len(failedArticles) > 0 {
		code = CodeFailed
	}
	return finish(outcomeOf(failedArticles), code, rule, strings.Join(details, "; "))
}

// standardExemptEnd is the exemption end without any extension.
func standardExemptEnd(notice period.Date, rules Rules) period.Month {
	return FirstCompleteMonth(notice).Add(rules.ExemptCompleteMonths - 1)
}

func outcomeOf(failedArticles []string) Outcome {
	if len(failedArticles) > 0 {
		return OutcomeFail
	}
	return OutcomePass
}

// revenueTest compares the window with the threshold exactly (P§19(一)); the
// average is only shown.
func revenueTest(figures []RevenueFigure, sum, average, threshold money.Amount, level Level, rules Rules) (bool, string, reason.Reason) {
	from, to := figures[0].Month, figures[len(figures)-1].Month
	common := []string{"from", from.String(), "to", to.String(), "level", string(level), "threshold", threshold.String()}
	if rules.RevenueTest == RevenueEachMonth {
		for _, f := range figures {
			if f.Amount < threshold {
				return false, fmt.Sprintf("revenue of %s (%s) is below the %s threshold %s (each month of %s..%s must reach it)",
						f.Month, f.Amount, level, threshold, from, to),
					reason.New("revenue_month_below", append(common, "month", f.Month.String(), "amount", f.Amount.String())...)
			}
		}
		return true, fmt.Sprintf("revenue of each month of %s..%s reaches the %s threshold %s", from, to, level, threshold),
			reason.New("revenue_each_pass", common...)
	}
	common = append(common, "average", average.String(), "sum", sum.String())
	if sum >= threshold*money.Amount(len(figures)) {
		return true, fmt.Sprintf("revenue average %s of %s..%s reaches the %s threshold %s (exactly: sum %s >= %d x %s)",
			average, from, to, level, threshold, sum, len(figures), threshold), reason.New("revenue_average_pass", common...)
	}
	return false, fmt.Sprintf("revenue average %s of %s..%s is below the %s threshold %s (exactly: sum %s < %d x %s)",
		average, from, to, level, threshold, sum, len(figures), threshold), reason.New("revenue_average_fail", common...)
}

// joinMonths writes months for a reason parameter: 2026-08,2026-09.
func joinMonths(ms []period.Month) string {
	parts := make([]string, len(ms))
	for i, m := range ms {
		parts[i] = m.String()
	}
	return strings.Join(parts, ",")
}

// revenueTransitionCause is revenueTransitionReason machine-readable.
func revenueTransitionCause(from, to Phase) reason.Reason {
	switch {
	case from == PhaseNone && to == PhaseAssessment:
		return reason.New("revenue_start")
	case from == PhaseNone && to == PhaseWarning:
		return reason.New("revenue_first_fail")
	case to == PhaseAssessment:
		return reason.New("revenue_recovered")
	case to == PhaseExit:
		return reason.New("revenue_exit")
	default:
		return reason.New("revenue_warning")
	}
}

// qualityTransitionCause is qualityTransitionReason machine-readable.
func qualityTransitionCause(from, to Phase, failsInWindow int, exitCause reason.Reason) reason.Reason {
	switch {
	case from == PhaseNone && to == PhaseAssessment:
		return reason.New("quality_start")
	case to == PhaseAssessment:
		return reason.New("quality_recovered")
	case to == PhaseExit:
		return exitCause
	case failsInWindow == 1:
		return reason.New("quality_warning_once")
	default:
		return reason.New("quality_warning", "fails", fmt.Sprint(failsInWindow))
	}
}

// nextRevenueTrack applies SPEC 3: fail in assessment → warning; fail in
// warning → exit; pass in warning → assessment; pass in assessment stays.
// A never-assessed track starts at assessment.
func nextRevenueTrack(from Phase, pass bool) Phase {
	if from == PhaseExit {
		return PhaseExit
	}
	switch {
	case pass:
		return PhaseAssessment
	case from == PhaseWarning:
		return PhaseExit
	default:
		return PhaseWarning
	}
}

func revenueTransitionReason(from, to Phase) string {
	switch {
	case from == PhaseNone && to == PhaseAssessment:
		return "exemption over: revenue track starts at assessment"
	case from == PhaseNone && to == PhaseWarning:
		return "first assessed month failed the revenue test"
	case to == PhaseAssessment:
		return "revenue passed in warning: back to assessment"
	case to == PhaseExit:
		return "revenue failed again in warning: exit"
	default:
		return "revenue failed in assessment: warning"
	}
}

// nextQualityTrack applies SPEC 3: a fail → exit when exitDue, else warning;
// a pass in warning → assessment; a pass in assessment stays.
func nextQualityTrack(from Phase, pass, exitDue bool) Phase {
	if from == PhaseExit {
		return PhaseExit
	}
	switch {
	case pass:
		return PhaseAssessment
	case exitDue:
		return PhaseExit
	default:
		return PhaseWarning
	}
}

func qualityTransitionReason(from, to Phase, failsInWindow int, exitWhy string) string {
	switch {
	case from == PhaseNone && to == PhaseAssessment:
		return "exemption over: quality track starts at assessment"
	case to == PhaseAssessment:
		return "quality passed in warning: back to assessment"
	case to == PhaseExit:
		return exitWhy
	case failsInWindow == 1:
		return "quality failed once: warning"
	default:
		return fmt.Sprintf("quality failed (%d fails within the window, not consecutive): warning", failsInWindow)
	}
}

// failSet returns the distinct recorded fail months within the window ending
// with M, M itself excluded (it is being assessed now).
func failSet(months []period.Month, m period.Month, windowMonths int) map[period.Month]bool {
	first := m.Add(1 - windowMonths)
	set := map[period.Month]bool{}
	for _, f := range months {
		if !f.Before(first) && f.Before(m) {
			set[f] = true
		}
	}
	return set
}

// qualityExitDue tells whether a quality fail in M sends the track to exit
// (P§19(二): 连续 2 次不达标或一年内累计 3 次不达标), and why.
func qualityExitDue(priorFails map[period.Month]bool, m period.Month, failsInWindow int, rules Rules) (bool, string, reason.Reason) {
	consecutive := true
	for k := 1; k < rules.QualityExitConsecutiveFails; k++ {
		if !priorFails[m.Add(-k)] {
			consecutive = false
			break
		}
	}
	if consecutive {
		return true, fmt.Sprintf("quality failed %d consecutive months through %s: exit",
				rules.QualityExitConsecutiveFails, m),
			reason.New("quality_exit_consecutive", "count", fmt.Sprint(rules.QualityExitConsecutiveFails), "through", m.String())
	}
	if failsInWindow >= rules.QualityExitFailsInWindow {
		return true, fmt.Sprintf("quality failed %d times within %s..%s: exit",
				failsInWindow, m.Add(1-rules.QualityFailWindowMonths), m),
			reason.New("quality_exit_window", "fails", fmt.Sprint(failsInWindow),
				"from", m.Add(1-rules.QualityFailWindowMonths).String(), "to", m.String())
	}
	return false, "", reason.Reason{}
}

// monthsEnding returns the n months ending with m, oldest first.
func monthsEnding(m period.Month, n int) []period.Month {
	out := make([]period.Month, 0, n)
	for k := n - 1; k >= 0; k-- {
		out = append(out, m.Add(-k))
	}
	return out
}

func revenueByMonth(figures []RevenueFigure) map[period.Month]money.Amount {
	out := make(map[period.Month]money.Amount, len(figures))
	for _, f := range figures {
		out[f.Month] = f.Amount
	}
	return out
}

func copyScore(s *Score) *Score {
	if s == nil {
		return nil
	}
	v := *s
	return &v
}

func transitionArticles(ts []Transition) []string {
	out := make([]string, 0, len(ts))
	for _, t := range ts {
		out = append(out, t.Rule)
	}
	return out
}

// uniqueJoin joins articles in a fixed order without repeats.
func uniqueJoin(articles []string) string {
	set := map[string]bool{}
	for _, a := range articles {
		set[a] = true
	}
	out := make([]string, 0, len(set))
	for a := range set {
		out = append(out, a)
	}
	sort.Strings(out)
	return strings.Join(out, "; ")
}

func joinStages(stages []Stage) string {
	parts := make([]string, len(stages))
	for i, s := range stages {
		parts[i] = string(s)
	}
	return strings.Join(parts, " and ")
}
