package decision

import (
	"fmt"
	"strings"
)

// ReviewRules holds the pre-decision review figures (P§8; SPEC 2.2).
type ReviewRules struct {
	// GroupMinVoters is the least number of group reviewers (P§8(一): 不低于 5 人).
	GroupMinVoters int `json:"groupMinVoters"`
	// CrossDepartmentMinVoters is the least number of cross-department
	// attendees (P§8(二): 不少于 5 人).
	CrossDepartmentMinVoters int `json:"crossDepartmentMinVoters"`
	// GroupDepartments are the departments the group is composed of
	// (P§8(一): 集团客户部牵头，政企客户中心、系统集成各室代表): each must be
	// represented by at least one voter (SPEC 2.2 decided). Experts invited
	// from other departments (财务部、客户响应中心…) vote and count toward the
	// minimum but never replace a missing department.
	GroupDepartments []string `json:"groupDepartments"`
	// CrossDepartmentDepartments are the departments the cross-department
	// review is composed of (P§8(二): 集团客户部、政企客户中心、系统集成), each
	// represented by at least one voter (SPEC 2.2 decided).
	CrossDepartmentDepartments []string `json:"crossDepartmentDepartments"`
	// ReviewerRole is the role a voter must hold (SPEC 6: reviewer votes).
	ReviewerRole string `json:"reviewerRole"`
}

// MinVoters returns the least number of voters of a review stage.
func (r ReviewRules) MinVoters(stage ReviewStage) int {
	if stage == StageCrossDepartment {
		return r.CrossDepartmentMinVoters
	}
	return r.GroupMinVoters
}

// Departments returns the departments a review stage is composed of.
func (r ReviewRules) Departments(stage ReviewStage) []string {
	if stage == StageCrossDepartment {
		return r.CrossDepartmentDepartments
	}
	return r.GroupDepartments
}

// Person is someone from the user directory (SPEC 6, 8: PUT /users/{sub}).
type Person struct {
	Sub   string   `json:"sub"`
	Roles []string `json:"roles"`
	Dept  string   `json:"dept,omitempty"`
	// RelatedPartners are the partners the person declared a relation with (P§24).
	RelatedPartners []string `json:"relatedPartners,omitempty"`
}

// HasRole reports whether the person holds the role.
func (p Person) HasRole(role string) bool { return contains(p.Roles, role) }

// RelatedTo reports whether the person declared a relation with the partner;
// a product without a partner relates to nobody.
func (p Person) RelatedTo(partnerID string) bool {
	return partnerID != "" && contains(p.RelatedPartners, partnerID)
}

// Vote is one reviewer's vote in a stage (SPEC 8: POST /submissions/{id}/votes).
type Vote struct {
	Voter   string  `json:"voter"`
	Verdict Verdict `json:"vote"`
	Comment string  `json:"comment,omitempty"`
	// Dept is the voter's department in the directory when they voted; the
	// stage's composition is checked on it (P§8, SPEC 2.2 decided).
	Dept string `json:"dept,omitempty"`
}

// ValidateVerdict checks a vote or an approval decision as the caller sent
// it: the verdict must be approve, reject or return, and a reject or return
// needs a comment, since the applicant must learn why (decided: an approval
// may go without one).
func ValidateVerdict(verdict Verdict, comment string) error {
	errs := FieldErrors{}
	if !verdict.Valid() {
		errs.add("vote", fmt.Sprintf("must be %s, %s or %s", VerdictApprove, VerdictReject, VerdictReturn))
	} else if verdict != VerdictApprove && strings.TrimSpace(comment) == "" {
		errs.add("comment", fmt.Sprintf("is required with %s: the applicant must learn why (SPEC 2.2)", verdict))
	}
	return errs.errOrNil()
}

// StageResult is where a review stage stands after its votes.
type StageResult string

// The stage results.
const (
	// StageWaiting needs more votes.
	StageWaiting StageResult = "waiting"
	// StagePassed: at least the minimum of voters, all approving.
	StagePassed StageResult = "passed"
	// StageRejected: a reviewer rejected.
	StageRejected StageResult = "rejected"
	// StageReturned: a reviewer returned it, nobody rejected.
	StageReturned StageResult = "returned"
)

