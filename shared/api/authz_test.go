package api_test

import (
	"strings"
	"testing"

	"productgov/infra/localstack/stacktest"
	"productgov/shared/api"
	"productgov/shared/directory"
)

// SPEC 6, as decided: a product's data is changed by its manager (the
// product manager who created it) or an admin; `strategic` only by an admin
// (the strategic list is policy: it changes routing and waives P§18); partner,
// project and settlement records are read by the departments that work them,
// the executives and the auditor, not by any signed-in person.
func TestWhoMayDoWhat(t *testing.T) {
	e := stacktest.New(t)
	admin := e.Token("admin", directory.RoleAdmin)
	pm1 := e.Token("pm1", directory.RoleProductManager)
	pm2 := e.Token("pm2", directory.RoleProductManager)
	nobody := e.Token("guest")
	auditor := e.Token("aud1", directory.RoleAuditor)
	own := createProduct(t, e, pm1, map[string]any{"name": "自有产品", "level": "city", "mode": "self_built"})["id"].(string)

	type check struct {
		name, method, path, token string
		body                      any
		status                    int
	}
	tests := []check{
		{"manager renames own product", "PATCH", "/products/" + own, pm1, map[string]any{"name": "自有产品二期"}, 200},
		{"another manager renames it", "PATCH", "/products/" + own, pm2, map[string]any{"name": "改名"}, 403},
		{"another manager marks it strategic", "PATCH", "/products/" + own, pm2, map[string]any{"strategic": true}, 403},
		{"its own manager marks it strategic", "PATCH", "/products/" + own, pm1, map[string]any{"strategic": true}, 403},
		{"an admin marks it strategic", "PATCH", "/products/" + own, admin, map[string]any{"strategic": true}, 200},
		{"another manager records its plan", "POST", "/products/" + own + "/construction-plan", pm2, nil, 403},
		{"anyone signed in reads products", "GET", "/products/" + own, nobody, nil, 200},
		{"anyone signed in reads the directory of names", "GET", "/people", nobody, nil, 200},
		{"a product manager has no review queue", "GET", "/review-queue", pm1, nil, 403},
		{"a reviewer reads their queue", "GET", "/review-queue", e.Token("rev9", directory.RoleReviewer), nil, 200},
		{"a product manager does not list partners", "GET", "/partners", pm1, nil, 403},
		{"the auditor lists partners", "GET", "/partners?kind=si", auditor, nil, 200},
		{"a bad partner kind", "GET", "/partners?kind=x", auditor, nil, 400},
		{"anyone signed in reads the dashboard", "GET", "/dashboard", nobody, nil, 200},
		{"a bad dashboard month", "GET", "/dashboard?month=2026-13", nobody, nil, 400},
	}
	for _, path := range []string{"/partners/ptn_x", "/partners/ptn_x/charges", "/support-projects/spj_x", "/settlement-runs/2026-Q1",
		"/settlements/2026-Q1", "/settlements/2026-Q1.xlsx", "/annual-clearings/2025", "/accrual-runs/2026-01", "/accruals/2026-01"} {
		tests = append(tests,
			check{"no role reads " + path, "GET", path, nobody, nil, 403},
			check{"a product manager reads " + path, "GET", path, pm1, nil, 403})
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if res := e.Do(tt.method, tt.path, tt.token, tt.body); res.Status != tt.status {
				t.Fatalf("%s %s: %d, want %d: %s", tt.method, tt.path, res.Status, tt.status, res.Body)
			}
		})
	}
	if res := e.Do("PUT", "/users/pm1", admin, map[string]any{"name": "李产品经理", "email": "pm1@example.test",
		"roles": []string{"product_manager"}, "dept": "政企客户中心", "relatedPartners": []string{}}); res.Status != 200 {
		t.Fatalf("put user: %d %s", res.Status, res.Body)
	}
	// Emails and declared relations are for admins and the auditor; the
	// dashboard's deposits only for partner readers.
	for _, c := range []struct {
		who     string
		tok     string
		private bool
	}{{"no role", nobody, false}, {"auditor", auditor, true}, {"admin", admin, true}} {
		people := e.Do("GET", "/people", c.tok, nil).Map(t)["items"].([]any)
		sawEmail := false
		for _, p := range people {
			if p.(map[string]any)["email"] != nil {
				sawEmail = true
			}
		}
		if sawEmail != c.private {
			t.Errorf("%s sees emails in /people: %v", c.who, sawEmail)
		}
		_, hasDeposits := e.Do("GET", "/dashboard", c.tok, nil).Map(t)["depositsBelow"]
		if hasDeposits != c.private {
			t.Errorf("%s sees the dashboard's deposits: %v", c.who, hasDeposits)
		}
	}
	// The auditor reads them (absent records answer 404, not 403).
	for _, path := range []string{"/partners/ptn_x", "/support-projects/spj_x", "/settlements/2026-Q1"} {
		if res := e.Do("GET", path, auditor, nil); res.Status == 403 {
			t.Errorf("the auditor is refused %s", path)
		}
	}
}

