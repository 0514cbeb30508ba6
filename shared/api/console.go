package api

import (
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"encoding/json"
	"io/fs"
	"mime"
	"net/http"
	"os"
	"path"
	"strings"
	"sync"

	"productgov/shared/app"
	"productgov/shared/directory"
	"productgov/shared/partner"
	"productgov/shared/period"
	"productgov/shared/problem"
	"productgov/shared/reason"
)

// The console (issue 12) is static HTML and plain ES modules, embedded in
// the API function and served with the code they call, so a deployment can
// never pair a page with an API it was not written for. It has no build
// step: README "Console" says why.
//
//go:embed console
var consoleFiles embed.FS

// consoleAssets holds the console's files with their ETags, computed once.
var consoleAssets = sync.OnceValue(func() map[string]consoleAsset {
	out := map[string]consoleAsset{}
	_ = fs.WalkDir(consoleFiles, "console", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := consoleFiles.ReadFile(p)
		if err != nil {
			return err
		}
		out[strings.TrimPrefix(p, "console/")] = newAsset(path.Ext(p), b)
		return nil
	})
	// The catalog is built from the Go tables the server pages use: one
	// translation for pages, mails and the console.
	cat, _ := json.Marshal(map[string]any{"reasons": reason.TheCatalog(), "labels": app.Labels(),
		"outcome": outcomeNames, "stepStatus": stepStatusNames, "role": roleNames, "flag": flagNames,
		"statementStatus": statementStatusNames, "scoreItem": scoreItemNames})
	out["catalog.json"] = newAsset(".json", cat)
	return out
})

// Chinese names the console shows that only it needs.
var (
	roleNames = map[directory.Role]string{
		directory.RoleProductManager: "产品经理", directory.RoleReviewer: "评审人", directory.RoleFinance: "财务部",
		directory.RoleMarketing: "市场部", directory.RoleInnovation: "产品创新部", directory.RoleVP: "分管副总",
		directory.RoleGM: "总经理", directory.RoleCommitteeDirector: "产品委员会主任", directory.RoleDeputyGM: "分管副总经理",
		directory.RoleAdmin: "系统管理员", directory.RoleAuditor: "审计", directory.RoleGroupCustomer: "集团客户部",
	}
	// scoreItemNames are the items of the S-A1 review forms (表一、表二).
	scoreItemNames = map[string]string{
		"product_planning": "产品策划", "function_dev": "产品功能开发与测试", "interface_dev": "产品接口开发与测试",
		"data_analysis": "运营数据分析", "test_training": "业务测试、业务培训", "audit_optimisation": "业务审核、产品优化完善",
		"content_curation": "内容审核、内容整合与推荐", "online_marketing": "网络营销", "campaign_planning": "营销活动策划",
		"page_design": "页面设计",
	}
	flagNames = map[string]string{
		"commercial_ineligible": "不再商用（P§18）", "trial_use_overdue": "试用超期（P§17(一)）",
		"construction_plan_overdue": "建设方案逾期（P§11）", "trial_suspended": "试商用暂停（P§17(三)）",
	}
)

type consoleAsset struct {
	body        []byte
	contentType string
	etag        string
}

func newAsset(ext string, b []byte) consoleAsset {
	sum := sha256.Sum256(b)
	ct := mime.TypeByExtension(ext)
	if ext == ".js" {
		ct = "text/javascript; charset=utf-8"
	}
	return consoleAsset{body: b, contentType: ct, etag: `"` + hex.EncodeToString(sum[:8]) + `"`}
}

// consoleCSP lets the console load only its own files and call its own API
// (and, on AWS, the identity provider's token endpoint).
const consoleCSP = "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; connect-src 'self' https:; frame-ancestors 'none'; form-action 'self' https:"

