package app

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"

	"productgov/shared/audit"
	"productgov/shared/decision"
	"productgov/shared/directory"
	"productgov/shared/id"
	"productgov/shared/mail"
	"productgov/shared/money"
	"productgov/shared/period"
	"productgov/shared/policy"
	"productgov/shared/problem"
	"productgov/shared/product"
	"productgov/shared/store"
)

// Submissions is the submission part of the store.
type Submissions interface {
	CreateSubmission(ctx context.Context, m audit.Meta, s decision.Submission) error
	GetSubmission(ctx context.Context, id string) (decision.Submission, error)
	UpdateSubmission(ctx context.Context, m audit.Meta, id string, fn func(*decision.Submission) (string, error)) (decision.Submission, error)
	ListSubmissions(ctx context.Context, f store.SubmissionFilter, cursor string, limit int32) ([]decision.Submission, string, error)
	// CastVote writes a vote with what it decides, in one transaction (see store.CastVote).
	CastVote(ctx context.Context, m audit.Meta, id string, stage decision.ReviewStage,
		decide func(sub *decision.Submission, votes []store.Vote) (store.Vote, string, error)) (decision.Submission, error)
	Votes(ctx context.Context, submissionID string, rev int, stage decision.ReviewStage) ([]store.Vote, error)
}

// Approvals is the email-link part of the store.
type Approvals interface {
	CreateApproval(ctx context.Context, m audit.Meta, a store.Approval) error
	GetApproval(ctx context.Context, id string) (store.Approval, error)
	TransitionApproval(ctx context.Context, id, from, to, decision, comment string, at time.Time) error
	// ClaimApproval, ReclaimApproval and StalledApprovals: see the store's.
	ClaimApproval(ctx context.Context, id, decision, comment, minutesRef string, at time.Time) error
	ReclaimApproval(ctx context.Context, id string, claimedAt, at time.Time) error
	StalledApprovals(ctx context.Context, before time.Time, limit int32) ([]store.Approval, error)
	MarkReminded(ctx context.Context, id string) error
	ApprovalsDue(ctx context.Context, now time.Time, limit int32) ([]store.Approval, error)
	UnassignedApprovals(ctx context.Context, role string) ([]store.Approval, error)
	AssignApproval(ctx context.Context, m audit.Meta, a store.Approval) error
}

// Workflow is the part of the Step Functions client the use cases call; the
// AWS client and the local ASL engine both satisfy it.
type Workflow interface {
	StartExecution(ctx context.Context, in *sfn.StartExecutionInput, opts ...func(*sfn.Options)) (*sfn.StartExecutionOutput, error)
	SendTaskSuccess(ctx context.Context, in *sfn.SendTaskSuccessInput, opts ...func(*sfn.Options)) (*sfn.SendTaskSuccessOutput, error)
	SendTaskFailure(ctx context.Context, in *sfn.SendTaskFailureInput, opts ...func(*sfn.Options)) (*sfn.SendTaskFailureOutput, error)
}

// SystemApplicant is the applicant of submissions the system opens itself
// (assessment exits, P§19).
const SystemApplicant = "system"

// ApprovalInput is the input of one approval execution (one per revision).
type ApprovalInput struct {
	SubmissionID string `json:"submissionId"`
	Revision     int    `json:"revision"`
	// StepTimeoutSeconds is how long a decision step waits (SPEC 2.4, policy).
	StepTimeoutSeconds int `json:"stepTimeoutSeconds"`
	// ReviewTimeoutSeconds is how long a review stage waits for its votes.
	ReviewTimeoutSeconds int `json:"reviewTimeoutSeconds"`
}

// reviewTimeout bounds a review stage: 30 days without enough votes expires it.
const reviewTimeout = 30 * 24 * time.Hour

// SubmissionRequest is a new submission or a revision as the caller sent it.
type SubmissionRequest struct {
	// ID is set only by the system for submissions it opens idempotently.
	ID        string
	Type      decision.SubmissionType
	ProductID string
	Content   map[string]json.RawMessage
}

