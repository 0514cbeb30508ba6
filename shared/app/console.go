package app

import (
	"context"
	"encoding/json"
	"maps"
	"slices"
	"sort"
	"time"

	"productgov/shared/assessment"
	"productgov/shared/decision"
	"productgov/shared/directory"
	"productgov/shared/money"
	"productgov/shared/partner"
	"productgov/shared/period"
	"productgov/shared/policy"
	"productgov/shared/product"
	"productgov/shared/settlement"
	"productgov/shared/store"
)

// PersonEntry is one person of the directory as everyone signed in sees it:
// the name people read instead of a login (SPEC 6). Email and declared
// relations are shown to admins and the auditor only.
type PersonEntry struct {
	Sub             string           `json:"sub"`
	Name            string           `json:"name"`
	Dept            string           `json:"dept"`
	Roles           []directory.Role `json:"roles"`
	Email           string           `json:"email,omitempty"`
	RelatedPartners []string         `json:"relatedPartners,omitempty"`
}

// People lists the directory, by login, once per person (a person with two
// roles is listed once).
func (s *Service) People(ctx context.Context, caller directory.Person) ([]PersonEntry, error) {
	full := caller.Has(directory.RoleAdmin) || caller.Has(directory.RoleAuditor)
	seen := map[string]bool{}
	out := []PersonEntry{}
	for _, role := range directory.Roles {
		users, err := s.Users.UsersWithRole(ctx, role)
		if err != nil {
			return nil, err
		}
		for _, u := range users {
			if seen[u.Sub] {
				continue
			}
			seen[u.Sub] = true
			e := PersonEntry{Sub: u.Sub, Name: u.Name, Dept: u.Dept, Roles: u.Roles}
			if full {
				e.Email, e.RelatedPartners = u.Email, u.RelatedPartners
			}
			out = append(out, e)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Sub < out[j].Sub })
	return out, nil
}

// QueueItem is one submission waiting in a review stage, as its reviewer
// sees it: whether they may vote, or why not (P§24 conflict).
type QueueItem struct {
	Submission decision.Submission  `json:"submission"`
	Stage      decision.ReviewStage `json:"stage"`
	// Votes counts the votes cast so far in the stage of this revision.
	Votes int `json:"votes"`
	// CanVote is false when a declared relation excludes the reviewer.
	CanVote bool `json:"canVote"`
	// Conflict names the declared relation that excludes the reviewer (P§24).
	Conflict *QueueConflict `json:"conflict,omitempty"`
}

// QueueConflict is why a reviewer does not vote on a submission.
type QueueConflict struct {
	Rule      string `json:"rule"`
	PartnerID string `json:"partnerId"`
}

// ReviewQueue lists the submissions in a review stage the caller has not
// voted on yet in their current revision, their own excepted; those a
// declared relation excludes them from are listed with the conflict, so the
// reviewer sees why they are not asked.
func (s *Service) ReviewQueue(ctx context.Context, caller directory.Person) ([]QueueItem, error) {
	if err := require(caller, "reading a review queue", directory.RoleReviewer); err != nil {
		return nil, err
	}
	voter, err := s.personOf(ctx, caller)
	if err != nil {
		return nil, err
	}
	out := []QueueItem{}
	for _, stage := range []decision.ReviewStage{decision.StageGroup, decision.StageCrossDepartment} {
		cursor := ""
		for {
			subs, next, err := s.ListSubmissions(ctx, store.SubmissionFilter{Status: stageStatusOf(stage)}, cursor, 200)
			if err != nil {
				return nil, err
			}
			for _, sub := range subs {
				if sub.Applicant == caller.Sub {
					continue
				}
				votes, err := s.Submissions.Votes(ctx, sub.ID, sub.Revision, stage)
				if err != nil {
					return nil, err
				}
				voted := false
				for _, v := range votes {
					voted = voted || v.Voter == caller.Sub
				}
				if voted {
					continue
				}
				it := QueueItem{Submission: sub, Stage: stage, Votes: len(votes), CanVote: true}
				if voter.RelatedTo(sub.PartnerID) {
					it.CanVote = false
					it.Conflict = &QueueConflict{Rule: "P§24", PartnerID: sub.PartnerID}
				}
				out = append(out, it)
			}
			if next == "" {
				break
			}
			cursor = next
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Submission.CreatedAt.Before(out[j].Submission.CreatedAt) })
	return out, nil
}

