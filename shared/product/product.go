// Package product holds the rules of a product's identity and lifecycle (SPEC 1,
// P§2, P§4): levels, modes, stages and which stage moves are allowed.
package product

import (
	"fmt"
	"productgov/shared/assessment"
	"strings"
	"time"
	"unicode/utf8"

	"productgov/shared/money"
	"productgov/shared/period"
	"productgov/shared/problem"
	"productgov/shared/reason"
)

// Level is who manages the product (P§2).
type Level string

// Levels of P§2.
const (
	LevelHQ       Level = "hq"       // 总部全网
	LevelProvince Level = "province" // 省级
	LevelCity     Level = "city"     // 市级
)

// Levels lists every level, in the order listings walk them.
var Levels = []Level{LevelHQ, LevelProvince, LevelCity}

// Mode is how the product is built (P§2).
type Mode string

// Modes of P§2.
const (
	ModeSelfBuilt   Mode = "self_built"  // 自建
	ModeCooperative Mode = "cooperative" // 合作
)

// Stage is where the product is in its lifecycle (P§4).
type Stage string

// Stages of SPEC 1, in lifecycle order.
const (
	StageDemand          Stage = "demand"
	StagePlanning        Stage = "planning"
	StageBuilding        Stage = "building"    // self-built: 立项/建设
	StageIntroducing     Stage = "introducing" // cooperative: 合作引入
	StageTrialUse        Stage = "trial_use"   // optional internal trial, P§17(一)
	StageTrialCommercial Stage = "trial_commercial"
	// StageTrialSuspended is trial commercial use stopped on a major problem
	// (P§17(三)); only a new trial_commercial decision resumes it.
	StageTrialSuspended Stage = "trial_suspended"
	StageCommercial     Stage = "commercial"
	StageExiting        Stage = "exiting"
	StageExited         Stage = "exited"
)

// Stages lists every stage in lifecycle order.
var Stages = []Stage{StageDemand, StagePlanning, StageBuilding, StageIntroducing, StageTrialUse,
	StageTrialCommercial, StageTrialSuspended, StageCommercial, StageExiting, StageExited}

// Phase is the monthly assessment's standing of a product (P§19).
type Phase string

// Phases of P§19, from best to worst.
const (
	PhaseAssessment Phase = "assessment" // 考核期
	PhaseWarning    Phase = "warning"    // 预警期
	PhaseExit       Phase = "exit"       // 退出期
)

// Product is a governed product (SPEC 1).
type Product struct {
	ID        string `json:"id"`
	Name      string `json:"name"`
	Level     Level  `json:"level"`
	Mode      Mode   `json:"mode"`
	PartnerID string `json:"partnerId,omitempty"`
	// Strategic marks the P§9 strategic list (行业平台, 通用平台, 5G专网, 中小企).
	Strategic bool  `json:"strategic"`
	Customers int64 `json:"customers"`
	Stage     Stage `json:"stage"`
	// NoticeDate is the date (trial) commercial use was announced; the
	// assessment's exemption counts from it (P§19).
	NoticeDate  *period.Date  `json:"noticeDate,omitempty"`
	ExemptUntil *period.Month `json:"exemptUntil,omitempty"`
	Phase       Phase         `json:"phase,omitempty"`
	// InitialPhase is the phase an admin registered the product with; a month
	// whose previous month has no result starts from it (SPEC 3).
	InitialPhase Phase `json:"initialPhase,omitempty"`
	// PhaseMonth is the assessed month whose result set Phase; an earlier
	// month's re-run leaves the phase alone.
	PhaseMonth *period.Month `json:"phaseMonth,omitempty"`
	// StageSince is the day the current stage began (trial-use and P§18 clocks).
	StageSince period.Date `json:"stageSince"`
	// HadSpend says the product had investment or cost before, so a demand
	// change needs a benefit analysis of past spend (P§7).
	HadSpend bool `json:"hadSpend"`
	// PlanDueDate is when the construction plan is due (P§11).
	PlanDueDate *period.Date `json:"planDueDate,omitempty"`
	// PlanSubmittedOn is when the construction plan was submitted.
	PlanSubmittedOn *period.Date `json:"planSubmittedOn,omitempty"`
	// LastCommitteeDecision is the day of the latest approved committee
	// decision on the product (P§9(三)3 exit routing).
	LastCommitteeDecision *period.Date `json:"lastCommitteeDecision,omitempty"`
	// Exit records the approved exit: its type, notice date and the delisting
	// checklist (P§21).
	Exit *Exit `json:"exit,omitempty"`
	// Suspension is the latest stop of trial commercial use (P§17(三)).
	Suspension *Suspension `json:"suspension,omitempty"`
	// SIAgreement is a cooperative product's settlement terms with its SI (P§20).
	SIAgreement *SIAgreement `json:"siAgreement,omitempty"`
	// Flags are warnings computed by rules, e.g. trial_use_overdue, commercial_ineligible.
	Flags     []string  `json:"flags,omitempty"`
	Version   int64     `json:"version"`
	CreatedBy string    `json:"createdBy"`
	CreatedAt time.Time `json:"createdAt"`
	UpdatedAt time.Time `json:"updatedAt"`
}