// CreateSubmission validates a submission, routes it to its decision level and
// starts its approval workflow (SPEC 2.1–2.3).
func (s *Service) CreateSubmission(ctx context.Context, caller directory.Person, req SubmissionRequest) (decision.Submission, error) {
	if caller.Sub != SystemApplicant {
		if err := require(caller, "submitting", directory.RoleProductManager); err != nil {
			return decision.Submission{}, err
		}
	}
	now := s.Now()
	pol, err := s.Policy(ctx)
	if err != nil {
		return decision.Submission{}, err
	}
	subID := id.New("sub")
	if req.ID != "" && caller.Sub == SystemApplicant {
		subID = req.ID
	}
	sub := decision.Submission{ID: subID, Type: req.Type, ProductID: req.ProductID, Applicant: caller.Sub,
		Revision: 1, CreatedAt: now.UTC(), UpdatedAt: now.UTC(), PolicyVersion: pol.Version}
	if err := s.prepareRevision(ctx, &sub, req, pol, now); err != nil {
		return decision.Submission{}, err
	}
	if err := s.Submissions.CreateSubmission(ctx, s.meta(ctx, caller), sub); err != nil {
		return decision.Submission{}, err
	}
	return s.launch(ctx, caller, sub, pol)
}

// prepareRevision validates content against the product's facts, routes and
// plans the submission: the part shared by a new submission and a revision.
func (s *Service) prepareRevision(ctx context.Context, sub *decision.Submission, req SubmissionRequest, pol policy.Document, now time.Time) error {
	f := problem.Fields{}
	if !req.Type.Valid() {
		f.Add("type", "must be one of "+joinTypes())
	}
	var p product.Product
	if req.Type != decision.TypeBasicRules || req.ProductID != "" {
		if strings.TrimSpace(req.ProductID) == "" {
			f.Add("productId", "is required")
		}
	}
	if err := f.Err("invalid submission"); err != nil {
		return err
	}
	if req.ProductID != "" {
		var err error
		if p, err = s.Products.GetProduct(ctx, req.ProductID); err != nil {
			if problem.CodeOf(err) == problem.CodeNotFound {
				return problem.InvalidField("productId", "names no existing product")
			}
			return err
		}
	}
	facts, err := s.productFacts(ctx, p, now)
	if err != nil {
		return err
	}
	content, err := decision.ValidateContent(req.Type, req.Content, facts, pol.Decision)
	if err != nil {
		return fromRule(err, "submission")
	}
	// SPEC 1: a decision must apply to the product's stage (e.g. a product
	// whose trial was stopped resumes only through trial_commercial, P§17(三)).
	if p.ID != "" {
		if _, err := decision.StageAfterApproval(req.Type, string(p.Stage), pol.Decision); err != nil {
			return fromRule(err, "submission")
		}
	}
	// P§15(三): the SI partner's qualification review passes before a
	// cooperative product with it is introduced (or a partner is changed to it).
	switch c := content.(type) {
	case decision.DemandContent, decision.CommercialContent, decision.RevenueShareContent:
		if p.Mode == product.ModeCooperative {
			if err := s.checkPartnerQualified(ctx, p.PartnerID, "the "+string(req.Type)+" submission"); err != nil {
				return err
			}
		}
	case decision.MajorChangeContent:
		if err := s.checkPartnerQualified(ctx, c.NewPartnerID, "the major change to partner "+c.NewPartnerID); err != nil {
			return err
		}
	}
	routing, err := decision.Route(content, facts, period.DateOf(now), pol.Decision)
	if err != nil {
		return fromRule(err, "submission")
	}
	plan, err := decision.PlanSteps(req.Type, routing.Level, pol.Decision)
	if err != nil {
		return err
	}
	raw, err := json.Marshal(content)
	if err != nil {
		return err
	}
	sub.Type, sub.ProductID, sub.PartnerID = req.Type, req.ProductID, p.PartnerID
	sub.Content, sub.Routing, sub.DecisionLevel, sub.Plan = raw, routing, routing.Level, plan
	sub.Steps, sub.Reviews, sub.ReviewTokens = decision.StepsOf(plan), nil, map[decision.ReviewStage]string{}
	sub.Status, sub.Outcome, sub.EffectsApplied, sub.PolicyVersion = decision.InitialStatus(routing), nil, false, pol.Version
	return nil
}

