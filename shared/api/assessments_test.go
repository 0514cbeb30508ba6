package api_test

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"productgov/infra/localstack/stacktest"
	"productgov/infra/scheduler"
	"productgov/shared/assessment"
	"productgov/shared/directory"
	"productgov/shared/money"
	"productgov/shared/period"
	"productgov/shared/policy"
)

// runMonth runs the assessment of a month through the API and waits for it.
func runMonth(t *testing.T, e *stacktest.Env, admin, month string) {
	t.Helper()
	before := 0
	if res := e.Do("GET", "/assessment-runs/"+month, admin, nil); res.Status == 200 {
		before = int(res.Map(t)["runs"].(float64))
	}
	res := e.Do("POST", "/assessment-runs", admin, map[string]any{"month": month})
	if res.Status != 202 {
		t.Fatalf("run %s: %d %s", month, res.Status, res.Body)
	}
	eventually(t, "assessment "+month, func() bool {
		res := e.Do("GET", "/assessment-runs/"+month, admin, nil)
		if res.Status != 200 {
			return false
		}
		run := res.Map(t)
		return run["status"] == "succeeded" && int(run["runs"].(float64)) == before+1
	})
}

func results(t *testing.T, e *stacktest.Env, token, month string) map[string]map[string]any {
	t.Helper()
	out := map[string]map[string]any{}
	cursor := ""
	for {
		// Small pages, so the cursor is followed too.
		body := e.Do("GET", "/assessments/"+month+"?limit=2&cursor="+cursor, token, nil).Map(t)
		for _, it := range body["items"].([]any) {
			m := it.(map[string]any)
			out[m["productId"].(string)] = m
		}
		if cursor, _ = body["nextCursor"].(string); cursor == "" {
			return out
		}
	}
}