// Dashboard is the console's overview (issue 12): the portfolio by stage
// and phase, a month's assessment with the products' names, decisions
// waiting and for how long, and deposits below their required amount.
type Dashboard struct {
	Month period.Month `json:"month"`
	// Portfolio counts products by stage, then phase ("" for none).
	Portfolio map[product.Stage]map[string]int `json:"portfolio"`
	Products  int                              `json:"products"`
	// Assessment lists the month's results by outcome, and the products
	// now in warning and exit.
	Assessment DashboardAssessment `json:"assessment"`
	// Waiting are the submissions under review or decision, oldest first.
	Waiting []WaitingDecision `json:"waiting"`
	// DepositsBelow are the support partners whose deposit balance is below
	// the required amount (S§20); absent for callers who do not read partners.
	DepositsBelow *[]DepositShort `json:"depositsBelow,omitempty"`
}

// DashboardAssessment is a month's assessment on the dashboard.
type DashboardAssessment struct {
	Ran     bool                          `json:"ran"`
	Counts  map[assessment.Outcome]int    `json:"counts"`
	ByPhase map[assessment.Phase][]NameID `json:"byPhase"`
	Failed  []NameID                      `json:"failed"`
}

// NameID names a product.
type NameID struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

// WaitingDecision is a submission waiting, and since when.
type WaitingDecision struct {
	ID          string          `json:"id"`
	Type        string          `json:"type"`
	ProductID   string          `json:"productId,omitempty"`
	ProductName string          `json:"productName,omitempty"`
	Applicant   string          `json:"applicant"`
	Status      decision.Status `json:"status"`
	Since       time.Time       `json:"since"`
	WaitingDays int             `json:"waitingDays"`
}

// DepositShort is a partner whose deposit is below the required amount.
type DepositShort struct {
	ID       string       `json:"id"`
	Name     string       `json:"name"`
	Balance  money.Amount `json:"balance"`
	Required money.Amount `json:"required"`
}

// maxDashboardProducts bounds the products the dashboard reads: beyond it,
// the counts are those of the first ones.
const maxDashboardProducts = 20000

// BuildDashboard assembles the dashboard for a month (the previous month when zero).
func (s *Service) BuildDashboard(ctx context.Context, caller directory.Person, m period.Month) (Dashboard, error) {
	now := s.Now()
	if m.IsZero() {
		m = period.MonthOf(now).Add(-1)
	}
	d := Dashboard{Month: m, Portfolio: map[product.Stage]map[string]int{},
		Assessment: DashboardAssessment{Counts: map[assessment.Outcome]int{}, ByPhase: map[assessment.Phase][]NameID{}}}
	names := map[string]string{}
	cursor := ""
	for d.Products < maxDashboardProducts {
		ps, next, err := s.ListProducts(ctx, product.Filter{}, cursor, 200)
		if err != nil {
			return d, err
		}
		for _, p := range ps {
			names[p.ID] = p.Name
			if d.Portfolio[p.Stage] == nil {
				d.Portfolio[p.Stage] = map[string]int{}
			}
			d.Portfolio[p.Stage][string(p.Phase)]++
			d.Products++
		}
		if next == "" {
			break
		}
		cursor = next
	}
	// The month's results a page at a time, at most maxDashboardProducts of
	// them; the counts of a larger month come from its finished run.
	var listed []*NameID
	for cursor, read := "", 0; read < maxDashboardProducts; {
		results, next, err := s.MonthResultsPage(ctx, m, cursor, 500)
		if err != nil {
			return d, err
		}
		read += len(results)
		for _, r := range results {
			d.Assessment.Ran = true
			d.Assessment.Counts[r.Result.Result]++
			n := NameID{ID: r.ProductID, Name: names[r.ProductID]}
			if r.PhaseAfter == assessment.PhaseWarning || r.PhaseAfter == assessment.PhaseExit {
				d.Assessment.ByPhase[r.PhaseAfter] = append(d.Assessment.ByPhase[r.PhaseAfter], n)
			}
			if r.Result.Result == assessment.OutcomeFail {
				d.Assessment.Failed = append(d.Assessment.Failed, n)
			}
		}
		if next == "" {
			break
		}
		cursor = next
	}
	if run, err := s.AssessStore.GetRun(ctx, runKindAssessment, m.String()); err == nil && run.Status == "succeeded" {
		var sum runSummary
		if json.Unmarshal(run.Summary, &sum) == nil && sum.Total > 0 {
			d.Assessment.Ran, d.Assessment.Counts = true, sum.Counts
		}
	}
	for _, list := range append([][]NameID{d.Assessment.Failed}, slices.Collect(maps.Values(d.Assessment.ByPhase))...) {
		for i := range list {
			if list[i].Name == "" {
				listed = append(listed, &list[i])
			}
		}
	}
	if len(listed) > 0 {
		ids := make([]string, len(listed))
		for i, n := range listed {
			ids[i] = n.ID
		}
		found, err := s.ProductNames(ctx, ids)
		if err != nil {
			return d, err
		}
		for _, n := range listed {
			n.Name = found[n.ID]
		}
	}
	d.Waiting = []WaitingDecision{}
	for _, st := range []decision.Status{decision.StatusGroupReview, decision.StatusCrossReview, decision.StatusDeciding} {
		cursor := ""
		for {
			subs, next, err := s.ListSubmissions(ctx, store.SubmissionFilter{Status: st}, cursor, 200)
			if err != nil {
				return d, err
			}
			for _, sub := range subs {
				since := sub.UpdatedAt
				if since.IsZero() {
					since = sub.CreatedAt
				}
				d.Waiting = append(d.Waiting, WaitingDecision{ID: sub.ID, Type: string(sub.Type), ProductID: sub.ProductID,
					ProductName: names[sub.ProductID], Applicant: sub.Applicant, Status: sub.Status, Since: since,
					WaitingDays: int(now.Sub(since).Hours() / 24)})
			}
			if next == "" {
				break
			}
			cursor = next
		}
	}
	sort.Slice(d.Waiting, func(i, j int) bool { return d.Waiting[i].Since.Before(d.Waiting[j].Since) })
	if CheckPartnerReader(caller) == nil {
		below, err := s.depositsBelow(ctx)
		if err != nil {
			return d, err
		}
		d.DepositsBelow = &below
	}
	return d, nil
}

