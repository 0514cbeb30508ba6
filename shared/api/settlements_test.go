package api_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/url"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/xuri/excelize/v2"

	"productgov/infra/localstack/stacktest"
	"productgov/infra/scheduler"
)

// runJob starts a settlement job through the API and waits for its run record
// to count one more finished run.
func runJob(t *testing.T, e *stacktest.Env, token, route string, body map[string]any, runPath string) map[string]any {
	t.Helper()
	before := 0
	if res := e.Do("GET", runPath, token, nil); res.Status == 200 {
		before = int(res.Map(t)["runs"].(float64))
	}
	started := mustStatus(t, e.Do("POST", route, token, body), 202, "start "+route)
	arn := started["executionArn"].(string)
	defer func() {
		if t.Failed() {
			out, err := e.Stack.Engine.DescribeExecution(t.Context(), &sfn.DescribeExecutionInput{ExecutionArn: &arn})
			if err == nil {
				t.Logf("execution %s: %s %s %s", arn, out.Status, aws.ToString(out.Error), aws.ToString(out.Cause))
			}
		}
	}()
	var run map[string]any
	eventually(t, runPath, func() bool {
		res := e.Do("GET", runPath, token, nil)
		if res.Status != 200 {
			return false
		}
		run = res.Map(t)
		return run["status"] == "succeeded" && int(run["runs"].(float64)) == before+1
	})
	return run
}

func settle(t *testing.T, e *stacktest.Env, token, quarter string) map[string]any {
	t.Helper()
	runJob(t, e, token, "/settlement-runs", map[string]any{"quarter": quarter}, "/settlement-runs/"+quarter)
	return mustStatus(t, e.Do("GET", "/settlements/"+quarter, token, nil), 200, "statements "+quarter)
}

// byProject indexes a quarter's statements by project.
func byProject(body map[string]any) map[string]map[string]any {
	out := map[string]map[string]any{}
	for _, it := range body["items"].([]any) {
		m := it.(map[string]any)
		out[m["projectId"].(string)] = m
	}
	return out
}

// contentForm fills the S-A1 content form with the points in table order.
func contentForm(points ...int) map[string]any {
	keys := []string{"product_planning", "function_dev", "interface_dev", "data_analysis", "test_training",
		"audit_optimisation", "content_curation", "online_marketing", "campaign_planning", "page_design"}
	items := map[string]any{}
	for i, k := range keys {
		items[k] = points[i]
	}
	return map[string]any{"items": items}
}

func sumPayable(t *testing.T, sts map[string]map[string]any) int64 {
	t.Helper()
	var sum int64
	for _, st := range sts {
		sum += fen(t, st["payable"].(string))
	}
	return sum
}