func TestMonthlyAssessmentJob(t *testing.T) {
	e := stacktest.New(t)
	tokens := people(t, e, nil)
	_ = tokens
	admin := e.Token("admin", directory.RoleAdmin)
	if err := e.Sys.Store.RegisterPartner(t.Context(), auditMeta(), "ptn_q", "si", "质量伙伴"); err != nil {
		t.Fatal(err)
	}
	register := func(body map[string]any) string {
		t.Helper()
		return createProduct(t, e, admin, body)["id"].(string)
	}
	// P§19: a city cooperative product noticed on 2026-01-01 is exempt Jan–Mar.
	coop := register(map[string]any{"name": "合作考核", "level": "city", "mode": "cooperative", "partnerId": "ptn_q",
		"stage": "commercial", "noticeDate": "2026-01-01"})
	gap := register(map[string]any{"name": "缺数", "level": "province", "mode": "self_built", "stage": "commercial", "noticeDate": "2025-06-01"})
	hq := register(map[string]any{"name": "总部", "level": "hq", "mode": "self_built", "stage": "commercial", "noticeDate": "2025-06-01"})
	late := register(map[string]any{"name": "后公告", "level": "city", "mode": "self_built", "stage": "trial_commercial", "noticeDate": "2026-03-15"})
	put := func(id, kind, month string, v any) {
		t.Helper()
		field := "amount"
		if kind == "quality" {
			field = "score"
		}
		if res := e.Do("PUT", "/products/"+id+"/"+kind+"/"+month, admin, map[string]any{field: v}); res.Status != 200 {
			t.Fatalf("put %s %s: %d %s", kind, month, res.Status, res.Body)
		}
	}
	revenue := map[string]string{"2026-02": "60000.00", "2026-03": "60000.00", "2026-04": "60000.00",
		"2026-05": "29999.99", "2026-06": "30000.00"}
	for m, a := range revenue {
		put(coop, "revenue", m, a)
		put(late, "revenue", m, a)
		put(hq, "revenue", m, a)
	}
	for _, m := range []string{"2026-04", "2026-05", "2026-06"} {
		put(coop, "quality", m, 70)
	}
	put(gap, "revenue", "2026-03", "150000.00")
	put(gap, "revenue", "2026-05", "150000.00")

	runMonth(t, e, admin, "2026-03")
	r := results(t, e, admin, "2026-03")
	if r[coop]["result"] != "exempt" || r[hq]["result"] != "skipped" || r[late]["result"] != "exempt" {
		t.Fatalf("March: coop %v, hq %v, late %v", r[coop]["result"], r[hq]["result"], r[late]["result"])
	}
	runMonth(t, e, admin, "2026-04")
	r = results(t, e, admin, "2026-04")
	if r[coop]["result"] != "pass" || r[coop]["revenueAverage"] != "60000.00" || r[coop]["qualityPass"] != true {
		t.Fatalf("April coop: %v", r[coop])
	}
	if r[gap]["result"] != "pending_data" || r[late]["result"] != "exempt" {
		t.Fatalf("April: gap %v, late %v", r[gap]["result"], r[late]["result"])
	}
	runMonth(t, e, admin, "2026-05")
	r = results(t, e, admin, "2026-05")
	// 60000 + 60000 + 29999.99 is one fen short of 3 × 50000: fail → warning.
	if r[coop]["revenuePass"] != false || r[coop]["phaseAfter"] != "warning" || r[coop]["revenueAverage"] != "50000.00" {
		t.Fatalf("May coop: %v", r[coop])
	}
	runMonth(t, e, admin, "2026-06")
	june := results(t, e, admin, "2026-06")
	if june[coop]["phaseBefore"] != "warning" || june[coop]["phaseAfter"] != "exit" || june[coop]["opensExit"] != true {
		t.Fatalf("June coop: %v", june[coop])
	}
	if june[coop]["policyVersion"] == "" || june[coop]["reason"] == "" {
		t.Fatalf("June coop lacks its rule record: %v", june[coop])
	}
	exits := func() []any {
		return e.Do("GET", "/submissions?productId="+coop+"&type=exit", admin, nil).Map(t)["items"].([]any)
	}
	eventually(t, "one exit submission", func() bool { return len(exits()) == 1 })
	sub := exits()[0].(map[string]any)
	if sub["applicant"] != "system" || sub["content"].(map[string]any)["exitType"] != "assessment" || sub["decisionLevel"] != "chengpi" {
		t.Fatalf("exit submission %v", sub)
	}
	if p := e.Do("GET", "/products/"+coop, admin, nil).Map(t); p["phase"] != "exit" {
		t.Fatalf("product phase %v", p["phase"])
	}

	// Re-runs: June gives identical records and opens no second exit; May
	// re-run after June leaves the product's phase alone.
	runMonth(t, e, admin, "2026-06")
	again := results(t, e, admin, "2026-06")
	if !reflect.DeepEqual(june, again) {
		a, _ := json.Marshal(june[coop])
		b, _ := json.Marshal(again[coop])
		t.Fatalf("re-run differs:\n%s\n%s", a, b)
	}
	runMonth(t, e, admin, "2026-05")
	if p := e.Do("GET", "/products/"+coop, admin, nil).Map(t); p["phase"] != "exit" {
		t.Fatalf("re-running May moved the phase to %v", p["phase"])
	}
	time.Sleep(200 * time.Millisecond)
	if n := len(exits()); n != 1 {
		t.Fatalf("%d exit submissions after re-runs", n)
	}

	// The report people read, as a page and as XLSX, and the product's chart:
	// links a browser opens, so the token rides in the query (the template's
	// PageJwtAuthorizer), and the API's usual header is not what they accept.
	if res := e.Do("GET", "/assessments/2026-06/report.html", admin, nil); res.Status != 401 {
		t.Fatalf("report page with the header only: %d, want 401", res.Status)
	}
	page := e.Do("GET", "/assessments/2026-06/report.html?access_token="+admin, "", nil)
	// Products by name, reasons in Chinese with their article (issue 12).
	if page.Status != 200 || !strings.Contains(string(page.Body), "退出期") || !strings.Contains(string(page.Body), "合作考核") ||
		!strings.Contains(string(page.Body), "P§19(二)") || strings.Contains(string(page.Body), "quality") {
		t.Fatalf("report page: %d", page.Status)
	}
	xlsx := e.Do("GET", "/assessments/2026-06/report.xlsx?access_token="+admin, "", nil)
	if xlsx.Status != 200 || !strings.HasPrefix(string(xlsx.Body), "PK") {
		t.Fatalf("report xlsx: %d", xlsx.Status)
	}
	chart := e.Do("GET", "/products/"+coop+"/page.html?access_token="+admin, "", nil)
	if chart.Status != 200 || !strings.Contains(string(chart.Body), "<svg") || !strings.Contains(string(chart.Body), "考核门槛 50000.00") {
		t.Fatalf("product page: %d", chart.Status)
	}
	// The page names the product's level, mode and stage in Chinese, not by code.
	for _, want := range []string{"市级 / 合作", "<td>商用</td>"} {
		if !strings.Contains(string(chart.Body), want) {
			t.Errorf("product page lacks %q", want)
		}
	}
	for _, code := range []string{"city", "cooperative", ">commercial<", "self_built"} {
		if strings.Contains(string(chart.Body), code) {
			t.Errorf("product page shows the code %q", code)
		}
	}
	if res := e.Do("POST", "/assessment-runs", admin, map[string]any{"month": "2026-13"}); res.Status != 400 {
		t.Fatalf("month 2026-13: %d", res.Status)
	}
	if res := e.Do("POST", "/assessment-runs", tokens["pm1"], map[string]any{"month": "2026-05"}); res.Status != 403 {
		t.Fatalf("run by a product manager: %d", res.Status)
	}
}

