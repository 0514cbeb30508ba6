package api_test

import (
	"bytes"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddb "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/xuri/excelize/v2"

	"productgov/infra/localstack/stacktest"
	"productgov/shared/directory"
)

// finishedRun starts a job through the API and polls its run record over HTTP
// until one more run has ended, succeeded or failed; it never asks the engine.
func finishedRun(t *testing.T, e *stacktest.Env, token, route string, body map[string]any, runPath string) map[string]any {
	t.Helper()
	before := 0
	if res := e.Do("GET", runPath, token, nil); res.Status == 200 {
		before = int(res.Map(t)["runs"].(float64))
	}
	mustStatus(t, e.Do("POST", route, token, body), 202, "start "+route)
	var run map[string]any
	deadline := time.Now().Add(30 * time.Second)
	for {
		res := e.Do("GET", runPath, token, nil)
		if res.Status == 200 {
			run = res.Map(t)
			if int(run["runs"].(float64)) == before+1 && (run["status"] == "succeeded" || run["status"] == "failed") {
				return run
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s did not end: last %v", runPath, run)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// revenueProject registers an approved revenue-mode project of a partner on a
// product from 2025-01-01, with its 2025-Q3 workload and the product's Q3 revenue.
func revenueProject(t *testing.T, e *stacktest.Env, tok map[string]string, pid, product string) string {
	t.Helper()
	prj := mustStatus(t, e.Do("POST", "/support-projects", tok["admin"], map[string]any{"partnerId": pid, "productId": product,
		"benefitType": "direct", "contentType": "ordinary_content", "minWorkload": 0, "annualTarget": "1000000.00",
		"status": "approved", "startDate": "2025-01-01"}), 201, "project")["id"].(string)
	mustStatus(t, e.Do("PUT", "/support-projects/"+prj+"/quarters/2025-Q3", tok["inn1"],
		map[string]any{"workload": 10, "serviceScore": 80}), 200, "quarter input")
	return prj
}

// Defect 1 (issue 9): a core-staff change recorded without a notice date (S§21
// 否则: no notice at all) round-trips through the store, is charged in its
// quarter's settlement, and one partner's failure leaves the others settled.
func TestStaffChangeWithoutNoticeSettles(t *testing.T) {
	e := stacktest.New(t)
	tok := staff(t, e, nil)
	admin := tok["admin"]
	x := createProduct(t, e, admin, map[string]any{"name": "视频彩铃", "level": "city", "mode": "self_built", "stage": "commercial", "noticeDate": "2024-06-01"})["id"].(string)
	for _, m := range []string{"07", "08", "09"} {
		mustStatus(t, e.Do("PUT", "/products/"+x+"/revenue/2025-"+m, admin, map[string]any{"amount": "100000.00"}), 200, "revenue")
	}
	a := activePartner(t, e, tok, "甲运营", "2025-01-01")
	b := activePartner(t, e, tok, "乙运营", "2025-01-01")
	c := activePartner(t, e, tok, "丙运营", "2025-01-01")
	pa := revenueProject(t, e, tok, a, x)
	pb := revenueProject(t, e, tok, b, x)
	revenueProject(t, e, tok, c, x)

	// Joined 2023-01-01, left 2025-08-15 after more than two years, and never
	// applied: no noticeOn at all.
	st := mustStatus(t, e.Do("POST", "/partners/"+a+"/staff-changes", tok["inn1"], map[string]any{"person": "赵六",
		"joinedOn": "2023-01-01", "changedOn": "2025-08-15"}), 201, "staff change without notice")
	if ch := st["charge"].(map[string]any); ch["penalised"] != true || ch["charge"] != "20000.00" || !strings.Contains(ch["reason"].(string), "without notice") {
		t.Fatalf("staff change without notice %v", st)
	}
	charges := mustStatus(t, e.Do("GET", "/partners/"+a+"/charges", tok["mkt1"], nil), 200, "charges after a change without notice")
	sc := charges["staffChanges"].([]any)
	if len(sc) != 1 || sc[0].(map[string]any)["noticeOn"] != nil {
		t.Fatalf("staff changes %v", sc)
	}

	// Partner C's record is unreadable (as a store fault would leave it): its
	// settlement fails, named in the run, and A and B are settled all the same.
	_, err := e.Sys.Store.Client().PutItem(t.Context(), &dynamodb.PutItemInput{TableName: aws.String(e.Sys.Store.Table()),
		Item: map[string]ddb.AttributeValue{"pk": &ddb.AttributeValueMemberS{Value: "PARTNER#" + c},
			"sk": &ddb.AttributeValueMemberS{Value: "PENALTY#2025-Q3#broken"}, "type": &ddb.AttributeValueMemberS{Value: "penalty"},
			"doc": &ddb.AttributeValueMemberS{Value: "{not json"}}})
	if err != nil {
		t.Fatal(err)
	}
	run := finishedRun(t, e, admin, "/settlement-runs", map[string]any{"quarter": "2025-Q3"}, "/settlement-runs/2025-Q3")
	if run["status"] != "failed" {
		t.Fatalf("run %v: want failed, naming partner %s", run, c)
	}
	failures := run["failures"].([]any)
	if len(failures) != 1 || failures[0].(map[string]any)["partnerId"] != c {
		t.Fatalf("failures %v, want only %s", failures, c)
	}
	sts := byProject(mustStatus(t, e.Do("GET", "/settlements/2025-Q3", admin, nil), 200, "statements"))
	// 300,000 × 2.7% = 8,100; A's charge of 20,000 takes it all and 11,900 of the deposit.
	if s := sts[pa]; s == nil || s["fee"] != "8100.00" || s["payable"] != "0.00" || s["fromDeposit"] != "11900.00" {
		t.Fatalf("A's statement %v", s)
	}
	if s := sts[pb]; s == nil || s["payable"] != "8100.00" {
		t.Fatalf("B's statement %v", s)
	}
	if p := mustStatus(t, e.Do("GET", "/partners/"+a, admin, nil), 200, "partner A"); p["depositBalance"] != "288100.00" {
		t.Fatalf("A's deposit %v", p["depositBalance"])
	}
	_ = fmt.Sprint
}

// trailingWindow is the 12 complete months before now in Shanghai (SPEC 2.3).
func trailingWindow() []string {
	now := time.Now().In(time.FixedZone("Asia/Shanghai", 8*3600))
	first := time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, now.Location())
	out := make([]string, 12)
	for i := range out {
		out[i] = first.AddDate(0, i-12, 0).Format("2006-01")
	}
	return out
}

// Defect 2 (issue 9): an exit is routed on the records, not on the figures the
// applicant writes; both are shown on the submission.
func TestExitRoutedOnRecords(t *testing.T) {
	e := stacktest.New(t)
	tokens := people(t, e, nil)
	admin := e.Token("admin", "admin")
	pid := createProduct(t, e, admin, map[string]any{"name": "政企云盘", "level": "province", "mode": "self_built",
		"stage": "commercial", "noticeDate": "2023-01-10", "customers": 500})["id"].(string)
	// 11 recorded months of 1,000,000 = 11,000,000 (≥ 10,000,000: gm_office);
	// the fourth month has no record and counts 0.
	window := trailingWindow()
	for i, m := range window {
		if i == 3 {
			continue
		}
		mustStatus(t, e.Do("PUT", "/products/"+pid+"/revenue/"+m, admin, map[string]any{"amount": "1000000.00"}), 200, "revenue "+m)
	}
	res := e.Do("POST", "/submissions", tokens["pm1"], map[string]any{"type": "exit", "productId": pid, "exitType": "pilot",
		"evaluation": "收入下滑", "exitPlan": "分批迁移", "replacementProduct": "无", "exitDate": "2027-06-30",
		"customerServicePlan": "客户经理逐户沟通", "trailingRevenue": "100.00", "customers": 1})
	body := mustStatus(t, res, 201, "exit with small figures written")
	if body["decisionLevel"] != "gm_office" {
		t.Fatalf("decision level %v (%v); want gm_office from the records", body["decisionLevel"], body["routing"])
	}
	sub := submission(t, e, tokens["pm1"], body["id"].(string))
	fig := sub["routing"].(map[string]any)["figures"].(map[string]any)
	if fig["trailingRevenue"] != "11000000.00" || fig["customers"].(float64) != 500 ||
		fig["applicantTrailingRevenue"] != "100.00" || fig["applicantCustomers"].(float64) != 1 {
		t.Fatalf("figures %v", fig)
	}
	if ms := fig["missingMonths"].([]any); len(ms) != 1 || ms[0] != window[3] {
		t.Fatalf("missing months %v, want [%s]", ms, window[3])
	}
	if reason := sub["routing"].(map[string]any)["reason"].(string); !strings.Contains(reason, window[3]) {
		t.Fatalf("the routing reason does not name the month without a record: %s", reason)
	}
	content := sub["content"].(map[string]any)
	if content["trailingRevenue"] != "100.00" {
		t.Fatalf("the applicant's figure is kept in the content: %v", content["trailingRevenue"])
	}
}

// finishedMonth runs a month's assessment through the API and polls its run.
func finishedMonth(t *testing.T, e *stacktest.Env, admin, month string) map[string]any {
	t.Helper()
	return finishedRun(t, e, admin, "/assessment-runs", map[string]any{"month": month}, "/assessment-runs/"+month)
}

// Defect 3 (issue 9): a month whose previous month was never run first runs
// the missing months in order (SPEC 3 "Missing months"): a product in warning
// whose next month fails reaches exit, not warning again.
func TestAssessmentCatchesUpMissingMonths(t *testing.T) {
	e := stacktest.New(t)
	people(t, e, nil)
	admin := e.Token("admin", "admin")
	// Noticed 2025-01-01: January to March exempt, April the first assessed month.
	id := createProduct(t, e, admin, map[string]any{"name": "补跑", "level": "city", "mode": "self_built",
		"stage": "commercial", "noticeDate": "2025-01-01"})["id"].(string)
	for _, m := range []string{"2025-02", "2025-03", "2025-04", "2025-05", "2025-06"} {
		mustStatus(t, e.Do("PUT", "/products/"+id+"/revenue/"+m, admin, map[string]any{"amount": "10000.00"}), 200, "revenue "+m)
	}
	if run := finishedMonth(t, e, admin, "2025-04"); run["status"] != "succeeded" {
		t.Fatalf("April run %v", run)
	}
	if r := results(t, e, admin, "2025-04")[id]; r["phaseAfter"] != "warning" {
		t.Fatalf("April %v", r)
	}
	// May is never run; June's run catches it up first.
	if run := finishedMonth(t, e, admin, "2025-06"); run["status"] != "succeeded" {
		t.Fatalf("June run %v", run)
	}
	may := results(t, e, admin, "2025-05")[id]
	if may == nil || may["phaseBefore"] != "warning" || may["phaseAfter"] != "exit" || may["opensExit"] != true || may["policyVersion"] == "" {
		t.Fatalf("May caught up %v", may)
	}
	june := results(t, e, admin, "2025-06")[id]
	if june["phaseBefore"] != "exit" || june["phaseAfter"] != "exit" {
		t.Fatalf("June %v: want exit from the caught-up May", june)
	}
	if run := mustStatus(t, e.Do("GET", "/assessment-runs/2025-05", admin, nil), 200, "May's run"); run["status"] != "succeeded" || run["catchUpFor"] != "2025-06" {
		t.Fatalf("May's run record %v", run)
	}
	if p := mustStatus(t, e.Do("GET", "/products/"+id, admin, nil), 200, "product"); p["phase"] != "exit" {
		t.Fatalf("product phase %v", p["phase"])
	}
	exits := func() []any {
		return mustStatus(t, e.Do("GET", "/submissions?productId="+id+"&type=exit", admin, nil), 200, "exits")["items"].([]any)
	}
	eventually(t, "the exit opened by the caught-up May", func() bool { return len(exits()) == 1 })
	// A re-run of June catches up nothing more and gives the same record.
	finishedMonth(t, e, admin, "2025-06")
	if again := results(t, e, admin, "2025-06")[id]; fmt.Sprint(again) != fmt.Sprint(june) {
		t.Fatalf("re-run of June differs:\n%v\n%v", june, again)
	}
	if n := len(exits()); n != 1 {
		t.Fatalf("%d exits after the re-run", n)
	}
}

// Defect 4 (issue 9): a missing revenue figure leaves the quality track
// assessed (SPEC 3 "Missing data"): two consecutive quality fails reach exit.
func TestQualityTrackAssessedWhileRevenueMissing(t *testing.T) {
	e := stacktest.New(t)
	people(t, e, nil)
	admin := e.Token("admin", "admin")
	if err := e.Sys.Store.RegisterPartner(t.Context(), auditMeta(), "ptn_tracks", "si", "质量伙伴"); err != nil {
		t.Fatal(err)
	}
	id := createProduct(t, e, admin, map[string]any{"name": "双轨", "level": "city", "mode": "cooperative", "partnerId": "ptn_tracks",
		"stage": "commercial", "noticeDate": "2025-01-01"})["id"].(string)
	// Revenue passes in April (60,000 a month); May's revenue never arrives.
	for _, m := range []string{"2025-02", "2025-03", "2025-04"} {
		mustStatus(t, e.Do("PUT", "/products/"+id+"/revenue/"+m, admin, map[string]any{"amount": "60000.00"}), 200, "revenue "+m)
	}
	for _, m := range []string{"2025-04", "2025-05"} {
		mustStatus(t, e.Do("PUT", "/products/"+id+"/quality/"+m, admin, map[string]any{"score": "59.99"}), 200, "quality "+m)
	}
	finishedMonth(t, e, admin, "2025-04")
	if r := results(t, e, admin, "2025-04")[id]; r["phaseAfter"] != "warning" || r["qualityTrackAfter"] != "warning" || r["revenueTrackAfter"] != "assessment" {
		t.Fatalf("April %v", r)
	}
	run := finishedMonth(t, e, admin, "2025-05")
	may := results(t, e, admin, "2025-05")[id]
	if may["result"] != "fail" || may["qualityTrackAfter"] != "exit" || may["revenueTrackAfter"] != "assessment" ||
		may["phaseAfter"] != "exit" || may["opensExit"] != true || may["revenuePass"] != nil || may["qualityPass"] != false {
		t.Fatalf("May %v", may)
	}
	pt := may["pendingTracks"].([]any)
	if len(pt) != 1 || pt[0].(map[string]any)["track"] != "revenue" {
		t.Fatalf("pending tracks %v", pt)
	}
	if tracks := run["summary"].(map[string]any)["pendingTracks"].([]any); len(tracks) != 1 || tracks[0].(map[string]any)["productId"] != id {
		t.Fatalf("the run report's pending tracks %v", tracks)
	}
	page := e.Do("GET", "/assessments/2025-05/report.html?access_token="+admin, "", nil)
	if page.Status != 200 || !strings.Contains(string(page.Body), "收入考核") || !strings.Contains(string(page.Body), "2025年5月") {
		t.Fatalf("report page %d lacks the pending revenue track", page.Status)
	}
}

// directoryOf puts people in the user directory (sub → roles and
// department) and returns their tokens.
func directoryOf(t *testing.T, e *stacktest.Env, entries map[string][2]any) map[string]string {
	t.Helper()
	admin := e.Token("admin", "admin")
	tokens := map[string]string{}
	for sub, u := range entries {
		roles := u[0].([]string)
		mustStatus(t, e.Do("PUT", "/users/"+sub, admin, map[string]any{"name": sub, "email": sub + "@example.test",
			"roles": roles, "dept": u[1], "relatedPartners": []string{}}), 200, "put user "+sub)
		var rs []directory.Role
		for _, r := range roles {
			rs = append(rs, directory.Role(r))
		}
		tokens[sub] = e.Token(sub, rs...)
	}
	return tokens
}

// reviewers are five voters drawn from the three departments P§8 composes
// both review stages from.
var reviewers = map[string][2]any{
	"r1": {[]string{"reviewer"}, "集团客户部"}, "r2": {[]string{"reviewer"}, "集团客户部"},
	"r3": {[]string{"reviewer"}, "政企客户中心"}, "r4": {[]string{"reviewer"}, "系统集成"},
	"r5": {[]string{"reviewer"}, "财务部"},
}

func passReviews(t *testing.T, e *stacktest.Env, tokens map[string]string, subID, applicant string) {
	t.Helper()
	for _, stage := range []string{"group", "cross_department"} {
		for _, r := range []string{"r1", "r2", "r3", "r4", "r5"} {
			if st := vote(t, e, tokens[r], subID, stage, "approve"); st != 201 {
				t.Fatalf("%s vote by %s: %d", stage, r, st)
			}
		}
		if stage == "group" {
			eventually(t, "cross review", func() bool { return submission(t, e, tokens[applicant], subID)["status"] != "group_review" })
		}
	}
}

// outboxTo lists the mails sent to an address, oldest first.
func outboxTo(t *testing.T, e *stacktest.Env, to string) []map[string]any {
	t.Helper()
	var msgs []map[string]any
	e.Do("GET", "/dev/outbox", "", nil).JSON(t, &msgs)
	var out []map[string]any
	for i := len(msgs) - 1; i >= 0; i-- {
		if msgs[i]["to"] == to {
			out = append(out, msgs[i])
		}
	}
	return out
}

// Defect 5 (issue 9): when nobody eligible holds the approver's role (the
// applicant is the only VP), the step is unassigned, the submission says so,
// every admin is emailed, and the step starts once the directory gains an
// eligible holder.
func TestUnassignedStepStartsWhenDirectoryGainsHolder(t *testing.T) {
	e := stacktest.New(t)
	entries := map[string][2]any{
		"pmvp": {[]string{"product_manager", "vp"}, "集团客户部"},
		"adm1": {[]string{"admin"}, "信息化部"}, "adm2": {[]string{"admin"}, "信息化部"},
		"gc1": {[]string{"group_customer"}, "集团客户部"},
	}
	for k, v := range reviewers {
		entries[k] = v
	}
	tokens := directoryOf(t, e, entries)
	pid := createProduct(t, e, tokens["pmvp"], map[string]any{"name": "无人审批", "level": "city", "mode": "self_built"})["id"].(string)
	res := mustStatus(t, e.Do("POST", "/submissions", tokens["pmvp"], demandContent(pid, "100000.00")), 201, "demand")
	id := res["id"].(string)
	if res["decisionLevel"] != "special_meeting" {
		t.Fatalf("level %v", res["decisionLevel"])
	}
	passReviews(t, e, tokens, id, "pmvp")
	countersignMinutes(t, e, tokens["pmvp"], id)
	var sub map[string]any
	eventually(t, "the VP step unassigned", func() bool {
		sub = submission(t, e, tokens["pmvp"], id)
		steps := sub["steps"].([]any)
		return len(steps) == 2 && steps[1].(map[string]any)["status"] == "unassigned"
	})
	if sub["status"] != "deciding" || !strings.Contains(fmt.Sprint(sub["statusNote"]), "unassigned") {
		t.Fatalf("the submission does not say the step is unassigned: %v %v", sub["status"], sub["statusNote"])
	}
	for _, adm := range []string{"adm1@example.test", "adm2@example.test"} {
		eventually(t, "the admins' notice to "+adm, func() bool {
			for _, m := range outboxTo(t, e, adm) {
				if strings.Contains(m["subject"].(string), "无人可审批") && strings.Contains(m["text"].(string), "pmvp 是申请人") {
					return true
				}
			}
			return false
		})
	}
	if n := len(linksTo(t, e, "pmvp@example.test")); n != 0 {
		t.Fatalf("the applicant got %d approval links for their own submission", n)
	}
	// A second VP joins the directory: the step starts with a link to them.
	directoryOf(t, e, map[string][2]any{"vp2": {[]string{"vp"}, "公司领导"}})
	link := linkFor(t, e, "vp2@example.test", 0)
	sub = submission(t, e, tokens["pmvp"], id)
	step := sub["steps"].([]any)[1].(map[string]any)
	if step["status"] != "waiting" || step["approver"] != "vp2" || sub["statusNote"] != nil {
		t.Fatalf("after the directory change: step %v, note %v", step, sub["statusNote"])
	}
	if st, _ := decide(t, link, "approve"); st != 200 {
		t.Fatalf("vp2's decision: %d", st)
	}
	eventually(t, "approved", func() bool { return submission(t, e, tokens["pmvp"], id)["status"] == "approved" })
}

// Defect 6 (issue 9): a large cooperative exit goes to the special meeting
// (P§9(二)4 limits only self-built revenue); a small one stays 呈批.
func TestCooperativeExitRouting(t *testing.T) {
	e := stacktest.New(t)
	tokens := people(t, e, nil)
	admin := e.Token("admin", "admin")
	if err := e.Sys.Store.RegisterPartner(t.Context(), auditMeta(), "ptn_exit", "si", "合作方"); err != nil {
		t.Fatal(err)
	}
	coop := func(name string, customers int) string {
		return createProduct(t, e, admin, map[string]any{"name": name, "level": "city", "mode": "cooperative", "partnerId": "ptn_exit",
			"stage": "commercial", "noticeDate": "2023-01-10", "customers": customers})["id"].(string)
	}
	exit := func(pid string) map[string]any {
		return mustStatus(t, e.Do("POST", "/submissions", tokens["pm1"], map[string]any{"type": "exit", "productId": pid,
			"exitType": "application", "evaluation": "合作方申请退出", "exitPlan": "分批迁移", "replacementProduct": "无",
			"exitDate": "2027-06-30", "customerServicePlan": "逐户沟通", "cooperationMatters": "结清分成"}), 201, "exit")
	}
	large := coop("大合作", 10)
	for _, m := range trailingWindow() {
		mustStatus(t, e.Do("PUT", "/products/"+large+"/revenue/"+m, admin, map[string]any{"amount": "100000.00"}), 200, "revenue")
	}
	if lv := exit(large)["decisionLevel"]; lv != "special_meeting" {
		t.Fatalf("a cooperative exit with recorded revenue 1,200,000: %v, want special_meeting", lv)
	}
	if lv := exit(coop("多客户", 100_000))["decisionLevel"]; lv != "special_meeting" {
		t.Fatalf("a cooperative exit with 100,000 customers: %v, want special_meeting", lv)
	}
	if lv := exit(coop("小合作", 99_999))["decisionLevel"]; lv != "chengpi" {
		t.Fatalf("a small cooperative exit: %v, want chengpi", lv)
	}
}

// Defect 7 (issue 9): five approving votes from one department do not pass a
// review; P§8 composes both stages from 集团客户部, 政企客户中心 and 系统集成.
func TestReviewNeedsEveryDepartment(t *testing.T) {
	e := stacktest.New(t)
	entries := map[string][2]any{"pm": {[]string{"product_manager"}, "集团客户部"}}
	for i := 1; i <= 5; i++ {
		entries[fmt.Sprintf("g%d", i)] = [2]any{[]string{"reviewer"}, "集团客户部"}
	}
	entries["z1"] = [2]any{[]string{"reviewer"}, "政企客户中心"}
	entries["x1"] = [2]any{[]string{"reviewer"}, "系统集成"}
	tokens := directoryOf(t, e, entries)
	pid := createProduct(t, e, tokens["pm"], map[string]any{"name": "评审组成", "level": "city", "mode": "self_built"})["id"].(string)
	id := mustStatus(t, e.Do("POST", "/submissions", tokens["pm"], demandContent(pid, "100000.00")), 201, "demand")["id"].(string)
	var last map[string]any
	for i := 1; i <= 5; i++ {
		last = mustStatus(t, e.Do("POST", "/submissions/"+id+"/votes", tokens[fmt.Sprintf("g%d", i)],
			map[string]any{"stage": "group", "vote": "approve"}), 201, "group vote")
	}
	if last["result"] != "waiting" || fmt.Sprint(last["missingDepartments"]) != "[政企客户中心 系统集成]" ||
		!strings.Contains(last["reason"].(string), "政企客户中心") {
		t.Fatalf("five votes of 集团客户部: %v", last)
	}
	if st := submission(t, e, tokens["pm"], id)["status"]; st != "group_review" {
		t.Fatalf("status %v after five votes of one department", st)
	}
	mustStatus(t, e.Do("POST", "/submissions/"+id+"/votes", tokens["z1"], map[string]any{"stage": "group", "vote": "approve"}), 201, "政企客户中心")
	last = mustStatus(t, e.Do("POST", "/submissions/"+id+"/votes", tokens["x1"], map[string]any{"stage": "group", "vote": "approve"}), 201, "系统集成")
	if last["result"] != "passed" {
		t.Fatalf("with every department: %v", last)
	}
	eventually(t, "cross review", func() bool { return submission(t, e, tokens["pm"], id)["status"] == "cross_review" })
}

// Defect 8 (issue 9): guarantee scores are rounded half-up to whole points
// before the band applies (84.5 → 100%, 59.5 → 50%), and the content-
// maintenance sheet (S-A3 表二) has one total score for its combined fee.
func TestGuaranteeSharesRoundAndSheet(t *testing.T) {
	e := stacktest.New(t)
	tok := staff(t, e, nil)
	admin := tok["admin"]
	x := createProduct(t, e, admin, map[string]any{"name": "内容运营", "level": "city", "mode": "self_built", "stage": "commercial", "noticeDate": "2024-06-01"})["id"].(string)
	pid := activePartner(t, e, tok, "保障伙伴", "2025-01-01")
	// A sheet item on an unknown sheet is refused, naming the field.
	if f := fieldsOf(t, e.Do("POST", "/support-projects", admin, map[string]any{"partnerId": pid, "productId": x,
		"benefitType": "guarantee", "contentType": "ordinary_content", "status": "approved", "startDate": "2025-01-01",
		"items": []map[string]any{{"name": "信息更新与审核", "unitPrice": "100.00", "sheet": "planning"}}})); f["items[0].sheet"] == nil {
		t.Fatalf("unknown sheet: %v", f)
	}
	g := mustStatus(t, e.Do("POST", "/support-projects", admin, map[string]any{"partnerId": pid, "productId": x,
		"benefitType": "guarantee", "contentType": "ordinary_content", "status": "approved", "startDate": "2025-01-01",
		"items": []map[string]any{
			{"name": "信息更新与审核", "unitPrice": "100.00", "sheet": "content_maintenance"},
			{"name": "用户咨询与投诉", "unitPrice": "100.00", "sheet": "content_maintenance"},
			{"name": "页面制作", "unitPrice": "1000.00"},
		}}), 201, "guarantee project")["id"].(string)
	put := func(q string, body map[string]any) stacktest.Response {
		return e.Do("PUT", "/support-projects/"+g+"/quarters/"+q, tok["inn1"], body)
	}
	// The sheet's items carry no score of their own; the sheet score is required.
	res := put("2025-Q1", map[string]any{"serviceScore": 80, "items": []map[string]any{
		{"name": "信息更新与审核", "workload": 10, "score": 90}, {"name": "用户咨询与投诉", "workload": 5}, {"name": "页面制作", "workload": 2}}})
	if f := fieldsOf(t, res); res.Status != 400 || f["items[0].score"] == nil || f["items[2].score"] == nil || f["sheetScores.content_maintenance"] == nil {
		t.Fatalf("bad sheet input: %d %s", res.Status, res.Body)
	}
	items := []map[string]any{{"name": "信息更新与审核", "workload": 10}, {"name": "用户咨询与投诉", "workload": 5}, {"name": "页面制作", "workload": 2, "score": 59.5}}
	mustStatus(t, put("2025-Q1", map[string]any{"serviceScore": 80, "items": items,
		"sheetScores": map[string]any{"content_maintenance": 84.5}}), 200, "Q1 input")
	items[2]["score"] = 59.49
	mustStatus(t, put("2025-Q2", map[string]any{"serviceScore": 80, "items": items,
		"sheetScores": map[string]any{"content_maintenance": 84.49}}), 200, "Q2 input")

	// Q1: the sheet's 1,500 at 84.5 → 85 → 100%; the page's 2,000 at 59.5 → 60 → 50%.
	q1 := byProject(settle(t, e, admin, "2025-Q1"))[g]
	if q1["fee"] != "2500.00" || q1["base"] != "3500.00" {
		t.Fatalf("Q1 %v", q1)
	}
	sheets := q1["sheets"].([]any)
	if len(sheets) != 1 || sheets[0].(map[string]any)["share"] != "1" || sheets[0].(map[string]any)["scoredPoints"].(float64) != 85 ||
		sheets[0].(map[string]any)["base"] != "1500.00" {
		t.Fatalf("Q1 sheet %v", sheets)
	}
	// Q2: the sheet at 84.49 → 84 → 98% (1,470); the page at 59.49 → 59 → 40% (800).
	if q2 := byProject(settle(t, e, admin, "2025-Q2"))[g]; q2["fee"] != "2270.00" {
		t.Fatalf("Q2 %v", q2)
	}
}

// Seed rule P§9(二)2, P§16: pricing and revenue-share decisions are
// submission types with their required content; the special meeting decides
// at an estimated annual revenue of 1,200,000 or more, 呈批 below (decided).
func TestPricingAndRevenueShareSubmissions(t *testing.T) {
	e := stacktest.New(t)
	tokens := people(t, e, nil)
	admin := e.Token("admin", "admin")
	pm := tokens["pm1"]
	if err := e.Sys.Store.RegisterPartner(t.Context(), auditMeta(), "ptn_share", "si", "分成伙伴"); err != nil {
		t.Fatal(err)
	}
	self := createProduct(t, e, admin, map[string]any{"name": "定价产品", "level": "city", "mode": "self_built",
		"stage": "commercial", "noticeDate": "2024-01-10"})["id"].(string)
	coop := createProduct(t, e, admin, map[string]any{"name": "分成产品", "level": "city", "mode": "cooperative",
		"partnerId": "ptn_share", "stage": "commercial", "noticeDate": "2024-01-10"})["id"].(string)
	pricing := func(revenue string) map[string]any {
		return map[string]any{"type": "pricing", "productId": self, "pricingKind": "optimisation", "tariffs": "30 元/月",
			"discounts": "8 折", "discountAuthority": "集团客户部", "costMeasurement": "单用户成本 12 元/月",
			"benefitEvaluation": "年收入提升", "effectiveDate": "2027-01-01", "estimatedAnnualRevenue": revenue}
	}
	share := func(revenue string) map[string]any {
		return map[string]any{"type": "revenue_share", "productId": coop, "shareKind": "renewal", "partnerId": "ptn_share",
			"revenueShareModel": "三七分成", "revenueShareEstimate": "360000.00", "revenueShareMonths": 12,
			"agreementStart": "2027-01-01", "agreementEnd": "2029-12-31", "benefitEvaluation": "续约后年收入稳定",
			"estimatedAnnualRevenue": revenue}
	}
	for _, tt := range []struct {
		name  string
		body  map[string]any
		level string
	}{
		{"pricing at 1,200,000", pricing("1200000.00"), "special_meeting"},
		{"pricing one fen below", pricing("1199999.99"), "chengpi"},
		{"revenue share at 1,200,000", share("1200000.00"), "special_meeting"},
		{"revenue share one fen below", share("1199999.99"), "chengpi"},
	} {
		if lv := mustStatus(t, e.Do("POST", "/submissions", pm, tt.body), 201, tt.name)["decisionLevel"]; lv != tt.level {
			t.Errorf("%s: %v, want %s", tt.name, lv, tt.level)
		}
	}
	// Every missing field is named; a revenue share needs a cooperative product.
	res := e.Do("POST", "/submissions", pm, map[string]any{"type": "pricing", "productId": self, "pricingKind": "new_product"})
	if f := fieldsOf(t, res); res.Status != 400 || f["tariffs"] == nil || f["costMeasurement"] == nil || f["estimatedAnnualRevenue"] == nil || f["effectiveDate"] == nil {
		t.Fatalf("pricing without content: %d %s", res.Status, res.Body)
	}
	bad := share("100.00")
	bad["productId"], bad["revenueShareMonths"] = self, 11
	res = e.Do("POST", "/submissions", pm, bad)
	if f := fieldsOf(t, res); res.Status != 400 || f["productId"] == nil || f["revenueShareMonths"] == nil {
		t.Fatalf("revenue share of a self-built product: %d %s", res.Status, res.Body)
	}
	// A small pricing decision through 呈批: finance countersigns, the VP approves; the stage stays.
	id := mustStatus(t, e.Do("POST", "/submissions", pm, pricing("500000.00")), 201, "small pricing")["id"].(string)
	reviewAll(t, e, tokens, id, "group")
	eventually(t, "cross review", func() bool { return submission(t, e, pm, id)["status"] == "cross_review" })
	reviewAll(t, e, tokens, id, "cross_department")
	if st, _ := decide(t, linkFor(t, e, "fin1@example.test", 0), "approve"); st != 200 {
		t.Fatalf("finance countersign: %d", st)
	}
	if st, _ := decide(t, linkFor(t, e, "vp1@example.test", 0), "approve"); st != 200 {
		t.Fatalf("vp: %d", st)
	}
	eventually(t, "approved", func() bool { return submission(t, e, pm, id)["status"] == "approved" })
	if p := mustStatus(t, e.Do("GET", "/products/"+self, admin, nil), 200, "product"); p["stage"] != "commercial" {
		t.Fatalf("stage after pricing %v", p["stage"])
	}
}

// Seed rule P§9(二): a special meeting's minutes are countersigned by 集团客户部
// (through an email link like every step) before the VP signs them.
func TestSpecialMeetingMinutesCountersignedBeforeVP(t *testing.T) {
	e := stacktest.New(t)
	tokens := people(t, e, nil)
	pm := tokens["pm1"]
	pid := createProduct(t, e, pm, map[string]any{"name": "纪要会签", "level": "city", "mode": "self_built"})["id"].(string)
	id := mustStatus(t, e.Do("POST", "/submissions", pm, demandContent(pid, "100000.00")), 201, "demand")["id"].(string)
	reviewAll(t, e, tokens, id, "group")
	eventually(t, "cross review", func() bool { return submission(t, e, pm, id)["status"] == "cross_review" })
	reviewAll(t, e, tokens, id, "cross_department")
	eventually(t, "the minutes countersign waits", func() bool {
		steps := submission(t, e, pm, id)["steps"].([]any)
		return len(steps) == 2 && steps[0].(map[string]any)["name"] == "minutes:group_customer" &&
			steps[0].(map[string]any)["status"] == "waiting" && steps[1].(map[string]any)["status"] == "pending"
	})
	if n := len(linksTo(t, e, "vp1@example.test")); n != 0 {
		t.Fatalf("the VP got %d links before the minutes were countersigned", n)
	}
	link := linkFor(t, e, "gc1@example.test", 0)
	if st, html := page(t, link, nil); st != 200 || !strings.Contains(html, "会议纪要会签") {
		t.Fatalf("countersign page: %d", st)
	}
	if st, _ := page(t, link, url.Values{"decision": {"approve"}}); st != 200 {
		t.Fatalf("countersign: %d", st)
	}
	vp := linkFor(t, e, "vp1@example.test", 0)
	if st, _ := decide(t, vp, "approve"); st != 200 {
		t.Fatalf("vp: %d", st)
	}
	eventually(t, "approved", func() bool { return submission(t, e, pm, id)["status"] == "approved" })
}

// coopDemand is a cooperative product's demand content.
func coopDemand(productID, partnerID string) map[string]any {
	c := demandContent(productID, "100000.00")
	c["buildModel"], c["partnerId"], c["revenueShareModel"] = "合作引入", partnerID, "三七分成"
	c["revenueShareEstimate"], c["revenueShareMonths"] = "120000.00", 12
	return c
}

// Seed rule P§15(三): a new SI partner starts pending its qualification
// review; 集团客户部 (or an admin) records it; a cooperative product cannot be
// introduced with a partner not yet qualified.
func TestSIQualificationBeforeIntroduction(t *testing.T) {
	e := stacktest.New(t)
	tokens := people(t, e, nil)
	inn := e.Token("inn1", directory.RoleInnovation)
	si := mustStatus(t, e.Do("POST", "/partners", inn, map[string]any{"kind": "si", "name": "新集成商"}), 201, "si partner")
	pid := si["id"].(string)
	if si["status"] != "pending_review" {
		t.Fatalf("a new si partner %v", si["status"])
	}
	prd := createProduct(t, e, tokens["pm1"], map[string]any{"name": "合作引入", "level": "city", "mode": "cooperative", "partnerId": pid})["id"].(string)
	res := e.Do("POST", "/submissions", tokens["pm1"], coopDemand(prd, pid))
	if res.Status != 409 || !strings.Contains(string(res.Body), "P§15(三)") {
		t.Fatalf("a demand with an unreviewed partner: %d %s", res.Status, res.Body)
	}
	review := func(token string, body map[string]any) stacktest.Response {
		return e.Do("POST", "/partners/"+pid+"/qualification", token, body)
	}
	if res := review(tokens["pm1"], map[string]any{"result": "passed"}); res.Status != 403 {
		t.Fatalf("a product manager reviewing: %d", res.Status)
	}
	if f := fieldsOf(t, review(tokens["gc1"], map[string]any{"result": "failed"})); f["comment"] == nil {
		t.Fatalf("a failed review without why: %v", f)
	}
	p := mustStatus(t, review(tokens["gc1"], map[string]any{"result": "failed", "comment": "系统集成资质过期"}), 200, "failed review")
	if p["status"] != "unqualified" || p["qualification"].(map[string]any)["rule"] != "P§15(三)" {
		t.Fatalf("after a failed review %v", p)
	}
	if res := e.Do("POST", "/submissions", tokens["pm1"], coopDemand(prd, pid)); res.Status != 409 {
		t.Fatalf("a demand with an unqualified partner: %d", res.Status)
	}
	p = mustStatus(t, review(tokens["gc1"], map[string]any{"result": "passed", "comment": "资质已更新"}), 200, "passed review")
	if p["status"] != "active" {
		t.Fatalf("after a passed review %v", p["status"])
	}
	if res := review(tokens["gc1"], map[string]any{"result": "passed"}); res.Status != 409 {
		t.Fatalf("reviewing an active partner again: %d", res.Status)
	}
	mustStatus(t, e.Do("POST", "/submissions", tokens["pm1"], coopDemand(prd, pid)), 201, "a demand with a qualified partner")
}

// Seed rule P§17(三): trial commercial use is stopped on a major problem
// (trial_suspended, with the reason and who); only a new trial_commercial
// decision resumes it.
func TestTrialSuspendedResumesThroughTrialCommercial(t *testing.T) {
	e := stacktest.New(t)
	tokens := people(t, e, nil)
	admin := e.Token("admin", "admin")
	pm := tokens["pm1"]
	id := createProduct(t, e, admin, map[string]any{"name": "试商暂停", "level": "city", "mode": "self_built",
		"stage": "trial_commercial", "noticeDate": "2026-01-05"})["id"].(string)
	res := e.Do("POST", "/products/"+id+"/trial-suspension", pm, map[string]any{"problem": "pricing", "reason": ""})
	if f := fieldsOf(t, res); res.Status != 400 || f["problem"] == nil || f["reason"] == nil {
		t.Fatalf("bad suspension: %d %s", res.Status, res.Body)
	}
	if res := e.Do("POST", "/products/"+id+"/trial-suspension", tokens["rev1"], map[string]any{"problem": "platform", "reason": "宕机"}); res.Status != 403 {
		t.Fatalf("a reviewer stopping the trial: %d", res.Status)
	}
	p := mustStatus(t, e.Do("POST", "/products/"+id+"/trial-suspension", pm, map[string]any{"problem": "security", "reason": "发现用户数据泄露风险"}), 200, "suspend")
	if s := p["suspension"].(map[string]any); p["stage"] != "trial_suspended" || s["by"] != "pm1" || s["problem"] != "security" || s["rule"] != "P§17(三)" {
		t.Fatalf("suspended %v", p)
	}
	if got := mustStatus(t, e.Do("GET", "/products/"+id, pm, nil), 200, "product"); got["suspension"] == nil || got["stage"] != "trial_suspended" {
		t.Fatalf("the suspension is not kept: %v", got)
	}
	if res := e.Do("POST", "/products/"+id+"/trial-suspension", pm, map[string]any{"problem": "platform", "reason": "again"}); res.Status != 409 {
		t.Fatalf("suspending twice: %d", res.Status)
	}
	// Commercial use does not follow a stopped trial; only trial_commercial resumes it.
	commercial := map[string]any{"type": "commercial", "productId": id, "commercialName": "试商暂停", "startDate": "2027-01-01",
		"scope": "全市", "tariffs": "30 元/月", "discounts": "无", "discountAuthority": "集团客户部", "marketSize": "1000 户",
		"benefitEvaluation": "整改后恢复", "estimatedAnnualRevenue": "1500000.00"}
	if f := fieldsOf(t, e.Do("POST", "/submissions", pm, commercial)); f["stage"] == nil {
		t.Fatalf("a commercial decision for a stopped trial: %v", f)
	}
	resume := map[string]any{}
	for k, v := range commercial {
		resume[k] = v
	}
	resume["type"] = "trial_commercial"
	sub := mustStatus(t, e.Do("POST", "/submissions", pm, resume), 201, "resume")
	subID := sub["id"].(string)
	reviewAll(t, e, tokens, subID, "group")
	eventually(t, "cross review", func() bool { return submission(t, e, pm, subID)["status"] == "cross_review" })
	reviewAll(t, e, tokens, subID, "cross_department")
	countersignMinutes(t, e, pm, subID)
	if st, _ := decide(t, linkFor(t, e, "vp1@example.test", 0), "approve"); st != 200 {
		t.Fatalf("vp: %d", st)
	}
	eventually(t, "resumed", func() bool {
		return mustStatus(t, e.Do("GET", "/products/"+id, pm, nil), 200, "product")["stage"] == "trial_commercial"
	})
	hist := mustStatus(t, e.Do("GET", "/products/"+id+"/history", pm, nil), 200, "history")["items"].([]any)
	var moves []string
	for _, h := range hist {
		m := h.(map[string]any)
		moves = append(moves, fmt.Sprint(m["from"], "→", m["to"]))
	}
	if got := strings.Join(moves, ","); !strings.Contains(got, "trial_commercial→trial_suspended,trial_suspended→trial_commercial") {
		t.Fatalf("history %s", got)
	}
}

// Seed rule P§20: each month a cooperative product's SI is settled: recorded
// revenue × the SI's share from the agreement, with the month's assessment
// result; an exit-phase product's statements are held until the exit
// decision; finance approves; XLSX like the other statements.
func TestSISettlementOfCooperativeProducts(t *testing.T) {
	e := stacktest.New(t)
	tokens := people(t, e, nil)
	admin := e.Token("admin", "admin")
	if err := e.Sys.Store.RegisterPartner(t.Context(), auditMeta(), "ptn_si", "si", "集成伙伴"); err != nil {
		t.Fatal(err)
	}
	coop := func(name string) string {
		return createProduct(t, e, admin, map[string]any{"name": name, "level": "city", "mode": "cooperative", "partnerId": "ptn_si",
			"stage": "commercial", "noticeDate": "2025-01-01"})["id"].(string)
	}
	good, failing := coop("达标合作"), coop("退出合作")
	agreement := func(token, id string, body map[string]any) stacktest.Response {
		return e.Do("PUT", "/products/"+id+"/si-agreement", token, body)
	}
	if res := agreement(tokens["pm1"], good, map[string]any{"share": "0.3", "startDate": "2025-01-01", "endDate": "2027-12-31"}); res.Status != 403 {
		t.Fatalf("a product manager recording the agreement: %d", res.Status)
	}
	res := agreement(tokens["gc1"], good, map[string]any{"share": "1.5", "startDate": "2025-01-01", "endDate": "2024-12-31"})
	if f := fieldsOf(t, res); res.Status != 400 || f["share"] == nil || f["endDate"] == nil {
		t.Fatalf("bad agreement: %d %s", res.Status, res.Body)
	}
	for _, id := range []string{good, failing} {
		mustStatus(t, agreement(tokens["gc1"], id, map[string]any{"share": "0.3", "startDate": "2025-01-01", "endDate": "2027-12-31"}), 200, "agreement")
	}
	for _, m := range []string{"2025-02", "2025-03", "2025-04", "2025-05"} {
		mustStatus(t, e.Do("PUT", "/products/"+good+"/revenue/"+m, admin, map[string]any{"amount": "60000.00"}), 200, "revenue")
		mustStatus(t, e.Do("PUT", "/products/"+failing+"/revenue/"+m, admin, map[string]any{"amount": "10000.01"}), 200, "revenue")
	}
	finishedMonth(t, e, admin, "2025-04")
	finishedMonth(t, e, admin, "2025-05") // the failing product reaches exit: its exit submission opens
	// A job of the settlement machine (a Distributed Map over the stage
	// shards); its run record sums the pages up.
	run := func() map[string]any {
		r := finishedRun(t, e, tokens["fin1"], "/si-settlement-runs", map[string]any{"month": "2025-05"}, "/si-settlement-runs/2025-05")
		if r["status"] != "succeeded" {
			t.Fatalf("SI run %v", r)
		}
		return r["summary"].(map[string]any)
	}
	if r := run(); r["statements"].(float64) != 2 || r["held"].(float64) != 1 || r["written"].(float64) != 2 || r["policyVersion"] == "" {
		t.Fatalf("SI run %v", r)
	}
	statements := func() map[string]map[string]any {
		out := map[string]map[string]any{}
		for _, it := range mustStatus(t, e.Do("GET", "/si-settlements/2025-05", admin, nil), 200, "SI statements")["items"].([]any) {
			m := it.(map[string]any)
			out[m["productId"].(string)] = m
		}
		return out
	}
	sts := statements()
	// 60,000 × 0.3 = 18,000; 10,000.01 × 0.3 = 3,000.003 → 3,000.00.
	if s := sts[good]; s["fee"] != "18000.00" || s["status"] != "draft" || s["assessment"].(map[string]any)["result"] != "pass" || s["rule"] != "P§20" {
		t.Fatalf("good product's statement %v", s)
	}
	if s := sts[failing]; s["fee"] != "3000.00" || s["status"] != "held" || s["assessment"].(map[string]any)["phaseAfter"] != "exit" {
		t.Fatalf("exit-phase product's statement %v", s)
	}
	approve := func(token, id string) stacktest.Response {
		return e.Do("POST", "/si-settlements/2025-05/"+id+"/approve", token, map[string]any{"comment": "已核"})
	}
	if res := approve(tokens["pm1"], good); res.Status != 403 {
		t.Fatalf("a product manager approving: %d", res.Status)
	}
	if s := mustStatus(t, approve(tokens["fin1"], good), 200, "finance approves"); s["status"] != "approved" {
		t.Fatalf("approved %v", s)
	}
	if res := approve(tokens["fin1"], failing); res.Status != 409 || !strings.Contains(string(res.Body), "P§20") {
		t.Fatalf("approving a held statement: %d %s", res.Status, res.Body)
	}

	// The exit decision (呈批: finance countersigns, the VP approves) releases the held statement.
	var exitID string
	eventually(t, "the assessment exit", func() bool {
		items := mustStatus(t, e.Do("GET", "/submissions?productId="+failing+"&type=exit", admin, nil), 200, "exits")["items"].([]any)
		if len(items) == 1 {
			exitID = items[0].(map[string]any)["id"].(string)
		}
		return exitID != ""
	})
	reviewAll(t, e, tokens, exitID, "group")
	eventually(t, "cross review", func() bool { return submission(t, e, admin, exitID)["status"] == "cross_review" })
	reviewAll(t, e, tokens, exitID, "cross_department")
	if st, _ := decide(t, linkFor(t, e, "fin1@example.test", 0), "approve"); st != 200 {
		t.Fatalf("finance countersign: %d", st)
	}
	if st, _ := decide(t, linkFor(t, e, "vp1@example.test", 0), "approve"); st != 200 {
		t.Fatalf("vp: %d", st)
	}
	eventually(t, "the exit approved", func() bool { return submission(t, e, admin, exitID)["status"] == "approved" })
	if r := run(); r["held"].(float64) != 0 || r["final"].(float64) != 1 {
		t.Fatalf("SI re-run after the exit decision %v", r)
	}
	sts = statements()
	if sts[failing]["status"] != "draft" || sts[good]["status"] != "approved" {
		t.Fatalf("after the exit decision: %v / %v", sts[failing]["status"], sts[good]["status"])
	}
	mustStatus(t, approve(tokens["fin1"], failing), 200, "approve the released statement")
	xlsx := e.Do("GET", "/si-settlements/2025-05.xlsx", admin, nil)
	if xlsx.Status != 200 || !strings.HasPrefix(string(xlsx.Body), "PK") {
		t.Fatalf("SI statements XLSX: %d", xlsx.Status)
	}
	wb, err := excelize.OpenReader(bytes.NewReader(xlsx.Body))
	if err != nil {
		t.Fatal(err)
	}
	// Products and partners by name, not id (P§20 合作产品结算).
	if rows, err := wb.GetRows("合作产品结算"); err != nil || len(rows) < 3 || rows[2][0] == "" || rows[2][2] != "集成伙伴" {
		t.Fatalf("SI sheet %v %v", rows, err)
	}
}

// Seed rules S§8.6, S§20: the deposit is paid in one sum within the 10
// working days before the agreement is signed; an instalment or a late or
// early payment is refused with the article named; a lost receipt needs a
// recorded commitment letter (承诺函) before the refund.
func TestDepositInOneSumBeforeSigningAndLostReceipt(t *testing.T) {
	e := stacktest.New(t)
	tok := staff(t, e, nil)
	apply := func(name string) string {
		return mustStatus(t, e.Do("POST", "/partners", tok["inn1"], supportFacts(name)), 201, "apply")["id"].(string)
	}
	deposit := func(pid, amount, date string) stacktest.Response {
		return e.Do("POST", "/partners/"+pid+"/deposits", tok["fin1"], map[string]any{"amount": amount, "date": date})
	}
	sign := func(pid, start string) stacktest.Response {
		return e.Do("POST", "/partners/"+pid+"/agreement", tok["inn1"], map[string]any{"startDate": start})
	}
	a := apply("一次交清")
	if res := deposit(a, "150000.00", "2025-03-20"); res.Status != 409 || !strings.Contains(string(res.Body), "S§8.6(1), S§20") {
		t.Fatalf("an instalment: %d %s", res.Status, res.Body)
	}
	// 2025-03-18 is the 10th working day before Tuesday 2025-04-01: inside.
	mustStatus(t, deposit(a, "300000.00", "2025-03-18"), 201, "the deposit in one sum")
	if p := mustStatus(t, sign(a, "2025-04-01"), 200, "signed"); p["depositPaidOn"] != "2025-03-18" || p["status"] != "active" {
		t.Fatalf("signed %v", p)
	}
	if res := deposit(a, "300000.00", "2025-04-02"); res.Status != 409 || !strings.Contains(string(res.Body), "late") {
		t.Fatalf("a receipt after the signing: %d %s", res.Status, res.Body)
	}
	b := apply("提前交款")
	mustStatus(t, deposit(b, "300000.00", "2025-03-17"), 201, "an 11th-working-day deposit")
	if res := sign(b, "2025-04-01"); res.Status != 409 || !strings.Contains(string(res.Body), "depositDate") || !strings.Contains(string(res.Body), "S§20") {
		t.Fatalf("signing 11 working days after the deposit: %d %s", res.Status, res.Body)
	}
	if res := sign(b, "2025-03-14"); res.Status != 409 || !strings.Contains(string(res.Body), "late") {
		t.Fatalf("signing before the deposit was paid: %d %s", res.Status, res.Body)
	}
	mustStatus(t, sign(b, "2025-03-31"), 200, "signed within the window")

	// The refund: a lost receipt needs the commitment letter on record.
	mustStatus(t, e.Do("POST", "/partners/"+a+"/termination", tok["inn1"], map[string]any{"noticeDate": "2026-01-05", "transitionMonths": 1}), 200, "termination")
	res := e.Do("POST", "/partners/"+a+"/deposit-refund", tok["inn1"], map[string]any{"receipt": "lost"})
	if f := fieldsOf(t, res); res.Status != 400 || f["commitmentLetter"] == nil || !strings.Contains(fmt.Sprint(f["commitmentLetter"]), "S§20") {
		t.Fatalf("a lost receipt without a commitment letter: %d %s", res.Status, res.Body)
	}
	p := mustStatus(t, e.Do("POST", "/partners/"+a+"/deposit-refund", tok["inn1"], map[string]any{"receipt": "lost",
		"commitmentLetter": "承诺函〔2026〕3号：收据遗失，由我司承担一切责任"}), 200, "refund request with the letter")
	if r := p["refund"].(map[string]any); r["receipt"] != "lost" || !strings.Contains(r["commitmentLetter"].(string), "承诺函") {
		t.Fatalf("refund request %v", r)
	}
}
