package app

import (
	"context"
	"errors"
	"fmt"
	"time"

	"productgov/shared/audit"
	"productgov/shared/decision"
	"productgov/shared/directory"
	"productgov/shared/id"
	"productgov/shared/partner"
	"productgov/shared/period"
	"productgov/shared/policy"
	"productgov/shared/problem"
	"productgov/shared/product"
	"productgov/shared/reason"
	"productgov/shared/store"
)

// system is the actor of changes the workflow makes.
var system = directory.Person{Sub: SystemApplicant, Roles: []directory.Role{directory.RoleAdmin}}

// ErrStale reports a workflow task about a revision that is no longer current;
// the task answers it without changing anything.
var ErrStale = errors.New("app: revision superseded")

// AwaitReview records the task token of a review stage the workflow now waits
// on, and releases it at once if the votes already decided the stage.
func (s *Service) AwaitReview(ctx context.Context, subID string, rev int, stage decision.ReviewStage, token string) error {
	sub, err := s.Submissions.UpdateSubmission(ctx, s.meta(ctx, system), subID, func(x *decision.Submission) (string, error) {
		if x.Revision != rev {
			return "", ErrStale
		}
		if x.ReviewTokens[stage] == token {
			return "", store.ErrNoChange
		}
		x.ReviewTokens[stage] = token
		return "submission.await." + string(stage), nil
	})
	if errors.Is(err, ErrStale) {
		s.release(ctx, token, map[string]any{"result": "superseded"})
		return nil
	}
	if err != nil {
		return err
	}
	if sub.Status == stageStatusOf(stage) {
		// Undecided: the deciding vote releases the token, which it reads from
		// this very item (votes and this write are serialized by version).
		return nil
	}
	// Decided before the workflow got here: release with the recorded result.
	for _, t := range sub.Reviews {
		if t.Stage == stage {
			s.release(ctx, token, map[string]any{"result": t.Result})
			return nil
		}
	}
	return nil
}

// Progress is what the workflow learns after the decision steps moved: the
// submission's status and which steps to start now.
type Progress struct {
	Status decision.Status `json:"status"`
	Start  []int           `json:"start"`
}

// Advance starts the next phase of decision steps, or reports the outcome
// once every step decided (SPEC 2.3).
func (s *Service) Advance(ctx context.Context, subID string, rev int) (Progress, error) {
	var out Progress
	_, err := s.Submissions.UpdateSubmission(ctx, s.meta(ctx, system), subID, func(x *decision.Submission) (string, error) {
		out = Progress{Status: x.Status, Start: []int{}}
		if x.Revision != rev {
			return "", ErrStale
		}
		if x.Status != decision.StatusDeciding {
			return "", store.ErrNoChange
		}
		p, err := decision.Advance(x.Plan, x.StepStatuses())
		if err != nil {
			return "", err
		}
		now := s.Now().UTC()
		for _, i := range p.Start {
			x.Steps[i].Status = decision.StepWaiting
			x.Steps[i].StartedAt = &now
		}
		x.Status = p.Status
		if p.Status != decision.StatusDeciding {
			x.Outcome = &decision.Outcome{Rule: p.Rule, Reason: p.Reason, At: now}
		}
		out = Progress{Status: p.Status, Start: append([]int{}, p.Start...)}
		return "submission.advance", nil
	})
	if errors.Is(err, ErrStale) {
		return Progress{Status: decision.StatusClosed, Start: []int{}}, nil
	}
	return out, err
}

