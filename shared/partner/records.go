package partner

import (
	"math/big"
	"time"

	"productgov/shared/money"
	"productgov/shared/period"
)

// Partner kinds (SPEC 4.1).
const (
	KindSI      = "si"      // a product cooperation partner (P§2)
	KindSupport = "support" // an operation-support partner (seed 003)
)

// Partner statuses (SPEC 4.1, 4.5).
const (
	StatusApplied = "applied" // screening passed; deposit and agreement pending
	// StatusPendingReview is a new si partner awaiting its SI qualification
	// review (P§15(三)); StatusUnqualified one whose review failed.
	StatusPendingReview = "pending_review"
	StatusUnqualified   = "unqualified"
	StatusIneligible    = "ineligible" // screening failed (S§8)
	StatusActive        = "active"     // the agreement is in force (an si partner from its registration)
	StatusTerminated    = "terminated" // ended by notice or at the end of term (S§21)
	StatusExited        = "exited"     // exit by assessment (S§21): no renewal, no re-entry for 3 years
)

// Partner is a partner's record: its intake, agreement, deposit balance and
// assessments. Every part names the rule that set it; PolicyVersion is the
// policy of the intake.
type Partner struct {
	ID     string `json:"id"`
	Kind   string `json:"kind"`
	Name   string `json:"name"`
	Status string `json:"status"`
	// Facts are the intake facts (support partners).
	Facts *IntakeFacts `json:"facts,omitempty"`
	// Screening is the intake screening (support partners; S§8, S§21).
	Screening *Screening `json:"screening"`
	// Qualification is the latest SI qualification review (si partners, P§15(三)).
	Qualification  *Qualification `json:"qualification,omitempty"`
	DepositBalance money.Amount   `json:"depositBalance"`
	// DepositPaidOn is the day the deposit was paid, in one sum (S§20).
	DepositPaidOn *period.Date `json:"depositPaidOn,omitempty"`
	Agreement     *Agreement   `json:"agreement,omitempty"`
	// Exclusivity is the exclusivity the agreement carries (S§8.6(3)).
	Exclusivity *Exclusivity `json:"exclusivity,omitempty"`
	// ActivationWarnings are the warnings given when the agreement became active (S§7).
	ActivationWarnings []string           `json:"activationWarnings,omitempty"`
	AnnualScores       []AnnualAssessment `json:"annualScores"`
	TermEvaluation     *TermEvaluation    `json:"termEvaluation,omitempty"`
	Termination        *TerminationPlan   `json:"termination,omitempty"`
	Exit               *Exit              `json:"exit,omitempty"`
	// TerminatedOn is the day the partnership ended (the deposit refund counts from it).
	TerminatedOn *period.Date   `json:"terminatedOn,omitempty"`
	Refund       *RefundRequest `json:"refund,omitempty"`
	// Counted is true while the partner counts toward the active-partner limit (S§7).
	Counted       bool      `json:"counted"`
	PolicyVersion string    `json:"policyVersion"`
	Version       int64     `json:"version"`
	CreatedBy     string    `json:"createdBy"`
	CreatedAt     time.Time `json:"createdAt"`
	UpdatedAt     time.Time `json:"updatedAt"`
}

// Exclusivity is S§8.6(3): during the agreement and one year after it the
// partner supports no other operator's competing services.
type Exclusivity struct {
	Exclusive bool        `json:"exclusive"`
	Until     period.Date `json:"until"`
	Rule      string      `json:"rule"`
	Reason    string      `json:"reason"`
}

// ExclusivityOf returns the exclusivity of an agreement (S§8.6(3): 合作期间及合作终止后1年内).
func ExclusivityOf(a Agreement) Exclusivity {
	until := a.End.AddMonths(12)
	return Exclusivity{Exclusive: true, Until: until, Rule: "S§8.6(3)",
		Reason: "exclusive during the agreement and for one year after it, until " + until.String()}
}

// ProjectYear is one project's annual score within a partner's annual assessment.
type ProjectYear struct {
	ProjectID string             `json:"projectId"`
	ProductID string             `json:"productId"`
	Result    ProjectAnnualScore `json:"result"`
	// ScoreExact is the exact score ("220/3" or "73.5"); Result.Score shows it rounded.
	ScoreExact string `json:"scoreExact"`
}