func (s *Service) depositsBelow(ctx context.Context) ([]DepositShort, error) {
	pol, err := s.Policy(ctx)
	if err != nil {
		return nil, err
	}
	ps, err := s.PartnerStore.PartnersOfKind(ctx, partner.KindSupport)
	if err != nil {
		return nil, err
	}
	out := []DepositShort{}
	required := pol.Partner.Deposit.Required
	for _, p := range ps {
		if p.Status == partner.StatusActive && p.DepositBalance < required {
			out = append(out, DepositShort{ID: p.ID, Name: p.Name, Balance: p.DepositBalance, Required: required})
		}
	}
	return out, nil
}

// PartnerProjects lists a partner's support projects (callers: CheckPartnerReader).
func (s *Service) PartnerProjects(ctx context.Context, pid string) ([]settlement.Project, error) {
	if _, err := s.PartnerStore.GetPartner(ctx, pid); err != nil {
		return nil, err
	}
	ps, err := s.PartnerStore.ProjectsOfPartner(ctx, pid)
	if ps == nil {
		ps = []settlement.Project{}
	}
	return ps, err
}

// PartnerName is a partner's name, for pages that show a submission's
// partner to people who do not read partner records; "" when unknown.
func (s *Service) PartnerName(ctx context.Context, pid string) string {
	if pid == "" || s.PartnerStore == nil {
		return ""
	}
	p, err := s.PartnerStore.GetPartner(ctx, pid)
	if err != nil {
		return ""
	}
	return p.Name
}

// PartnerList lists one page of the partners of a kind (support or si), in
// id order, for the departments that work them (callers:
// CheckPartnerReader), and the cursor of the next page.
func (s *Service) PartnerList(ctx context.Context, kind, cursor string, limit int32) ([]partner.Partner, string, error) {
	ps, next, err := s.PartnerStore.PartnersPage(ctx, kind, cursor, limit)
	if ps == nil {
		ps = []partner.Partner{}
	}
	return ps, next, err
}

// PolicyVersions lists every stored policy version, oldest first, so the
// console shows two side by side.
func (s *Service) PolicyVersions(ctx context.Context) (policy.History, error) {
	h, err := s.Policies.PolicyHistory(ctx)
	if err != nil {
		return nil, err
	}
	sort.SliceStable(h, func(i, j int) bool { return h[i].EffectiveFrom.Before(h[j].EffectiveFrom) })
	if h == nil {
		h = policy.History{}
	}
	return h, nil
}