// ExpireStep marks a step whose approver did not answer in time expired, and
// the submission with it (SPEC 2.4); the other waiting steps are cancelled.
func (s *Service) ExpireStep(ctx context.Context, subID string, rev, step int) error {
	cur, err := s.Submissions.GetSubmission(ctx, subID)
	if err != nil {
		return err
	}
	open := func(st decision.StepStatus) bool { return st == decision.StepWaiting || st == decision.StepUnassigned }
	if cur.Revision != rev || step < 0 || step >= len(cur.Steps) || !open(cur.Steps[step].Status) {
		return nil
	}
	// The link expires first, so nobody sees a step expired whose link still
	// works; an unassigned step's record expires too (SPEC 2.3: its timeout applies).
	if aid := cur.Steps[step].ApprovalID; aid != "" {
		from := store.ApprovalWaiting
		if cur.Steps[step].Status == decision.StepUnassigned {
			from = store.ApprovalUnassigned
		}
		err := s.Approvals.TransitionApproval(ctx, aid, from, store.ApprovalExpired, "", "", s.Now())
		if err != nil && problem.CodeOf(err) != problem.CodeConflict {
			return err
		}
	}
	var cancelled []decision.StepRecord
	_, err = s.Submissions.UpdateSubmission(ctx, s.meta(ctx, system), subID, func(x *decision.Submission) (string, error) {
		cancelled = nil
		if x.Revision != rev || !open(x.Steps[step].Status) {
			return "", store.ErrNoChange
		}
		next, p, err := decision.ExpireStep(x.Plan, x.StepStatuses(), step)
		if err != nil {
			return "", err
		}
		cancelled = applyStatuses(x, next)
		x.Status = p.Status
		x.StatusNote = decision.UnassignedNote(x.Steps)
		x.Outcome = &decision.Outcome{Rule: p.Rule, Reason: p.Reason, At: s.Now().UTC()}
		return "submission.step.expire", nil
	})
	if err != nil {
		return err
	}
	s.cancelLinks(ctx, cancelled)
	return nil
}

// applyStatuses copies new step statuses onto the submission and returns the
// steps that were cancelled by them.
func applyStatuses(x *decision.Submission, next []decision.StepStatus) []decision.StepRecord {
	var cancelled []decision.StepRecord
	for i, st := range next {
		if st == decision.StepCancelled && x.Steps[i].Status != decision.StepCancelled {
			cancelled = append(cancelled, x.Steps[i])
		}
		x.Steps[i].Status = st
	}
	return cancelled
}

// cancelLinks supersedes the links of cancelled steps and releases their
// waiting tasks, so the workflow does not wait for decisions no longer needed.
func (s *Service) cancelLinks(ctx context.Context, steps []decision.StepRecord) {
	for _, st := range steps {
		if st.ApprovalID == "" {
			continue
		}
		a, err := s.Approvals.GetApproval(ctx, st.ApprovalID)
		if err != nil {
			continue
		}
		from := store.ApprovalWaiting
		if a.Status == store.ApprovalUnassigned {
			from = store.ApprovalUnassigned
		}
		if s.Approvals.TransitionApproval(ctx, a.ID, from, store.ApprovalSuperseded, "", "", s.Now()) == nil {
			s.release(ctx, a.Token, map[string]any{"decision": "cancelled"})
		}
	}
}

// Finish ends a revision's workflow: it applies an approval's effect on the
// product once, records the outcome, and tells the applicant (SPEC 2).
func (s *Service) Finish(ctx context.Context, subID string, rev int) (decision.Submission, error) {
	return s.finish(ctx, subID, rev)
}

func (s *Service) finish(ctx context.Context, subID string, rev int) (decision.Submission, error) {
	sub, err := s.Submissions.GetSubmission(ctx, subID)
	if err != nil {
		return sub, err
	}
	if sub.Revision != rev {
		return sub, nil
	}
	if sub.Status == decision.StatusApproved && !sub.EffectsApplied {
		pol, ok, err := s.policyByVersion(ctx, sub.PolicyVersion)
		if err != nil {
			return sub, err
		}
		if !ok {
			return sub, fmt.Errorf("app: policy version %s of submission %s is missing", sub.PolicyVersion, subID)
		}
		if err := s.applyEffects(ctx, sub, pol); err != nil {
			return sub, err
		}
		sub, err = s.Submissions.UpdateSubmission(ctx, s.meta(ctx, system), subID, func(x *decision.Submission) (string, error) {
			if x.EffectsApplied {
				return "", store.ErrNoChange
			}
			x.EffectsApplied = true
			return "submission.effects", nil
		})
		if err != nil {
			return sub, err
		}
	}
	switch sub.Status {
	case decision.StatusApproved, decision.StatusRejected, decision.StatusReturned, decision.StatusExpired:
		s.notifyApplicant(ctx, sub)
	}
	return sub, nil
}

