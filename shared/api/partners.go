package api

import (
	"errors"
	"fmt"
	"net/http"

	"productgov/shared/app"
	"productgov/shared/directory"
	"productgov/shared/partner"
	"productgov/shared/period"
	"productgov/shared/problem"
	"productgov/shared/settlement"
)

// partnerRoutes registers the partner, support-project and settlement routes
// (SPEC 4, SPEC 8).
func (s *Server) partnerRoutes() {
	s.handle("POST", "/partners", false, s.createPartner)
	s.handle("GET", "/partners/{id}", false, partnerRead(s.getPartner))
	s.handle("POST", "/partners/{id}/deposits", false, s.postDeposit)
	s.handle("POST", "/partners/{id}/agreement", false, s.activateAgreement)
	s.handle("POST", "/partners/{id}/qualification", false, s.reviewQualification)
	s.handle("POST", "/partners/{id}/penalties", false, s.addPenalty)
	s.handle("POST", "/partners/{id}/staff-changes", false, s.addStaffChange)
	s.handle("GET", "/partners/{id}/charges", false, partnerRead(s.partnerCharges))
	s.handle("POST", "/partners/{id}/annual-assessments", false, s.assessPartnerYear)
	s.handle("POST", "/partners/{id}/term-evaluation", false, s.evaluateTerm)
	s.handle("POST", "/partners/{id}/termination", false, s.terminate)
	s.handle("POST", "/partners/{id}/deposit-refund", false, s.requestRefund)
	s.handle("POST", "/partners/{id}/deposit-refund/decisions", false, s.decideRefund)

	s.handle("POST", "/support-projects", false, s.createProject)
	s.handle("GET", "/support-projects/{id}", false, partnerRead(s.getProject))
	s.handle("POST", "/support-projects/{id}/scores", false, s.scoreProject)
	s.handle("POST", "/support-projects/{id}/approvals", false, s.decideProject)
	s.handle("POST", "/support-projects/{id}/renewals", false, s.renewProject)
	s.handle("PUT", "/support-projects/{id}/quarters/{quarter}", false, s.putQuarter)

	s.settlementRoutes()
	s.siRoutes()
}

func (s *Server) createPartner(w http.ResponseWriter, r *http.Request, caller directory.Person) error {
	o, err := decodeObject(r)
	if err != nil {
		return err
	}
	a := app.PartnerApplication{Kind: o.oneOf("kind", true, partner.KindSI, partner.KindSupport), Name: o.str("name", true)}
	switch a.Kind {
	case partner.KindSupport:
		a.Facts = o.intakeFacts()
	case partner.KindSI:
		if found := hasAny(o, intakeFactNames); found != "" {
			o.errs.Add("kind", "an si partner has no intake facts ("+found+"); they screen support partners (SPEC 4.1)")
			o.rest()
		}
	}
	if err := o.done("partner"); err != nil {
		return err
	}
	p, err := s.App.CreatePartner(r.Context(), caller, a)
	if err != nil {
		return err
	}
	w.Header().Set("Location", "/partners/"+p.ID)
	writeJSON(w, http.StatusCreated, p)
	return nil
}

func (s *Server) getPartner(w http.ResponseWriter, r *http.Request, _ directory.Person) error {
	p, err := s.App.GetPartner(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, p)
	return nil
}

func (s *Server) postDeposit(w http.ResponseWriter, r *http.Request, caller directory.Person) error {
	o, err := decodeObject(r)
	if err != nil {
		return err
	}
	d := app.DepositPosting{Kind: partner.PostingReceipt, Amount: o.amount("amount", true), Reference: o.str("reference", false),
		Reason: o.str("reason", false), Date: o.date("date", false)}
	if k := o.oneOf("kind", false, partner.PostingReceipt, partner.PostingDeduction); k != "" {
		d.Kind = k
	}
	if err := o.done("deposit posting"); err != nil {
		return err
	}
	rec, err := s.App.PostDeposit(r.Context(), caller, r.PathValue("id"), d)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, rec)
	return nil
}

