package api_test

import (
	"bytes"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"productgov/infra/dynamolocal"
	"productgov/infra/localstack/stacktest"
	"productgov/shared/audit"
	"productgov/shared/config"
	"productgov/shared/directory"
)

func TestMain(m *testing.M) { os.Exit(dynamolocal.RunTests(m)) }

func createProduct(t *testing.T, e *stacktest.Env, token string, body map[string]any) map[string]any {
	t.Helper()
	res := e.Do("POST", "/products", token, body)
	if res.Status != http.StatusCreated {
		t.Fatalf("create product: %d %s", res.Status, res.Body)
	}
	return res.Map(t)
}

func TestCreateGetListProducts(t *testing.T) {
	e := stacktest.New(t)
	pm := e.Token("pm1", directory.RoleProductManager)
	p := createProduct(t, e, pm, map[string]any{"name": "云桌面", "level": "province", "mode": "self_built", "customers": 1200})
	if p["stage"] != "demand" || p["name"] != "云桌面" || p["version"].(float64) != 1 {
		t.Fatalf("created %v", p)
	}
	id := p["id"].(string)
	got := e.Do("GET", "/products/"+id, pm, nil)
	if got.Status != 200 || got.Map(t)["level"] != "province" {
		t.Fatalf("get: %d %s", got.Status, got.Body)
	}
	hist := e.Do("GET", "/products/"+id+"/history", pm, nil).Map(t)["items"].([]any)
	if len(hist) != 1 || hist[0].(map[string]any)["to"] != "demand" || hist[0].(map[string]any)["policyVersion"] == "" {
		t.Fatalf("history %v", hist)
	}

	admin := e.Token("admin", directory.RoleAdmin)
	for i := 0; i < 5; i++ {
		createProduct(t, e, admin, map[string]any{"name": fmt.Sprintf("商用%d", i), "level": "city", "mode": "self_built",
			"stage": "commercial", "noticeDate": "2025-01-15", "phase": "warning"})
	}
	// Page through commercial products two at a time.
	seen := map[string]bool{}
	cursor := ""
	for pages := 0; ; pages++ {
		res := e.Do("GET", "/products?stage=commercial&level=city&limit=2&cursor="+cursor, pm, nil)
		if res.Status != 200 {
			t.Fatalf("list: %d %s", res.Status, res.Body)
		}
		body := res.Map(t)
		for _, it := range body["items"].([]any) {
			m := it.(map[string]any)
			if m["stage"] != "commercial" || m["phase"] != "warning" || m["noticeDate"] != "2025-01-15" {
				t.Fatalf("item %v", m)
			}
			seen[m["id"].(string)] = true
		}
		next, _ := body["nextCursor"].(string)
		if next == "" {
			break
		}
		if pages > 5 {
			t.Fatal("cursor never ends")
		}
		cursor = next
	}
	if len(seen) != 5 {
		t.Fatalf("listed %d commercial products, want 5", len(seen))
	}
	// Unfiltered listing walks every level.
	all := map[string]bool{}
	cursor = ""
	for {
		body := e.Do("GET", "/products?limit=4&cursor="+cursor, pm, nil).Map(t)
		for _, it := range body["items"].([]any) {
			all[it.(map[string]any)["id"].(string)] = true
		}
		next, _ := body["nextCursor"].(string)
		if next == "" {
			break
		}
		cursor = next
	}
	if len(all) != 6 {
		t.Fatalf("listed %d products, want 6", len(all))
	}

	// A product manager's own products, over the owner index's shards, a page at a time.
	mine := map[string]bool{}
	cursor = ""
	for {
		body := mustStatus(t, e.Do("GET", "/products?createdBy=admin&limit=2&cursor="+url.QueryEscape(cursor), pm, nil), 200, "admin's products")
		for _, it := range body["items"].([]any) {
			if m := it.(map[string]any); m["createdBy"] != "admin" {
				t.Fatalf("admin's products list %v", m)
			} else {
				mine[m["id"].(string)] = true
			}
		}
		if cursor, _ = body["nextCursor"].(string); cursor == "" {
			break
		}
	}
	if len(mine) != 5 || mine[id] {
		t.Fatalf("admin registered 5 products, listed %v", mine)
	}
	if got := mustStatus(t, e.Do("GET", "/products?createdBy=pm1", pm, nil), 200, "pm1's")["items"].([]any); len(got) != 1 {
		t.Fatalf("pm1's products %v", got)
	}
	mustStatus(t, e.Do("GET", "/products?createdBy=pm1&stage=demand", pm, nil), 400, "createdBy with stage")

	// Names of the listed products, without walking the portfolio.
	names := mustStatus(t, e.Do("GET", "/product-names?ids="+id+",prd_none", pm, nil), 200, "names")["names"].(map[string]any)
	if len(names) != 1 || names[id] != "云桌面" {
		t.Fatalf("names %v", names)
	}
	for _, bad := range []string{"", ",", strings.Repeat("x,", 101)} {
		mustStatus(t, e.Do("GET", "/product-names?ids="+bad, pm, nil), 400, "names of "+bad)
	}
}

