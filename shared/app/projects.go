package app

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"productgov/shared/directory"
	"productgov/shared/id"
	"productgov/shared/money"
	"productgov/shared/partner"
	"productgov/shared/period"
	"productgov/shared/policy"
	"productgov/shared/problem"
	"productgov/shared/settlement"
	"productgov/shared/store"
)

// ProjectDraft is a new support project (SPEC 4.2). Registering marks an
// existing, already approved contract an admin migrates ("status":"approved").
type ProjectDraft struct {
	PartnerID        string
	ProductID        string
	BenefitType      string
	ContentType      string
	ContributionRate *money.Rate
	MinWorkload      settlement.Quantity
	AnnualTarget     money.Amount
	Items            []settlement.PlannedWorkItem
	StartDate        *period.Date
	Registering      bool
	LastYear         *settlement.LastYearFigures
}

// CreateProject records a support project tying a partner to a product
// (S§10): product innovation proposes it for review; an admin may register an
// existing approved project. Its settlement terms are checked by the policy
// (S§15, S§16): revenue mode needs a rate (default 2.7% for ordinary content
// with direct benefit, S-A4) and an annual target, guarantee mode priced items.
func (s *Service) CreateProject(ctx context.Context, caller directory.Person, d ProjectDraft) (settlement.Project, error) {
	if d.Registering {
		if err := require(caller, "registering an existing approved project", directory.RoleAdmin); err != nil {
			return settlement.Project{}, err
		}
	} else if err := require(caller, "proposing a support project", partnerManagers...); err != nil {
		return settlement.Project{}, err
	}
	pol, err := s.Policy(ctx)
	if err != nil {
		return settlement.Project{}, err
	}
	fields := problem.Fields{}
	workItems := make([]settlement.WorkItem, len(d.Items))
	for i, it := range d.Items {
		workItems[i] = settlement.WorkItem{Name: it.Name, UnitPrice: it.UnitPrice}
		if it.PlannedWorkload < 0 {
			fields.Add(fmt.Sprintf("items[%d].plannedWorkload", i), "must not be negative")
		}
		if it.Sheet != "" && !settlement.IsSheet(it.Sheet) {
			fields.Add(fmt.Sprintf("items[%d].sheet", i), "must be one of "+strings.Join(settlement.Sheets(), ", ")+" (S-A3 表二), or left out for an item scored on its own")
		}
	}
	terms, err := settlement.ValidateTerms(settlement.ProjectTerms{BenefitType: d.BenefitType, ContentType: d.ContentType,
		ContributionRate: d.ContributionRate, MinWorkload: d.MinWorkload, AnnualTarget: d.AnnualTarget, Items: workItems}, pol.Settlement)
	if pe := problem.As(fromPartnerRule(err, "project")); pe != nil {
		for k, v := range pe.Fields {
			fields.Add(k, v)
		}
	} else if err != nil {
		return settlement.Project{}, err
	}
	if d.LastYear != nil && !d.Registering {
		fields.Add("lastYear", "is given only when an admin registers an existing project")
	}
	if d.LastYear != nil && (d.LastYear.Revenue <= 0 || d.LastYear.Fee < 0) {
		fields.Add("lastYear", "needs a positive revenue and a fee that is not negative")
	}
	pt, perr := s.PartnerStore.GetPartner(ctx, d.PartnerID)
	switch {
	case problem.CodeOf(perr) == problem.CodeNotFound:
		fields.Add("partnerId", "names no existing partner")
	case perr != nil:
		return settlement.Project{}, perr
	case pt.Kind != partner.KindSupport:
		fields.Add("partnerId", "names an si partner; support projects belong to support partners")
	}
	prod, prerr := s.Products.GetProduct(ctx, d.ProductID)
	switch {
	case problem.CodeOf(prerr) == problem.CodeNotFound:
		fields.Add("productId", "names no existing product")
	case prerr != nil:
		return settlement.Project{}, prerr
	}
	if err := fields.Err("invalid support project"); err != nil {
		return settlement.Project{}, err
	}
	if pt.Status != partner.StatusActive {
		return settlement.Project{}, problem.Conflict("partner %s is %s: support projects need an active agreement (S§14)", pt.ID, pt.Status)
	}
	now := s.Now()
	start := period.DateOf(now)
	if d.StartDate != nil {
		start = *d.StartDate
	}
	mode, _ := partner.ModeOf(terms.BenefitType)
	items := d.Items
	if mode != partner.ModeGuarantee {
		items = nil
	}
	if items == nil {
		items = []settlement.PlannedWorkItem{}
	}
	p := settlement.Project{ID: id.New("spj"), PartnerID: d.PartnerID, ProductID: d.ProductID, ProductName: prod.Name,
		Mode: mode, BenefitType: terms.BenefitType, ContentType: terms.ContentType, ContributionRate: terms.ContributionRate,
		MinWorkload: terms.MinWorkload, AnnualTarget: terms.AnnualTarget, Items: items, Status: settlement.ProjectInReview,
		ReviewYear: start.Year, StartDate: start, EndDate: start.AddMonths(12).AddDays(-1), Renewals: []settlement.RenewalRecord{},
		PolicyVersion: pol.Version, CreatedBy: caller.Sub, CreatedAt: now.UTC(), UpdatedAt: now.UTC()}
	if d.Registering {
		p.Status, p.Registered, p.LastYear = settlement.ProjectApproved, true, d.LastYear
	}
	if err := s.PartnerStore.CreateProject(ctx, s.meta(ctx, caller), p); err != nil {
		return settlement.Project{}, err
	}
	p.Version = 1
	return p, nil
}

