package decision

import (
	"fmt"
	"strings"
)

// StepTemplate is one sequential approval step of a level: the role whose
// holder decides, and whether the decision is taken in a meeting whose
// minutes must be referenced.
type StepTemplate struct {
	Role           string `json:"role"`
	RecordsMinutes bool   `json:"recordsMinutes,omitempty"`
	// MinutesCountersigned: the meeting's minutes are countersigned by 集团客户部
	// and the related departments before this step's holder signs them
	// (P§9(二): 形成会议纪要经集团客户部及相关业务主管部门会签同意后，呈公司分管副总经理签发);
	// the countersigns are a phase of their own just before the step.
	MinutesCountersigned bool `json:"minutesCountersigned,omitempty"`
}

// LevelPlan says what a decision level means as approval steps (SPEC 2.3):
// optional parallel countersigns by departments first, then Steps in order.
type LevelPlan struct {
	Level       Level          `json:"level"`
	Countersign bool           `json:"countersign,omitempty"`
	Steps       []StepTemplate `json:"steps"`
	Rule        string         `json:"rule"`
	Description string         `json:"description"`
}

// ApprovalRules holds the approval plans and who approves (SPEC 2.3).
type ApprovalRules struct {
	// Levels gives the steps of every level that decides.
	Levels []LevelPlan `json:"levels"`
	// DefaultCountersigners are the roles of the departments that countersign
	// a chengpi (呈批) submission when Countersigners has no entry for its type
	// (P§9(一): 经相关部门会签; SPEC default finance).
	DefaultCountersigners []string `json:"defaultCountersigners"`
	// Countersigners overrides DefaultCountersigners per submission type.
	Countersigners map[SubmissionType][]string `json:"countersigners,omitempty"`
	// DefaultMinutesCountersigners are the roles that countersign a special
	// meeting's minutes before the VP signs them (P§9(二): 集团客户部及相关业务
	// 主管部门), when MinutesCountersigners has no entry for the type.
	DefaultMinutesCountersigners []string `json:"defaultMinutesCountersigners,omitempty"`
	// MinutesCountersigners overrides DefaultMinutesCountersigners per
	// submission type (the related departments of the matter).
	MinutesCountersigners map[SubmissionType][]string `json:"minutesCountersigners,omitempty"`
	// ApproverOrder names, per role, which holders approve first when several
	// hold it (SPEC 2.3: the policy names which); holders not listed follow in
	// the directory's order.
	ApproverOrder map[string][]string `json:"approverOrder,omitempty"`
}

// CountersignPrefix starts the name of a countersign step, e.g. "countersign:finance".
const CountersignPrefix = "countersign:"

// MinutesPrefix starts the name of a minutes countersign step, e.g.
// "minutes:group_customer" (P§9(二)).
const MinutesPrefix = "minutes:"

// Step is one step of an approval plan. Steps with the same Phase run in
// parallel; a phase starts when every step of the previous one approved.
type Step struct {
	// Name is "countersign:<role>" or the approving role, e.g. "vp", "gm".
	Name string `json:"name"`
	// Role is the directory role whose holder approves.
	Role string `json:"role"`
	// Phase is the step's position in the sequence, from 0.
	Phase int `json:"phase"`
	// RecordsMinutes is true for a meeting decision: the approver gives the
	// meeting minutes reference (会议纪要).
	RecordsMinutes bool   `json:"recordsMinutes,omitempty"`
	Rule           string `json:"rule"`
}

// Plan is the approval steps of a submission at its level.
type Plan struct {
	Level  Level  `json:"level"`
	Steps  []Step `json:"steps"`
	Rule   string `json:"rule"`
	Reason string `json:"reason"`
}