func (s *Server) activateAgreement(w http.ResponseWriter, r *http.Request, caller directory.Person) error {
	o, err := decodeObject(r)
	if err != nil {
		return err
	}
	start := o.date("startDate", true)
	if err := o.done("agreement"); err != nil {
		return err
	}
	p, err := s.App.ActivateAgreement(r.Context(), caller, r.PathValue("id"), start)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, p)
	return nil
}

func (s *Server) addPenalty(w http.ResponseWriter, r *http.Request, caller directory.Person) error {
	o, err := decodeObject(r)
	if err != nil {
		return err
	}
	pen := partner.Penalty{Category: o.str("category", true), Amount: o.amount("amount", false),
		Loss: o.amount("loss", false), Reason: o.str("reason", true)}
	if q := o.quarter("quarter", true); q != nil {
		pen.Quarter = *q
	}
	if len(o.errs) > 0 {
		// Name the rule's complaints too (S§19 ranges), so one answer lists every bad field.
		if pol, err := s.App.Policy(r.Context()); err == nil {
			var fe partner.FieldErrors
			if _, err := partner.AssessPenalty(pen, pol.Partner.Penalties); errors.As(err, &fe) {
				for k, why := range fe {
					o.errs.Add(k, why)
				}
			}
		}
	}
	if err := o.done("penalty"); err != nil {
		return err
	}
	rec, err := s.App.AddPenalty(r.Context(), caller, r.PathValue("id"), pen)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, rec)
	return nil
}

func (s *Server) addStaffChange(w http.ResponseWriter, r *http.Request, caller directory.Person) error {
	o, err := decodeObject(r)
	if err != nil {
		return err
	}
	c := partner.StaffChange{Person: o.str("person", true), AtCompanyRequest: o.boolean("atCompanyRequest")}
	if d := o.date("joinedOn", true); d != nil {
		c.JoinedOn = *d
	}
	if d := o.date("changedOn", true); d != nil {
		c.ChangedOn = *d
	}
	if d := o.date("noticeOn", false); d != nil {
		c.NoticeOn = *d
	}
	if err := o.done("staff change"); err != nil {
		return err
	}
	rec, err := s.App.AddStaffChange(r.Context(), caller, r.PathValue("id"), c)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, rec)
	return nil
}

func (s *Server) partnerCharges(w http.ResponseWriter, r *http.Request, _ directory.Person) error {
	if _, err := s.App.GetPartner(r.Context(), r.PathValue("id")); err != nil {
		return err
	}
	pens, staff, err := s.App.PartnerCharges(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"penalties": pens, "staffChanges": staff})
	return nil
}

func (s *Server) assessPartnerYear(w http.ResponseWriter, r *http.Request, caller directory.Person) error {
	o, err := decodeObject(r)
	if err != nil {
		return err
	}
	year := o.integer("year", true)
	if err := o.done("annual assessment"); err != nil {
		return err
	}
	p, err := s.App.AssessPartnerYear(r.Context(), caller, r.PathValue("id"), int(year))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, p)
	return nil
}

func (s *Server) evaluateTerm(w http.ResponseWriter, r *http.Request, caller directory.Person) error {
	o, err := decodeObject(r)
	if err != nil {
		return err
	}
	// The re-check items come as {"recheck":{…}} or at the top level.
	var recheck map[string]partner.Score
	if o.has("recheck") {
		recheck = o.scoreMap("recheck", true)
	} else {
		recheck = map[string]partner.Score{}
		for k := range o.raw {
			if sc := o.score(k, true); sc != nil {
				recheck[k] = *sc
			}
		}
	}
	if err := o.done("term evaluation"); err != nil {
		return err
	}
	p, err := s.App.EvaluateTerm(r.Context(), caller, r.PathValue("id"), recheck)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, p)
	return nil
}

