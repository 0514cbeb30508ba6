package app

import (
	"bytes"
	"context"
	"fmt"
	"strings"

	"productgov/shared/decision"
	"productgov/shared/directory"
	"productgov/shared/id"
	"productgov/shared/mail"
	"productgov/shared/partner"
	"productgov/shared/problem"
	"productgov/shared/store"
)

// executiveRoles decide only through their emailed links (SPEC 6).
var executiveRoles = []string{string(directory.RoleVP), string(directory.RoleGM),
	string(directory.RoleCommitteeDirector), string(directory.RoleDeputyGM)}

func isExecutive(role string) bool {
	for _, r := range executiveRoles {
		if r == role {
			return true
		}
	}
	return false
}

// refuseExecutiveByAPI refuses an executive who would decide an awaited step
// through the API: executives decide only through their email links (SPEC 2.4, 6).
func refuseExecutiveByAPI(caller directory.Person, st partner.ApprovalState) error {
	for _, r := range st.Awaited() {
		if isExecutive(r) && caller.Has(directory.Role(r)) {
			return problem.Forbidden("the %s decides through the emailed approval link (SPEC 2.4, 6), not through the API", r)
		}
	}
	return nil
}

// stagedTarget is a staged partner approval that links decide: a support
// project's approval (S§11) or a deposit refund (S§20).
type stagedTarget struct {
	kind, subject, partnerID, initiator string
	state                               partner.ApprovalState
	summary                             Summary
}

// loadStaged reads the approval a link of kind decides.
func (s *Service) loadStaged(ctx context.Context, kind, subject string) (stagedTarget, error) {
	switch kind {
	case store.ApprovalKindProject:
		v, err := s.GetProject(ctx, subject)
		if err != nil {
			return stagedTarget{}, err
		}
		t := stagedTarget{kind: kind, subject: subject, partnerID: v.PartnerID, initiator: v.CreatedBy}
		if v.Approval != nil {
			t.state = *v.Approval
		}
		score := "—"
		if v.Score != nil {
			score = v.Score.String()
		}
		rate := "—"
		if v.ContributionRate != nil {
			rate = v.ContributionRate.String()
		}
		t.summary = Summary{ID: v.ID, Type: "运营支撑项目审批", Level: "S§11", Status: v.Status,
			Product: fmt.Sprintf("%s（%s）", v.ProductName, v.ProductID), Applicant: v.CreatedBy,
			Figures: []KeyFigure{{"合作伙伴", v.PartnerID}, {"收益类型", v.BenefitType}, {"内容类型", v.ContentType},
				{"评审得分（均值）", score}, {"贡献率", rate}}}
		return t, nil
	case store.ApprovalKindRefund:
		v, err := s.GetPartner(ctx, subject)
		if err != nil {
			return stagedTarget{}, err
		}
		if v.Refund == nil {
			return stagedTarget{}, problem.Conflict("no refund of partner %s was requested", subject)
		}
		ended := "—"
		if v.TerminatedOn != nil {
			ended = v.TerminatedOn.String()
		}
		return stagedTarget{kind: kind, subject: subject, partnerID: v.ID, initiator: v.Refund.RequestedBy, state: v.Refund.Approval,
			summary: Summary{ID: v.ID, Type: "保证金退还审批", Level: "S§20", Status: v.Refund.Approval.Status,
				Product: v.Name, Applicant: v.Refund.RequestedBy,
				Figures: []KeyFigure{{"退还金额", v.Refund.Amount.String() + " 元"}, {"合作终止日期", ended},
					{"尚欠款项", v.Owed.String() + " 元"}}}}, nil
	}
	return stagedTarget{}, fmt.Errorf("app: unknown approval kind %q", kind)
}

// mailStage emails a signed link to an approver of every role the current
// stage awaits (SPEC 2.4 links for S§11 and S§20 approvals): the first holder
// of the role who is not the initiator, has no declared relation to the
// partner (P§24) and has not acted in this stage.
func (s *Service) mailStage(ctx context.Context, kind, subject string) error {
	t, err := s.loadStaged(ctx, kind, subject)
	if err != nil || t.state.Status != partner.ApprovalPending {
		return err
	}
	pol, err := s.Policy(ctx)
	if err != nil {
		return err
	}
	stage := t.state.Plan.Stages[t.state.Stage]
	acted := map[string]bool{}
	for _, a := range t.state.Acts {
		if a.Step == stage.Step {
			acted[a.By] = true
		}
	}
	for _, role := range t.state.Awaited() {
		holders, err := s.Users.UsersWithRole(ctx, directory.Role(role))
		if err != nil {
			return err
		}
		var approver *directory.User
		for i, u := range holders {
			if u.Sub != t.initiator && !u.RelatedTo(t.partnerID) && !acted[u.Sub] {
				approver = &holders[i]
				break
			}
		}
		if approver == nil {
			s.logf("no eligible %s for the %s approval of %s", role, kind, subject)
			continue
		}
		now := s.Now().UTC()
		a := store.Approval{ID: id.Random(12), Kind: kind, Role: role, SubmissionID: subject, Revision: t.state.Stage,
			Step: stage.Step + ":" + role, Approver: approver.Sub, Email: approver.Email, CreatedAt: now,
			ExpiresAt: decision.LinkExpiresAt(now, pol.Decision).At,
			RemindAt:  decision.ReminderAt(now, pol.Calendar.Calendar(), pol.Decision).At}
		if err := s.Approvals.CreateApproval(ctx, s.meta(ctx, system), a); err != nil {
			return err
		}
		if err := s.sendStagedMail(ctx, t, a, false); err != nil {
			return err
		}
	}
	return nil
}