// ProjectView is a project with its review (SPEC 8: score, supportNeeded).
type ProjectView struct {
	settlement.Project
	Review        partner.ProjectReview `json:"review"`
	Score         *partner.Score        `json:"score"`
	SupportNeeded bool                  `json:"supportNeeded"`
	// Awaiting lists the roles the project's approval waits for.
	Awaiting []string `json:"awaiting"`
}

// GetProject reads a project with its review of the year that admitted it.
func (s *Service) GetProject(ctx context.Context, pid string) (ProjectView, error) {
	p, err := s.PartnerStore.GetProject(ctx, pid)
	if err != nil {
		return ProjectView{}, err
	}
	pol, err := s.Policy(ctx)
	if err != nil {
		return ProjectView{}, err
	}
	rev, err := s.projectReview(ctx, p, p.ReviewYear, pol)
	if err != nil {
		return ProjectView{}, err
	}
	return projectView(p, rev), nil
}

func projectView(p settlement.Project, rev partner.ProjectReview) ProjectView {
	v := ProjectView{Project: p, Review: rev, Score: rev.Score, SupportNeeded: rev.SupportNeeded, Awaiting: []string{}}
	if p.Registered {
		v.SupportNeeded = true
	}
	if p.Approval != nil {
		if a := p.Approval.Awaited(); a != nil {
			v.Awaiting = a
		}
	}
	return v
}

// projectReview scores a project's review of a year from its stored forms (S§11).
func (s *Service) projectReview(ctx context.Context, p settlement.Project, year int, pol policy.Document) (partner.ProjectReview, error) {
	forms, err := s.PartnerStore.ScoreForms(ctx, p.ID, year)
	if err != nil {
		return partner.ProjectReview{}, err
	}
	rf := make([]partner.ReviewerForm, len(forms))
	for i, f := range forms {
		rf[i] = partner.ReviewerForm{ReviewerID: f.ReviewerID, Department: f.Department, Form: f.Form}
	}
	rev, err := partner.ReviewProject(p.ContentType, rf, pol.Partner.Review)
	return rev, fromPartnerRule(err, "review")
}

