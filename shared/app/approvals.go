package app

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	sfntypes "github.com/aws/aws-sdk-go-v2/service/sfn/types"

	"productgov/shared/decision"
	"productgov/shared/directory"
	"productgov/shared/problem"
	"productgov/shared/store"
)

// LinkState is what an approval link's page shows (SPEC 2.4).
type LinkState string

// Link states; only LinkOpen shows the decision form.
const (
	LinkOpen       LinkState = "open"
	LinkInvalid    LinkState = "invalid"    // unknown id or forged signature
	LinkExpired    LinkState = "expired"    // past its expiry, or the step timed out
	LinkUsed       LinkState = "used"       // a decision was already made with it
	LinkSuperseded LinkState = "superseded" // the revision or step is no longer current
	LinkDecided    LinkState = "decided"    // this request just made the decision
	// linkStalled is a decision claimed but cut off (its request's process
	// stopped): the page shows it used; a POST, or the hourly sweep, completes it.
	linkStalled LinkState = "stalled"
)

// claimLease is how long a claimed decision may be in flight before another
// request may complete it: far longer than completing one takes.
const claimLease = 30 * time.Second

// ApprovalPage is everything the approval page shows.
type ApprovalPage struct {
	State LinkState
	// Approval is the link's record; zero for an invalid link.
	Approval store.Approval
	Summary  Summary
	// StepName is the step's Chinese name.
	StepName string
	// RecordsMinutes asks for the meeting minutes reference.
	RecordsMinutes bool
	Reviews        []ReviewLine
	Steps          []decision.StepRecord
	// Decision is the decision recorded with this link, if any.
	Decision string
	// Errors are form problems to show with the form again.
	Errors map[string]string
	// Staged marks a partner approval (S§11, S§20): approve or reject only.
	Staged bool
}

// ReviewLine is one vote of the review record.
type ReviewLine struct {
	Stage, Voter, Vote, Comment string
}

// ViewApproval loads a link's page. It never changes anything: mail scanners
// open links (SPEC 2.4).
func (s *Service) ViewApproval(ctx context.Context, approvalID, sig string) (ApprovalPage, error) {
	a, state, err := s.checkLink(ctx, approvalID, sig)
	if err != nil || state == LinkInvalid {
		return ApprovalPage{State: LinkInvalid}, err
	}
	if state == linkStalled {
		state = LinkUsed // a GET never decides, nor completes a decision
	}
	return s.pageFor(ctx, a, state)
}

// checkLink verifies a link: its record exists, the signature covers exactly
// its facts, it has not expired and is still waiting.
func (s *Service) checkLink(ctx context.Context, approvalID, sig string) (store.Approval, LinkState, error) {
	a, err := s.Approvals.GetApproval(ctx, approvalID)
	if problem.CodeOf(err) == problem.CodeNotFound {
		return a, LinkInvalid, nil
	}
	if err != nil {
		return a, LinkInvalid, err
	}
	if !s.Links.Valid(claimsOf(a), sig) {
		return a, LinkInvalid, nil
	}
	switch a.Status {
	case store.ApprovalDeciding:
		if s.Now().Sub(a.DecidedAt) > claimLease {
			return a, linkStalled, nil
		}
		return a, LinkUsed, nil
	case store.ApprovalUsed:
		return a, LinkUsed, nil
	case store.ApprovalSuperseded:
		return a, LinkSuperseded, nil
	case store.ApprovalExpired:
		return a, LinkExpired, nil
	}
	if s.Now().After(a.ExpiresAt) {
		return a, LinkExpired, nil
	}
	return a, LinkOpen, nil
}