// PlanSteps builds the approval plan of a submission type at a level. A
// natural exit (LevelNone) has an empty plan (P§21(二)4).
func PlanSteps(t SubmissionType, level Level, rules Rules) (Plan, error) {
	if level == LevelNone {
		return Plan{Level: level, Rule: "P§21(二)4", Reason: "no decision: a natural exit's notice is published automatically"}, nil
	}
	var lp *LevelPlan
	for i := range rules.Approval.Levels {
		if rules.Approval.Levels[i].Level == level {
			lp = &rules.Approval.Levels[i]
			break
		}
	}
	if lp == nil {
		return Plan{}, fmt.Errorf("decision: the policy has no approval steps for level %q", level)
	}
	p := Plan{Level: level, Rule: lp.Rule}
	var names []string
	phase := 0
	if lp.Countersign {
		roles := rules.Approval.Countersigners[t]
		if roles == nil {
			roles = rules.Approval.DefaultCountersigners
		}
		for _, role := range roles {
			p.Steps = append(p.Steps, Step{Name: CountersignPrefix + role, Role: role, Phase: phase, Rule: lp.Rule})
		}
		if len(roles) > 0 {
			names = append(names, "countersign by "+strings.Join(roles, ", ")+" in parallel")
			phase++
		}
	}
	for _, st := range lp.Steps {
		if st.MinutesCountersigned {
			// P§9(二): the minutes are countersigned before the VP signs them.
			roles := rules.Approval.MinutesCountersigners[t]
			if roles == nil {
				roles = rules.Approval.DefaultMinutesCountersigners
			}
			for _, role := range roles {
				p.Steps = append(p.Steps, Step{Name: MinutesPrefix + role, Role: role, Phase: phase, Rule: "P§9(二)"})
			}
			if len(roles) > 0 {
				names = append(names, "minutes countersigned by "+strings.Join(roles, ", ")+" in parallel")
				phase++
			}
		}
		p.Steps = append(p.Steps, Step{Name: st.Role, Role: st.Role, Phase: phase, RecordsMinutes: st.RecordsMinutes, Rule: lp.Rule})
		names = append(names, st.Role)
		phase++
	}
	if len(p.Steps) == 0 {
		return Plan{}, fmt.Errorf("decision: the policy's approval plan for level %q has no steps", level)
	}
	p.Reason = fmt.Sprintf("%s: %s; steps: %s", level, lp.Description, strings.Join(names, " → "))
	return p, nil
}

// ApproverChoice is who approves a step and who was passed over, and why.
type ApproverChoice struct {
	Role     string    `json:"role"`
	Approver string    `json:"approver"`
	Skipped  []Skipped `json:"skipped,omitempty"`
	Rule     string    `json:"rule"`
	Reason   string    `json:"reason"`
}

// Skipped is a holder of the role passed over.
type Skipped struct {
	Sub    string `json:"sub"`
	Rule   string `json:"rule"`
	Reason string `json:"reason"`
}

// NoApproverError reports a step nobody may approve: every holder of the role
// is the applicant or related to the partner, or nobody holds it.
type NoApproverError struct {
	Role    string
	Skipped []Skipped
}

// Error names the role and why each holder was passed over.
func (e *NoApproverError) Error() string {
	if len(e.Skipped) == 0 {
		return fmt.Sprintf("decision: nobody in the directory holds the role %s", e.Role)
	}
	parts := make([]string, len(e.Skipped))
	for i, s := range e.Skipped {
		parts[i] = fmt.Sprintf("%s (%s, %s)", s.Sub, s.Reason, s.Rule)
	}
	return fmt.Sprintf("decision: no eligible holder of the role %s: %s", e.Role, strings.Join(parts, "; "))
}

