package app

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"productgov/shared/directory"
	"productgov/shared/money"
	"productgov/shared/partner"
	"productgov/shared/period"
	"productgov/shared/problem"
	"productgov/shared/product"
	"productgov/shared/settlement"
	"productgov/shared/store"
)

// twoDecimals rounds a score half-up to two decimals, the precision the
// assessment rules take as input (a mean of quarterly scores may have more).
func twoDecimals(s partner.Score) partner.Score {
	v, err := partner.ParseScore(s.String())
	if err != nil {
		return s
	}
	return v
}

// AssessPartnerYear assesses a support partner's year (S§21, S-A6): each
// project's annual score (revenue mode 80% × min(100, 100 × revenue ÷ target)
// + 20% × the mean quarterly service score; guarantee mode the mean of its
// quarterly scores), the partner's score (their mean − 3 points per penalised
// core-staff change), the warning for two consecutive quarters below 60 within
// the year, and the exit after two consecutive failing years, which ends the
// partnership and bans re-entry for three years. Re-assessing a year replaces
// its record. (decided) A project's quarterly score is its quarter input's
// serviceScore; means are rounded to two decimals before the rules take them.
func (s *Service) AssessPartnerYear(ctx context.Context, caller directory.Person, pid string, year int) (partner.Partner, error) {
	if err := require(caller, "assessing a partner", partnerManagers...); err != nil {
		return partner.Partner{}, err
	}
	if year < 1900 || year > period.DateOf(s.Now()).Year {
		return partner.Partner{}, problem.InvalidField("year", "must be this year or a past year")
	}
	pol, err := s.PolicyOn(ctx, period.Month{Year: year, Month: time.December}.Last())
	if err != nil {
		return partner.Partner{}, err
	}
	if _, err := s.supportPartner(ctx, pid); err != nil {
		return partner.Partner{}, err
	}
	all, err := s.PartnerStore.ProjectsOfPartner(ctx, pid)
	if err != nil {
		return partner.Partner{}, err
	}
	months := yearMonths(year)
	var projects []settlement.Project
	var entryKeys []store.QuarterEntryKey
	var figKeys []product.FigureKey
	for _, p := range all {
		if p.Status != settlement.ProjectApproved || len(monthsIn(p, months)) == 0 {
			continue
		}
		projects = append(projects, p)
		for q := 1; q <= 4; q++ {
			entryKeys = append(entryKeys, store.QuarterEntryKey{ProjectID: p.ID, Quarter: period.Quarter{Year: year, Q: q}})
		}
		if p.Mode == partner.ModeRevenue {
			for _, m := range monthsIn(p, months) {
				figKeys = append(figKeys, product.FigureKey{ProductID: p.ProductID, Month: m})
			}
		}
	}
	if len(projects) == 0 {
		return partner.Partner{}, problem.Conflict("partner %s had no approved project in %d to assess (S-A6)", pid, year)
	}
	entries, err := s.PartnerStore.QuarterEntries(ctx, entryKeys)
	if err != nil {
		return partner.Partner{}, err
	}
	revenue, err := s.AssessStore.BatchFigures(ctx, product.KindRevenue, uniqueFigureKeys(figKeys))
	if err != nil {
		return partner.Partner{}, err
	}
	var missing []string
	var projectYears []partner.ProjectYear
	var projectScores []partner.Score
	quarterly := map[int][]partner.Score{}
	for _, p := range projects {
		var qs []partner.Score
		for q := 1; q <= 4; q++ {
			if e, ok := entries[store.QuarterEntryKey{ProjectID: p.ID, Quarter: period.Quarter{Year: year, Q: q}}]; ok {
				qs = append(qs, e.ServiceScore)
				quarterly[q] = append(quarterly[q], e.ServiceScore)
			}
		}
		if len(qs) == 0 {
			missing = append(missing, fmt.Sprintf("quarter inputs of project %s in %d", p.ID, year))
			continue
		}
		var res partner.ProjectAnnualScore
		if p.Mode == partner.ModeRevenue {
			var annual money.Amount
			for _, m := range monthsIn(p, months) {
				v, ok := revenue[product.FigureKey{ProductID: p.ProductID, Month: m}]
				if !ok {
					missing = append(missing, "revenue "+m.String()+" of product "+p.ProductID)
				}
				annual += money.Amount(v)
			}
			res, err = partner.RevenueProjectScore(partner.RevenueYear{AnnualRevenue: annual, AnnualTarget: p.AnnualTarget,
				ServiceScore: twoDecimals(partner.MeanScore(qs))}, pol.Partner)
		} else {
			res, err = partner.GuaranteeProjectScore(qs, pol.Partner)
		}
		if err != nil {
			return partner.Partner{}, fromPartnerRule(err, "project "+p.ID+" annual score")
		}
		projectYears = append(projectYears, partner.ProjectYear{ProjectID: p.ID, ProductID: p.ProductID, Result: res, ScoreExact: res.Score.Exact()})
		projectScores = append(projectScores, res.Score)
	}
	if len(missing) > 0 {
		return partner.Partner{}, problem.Conflict("the %d assessment of partner %s waits for data: %s", year, pid, strings.Join(missing, "; "))
	}
	staff, err := s.PartnerStore.StaffChanges(ctx, pid, fmt.Sprintf("%04d-", year))
	if err != nil {
		return partner.Partner{}, err
	}
	changes := 0
	for _, c := range staff {
		if c.Charge.Penalised {
			changes++
		}
	}
	score, err := partner.ScorePartnerYear(partner.PartnerYear{ProjectScores: projectScores, StaffChanges: changes}, pol.Partner)
	if err != nil {
		return partner.Partner{}, fromPartnerRule(err, "partner annual score")
	}
	var quarters []partner.QuarterScore
	for q := 1; q <= 4; q++ {
		if len(quarterly[q]) > 0 {
			quarters = append(quarters, partner.QuarterScore{Quarter: period.Quarter{Year: year, Q: q}, Score: twoDecimals(partner.MeanScore(quarterly[q]))})
		}
	}
	warning, err := partner.CheckQuarterWarning(quarters, pol.Partner)
	if err != nil {
		return partner.Partner{}, fromPartnerRule(err, "quarterly warning")
	}
	now := s.Now()
	today := period.DateOf(now)
	return s.PartnerStore.UpdatePartner(ctx, s.meta(ctx, caller), pid, func(p *partner.Partner) (store.PartnerChange, error) {
		years := []partner.YearScore{{Year: year, Score: score.Score}}
		var kept []partner.AnnualAssessment
		for _, a := range p.AnnualScores {
			if a.Year == year {
				continue
			}
			kept = append(kept, a)
			exact, _ := partner.ExactScore(a.ScoreExact)
			years = append(years, partner.YearScore{Year: a.Year, Score: exact})
		}
		exit, err := partner.CheckAssessmentExit(years, pol.Partner)
		if err != nil {
			return store.PartnerChange{}, fromPartnerRule(err, "assessment exit")
		}
		a := partner.AnnualAssessment{Year: year, Projects: projectYears, Partner: score, Score: score.Score,
			ScoreExact: score.Score.Exact(), Passed: score.Passed, QuarterScores: quarters, Warning: warning, Exit: exit,
			PolicyVersion: pol.Version, AssessedAt: now.UTC()}
		if a.QuarterScores == nil {
			a.QuarterScores = []partner.QuarterScore{}
		}
		p.AnnualScores = append(kept, a)
		sort.Slice(p.AnnualScores, func(i, j int) bool { return p.AnnualScores[i].Year < p.AnnualScores[j].Year })
		ch := store.PartnerChange{Action: fmt.Sprintf("partner.assessment.%d", year)}
		if exit.Triggered && p.Exit == nil {
			// S§21: 连续两年考核打分低于60分 → 考核退出, 不再续签, 3年内不再准入.
			p.Status = partner.StatusExited
			p.Exit = &partner.Exit{Date: today, Type: partner.ExitAssessment}
			p.TerminatedOn = &today
			if p.Counted {
				p.Counted, ch.CountDelta = false, -1
			}
		}
		return ch, nil
	})
}

