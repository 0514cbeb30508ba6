package api

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"strings"
	"time"

	"productgov/shared/app"
	"productgov/shared/directory"
	"productgov/shared/period"
	"productgov/shared/problem"
	"productgov/shared/product"
)

func (s *Server) routes() {
	s.handle("GET", "/healthz", true, s.healthz)
	s.handle("POST", "/dev/token", true, s.devToken)

	s.handle("PUT", "/users/{sub}", false, s.putUser)
	s.handle("GET", "/users/{sub}", false, s.getUser)

	s.handle("POST", "/products", false, s.createProduct)
	s.handle("GET", "/products", false, s.listProducts)
	s.handle("GET", "/product-names", false, s.productNames)
	s.handle("GET", "/products/{id}", false, s.getProduct)
	s.handle("PATCH", "/products/{id}", false, s.patchProduct)
	s.handle("GET", "/products/{id}/history", false, s.productHistory)
	s.handle("GET", "/products/{id}/revenue", false, s.revenueTrend)
	s.handle("POST", "/products/{id}/construction-plan", false, s.constructionPlan)
	s.handle("POST", "/products/{id}/delisting", false, s.delisting)
	s.handle("POST", "/products/{id}/trial-suspension", false, s.suspendTrial)
	s.handle("PUT", "/products/{id}/revenue/{month}", false, s.putRevenue)
	s.handle("PUT", "/products/{id}/quality/{month}", false, s.putQuality)
	s.handle("POST", "/imports/uploads", false, s.newFigureUpload)
	s.handle("POST", "/imports/revenue", false, s.importFigures(product.KindRevenue))
	s.handle("POST", "/imports/quality", false, s.importFigures(product.KindQuality))

	s.handle("POST", "/submissions", false, s.createSubmission)
	s.handle("GET", "/submissions", false, s.listSubmissions)
	s.handle("GET", "/submissions/{id}", false, s.getSubmission)
	s.handle("PUT", "/submissions/{id}", false, s.reviseSubmission)
	s.handle("POST", "/submissions/{id}/votes", false, s.vote)

	// Email-link approvals: no login; the signed link is the credential (SPEC 2.4).
	s.handle("GET", "/approvals/{id}", true, s.approvalPage)
	s.handle("POST", "/approvals/{id}", true, s.approvalDecision)
	s.handle("GET", "/dev/outbox", true, s.outbox)
	s.handle("GET", "/dev/outbox.html", true, s.outboxPage)

	s.handle("POST", "/assessment-runs", false, s.startAssessment)
	s.handle("GET", "/assessment-runs/{month}", false, s.assessmentRun)
	s.handle("GET", "/assessments/{month}", false, s.assessments)
	s.handle("GET", "/assessments/{month}/report.html", false, s.assessmentReport)
	s.handle("GET", "/assessments/{month}/report.xlsx", false, s.assessmentReportXLSX)
	s.handle("GET", "/products/{id}/page.html", false, s.productPage)

	s.partnerRoutes()

	// The console (issue 12): static files, and the data only it needs.
	s.handle("GET", "/console", true, s.consoleAsset)
	s.handle("GET", "/console/{path...}", true, s.consoleAsset)
	s.handle("GET", "/dev/people", true, s.devPeople)
	s.handle("GET", "/people", false, s.people)
	s.handle("GET", "/review-queue", false, s.reviewQueue)
	s.handle("GET", "/dashboard", false, s.dashboard)
	s.handle("GET", "/partners", false, partnerRead(s.listPartners))
	s.handle("GET", "/partners/{id}/projects", false, partnerRead(s.partnerProjects))

	s.handle("GET", "/policy", false, s.getPolicy)
	s.handle("GET", "/policy/versions", false, s.policyVersions)
	s.handle("GET", "/audit", false, s.getAudit)

	// Unknown routes answer in the API's error shape.
	s.mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) { s.writeError(w, r, notFound()) })
}

func (s *Server) healthz(w http.ResponseWriter, r *http.Request, _ directory.Person) error {
	ctx, cancel := context.WithTimeout(r.Context(), 3*time.Second)
	defer cancel()
	if err := s.Health(ctx); err != nil {
		s.Log.Error("health check failed", "err", err)
		writeJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "unavailable"})
		return nil
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	return nil
}