// StageChange is one entry of a product's stage history (SPEC 1: who, when,
// which decision, which policy version).
type StageChange struct {
	ProductID  string    `json:"productId"`
	From       Stage     `json:"from,omitempty"`
	To         Stage     `json:"to"`
	At         time.Time `json:"at"`
	By         string    `json:"by"`
	DecisionID string    `json:"decisionId,omitempty"`
	// Reason is the why in English (logs, old clients).
	Reason string `json:"reason"`
	// Cause is the why machine-readable: a code of the reason catalog
	// (shared/reason) and its parameters; pages render it in Chinese.
	Cause         reason.Reason `json:"cause"`
	PolicyVersion string        `json:"policyVersion"`
}

// Draft is what a caller supplies to create or register a product.
type Draft struct {
	Name        string
	Level       Level
	Mode        Mode
	PartnerID   string
	Strategic   bool
	Customers   int64
	HadSpend    bool
	Stage       Stage
	NoticeDate  *period.Date
	ExemptUntil *period.Month
	Phase       Phase
}

// ValidLevel reports whether l is a known level.
func ValidLevel(l Level) bool { return l == LevelHQ || l == LevelProvince || l == LevelCity }

// ValidMode reports whether m is a known mode.
func ValidMode(m Mode) bool { return m == ModeSelfBuilt || m == ModeCooperative }

// ValidStage reports whether s is a known stage.
func ValidStage(s Stage) bool {
	for _, x := range Stages {
		if x == s {
			return true
		}
	}
	return false
}

// ValidPhase reports whether p is a known phase.
func ValidPhase(p Phase) bool { return p == PhaseAssessment || p == PhaseWarning || p == PhaseExit }

// NeedsNotice reports whether a product at stage s is in (trial) commercial use
// or past it, so it has a notice date the assessment counts from (P§19).
func NeedsNotice(s Stage) bool {
	return s == StageTrialCommercial || s == StageTrialSuspended || s == StageCommercial || s == StageExiting || s == StageExited
}

// maxNameRunes bounds a product name; Chinese names are normal.
const maxNameRunes = 100