// StageTally is the count of a stage's votes and its result.
type StageTally struct {
	Stage     ReviewStage `json:"stage"`
	Result    StageResult `json:"result"`
	Votes     int         `json:"votes"`
	Approvals int         `json:"approvals"`
	Rejects   int         `json:"rejects"`
	Returns   int         `json:"returns"`
	MinVoters int         `json:"minVoters"`
	// MissingDepartments are the stage's departments without a voter yet: the
	// stage cannot pass while any is missing (P§8, SPEC 2.2 decided).
	MissingDepartments []string `json:"missingDepartments,omitempty"`
	Rule               string   `json:"rule"`
	Reason             string   `json:"reason"`
}

// TallyStage counts the votes of one stage of one revision (P§8, SPEC 2.2):
//   - a reject decides at once: the stage can no longer pass, and a reject
//     outweighs any return, so no later vote can change the outcome;
//   - a return decides once the minimum of voters is reached (decided): until
//     then a later reject would still turn it into rejected, and the applicant
//     gets every reviewer's comments in one go;
//   - the stage passes when at least the minimum voted, all approved
//     (审议一致通过) and each of the stage's departments is represented by
//     at least one voter (P§8 composes both stages from 集团客户部, 政企客户中心
//     and 系统集成; SPEC 2.2 decided): experts of other departments count
//     toward the minimum but never replace a missing department;
//   - otherwise it waits, and says which department is missing.
func TallyStage(stage ReviewStage, votes []Vote, rules Rules) (StageTally, error) {
	if !stage.Valid() {
		return StageTally{}, fmt.Errorf("decision: unknown review stage %q", stage)
	}
	min := rules.Review.MinVoters(stage)
	t := StageTally{Stage: stage, Votes: len(votes), MinVoters: min, Rule: stageRule(stage)}
	seen := map[string]bool{}
	present := map[string]bool{}
	for _, v := range votes {
		present[v.Dept] = true
		if seen[v.Voter] {
			return StageTally{}, fmt.Errorf("decision: %s voted twice in the %s review", v.Voter, stage)
		}
		seen[v.Voter] = true
		switch v.Verdict {
		case VerdictApprove:
			t.Approvals++
		case VerdictReject:
			t.Rejects++
		case VerdictReturn:
			t.Returns++
		default:
			return StageTally{}, fmt.Errorf("decision: %s cast an unknown vote %q", v.Voter, v.Verdict)
		}
	}
	for _, d := range rules.Review.Departments(stage) {
		if !present[d] {
			t.MissingDepartments = append(t.MissingDepartments, d)
		}
	}
	count := fmt.Sprintf("%d of at least %d voters: %d approve, %d reject, %d return",
		t.Votes, min, t.Approvals, t.Rejects, t.Returns)
	switch {
	case t.Rejects > 0:
		t.Result = StageRejected
		t.Reason = "a reviewer rejected; any reject ends the submission as rejected (" + count + ")"
	case t.Votes >= min && t.Returns > 0:
		t.Result = StageReturned
		t.Reason = "a reviewer returned it and nobody rejected; it goes back to the applicant (" + count + ")"
	case t.Votes >= min && len(t.MissingDepartments) > 0:
		t.Result = StageWaiting
		t.Reason = fmt.Sprintf("waiting: no voter yet from %s; the stage is composed of %s and experts of other departments do not replace them (%s)",
			strings.Join(t.MissingDepartments, ", "), strings.Join(rules.Review.Departments(stage), ", "), count)
	case t.Votes >= min:
		t.Result = StagePassed
		t.Reason = "all voters approved (审议一致通过) with every department represented (" + count + ")"
	default:
		t.Result = StageWaiting
		t.Reason = "waiting for votes (" + count + ")"
		if len(t.MissingDepartments) > 0 {
			t.Reason += "; no voter yet from " + strings.Join(t.MissingDepartments, ", ")
		}
	}
	return t, nil
}

func stageRule(stage ReviewStage) string {
	if stage == StageCrossDepartment {
		return "P§8(二)"
	}
	return "P§8(一)"
}

// stageStatus is the submission status during which a stage takes votes.
var stageStatus = map[ReviewStage]Status{
	StageGroup:           StatusGroupReview,
	StageCrossDepartment: StatusCrossReview,
}