// policyByVersion returns a stored version; versions are immutable once
// stored, so each is read once per process.
func (s *Service) policyByVersion(ctx context.Context, v string) (policy.Document, bool, error) {
	key := policyVersionKey{s.Policies, v}
	if d, ok := policyVersions.Load(key); ok {
		return d.(policy.Document), true, nil
	}
	h, err := s.Policies.PolicyHistory(ctx)
	if err != nil {
		return policy.Document{}, false, err
	}
	d, ok := h.ByVersion(v)
	if ok {
		policyVersions.Store(key, d)
	}
	return d, ok, nil
}

// applyEffects makes an approved decision's change to its product (SPEC 1,
// 2): the stage move with its history, the notice date, the construction
// plan's due date (P§11), attribute changes, the exit and its checklist.
// Each change is guarded so that applying twice changes nothing twice.
func (s *Service) applyEffects(ctx context.Context, sub decision.Submission, pol policy.Document) error {
	content, err := decision.DecodeContent(sub.Type, sub.Content)
	if err != nil {
		return err
	}
	if sub.Type == decision.TypeBasicRules {
		return s.applyRules(ctx, sub, content.(decision.BasicRulesContent))
	}
	if sub.ProductID == "" {
		return nil
	}
	now := s.Now()
	today := period.DateOf(now)
	_, err = s.Products.UpdateProduct(ctx, s.meta(ctx, system), sub.ProductID, func(p *product.Product) (product.Change, error) {
		ch := product.Change{Action: "product.decision." + string(sub.Type)}
		move, err := decision.StageAfterApproval(sub.Type, string(p.Stage), pol.Decision)
		if err != nil {
			return ch, fromRule(err, "decision effect")
		}
		if sub.DecisionLevel == decision.LevelCommittee {
			p.LastCommitteeDecision = &today
		}
		switch c := content.(type) {
		case decision.DemandContent:
			if sub.Type == decision.TypeDemand {
				due := decision.ConstructionPlanDue(today, pol.Calendar.Calendar(), pol.Decision)
				p.PlanDueDate = &due.Date
			}
			p.HadSpend = true
		case decision.CommercialContent:
			if p.NoticeDate == nil || sub.Type == decision.TypeTrialCommercial {
				d := c.StartDate
				p.NoticeDate = &d
			}
		case decision.MajorChangeContent:
			if c.NewMode != "" {
				p.Mode = product.Mode(c.NewMode)
			}
			if c.NewPartnerID != "" {
				p.PartnerID = c.NewPartnerID
			}
			if c.NewLevel != "" {
				p.Level = product.Level(c.NewLevel)
			}
		case decision.ExitContent:
			e := &product.Exit{Type: string(c.ExitType), SubmissionID: sub.ID, NoticeDate: &today, Published: true}
			if c.ExitType == decision.ExitNatural {
				// P§21(二)4: the notice is published by itself 3 months after the
				// agreement's expiry; until then the product keeps its stage.
				n := decision.NaturalExitNotice(c.ExitDate, pol.Decision)
				e.NoticeDate, e.Published = &n.Date, !today.Before(n.Date)
				if !e.Published {
					move.To = ""
				}
			}
			for _, item := range decision.DelistingChecklist(string(p.Mode), pol.Decision) {
				e.Checklist = append(e.Checklist, product.ChecklistItem{Key: item.Key, Title: item.Label})
			}
			p.Exit = e
		}
		if move.To != "" && move.To != move.From {
			sc, err := p.Move(product.Stage(move.To), SystemApplicant, sub.ID, move.Reason, move.Cause, pol.Version, now)
			if err != nil {
				return ch, err
			}
			ch.StageChange = &sc
		}
		return ch, nil
	})
	if err != nil {
		return err
	}
	if c, ok := content.(decision.ExitContent); ok && c.ExitType == decision.ExitNatural {
		p, err := s.Products.GetProduct(ctx, sub.ProductID)
		if err == nil && p.Exit != nil && !p.Exit.Published {
			err = s.ExitNotices.PutExitNotice(ctx, sub.ProductID, *p.Exit.NoticeDate)
		}
		return err
	}
	return nil
}