func (s *Server) devToken(w http.ResponseWriter, r *http.Request, _ directory.Person) error {
	if !s.Local || s.Issuer == nil {
		return notFound()
	}
	o, err := decodeObject(r)
	if err != nil {
		return err
	}
	p := directory.Person{Sub: o.str("sub", true), Name: o.str("name", false), Email: o.str("email", false)}
	for _, role := range o.strs("roles", true) {
		if !directory.ValidRole(directory.Role(role)) {
			o.errs.Add("roles", "unknown role "+role)
		}
		p.Roles = append(p.Roles, directory.Role(role))
	}
	if p.Sub != "" && !directory.ValidSub(p.Sub) {
		o.errs.Add("sub", "must be 1–64 letters, digits or ._@-")
	}
	if err := o.done("token request"); err != nil {
		return err
	}
	tok, err := s.Issuer.Sign(p)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]string{"token": tok})
	return nil
}

func (s *Server) putUser(w http.ResponseWriter, r *http.Request, caller directory.Person) error {
	o, err := decodeObject(r)
	if err != nil {
		return err
	}
	u := directory.User{Sub: r.PathValue("sub"), Name: o.str("name", true), Email: o.str("email", true),
		Dept: o.str("dept", false), RelatedPartners: o.strs("relatedPartners", false)}
	for _, role := range o.strs("roles", true) {
		u.Roles = append(u.Roles, directory.Role(role))
	}
	if err := o.done("user"); err != nil {
		return err
	}
	saved, err := s.App.PutUser(r.Context(), caller, u)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, saved)
	return nil
}

func (s *Server) getUser(w http.ResponseWriter, r *http.Request, caller directory.Person) error {
	u, err := s.App.GetUser(r.Context(), caller, r.PathValue("sub"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, u)
	return nil
}

func (s *Server) createProduct(w http.ResponseWriter, r *http.Request, caller directory.Person) error {
	o, err := decodeObject(r)
	if err != nil {
		return err
	}
	d := product.Draft{
		Name:      o.str("name", true),
		Level:     product.Level(o.oneOf("level", true, "hq", "province", "city")),
		Mode:      product.Mode(o.oneOf("mode", true, "self_built", "cooperative")),
		PartnerID: o.str("partnerId", false),
		Strategic: o.boolean("strategic"),
		Customers: o.integer("customers", false),
		HadSpend:  o.boolean("hadSpend"),
	}
	registering := o.has("stage") || o.has("noticeDate") || o.has("phase")
	d.Stage = product.Stage(o.str("stage", false))
	d.NoticeDate = o.date("noticeDate", false)
	d.ExemptUntil = o.month("exemptUntil", false)
	d.Phase = product.Phase(o.str("phase", false))
	if err := o.done("product"); err != nil {
		return err
	}
	if registering && !caller.Has(directory.RoleAdmin) {
		return problem.Forbidden("only an admin may register an existing product with a stage, notice date or phase")
	}
	p, err := s.App.CreateProduct(r.Context(), caller, d, registering)
	if err != nil {
		return err
	}
	w.Header().Set("Location", "/products/"+p.ID)
	writeJSON(w, http.StatusCreated, p)
	return nil
}

func (s *Server) getProduct(w http.ResponseWriter, r *http.Request, _ directory.Person) error {
	p, err := s.App.GetProduct(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, p)
	return nil
}

type productPage struct {
	Items      []product.Product `json:"items"`
	NextCursor string            `json:"nextCursor,omitempty"`
}

func (s *Server) listProducts(w http.ResponseWriter, r *http.Request, _ directory.Person) error {
	q := r.URL.Query()
	limit, err := queryLimit(r)
	if err != nil {
		return err
	}
	items, next, err := s.App.ListProducts(r.Context(), product.Filter{Stage: product.Stage(q.Get("stage")), Level: product.Level(q.Get("level")),
		CreatedBy: q.Get("createdBy")}, q.Get("cursor"), limit)
	if err != nil {
		return err
	}
	if items == nil {
		items = []product.Product{}
	}
	writeJSON(w, http.StatusOK, productPage{Items: items, NextCursor: next})
	return nil
}

// maxNamedProducts bounds the ids one /product-names call names: a page's
// worth, read with one BatchGetItem.
const maxNamedProducts = 100

// productNames names the products a page lists (?ids=a,b,…), so a client
// shows names without walking the portfolio; unknown ids are absent.
func (s *Server) productNames(w http.ResponseWriter, r *http.Request, _ directory.Person) error {
	var ids []string
	for _, id := range strings.Split(r.URL.Query().Get("ids"), ",") {
		if id = strings.TrimSpace(id); id != "" {
			ids = append(ids, id)
		}
	}
	if len(ids) == 0 || len(ids) > maxNamedProducts {
		return problem.InvalidField("ids", fmt.Sprintf("must list 1 to %d product ids, comma-separated", maxNamedProducts))
	}
	names, err := s.App.ProductNames(r.Context(), ids)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"names": names})
	return nil
}