// ReviewContext is what the eligibility check of a voter needs to know
// about the submission.
type ReviewContext struct {
	// Status is the submission's current status.
	Status Status
	// Stage is the stage the vote is for.
	Stage ReviewStage
	// Applicant is the sub of the person who submitted.
	Applicant string
	// PartnerID is the product's partner, empty for a self-built product.
	PartnerID string
	// Votes are the votes already cast in this stage of this revision.
	Votes []Vote
}

// CheckVoter tells whether the person may vote now (SPEC 2.2, 6). It returns
// nil or Refusals naming every reason against:
//   - the stage must be the submission's current one and still undecided;
//   - the person must hold the reviewer role (SPEC 6);
//   - nobody reviews their own submission (SPEC 6);
//   - a declared relation with the product's partner excludes (P§24, SPEC 2.2 decided);
//   - one vote per person per stage per revision: a revote is refused (decided),
//     so a vote on the record is never silently replaced.
func CheckVoter(p Person, ctx ReviewContext, rules Rules) error {
	var refusals Refusals
	if !ctx.Stage.Valid() {
		refusals = append(refusals, Refusal{"SPEC 2.2", fmt.Sprintf("unknown review stage %q; allowed: group, cross_department", ctx.Stage)})
	} else if stageStatus[ctx.Stage] != ctx.Status {
		refusals = append(refusals, Refusal{"SPEC 2.2", fmt.Sprintf(
			"the submission is %s, not in the %s review", ctx.Status, ctx.Stage)})
	} else if t, err := TallyStage(ctx.Stage, ctx.Votes, rules); err != nil {
		return err
	} else if t.Result != StageWaiting {
		refusals = append(refusals, Refusal{t.Rule, fmt.Sprintf("the %s review is already decided: %s", ctx.Stage, t.Result)})
	}
	if !p.HasRole(rules.Review.ReviewerRole) {
		refusals = append(refusals, Refusal{"SPEC 6", "only a person with the " + rules.Review.ReviewerRole + " role votes"})
	}
	if p.Sub == ctx.Applicant {
		refusals = append(refusals, Refusal{"SPEC 6", "nobody reviews their own submission"})
	}
	if p.RelatedTo(ctx.PartnerID) {
		refusals = append(refusals, Refusal{"P§24", "declared a relation with the product's partner " + ctx.PartnerID})
	}
	for _, v := range ctx.Votes {
		if v.Voter == p.Sub {
			refusals = append(refusals, Refusal{"SPEC 2.2", fmt.Sprintf(
				"already voted %s in the %s review of this revision; one vote per person", v.Verdict, ctx.Stage)})
			break
		}
	}
	return refusals.errOrNil()
}

// StatusAfterStage is the submission's status once a stage has its result:
// group passed → cross review, cross-department passed → deciding (P§8: both
// reviews before the decision); rejected and returned end the revision.
func StatusAfterStage(stage ReviewStage, result StageResult) (Status, error) {
	switch result {
	case StageWaiting:
		if s, ok := stageStatus[stage]; ok {
			return s, nil
		}
	case StagePassed:
		switch stage {
		case StageGroup:
			return StatusCrossReview, nil
		case StageCrossDepartment:
			return StatusDeciding, nil
		}
	case StageRejected:
		return StatusRejected, nil
	case StageReturned:
		return StatusReturned, nil
	}
	return "", fmt.Errorf("decision: no status after %s review result %q", stage, result)
}

// InitialStatus is a new submission's (or revision's) first status: the
// group review, except for a submission that needs no review, which is
// approved at once (a natural exit, P§21(二)4).
func InitialStatus(r Routing) Status {
	if !r.NeedsReview {
		return StatusApproved
	}
	return StatusGroupReview
}

// Resubmit checks that a submission may get a new revision: only a returned
// one may, and the new revision restarts the group review (SPEC 2.2). The
// caller also checks that the applicant is the one resubmitting (SPEC 6).
func Resubmit(current Status, r Routing) (Status, error) {
	if current != StatusReturned {
		return "", fmt.Errorf("decision: only a returned submission may be resubmitted; this one is %s", current)
	}
	return InitialStatus(r), nil
}