// PublishExitNotices publishes the natural exits whose notice date has come
// (P§21(二)4) by at (the scheduled run's time): the product moves to exiting
// and its delisting begins. The daily schedule calls it; each notice is
// published once.
func (s *Service) PublishExitNotices(ctx context.Context, at time.Time) (int, error) {
	now := at
	today := period.DateOf(now)
	due, err := s.ExitNotices.DueExitNotices(ctx, today)
	if err != nil {
		return 0, err
	}
	pol, err := s.Policy(ctx)
	if err != nil {
		return 0, err
	}
	published := 0
	for _, pid := range due {
		_, err := s.Products.UpdateProduct(ctx, s.meta(ctx, system), pid, func(p *product.Product) (product.Change, error) {
			if p.Exit == nil || p.Exit.Published || p.Exit.NoticeDate == nil || today.Before(*p.Exit.NoticeDate) {
				return product.Change{}, errNothingToDo
			}
			p.Exit.Published = true
			sc, err := p.Move(product.StageExiting, SystemApplicant, p.Exit.SubmissionID,
				"natural exit notice published 3 months after the agreement expired (P§21(二)4)", reason.New("natural_exit_notice"), pol.Version, now)
			if err != nil {
				return product.Change{}, err
			}
			return product.Change{Action: "product.exit.notice", StageChange: &sc}, nil
		})
		switch {
		case err == nil:
			published++
		case errors.Is(err, errNothingToDo):
		default:
			return published, err
		}
		if err := s.ExitNotices.DeleteExitNotice(ctx, pid); err != nil {
			return published, err
		}
	}
	return published, nil
}

// applyRules stores the policy version an approved basic_rules decision
// carries (SPEC 7: changing the policy is itself a decision).
func (s *Service) applyRules(ctx context.Context, sub decision.Submission, c decision.BasicRulesContent) error {
	if len(c.PolicyDocument) == 0 {
		return nil
	}
	doc, err := policy.Decode(c.PolicyDocument)
	if err != nil {
		return err
	}
	if err := doc.Validate(); err != nil {
		return err
	}
	err = s.Policies.PutPolicy(ctx, audit.Meta{Actor: SystemApplicant, RequestID: "decision:" + sub.ID, At: s.Now()}, doc)
	if problem.CodeOf(err) == problem.CodeConflict {
		return nil
	}
	return err
}

// RequestDecision starts one decision step: it picks the approver (SPEC 2.3),
// stores the task token under a new random approval id, and emails the
// approver a signed link (SPEC 2.4). A retried call for the same token sends
// nothing twice.
func (s *Service) RequestDecision(ctx context.Context, subID string, rev, step int, token string) error {
	sub, err := s.Submissions.GetSubmission(ctx, subID)
	if err != nil {
		return err
	}
	if sub.Revision != rev || step < 0 || step >= len(sub.Steps) || sub.Steps[step].Status != decision.StepWaiting {
		s.release(ctx, token, map[string]any{"decision": "cancelled"})
		return nil
	}
	if cur := sub.Steps[step].ApprovalID; cur != "" {
		if a, err := s.Approvals.GetApproval(ctx, cur); err == nil && a.Token == token {
			return nil
		}
	}
	pol, ok, err := s.policyByVersion(ctx, sub.PolicyVersion)
	if err != nil || !ok {
		return fmt.Errorf("app: policy %s for %s: %v", sub.PolicyVersion, subID, err)
	}
	st := sub.Steps[step]
	choice, err := s.chooseApprover(ctx, sub, st.Role, pol)
	var none *decision.NoApproverError
	if errors.As(err, &none) {
		// SPEC 2.3: the step never waits silently.
		return s.leaveUnassigned(ctx, sub, step, token, pol, none)
	}
	if err != nil {
		return err
	}
	approver, err := s.Users.GetUser(ctx, choice.Approver)
	if err != nil {
		return err
	}
	now := s.Now().UTC()
	a := store.Approval{ID: id.Random(12), SubmissionID: subID, Revision: rev, Step: st.Name, Approver: approver.Sub,
		Email: approver.Email, Token: token, CreatedAt: now,
		ExpiresAt: decision.LinkExpiresAt(now, pol.Decision).At,
		RemindAt:  decision.ReminderAt(now, pol.Calendar.Calendar(), pol.Decision).At}
	if err := s.Approvals.CreateApproval(ctx, s.meta(ctx, system), a); err != nil {
		return err
	}
	_, err = s.Submissions.UpdateSubmission(ctx, s.meta(ctx, system), subID, func(x *decision.Submission) (string, error) {
		if x.Revision != rev || x.Steps[step].Status != decision.StepWaiting {
			return "", store.ErrNoChange
		}
		x.Steps[step].Approver, x.Steps[step].ApprovalID = approver.Sub, a.ID
		return "submission.step.request", nil
	})
	if err != nil {
		return err
	}
	return s.sendApprovalMail(ctx, sub, a, false)
}