// ChooseApprover picks who approves a step of the role (SPEC 2.3): holders in
// the order rules.Approval.ApproverOrder names, then the rest in the given
// (directory) order; the first who holds the role, is not the applicant (SPEC
// 6) and declared no relation with the product's partner (P§24) approves.
func ChooseApprover(role string, holders []Person, applicant, partnerID string, rules Rules) (ApproverChoice, error) {
	choice := ApproverChoice{Role: role}
	for _, p := range orderHolders(holders, rules.Approval.ApproverOrder[role]) {
		switch {
		case !p.HasRole(role):
			continue
		case p.Sub == applicant:
			choice.Skipped = append(choice.Skipped, Skipped{p.Sub, "SPEC 6", "is the applicant: nobody approves their own submission"})
		case p.RelatedTo(partnerID):
			choice.Skipped = append(choice.Skipped, Skipped{p.Sub, "P§24", "declared a relation with the product's partner " + partnerID})
		default:
			choice.Approver = p.Sub
			if len(choice.Skipped) == 0 {
				choice.Rule = "SPEC 2.3"
				choice.Reason = fmt.Sprintf("%s is the first holder of the role %s", p.Sub, role)
			} else {
				choice.Rule = "SPEC 2.3, P§24"
				choice.Reason = fmt.Sprintf("%s is the next holder of the role %s after %d passed over", p.Sub, role, len(choice.Skipped))
			}
			return choice, nil
		}
	}
	return ApproverChoice{}, &NoApproverError{Role: role, Skipped: choice.Skipped}
}

func orderHolders(holders []Person, preferred []string) []Person {
	out := make([]Person, 0, len(holders))
	used := make([]bool, len(holders))
	for _, sub := range preferred {
		for i, p := range holders {
			if !used[i] && p.Sub == sub {
				out = append(out, p)
				used[i] = true
			}
		}
	}
	for i, p := range holders {
		if !used[i] {
			out = append(out, p)
		}
	}
	return out
}

// StepStatus is where one approval step stands.
type StepStatus string

// The step statuses.
const (
	// StepPending has not started: an earlier phase is still deciding.
	StepPending StepStatus = "pending"
	// StepWaiting has started: its approver has the email link (SPEC 2.4).
	StepWaiting StepStatus = "waiting"
	// StepUnassigned has started but nobody eligible holds its role (nobody
	// holds it, or every holder is the applicant or declared a relation): the
	// admins are told, and it becomes waiting as soon as the directory gains
	// an eligible holder; its timeout still applies (SPEC 2.3).
	StepUnassigned StepStatus = "unassigned"
	// StepApproved was approved.
	StepApproved StepStatus = "approved"
	// StepRejected was rejected.
	StepRejected StepStatus = "rejected"
	// StepReturned was returned to the applicant.
	StepReturned StepStatus = "returned"
	// StepExpired timed out unanswered (SPEC 2.4).
	StepExpired StepStatus = "expired"
	// StepCancelled was waiting or pending when another step ended the submission.
	StepCancelled StepStatus = "cancelled"
)

// StepDecision is an approver's decision on a step, as posted from the page.
type StepDecision struct {
	Verdict    Verdict `json:"decision"`
	Comment    string  `json:"comment,omitempty"`
	MinutesRef string  `json:"minutesRef,omitempty"`
}

// Progress is where the approval of a submission stands after its steps.
type Progress struct {
	// Status is deciding, approved, rejected, returned or expired.
	Status Status `json:"status"`
	// Start lists the indices of steps to start now (email their approvers).
	Start []int `json:"start,omitempty"`
	// Cancel lists the indices of steps no longer needed (invalidate their links).
	Cancel []int  `json:"cancel,omitempty"`
	Rule   string `json:"rule"`
	Reason string `json:"reason"`
}