func (s *Server) consoleAsset(w http.ResponseWriter, r *http.Request, _ directory.Person) error {
	name := r.PathValue("path")
	switch name {
	case "":
		name = "index.html"
	case "config.json":
		return s.consoleConfig(w, r, directory.Person{})
	}
	a, ok := consoleAssets()[name]
	if !ok {
		return notFound()
	}
	w.Header().Set("Content-Type", a.contentType)
	w.Header().Set("ETag", a.etag)
	// Revalidated on every load: a deployment changes the files at once.
	w.Header().Set("Cache-Control", "no-cache")
	w.Header().Set("Content-Security-Policy", consoleCSP)
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Referrer-Policy", "no-referrer")
	if r.Header.Get("If-None-Match") == a.etag {
		w.WriteHeader(http.StatusNotModified)
		return nil
	}
	_, err := w.Write(a.body)
	return err
}

// consoleConfig tells the console how people sign in on AWS: OpenID Connect
// authorization code with PKCE against the JWT authorizer's issuer. Locally
// the console finds /dev/people and shows the picker instead.
func (s *Server) consoleConfig(w http.ResponseWriter, _ *http.Request, _ directory.Person) error {
	w.Header().Set("Cache-Control", "no-cache")
	writeJSON(w, http.StatusOK, map[string]string{
		"issuer":   os.Getenv("OIDC_ISSUER"),
		"clientId": os.Getenv("OIDC_CLIENT_ID"),
	})
	return nil
}

// devPeople lists the directory for the local sign-in picker (local mode
// only, like /dev/token): the demo people with their roles.
func (s *Server) devPeople(w http.ResponseWriter, r *http.Request, _ directory.Person) error {
	if !s.Local {
		return notFound()
	}
	people, err := s.App.People(r.Context(), directory.Person{Sub: "dev", Roles: []directory.Role{directory.RoleAdmin}})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": people})
	return nil
}

func (s *Server) people(w http.ResponseWriter, r *http.Request, caller directory.Person) error {
	people, err := s.App.People(r.Context(), caller)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": people})
	return nil
}

func (s *Server) reviewQueue(w http.ResponseWriter, r *http.Request, caller directory.Person) error {
	items, err := s.App.ReviewQueue(r.Context(), caller)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": items})
	return nil
}

func (s *Server) dashboard(w http.ResponseWriter, r *http.Request, caller directory.Person) error {
	var m period.Month
	if v := r.URL.Query().Get("month"); v != "" {
		var err error
		if m, err = period.ParseMonth(v); err != nil {
			return problem.InvalidField("month", err.Error())
		}
	}
	d, err := s.App.BuildDashboard(r.Context(), caller, m)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, d)
	return nil
}

func (s *Server) listPartners(w http.ResponseWriter, r *http.Request, _ directory.Person) error {
	kind := r.URL.Query().Get("kind")
	if kind == "" {
		kind = partner.KindSupport
	}
	if kind != partner.KindSupport && kind != partner.KindSI {
		return problem.InvalidField("kind", `must be "support" or "si"`)
	}
	limit, err := pageLimit(r)
	if err != nil {
		return err
	}
	ps, next, err := s.App.PartnerList(r.Context(), kind, r.URL.Query().Get("cursor"), limit)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": ps, "nextCursor": next})
	return nil
}

func (s *Server) partnerProjects(w http.ResponseWriter, r *http.Request, _ directory.Person) error {
	ps, err := s.App.PartnerProjects(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": ps})
	return nil
}

// peopleNames maps logins to names for server pages; a page still renders
// (with logins) when the directory cannot be read.
func (s *Server) peopleNames(r *http.Request) map[string]string {
	people, err := s.App.People(r.Context(), directory.Person{Sub: "pages"})
	names := map[string]string{}
	if err != nil {
		s.Log.Warn("directory for page names", "err", err)
		return names
	}
	for _, p := range people {
		names[p.Sub] = p.Name
	}
	return names
}

func (s *Server) policyVersions(w http.ResponseWriter, r *http.Request, _ directory.Person) error {
	h, err := s.App.PolicyVersions(r.Context())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": h})
	return nil
}
