package decision

import (
	"encoding/json"
	"time"
)

// Submission is a decision request about one product (or about rules), with
// its current revision's review and approval state (SPEC 2, SPEC 8).
type Submission struct {
	ID        string         `json:"id"`
	Type      SubmissionType `json:"type"`
	ProductID string         `json:"productId,omitempty"`
	// Applicant is the sub of the person who submitted; the system's own
	// submissions (assessment exits) name "system".
	Applicant string `json:"applicant"`
	// Revision counts resubmissions after a return, from 1; each revision
	// restarts the group review (SPEC 2.2).
	Revision int    `json:"revision"`
	Status   Status `json:"status"`
	// StatusNote qualifies the status: while a step is unassigned it says so
	// (SPEC 2.3); empty otherwise.
	StatusNote    string  `json:"statusNote,omitempty"`
	DecisionLevel Level   `json:"decisionLevel"`
	Routing       Routing `json:"routing"`
	// Content is the validated content of the current revision, as
	// ValidateContent normalised it.
	Content json.RawMessage `json:"content"`
	// PartnerID is the product's partner when it was submitted; people related
	// to it take no part (P§24).
	PartnerID string `json:"partnerId,omitempty"`
	Plan      Plan   `json:"plan"`
	// Steps are the approval steps of the current revision, in plan order.
	Steps []StepRecord `json:"steps"`
	// Reviews are the tallies of the current revision's review stages.
	Reviews []StageTally `json:"reviews"`
	// ExecutionArn is the approval workflow run of the current revision.
	ExecutionArn  string `json:"executionArn,omitempty"`
	PolicyVersion string `json:"policyVersion"`
	// Outcome explains the final status: the rule and reason that decided it.
	Outcome   *Outcome  `json:"outcome,omitempty"`
	CreatedAt time.Time `json:"createdAt"`
	UpdatedAt time.Time `json:"updatedAt"`
	Version   int64     `json:"version"`
	// ReviewTokens hold the workflow's task tokens of the waiting review
	// stages; they never leave the server.
	ReviewTokens map[ReviewStage]string `json:"-"`
	// EffectsApplied records that an approval's effect on the product was
	// made, so a repeated finish changes nothing.
	EffectsApplied bool `json:"effectsApplied"`
}

// StepRecord is one approval step as it stands (SPEC 8: steps[] with name,
// approver, status, decidedAt, comment).
type StepRecord struct {
	Name       string     `json:"name"`
	Role       string     `json:"role"`
	Phase      int        `json:"phase"`
	Approver   string     `json:"approver,omitempty"`
	Status     StepStatus `json:"status"`
	StartedAt  *time.Time `json:"startedAt,omitempty"`
	DecidedAt  *time.Time `json:"decidedAt,omitempty"`
	Comment    string     `json:"comment,omitempty"`
	MinutesRef string     `json:"minutesRef,omitempty"`
	// ApprovalID is the current email link's id (its token stays server-side).
	ApprovalID string `json:"-"`
}

// Outcome is why a submission ended as it did.
type Outcome struct {
	Rule   string    `json:"rule"`
	Reason string    `json:"reason"`
	At     time.Time `json:"at"`
}

// StepStatuses returns the steps' statuses in plan order, for Advance and DecideStep.
func (s Submission) StepStatuses() []StepStatus {
	out := make([]StepStatus, len(s.Steps))
	for i, st := range s.Steps {
		out[i] = st.Status
	}
	return out
}

// StepIndex returns the index of the named step, or -1.
func (s Submission) StepIndex(name string) int {
	for i, st := range s.Steps {
		if st.Name == name {
			return i
		}
	}
	return -1
}

// StepsOf turns a plan into step records, all pending.
func StepsOf(p Plan) []StepRecord {
	out := make([]StepRecord, len(p.Steps))
	for i, st := range p.Steps {
		out[i] = StepRecord{Name: st.Name, Role: st.Role, Phase: st.Phase, Status: StepPending}
	}
	return out
}

// ReviewStageOf returns the review stage a status takes votes in, if any.
func ReviewStageOf(s Status) (ReviewStage, bool) {
	for stage, st := range stageStatus {
		if st == s {
			return stage, true
		}
	}
	return "", false
}