// Validate checks a draft and names every field at fault. registering says an
// admin is registering an existing product (any stage, notice date and phase);
// otherwise a new product starts at demand and may not set them (SPEC 1).
func (d Draft) Validate(registering bool) error {
	f := problem.Fields{}
	name := strings.TrimSpace(d.Name)
	switch {
	case name == "":
		f.Add("name", "is required")
	case utf8.RuneCountInString(name) > maxNameRunes:
		f.Add("name", fmt.Sprintf("must be at most %d characters", maxNameRunes))
	}
	if !ValidLevel(d.Level) {
		f.Add("level", "must be one of hq, province, city")
	}
	if !ValidMode(d.Mode) {
		f.Add("mode", "must be one of self_built, cooperative")
	}
	// SPEC 4.1: a cooperative product names its partner; a self-built one has none.
	if d.Mode == ModeCooperative && strings.TrimSpace(d.PartnerID) == "" {
		f.Add("partnerId", "is required for a cooperative product")
	}
	if d.Mode == ModeSelfBuilt && d.PartnerID != "" {
		f.Add("partnerId", "must be empty for a self-built product")
	}
	if d.Customers < 0 {
		f.Add("customers", "must not be negative")
	}
	if !registering {
		if d.Stage != "" && d.Stage != StageDemand {
			f.Add("stage", "only an admin registering an existing product may set it; new products start at demand")
		}
		if d.NoticeDate != nil {
			f.Add("noticeDate", "only an admin registering an existing product may set it")
		}
		if d.Phase != "" {
			f.Add("phase", "only an admin registering an existing product may set it")
		}
		return f.Err("invalid product")
	}
	if !ValidStage(d.Stage) {
		f.Add("stage", "must be one of "+joinStages())
	}
	if NeedsNotice(d.Stage) && d.NoticeDate == nil {
		f.Add("noticeDate", "is required for a product in or past (trial) commercial use")
	}
	if d.Phase != "" && !ValidPhase(d.Phase) {
		f.Add("phase", "must be one of assessment, warning, exit")
	}
	if d.Phase != "" && ValidStage(d.Stage) && !NeedsNotice(d.Stage) {
		f.Add("phase", "applies only to products in (trial) commercial use")
	}
	return f.Err("invalid product")
}

func joinStages() string {
	s := make([]string, len(Stages))
	for i, x := range Stages {
		s[i] = string(x)
	}
	return strings.Join(s, ", ")
}

// New builds a product from a validated draft. now is the creation instant.
func New(id string, d Draft, by string, now time.Time) Product {
	stage := d.Stage
	if stage == "" {
		stage = StageDemand
	}
	p := Product{
		ID: id, Name: strings.TrimSpace(d.Name), Level: d.Level, Mode: d.Mode, PartnerID: d.PartnerID,
		Strategic: d.Strategic, Customers: d.Customers, Stage: stage, NoticeDate: d.NoticeDate,
		ExemptUntil: d.ExemptUntil, Phase: d.Phase, InitialPhase: d.Phase, StageSince: period.DateOf(now), HadSpend: d.HadSpend,
		CreatedBy: by, CreatedAt: now.UTC(), UpdatedAt: now.UTC(),
	}
	if p.NoticeDate != nil && (stage == StageTrialCommercial || stage == StageCommercial) {
		p.StageSince = *p.NoticeDate
	}
	if NeedsNotice(stage) && p.Phase == "" && stage != StageExited {
		p.Phase = PhaseAssessment
	}
	return p
}

// transitions lists the stage moves decisions may make (P§4 lifecycle).
var transitions = map[Stage][]Stage{
	StageDemand:          {StagePlanning, StageExiting},
	StagePlanning:        {StageBuilding, StageIntroducing, StageExiting},
	StageBuilding:        {StageTrialUse, StageTrialCommercial, StageExiting},
	StageIntroducing:     {StageTrialUse, StageTrialCommercial, StageExiting},
	StageTrialUse:        {StageTrialCommercial, StageExiting},
	StageTrialCommercial: {StageCommercial, StageTrialSuspended, StageExiting},
	StageTrialSuspended:  {StageTrialCommercial, StageExiting},
	StageCommercial:      {StageExiting},
	StageExiting:         {StageExited},
}

// CanMove reports whether a product of mode m may move from one stage to another
// (P§4). Building is for self-built products, introducing for cooperative ones.
func CanMove(m Mode, from, to Stage) bool {
	if to == StageBuilding && m != ModeSelfBuilt {
		return false
	}
	if to == StageIntroducing && m != ModeCooperative {
		return false
	}
	for _, s := range transitions[from] {
		if s == to {
			return true
		}
	}
	return false
}

// Move changes the product's stage, returning the history entry; it refuses
// moves the lifecycle does not allow.
func (p *Product) Move(to Stage, by, decisionID, why string, cause reason.Reason, policyVersion string, now time.Time) (StageChange, error) {
	if !CanMove(p.Mode, p.Stage, to) {
		return StageChange{}, problem.Conflict("product %s cannot move from %s to %s", p.ID, p.Stage, to)
	}
	ch := StageChange{ProductID: p.ID, From: p.Stage, To: to, At: now.UTC(), By: by, DecisionID: decisionID,
		Reason: why, Cause: cause, PolicyVersion: policyVersion}
	p.Stage = to
	p.StageSince = period.DateOf(now)
	p.UpdatedAt = now.UTC()
	if (to == StageTrialCommercial || to == StageCommercial) && p.Phase == "" {
		p.Phase = PhaseAssessment
	}
	return ch, nil
}