// reviewDepartment is the department a reviewer scores for, from the user
// directory: its dept when that is a reviewing department, else the one
// reviewing department among its roles (marketing, finance, innovation).
func reviewDepartment(u directory.User, departments []string) string {
	for _, d := range departments {
		if u.Dept == d {
			return d
		}
	}
	found := ""
	for _, d := range departments {
		if u.HasRole(directory.Role(d)) {
			if found != "" {
				return ""
			}
			found = d
		}
	}
	return found
}

// ScoreProject records one reviewer's form (S§11, S-A1): the caller's
// department and declared relations come from the user directory; each item
// must lie within its maximum; one form per reviewer and year. When every
// department has scored, a mean of 60 or more starts the S§11 approval and
// below it the project is not needed. year 0 is the project's review year.
func (s *Service) ScoreProject(ctx context.Context, caller directory.Person, projectID string, year int, form partner.ScoreForm) (ProjectView, error) {
	if err := require(caller, "filling a score form", directory.RoleMarketing, directory.RoleFinance, directory.RoleInnovation); err != nil {
		return ProjectView{}, err
	}
	pol, err := s.Policy(ctx)
	if err != nil {
		return ProjectView{}, err
	}
	p, err := s.PartnerStore.GetProject(ctx, projectID)
	if err != nil {
		return ProjectView{}, err
	}
	switch {
	case year == 0 && p.Status == settlement.ProjectInReview:
		year = p.ReviewYear
	case year == 0:
		year = period.DateOf(s.Now()).Year
	}
	if year == p.ReviewYear && p.Status != settlement.ProjectInReview {
		return ProjectView{}, problem.Conflict("the %d review of project %s is closed: the project is %s", year, projectID, p.Status)
	}
	if year != p.ReviewYear && (p.Status != settlement.ProjectApproved || year < p.ReviewYear) {
		return ProjectView{}, problem.Conflict("project %s is %s: a review of %d is for an approved project's renewal (S§14)", projectID, p.Status, year)
	}
	u, known, err := s.directoryEntry(ctx, caller.Sub)
	if err != nil {
		return ProjectView{}, err
	}
	dept := reviewDepartment(u, pol.Partner.Review.Departments)
	if !known || dept == "" {
		return ProjectView{}, problem.Forbidden("%s has no reviewing department in the user directory (S§11: marketing, finance or innovation)", caller.Sub)
	}
	forms, err := s.PartnerStore.ScoreForms(ctx, projectID, year)
	if err != nil {
		return ProjectView{}, err
	}
	existing := make([]partner.ReviewerForm, len(forms))
	for i, f := range forms {
		existing[i] = partner.ReviewerForm{ReviewerID: f.ReviewerID, Department: f.Department, Form: f.Form}
	}
	res, err := partner.AcceptForm(existing, partner.ReviewerForm{ReviewerID: caller.Sub, Department: dept,
		RelatedToPartner: u.RelatedTo(p.PartnerID), Form: form}, p.ContentType, pol.Partner.Review)
	if err != nil {
		return ProjectView{}, fromPartnerRule(err, "score form")
	}
	rec := partner.ScoreFormRecord{ProjectID: projectID, Year: year, ReviewerID: caller.Sub, Department: dept, Form: form,
		Result: res, At: s.Now().UTC()}
	if err := s.PartnerStore.AddScoreForm(ctx, s.meta(ctx, caller), rec); err != nil {
		return ProjectView{}, err
	}
	rev, err := s.projectReview(ctx, p, year, pol)
	if err != nil {
		return ProjectView{}, err
	}
	if year == p.ReviewYear && rev.Complete {
		p, err = s.PartnerStore.UpdateProject(ctx, s.meta(ctx, caller), projectID, func(x *settlement.Project) (string, error) {
			if x.Status != settlement.ProjectInReview {
				return "", store.ErrNoChange
			}
			if rev.SupportNeeded {
				x.Status = settlement.ProjectApproving
				a := partner.NewApproval(partner.ProjectApprovalPlan(pol.Partner.Review))
				x.Approval = &a
				return "project.review.passed", nil
			}
			x.Status = settlement.ProjectNotNeeded
			return "project.review.not_needed", nil
		})
		if err != nil {
			return ProjectView{}, err
		}
		if p.Status == settlement.ProjectApproving {
			if err := s.mailStage(ctx, store.ApprovalKindProject, p.ID); err != nil {
				return ProjectView{}, err
			}
		}
	}
	if year != p.ReviewYear {
		first, err := s.projectReview(ctx, p, p.ReviewYear, pol)
		if err != nil {
			return ProjectView{}, err
		}
		v := projectView(p, first)
		v.Review = rev
		return v, nil
	}
	return projectView(p, rev), nil
}