// Advance tells where the approval stands given every step's status, in plan
// order (SPEC 2.3): any reject → rejected; else any return → returned; else
// any expiry → expired (SPEC 2.4); those cancel the steps still open. Else
// the first phase not fully approved is deciding, and its pending steps
// start; when every step approved the submission is approved. Like the
// reviews, a reject outweighs a return given in the same parallel phase.
func Advance(plan Plan, statuses []StepStatus) (Progress, error) {
	if len(statuses) != len(plan.Steps) {
		return Progress{}, fmt.Errorf("decision: %d step statuses for a plan of %d steps", len(statuses), len(plan.Steps))
	}
	for i, s := range statuses {
		switch s {
		case StepPending, StepWaiting, StepUnassigned, StepApproved, StepRejected, StepReturned, StepExpired, StepCancelled:
		default:
			return Progress{}, fmt.Errorf("decision: step %s has unknown status %q", plan.Steps[i].Name, s)
		}
	}
	for _, end := range []struct {
		step   StepStatus
		status Status
		what   string
	}{
		{StepRejected, StatusRejected, "rejected: any step that rejects ends the submission"},
		{StepReturned, StatusReturned, "returned: it goes back to the applicant"},
		{StepExpired, StatusExpired, "expired unanswered: the applicant is notified"},
	} {
		for i, s := range statuses {
			if s != end.step {
				continue
			}
			p := Progress{Status: end.status, Rule: plan.Steps[i].Rule,
				Reason: fmt.Sprintf("step %s %s", plan.Steps[i].Name, end.what)}
			if end.step == StepExpired {
				p.Rule = "SPEC 2.4"
			}
			for j, o := range statuses {
				if o == StepPending || o == StepWaiting || o == StepUnassigned {
					p.Cancel = append(p.Cancel, j)
				}
			}
			return p, nil
		}
	}
	for i, s := range statuses {
		if s == StepCancelled {
			return Progress{}, fmt.Errorf("decision: step %s is cancelled but no step ended the submission", plan.Steps[i].Name)
		}
	}
	for i, s := range statuses {
		if s == StepApproved {
			continue
		}
		phase := plan.Steps[i].Phase
		p := Progress{Status: StatusDeciding, Rule: plan.Steps[i].Rule}
		var waiting []string
		for j, st := range plan.Steps {
			if st.Phase != phase {
				continue
			}
			switch statuses[j] {
			case StepPending:
				p.Start = append(p.Start, j)
				waiting = append(waiting, st.Name)
			case StepWaiting:
				waiting = append(waiting, st.Name)
			case StepUnassigned:
				waiting = append(waiting, st.Name+" (unassigned: no eligible approver yet)")
			}
		}
		p.Reason = "waiting for " + strings.Join(waiting, ", ")
		return p, nil
	}
	if len(plan.Steps) == 0 {
		return Progress{Status: StatusApproved, Rule: plan.Rule, Reason: plan.Reason}, nil
	}
	return Progress{Status: StatusApproved, Rule: plan.Rule, Reason: "every approval step approved"}, nil
}

// DecideStep records an approver's decision on a waiting step and tells where
// the approval stands. It refuses a step that is not waiting (already
// decided, not started, or cancelled), so exactly one decision counts (SPEC
// 2.4), and a decision without what it needs: a comment to reject or return,
// the minutes reference of a meeting step. It returns the new statuses; the
// input slice is left unchanged.
func DecideStep(plan Plan, statuses []StepStatus, index int, d StepDecision) ([]StepStatus, Progress, error) {
	if index < 0 || index >= len(plan.Steps) || len(statuses) != len(plan.Steps) {
		return nil, Progress{}, fmt.Errorf("decision: no step %d in a plan of %d steps", index, len(plan.Steps))
	}
	step := plan.Steps[index]
	if statuses[index] != StepWaiting {
		return nil, Progress{}, Refusals{{Rule: "SPEC 2.4", Reason: fmt.Sprintf("step %s is %s, not waiting for a decision", step.Name, statuses[index])}}
	}
	errs := FieldErrors{}
	if err := ValidateVerdict(d.Verdict, d.Comment); err != nil {
		for f, why := range err.(FieldErrors) {
			if f == "vote" {
				f = "decision"
			}
			errs.add(f, why)
		}
	}
	if step.RecordsMinutes && strings.TrimSpace(d.MinutesRef) == "" {
		errs.add("minutesRef", "is required: step "+step.Name+" is a meeting decision and records its minutes ("+step.Rule+")")
	}
	if err := errs.errOrNil(); err != nil {
		return nil, Progress{}, err
	}
	next := append([]StepStatus(nil), statuses...)
	switch d.Verdict {
	case VerdictApprove:
		next[index] = StepApproved
	case VerdictReject:
		next[index] = StepRejected
	case VerdictReturn:
		next[index] = StepReturned
	}
	p, err := Advance(plan, next)
	if err != nil {
		return nil, Progress{}, err
	}
	for _, j := range p.Cancel {
		next[j] = StepCancelled
	}
	for _, j := range p.Start {
		next[j] = StepWaiting
	}
	return next, p, nil
}