// Score is a quality score from 0 to 100 in exact hundredths of a point (P§19).
type Score = assessment.Score

// ParseScore reads a quality score such as "60" or "59.5" (at most two
// decimals) and refuses values outside 0–100 (P§19 scores out of 100).
func ParseScore(s string) (Score, error) {
	v, err := assessment.ParseScore(strings.Trim(strings.TrimSpace(s), `"`))
	if err != nil {
		return 0, err
	}
	if v > assessment.Points(100) {
		return 0, fmt.Errorf("%s is above 100: scores run from 0 to 100", v)
	}
	return v, nil
}

// Revenue is a product's revenue for one month, from the settlement system (SPEC 5).
type Revenue struct {
	ProductID string       `json:"productId"`
	Month     period.Month `json:"month"`
	Amount    money.Amount `json:"amount"`
}

// Quality is a cooperative product's quality score for one month (P§19).
type Quality struct {
	ProductID string       `json:"productId"`
	Month     period.Month `json:"month"`
	Score     Score        `json:"score"`
}

// Change is what a product update function returns besides the changed
// product: the audit action's name and the stage change to record, if any.
type Change struct {
	Action      string
	StageChange *StageChange
}

// FigureKind is revenue or quality.
type FigureKind string

// The two monthly figures of SPEC 5.
const (
	KindRevenue FigureKind = "revenue"
	KindQuality FigureKind = "quality"
)

// Figure is one product's figure for one month in its integer unit: fen for
// revenue, hundredths of a point for quality.
type Figure struct {
	ProductID string
	Month     period.Month
	Value     int64
}

// FigureKey names one product-month figure.
type FigureKey struct {
	ProductID string
	Month     period.Month
}

// Filter selects products for a listing; empty fields match all.
type Filter struct {
	Stage Stage
	Level Level
	// CreatedBy lists the products a person registered (a product
	// manager's own), alone: it is not combined with Stage or Level.
	CreatedBy string
}

// Flags a product may carry.
const (
	// FlagCommercialIneligible: over 2 years in trial commercial use with
	// trailing 12-month revenue below the line (P§18).
	FlagCommercialIneligible = "commercial_ineligible"
	// FlagTrialUseOverdue: more than 3 months in trial use (P§17(一)).
	FlagTrialUseOverdue = "trial_use_overdue"
	// FlagPlanOverdue: the construction plan is past due (P§11).
	FlagPlanOverdue = "construction_plan_overdue"
)

// Exit is an approved exit in progress (P§21, SPEC 2.5).
type Exit struct {
	Type         string       `json:"type"`
	SubmissionID string       `json:"submissionId"`
	NoticeDate   *period.Date `json:"noticeDate,omitempty"`
	// Published says the exit notice is out and the product is exiting; a
	// natural exit's notice waits for its date (P§21(二)4).
	Published bool `json:"published"`
	// Checklist maps each delisting item to whether it is done.
	Checklist []ChecklistItem `json:"checklist"`
}

// ChecklistItem is one delisting task.
type ChecklistItem struct {
	Key   string `json:"key"`
	Title string `json:"title"`
	Done  bool   `json:"done"`
}

// HasFlag reports whether the product carries the flag.
func (p Product) HasFlag(f string) bool {
	for _, x := range p.Flags {
		if x == f {
			return true
		}
	}
	return false
}

// The major problems that stop trial commercial use (P§17(三): 网络信息安全、
// 客户服务、业务平台故障等重大问题).
const (
	ProblemSecurity        = "security"         // 网络信息安全
	ProblemCustomerService = "customer_service" // 客户服务
	ProblemPlatform        = "platform"         // 业务平台故障
)