func (s *Service) sendStagedMail(ctx context.Context, t stagedTarget, a store.Approval, reminder bool) error {
	link, err := s.ApprovalURL(a)
	if err != nil {
		return err
	}
	pol, err := s.Policy(ctx)
	if err != nil {
		return err
	}
	data := map[string]any{"S": t.summary, "Step": StepName(a.Role), "URL": link, "Reminder": reminder,
		"ReminderDays": pol.Decision.Timing.ReminderWorkingDays, "Expires": a.ExpiresAt.In(shanghai()).Format("2006-01-02 15:04")}
	var text, html bytes.Buffer
	if err := approvalText.Execute(&text, data); err != nil {
		return err
	}
	if err := approvalHTML.Execute(&html, data); err != nil {
		return err
	}
	subject := fmt.Sprintf("【待审批】%s：%s", t.summary.Type, t.summary.Product)
	if reminder {
		subject = "【催办】" + subject
	}
	return s.Mail.Send(ctx, mail.Message{ID: id.New("mail"), To: a.Email, Subject: subject,
		Text: text.String(), HTML: html.String(), Links: []string{link}, SentAt: s.Now().UTC()})
}

// stagedPage builds a staged approval's link page.
func (s *Service) stagedPage(ctx context.Context, a store.Approval, state LinkState) (ApprovalPage, error) {
	t, err := s.loadStaged(ctx, a.Kind, a.SubmissionID)
	if err != nil {
		return ApprovalPage{}, err
	}
	if state == LinkOpen && (t.state.Status != partner.ApprovalPending || t.state.Stage != a.Revision || !awaits(t.state, a.Role)) {
		state = LinkSuperseded
	}
	page := ApprovalPage{State: state, Approval: a, Summary: t.summary, StepName: StepName(a.Role), Decision: verdictNames[a.Decision], Staged: true}
	for i, st := range t.state.Plan.Stages {
		for _, role := range st.Roles {
			rec := decision.StepRecord{Name: role, Role: role, Phase: i, Status: decision.StepPending}
			if i == t.state.Stage && t.state.Status == partner.ApprovalPending {
				rec.Status = decision.StepWaiting
			}
			for _, act := range t.state.Acts {
				if act.Step == st.Step && act.Role == role {
					at := act.At
					rec.Approver, rec.Comment, rec.DecidedAt = act.By, act.Comment, &at
					rec.Status = decision.StepApproved
					if act.Decision == partner.DecisionReject {
						rec.Status = decision.StepRejected
					}
				}
			}
			page.Steps = append(page.Steps, rec)
		}
	}
	return page, nil
}

func awaits(st partner.ApprovalState, role string) bool {
	for _, r := range st.Awaited() {
		if r == role {
			return true
		}
	}
	return false
}

// decideStaged records a staged approval's decision from its link: the link
// is claimed once, the decision made as the approver in the link's role.
func (s *Service) decideStaged(ctx context.Context, a store.Approval, f DecisionForm) (ApprovalPage, error) {
	page, err := s.stagedPage(ctx, a, LinkOpen)
	if err != nil || page.State != LinkOpen {
		return page, err
	}
	comment := strings.TrimSpace(f.Comment)
	switch {
	case f.Decision != partner.DecisionApprove && f.Decision != partner.DecisionReject:
		page.Errors = map[string]string{"decision": "must be approve or reject"}
		return page, nil
	case f.Decision == partner.DecisionReject && comment == "":
		page.Errors = map[string]string{"comment": "is required with reject: the initiator must learn why"}
		return page, nil
	}
	if err := s.Approvals.ClaimApproval(ctx, a.ID, f.Decision, comment, "", s.Now()); err != nil {
		if problem.CodeOf(err) == problem.CodeConflict {
			return s.stagedPage(ctx, a, LinkUsed)
		}
		return page, err
	}
	return s.completeStaged(ctx, a, f.Decision, comment, false)
}

// completeStaged carries a claimed staged decision through: the decision made
// as the approver in the link's role, the link used. Resuming a cut-off one,
// a decision that already went through is taken as done.
func (s *Service) completeStaged(ctx context.Context, a store.Approval, verdict, comment string, resuming bool) (ApprovalPage, error) {
	approver := directory.Person{Sub: a.Approver, Roles: []directory.Role{directory.Role(a.Role)}}
	var err error
	switch a.Kind {
	case store.ApprovalKindProject:
		_, err = s.decideProject(ctx, approver, a.SubmissionID, verdict, comment, true)
	case store.ApprovalKindRefund:
		_, err = s.decideRefund(ctx, approver, a.SubmissionID, verdict, comment, true)
	}
	if err != nil && resuming && problem.CodeOf(err) == problem.CodeConflict {
		if t, lerr := s.loadStaged(ctx, a.Kind, a.SubmissionID); lerr == nil && t.state.Stage == a.Revision && !awaits(t.state, a.Role) {
			err = nil // the cut-off request had decided it
		}
	}
	if err != nil {
		_ = s.Approvals.TransitionApproval(ctx, a.ID, store.ApprovalDeciding, store.ApprovalSuperseded, "", "", s.Now())
		if problem.CodeOf(err) == problem.CodeConflict {
			return s.stagedPage(ctx, a, LinkSuperseded)
		}
		return ApprovalPage{State: LinkOpen, Approval: a}, err
	}
	if err := s.Approvals.TransitionApproval(ctx, a.ID, store.ApprovalDeciding, store.ApprovalUsed, verdict, comment, s.Now()); err != nil {
		return ApprovalPage{State: LinkOpen, Approval: a}, err
	}
	a.Decision = verdict
	return s.stagedPage(ctx, a, LinkDecided)
}