// The schedule in template.yaml fires on the local stack: 02:00 on the 1st in
// Shanghai, for the month before.
func TestMonthlyScheduleFires(t *testing.T) {
	e := stacktest.New(t)
	admin := e.Token("admin", directory.RoleAdmin)
	entries, err := e.Stack.Schedules()
	if err != nil {
		t.Fatal(err)
	}
	var monthly *scheduler.Entry
	for i := range entries {
		if entries[i].ResourceID == "MonthlyAssessmentStateMachine" {
			monthly = &entries[i]
		}
	}
	if monthly == nil {
		t.Fatal("template.yaml has no monthly assessment schedule")
	}
	at, ok := monthly.Schedule.Next(time.Date(2026, 9, 20, 0, 0, 0, 0, time.UTC))
	if !ok || !at.Equal(time.Date(2026, 9, 30, 18, 0, 0, 0, time.UTC)) {
		t.Fatalf("next fire %v, want 2026-10-01 02:00 Shanghai", at)
	}
	if err := e.Stack.Fire(t.Context(), *monthly, at); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the scheduled run of 2026-09", func() bool {
		res := e.Do("GET", "/assessment-runs/2026-09", admin, nil)
		return res.Status == 200 && res.Map(t)["status"] == "succeeded"
	})
	_ = fmt.Sprint()
}

// SPEC 7: a month assessed under an earlier policy version recomputes with
// that version; a month first assessed after a new version uses the new one.
func TestAssessmentKeepsItsPolicyVersion(t *testing.T) {
	e := stacktest.New(t)
	admin := e.Token("admin", directory.RoleAdmin)
	id := createProduct(t, e, admin, map[string]any{"name": "门槛", "level": "city", "mode": "self_built",
		"stage": "commercial", "noticeDate": "2025-01-01"})["id"].(string)
	for _, m := range []string{"2026-03", "2026-04", "2026-05", "2026-06"} {
		e.Do("PUT", "/products/"+id+"/revenue/"+m, admin, map[string]any{"amount": "40000.00"})
	}
	runMonth(t, e, admin, "2026-05")
	may := results(t, e, admin, "2026-05")[id]
	if may["revenuePass"] != false {
		t.Fatalf("May under the default policy: %v", may)
	}
	// A new version from June lowers the city threshold to 30,000.
	v2 := policy.Default()
	v2.Version, v2.EffectiveFrom = "2026.06-v2", period.MustDate("2026-06-01")
	v2.Assessment.RevenueThresholds[assessment.LevelCity] = money.FromYuan(30_000)
	if err := e.Sys.Store.PutPolicy(t.Context(), auditMeta(), v2); err != nil {
		t.Fatal(err)
	}
	runMonth(t, e, admin, "2026-05")
	if again := results(t, e, admin, "2026-05")[id]; !reflect.DeepEqual(may, again) {
		t.Fatalf("re-running May changed it under the new policy:\n%v\n%v", may, again)
	}
	runMonth(t, e, admin, "2026-06")
	june := results(t, e, admin, "2026-06")[id]
	if june["policyVersion"] != "2026.06-v2" || june["revenuePass"] != true {
		t.Fatalf("June under v2: %v", june)
	}
}