// TestPartnerYear runs a support partner's whole year through the API: intake,
// deposit, agreement, a project through review scoring and its S§11 approval,
// two registered projects, the quarters' inputs, the accruals, three quarterly
// settlements with a fine and a staff change drawing on the deposit, the
// statements' confirmation and approval, the annual clearing (decline rule and
// a negative Q4 clearing), the XLSX, and the annual and end-of-term assessments.
func TestPartnerYear(t *testing.T) {
	e := stacktest.New(t)
	tok := staff(t, e, nil)
	admin := tok["admin"]
	x := createProduct(t, e, admin, map[string]any{"name": "手机视频", "level": "city", "mode": "self_built", "stage": "commercial", "noticeDate": "2024-06-01"})["id"].(string)
	y := createProduct(t, e, admin, map[string]any{"name": "彩铃平台", "level": "city", "mode": "self_built", "stage": "commercial", "noticeDate": "2023-06-01"})["id"].(string)
	pid := activePartner(t, e, tok, "长期运营伙伴", "2025-01-01")
	// mkt2 declares a relation with the partner (P§24).
	mustStatus(t, e.Do("PUT", "/users/mkt2", admin, map[string]any{"name": "mkt2", "email": "mkt2@example.test",
		"roles": []string{"marketing"}, "dept": "marketing", "relatedPartners": []string{pid}}), 200, "relate mkt2")

	// SPEC 4.2: a project with bad terms is refused, every field named.
	res := e.Do("POST", "/support-projects", tok["inn1"], map[string]any{"partnerId": pid, "productId": "prd_none",
		"benefitType": "direct", "contentType": "deep_content", "contributionRate": "1.2", "annualTarget": "0"})
	if f := fieldsOf(t, res); res.Status != 400 || f["productId"] == nil || f["contributionRate"] == nil || f["annualTarget"] == nil {
		t.Fatalf("bad project: %d %s", res.Status, res.Body)
	}
	rp := mustStatus(t, e.Do("POST", "/support-projects", tok["inn1"], map[string]any{"partnerId": pid, "productId": x,
		"benefitType": "direct", "contentType": "ordinary_content", "minWorkload": 100, "annualTarget": "1000000.00",
		"startDate": "2025-01-01"}), 201, "project R")
	r := rp["id"].(string)
	if rp["status"] != "review" || rp["contributionRate"] != "0.027" || rp["mode"] != "revenue" {
		t.Fatalf("project R %v", rp)
	}

	// S§11, S-A1: out-of-range and unknown items are refused and named.
	bad := contentForm(8, 16, 4, 6, 6, 3, 12, 3, 6, 10)
	bad["items"].(map[string]any)["foo"] = 1
	res = e.Do("POST", "/support-projects/"+r+"/scores", tok["mkt1"], bad)
	if f := fieldsOf(t, res); res.Status != 400 || f["items.function_dev"] == nil || f["items.foo"] == nil {
		t.Fatalf("bad form: %d %s", res.Status, res.Body)
	}
	if res := e.Do("POST", "/support-projects/"+r+"/scores", tok["mkt2"], contentForm(8, 12, 4, 6, 6, 3, 12, 3, 6, 10)); res.Status != 403 {
		t.Fatalf("a related reviewer: %d %s", res.Status, res.Body)
	}
	if res := e.Do("POST", "/support-projects/"+r+"/scores", tok["dgm1"], contentForm(8, 12, 4, 6, 6, 3, 12, 3, 6, 10)); res.Status != 403 {
		t.Fatalf("a reviewer of no reviewing department: %d", res.Status)
	}
	mustStatus(t, e.Do("POST", "/support-projects/"+r+"/scores", tok["mkt1"], contentForm(8, 12, 4, 6, 6, 3, 12, 3, 6, 10)), 201, "marketing 70")
	if res := e.Do("POST", "/support-projects/"+r+"/scores", tok["mkt1"], contentForm(8, 12, 4, 6, 6, 3, 12, 3, 6, 10)); res.Status != 409 {
		t.Fatalf("a second form: %d", res.Status)
	}
	v := mustStatus(t, e.Do("POST", "/support-projects/"+r+"/scores", tok["fin1"], contentForm(6, 9, 3, 6, 6, 3, 10, 3, 6, 9)), 201, "finance 61")
	if v["supportNeeded"] != false || v["review"].(map[string]any)["complete"] != false || v["score"].(float64) != 65.5 {
		t.Fatalf("provisional review %v", v["review"])
	}
	v = mustStatus(t, e.Do("POST", "/support-projects/"+r+"/scores", tok["inn1"], contentForm(5, 9, 3, 5, 5, 3, 9, 1, 5, 5)), 201, "innovation 50")
	// Mean of 70, 61 and 50 = 60.33…: support needed, the approval starts.
	if v["score"].(float64) != 60.33 || v["supportNeeded"] != true || v["status"] != "approving" {
		t.Fatalf("review %v, status %v", v["review"], v["status"])
	}
	if res := e.Do("POST", "/support-projects/"+r+"/approvals", tok["dgm1"], map[string]any{"decision": "approve"}); res.Status != 409 {
		t.Fatalf("the deputy GM first: %d", res.Status)
	}
	for _, who := range []string{"inn2", "mkt1", "fin1", "inn1"} {
		v = mustStatus(t, e.Do("POST", "/support-projects/"+r+"/approvals", tok[who], map[string]any{"decision": "approve"}), 200, "approval by "+who)
		if who == "inn2" {
			// SPEC 6: who initiated the approval does not countersign it.
			if res := e.Do("POST", "/support-projects/"+r+"/approvals", tok["inn2"], map[string]any{"decision": "approve"}); res.Status != 403 {
				t.Fatalf("the initiator countersigning: %d %s", res.Status, res.Body)
			}
		}
	}
	// SPEC 2.4, 6: the deputy GM decides through the emailed link, not the API.
	if res := e.Do("POST", "/support-projects/"+r+"/approvals", tok["dgm1"], map[string]any{"decision": "approve"}); res.Status != 403 {
		t.Fatalf("the deputy GM through the API: %d", res.Status)
	}
	link := latestLinkFor(t, e, "dgm1@example.test")
	if st, html := page(t, link, nil); st != 200 || !strings.Contains(html, "运营支撑项目审批") || strings.Contains(html, `id="return"`) {
		t.Fatalf("project approval page: %d", st)
	}
	if st, _ := page(t, link, url.Values{"decision": {"approve"}}); st != 200 {
		t.Fatalf("the deputy GM's link: %d", st)
	}
	if st, _ := page(t, link, url.Values{"decision": {"approve"}}); st != 409 {
		t.Fatalf("the deputy GM's link reused: %d", st)
	}
	v = mustStatus(t, e.Do("GET", "/support-projects/"+r, tok["inn1"], nil), 200, "project")
	if v["status"] != "approved" {
		t.Fatalf("after the approval: %v", v["status"])
	}

	// Admins register existing approved contracts: G (guarantee) and R2, whose
	// previous year makes the decline rule fire.
	gBody := map[string]any{"partnerId": pid, "productId": x, "benefitType": "guarantee", "contentType": "basic_function",
		"status": "approved", "startDate": "2025-01-01", "items": []map[string]any{
			{"name": "内容审核", "unitPrice": "1000.00", "plannedWorkload": 30}, {"name": "页面制作", "unitPrice": "500.00", "plannedWorkload": 20}}}
	if res := e.Do("POST", "/support-projects", tok["inn1"], gBody); res.Status != 403 {
		t.Fatalf("innovation registering an approved project: %d", res.Status)
	}
	g := mustStatus(t, e.Do("POST", "/support-projects", admin, gBody), 201, "project G")["id"].(string)
	r2 := mustStatus(t, e.Do("POST", "/support-projects", admin, map[string]any{"partnerId": pid, "productId": y,
		"benefitType": "direct", "contentType": "deep_content", "contributionRate": "0.03", "minWorkload": 0,
		"annualTarget": "2000000.00", "status": "approved", "startDate": "2025-01-01",
		"lastYear": map[string]any{"year": 2024, "revenue": "2000000.00", "fee": "40000.00"}}), 201, "project R2")["id"].(string)

	// Revenue of 2025: X 100,000 a month in H1 and 80,000 in H2; Y 150,000 to September, then 10,000.
	var csv strings.Builder
	csv.WriteString("product_id,month,value\n")
	for m := 1; m <= 12; m++ {
		xv, yv := "100000.00", "150000.00"
		if m > 6 {
			xv = "80000.00"
		}
		if m > 9 {
			yv = "10000.00"
		}
		fmt.Fprintf(&csv, "%s,2025-%02d,%s\n%s,2025-%02d,%s\n", x, m, xv, y, m, yv)
	}
	mustStatus(t, e.Do("POST", "/imports/revenue", admin, csv.String(), "Content-Type", "text/csv"), 201, "revenue import")

	quarter := func(project, q string, body map[string]any) {
		t.Helper()
		mustStatus(t, e.Do("PUT", "/support-projects/"+project+"/quarters/"+q, tok["inn1"], body), 200, "quarter "+q+" of "+project)
	}
	items := func(s1, s2 any) []map[string]any {
		return []map[string]any{{"name": "内容审核", "workload": 30, "score": s1}, {"name": "页面制作", "workload": 20, "score": s2}}
	}
	for i, w := range []int{120, 90, 110, 100} {
		q := fmt.Sprintf("2025-Q%d", i+1)
		quarter(r, q, map[string]any{"workload": w, "serviceScore": []int{90, 80, 70, 60}[i]})
		quarter(r2, q, map[string]any{"workload": 10, "serviceScore": 80})
	}
	// Shares at 90/85 (100%), 84 (98%) and 60 (50%), 59.49 and 59 (59 points: 40%), 85/100 (100%).
	quarter(g, "2025-Q1", map[string]any{"items": items(90, 85), "serviceScore": 88})
	quarter(g, "2025-Q2", map[string]any{"items": items(84, 60), "serviceScore": 72})
	quarter(g, "2025-Q3", map[string]any{"items": items(59.49, 59), "serviceScore": 59})
	quarter(g, "2025-Q4", map[string]any{"items": items(85, 100), "serviceScore": 58})
	res = e.Do("PUT", "/support-projects/"+g+"/quarters/2025-Q1", tok["inn1"], map[string]any{"workload": 3,
		"items": []map[string]any{{"name": "内容审核", "workload": 30, "score": 101}}, "serviceScore": 88})
	if f := fieldsOf(t, res); res.Status != 400 || f["workload"] == nil || f["items[0].score"] == nil || f["items"] == nil {
		t.Fatalf("bad quarter input: %d %s", res.Status, res.Body)
	}

	// S§19, S§21: a fine at its upper limit and a staff change in Q3.
	mustStatus(t, e.Do("POST", "/partners/"+pid+"/penalties", tok["inn1"], map[string]any{"category": "major_complaint",
		"amount": "20000.00", "quarter": "2025-Q3", "reason": "群体性投诉"}), 201, "fine")
	mustStatus(t, e.Do("POST", "/partners/"+pid+"/staff-changes", tok["inn1"], map[string]any{"person": "王五",
		"joinedOn": "2024-03-01", "changedOn": "2025-08-01", "noticeOn": "2025-07-01"}), 201, "staff change")

	// S§17: July's accruals, reversed by the Q3 settlement.
	runJob(t, e, admin, "/accrual-runs", map[string]any{"month": "2025-07"}, "/accrual-runs/2025-07")
	acc := map[string]string{}
	for _, it := range mustStatus(t, e.Do("GET", "/accruals/2025-07", admin, nil), 200, "accruals")["items"].([]any) {
		m := it.(map[string]any)
		acc[m["projectId"].(string)] = m["amount"].(string)
	}
	if acc[r] != "2160.00" || acc[r2] != "4500.00" || acc[g] != "13333.33" {
		t.Fatalf("July accruals %v", acc)
	}

	q1 := byProject(settle(t, e, admin, "2025-Q1"))
	// A period's listings page with ?limit= and ?cursor=: one statement and
	// one accrual a page, each once, the same as the whole listing.
	for _, path := range []string{"/settlements/2025-Q1", "/accruals/2025-07"} {
		seen := map[string]bool{}
		for cursor, pages := "", 0; ; pages++ {
			page := mustStatus(t, e.Do("GET", path+"?limit=1&cursor="+cursor, admin, nil), 200, path+" paged")
			items := page["items"].([]any)
			if len(items) > 1 || pages > 10 {
				t.Fatalf("%s page %d: %d items", path, pages, len(items))
			}
			for _, it := range items {
				id := it.(map[string]any)["projectId"].(string)
				if seen[id] {
					t.Fatalf("%s: %s on two pages", path, id)
				}
				seen[id] = true
			}
			if cursor, _ = page["nextCursor"].(string); cursor == "" {
				break
			}
		}
		if whole := mustStatus(t, e.Do("GET", path, admin, nil), 200, path)["items"].([]any); len(seen) != len(whole) || len(whole) < 2 {
			t.Fatalf("%s: %d items over the pages, %d in one", path, len(seen), len(whole))
		}
	}
	if res := e.Do("GET", "/accruals/2025-07?limit=0", admin, nil); res.Status != 400 {
		t.Fatalf("limit 0: %d", res.Status)
	}
	if s := q1[r]; s["revenue"] != "300000.00" || s["rate"] != "0.027" || s["fee"] != "8100.00" || s["payable"] != "8100.00" || s["mode"] != "revenue" || s["status"] != "draft" {
		t.Fatalf("Q1 R %v", s)
	}
	if s := q1[g]; s["base"] != "40000.00" || s["share"] != "1" || s["fee"] != "40000.00" || s["mode"] != "guarantee" {
		t.Fatalf("Q1 G %v", s)
	}
	if s := q1[r2]; s["fee"] != "13500.00" || s["policyVersion"] == "" || s["rule"] == "" {
		t.Fatalf("Q1 R2 %v", s)
	}
	q2 := byProject(settle(t, e, admin, "2025-Q2"))
	if s := q2[r]; s["fee"] != "0.00" || !strings.Contains(fmt.Sprint(s["flags"]), "workload_below_minimum") {
		t.Fatalf("Q2 R below its workload minimum %v", s)
	}
	if s := q2[g]; s["fee"] != "34400.00" || s["share"] != nil {
		t.Fatalf("Q2 G (98%% and 50%%) %v", s)
	}

	// Q3: fees 6,480 + 16,000 + 13,500 = 35,980 cannot cover the 40,000 of
	// charges: 4,020 comes from the deposit, and nothing is payable.
	q3body := settle(t, e, admin, "2025-Q3")
	q3 := byProject(q3body)
	if s := q3[g]; s["fee"] != "16000.00" || s["share"] != "0.4" {
		t.Fatalf("Q3 G (59.49 and 59) %v", s)
	}
	if q3[r]["reversal"].(map[string]any)["total"] != "-2160.00" {
		t.Fatalf("Q3 R reverses July's accrual: %v", q3[r]["reversal"])
	}
	var fromDeposit int64
	for _, s := range q3 {
		fromDeposit += fen(t, s["fromDeposit"].(string))
	}
	if fromDeposit != 402000 || sumPayable(t, q3) != 0 {
		t.Fatalf("Q3 drew %d fen on the deposit and pays %d; want 4020.00 and 0", fromDeposit, sumPayable(t, q3))
	}
	if p := mustStatus(t, e.Do("GET", "/partners/"+pid, admin, nil), 200, "partner"); p["depositBalance"] != "295980.00" {
		t.Fatalf("deposit after Q3 %v", p["depositBalance"])
	}
	// A re-run of Q3 gives identical statements and draws nothing twice.
	again := settle(t, e, admin, "2025-Q3")
	if !reflect.DeepEqual(q3body["items"], again["items"]) {
		a, _ := json.Marshal(q3body["items"])
		b, _ := json.Marshal(again["items"])
		t.Fatalf("re-run differs:\n%s\n%s", a, b)
	}
	p := mustStatus(t, e.Do("GET", "/partners/"+pid, admin, nil), 200, "partner")
	if p["depositBalance"] != "295980.00" {
		t.Fatalf("deposit after the re-run %v", p["depositBalance"])
	}

	// S§15: marketing confirms the revenue, then finance approves; related and
	// out-of-turn callers are refused; a confirmed quarter is final.
	if res := e.Do("POST", "/settlements/2025-Q1/"+r+"/approve", tok["fin1"], nil); res.Status != 409 {
		t.Fatalf("finance before marketing: %d %s", res.Status, res.Body)
	}
	if res := e.Do("POST", "/settlements/2025-Q1/"+r+"/confirm", tok["mkt2"], nil); res.Status != 403 {
		t.Fatalf("a related marketer: %d", res.Status)
	}
	if res := e.Do("POST", "/settlements/2025-Q1/"+r+"/confirm", tok["fin1"], nil); res.Status != 403 {
		t.Fatalf("finance confirming revenue: %d", res.Status)
	}
	mustStatus(t, e.Do("POST", "/settlements/2025-Q1/"+r+"/confirm", tok["mkt1"], map[string]any{"comment": "收入已核"}), 200, "confirm")
	st := mustStatus(t, e.Do("POST", "/settlements/2025-Q1/"+r+"/approve", tok["fin1"], nil), 200, "approve")
	if st["status"] != "approved" || len(st["acts"].([]any)) != 2 {
		t.Fatalf("approved statement %v", st)
	}
	if res := e.Do("POST", "/partners/"+pid+"/penalties", tok["inn1"], map[string]any{"category": "warning", "quarter": "2025-Q1", "reason": "迟报"}); res.Status != 409 {
		t.Fatalf("a charge in a confirmed quarter: %d", res.Status)
	}
	if res := e.Do("PUT", "/support-projects/"+r+"/quarters/2025-Q1", tok["inn1"], map[string]any{"workload": 1, "serviceScore": 1}); res.Status != 409 {
		t.Fatalf("changing an approved quarter's input: %d", res.Status)
	}

	// S§17, S-A5: the annual clearing replaces the revenue mode's Q4.
	runJob(t, e, admin, "/annual-clearings", map[string]any{"year": 2025}, "/settlement-runs/2025-Q4")
	q4 := byProject(mustStatus(t, e.Do("GET", "/settlements/2025-Q4", admin, nil), 200, "Q4"))
	c := q4[r]["clearing"].(map[string]any)
	if q4[r]["kind"] != "annual_clearing" || c["annualFee"] != "29160.00" || c["settledQ1toQ3"] != "14580.00" || c["q4Clearing"] != "14580.00" || c["declineRule"] != false {
		t.Fatalf("R's clearing %v", c)
	}
	c2 := q4[r2]["clearing"].(map[string]any)
	if c2["declineRule"] != true || c2["feeAtRate"] != "41400.00" || c2["annualFee"] != "27600.00" || c2["q4Clearing"] != "-12900.00" {
		t.Fatalf("R2's clearing (decline rule, negative) %v", c2)
	}
	if q4[g]["kind"] != "quarterly" || q4[g]["fee"] != "40000.00" {
		t.Fatalf("G's Q4 %v", q4[g])
	}
	// The overpaid 12,900 is recovered from the quarter's other fees.
	if got := sumPayable(t, q4); got != 4000000+1458000-1290000 {
		t.Fatalf("Q4 pays %d fen, want 41680.00", got)
	}
	ac := mustStatus(t, e.Do("GET", "/annual-clearings/2025", admin, nil), 200, "annual clearing")
	if n := len(ac["items"].([]any)); n != 2 {
		t.Fatalf("%d clearing statements, want 2", n)
	}
	x4 := e.Do("GET", "/settlements/2025-Q4.xlsx", admin, nil)
	if x4.Status != 200 || !bytes.HasPrefix(x4.Body, []byte("PK")) {
		t.Fatalf("xlsx: %d", x4.Status)
	}
	f, err := excelize.OpenReader(bytes.NewReader(x4.Body))
	if err != nil {
		t.Fatal(err)
	}
	rows, err := f.GetRows("年度清算")
	if err != nil || len(rows) != 4 || rows[1][10] != "第4季度清算费用（元）" {
		t.Fatalf("clearing sheet %v %v", rows, err)
	}
	if sheets := f.GetSheetList(); !reflect.DeepEqual(sheets, []string{"表一 收入考核", "表二 保障考核", "年度清算", "扣减与保证金"}) {
		t.Fatalf("sheets %v", sheets)
	}
	// A client that asks for JSON (the console) gets the link to open itself.
	dl := mustStatus(t, e.Do("GET", "/settlements/2025-Q4.xlsx", admin, nil, "Accept", "application/json"), 200, "xlsx link")
	if u, _ := dl["url"].(string); !strings.Contains(u, "X-Amz-Signature=") || dl["expiresIn"] != float64(300) {
		t.Fatalf("xlsx link %v", dl)
	}
	// The ledger names the partner (not its id), once.
	if rows, err := f.GetRows("扣减与保证金"); err != nil || len(rows) != 3 || rows[2][0] != "长期运营伙伴" {
		t.Fatalf("ledger sheet %v %v", rows, err)
	}

	// S§21, S-A6: R 80% × 100 + 20% × 75 = 95; G mean(88, 72, 59, 58) = 69.25;
	// R2 80% × 69 + 20% × 80 = 71.2; partner (95 + 69.25 + 71.2) ÷ 3 − 3 = 75.48.
	p = mustStatus(t, e.Do("POST", "/partners/"+pid+"/annual-assessments", tok["inn1"], map[string]any{"year": 2025}), 200, "annual assessment")
	year := p["annualScores"].([]any)[0].(map[string]any)
	scores := map[string]float64{}
	for _, py := range year["projects"].([]any) {
		m := py.(map[string]any)
		scores[m["projectId"].(string)] = m["result"].(map[string]any)["score"].(float64)
	}
	if scores[r] != 95 || scores[g] != 69.25 || scores[r2] != 71.2 || year["score"].(float64) != 75.48 || year["passed"] != true {
		t.Fatalf("2025 assessment: projects %v, partner %v", scores, year["score"])
	}
	got := mustStatus(t, e.Do("GET", "/partners/"+pid, tok["mkt1"], nil), 200, "partner")
	if got["kind"] != "support" || got["status"] != "active" || got["screening"].(map[string]any)["eligible"] != true ||
		got["depositBalance"] != "295980.00" || len(got["annualScores"].([]any)) != 1 {
		t.Fatalf("partner view %v", got)
	}
	// S-A6 表四: 80% × 75.48… + 18 = 78.39 supports renewal.
	p = mustStatus(t, e.Do("POST", "/partners/"+pid+"/term-evaluation", tok["inn1"], map[string]any{"recheck": map[string]any{
		"overall_strength": 4, "operation_team": 4, "support_experience": 4, "success_cases": 3, "qualifications": 3}}), 200, "term evaluation")
	if te := p["termEvaluation"].(map[string]any)["result"].(map[string]any); te["total"].(float64) != 78.39 || te["renewal"] != true {
		t.Fatalf("term evaluation %v", te)
	}
}