// ExpireStep marks a waiting or unassigned step expired (SPEC 2.4: an
// unanswered step expires after its timeout and the submission becomes
// expired; SPEC 2.3: an unassigned step's timeout still applies).
func ExpireStep(plan Plan, statuses []StepStatus, index int) ([]StepStatus, Progress, error) {
	if index < 0 || index >= len(plan.Steps) || len(statuses) != len(plan.Steps) {
		return nil, Progress{}, fmt.Errorf("decision: no step %d in a plan of %d steps", index, len(plan.Steps))
	}
	if statuses[index] != StepWaiting && statuses[index] != StepUnassigned {
		return nil, Progress{}, Refusals{{Rule: "SPEC 2.4", Reason: fmt.Sprintf("step %s is %s, not waiting", plan.Steps[index].Name, statuses[index])}}
	}
	next := append([]StepStatus(nil), statuses...)
	next[index] = StepExpired
	p, err := Advance(plan, next)
	if err != nil {
		return nil, Progress{}, err
	}
	for _, j := range p.Cancel {
		next[j] = StepCancelled
	}
	return next, p, nil
}

// StartPlan returns the initial statuses of a plan (all pending) with its
// first phase started, and where the approval stands.
func StartPlan(plan Plan) ([]StepStatus, Progress, error) {
	statuses := make([]StepStatus, len(plan.Steps))
	for i := range statuses {
		statuses[i] = StepPending
	}
	p, err := Advance(plan, statuses)
	if err != nil {
		return nil, Progress{}, err
	}
	for _, j := range p.Start {
		statuses[j] = StepWaiting
	}
	return statuses, p, nil
}

// UnassignStep marks a started step unassigned: nobody eligible holds its
// role (SPEC 2.3). Only a waiting step without a decision can be.
func UnassignStep(statuses []StepStatus, index int) ([]StepStatus, error) {
	if index < 0 || index >= len(statuses) {
		return nil, fmt.Errorf("decision: no step %d of %d", index, len(statuses))
	}
	if statuses[index] != StepWaiting {
		return nil, Refusals{{Rule: "SPEC 2.3", Reason: fmt.Sprintf("step %d is %s, not waiting for its approver", index, statuses[index])}}
	}
	next := append([]StepStatus(nil), statuses...)
	next[index] = StepUnassigned
	return next, nil
}

// AssignStep starts an unassigned step once the directory gained an eligible
// holder of its role (SPEC 2.3): it becomes waiting for that approver.
func AssignStep(statuses []StepStatus, index int) ([]StepStatus, error) {
	if index < 0 || index >= len(statuses) {
		return nil, fmt.Errorf("decision: no step %d of %d", index, len(statuses))
	}
	if statuses[index] != StepUnassigned {
		return nil, Refusals{{Rule: "SPEC 2.3", Reason: fmt.Sprintf("step %d is %s, not unassigned", index, statuses[index])}}
	}
	next := append([]StepStatus(nil), statuses...)
	next[index] = StepWaiting
	return next, nil
}

// UnassignedNote says, for a submission's status, which steps have no
// eligible approver yet; empty when none (SPEC 2.3).
func UnassignedNote(steps []StepRecord) string {
	var names []string
	for _, st := range steps {
		if st.Status == StepUnassigned {
			names = append(names, st.Name)
		}
	}
	if len(names) == 0 {
		return ""
	}
	return "unassigned: no eligible approver for " + strings.Join(names, ", ") +
		" yet; the admins were told, and the step starts when the directory gains an eligible holder (SPEC 2.3)"
}