// AnnualAssessment is a partner's assessment of one year (S§21, S-A6 表一–表三):
// its projects' scores, the partner score, the quarterly warning and the exit check.
type AnnualAssessment struct {
	Year     int                `json:"year"`
	Projects []ProjectYear      `json:"projects"`
	Partner  PartnerAnnualScore `json:"partner"`
	// Score and Passed repeat Partner's for the SPEC 8 listing; ScoreExact keeps the exact value.
	Score         Score          `json:"score"`
	ScoreExact    string         `json:"scoreExact"`
	Passed        bool           `json:"passed"`
	QuarterScores []QuarterScore `json:"quarterScores"`
	Warning       Alert          `json:"warning"`
	Exit          Alert          `json:"exit"`
	PolicyVersion string         `json:"policyVersion"`
	AssessedAt    time.Time      `json:"assessedAt"`
}

// ExactScore reads back a score stored with Score.Exact ("73.5" or "220/3").
func ExactScore(s string) (Score, bool) {
	if s == "" {
		return Score{}, true
	}
	r, ok := new(big.Rat).SetString(s)
	if !ok {
		return Score{}, false
	}
	return ScoreOfRat(r), true
}

// TermEvaluation is the end-of-term evaluation with the re-check it used (S-A6 表四).
type TermEvaluation struct {
	Result        TermResult       `json:"result"`
	Recheck       map[string]Score `json:"recheck"`
	Years         []int            `json:"years"`
	PolicyVersion string           `json:"policyVersion"`
	EvaluatedAt   time.Time        `json:"evaluatedAt"`
}

// Approval decisions of a staged approval.
const (
	DecisionApprove = "approve"
	DecisionReject  = "reject"
)

// Staged-approval statuses.
const (
	ApprovalPending  = "pending"
	ApprovalApproved = "approved"
	ApprovalRejected = "rejected"
)

// ApprovalAct is one decision in a staged approval.
type ApprovalAct struct {
	Step     string    `json:"step"`
	Role     string    `json:"role"`
	By       string    `json:"by"`
	Decision string    `json:"decision"`
	Comment  string    `json:"comment,omitempty"`
	At       time.Time `json:"at"`
}

// ApprovalState is where a staged approval stands (S§11 project approval, S§20 refund).
type ApprovalState struct {
	Plan   ApprovalPlan  `json:"plan"`
	Stage  int           `json:"stage"` // index of the stage awaiting decisions
	Status string        `json:"status"`
	Acts   []ApprovalAct `json:"acts"`
}

// NewApproval starts a staged approval of the plan.
func NewApproval(plan ApprovalPlan) ApprovalState {
	return ApprovalState{Plan: plan, Status: ApprovalPending, Acts: []ApprovalAct{}}
}

// ProposedBy reports whether sub made the approval's proposal: an act of its
// initiate stage (S§11). Nobody approves their own proposal (SPEC 6).
func (a ApprovalState) ProposedBy(sub string) bool {
	for _, act := range a.Acts {
		for _, st := range a.Plan.Stages {
			if st.Step == act.Step && st.Action == ActionInitiate && act.By == sub {
				return true
			}
		}
	}
	return false
}

// Awaited returns the roles of the current stage that have not decided yet.
func (a ApprovalState) Awaited() []string {
	if a.Status != ApprovalPending || a.Stage >= len(a.Plan.Stages) {
		return nil
	}
	st := a.Plan.Stages[a.Stage]
	var out []string
	for _, r := range st.Roles {
		done := false
		for _, act := range a.Acts {
			if act.Step == st.Step && act.Role == r {
				done = true
			}
		}
		if !done {
			out = append(out, r)
		}
	}
	return out
}

