package api

import (
	"net/http"

	"productgov/shared/app"
	"productgov/shared/decision"
	"productgov/shared/directory"
	"productgov/shared/store"
)

func (s *Server) createSubmission(w http.ResponseWriter, r *http.Request, caller directory.Person) error {
	o, err := decodeObject(r)
	if err != nil {
		return err
	}
	req := app.SubmissionRequest{Type: decision.SubmissionType(o.str("type", true)), ProductID: o.str("productId", false)}
	req.Content = o.rest()
	if err := o.done("submission"); err != nil {
		return err
	}
	sub, err := s.App.CreateSubmission(r.Context(), caller, req)
	if err != nil {
		return err
	}
	w.Header().Set("Location", "/submissions/"+sub.ID)
	writeJSON(w, http.StatusCreated, map[string]any{"id": sub.ID, "status": sub.Status, "decisionLevel": sub.DecisionLevel,
		"routing": sub.Routing, "revision": sub.Revision})
	return nil
}

func (s *Server) reviseSubmission(w http.ResponseWriter, r *http.Request, caller directory.Person) error {
	o, err := decodeObject(r)
	if err != nil {
		return err
	}
	req := app.SubmissionRequest{Type: decision.SubmissionType(o.str("type", false)), ProductID: o.str("productId", false)}
	req.Content = o.rest()
	if err := o.done("submission"); err != nil {
		return err
	}
	sub, err := s.App.ReviseSubmission(r.Context(), caller, r.PathValue("id"), req)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"id": sub.ID, "status": sub.Status, "decisionLevel": sub.DecisionLevel,
		"routing": sub.Routing, "revision": sub.Revision})
	return nil
}

func (s *Server) getSubmission(w http.ResponseWriter, r *http.Request, _ directory.Person) error {
	sub, err := s.App.GetSubmission(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	if sub.Steps == nil {
		sub.Steps = []decision.StepRecord{}
	}
	// The partner's name, so pages name it (issue 12); readers of a
	// submission need not read partner records.
	writeJSON(w, http.StatusOK, struct {
		decision.Submission
		PartnerName string `json:"partnerName,omitempty"`
	}{sub, s.App.PartnerName(r.Context(), sub.PartnerID)})
	return nil
}

func (s *Server) listSubmissions(w http.ResponseWriter, r *http.Request, _ directory.Person) error {
	q := r.URL.Query()
	limit, err := queryLimit(r)
	if err != nil {
		return err
	}
	f := store.SubmissionFilter{ProductID: q.Get("productId"), Type: decision.SubmissionType(q.Get("type")), Status: decision.Status(q.Get("status")),
		Applicant: q.Get("applicant")}
	items, next, err := s.App.ListSubmissions(r.Context(), f, q.Get("cursor"), limit)
	if err != nil {
		return err
	}
	if items == nil {
		items = []decision.Submission{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": items, "nextCursor": next})
	return nil
}

func (s *Server) vote(w http.ResponseWriter, r *http.Request, caller directory.Person) error {
	o, err := decodeObject(r)
	if err != nil {
		return err
	}
	req := app.VoteRequest{Stage: decision.ReviewStage(o.oneOf("stage", true, "group", "cross_department")),
		Verdict: decision.Verdict(o.oneOf("vote", true, "approve", "reject", "return")), Comment: o.str("comment", false)}
	if err := o.done("vote"); err != nil {
		return err
	}
	tally, err := s.App.Vote(r.Context(), caller, r.PathValue("id"), req)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, tally)
	return nil
}