// SuspensionProblems lists the problems that stop trial commercial use.
func SuspensionProblems() []string {
	return []string{ProblemSecurity, ProblemCustomerService, ProblemPlatform}
}

// Suspension is a stop of trial commercial use on a major problem (P§17(三)):
// which problem, why, who stopped it and when. A new trial_commercial
// decision resumes the product.
type Suspension struct {
	Problem string    `json:"problem"`
	Reason  string    `json:"reason"`
	By      string    `json:"by"`
	At      time.Time `json:"at"`
	Rule    string    `json:"rule"`
}

// SuspendTrial stops a product's trial commercial use on a major security,
// customer-service or platform problem (P§17(三): 应停止试商用): the product
// moves to trial_suspended with the problem, reason and who; it returns the
// history entry. Bad input names each field; a product not in trial
// commercial use is a conflict.
func (p *Product) SuspendTrial(problemKind, text, by, policyVersion string, now time.Time) (StageChange, error) {
	f := problem.Fields{}
	known := false
	for _, k := range SuspensionProblems() {
		known = known || k == problemKind
	}
	if !known {
		f.Add("problem", "must be one of "+strings.Join(SuspensionProblems(), ", ")+" (P§17(三))")
	}
	if strings.TrimSpace(text) == "" {
		f.Add("reason", "is required: say what happened (P§17(三))")
	}
	if err := f.Err("invalid trial suspension"); err != nil {
		return StageChange{}, err
	}
	if p.Stage != StageTrialCommercial {
		return StageChange{}, problem.Conflict("product %s is %s: only trial commercial use is stopped (P§17(三))", p.ID, p.Stage)
	}
	ch, err := p.Move(StageTrialSuspended, by, "", fmt.Sprintf("trial commercial use stopped (P§17(三)): %s problem: %s", problemKind, strings.TrimSpace(text)),
		reason.New("trial_suspended", "problem", strings.TrimSpace(text), "kind", problemKind), policyVersion, now)
	if err != nil {
		return StageChange{}, err
	}
	p.Suspension = &Suspension{Problem: problemKind, Reason: strings.TrimSpace(text), By: by, At: now.UTC(), Rule: "P§17(三)"}
	return ch, nil
}

// SIAgreement is a cooperative product's settlement terms with its SI
// partner (P§20: 根据合作产品协议条款): the partner's share of the product's
// recorded revenue, over the agreement's days.
type SIAgreement struct {
	Share     money.Rate  `json:"share"`
	StartDate period.Date `json:"startDate"`
	EndDate   period.Date `json:"endDate"`
	By        string      `json:"by"`
	At        time.Time   `json:"at"`
	Rule      string      `json:"rule"`
}

// Covers reports whether the agreement is in force on some day of month m.
func (a SIAgreement) Covers(m period.Month) bool {
	return !m.Last().Before(a.StartDate) && !m.First().After(a.EndDate)
}

// SetSIAgreement records a cooperative product's SI agreement (P§20): the
// share must lie strictly between 0 and 1 and the agreement end after it
// starts. Bad input names every field; a self-built product is a conflict.
func (p *Product) SetSIAgreement(share *money.Rate, start, end *period.Date, by string, now time.Time) error {
	f := problem.Fields{}
	if share == nil {
		f.Add("share", "is required: the SI's share of the product's revenue, e.g. 0.3 (P§20)")
	} else if share.Rat().Sign() <= 0 || share.Cmp(money.NewRate(1, 1)) >= 0 {
		f.Add("share", "must be greater than 0 and less than 1")
	}
	if start == nil {
		f.Add("startDate", "is required")
	}
	if end == nil {
		f.Add("endDate", "is required")
	} else if start != nil && !end.After(*start) {
		f.Add("endDate", "must be after startDate")
	}
	if err := f.Err("invalid SI agreement"); err != nil {
		return err
	}
	if p.Mode != ModeCooperative {
		return problem.Conflict("product %s is %s: an SI agreement is for a cooperative product (P§20)", p.ID, p.Mode)
	}
	p.SIAgreement = &SIAgreement{Share: *share, StartDate: *start, EndDate: *end, By: by, At: now.UTC(), Rule: "P§20"}
	p.UpdatedAt = now.UTC()
	return nil
}