// DecideProject records a decision in the project approval (S§11: product
// innovation initiates; marketing, finance and innovation countersign; the
// deputy GM approves), by a person acting for an awaited role and not related
// to the partner (P§24).
func (s *Service) DecideProject(ctx context.Context, caller directory.Person, projectID, decision, comment string) (ProjectView, error) {
	return s.decideProject(ctx, caller, projectID, decision, comment, false)
}

// decideProject decides for a person acting through the API (viaLink false;
// executives may not) or through their emailed link; when a stage completes,
// the next stage's approvers get their links.
func (s *Service) decideProject(ctx context.Context, caller directory.Person, projectID, decision, comment string, viaLink bool) (ProjectView, error) {
	p, err := s.PartnerStore.GetProject(ctx, projectID)
	if err != nil {
		return ProjectView{}, err
	}
	if err := s.notRelated(ctx, caller.Sub, p.PartnerID, "the project approval"); err != nil {
		return ProjectView{}, err
	}
	now := s.Now()
	stageBefore := -1
	p, err = s.PartnerStore.UpdateProject(ctx, s.meta(ctx, caller), projectID, func(x *settlement.Project) (string, error) {
		if x.Status != settlement.ProjectApproving || x.Approval == nil {
			return "", problem.Conflict("project %s is %s: nothing awaits a decision", projectID, x.Status)
		}
		if x.Approval.ProposedBy(caller.Sub) {
			return "", problem.Forbidden("nobody approves their own proposal (SPEC 6): %s initiated the approval of project %s", caller.Sub, projectID)
		}
		if !viaLink {
			if err := refuseExecutiveByAPI(caller, *x.Approval); err != nil {
				return "", err
			}
		}
		stageBefore = x.Approval.Stage
		next, err := x.Approval.Decide(roleNames(caller), caller.Sub, decision, comment, now)
		if err != nil {
			return "", fromPartnerRule(err, "project decision")
		}
		x.Approval = &next
		switch next.Status {
		case partner.ApprovalApproved:
			x.Status = settlement.ProjectApproved
		case partner.ApprovalRejected:
			x.Status = settlement.ProjectRejected
		}
		return "project.approval." + decision, nil
	})
	if err != nil {
		return ProjectView{}, err
	}
	if p.Approval != nil && p.Approval.Status == partner.ApprovalPending && p.Approval.Stage != stageBefore {
		if err := s.mailStage(ctx, store.ApprovalKindProject, p.ID); err != nil {
			return ProjectView{}, err
		}
	}
	return s.GetProject(ctx, p.ID)
}