func (s *Server) patchProduct(w http.ResponseWriter, r *http.Request, caller directory.Person) error {
	o, err := decodeObject(r)
	if err != nil {
		return err
	}
	var patch appPatch
	if o.has("name") {
		v := o.str("name", true)
		patch.Name = &v
	}
	if o.has("customers") {
		v := o.integer("customers", true)
		patch.Customers = &v
	}
	if o.has("strategic") {
		v := o.boolean("strategic")
		patch.Strategic = &v
	}
	if o.has("hadSpend") {
		v := o.boolean("hadSpend")
		patch.HadSpend = &v
	}
	patch.ExemptUntil = o.month("exemptUntil", false)
	if err := o.done("product update"); err != nil {
		return err
	}
	p, err := s.App.UpdateProduct(r.Context(), caller, r.PathValue("id"), patch)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, p)
	return nil
}

func (s *Server) productHistory(w http.ResponseWriter, r *http.Request, _ directory.Person) error {
	h, err := s.App.StageHistory(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	if h == nil {
		h = []product.StageChange{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": h})
	return nil
}

type figureView struct {
	Month  period.Month `json:"month"`
	Amount string       `json:"amount"`
}

func (s *Server) revenueTrend(w http.ResponseWriter, r *http.Request, _ directory.Person) error {
	q := r.URL.Query()
	fields := problem.Fields{}
	from, errF := period.ParseMonth(q.Get("from"))
	if errF != nil {
		fields.Add("from", errF.Error())
	}
	to, errT := period.ParseMonth(q.Get("to"))
	if errT != nil {
		fields.Add("to", errT.Error())
	}
	if errF == nil && errT == nil && (to.Before(from) || to.Sub(from) > 120) {
		fields.Add("to", "must be on or after from and at most 120 months later")
	}
	if err := fields.Err("invalid months"); err != nil {
		return err
	}
	figs, err := s.App.RevenueTrend(r.Context(), r.PathValue("id"), from, to)
	if err != nil {
		return err
	}
	out := make([]figureView, 0, len(figs))
	for _, f := range figs {
		out = append(out, figureView{Month: f.Month, Amount: moneyString(f.Value)})
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": out})
	return nil
}

func pathMonth(r *http.Request) (period.Month, error) {
	m, err := period.ParseMonth(r.PathValue("month"))
	if err != nil {
		return m, problem.InvalidField("month", err.Error())
	}
	return m, nil
}

func (s *Server) putRevenue(w http.ResponseWriter, r *http.Request, caller directory.Person) error {
	m, mErr := pathMonth(r)
	o, err := decodeObject(r)
	if err != nil {
		return err
	}
	amount := o.amount("amount", true)
	if mErr != nil {
		o.errs.Add("month", problem.As(mErr).Fields["month"])
	}
	if err := o.done("revenue"); err != nil {
		return err
	}
	if err := s.App.PutRevenue(r.Context(), caller, r.PathValue("id"), m, amount); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"productId": r.PathValue("id"), "month": m, "amount": amount})
	return nil
}

func (s *Server) putQuality(w http.ResponseWriter, r *http.Request, caller directory.Person) error {
	m, mErr := pathMonth(r)
	o, err := decodeObject(r)
	if err != nil {
		return err
	}
	var score product.Score
	if raw, ok := o.take("score", true); ok {
		v, err := product.ParseScore(string(raw))
		if err != nil {
			o.errs.Add("score", err.Error())
		}
		score = v
	}
	if mErr != nil {
		o.errs.Add("month", problem.As(mErr).Fields["month"])
	}
	if err := o.done("quality score"); err != nil {
		return err
	}
	if err := s.App.PutQuality(r.Context(), caller, r.PathValue("id"), m, score); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"productId": r.PathValue("id"), "month": m, "score": score})
	return nil
}

// maxUpload bounds an import file.
const maxUpload = app.MaxFigureFile