// Decide records a decision by a person acting for one of roles in the
// current stage (S§11, S§20): a stage passes when each of its roles approved;
// any rejection ends the approval. A person decides at most once per stage.
func (a ApprovalState) Decide(roles []string, by, decision, comment string, at time.Time) (ApprovalState, error) {
	if decision != DecisionApprove && decision != DecisionReject {
		return a, FieldErrors{"decision": "must be approve or reject"}
	}
	if a.Status != ApprovalPending {
		return a, Refusal{Rule: a.Plan.Rule, Reason: "the approval is " + a.Status + ": nothing awaits a decision"}
	}
	st := a.Plan.Stages[a.Stage]
	for _, act := range a.Acts {
		if act.Step == st.Step && act.By == by {
			return a, Refusal{Rule: a.Plan.Rule, Reason: by + " already decided in the " + st.Step + " stage"}
		}
	}
	role := ""
	for _, want := range a.Awaited() {
		for _, have := range roles {
			if want == have && role == "" {
				role = want
			}
		}
	}
	if role == "" {
		return a, Refusal{Rule: a.Plan.Rule, Reason: "the " + st.Step + " stage awaits " + joinOr(a.Awaited())}
	}
	out := a
	out.Acts = append(append([]ApprovalAct(nil), a.Acts...), ApprovalAct{Step: st.Step, Role: role, By: by,
		Decision: decision, Comment: comment, At: at.UTC()})
	if decision == DecisionReject {
		out.Status = ApprovalRejected
		return out, nil
	}
	if len(out.Awaited()) == 0 {
		out.Stage++
		if out.Stage >= len(out.Plan.Stages) {
			out.Status = ApprovalApproved
		}
	}
	return out, nil
}

func joinOr(roles []string) string {
	s := ""
	for i, r := range roles {
		if i > 0 {
			s += " or "
		}
		s += r
	}
	if s == "" {
		return "nobody"
	}
	return s
}

// RefundRequest is a request to return the deposit balance (S§20) and its approval.
type RefundRequest struct {
	Amount      money.Amount `json:"amount"`
	RequestedBy string       `json:"requestedBy"`
	RequestedAt time.Time    `json:"requestedAt"`
	// Receipt is how the partner proves its payment: the deposit receipt
	// (provided), or, when it was lost, its commitment letter (S§20: 如合作伙伴
	// 保证金收据丢失，还需合作伙伴出具承诺函).
	Receipt          string        `json:"receipt"`
	CommitmentLetter string        `json:"commitmentLetter,omitempty"`
	Approval         ApprovalState `json:"approval"`
	// Entry is the ledger posting once the refund was approved and paid.
	Entry *LedgerEntry `json:"entry,omitempty"`
}

// ScoreFormRecord is one reviewer's stored form (S§11, S-A1).
type ScoreFormRecord struct {
	ProjectID  string     `json:"projectId"`
	Year       int        `json:"year"`
	ReviewerID string     `json:"reviewerId"`
	Department string     `json:"department"`
	Form       ScoreForm  `json:"form"`
	Result     FormResult `json:"result"`
	At         time.Time  `json:"at"`
}

// PenaltyRecord is a recorded penalty (S§19).
type PenaltyRecord struct {
	ID            string        `json:"id"`
	PartnerID     string        `json:"partnerId"`
	Penalty       Penalty       `json:"penalty"`
	Charge        PenaltyCharge `json:"charge"`
	PolicyVersion string        `json:"policyVersion"`
	By            string        `json:"by"`
	At            time.Time     `json:"at"`
}

// StaffChangeRecord is a recorded core-staff change (S§21) and the quarter
// whose settlement bears its charge.
type StaffChangeRecord struct {
	ID            string            `json:"id"`
	PartnerID     string            `json:"partnerId"`
	Change        StaffChange       `json:"change"`
	Charge        StaffChangeCharge `json:"charge"`
	Quarter       period.Quarter    `json:"quarter"`
	PolicyVersion string            `json:"policyVersion"`
	By            string            `json:"by"`
	At            time.Time         `json:"at"`
}

// LedgerRecord is a stored deposit posting with who made it.
type LedgerRecord struct {
	PartnerID string      `json:"partnerId"`
	Key       string      `json:"key"` // unique per partner: the posting's reference
	Entry     LedgerEntry `json:"entry"`
	By        string      `json:"by"`
	At        time.Time   `json:"at"`
}