// chooseApprover reads the holders of a role from the directory and picks
// the step's approver (SPEC 2.3); a *decision.NoApproverError when nobody is eligible.
func (s *Service) chooseApprover(ctx context.Context, sub decision.Submission, role string, pol policy.Document) (decision.ApproverChoice, error) {
	holders, err := s.Users.UsersWithRole(ctx, directory.Role(role))
	if err != nil {
		return decision.ApproverChoice{}, err
	}
	people := make([]decision.Person, 0, len(holders))
	for _, u := range holders {
		p := decision.Person{Sub: u.Sub, Dept: u.Dept, RelatedPartners: u.RelatedPartners}
		for _, r := range u.Roles {
			p.Roles = append(p.Roles, string(r))
		}
		people = append(people, p)
	}
	return decision.ChooseApprover(role, people, sub.Applicant, sub.PartnerID, pol.Decision)
}

// leaveUnassigned keeps a started step whose role nobody eligible holds
// (SPEC 2.3): its task token waits in an unassigned record, the step and
// the submission say so, every admin is emailed, and the step starts as soon
// as the directory gains an eligible holder (AssignWaitingSteps). The
// workflow's step timeout still runs.
func (s *Service) leaveUnassigned(ctx context.Context, sub decision.Submission, step int, token string, pol policy.Document, none *decision.NoApproverError) error {
	st := sub.Steps[step]
	now := s.Now().UTC()
	a := store.Approval{ID: id.Random(12), SubmissionID: sub.ID, Revision: sub.Revision, Step: st.Name, Role: st.Role,
		Token: token, Status: store.ApprovalUnassigned, CreatedAt: now, RemindAt: now,
		ExpiresAt: now.Add(time.Duration(pol.Decision.Timing.StepExpiryDays) * 24 * time.Hour)}
	if err := s.Approvals.CreateApproval(ctx, s.meta(ctx, system), a); err != nil {
		return err
	}
	_, err := s.Submissions.UpdateSubmission(ctx, s.meta(ctx, system), sub.ID, func(x *decision.Submission) (string, error) {
		if x.Revision != sub.Revision || x.Steps[step].Status != decision.StepWaiting {
			return "", store.ErrNoChange
		}
		next, err := decision.UnassignStep(x.StepStatuses(), step)
		if err != nil {
			return "", err
		}
		applyStatuses(x, next)
		x.Steps[step].ApprovalID = a.ID
		x.StatusNote = decision.UnassignedNote(x.Steps)
		return "submission.step.unassigned", nil
	})
	if err != nil {
		return err
	}
	s.mailAdminsUnassigned(ctx, sub, st, none)
	// The directory may have gained a holder meanwhile: try once now.
	return s.assignStep(ctx, a)
}

// AssignWaitingSteps starts the unassigned steps of the roles a directory
// entry holds, when it makes an eligible approver (SPEC 2.3: the step starts
// as soon as the directory gains an eligible holder). Failures are logged:
// the directory change itself stands.
func (s *Service) AssignWaitingSteps(ctx context.Context, u directory.User) {
	for _, role := range u.Roles {
		waiting, err := s.Approvals.UnassignedApprovals(ctx, string(role))
		if err != nil {
			s.logf("unassigned steps of %s: %v", role, err)
			continue
		}
		for _, a := range waiting {
			if err := s.assignStep(ctx, a); err != nil {
				s.logf("assign step %s of %s: %v", a.Step, a.SubmissionID, err)
			}
		}
	}
}