// RenewProject applies S§14 to a project contract for a year: it renews by
// itself, at most twice, when last year's project score passed, this year's
// review passed and no term changed; a changed term calls for a
// supplementary agreement instead.
func (s *Service) RenewProject(ctx context.Context, caller directory.Person, projectID string, year int, changed []string) (partner.Renewal, settlement.Project, error) {
	if err := require(caller, "renewing a project contract", partnerManagers...); err != nil {
		return partner.Renewal{}, settlement.Project{}, err
	}
	pol, err := s.Policy(ctx)
	if err != nil {
		return partner.Renewal{}, settlement.Project{}, err
	}
	p, err := s.PartnerStore.GetProject(ctx, projectID)
	if err != nil {
		return partner.Renewal{}, p, err
	}
	if p.Status != settlement.ProjectApproved {
		return partner.Renewal{}, p, problem.Conflict("project %s is %s: only an approved project renews", projectID, p.Status)
	}
	if year <= p.ReviewYear {
		return partner.Renewal{}, p, problem.InvalidField("year", fmt.Sprintf("must be after the project's review year %d", p.ReviewYear))
	}
	pt, err := s.PartnerStore.GetPartner(ctx, p.PartnerID)
	if err != nil {
		return partner.Renewal{}, p, err
	}
	var last *partner.Score
	for _, a := range pt.AnnualScores {
		if a.Year != year-1 {
			continue
		}
		for _, py := range a.Projects {
			if py.ProjectID == projectID {
				sc, _ := partner.ExactScore(py.ScoreExact)
				last = &sc
			}
		}
	}
	if last == nil {
		return partner.Renewal{}, p, problem.Conflict("project %s has no annual score for %d: assess the partner's year first (S§14)", projectID, year-1)
	}
	rev, err := s.projectReview(ctx, p, year, pol)
	if err != nil {
		return partner.Renewal{}, p, err
	}
	if !rev.Complete || rev.Score == nil {
		return partner.Renewal{}, p, problem.Conflict("the %d review of project %s is not complete: waiting for %v (S§14)", year, projectID, rev.MissingDepartments)
	}
	sort.Strings(changed)
	out, err := partner.CheckAutoRenewal(partner.RenewalInput{RenewalsSoFar: len(p.Renewals), LastYearScore: *last,
		ThisYearReview: *rev.Score, ChangedTerms: changed}, pol.Partner)
	if err != nil {
		return out, p, fromPartnerRule(err, "renewal")
	}
	if !out.Renew {
		return out, p, nil
	}
	now := s.Now()
	p, err = s.PartnerStore.UpdateProject(ctx, s.meta(ctx, caller), projectID, func(x *settlement.Project) (string, error) {
		for _, r := range x.Renewals {
			if r.Year == year {
				return "", store.ErrNoChange
			}
		}
		x.EndDate = x.EndDate.AddMonths(12)
		x.Renewals = append(x.Renewals, settlement.RenewalRecord{Year: year, Renewal: out, EndDate: x.EndDate,
			PolicyVersion: pol.Version, By: caller.Sub, At: now.UTC()})
		return "project.renewal", nil
	})
	return out, p, err
}

// QuarterInput is a project's quarter input as sent.
type QuarterInput struct {
	Workload     *settlement.Quantity
	Items        []QuarterItemInput
	SheetScores  map[string]partner.Score
	ServiceScore *partner.Score
}

// QuarterItemInput is one guarantee work item's quarter as sent: its score is
// absent for an item on a sheet scored as a whole (S-A3 表二).
type QuarterItemInput struct {
	Name     string
	Workload settlement.Quantity
	Score    *partner.Score
}