// EvaluateTerm records the end-of-term evaluation (S§21, S-A6 表四): 80% of the
// mean of the term's annual scores plus the re-check of the intake standards
// (five items of four points). At 60 or more the renewal is supported; below,
// the partnership ends and the deposit becomes refundable.
func (s *Service) EvaluateTerm(ctx context.Context, caller directory.Person, pid string, recheck map[string]partner.Score) (partner.Partner, error) {
	if err := require(caller, "evaluating a partner's term", partnerManagers...); err != nil {
		return partner.Partner{}, err
	}
	pol, err := s.Policy(ctx)
	if err != nil {
		return partner.Partner{}, err
	}
	if _, err := s.supportPartner(ctx, pid); err != nil {
		return partner.Partner{}, err
	}
	now := s.Now()
	today := period.DateOf(now)
	return s.PartnerStore.UpdatePartner(ctx, s.meta(ctx, caller), pid, func(p *partner.Partner) (store.PartnerChange, error) {
		if p.Status != partner.StatusActive || p.Agreement == nil {
			return store.PartnerChange{}, problem.Conflict("partner %s is %s: the end-of-term evaluation is of an active agreement", pid, p.Status)
		}
		var scores []partner.Score
		var years []int
		for _, a := range p.AnnualScores {
			if a.Year >= p.Agreement.Start.Year && a.Year <= p.Agreement.End.Year {
				exact, _ := partner.ExactScore(a.ScoreExact)
				scores = append(scores, exact)
				years = append(years, a.Year)
			}
		}
		if len(scores) == 0 {
			// The re-check is checked first, so bad input is named before the missing years.
			if _, err := partner.EvaluateTerm(partner.TermInput{AnnualScores: []partner.Score{{}}, Recheck: recheck}, pol.Partner); err != nil {
				return store.PartnerChange{}, fromPartnerRule(err, "term evaluation")
			}
			return store.PartnerChange{}, problem.Conflict("partner %s has no annual score within its agreement %s–%s: assess its years first (S-A6 表四)",
				pid, p.Agreement.Start, p.Agreement.End)
		}
		res, err := partner.EvaluateTerm(partner.TermInput{AnnualScores: scores, Recheck: recheck}, pol.Partner)
		if err != nil {
			return store.PartnerChange{}, fromPartnerRule(err, "term evaluation")
		}
		p.TermEvaluation = &partner.TermEvaluation{Result: res, Recheck: recheck, Years: years, PolicyVersion: pol.Version, EvaluatedAt: now.UTC()}
		ch := store.PartnerChange{Action: "partner.term_evaluation"}
		if !res.Renewal {
			end := p.Agreement.End
			if end.Before(today) {
				end = today
			}
			p.Status = partner.StatusTerminated
			p.Exit = &partner.Exit{Date: end, Type: partner.ExitTermEnd}
			p.TerminatedOn = &end
			if p.Counted {
				p.Counted, ch.CountDelta = false, -1
			}
		}
		return ch, nil
	})
}

