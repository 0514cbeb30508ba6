package app

import (
	"context"

	"productgov/shared/assessment"
	"productgov/shared/decision"
	"productgov/shared/directory"
	"productgov/shared/period"
	"productgov/shared/policy"
	"productgov/shared/problem"
	"productgov/shared/product"
	"productgov/shared/reason"
)

// withFlags adds the flags SPEC 1 computes from dates as of today: trial use
// over 3 months (P§17(一)) and a construction plan past due (P§11). They are
// computed on read, so they are true on the day they become true.
func withFlags(p product.Product, today period.Date, pol policy.Document) product.Product {
	trial := assessment.TrialUseOverdue(assessment.Stage(p.Stage), p.StageSince, today, pol.Decision.Timing.TrialUseMaxMonths)
	p.Flags = withFlag(p.Flags, product.FlagTrialUseOverdue, trial.Raised)
	plan := false
	if p.PlanDueDate != nil && p.Stage == product.StagePlanning {
		plan = assessment.ConstructionPlanOverdue(*p.PlanDueDate, p.PlanSubmittedOn, today).Raised
	}
	p.Flags = withFlag(p.Flags, product.FlagPlanOverdue, plan)
	if len(p.Flags) == 0 {
		p.Flags = nil
	}
	return p
}

func (s *Service) flagged(ctx context.Context, ps ...product.Product) ([]product.Product, error) {
	pol, err := s.Policy(ctx)
	if err != nil {
		return nil, err
	}
	today := period.DateOf(s.Now())
	out := make([]product.Product, len(ps))
	for i, p := range ps {
		out[i] = withFlags(p, today, pol)
	}
	return out, nil
}

// SubmitConstructionPlan records the construction plan after an approved
// demand (P§11: due within 10 working days) and moves the product on to
// building (self-built) or introducing (cooperative, P§15).
func (s *Service) SubmitConstructionPlan(ctx context.Context, caller directory.Person, productID string) (product.Product, error) {
	if err := require(caller, "submitting a construction plan", directory.RoleProductManager, directory.RoleAdmin); err != nil {
		return product.Product{}, err
	}
	pol, err := s.Policy(ctx)
	if err != nil {
		return product.Product{}, err
	}
	now := s.Now()
	cur, err := s.Products.GetProduct(ctx, productID)
	if err != nil {
		return product.Product{}, err
	}
	if cur.Mode == product.ModeCooperative {
		// P§15(三): no 合作引入 with an SI partner whose qualification review has not passed.
		if err := s.checkPartnerQualified(ctx, cur.PartnerID, "the cooperative product's introduction"); err != nil {
			return product.Product{}, err
		}
	}
	return s.Products.UpdateProduct(ctx, s.meta(ctx, caller), productID, func(p *product.Product) (product.Change, error) {
		if err := mayManage(caller, *p); err != nil {
			return product.Change{}, err
		}
		if p.Stage != product.StagePlanning {
			return product.Change{}, problem.Conflict("product %s is %s: a construction plan follows an approved demand, in planning", p.ID, p.Stage)
		}
		today := period.DateOf(now)
		p.PlanSubmittedOn = &today
		to := product.StageBuilding
		if p.Mode == product.ModeCooperative {
			to = product.StageIntroducing
		}
		why, cause := "construction plan submitted (P§11)", reason.New("construction_plan")
		if p.PlanDueDate != nil && today.After(*p.PlanDueDate) {
			why += ", late: due " + p.PlanDueDate.String()
			cause = reason.New("construction_plan_late", "due", p.PlanDueDate.String())
		}
		ch, err := p.Move(to, caller.Sub, "", why, cause, pol.Version, now)
		if err != nil {
			return product.Change{}, err
		}
		return product.Change{Action: "product.construction_plan", StageChange: &ch}, nil
	})
}

// CompleteDelisting ticks items of an exiting product's delisting checklist
// (SPEC 2.5); when every item is done the product is exited.
func (s *Service) CompleteDelisting(ctx context.Context, caller directory.Person, productID string, items []string) (product.Product, error) {
	if err := require(caller, "delisting", directory.RoleProductManager, directory.RoleAdmin); err != nil {
		return product.Product{}, err
	}
	if len(items) == 0 {
		return product.Product{}, problem.InvalidField("items", "must name at least one checklist item")
	}
	pol, err := s.Policy(ctx)
	if err != nil {
		return product.Product{}, err
	}
	now := s.Now()
	return s.Products.UpdateProduct(ctx, s.meta(ctx, caller), productID, func(p *product.Product) (product.Change, error) {
		if p.Stage != product.StageExiting || p.Exit == nil {
			return product.Change{}, problem.Conflict("product %s is %s, not exiting: only an approved exit has a delisting checklist", p.ID, p.Stage)
		}
		var done []string
		for _, it := range p.Exit.Checklist {
			if it.Done {
				done = append(done, it.Key)
			}
		}
		done = append(done, items...)
		st, err := decision.CheckDelisting(string(p.Mode), done, pol.Decision)
		if err != nil {
			return product.Change{}, fromRule(err, "delisting")
		}
		marked := map[string]bool{}
		for _, k := range done {
			marked[k] = true
		}
		for i := range p.Exit.Checklist {
			p.Exit.Checklist[i].Done = marked[p.Exit.Checklist[i].Key]
		}
		ch := product.Change{Action: "product.delisting"}
		if st.Complete {
			sc, err := p.Move(product.StageExited, caller.Sub, p.Exit.SubmissionID, st.Reason+" ("+st.Rule+")", reason.New("delisting_done"), pol.Version, now)
			if err != nil {
				return ch, err
			}
			ch.StageChange = &sc
		}
		return ch, nil
	})
}

// trialStoppers may stop a product's trial commercial use: its product
// managers, 集团客户部 (the line's lead department) and admins.
var trialStoppers = []directory.Role{directory.RoleProductManager, directory.RoleGroupCustomer, directory.RoleAdmin}

// SuspendTrial stops a product's trial commercial use on a major security,
// customer-service or platform problem (P§17(三)): the product moves to
// trial_suspended with the problem, the reason and who stopped it; only a
// new trial_commercial decision resumes it.
func (s *Service) SuspendTrial(ctx context.Context, caller directory.Person, productID, problemKind, reason string) (product.Product, error) {
	if err := require(caller, "stopping trial commercial use", trialStoppers...); err != nil {
		return product.Product{}, err
	}
	pol, err := s.Policy(ctx)
	if err != nil {
		return product.Product{}, err
	}
	now := s.Now()
	return s.Products.UpdateProduct(ctx, s.meta(ctx, caller), productID, func(p *product.Product) (product.Change, error) {
		ch, err := p.SuspendTrial(problemKind, reason, caller.Sub, pol.Version, now)
		if err != nil {
			return product.Change{}, err
		}
		return product.Change{Action: "product.trial_suspension", StageChange: &ch}, nil
	})
}