// productFacts gathers what the content and routing rules need to know.
func (s *Service) productFacts(ctx context.Context, p product.Product, now time.Time) (decision.ProductFacts, error) {
	if p.ID == "" {
		return decision.ProductFacts{Mode: decision.ModeSelfBuilt}, nil
	}
	last := period.MonthOf(now).Add(-1)
	figs, err := s.Figures.Figures(ctx, product.KindRevenue, p.ID, last.Add(-11), last)
	if err != nil {
		return decision.ProductFacts{}, err
	}
	// SPEC 2.3 (decided): the 12 complete months before the submission; a
	// month without a record counts 0 and is named.
	var trailing money.Amount
	have := map[period.Month]bool{}
	for _, f := range figs {
		trailing += money.Amount(f.Value)
		have[f.Month] = true
	}
	facts := decision.ProductFacts{Mode: string(p.Mode), PartnerID: p.PartnerID, Strategic: p.Strategic, HadSpend: p.HadSpend,
		TrailingRevenue: trailing, TrailingFrom: last.Add(-11), TrailingTo: last,
		Customers: p.Customers, LastCommitteeApproval: p.LastCommitteeDecision}
	for m := last.Add(-11); !m.After(last); m = m.Add(1) {
		if !have[m] {
			facts.MissingRevenueMonths = append(facts.MissingRevenueMonths, m)
		}
	}
	for _, fl := range p.Flags {
		if fl == product.FlagCommercialIneligible {
			facts.CommercialIneligible = true
		}
	}
	return facts, nil
}

func joinTypes() string {
	ts := decision.SubmissionTypes()
	out := make([]string, len(ts))
	for i, t := range ts {
		out[i] = string(t)
	}
	return strings.Join(out, ", ")
}

// launch starts the approval execution of the submission's current revision,
// or, for a submission that needs no review (a natural exit), applies it.
func (s *Service) launch(ctx context.Context, caller directory.Person, sub decision.Submission, pol policy.Document) (decision.Submission, error) {
	if sub.Status == decision.StatusApproved {
		return s.finish(ctx, sub.ID, sub.Revision)
	}
	in, err := json.Marshal(ApprovalInput{SubmissionID: sub.ID, Revision: sub.Revision,
		StepTimeoutSeconds: pol.Decision.Timing.StepExpiryDays * 24 * 3600, ReviewTimeoutSeconds: int(reviewTimeout.Seconds())})
	if err != nil {
		return sub, err
	}
	out, err := s.Workflow.StartExecution(ctx, &sfn.StartExecutionInput{
		StateMachineArn: aws.String(s.ApprovalMachineArn),
		Name:            aws.String(fmt.Sprintf("%s-r%d", sub.ID, sub.Revision)),
		Input:           aws.String(string(in)),
	})
	if err != nil {
		return sub, fmt.Errorf("app: start approval of %s: %w", sub.ID, err)
	}
	return s.Submissions.UpdateSubmission(ctx, s.meta(ctx, caller), sub.ID, func(x *decision.Submission) (string, error) {
		x.ExecutionArn = aws.ToString(out.ExecutionArn)
		return "submission.workflow", nil
	})
}