// Every route × two roles that may change nothing: a person with no role and
// the auditor. Neither ever gets a 2xx from a route that writes; the person
// with no role reads only what SPEC 6 opens to any signed-in person
// (products with their figures and monthly assessments, submissions, the
// policy, their own directory entry).
func TestRoleMatrixOfEveryRoute(t *testing.T) {
	e := stacktest.New(t)
	admin := e.Token("admin", directory.RoleAdmin)
	pid := createProduct(t, e, admin, map[string]any{"name": "矩阵", "level": "city", "mode": "self_built"})["id"].(string)
	openToAnyone := map[string]bool{
		"GET /products": true, "GET /products/{id}": true, "GET /products/{id}/history": true, "GET /products/{id}/revenue": true,
		"GET /submissions": true, "GET /submissions/{id}": true, "GET /policy": true, "GET /users/{sub}": true,
		"GET /products/{id}/page.html": true,
		// The console's directory of names, its dashboard (partner figures only
		// for partner readers) and the policy versions, like GET /policy.
		"GET /people": true, "GET /dashboard": true, "GET /policy/versions": true,
		// A product's monthly assessment is information about the product.
		"GET /assessments/{month}": true, "GET /assessments/{month}/report.html": true, "GET /assessments/{month}/report.xlsx": true,
	}
	fill := strings.NewReplacer("{id}", pid, "{sub}", "guest", "{month}", "2026-05", "{quarter}", "2026-Q1", "{year}", "2025",
		"{productId}", pid)
	tried, violations := 0, 0
	for _, r := range api.Routes() {
		if r.Public || strings.HasPrefix(r.Pattern, "/dev/") {
			continue
		}
		key := r.Method + " " + r.Pattern
		path := fill.Replace(r.Pattern)
		for who, tok := range map[string]string{"no role": e.Token("guest"), "auditor": e.Token("aud1", directory.RoleAuditor)} {
			tried++
			var body any
			if r.Method != "GET" {
				body = map[string]any{}
			}
			if strings.HasSuffix(r.Pattern, ".html") || strings.HasSuffix(r.Pattern, ".xlsx") {
				path += "?access_token=" + tok
			}
			res := e.Do(r.Method, path, tok, body)
			ok := res.Status/100 == 2
			allowed := (r.Method == "GET" && who == "auditor") || (r.Method == "GET" && openToAnyone[key])
			if ok && !allowed {
				violations++
				t.Errorf("%s: %s answered %d", who, key, res.Status)
			}
			if res.Status >= 500 {
				t.Errorf("%s: %s answered %d: %s", who, key, res.Status, res.Body)
			}
		}
	}
	t.Logf("role matrix: %d route × role checks, %d violations", tried, violations)
}