func (s *Server) terminate(w http.ResponseWriter, r *http.Request, caller directory.Person) error {
	o, err := decodeObject(r)
	if err != nil {
		return err
	}
	notice := o.date("noticeDate", true)
	end := o.date("endDate", false)
	months := o.integer("transitionMonths", true)
	if err := o.done("termination"); err != nil {
		return err
	}
	p, err := s.App.Terminate(r.Context(), caller, r.PathValue("id"), *notice, end, int(months))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, p)
	return nil
}

func (s *Server) requestRefund(w http.ResponseWriter, r *http.Request, caller directory.Person) error {
	o, err := decodeOptionalObject(r)
	if err != nil {
		return err
	}
	receipt := o.oneOf("receipt", false, partner.ReceiptProvided, partner.ReceiptLost)
	letter := o.str("commitmentLetter", false)
	if err := o.done("refund request"); err != nil {
		return err
	}
	p, err := s.App.RequestRefund(r.Context(), caller, r.PathValue("id"), receipt, letter)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, p)
	return nil
}

func decisionBody(r *http.Request, allowed ...string) (string, string, error) {
	o, err := decodeOptionalObject(r)
	if err != nil {
		return "", "", err
	}
	d := o.oneOf("decision", true, allowed...)
	c := o.str("comment", false)
	return d, c, o.done("decision")
}

func (s *Server) decideRefund(w http.ResponseWriter, r *http.Request, caller directory.Person) error {
	d, c, err := decisionBody(r, partner.DecisionApprove, partner.DecisionReject)
	if err != nil {
		return err
	}
	p, err := s.App.DecideRefund(r.Context(), caller, r.PathValue("id"), d, c)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, p)
	return nil
}

func (s *Server) createProject(w http.ResponseWriter, r *http.Request, caller directory.Person) error {
	o, err := decodeObject(r)
	if err != nil {
		return err
	}
	d := app.ProjectDraft{PartnerID: o.str("partnerId", true), ProductID: o.str("productId", true),
		BenefitType:      o.oneOf("benefitType", true, partner.BenefitDirect, partner.BenefitIndirect, partner.BenefitGuarantee),
		ContentType:      o.oneOf("contentType", true, partner.ContentOrdinary, partner.ContentDeep, partner.ContentBasicFunction, partner.ContentFunction),
		ContributionRate: o.rate("contributionRate", false), AnnualTarget: o.amount("annualTarget", false),
		StartDate: o.date("startDate", false)}
	if q := o.quantity("minWorkload", false); q != nil {
		d.MinWorkload = *q
	}
	for i, it := range o.objects("items", false) {
		item := settlement.PlannedWorkItem{Name: it.str("name", true), UnitPrice: it.amount("unitPrice", true),
			Sheet: it.oneOf("sheet", false, settlement.Sheets()...)}
		if q := it.quantity("plannedWorkload", false); q != nil {
			item.PlannedWorkload = *q
		}
		o.merge(fmt.Sprintf("items[%d]", i), it)
		d.Items = append(d.Items, item)
	}
	if st := o.oneOf("status", false, settlement.ProjectApproved); st != "" {
		d.Registering = true
	}
	if ly := o.object("lastYear", false); ly != nil {
		d.LastYear = &settlement.LastYearFigures{Year: int(ly.integer("year", true)), Revenue: ly.amount("revenue", true), Fee: ly.amount("fee", true)}
		o.merge("lastYear", ly)
	}
	if err := o.done("support project"); err != nil {
		return err
	}
	if d.Registering && !caller.Has(directory.RoleAdmin) {
		return problem.Forbidden("only an admin may register an existing approved project")
	}
	p, err := s.App.CreateProject(r.Context(), caller, d)
	if err != nil {
		return err
	}
	w.Header().Set("Location", "/support-projects/"+p.ID)
	v, err := s.App.GetProject(r.Context(), p.ID)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, v)
	return nil
}