func TestBadInputIsRefusedAndChangesNothing(t *testing.T) {
	e := stacktest.New(t)
	pm := e.Token("pm1", directory.RoleProductManager)
	admin := e.Token("admin", directory.RoleAdmin)
	p := createProduct(t, e, pm, map[string]any{"name": "基线", "level": "city", "mode": "self_built"})
	id := p["id"].(string)
	forged := e.Token("pm1", directory.RoleProductManager)
	forged = forged[:len(forged)-4] + "AAAA"

	tests := []struct {
		name   string
		method string
		path   string
		token  string
		body   any
		status int
		code   string
		field  string
	}{
		{"malformed json", "POST", "/products", pm, `{"name": "x",`, 400, "invalid", "body"},
		{"unknown level", "POST", "/products", pm, map[string]any{"name": "x", "level": "county", "mode": "self_built"}, 400, "invalid", "level"},
		{"unknown field", "POST", "/products", pm, map[string]any{"name": "x", "level": "city", "mode": "self_built", "colour": "red"}, 400, "invalid", "colour"},
		{"missing name", "POST", "/products", pm, map[string]any{"level": "city", "mode": "self_built"}, 400, "invalid", "name"},
		{"cooperative without partner", "POST", "/products", pm, map[string]any{"name": "x", "level": "city", "mode": "cooperative"}, 400, "invalid", "partnerId"},
		{"unknown partner", "POST", "/products", pm, map[string]any{"name": "x", "level": "city", "mode": "cooperative", "partnerId": "ptn_nope"}, 400, "invalid", "partnerId"},
		{"negative amount", "PUT", "/products/" + id + "/revenue/2026-01", admin, map[string]any{"amount": "-1.00"}, 400, "invalid", "amount"},
		{"three decimals", "PUT", "/products/" + id + "/revenue/2026-01", admin, map[string]any{"amount": "100.005"}, 400, "invalid", "amount"},
		{"three decimals as number", "PUT", "/products/" + id + "/revenue/2026-01", admin, `{"amount": 100.005}`, 400, "invalid", "amount"},
		{"month 13", "PUT", "/products/" + id + "/revenue/2026-13", admin, map[string]any{"amount": "1.00"}, 400, "invalid", "month"},
		{"score 101", "PUT", "/products/" + id + "/quality/2026-01", admin, map[string]any{"score": 101}, 400, "invalid", "score"},
		{"unknown product", "PUT", "/products/prd_nope/revenue/2026-01", admin, map[string]any{"amount": "1.00"}, 404, "not_found", ""},
		{"get unknown product", "GET", "/products/prd_nope", pm, nil, 404, "not_found", ""},
		{"missing token", "POST", "/products", "", map[string]any{"name": "x", "level": "city", "mode": "self_built"}, 401, "unauthorized", ""},
		{"forged token", "POST", "/products", forged, map[string]any{"name": "x", "level": "city", "mode": "self_built"}, 401, "unauthorized", ""},
		{"wrong role", "PUT", "/products/" + id + "/revenue/2026-01", pm, map[string]any{"amount": "1.00"}, 403, "forbidden", ""},
		{"registering needs admin", "POST", "/products", pm, map[string]any{"name": "x", "level": "city", "mode": "self_built", "stage": "commercial", "noticeDate": "2025-01-01"}, 403, "forbidden", ""},
		{"register without notice", "POST", "/products", admin, map[string]any{"name": "x", "level": "city", "mode": "self_built", "stage": "commercial"}, 400, "invalid", "noticeDate"},
		{"bad stage filter", "GET", "/products?stage=launched", pm, nil, 400, "invalid", "stage"},
		{"bad cursor", "GET", "/products?cursor=bm90LWEtY3Vyc29y", pm, nil, 400, "invalid", "cursor"},
		{"path month with a sign", "PUT", "/products/" + id + "/revenue/2026-+1", admin, map[string]any{"amount": "1.00"}, 400, "invalid", "month"},
		{"path month with a space", "PUT", "/products/" + id + "/revenue/2026-%201", admin, map[string]any{"amount": "1.00"}, 400, "invalid", "month"},
		{"import month with a sign", "POST", "/imports/revenue", admin, "product_id,month,value\n" + id + ",2001-+2,5.00\n", 400, "invalid", "line 2"},
		{"a key given twice", "PATCH", "/products/" + id, pm, `{"name":"甲","name":"乙"}`, 400, "invalid", "name"},
		{"a NUL in a name", "PATCH", "/products/" + id, pm, `{"name":"a\u0000b"}`, 400, "invalid", "name"},
		{"an ESC in a name", "PATCH", "/products/" + id, pm, `{"name":"\u001b[31m红"}`, 400, "invalid", "name"},
		{"bytes that are not UTF-8", "PATCH", "/products/" + id, pm, "{\"name\":\"\xff\xfe\"}", 400, "invalid", "body"},
		{"a 900 KB name", "PATCH", "/products/" + id, pm, map[string]any{"name": strings.Repeat("名", 300000)}, 400, "invalid", "name"},
		{"a name over 200 characters", "PATCH", "/products/" + id, pm, map[string]any{"name": strings.Repeat("名", 201)}, 400, "invalid", "name"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := e.Do(tt.method, tt.path, tt.token, tt.body)
			if res.Status != tt.status {
				t.Fatalf("status %d, want %d: %s", res.Status, tt.status, res.Body)
			}
			var body struct {
				Error struct {
					Code    string            `json:"code"`
					Message string            `json:"message"`
					Fields  map[string]string `json:"fields"`
				} `json:"error"`
			}
			if tt.status == 401 {
				// API Gateway's JWT authorizer refuses before the function runs.
				if string(res.Body) != `{"message":"Unauthorized"}` {
					t.Fatalf("401 body %s, want API Gateway's", res.Body)
				}
				return
			}
			res.JSON(t, &body)
			if body.Error.Code != tt.code || body.Error.Message == "" {
				t.Fatalf("error %+v", body.Error)
			}
			if tt.field != "" && body.Error.Fields[tt.field] == "" {
				t.Fatalf("fields %v do not name %s", body.Error.Fields, tt.field)
			}
		})
	}
	// Nothing was written: still one product, no figures, one audit entry.
	list := e.Do("GET", "/products", pm, nil).Map(t)["items"].([]any)
	if len(list) != 1 {
		t.Fatalf("%d products after refused requests", len(list))
	}
	trend := e.Do("GET", "/products/"+id+"/revenue?from=2025-01&to=2026-12", pm, nil).Map(t)["items"].([]any)
	if len(trend) != 0 {
		t.Fatalf("figures written by refused requests: %v", trend)
	}
	auditor := e.Token("aud", directory.RoleAuditor)
	trail := e.Do("GET", "/audit?entity=product/"+id, auditor, nil).Map(t)["items"].([]any)
	if len(trail) != 1 {
		t.Fatalf("audit has %d entries, want the creation only", len(trail))
	}
}

