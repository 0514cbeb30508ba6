package api_test

import (
	"testing"

	"productgov/infra/localstack/stacktest"
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
	// The auditor reads them (absent records answer 404, not 403).
	for _, path := range []string{"/partners/ptn_x", "/support-projects/spj_x", "/settlements/2026-Q1"} {
		if res := e.Do("GET", path, auditor, nil); res.Status == 403 {
			t.Errorf("the auditor is refused %s", path)
		}
	}
}