// ReviseSubmission makes a new revision of a returned submission (SPEC 2.2):
// only its applicant may, and the new revision restarts the group review.
func (s *Service) ReviseSubmission(ctx context.Context, caller directory.Person, subID string, req SubmissionRequest) (decision.Submission, error) {
	cur, err := s.Submissions.GetSubmission(ctx, subID)
	if err != nil {
		return decision.Submission{}, err
	}
	if cur.Applicant != caller.Sub {
		return decision.Submission{}, problem.Forbidden("only the applicant edits a returned submission (SPEC 6)")
	}
	if _, err := decision.Resubmit(cur.Status, cur.Routing); err != nil {
		return decision.Submission{}, problem.Conflict("%s", strings.TrimPrefix(err.Error(), "decision: "))
	}
	if req.Type != "" && req.Type != cur.Type {
		return decision.Submission{}, problem.InvalidField("type", "a revision keeps its submission's type "+string(cur.Type))
	}
	if req.ProductID != "" && req.ProductID != cur.ProductID {
		return decision.Submission{}, problem.InvalidField("productId", "a revision keeps its submission's product")
	}
	req.Type, req.ProductID = cur.Type, cur.ProductID
	now := s.Now()
	pol, err := s.Policy(ctx)
	if err != nil {
		return decision.Submission{}, err
	}
	next := cur
	if err := s.prepareRevision(ctx, &next, req, pol, now); err != nil {
		return decision.Submission{}, err
	}
	updated, err := s.Submissions.UpdateSubmission(ctx, s.meta(ctx, caller), subID, func(x *decision.Submission) (string, error) {
		if x.Status != decision.StatusReturned || x.Revision != cur.Revision {
			return "", problem.Conflict("submission %s changed meanwhile; reload it", subID)
		}
		rev := x.Revision + 1
		*x = next
		x.Revision, x.ExecutionArn = rev, ""
		return "submission.revise", nil
	})
	if err != nil {
		return decision.Submission{}, err
	}
	return s.launch(ctx, caller, updated, pol)
}

// GetSubmission reads a submission; any signed-in person may (SPEC 6).
func (s *Service) GetSubmission(ctx context.Context, subID string) (decision.Submission, error) {
	return s.Submissions.GetSubmission(ctx, subID)
}

// ListSubmissions lists submissions newest first.
func (s *Service) ListSubmissions(ctx context.Context, f store.SubmissionFilter, cursor string, limit int32) ([]decision.Submission, string, error) {
	fields := problem.Fields{}
	if f.Type != "" && !f.Type.Valid() {
		fields.Add("type", "must be one of "+joinTypes())
	}
	if f.Status != "" && !f.Status.Valid() {
		fields.Add("status", "is not a known submission status")
	}
	if limit <= 0 || limit > 200 {
		fields.Add("limit", "must be between 1 and 200")
	}
	if err := fields.Err("invalid listing"); err != nil {
		return nil, "", err
	}
	return s.Submissions.ListSubmissions(ctx, f, cursor, limit)
}

// VoteRequest is one reviewer's vote.
type VoteRequest struct {
	Stage   decision.ReviewStage
	Verdict decision.Verdict
	Comment string
}

