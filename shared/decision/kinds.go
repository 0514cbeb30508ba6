package decision

import (
	"fmt"
	"strings"
)

// SubmissionType is the kind of decision requested (P§7, P§9; SPEC 2.1).
type SubmissionType string

// The submission types of SPEC 2.1.
const (
	// TypeDemand is a new product demand (P§7(一), P§10).
	TypeDemand SubmissionType = "demand"
	// TypeDemandChange is a change of an existing product's demand (P§7(一), P§10(二)2).
	TypeDemandChange SubmissionType = "demand_change"
	// TypeTrialCommercial asks for trial commercial use (P§7(二), P§17).
	TypeTrialCommercial SubmissionType = "trial_commercial"
	// TypeCommercial asks for commercial use (P§7(二), P§18).
	TypeCommercial SubmissionType = "commercial"
	// TypeExit asks for the product's exit (P§7(三), P§21).
	TypeExit SubmissionType = "exit"
	// TypeMajorChange is a major change: cooperation mode, partner, management level (P annex 5).
	TypeMajorChange SubmissionType = "major_change"
	// TypePromotionPlan is a (trial) commercial product's promotion plan (P§9(二)3).
	TypePromotionPlan SubmissionType = "promotion_plan"
	// TypeBasicRules is a basic management rule: cost measurement, pricing, commission (P§9(一)1).
	TypeBasicRules SubmissionType = "basic_rules"
	// TypePricing is a product's tariff pricing (资费定价): a new product's
	// pricing or an existing product's tariff optimisation (P§9(二)2, P§16).
	TypePricing SubmissionType = "pricing"
	// TypeRevenueShare introduces or renews a revenue-share product with its
	// partner (分成产品引入、续约, P§9(二)2, P§7(一)5).
	TypeRevenueShare SubmissionType = "revenue_share"
)

// SubmissionTypes lists every submission type in SPEC order.
func SubmissionTypes() []SubmissionType {
	return []SubmissionType{TypeDemand, TypeDemandChange, TypeTrialCommercial, TypeCommercial,
		TypeExit, TypeMajorChange, TypePromotionPlan, TypeBasicRules, TypePricing, TypeRevenueShare}
}

// PricingKind is the scene of a pricing decision (P§16).
type PricingKind string

// The pricing scenes of P§16: 新产品定价 and 老产品资费优化.
const (
	PricingNewProduct   PricingKind = "new_product"
	PricingOptimisation PricingKind = "optimisation"
)

// PricingKinds lists the pricing scenes.
func PricingKinds() []PricingKind { return []PricingKind{PricingNewProduct, PricingOptimisation} }

// ShareKind is what a revenue-share decision does (P§9(二)2: 分成产品引入、续约).
type ShareKind string

// The revenue-share decisions.
const (
	ShareIntroduction ShareKind = "introduction"
	ShareRenewal      ShareKind = "renewal"
)

// ShareKinds lists the revenue-share decisions.
func ShareKinds() []ShareKind { return []ShareKind{ShareIntroduction, ShareRenewal} }

// Valid reports whether t is one of SubmissionTypes.
func (t SubmissionType) Valid() bool { return contains(SubmissionTypes(), t) }

// ParseSubmissionType reads a submission type, naming the allowed ones when it is unknown.
func ParseSubmissionType(s string) (SubmissionType, error) {
	t := SubmissionType(s)
	if !t.Valid() {
		return "", fmt.Errorf("unknown submission type %q; allowed: %s", s, joinAll(SubmissionTypes()))
	}
	return t, nil
}

// ExitType is why a product exits (P§21(一); SPEC 2.5).
type ExitType string

// The exit types of P§21(一).
const (
	// ExitAssessment is 考核退出: the monthly assessment reached exit (P§21(一)1, SPEC 3).
	ExitAssessment ExitType = "assessment"
	// ExitPilot is 试点退出: the pilot missed its goals (P§21(一)2).
	ExitPilot ExitType = "pilot"
	// ExitNatural is 自然退出: the partner agreement expired and was not renewed (P§21(一)3).
	ExitNatural ExitType = "natural"
	// ExitApplication is 申请退出: the partner asks to exit (P§21(一)4).
	ExitApplication ExitType = "application"
	// ExitBreach is 违约退出: the partner breached the agreement (P§21(一)5).
	ExitBreach ExitType = "breach"
)

// ExitTypes lists every exit type in P§21(一) order.
func ExitTypes() []ExitType {
	return []ExitType{ExitAssessment, ExitPilot, ExitNatural, ExitApplication, ExitBreach}
}

// Valid reports whether e is one of ExitTypes.
func (e ExitType) Valid() bool { return contains(ExitTypes(), e) }

// Level is the body that decides a submission (P§9; SPEC 2.3).
type Level string

// The decision levels of P§9.
const (
	// LevelChengpi is 呈批: countersigns, then the VP in charge approves (P§9(一)).
	LevelChengpi Level = "chengpi"
	// LevelSpecialMeeting is 专题办公会 chaired by the VP in charge (P§9(二)).
	LevelSpecialMeeting Level = "special_meeting"
	// LevelCommittee is 产品委员会: the special meeting first, then the committee director (P§8, P§9(三)).
	LevelCommittee Level = "committee"
	// LevelGMOffice is 总经办 / 公司领导办公会: the VP first, then the general manager (P§18, P annex 7).
	LevelGMOffice Level = "gm_office"
	// LevelNone means no review and no decision: a natural exit (P§21(二)4).
	LevelNone Level = "none"
)