// TestAssessmentExitBansReentry: two failing years end a partnership by
// assessment (S§21) with a warning for consecutive failing quarters, and the
// same applicant is refused for three years. The quarterly schedule of
// template.yaml fires on the local stack.
func TestAssessmentExitBansReentry(t *testing.T) {
	e := stacktest.New(t)
	tok := staff(t, e, nil)
	admin := tok["admin"]
	prd := createProduct(t, e, admin, map[string]any{"name": "信息安全", "level": "province", "mode": "self_built", "stage": "commercial", "noticeDate": "2022-01-01"})["id"].(string)
	pid := activePartner(t, e, tok, "欠佳伙伴", "2023-01-01")
	g := mustStatus(t, e.Do("POST", "/support-projects", admin, map[string]any{"partnerId": pid, "productId": prd,
		"benefitType": "guarantee", "contentType": "function", "status": "approved", "startDate": "2023-01-01",
		"items": []map[string]any{{"name": "安全监控", "unitPrice": "800.00"}}}), 201, "project")["id"].(string)
	// Contracts run a year; the 2024 one is a new contract (S§14 refuses the renewal).
	project := g
	for y := 2023; y <= 2024; y++ {
		for q := 1; q <= 4; q++ {
			score := []float64{70, 55, 50, 62}[q-1]
			mustStatus(t, e.Do("PUT", fmt.Sprintf("/support-projects/%s/quarters/%d-Q%d", project, y, q), tok["inn1"], map[string]any{
				"items": []map[string]any{{"name": "安全监控", "workload": 10, "score": score}}, "serviceScore": score}), 200, "quarter")
		}
		if y == 2023 {
			p := mustStatus(t, e.Do("POST", "/partners/"+pid+"/annual-assessments", tok["inn1"], map[string]any{"year": 2023}), 200, "2023")
			a := p["annualScores"].([]any)[0].(map[string]any)
			if a["score"].(float64) != 59.25 || a["passed"] != false || a["warning"].(map[string]any)["triggered"] != true || p["status"] != "active" {
				t.Fatalf("2023 assessment %v", a)
			}
			// Renewal needs a passing last year (S§14): refused here with the reason.
			for _, who := range []string{"mkt1", "fin1", "inn1"} {
				mustStatus(t, e.Do("POST", "/support-projects/"+g+"/scores", tok[who], map[string]any{"year": 2024, "items": map[string]any{
					"product_planning": 9, "function_dev": 13, "interface_dev": 5, "data_analysis": 13, "test_training": 13,
					"audit_optimisation": 9, "online_marketing": 5, "campaign_planning": 9, "page_design": 13}}), 201, "2024 review")
			}
			rn := mustStatus(t, e.Do("POST", "/support-projects/"+g+"/renewals", tok["inn1"], map[string]any{"year": 2024}), 200, "renewal")
			if rn["renewal"].(map[string]any)["renew"] != false || !strings.Contains(rn["renewal"].(map[string]any)["reason"].(string), "below") {
				t.Fatalf("renewal after a failing year %v", rn)
			}
			project = mustStatus(t, e.Do("POST", "/support-projects", admin, map[string]any{"partnerId": pid, "productId": prd,
				"benefitType": "guarantee", "contentType": "function", "status": "approved", "startDate": "2024-01-01",
				"items": []map[string]any{{"name": "安全监控", "unitPrice": "800.00"}}}), 201, "the 2024 contract")["id"].(string)
		}
	}
	p := mustStatus(t, e.Do("POST", "/partners/"+pid+"/annual-assessments", tok["inn1"], map[string]any{"year": 2024}), 200, "2024")
	if p["status"] != "exited" || p["exit"].(map[string]any)["type"] != "assessment" {
		t.Fatalf("after two failing years: %v, exit %v", p["status"], p["exit"])
	}
	again := mustStatus(t, e.Do("POST", "/partners", tok["inn1"], supportFacts("欠佳伙伴")), 201, "re-application")
	sc := again["screening"].(map[string]any)
	fails := sc["failures"].([]any)
	if sc["eligible"] != false || len(fails) != 1 || fails[0].(map[string]any)["criterion"] != "reentryBan" || fails[0].(map[string]any)["article"] != "S§21" {
		t.Fatalf("re-application screening %v", sc)
	}

	// The quarterly schedule fires on the 5th of the quarter's next month at
	// 03:00 in Shanghai, for the quarter before.
	entries, err := e.Stack.Schedules()
	if err != nil {
		t.Fatal(err)
	}
	var quarterly *scheduler.Entry
	for i := range entries {
		if entries[i].ResourceID == "QuarterlySettlementStateMachine" && strings.Contains(entries[i].Input, `"job":"quarter"`) {
			quarterly = &entries[i]
		}
	}
	if quarterly == nil {
		t.Fatal("template.yaml has no quarterly settlement schedule")
	}
	at, ok := quarterly.Schedule.Next(time.Date(2024, 3, 20, 0, 0, 0, 0, time.UTC))
	if !ok || !at.Equal(time.Date(2024, 4, 4, 19, 0, 0, 0, time.UTC)) {
		t.Fatalf("next fire %v, want 2024-04-05 03:00 Shanghai", at)
	}
	if err := e.Stack.Fire(t.Context(), *quarterly, at); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the scheduled settlement of 2024-Q1", func() bool {
		res := e.Do("GET", "/settlement-runs/2024-Q1", admin, nil)
		return res.Status == 200 && res.Map(t)["status"] == "succeeded"
	})
	q1 := mustStatus(t, e.Do("GET", "/settlements/2024-Q1", admin, nil), 200, "2024-Q1")
	if n := len(q1["items"].([]any)); n != 1 {
		t.Fatalf("the scheduled run wrote %d statements, want the 2024 contract's one", n)
	}
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