// PutQuarter records a project's quarter input (SPEC 4.3): the workload in
// revenue mode, each work item's workload and score in guarantee mode, and the
// service score; a confirmed statement of the quarter freezes it.
func (s *Service) PutQuarter(ctx context.Context, caller directory.Person, projectID string, q period.Quarter, in QuarterInput) (settlement.QuarterEntry, error) {
	if err := require(caller, "recording a quarter's work", partnerManagers...); err != nil {
		return settlement.QuarterEntry{}, err
	}
	p, err := s.PartnerStore.GetProject(ctx, projectID)
	if err != nil {
		return settlement.QuarterEntry{}, err
	}
	f := problem.Fields{}
	checkScore := func(field string, sc partner.Score) {
		if !sc.HasAtMostTwoDecimals() || sc.Sign() < 0 || sc.Cmp(partner.Points(100)) > 0 {
			f.Add(field, "must be between 0 and 100 with at most two decimals")
		}
	}
	if in.ServiceScore == nil {
		f.Add("serviceScore", "is required (0–100)")
	} else {
		checkScore("serviceScore", *in.ServiceScore)
	}
	switch p.Mode {
	case partner.ModeRevenue:
		if in.Workload == nil {
			f.Add("workload", "is required in revenue mode")
		} else if *in.Workload < 0 {
			f.Add("workload", "must not be negative")
		}
		if in.Items != nil {
			f.Add("items", "are for guarantee mode; this project is in revenue mode")
		}
		if in.SheetScores != nil {
			f.Add("sheetScores", "are for guarantee mode; this project is in revenue mode")
		}
	case partner.ModeGuarantee:
		if in.Workload != nil {
			f.Add("workload", "is for revenue mode; this project gives items")
		}
		sheetOf := map[string]string{}
		priced := map[string]bool{}
		sheets := map[string]bool{}
		for _, it := range p.Items {
			priced[it.Name] = true
			sheetOf[it.Name] = it.Sheet
			if it.Sheet != "" {
				sheets[it.Sheet] = true
			}
		}
		seen := map[string]bool{}
		for i, it := range in.Items {
			field := fmt.Sprintf("items[%d]", i)
			switch {
			case !priced[it.Name]:
				f.Add(field+".name", fmt.Sprintf("%q is not a work item of the project", it.Name))
			case seen[it.Name]:
				f.Add(field+".name", fmt.Sprintf("%q is listed twice", it.Name))
			}
			seen[it.Name] = true
			if it.Workload < 0 {
				f.Add(field+".workload", "must not be negative")
			}
			// S-A3: 表二 has one total score for the sheet; 表三–六 score each item.
			switch sheet := sheetOf[it.Name]; {
			case !priced[it.Name]:
			case sheet != "" && it.Score != nil:
				f.Add(field+".score", fmt.Sprintf("%q is on the %s sheet, which has one total score (S-A3 表二): give sheetScores.%s instead", it.Name, sheet, sheet))
			case sheet == "" && it.Score == nil:
				f.Add(field+".score", "is required (0–100): the item is scored on its own (S-A3 表三–表六)")
			case it.Score != nil:
				checkScore(field+".score", *it.Score)
			}
		}
		for _, it := range p.Items {
			if !seen[it.Name] {
				f.Add("items", fmt.Sprintf("every work item needs its quarter: %q is missing", it.Name))
			}
		}
		for sheet := range sheets {
			if sc, ok := in.SheetScores[sheet]; !ok {
				f.Add("sheetScores."+sheet, "is required (0–100): the sheet's one total score sets the share of its combined fee (S-A3 表二)")
			} else {
				checkScore("sheetScores."+sheet, sc)
			}
		}
		for sheet := range in.SheetScores {
			if !sheets[sheet] {
				f.Add("sheetScores."+sheet, "no work item of the project is on this sheet")
			}
		}
	}
	if err := f.Err("invalid quarter input"); err != nil {
		return settlement.QuarterEntry{}, err
	}
	if st, err := s.PartnerStore.GetStatement(ctx, q, projectID); err == nil && st.Locked() {
		return settlement.QuarterEntry{}, problem.Conflict("the %s statement of project %s is %s: its input is final", q, projectID, st.Status)
	} else if err != nil && problem.CodeOf(err) != problem.CodeNotFound {
		return settlement.QuarterEntry{}, err
	}
	e := settlement.QuarterEntry{ProjectID: projectID, Quarter: q, Workload: in.Workload,
		SheetScores: in.SheetScores, ServiceScore: *in.ServiceScore, By: caller.Sub, At: s.Now().UTC()}
	if in.Items != nil {
		e.Items = make([]settlement.QuarterItem, len(in.Items))
		sheetOf := map[string]string{}
		for _, it := range p.Items {
			sheetOf[it.Name] = it.Sheet
		}
		for i, it := range in.Items {
			e.Items[i] = settlement.QuarterItem{Name: it.Name, Workload: it.Workload, Sheet: sheetOf[it.Name]}
			if it.Score != nil {
				e.Items[i].Score = *it.Score
			}
		}
	}
	return s.PartnerStore.PutQuarterEntry(ctx, s.meta(ctx, caller), e)
}