// Vote records a review vote and, when it decides the stage, tells the
// workflow (SPEC 2.2): unanimity passes, a reject ends, a return sends back.
func (s *Service) Vote(ctx context.Context, caller directory.Person, subID string, req VoteRequest) (decision.StageTally, error) {
	pol, err := s.Policy(ctx)
	if err != nil {
		return decision.StageTally{}, err
	}
	f := problem.Fields{}
	if !req.Stage.Valid() {
		f.Add("stage", "must be group or cross_department")
	}
	if err := decision.ValidateVerdict(req.Verdict, req.Comment); err != nil {
		for k, v := range err.(decision.FieldErrors) {
			f.Add(k, v)
		}
	}
	if err := f.Err("invalid vote"); err != nil {
		return decision.StageTally{}, err
	}
	voter, err := s.personOf(ctx, caller)
	if err != nil {
		return decision.StageTally{}, err
	}
	// The vote, the check of the voter against the votes so far, and the
	// stage's result are one transaction: every vote acknowledged is stored
	// and counted, and a decided stage (a reject included) takes no more.
	var tally decision.StageTally
	sub, err := s.Submissions.CastVote(ctx, s.meta(ctx, caller), subID, req.Stage, func(x *decision.Submission, votes []store.Vote) (store.Vote, string, error) {
		rc := decision.ReviewContext{Status: x.Status, Stage: req.Stage, Applicant: x.Applicant, PartnerID: x.PartnerID, Votes: plainVotes(votes)}
		if err := decision.CheckVoter(voter, rc, pol.Decision); err != nil {
			return store.Vote{}, "", fromRule(err, "vote")
		}
		v := store.Vote{Vote: decision.Vote{Voter: caller.Sub, Verdict: req.Verdict, Comment: strings.TrimSpace(req.Comment), Dept: voter.Dept},
			Revision: x.Revision, Stage: req.Stage, At: s.Now().UTC()}
		var err error
		if tally, err = decision.TallyStage(req.Stage, append(plainVotes(votes), v.Vote), pol.Decision); err != nil {
			return store.Vote{}, "", err
		}
		if tally.Result == decision.StageWaiting {
			return v, "", nil
		}
		next, err := decision.StatusAfterStage(req.Stage, tally.Result)
		if err != nil {
			return store.Vote{}, "", err
		}
		x.Status = next
		x.Reviews = append(x.Reviews, tally)
		if next == decision.StatusRejected || next == decision.StatusReturned {
			x.Outcome = &decision.Outcome{Rule: tally.Rule, Reason: tally.Reason, At: s.Now().UTC()}
		}
		return v, "submission.review." + string(req.Stage), nil
	})
	if err != nil {
		return decision.StageTally{}, err
	}
	if tok := sub.ReviewTokens[req.Stage]; tok != "" && tally.Result != decision.StageWaiting {
		// The workflow waits on this stage: release it with the result.
		s.release(ctx, tok, map[string]any{"result": tally.Result})
	}
	return tally, nil
}

func stageStatusOf(stage decision.ReviewStage) decision.Status {
	if stage == decision.StageCrossDepartment {
		return decision.StatusCrossReview
	}
	return decision.StatusGroupReview
}

// release hands a waiting workflow task its result. A token the workflow no
// longer waits on (already released by a concurrent request, or timed out) is
// not an error: exactly one release counts.
func (s *Service) release(ctx context.Context, token string, out any) {
	b, _ := json.Marshal(out)
	_, err := s.Workflow.SendTaskSuccess(ctx, &sfn.SendTaskSuccessInput{TaskToken: aws.String(token), Output: aws.String(string(b))})
	if err != nil {
		s.logf("release task: %v", err)
	}
}

func plainVotes(vs []store.Vote) []decision.Vote {
	out := make([]decision.Vote, len(vs))
	for i, v := range vs {
		out[i] = v.Vote
	}
	return out
}

// personOf is the caller as the rules see them: roles from the token, and
// department and declared partner relations from the directory (P§24).
func (s *Service) personOf(ctx context.Context, caller directory.Person) (decision.Person, error) {
	p := decision.Person{Sub: caller.Sub}
	for _, r := range caller.Roles {
		p.Roles = append(p.Roles, string(r))
	}
	u, err := s.Users.GetUser(ctx, caller.Sub)
	switch {
	case err == nil:
		p.Dept, p.RelatedPartners = u.Dept, u.RelatedPartners
	case problem.CodeOf(err) != problem.CodeNotFound:
		return p, err
	}
	return p, nil
}

func (s *Service) logf(format string, args ...any) {
	if s.Log != nil {
		s.Log.Warn(fmt.Sprintf(format, args...))
	}
}

// Outbox lists the local outbox, newest first (GET /dev/outbox).
func (s *Service) Outbox(ctx context.Context, limit int32) ([]mail.Message, error) {
	if s.OutboxReader == nil {
		return nil, problem.NotFound("route", "/dev/outbox")
	}
	return s.OutboxReader.Outbox(ctx, limit)
}