func (s *Server) getProject(w http.ResponseWriter, r *http.Request, _ directory.Person) error {
	v, err := s.App.GetProject(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, v)
	return nil
}

func (s *Server) scoreProject(w http.ResponseWriter, r *http.Request, caller directory.Person) error {
	o, err := decodeObject(r)
	if err != nil {
		return err
	}
	form := partner.ScoreForm{Items: o.scoreMap("items", true)}
	year := o.integer("year", false)
	if err := o.done("score form"); err != nil {
		return err
	}
	v, err := s.App.ScoreProject(r.Context(), caller, r.PathValue("id"), int(year), form)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, v)
	return nil
}

func (s *Server) decideProject(w http.ResponseWriter, r *http.Request, caller directory.Person) error {
	d, c, err := decisionBody(r, partner.DecisionApprove, partner.DecisionReject)
	if err != nil {
		return err
	}
	v, err := s.App.DecideProject(r.Context(), caller, r.PathValue("id"), d, c)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, v)
	return nil
}

func (s *Server) renewProject(w http.ResponseWriter, r *http.Request, caller directory.Person) error {
	o, err := decodeObject(r)
	if err != nil {
		return err
	}
	year := o.integer("year", true)
	changed := o.strs("changedTerms", false)
	if err := o.done("renewal"); err != nil {
		return err
	}
	out, p, err := s.App.RenewProject(r.Context(), caller, r.PathValue("id"), int(year), changed)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"renewal": out, "project": p})
	return nil
}

func pathQuarter(r *http.Request) (period.Quarter, error) {
	q, err := period.ParseQuarter(r.PathValue("quarter"))
	if err != nil {
		return q, problem.InvalidField("quarter", err.Error())
	}
	return q, nil
}

func (s *Server) putQuarter(w http.ResponseWriter, r *http.Request, caller directory.Person) error {
	q, qErr := pathQuarter(r)
	o, err := decodeObject(r)
	if err != nil {
		return err
	}
	in := app.QuarterInput{Workload: o.quantity("workload", false), ServiceScore: o.score("serviceScore", true),
		SheetScores: o.scoreMap("sheetScores", false)}
	if _, ok := o.raw["items"]; ok {
		in.Items = []app.QuarterItemInput{}
	}
	for i, it := range o.objects("items", false) {
		item := app.QuarterItemInput{Name: it.str("name", true)}
		if v := it.quantity("workload", true); v != nil {
			item.Workload = *v
		}
		item.Score = it.score("score", false) // required unless the item is on a sheet scored as a whole (S-A3 表二)
		o.merge(fmt.Sprintf("items[%d]", i), it)
		in.Items = append(in.Items, item)
	}
	if qErr != nil {
		o.errs.Add("quarter", problem.As(qErr).Fields["quarter"])
	}
	if err := o.done("quarter input"); err != nil {
		return err
	}
	e, err := s.App.PutQuarter(r.Context(), caller, r.PathValue("id"), q, in)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, e)
	return nil
}

// partnerRead lets only partner readers (app.CheckPartnerReader) through.
func partnerRead(h func(http.ResponseWriter, *http.Request, directory.Person) error) func(http.ResponseWriter, *http.Request, directory.Person) error {
	return func(w http.ResponseWriter, r *http.Request, caller directory.Person) error {
		if err := app.CheckPartnerReader(caller); err != nil {
			return err
		}
		return h(w, r, caller)
	}
}

// reviewQualification records an si partner's SI qualification review (P§15(三)).
func (s *Server) reviewQualification(w http.ResponseWriter, r *http.Request, caller directory.Person) error {
	o, err := decodeObject(r)
	if err != nil {
		return err
	}
	result := o.oneOf("result", true, partner.QualificationPassed, partner.QualificationFailed)
	comment := o.str("comment", false)
	if err := o.done("qualification review"); err != nil {
		return err
	}
	p, err := s.App.ReviewQualification(r.Context(), caller, r.PathValue("id"), result, comment)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, p)
	return nil
}