// importFigures accepts the file as the raw body (text/csv or the XLSX type)
// or as the "file" part of a multipart form.
// newFigureUpload hands out a presigned upload URL for a figures file
// larger than a request carries (the console uses it for every file).
func (s *Server) newFigureUpload(w http.ResponseWriter, r *http.Request, caller directory.Person) error {
	o, err := decodeObject(r)
	if err != nil {
		return err
	}
	contentType := o.str("contentType", true)
	if err := o.done("upload"); err != nil {
		return err
	}
	up, err := s.App.NewFigureUpload(r.Context(), caller, contentType)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, up)
	return nil
}

func (s *Server) importFigures(kind product.FigureKind) func(http.ResponseWriter, *http.Request, directory.Person) error {
	return func(w http.ResponseWriter, r *http.Request, caller directory.Person) error {
		name, content, err := readUpload(r)
		if err != nil {
			return err
		}
		if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt == "application/json" && bytes.HasPrefix(bytes.TrimSpace(content), []byte("{")) {
			// {"upload": "upl_…"}: the file went to the bucket through POST /imports/uploads.
			r.Body = io.NopCloser(bytes.NewReader(content))
			o, err := decodeObject(r)
			if err != nil {
				return err
			}
			upload := o.str("upload", true)
			if err := o.done("import"); err != nil {
				return err
			}
			if content, err = s.App.UploadedFigureFile(r.Context(), caller, upload); err != nil {
				return err
			}
			name = upload
		}
		rows, err := readRows(name, content)
		if err != nil {
			return err
		}
		res, err := s.App.ImportFigures(r.Context(), caller, kind, name, rows)
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusCreated, res)
		return nil
	}
}

func readUpload(r *http.Request) (string, []byte, error) {
	mt, params, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if strings.HasPrefix(mt, "multipart/") {
		mr := multipart.NewReader(io.LimitReader(r.Body, maxUpload+1<<20), params["boundary"])
		for {
			part, err := mr.NextPart()
			if err != nil {
				return "", nil, problem.InvalidField("file", "the multipart form has no part named file")
			}
			if part.FormName() == "file" {
				b, err := io.ReadAll(io.LimitReader(part, maxUpload+1))
				if err != nil || len(b) > maxUpload {
					return "", nil, problem.InvalidField("file", "could not be read or is larger than 32 MiB")
				}
				return part.FileName(), b, nil
			}
		}
	}
	b, err := io.ReadAll(io.LimitReader(r.Body, maxUpload+1))
	if err != nil || len(b) > maxUpload {
		return "", nil, problem.InvalidField("file", "could not be read or is larger than 32 MiB")
	}
	name := "upload.csv"
	if strings.Contains(mt, "spreadsheetml") {
		name = "upload.xlsx"
	}
	return name, b, nil
}

func (s *Server) getPolicy(w http.ResponseWriter, r *http.Request, _ directory.Person) error {
	d, err := s.App.Policy(r.Context())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, d)
	return nil
}

func (s *Server) getAudit(w http.ResponseWriter, r *http.Request, caller directory.Person) error {
	limit, err := queryLimit(r)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	items, next, err := s.App.AuditOf(r.Context(), caller, q.Get("entity"), q.Get("cursor"), limit)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": items, "nextCursor": next})
	return nil
}

func (s *Server) constructionPlan(w http.ResponseWriter, r *http.Request, caller directory.Person) error {
	p, err := s.App.SubmitConstructionPlan(r.Context(), caller, r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, p)
	return nil
}

func (s *Server) delisting(w http.ResponseWriter, r *http.Request, caller directory.Person) error {
	o, err := decodeObject(r)
	if err != nil {
		return err
	}
	items := o.strs("items", true)
	if err := o.done("delisting"); err != nil {
		return err
	}
	p, err := s.App.CompleteDelisting(r.Context(), caller, r.PathValue("id"), items)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, p)
	return nil
}

// suspendTrial stops a product's trial commercial use on a major problem (P§17(三)).
func (s *Server) suspendTrial(w http.ResponseWriter, r *http.Request, caller directory.Person) error {
	o, err := decodeObject(r)
	if err != nil {
		return err
	}
	kind := o.oneOf("problem", true, product.SuspensionProblems()...)
	reason := o.str("reason", true)
	if err := o.done("trial suspension"); err != nil {
		return err
	}
	p, err := s.App.SuspendTrial(r.Context(), caller, r.PathValue("id"), kind, reason)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, p)
	return nil
}