func (s *Service) pageFor(ctx context.Context, a store.Approval, state LinkState) (ApprovalPage, error) {
	if a.Kind != "" {
		return s.stagedPage(ctx, a, state)
	}
	sub, err := s.Submissions.GetSubmission(ctx, a.SubmissionID)
	if err != nil {
		return ApprovalPage{}, err
	}
	i := sub.StepIndex(a.Step)
	if state == LinkOpen && (sub.Revision != a.Revision || i < 0 || sub.Steps[i].ApprovalID != a.ID || sub.Steps[i].Status != decision.StepWaiting) {
		state = LinkSuperseded
	}
	page := ApprovalPage{State: state, Approval: a, Summary: s.Summarize(ctx, sub), StepName: StepName(a.Step),
		Steps: sub.Steps, Decision: verdictNames[a.Decision]}
	if i >= 0 && i < len(sub.Plan.Steps) {
		page.RecordsMinutes = sub.Plan.Steps[i].RecordsMinutes
	}
	for _, stage := range []decision.ReviewStage{decision.StageGroup, decision.StageCrossDepartment} {
		votes, err := s.Submissions.Votes(ctx, sub.ID, a.Revision, stage)
		if err != nil {
			return page, err
		}
		for _, v := range votes {
			name := "小组评审"
			if stage == decision.StageCrossDepartment {
				name = "跨部门评审"
			}
			page.Reviews = append(page.Reviews, ReviewLine{Stage: name, Voter: v.Voter, Vote: verdictNames[string(v.Verdict)], Comment: v.Comment})
		}
	}
	return page, nil
}

// DecisionForm is what the approval page posts.
type DecisionForm struct {
	Sig        string
	Decision   string
	Comment    string
	MinutesRef string
}

// DecideApproval records an approver's decision from the link's page: the
// link is claimed by a conditional write (so it works once, and two
// simultaneous posts yield one decision), the step decided, and the waiting
// workflow task released with the decision (SPEC 2.4).
func (s *Service) DecideApproval(ctx context.Context, approvalID string, f DecisionForm) (ApprovalPage, error) {
	a, state, err := s.checkLink(ctx, approvalID, f.Sig)
	if err != nil || state == LinkInvalid {
		return ApprovalPage{State: LinkInvalid}, err
	}
	if state == linkStalled {
		return s.resumeDecision(ctx, a)
	}
	if state != LinkOpen {
		return s.pageFor(ctx, a, state)
	}
	if a.Kind != "" {
		return s.decideStaged(ctx, a, f)
	}
	page, err := s.pageFor(ctx, a, state)
	if err != nil || page.State != LinkOpen {
		return page, err
	}
	sub, err := s.Submissions.GetSubmission(ctx, a.SubmissionID)
	if err != nil {
		return page, err
	}
	idx := sub.StepIndex(a.Step)
	d := decision.StepDecision{Verdict: decision.Verdict(f.Decision), Comment: strings.TrimSpace(f.Comment), MinutesRef: strings.TrimSpace(f.MinutesRef)}
	// Check the form before claiming the link, so a mistake does not use it up.
	if _, _, err := decision.DecideStep(sub.Plan, sub.StepStatuses(), idx, d); err != nil {
		var fe decision.FieldErrors
		if errors.As(err, &fe) {
			page.Errors = map[string]string(fe)
			return page, nil
		}
		return s.pageFor(ctx, a, LinkSuperseded)
	}
	if err := s.Approvals.ClaimApproval(ctx, a.ID, f.Decision, d.Comment, d.MinutesRef, s.Now()); err != nil {
		if problem.CodeOf(err) == problem.CodeConflict {
			return s.pageFor(ctx, a, LinkUsed)
		}
		return page, err
	}
	return s.completeStep(ctx, a, d, false)
}