// Terminate records a partner's own termination (S§21): written notice at
// least three months before the end, then a transition of one to three
// months; the deposit is refundable three months after the end (S§20).
// endDate nil ends the agreement exactly three months after the notice.
func (s *Service) Terminate(ctx context.Context, caller directory.Person, pid string, notice period.Date, endDate *period.Date, transitionMonths int) (partner.Partner, error) {
	if err := require(caller, "recording a termination", partnerManagers...); err != nil {
		return partner.Partner{}, err
	}
	pol, err := s.Policy(ctx)
	if err != nil {
		return partner.Partner{}, err
	}
	if _, err := s.supportPartner(ctx, pid); err != nil {
		return partner.Partner{}, err
	}
	end := notice.AddMonths(pol.Partner.Assessment.MinNoticeMonths)
	if endDate != nil {
		end = *endDate
	}
	plan, err := partner.PlanVoluntaryTermination(partner.TerminationNotice{NoticeDate: notice, EndDate: end, TransitionMonths: transitionMonths}, pol.Partner)
	if err != nil {
		return partner.Partner{}, fromPartnerRule(err, "termination")
	}
	return s.PartnerStore.UpdatePartner(ctx, s.meta(ctx, caller), pid, func(p *partner.Partner) (store.PartnerChange, error) {
		if p.Status != partner.StatusActive {
			return store.PartnerChange{}, problem.Conflict("partner %s is %s: only an active partnership is terminated", pid, p.Status)
		}
		p.Termination = &plan
		p.Status = partner.StatusTerminated
		p.Exit = &partner.Exit{Date: plan.EndDate, Type: partner.ExitVoluntary}
		p.TerminatedOn = &plan.EndDate
		ch := store.PartnerChange{Action: "partner.termination"}
		if p.Counted {
			p.Counted, ch.CountDelta = false, -1
		}
		return ch, nil
	})
}