func TestConcurrentUpdatesAllLand(t *testing.T) {
	e := stacktest.New(t)
	pm := e.Token("pm1", directory.RoleProductManager)
	id := createProduct(t, e, pm, map[string]any{"name": "并发", "level": "city", "mode": "self_built"})["id"].(string)
	const n = 20
	var wg sync.WaitGroup
	errs := make(chan string, n)
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			res := e.Do("PATCH", "/products/"+id, pm, map[string]any{"customers": 1000 + i})
			if res.Status != 200 {
				errs <- fmt.Sprintf("%d %s", res.Status, res.Body)
			}
		}(i)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	p := e.Do("GET", "/products/"+id, pm, nil).Map(t)
	if p["version"].(float64) != 1+n {
		t.Fatalf("version %v, want %d: an update was lost", p["version"], 1+n)
	}
	auditor := e.Token("aud", directory.RoleAuditor)
	trail := e.Do("GET", "/audit?entity=product/"+id+"&limit=100", auditor, nil).Map(t)["items"].([]any)
	if len(trail) != 1+n {
		t.Fatalf("audit has %d entries, want %d", len(trail), 1+n)
	}
	// Each audited update starts from the state the previous one left.
	seen := map[float64]bool{}
	for _, it := range trail[1:] {
		after := it.(map[string]any)["after"].(map[string]any)
		seen[after["version"].(float64)] = true
	}
	if len(seen) != n {
		t.Fatalf("audited versions %v are not %d distinct ones", seen, n)
	}
}