// Levels lists every level, lowest first, LevelNone last.
func Levels() []Level {
	return []Level{LevelChengpi, LevelSpecialMeeting, LevelCommittee, LevelGMOffice, LevelNone}
}

// Valid reports whether l is one of Levels.
func (l Level) Valid() bool { return contains(Levels(), l) }

// Status is where a submission stands (SPEC 8: GET /submissions/{id}).
type Status string

// The submission statuses of SPEC 8.
const (
	// StatusGroupReview waits for the group review's votes (P§8(一)).
	StatusGroupReview Status = "group_review"
	// StatusCrossReview waits for the cross-department review's votes (P§8(二)).
	StatusCrossReview Status = "cross_review"
	// StatusDeciding waits for the approval steps of its level (P§9).
	StatusDeciding Status = "deciding"
	// StatusApproved is a decision taken in favour.
	StatusApproved Status = "approved"
	// StatusRejected is a refusal by a reviewer or an approver.
	StatusRejected Status = "rejected"
	// StatusReturned is sent back to the applicant; a resubmission is a new revision.
	StatusReturned Status = "returned"
	// StatusExpired is an approval step that timed out (SPEC 2.4).
	StatusExpired Status = "expired"
	// StatusClosed is a submission withdrawn or superseded, no longer in play.
	StatusClosed Status = "closed"
)

// Statuses lists every status in flow order.
func Statuses() []Status {
	return []Status{StatusGroupReview, StatusCrossReview, StatusDeciding, StatusApproved,
		StatusRejected, StatusReturned, StatusExpired, StatusClosed}
}

// Valid reports whether s is one of Statuses.
func (s Status) Valid() bool { return contains(Statuses(), s) }

// Final reports whether nothing more happens to the submission in this status;
// returned is not final because the applicant may resubmit.
func (s Status) Final() bool {
	switch s {
	case StatusApproved, StatusRejected, StatusExpired, StatusClosed:
		return true
	}
	return false
}

// ReviewStage is one of the two pre-decision reviews (P§8; SPEC 2.2).
type ReviewStage string

// The review stages, in order.
const (
	// StageGroup is 小组评审 (P§8(一)).
	StageGroup ReviewStage = "group"
	// StageCrossDepartment is 跨部门评审会 (P§8(二)).
	StageCrossDepartment ReviewStage = "cross_department"
)

// Valid reports whether s is a review stage.
func (s ReviewStage) Valid() bool { return s == StageGroup || s == StageCrossDepartment }

// Verdict is a reviewer's vote or an approver's decision (SPEC 2.2, 2.4).
type Verdict string

// The verdicts: 同意 / 驳回 / 退回.
const (
	// VerdictApprove is 同意.
	VerdictApprove Verdict = "approve"
	// VerdictReject is 驳回: ends the submission as rejected.
	VerdictReject Verdict = "reject"
	// VerdictReturn is 退回: sends the submission back to the applicant.
	VerdictReturn Verdict = "return"
)

// Valid reports whether v is approve, reject or return.
func (v Verdict) Valid() bool {
	return v == VerdictApprove || v == VerdictReject || v == VerdictReturn
}

// Product modes (SPEC 1, P§2(二)2). The product package owns the product
// record; these are plain strings so either package can pass them along.
const (
	// ModeSelfBuilt is 自建.
	ModeSelfBuilt = "self_built"
	// ModeCooperative is 合作, with a partner.
	ModeCooperative = "cooperative"
)

// ChangeKind is the kind of a major change (P annex 5 step 1).
type ChangeKind string

// The major change kinds of P annex 5 step 1.
const (
	// ChangeCooperationMode is 产品合作模式变化.
	ChangeCooperationMode ChangeKind = "cooperation_mode"
	// ChangePartner is 产品合作方变更.
	ChangePartner ChangeKind = "partner"
	// ChangeManagementLevel is 产品归口管理层级发生变化.
	ChangeManagementLevel ChangeKind = "management_level"
	// ChangeOther is another change the department deems major.
	ChangeOther ChangeKind = "other"
)

// ChangeKinds lists every major change kind.
func ChangeKinds() []ChangeKind {
	return []ChangeKind{ChangeCooperationMode, ChangePartner, ChangeManagementLevel, ChangeOther}
}

// RuleKind is the subject of a basic_rules submission (P§9(一)1; SPEC 7).
type RuleKind string

// The basic rule kinds.
const (
	// RuleCostMeasurement is 产品成本测算管理.
	RuleCostMeasurement RuleKind = "cost_measurement"
	// RulePricing is 定价管理规范.
	RulePricing RuleKind = "pricing"
	// RuleCommission is 酬金管理规范.
	RuleCommission RuleKind = "commission"
	// RulePolicy is a new version of the policy document (SPEC 7).
	RulePolicy RuleKind = "policy"
)

// RuleKinds lists every basic rule kind.
func RuleKinds() []RuleKind {
	return []RuleKind{RuleCostMeasurement, RulePricing, RuleCommission, RulePolicy}
}

func contains[T comparable](list []T, x T) bool {
	for _, y := range list {
		if y == x {
			return true
		}
	}
	return false
}

func joinAll[T ~string](list []T) string {
	parts := make([]string, len(list))
	for i, x := range list {
		parts[i] = string(x)
	}
	return strings.Join(parts, ", ")
}