// assignStep gives an unassigned step its approver if the directory now has
// an eligible one, and emails the link; it does nothing while there is none.
func (s *Service) assignStep(ctx context.Context, a store.Approval) error {
	sub, err := s.Submissions.GetSubmission(ctx, a.SubmissionID)
	if err != nil {
		return err
	}
	step := sub.StepIndex(a.Step)
	if sub.Revision != a.Revision || step < 0 || sub.Steps[step].Status != decision.StepUnassigned || sub.Steps[step].ApprovalID != a.ID {
		// The step ended otherwise (expired, cancelled, a new revision).
		if err := s.Approvals.TransitionApproval(ctx, a.ID, store.ApprovalUnassigned, store.ApprovalSuperseded, "", "", s.Now()); err == nil {
			s.release(ctx, a.Token, map[string]any{"decision": "cancelled"})
		}
		return nil
	}
	pol, ok, err := s.policyByVersion(ctx, sub.PolicyVersion)
	if err != nil || !ok {
		return fmt.Errorf("app: policy %s for %s: %v", sub.PolicyVersion, sub.ID, err)
	}
	choice, err := s.chooseApprover(ctx, sub, a.Role, pol)
	var none *decision.NoApproverError
	if errors.As(err, &none) {
		return nil // still nobody: the step keeps waiting for the directory
	}
	if err != nil {
		return err
	}
	approver, err := s.Users.GetUser(ctx, choice.Approver)
	if err != nil {
		return err
	}
	now := s.Now().UTC()
	a.Approver, a.Email, a.CreatedAt = approver.Sub, approver.Email, now
	a.ExpiresAt = decision.LinkExpiresAt(now, pol.Decision).At
	a.RemindAt = decision.ReminderAt(now, pol.Calendar.Calendar(), pol.Decision).At
	if err := s.Approvals.AssignApproval(ctx, s.meta(ctx, system), a); err != nil {
		if problem.CodeOf(err) == problem.CodeConflict {
			return nil // assigned by another directory change meanwhile
		}
		return err
	}
	updated, err := s.Submissions.UpdateSubmission(ctx, s.meta(ctx, system), sub.ID, func(x *decision.Submission) (string, error) {
		if x.Revision != a.Revision || x.Steps[step].Status != decision.StepUnassigned || x.Steps[step].ApprovalID != a.ID {
			return "", store.ErrNoChange
		}
		next, err := decision.AssignStep(x.StepStatuses(), step)
		if err != nil {
			return "", err
		}
		applyStatuses(x, next)
		x.Steps[step].Approver = approver.Sub
		x.StatusNote = decision.UnassignedNote(x.Steps)
		return "submission.step.assign", nil
	})
	if err != nil {
		return err
	}
	a.Status = store.ApprovalWaiting
	return s.sendApprovalMail(ctx, updated, a, false)
}

// SendReminders emails the approvers of links waiting past the policy's
// reminder time (SPEC 2.4) as of at (the scheduled run's time), each once.
// It returns how many went out.
func (s *Service) SendReminders(ctx context.Context, at time.Time) (int, error) {
	due, err := s.Approvals.ApprovalsDue(ctx, at, 100)
	if err != nil {
		return 0, err
	}
	sent := 0
	for _, a := range due {
		if err := s.Approvals.MarkReminded(ctx, a.ID); err != nil {
			continue // another run reminded it, or it was decided meanwhile
		}
		if a.Kind != "" {
			t, err := s.loadStaged(ctx, a.Kind, a.SubmissionID)
			if err != nil {
				return sent, err
			}
			if t.state.Status != partner.ApprovalPending || t.state.Stage != a.Revision || !awaits(t.state, a.Role) {
				// Decided meanwhile (through the API, or ended): the link is spent.
				_ = s.Approvals.TransitionApproval(ctx, a.ID, store.ApprovalWaiting, store.ApprovalSuperseded, "", "", s.Now())
				continue
			}
			if err := s.sendStagedMail(ctx, t, a, true); err != nil {
				return sent, err
			}
			sent++
			continue
		}
		sub, err := s.Submissions.GetSubmission(ctx, a.SubmissionID)
		if err != nil {
			return sent, err
		}
		if err := s.sendApprovalMail(ctx, sub, a, true); err != nil {
			return sent, err
		}
		sent++
	}
	return sent, nil
}