func TestFiguresAndImports(t *testing.T) {
	e := stacktest.New(t)
	pm := e.Token("pm1", directory.RoleProductManager)
	admin := e.Token("admin", directory.RoleAdmin)
	a := createProduct(t, e, pm, map[string]any{"name": "甲", "level": "city", "mode": "self_built"})["id"].(string)
	b := createProduct(t, e, pm, map[string]any{"name": "乙", "level": "city", "mode": "self_built"})["id"].(string)

	if res := e.Do("PUT", "/products/"+a+"/revenue/2026-01", admin, `{"amount": 96666.67}`); res.Status != 200 {
		t.Fatalf("put revenue: %d %s", res.Status, res.Body)
	}
	if res := e.Do("PUT", "/products/"+a+"/quality/2026-01", admin, map[string]any{"score": "59.5"}); res.Status != 200 {
		t.Fatalf("put quality: %d %s", res.Status, res.Body)
	}

	good := fmt.Sprintf("product_id,month,value\n%s,2026-02,100000.00\n%s,2026-02,50000\n", a, b)
	res := e.Do("POST", "/imports/revenue", admin, good, "Content-Type", "text/csv")
	if res.Status != 201 || res.Map(t)["rows"].(float64) != 2 {
		t.Fatalf("import: %d %s", res.Status, res.Body)
	}

	bad := fmt.Sprintf("product_id,month,value\n%s,2026-03,1.00\n%s,2026-13,1.00\nprd_nope,2026-03,1.00\n%s,2026-03,1.005\n%s,2026-04,-3\n", a, a, b, b)
	res = e.Do("POST", "/imports/revenue", admin, bad, "Content-Type", "text/csv")
	if res.Status != 400 {
		t.Fatalf("bad import: %d %s", res.Status, res.Body)
	}
	var body struct {
		Error struct {
			Fields map[string]string `json:"fields"`
		} `json:"error"`
	}
	res.JSON(t, &body)
	for _, line := range []string{"line 3", "line 4", "line 5", "line 6"} {
		if body.Error.Fields[line] == "" {
			t.Errorf("bad import did not report %s: %v", line, body.Error.Fields)
		}
	}
	if body.Error.Fields["line 2"] != "" {
		t.Errorf("good line reported: %v", body.Error.Fields)
	}
	// All or nothing: line 2 was good but must not have been written.
	trend := e.Do("GET", "/products/"+a+"/revenue?from=2026-01&to=2026-12", pm, nil).Map(t)["items"].([]any)
	if len(trend) != 2 {
		t.Fatalf("trend %v, want 2026-01 and 2026-02 only", trend)
	}
	if trend[0].(map[string]any)["amount"] != "96666.67" || trend[1].(map[string]any)["amount"] != "100000.00" {
		t.Fatalf("trend %v", trend)
	}

	// XLSX, quality.
	f := excelize.NewFile()
	rows := [][]any{{"product_id", "month", "value"}, {a, "2026-02", "61"}, {b, "2026-02", "101"}}
	for i, r := range rows {
		cell, _ := excelize.CoordinatesToCellName(1, i+1)
		_ = f.SetSheetRow("Sheet1", cell, &r)
	}
	var buf bytes.Buffer
	if err := f.Write(&buf); err != nil {
		t.Fatal(err)
	}
	res = e.Do("POST", "/imports/quality", admin, buf.Bytes(), "Content-Type", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
	if res.Status != 400 || !strings.Contains(string(res.Body), "line 3") {
		t.Fatalf("xlsx import with score 101: %d %s", res.Status, res.Body)
	}
}

func TestHealthPolicyAndDevRoutes(t *testing.T) {
	e := stacktest.New(t)
	if res := e.Do("GET", "/healthz", "", nil); res.Status != 200 {
		t.Fatalf("healthz %d", res.Status)
	}
	res := e.Do("POST", "/dev/token", "", map[string]any{"sub": "x", "roles": []string{"admin"}})
	if res.Status != 200 {
		t.Fatalf("dev token %d %s", res.Status, res.Body)
	}
	tok := res.Map(t)["token"].(string)
	pol := e.Do("GET", "/policy", tok, nil)
	if pol.Status != 200 || pol.Map(t)["version"] == "" {
		t.Fatalf("policy %d %s", pol.Status, pol.Body)
	}
	if res := e.Do("POST", "/dev/token", "", map[string]any{"sub": "x", "roles": []string{"emperor"}}); res.Status != 400 {
		t.Fatalf("dev token with unknown role: %d", res.Status)
	}

	// On AWS there are no /dev/ tools: the path is just another route behind
	// the JWT authorizer, which refuses a request without a token.
	aws := stacktest.NewMode(t, config.ModeAWS)
	if res := aws.Do("POST", "/dev/token", "", map[string]any{"sub": "x", "roles": []string{"admin"}}); res.Status != 401 {
		t.Fatalf("dev token outside local mode: %d", res.Status)
	}
	if res := aws.Do("POST", "/dev/token", aws.Token("x", "admin"), map[string]any{"sub": "x", "roles": []string{"admin"}}); res.Status != 404 {
		t.Fatalf("dev token outside local mode, signed in: %d", res.Status)
	}
}

func auditMeta() audit.Meta {
	return audit.Meta{Actor: "test", RequestID: "test", At: time.Now()}
}

// A figures file goes to the work bucket through a presigned upload URL and
// is imported by naming it: so a file larger than the 10 MB API Gateway
// carries (a sync Lambda call, 6 MB) is imported all the same. An upload is
// its uploader's: another admin cannot import it.
func TestFigureImportThroughUpload(t *testing.T) {
	e := stacktest.New(t)
	pm := e.Token("pm1", directory.RoleProductManager)
	admin := e.Token("admin", directory.RoleAdmin)
	other := e.Token("admin2", directory.RoleAdmin)
	a := createProduct(t, e, pm, map[string]any{"name": "甲", "level": "city", "mode": "self_built"})["id"].(string)

	upload := func(token, contentType string, body []byte) string {
		t.Helper()
		res := e.Do("POST", "/imports/uploads", token, map[string]any{"contentType": contentType})
		if res.Status != 201 {
			t.Fatalf("upload URL: %d %s", res.Status, res.Body)
		}
		up := res.Map(t)
		req, _ := http.NewRequest(http.MethodPut, up["url"].(string), bytes.NewReader(body))
		req.Header.Set("Content-Type", contentType)
		put, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		put.Body.Close()
		if put.StatusCode != 200 {
			t.Fatalf("PUT to the upload URL: %s", put.Status)
		}
		return up["upload"].(string)
	}

	good := upload(admin, "text/csv", []byte(fmt.Sprintf("product_id,month,value\n%s,2026-02,100000.00\n", a)))
	if res := e.Do("POST", "/imports/revenue", other, map[string]any{"upload": good}); res.Status != 400 || !strings.Contains(string(res.Body), "upload") {
		t.Fatalf("another admin imports the upload: %d %s", res.Status, res.Body)
	}
	if res := e.Do("POST", "/imports/revenue", pm, map[string]any{"upload": good}); res.Status != 403 {
		t.Fatalf("a product manager imports: %d %s", res.Status, res.Body)
	}
	if res := e.Do("POST", "/imports/revenue", admin, map[string]any{"upload": good}); res.Status != 201 || res.Map(t)["rows"].(float64) != 1 {
		t.Fatalf("import of the upload: %d %s", res.Status, res.Body)
	}
	if res := e.Do("POST", "/imports/revenue", admin, map[string]any{"upload": "upl_neveruploaded"}); res.Status != 400 {
		t.Fatalf("import of an upload never made: %d %s", res.Status, res.Body)
	}
	if res := e.Do("POST", "/imports/uploads", admin, map[string]any{"contentType": "text/html"}); res.Status != 400 {
		t.Fatalf("upload of HTML: %d %s", res.Status, res.Body)
	}

	// 12 MB: more than API Gateway takes in a request, read whole from the
	// bucket; every line names a product that does not exist, so the import
	// refuses it, naming lines, and writes nothing.
	var big bytes.Buffer
	big.WriteString("product_id,month,value\n")
	for i := 0; big.Len() < 12<<20; i++ {
		fmt.Fprintf(&big, "prd_%060d,2026-03,1.00\n", i)
	}
	if res := e.Do("POST", "/imports/revenue", admin, big.Bytes(), "Content-Type", "text/csv"); res.Status != 413 {
		t.Fatalf("12 MB in the request body: %d, want API Gateway's 413", res.Status)
	}
	res := e.Do("POST", "/imports/revenue", admin, map[string]any{"upload": upload(admin, "text/csv", big.Bytes())})
	if res.Status != 400 || !strings.Contains(string(res.Body), "line 2") {
		t.Fatalf("12 MB through the bucket: %d %.300s", res.Status, res.Body)
	}
	trend := e.Do("GET", "/products/"+a+"/revenue?from=2026-01&to=2026-12", pm, nil).Map(t)["items"].([]any)
	if len(trend) != 1 {
		t.Fatalf("trend %v, want 2026-02 only", trend)
	}
}