// completeStep carries a claimed step decision through: the step decided on
// the submission, the workflow's waiting task released, the link used. It is
// safe to run again for the same claim (resuming sees what was done).
func (s *Service) completeStep(ctx context.Context, a store.Approval, d decision.StepDecision, resuming bool) (ApprovalPage, error) {
	approver := directory.Person{Sub: a.Approver}
	var cancelled []decision.StepRecord
	recorded := false
	_, err := s.Submissions.UpdateSubmission(ctx, s.meta(ctx, approver), a.SubmissionID, func(x *decision.Submission) (string, error) {
		cancelled, recorded = nil, false
		i := x.StepIndex(a.Step)
		if x.Revision != a.Revision || i < 0 || x.Steps[i].ApprovalID != a.ID {
			return "", ErrStale
		}
		if resuming && x.Steps[i].DecidedAt != nil {
			recorded = true // the cut-off request got this far
			return "", store.ErrNoChange
		}
		next, p, err := decision.DecideStep(x.Plan, x.StepStatuses(), i, d)
		if err != nil {
			return "", err
		}
		// The workflow's Advance starts the next phase, so that it emails
		// the next approvers; here the started steps stay pending.
		for _, j := range p.Start {
			next[j] = decision.StepPending
		}
		cancelled = applyStatuses(x, next)
		now := s.Now().UTC()
		x.Steps[i].DecidedAt, x.Steps[i].Comment, x.Steps[i].MinutesRef = &now, d.Comment, d.MinutesRef
		if p.Status != decision.StatusDeciding {
			x.Status = p.Status
			x.Outcome = &decision.Outcome{Rule: p.Rule, Reason: p.Reason, At: now}
		}
		return "submission.step.decide", nil
	})
	if err != nil {
		_ = s.Approvals.TransitionApproval(ctx, a.ID, store.ApprovalDeciding, store.ApprovalSuperseded, "", "", s.Now())
		if errors.Is(err, ErrStale) {
			return s.pageFor(ctx, a, LinkSuperseded)
		}
		return ApprovalPage{State: LinkOpen, Approval: a}, fromRule(err, "decision")
	}
	out := `{"decision":"` + string(d.Verdict) + `"}`
	if _, err := s.Workflow.SendTaskSuccess(ctx, &sfn.SendTaskSuccessInput{TaskToken: aws.String(a.Token), Output: aws.String(out)}); err != nil {
		var timedOut *sfntypes.TaskTimedOut
		var gone *sfntypes.TaskDoesNotExist
		var invalid *sfntypes.InvalidToken
		released := errors.As(err, &timedOut) || errors.As(err, &gone) || errors.As(err, &invalid)
		switch {
		case released && recorded:
			// The cut-off request had released the task already: only the
			// link's last step is left.
		case released:
			_ = s.Approvals.TransitionApproval(ctx, a.ID, store.ApprovalDeciding, store.ApprovalExpired, "", "", s.Now())
			return s.pageFor(ctx, a, LinkExpired)
		default:
			return ApprovalPage{State: LinkOpen, Approval: a}, err
		}
	}
	if err := s.Approvals.TransitionApproval(ctx, a.ID, store.ApprovalDeciding, store.ApprovalUsed, string(d.Verdict), d.Comment, s.Now()); err != nil {
		return ApprovalPage{State: LinkOpen, Approval: a}, err
	}
	s.cancelLinks(ctx, cancelled)
	a.Decision = string(d.Verdict)
	return s.pageFor(ctx, a, LinkDecided)
}

// resumeDecision completes a decision whose request was cut off (its process
// crashed between claiming the link and using it): the link is reclaimed
// (once, conditionally) and the recorded decision carried through, so the
// workflow goes on and the link ends used (SPEC 2.4).
func (s *Service) resumeDecision(ctx context.Context, a store.Approval) (ApprovalPage, error) {
	if err := s.Approvals.ReclaimApproval(ctx, a.ID, a.DecidedAt, s.Now()); err != nil {
		if problem.CodeOf(err) == problem.CodeConflict {
			return s.pageFor(ctx, a, LinkUsed) // another request is completing it
		}
		return ApprovalPage{}, err
	}
	s.Log.Warn("resuming a decision cut off in flight", "approval", a.ID, "submission", a.SubmissionID, "claimedAt", a.DecidedAt)
	if a.Kind != "" {
		return s.completeStaged(ctx, a, a.Decision, a.Comment, true)
	}
	d := decision.StepDecision{Verdict: decision.Verdict(a.Decision), Comment: a.Comment, MinutesRef: a.MinutesRef}
	return s.completeStep(ctx, a, d, true)
}

// ResumeStalledDecisions completes every decision cut off in flight more than
// claimLease ago (the hourly sweep); it returns how many it completed.
func (s *Service) ResumeStalledDecisions(ctx context.Context) (int, error) {
	stalled, err := s.Approvals.StalledApprovals(ctx, s.Now().Add(-claimLease), 100)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, a := range stalled {
		if _, err := s.resumeDecision(ctx, a); err != nil {
			return n, err
		}
		n++
	}
	return n, nil
}
