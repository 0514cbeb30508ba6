package api_test

import (
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"productgov/infra/asl"
	"productgov/infra/localstack"
	"productgov/infra/localstack/stacktest"
	"productgov/infra/scheduler"
	"productgov/shared/directory"
)

// people puts the directory entries an approval needs and returns tokens by sub.
func people(t *testing.T, e *stacktest.Env, related map[string][]string) map[string]string {
	t.Helper()
	admin := e.Token("admin", directory.RoleAdmin)
	entries := map[string][]directory.Role{
		"pm1": {directory.RoleProductManager}, "pm2": {directory.RoleProductManager, directory.RoleReviewer},
		"vp1": {directory.RoleVP}, "cd1": {directory.RoleCommitteeDirector}, "gm1": {directory.RoleGM},
		"fin1": {directory.RoleFinance}, "gc1": {directory.RoleGroupCustomer},
	}
	for i := 1; i <= 7; i++ {
		entries[fmt.Sprintf("rev%d", i)] = []directory.Role{directory.RoleReviewer}
	}
	tokens := map[string]string{}
	for sub, roles := range entries {
		rel := related[sub]
		if rel == nil {
			rel = []string{}
		}
		// P§8: reviewers come from the three review departments in turn.
		dept := "集团客户部"
		var n int
		if _, err := fmt.Sscanf(sub, "rev%d", &n); err == nil {
			dept = []string{"集团客户部", "政企客户中心", "系统集成"}[(n-1)%3]
		}
		res := e.Do("PUT", "/users/"+sub, admin, map[string]any{"name": sub, "email": sub + "@example.test", "roles": roles, "dept": dept, "relatedPartners": rel})
		if res.Status != 200 {
			t.Fatalf("put user %s: %d %s", sub, res.Status, res.Body)
		}
		tokens[sub] = e.Token(sub, roles...)
	}
	return tokens
}

func demandContent(productID, investment string) map[string]any {
	return map[string]any{
		"type": "demand", "productId": productID,
		"marketAnalysis": "政企客户对云桌面需求旺盛", "functionDesign": "桌面池、终端管理", "feasibility": "技术成熟",
		"buildModel": "自建", "operatingModel": "省公司运营", "businessModel": "按月订阅",
		"pastBenefitAnalysis": "无前期投入", "estimatedInvestment": investment, "estimateMonths": 36,
	}
}

func vote(t *testing.T, e *stacktest.Env, token, subID, stage, verdict string) int {
	t.Helper()
	body := map[string]any{"stage": stage, "vote": verdict}
	if verdict != "approve" {
		body["comment"] = "理由见附件"
	}
	res := e.Do("POST", "/submissions/"+subID+"/votes", token, body)
	return res.Status
}

func reviewAll(t *testing.T, e *stacktest.Env, tokens map[string]string, subID, stage string) {
	t.Helper()
	for i := 1; i <= 5; i++ {
		if st := vote(t, e, tokens[fmt.Sprintf("rev%d", i)], subID, stage, "approve"); st != 201 {
			t.Fatalf("%s vote %d: %d", stage, i, st)
		}
	}
}

// countersignMinutes approves a special meeting's minutes countersign
// (P§9(二): 集团客户部 countersigns before the VP signs) through gc1's link.
func countersignMinutes(t *testing.T, e *stacktest.Env, token, subID string) {
	t.Helper()
	eventually(t, "the minutes countersign of "+subID, func() bool {
		for _, st := range submission(t, e, token, subID)["steps"].([]any) {
			m := st.(map[string]any)
			if m["name"] == "minutes:group_customer" && m["status"] == "waiting" && m["approver"] == "gc1" {
				return true
			}
		}
		return false
	})
	var link string
	eventually(t, "gc1's link for "+subID, func() bool {
		links := linksTo(t, e, "gc1@example.test")
		if len(links) == 0 {
			return false
		}
		link = links[len(links)-1]
		st, html := page(t, link, nil)
		return st == 200 && strings.Contains(html, subID)
	})
	if st, _ := page(t, link, url.Values{"decision": {"approve"}, "comment": {"纪要无误"}}); st != 200 {
		t.Fatalf("minutes countersign of %s: %d", subID, st)
	}
}

// eventually polls cond until it holds or 45 s pass (generous: a loaded
// machine slows the stack; a condition that holds returns at once).
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(45 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func submission(t *testing.T, e *stacktest.Env, token, id string) map[string]any {
	t.Helper()
	res := e.Do("GET", "/submissions/"+id, token, nil)
	if res.Status != 200 {
		t.Fatalf("get submission: %d %s", res.Status, res.Body)
	}
	return res.Map(t)
}

// linksTo returns the approval links mailed to `to`, oldest first.
func linksTo(t *testing.T, e *stacktest.Env, to string) []string {
	t.Helper()
	var msgs []struct {
		To    string   `json:"to"`
		Links []string `json:"links"`
	}
	e.Do("GET", "/dev/outbox", "", nil).JSON(t, &msgs)
	var out []string
	for i := len(msgs) - 1; i >= 0; i-- { // the outbox is newest first
		if msgs[i].To == to && len(msgs[i].Links) > 0 {
			out = append(out, msgs[i].Links[0])
		}
	}
	return out
}

// linkFor waits for the skip+1-th approval email to `to` and returns its link.
func linkFor(t *testing.T, e *stacktest.Env, to string, skip int) string {
	t.Helper()
	var links []string
	eventually(t, "approval mail to "+to, func() bool {
		links = linksTo(t, e, to)
		return len(links) > skip
	})
	return links[skip]
}

// latestLinkFor waits for an approval email to `to` and returns the newest link.
func latestLinkFor(t *testing.T, e *stacktest.Env, to string) string {
	t.Helper()
	var links []string
	eventually(t, "approval mail to "+to, func() bool {
		links = linksTo(t, e, to)
		return len(links) > 0
	})
	return links[len(links)-1]
}

// page GETs or POSTs an approval link and returns status and HTML.
func page(t *testing.T, link string, form url.Values) (int, string) {
	t.Helper()
	var res *http.Response
	var err error
	if form == nil {
		res, err = http.Get(link)
	} else {
		u, _ := url.Parse(link)
		form.Set("sig", u.Query().Get("sig"))
		u.RawQuery = ""
		res, err = http.PostForm(u.String(), form)
	}
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b)
}

func decide(t *testing.T, link, decision string) (int, string) {
	return page(t, link, url.Values{"decision": {decision}, "comment": {"同意立项"}, "minutesRef": {"会纪〔2026〕12号"}})
}

func TestDemandThroughCommitteeToPlanning(t *testing.T) {
	e := stacktest.New(t)
	tokens := people(t, e, nil)
	pm := tokens["pm1"]
	p := createProduct(t, e, pm, map[string]any{"name": "云桌面", "level": "province", "mode": "self_built"})
	pid := p["id"].(string)

	res := e.Do("POST", "/submissions", pm, demandContent(pid, "5000000.00"))
	if res.Status != 201 {
		t.Fatalf("submit: %d %s", res.Status, res.Body)
	}
	created := res.Map(t)
	if created["decisionLevel"] != "committee" || created["status"] != "group_review" {
		t.Fatalf("created %v", created)
	}
	id := created["id"].(string)

	// Self-review is refused, and so is a vote in the wrong stage.
	if st := vote(t, e, e.Token("pm1", directory.RoleReviewer), id, "group", "approve"); st != 403 {
		t.Fatalf("self-review: %d", st)
	}
	if st := vote(t, e, tokens["rev1"], id, "cross_department", "approve"); st != 409 {
		t.Fatalf("vote in the wrong stage: %d", st)
	}
	reviewAll(t, e, tokens, id, "group")
	if st := vote(t, e, tokens["rev1"], id, "group", "approve"); st != 409 {
		t.Fatalf("vote after the stage was decided: %d", st)
	}
	eventually(t, "cross review", func() bool { return submission(t, e, pm, id)["status"] == "cross_review" })
	reviewAll(t, e, tokens, id, "cross_department")

	countersignMinutes(t, e, pm, id)
	vpLink := linkFor(t, e, "vp1@example.test", 0)
	if strings.Contains(vpLink, "token") {
		t.Fatalf("link exposes a task token: %s", vpLink)
	}
	// A GET shows the page and decides nothing.
	st, html := page(t, vpLink, nil)
	if st != 200 || !strings.Contains(html, "同意") || !strings.Contains(html, "¥5,000,000.00") || !strings.Contains(html, "rev1") {
		t.Fatalf("approval page: %d\n%s", st, html)
	}
	sub := submission(t, e, pm, id)
	if sub["status"] != "deciding" || sub["steps"].([]any)[1].(map[string]any)["status"] != "waiting" {
		t.Fatalf("after GET: %v", sub["steps"])
	}
	// A reject or return needs a comment; a form mistake does not use the link.
	if st, html := page(t, vpLink, url.Values{"decision": {"reject"}}); st != 400 || !strings.Contains(html, "意见") {
		t.Fatalf("reject without comment: %d", st)
	}
	if st, html := decide(t, vpLink, "approve"); st != 200 || !strings.Contains(html, "已记录您的决定") {
		t.Fatalf("vp decision: %d\n%s", st, html)
	}
	if st, html := decide(t, vpLink, "approve"); st != 409 || !strings.Contains(html, "已使用") {
		t.Fatalf("reused link: %d", st)
	}
	cdLink := linkFor(t, e, "cd1@example.test", 0)
	if st, _ := decide(t, cdLink, "approve"); st != 200 {
		t.Fatalf("director decision: %d", st)
	}
	eventually(t, "approved", func() bool { return submission(t, e, pm, id)["status"] == "approved" })
	eventually(t, "planning", func() bool {
		p := e.Do("GET", "/products/"+pid, pm, nil).Map(t)
		return p["stage"] == "planning" && p["planDueDate"] != nil
	})
	sub = submission(t, e, pm, id)
	steps := sub["steps"].([]any)
	if len(steps) != 3 || steps[0].(map[string]any)["approver"] != "gc1" || steps[1].(map[string]any)["approver"] != "vp1" || steps[2].(map[string]any)["approver"] != "cd1" {
		t.Fatalf("steps %v", steps)
	}
	hist := e.Do("GET", "/products/"+pid+"/history", pm, nil).Map(t)["items"].([]any)
	last := hist[len(hist)-1].(map[string]any)
	if last["to"] != "planning" || last["decisionId"] != id || last["policyVersion"] == "" {
		t.Fatalf("history %v", last)
	}
}

func TestRejectReturnAndResubmit(t *testing.T) {
	e := stacktest.New(t)
	tokens := people(t, e, nil)
	pm := tokens["pm1"]
	pid := createProduct(t, e, pm, map[string]any{"name": "智慧校园", "level": "city", "mode": "self_built"})["id"].(string)

	// A reject in the group review ends the submission at once.
	id := e.Do("POST", "/submissions", pm, demandContent(pid, "100000.00")).Map(t)["id"].(string)
	if st := vote(t, e, tokens["rev1"], id, "group", "reject"); st != 201 {
		t.Fatalf("reject vote: %d", st)
	}
	eventually(t, "rejected", func() bool { return submission(t, e, pm, id)["status"] == "rejected" })

	// A return (with the minimum of voters) sends it back; only the applicant revises.
	id2 := e.Do("POST", "/submissions", pm, demandContent(pid, "100000.00")).Map(t)["id"].(string)
	vote(t, e, tokens["rev1"], id2, "group", "return")
	for i := 2; i <= 5; i++ {
		vote(t, e, tokens[fmt.Sprintf("rev%d", i)], id2, "group", "approve")
	}
	eventually(t, "returned", func() bool { return submission(t, e, pm, id2)["status"] == "returned" })
	if res := e.Do("PUT", "/submissions/"+id2, tokens["pm2"], demandContent(pid, "120000.00")); res.Status != 403 {
		t.Fatalf("revision by another: %d", res.Status)
	}
	res := e.Do("PUT", "/submissions/"+id2, pm, demandContent(pid, "120000.00"))
	if res.Status != 200 || res.Map(t)["revision"].(float64) != 2 {
		t.Fatalf("revise: %d %s", res.Status, res.Body)
	}
	// The new revision restarts the group review; earlier votes do not count.
	reviewAll(t, e, tokens, id2, "group")
	reviewAll(t, e, tokens, id2, "cross_department")
	countersignMinutes(t, e, pm, id2)
	vpLink := linkFor(t, e, "vp1@example.test", 0)
	// special_meeting: the VP returns it; the link's page then shows it used.
	if st, _ := page(t, vpLink, url.Values{"decision": {"return"}, "comment": {"补充测算"}, "minutesRef": {"会纪1号"}}); st != 200 {
		t.Fatalf("vp return: %d", st)
	}
	eventually(t, "returned again", func() bool { return submission(t, e, pm, id2)["status"] == "returned" })
}

func TestMissingFieldsAreNamed(t *testing.T) {
	e := stacktest.New(t)
	tokens := people(t, e, nil)
	pm := tokens["pm1"]
	pid := createProduct(t, e, pm, map[string]any{"name": "缺项", "level": "city", "mode": "self_built"})["id"].(string)
	res := e.Do("POST", "/submissions", pm, map[string]any{"type": "demand", "productId": pid, "estimatedInvestment": "1.005", "estimateMonths": 12})
	if res.Status != 400 {
		t.Fatalf("status %d", res.Status)
	}
	var body struct {
		Error struct {
			Fields map[string]string `json:"fields"`
		} `json:"error"`
	}
	res.JSON(t, &body)
	for _, f := range []string{"marketAnalysis", "functionDesign", "feasibility", "buildModel", "operatingModel", "businessModel", "estimatedInvestment", "estimateMonths"} {
		if body.Error.Fields[f] == "" {
			t.Errorf("field %s not named: %v", f, body.Error.Fields)
		}
	}
	list := e.Do("GET", "/submissions?productId="+pid, pm, nil).Map(t)["items"].([]any)
	if len(list) != 0 {
		t.Fatalf("a refused submission was stored")
	}
}

func TestForgedExpiredConcurrentLinksAndConflictedVoter(t *testing.T) {
	e := stacktest.New(t)
	admin := e.Token("admin", directory.RoleAdmin)
	if res := e.Do("POST", "/products", admin, map[string]any{"name": "合作产品", "level": "city", "mode": "cooperative", "partnerId": "ptn_x"}); res.Status != 400 {
		t.Fatalf("unknown partner accepted: %d", res.Status)
	}
	if err := e.Sys.Store.RegisterPartner(t.Context(), auditMeta(), "ptn_x", "si", "某合作伙伴"); err != nil {
		t.Fatal(err)
	}
	tokens := people(t, e, map[string][]string{"rev6": {"ptn_x"}})
	pm := tokens["pm1"]
	pid := createProduct(t, e, pm, map[string]any{"name": "合作产品", "level": "city", "mode": "cooperative", "partnerId": "ptn_x"})["id"].(string)
	content := demandContent(pid, "100000.00")
	content["partnerId"], content["revenueShareModel"], content["revenueShareEstimate"], content["revenueShareMonths"] = "ptn_x", "三七分成", "50000", 12
	res := e.Do("POST", "/submissions", pm, content)
	if res.Status != 201 {
		t.Fatalf("submit: %d %s", res.Status, res.Body)
	}
	id := res.Map(t)["id"].(string)
	if st := vote(t, e, tokens["rev6"], id, "group", "approve"); st != 403 {
		t.Fatalf("conflicted voter: %d", st)
	}
	reviewAll(t, e, tokens, id, "group")
	reviewAll(t, e, tokens, id, "cross_department")
	countersignMinutes(t, e, tokens["pm1"], id)
	link := linkFor(t, e, "vp1@example.test", 0)

	u, _ := url.Parse(link)
	forged := *u
	q := forged.Query()
	q.Set("sig", strings.Repeat("A", 43))
	forged.RawQuery = q.Encode()
	if st, html := page(t, forged.String(), nil); st != 403 || !strings.Contains(html, "链接无效") {
		t.Fatalf("forged GET: %d", st)
	}
	if st, _ := decide(t, forged.String(), "approve"); st != 403 {
		t.Fatalf("forged POST: %d", st)
	}
	unknown := strings.Replace(link, u.Path, "/approvals/nosuchlink00", 1)
	if st, _ := page(t, unknown, nil); st != 403 {
		t.Fatalf("unknown link: %d", st)
	}

	// Two simultaneous POSTs: exactly one decides.
	var wg sync.WaitGroup
	statuses := make([]int, 2)
	for i := range statuses {
		wg.Add(1)
		go func(i int) { defer wg.Done(); statuses[i], _ = decide(t, link, "approve") }(i)
	}
	wg.Wait()
	if !(statuses[0] == 200 && statuses[1] == 409 || statuses[0] == 409 && statuses[1] == 200) {
		t.Fatalf("concurrent posts: %v", statuses)
	}
	eventually(t, "approved", func() bool { return submission(t, e, pm, id)["status"] == "approved" })

	// A spent link shows so and changes nothing (an expired one:
	// TestUnansweredStepExpires, with the step timed out on the engine's clock).
	if st, html := page(t, link, nil); st != 409 || !strings.Contains(html, "未作任何更改") {
		t.Fatalf("spent link: %d", st)
	}
}

func TestRestartWhileAStepWaits(t *testing.T) {
	e := stacktest.New(t)
	tokens := people(t, e, nil)
	pm := tokens["pm1"]
	pid := createProduct(t, e, pm, map[string]any{"name": "重启", "level": "city", "mode": "self_built"})["id"].(string)
	id := e.Do("POST", "/submissions", pm, demandContent(pid, "6000000.00")).Map(t)["id"].(string)
	reviewAll(t, e, tokens, id, "group")
	eventually(t, "cross review", func() bool { return submission(t, e, pm, id)["status"] == "cross_review" })
	reviewAll(t, e, tokens, id, "cross_department")
	countersignMinutes(t, e, pm, id)
	vpLink := linkFor(t, e, "vp1@example.test", 0)

	// The local stack stops and starts again while the VP's step waits.
	e.Restart()

	if st, html := decide(t, vpLink, "approve"); st != 200 {
		t.Fatalf("link after restart: %d\n%s", st, html)
	}
	cdLink := linkFor(t, e, "cd1@example.test", 0)
	if st, _ := decide(t, cdLink, "approve"); st != 200 {
		t.Fatalf("director: %d", st)
	}
	eventually(t, "approved after restart", func() bool { return submission(t, e, pm, id)["status"] == "approved" })
}

func TestNobodyApprovesTheirOwnSubmission(t *testing.T) {
	e := stacktest.New(t)
	tokens := people(t, e, nil)
	admin := e.Token("admin", directory.RoleAdmin)
	// The applicant also holds the VP role; the other VP must be chosen.
	for sub, roles := range map[string][]string{"pmvp": {"product_manager", "vp"}, "vp2": {"vp"}} {
		if res := e.Do("PUT", "/users/"+sub, admin, map[string]any{"name": sub, "email": sub + "@example.test", "roles": roles}); res.Status != 200 {
			t.Fatalf("put %s: %d", sub, res.Status)
		}
	}
	applicant := e.Token("pmvp", directory.RoleProductManager, directory.RoleVP)
	pid := createProduct(t, e, applicant, map[string]any{"name": "自批", "level": "city", "mode": "self_built"})["id"].(string)
	id := e.Do("POST", "/submissions", applicant, demandContent(pid, "100000.00")).Map(t)["id"].(string)
	reviewAll(t, e, tokens, id, "group")
	eventually(t, "cross review", func() bool { return submission(t, e, applicant, id)["status"] == "cross_review" })
	reviewAll(t, e, tokens, id, "cross_department")
	countersignMinutes(t, e, applicant, id)
	eventually(t, "a VP chosen", func() bool {
		steps := submission(t, e, applicant, id)["steps"].([]any)
		return steps[1].(map[string]any)["approver"] != nil
	})
	approver := submission(t, e, applicant, id)["steps"].([]any)[1].(map[string]any)["approver"]
	if approver == "pmvp" {
		t.Fatal("the applicant was chosen to approve their own submission")
	}
}

// waitingForVP drives a special-meeting submission to the VP's step and
// returns its id and the VP's link.
func waitingForVP(t *testing.T, e *stacktest.Env, tokens map[string]string) (string, string) {
	t.Helper()
	pm := tokens["pm1"]
	pid := createProduct(t, e, pm, map[string]any{"name": "等待", "level": "city", "mode": "self_built"})["id"].(string)
	id := e.Do("POST", "/submissions", pm, demandContent(pid, "100000.00")).Map(t)["id"].(string)
	reviewAll(t, e, tokens, id, "group")
	eventually(t, "cross review", func() bool { return submission(t, e, pm, id)["status"] == "cross_review" })
	reviewAll(t, e, tokens, id, "cross_department")
	countersignMinutes(t, e, pm, id)
	return id, linkFor(t, e, "vp1@example.test", 0)
}

func TestReminderAfterTwoWorkingDays(t *testing.T) {
	e := stacktest.New(t)
	tokens := people(t, e, nil)
	_, _ = waitingForVP(t, e, tokens)
	entries, err := e.Stack.Schedules()
	if err != nil {
		t.Fatal(err)
	}
	var remind *scheduler.Entry
	for i := range entries {
		if entries[i].FunctionFolder == "notify" {
			remind = &entries[i]
		}
	}
	if remind == nil {
		t.Fatal("template.yaml has no reminder schedule")
	}
	reminders := func() int {
		var msgs []struct{ Subject string }
		e.Do("GET", "/dev/outbox", "", nil).JSON(t, &msgs)
		n := 0
		for _, m := range msgs {
			if strings.Contains(m.Subject, "催办") {
				n++
			}
		}
		return n
	}
	// Before the reminder time nothing goes out; after it, exactly one. The
	// schedule hands the function its scheduled time, which the run acts on.
	fire := func(at time.Time) {
		t.Helper()
		if err := e.Stack.Fire(t.Context(), *remind, at); err != nil {
			t.Fatal(err)
		}
		if err := e.Stack.Lambda.Settle(t.Context()); err != nil {
			t.Fatal(err)
		}
	}
	fire(time.Now())
	if n := reminders(); n != 0 {
		t.Fatalf("%d reminders before two working days", n)
	}
	for i := 0; i < 2; i++ {
		fire(time.Now().Add(5 * 24 * time.Hour))
	}
	if n := reminders(); n != 1 {
		t.Fatalf("%d reminders, want exactly 1", n)
	}
	if dl := e.Stack.Lambda.DeadLetters(); len(dl) != 0 {
		t.Fatalf("reminder runs failed: %+v", dl)
	}
}

func TestUnansweredStepExpires(t *testing.T) {
	clock := asl.NewFakeClock(time.Now())
	e := stacktest.New(t, localstack.Options{EngineOptions: []asl.Option{asl.WithClock(clock)}})
	tokens := people(t, e, nil)
	id, link := waitingForVP(t, e, tokens)
	// SPEC 2.4: after the step's timeout (7 days) the submission expires.
	// Once the step waits (its approver chosen and mailed), nobody answers for 7 days.
	eventually(t, "the step waiting", func() bool {
		return submission(t, e, tokens["pm1"], id)["steps"].([]any)[1].(map[string]any)["approver"] == "vp1"
	})
	time.Sleep(300 * time.Millisecond)
	eventually(t, "expired", func() bool {
		clock.Advance(7*24*time.Hour + time.Minute)
		return submission(t, e, tokens["pm1"], id)["status"] == "expired"
	})
	if st, html := decide(t, link, "approve"); st != 410 || !strings.Contains(html, "过期") {
		t.Fatalf("expired link: %d", st)
	}
	eventually(t, "the applicant told", func() bool {
		var msgs []struct{ To, Subject string }
		e.Do("GET", "/dev/outbox", "", nil).JSON(t, &msgs)
		for _, m := range msgs {
			if m.To == "pm1@example.test" && strings.Contains(m.Subject, "已过期") {
				return true
			}
		}
		return false
	})
}

// SPEC 2.5: an exit through chengpi (finance countersigns, then the VP), the
// delisting checklist, and the product exited; P§11: the construction plan.
func TestExitThroughChengpiAndDelisting(t *testing.T) {
	e := stacktest.New(t)
	tokens := people(t, e, nil)
	admin := e.Token("admin", directory.RoleAdmin)
	pm := tokens["pm1"]
	pid := createProduct(t, e, admin, map[string]any{"name": "旧版短信", "level": "city", "mode": "self_built",
		"stage": "commercial", "noticeDate": "2024-01-10", "customers": 900})["id"].(string)
	res := e.Do("POST", "/submissions", pm, map[string]any{"type": "exit", "productId": pid, "exitType": "pilot",
		"evaluation": "收入持续下滑", "exitPlan": "分批迁移", "replacementProduct": "无", "exitDate": "2027-03-01",
		"customerServicePlan": "客户经理逐户沟通"})
	if res.Status != 201 || res.Map(t)["decisionLevel"] != "chengpi" {
		t.Fatalf("exit submission: %d %s", res.Status, res.Body)
	}
	id := res.Map(t)["id"].(string)
	reviewAll(t, e, tokens, id, "group")
	eventually(t, "cross review", func() bool { return submission(t, e, pm, id)["status"] == "cross_review" })
	reviewAll(t, e, tokens, id, "cross_department")
	// chengpi: the finance countersign comes first; the VP only after it.
	finLink := linkFor(t, e, "fin1@example.test", 0)
	if st, _ := decide(t, finLink, "approve"); st != 200 {
		t.Fatalf("finance countersign: %d", st)
	}
	vpLink := linkFor(t, e, "vp1@example.test", 0)
	if st, _ := decide(t, vpLink, "approve"); st != 200 {
		t.Fatalf("vp: %d", st)
	}
	eventually(t, "exiting", func() bool {
		return e.Do("GET", "/products/"+pid, pm, nil).Map(t)["stage"] == "exiting"
	})
	p := e.Do("GET", "/products/"+pid, pm, nil).Map(t)
	checklist := p["exit"].(map[string]any)["checklist"].([]any)
	if len(checklist) != 6 {
		t.Fatalf("self-built checklist has %d items: %v", len(checklist), checklist)
	}
	if res := e.Do("POST", "/products/"+pid+"/delisting", pm, map[string]any{"items": []string{"adc", "deposit_return"}}); res.Status != 400 {
		t.Fatalf("a cooperative-only item on a self-built product: %d", res.Status)
	}
	if res := e.Do("POST", "/products/"+pid+"/delisting", pm, map[string]any{"items": []string{"adc", "misc", "boss"}}); res.Status != 200 || res.Map(t)["stage"] != "exiting" {
		t.Fatalf("partial delisting: %d %s", res.Status, res.Body)
	}
	res = e.Do("POST", "/products/"+pid+"/delisting", pm, map[string]any{"items": []string{"industry_gateway", "data_cutover", "resource_recovery"}})
	if res.Status != 200 || res.Map(t)["stage"] != "exited" {
		t.Fatalf("complete delisting: %d %s", res.Status, res.Body)
	}

	// P§11: after an approved demand the construction plan moves planning → building.
	// A registered product is managed by the admin who registered it; another
	// product manager may not record its plan (SPEC 6).
	demand := createProduct(t, e, admin, map[string]any{"name": "规划中", "level": "city", "mode": "self_built", "stage": "planning"})["id"].(string)
	if res := e.Do("POST", "/products/"+pid+"/construction-plan", admin, nil); res.Status != 409 {
		t.Fatalf("plan for an exited product: %d", res.Status)
	}
	if res := e.Do("POST", "/products/"+demand+"/construction-plan", pm, nil); res.Status != 403 {
		t.Fatalf("plan recorded by a product manager who does not manage the product: %d", res.Status)
	}
	res = e.Do("POST", "/products/"+demand+"/construction-plan", admin, nil)
	if res.Status != 200 || res.Map(t)["stage"] != "building" || res.Map(t)["planSubmittedOn"] == nil {
		t.Fatalf("construction plan: %d %s", res.Status, res.Body)
	}
}

// P§21(二)4: a natural exit needs no review nor decision; its notice is
// published by itself 3 months after the agreement expired.
func TestNaturalExitNoticeAfterThreeMonths(t *testing.T) {
	e := stacktest.New(t)
	tokens := people(t, e, nil)
	admin := e.Token("admin", directory.RoleAdmin)
	if err := e.Sys.Store.RegisterPartner(t.Context(), auditMeta(), "ptn_n", "si", "到期伙伴"); err != nil {
		t.Fatal(err)
	}
	pid := createProduct(t, e, admin, map[string]any{"name": "到期合作", "level": "city", "mode": "cooperative",
		"partnerId": "ptn_n", "stage": "commercial", "noticeDate": "2024-01-01"})["id"].(string)
	expiry := time.Now().AddDate(0, -1, 0).Format("2006-01-02")
	res := e.Do("POST", "/submissions", tokens["pm1"], map[string]any{"type": "exit", "productId": pid, "exitType": "natural",
		"evaluation": "合作协议到期未续签", "exitPlan": "到期退出", "replacementProduct": "无", "exitDate": expiry,
		"customerServicePlan": "逐户告知", "cooperationMatters": "协议终止，退还承诺金"})
	if res.Status != 201 || res.Map(t)["decisionLevel"] != "none" {
		t.Fatalf("natural exit: %d %s", res.Status, res.Body)
	}
	p := e.Do("GET", "/products/"+pid, admin, nil).Map(t)
	exit := p["exit"].(map[string]any)
	if p["stage"] != "commercial" || exit["published"] != false || exit["noticeDate"] == nil {
		t.Fatalf("before the notice date: stage %v exit %v", p["stage"], exit)
	}
	entries, err := e.Stack.Schedules()
	if err != nil {
		t.Fatal(err)
	}
	var daily *scheduler.Entry
	for i := range entries {
		if entries[i].FunctionFolder == "submissions" {
			daily = &entries[i]
		}
	}
	if daily == nil {
		t.Fatal("no exit-notice schedule")
	}
	fire := func(at time.Time) {
		t.Helper()
		if err := e.Stack.Fire(t.Context(), *daily, at); err != nil {
			t.Fatal(err)
		}
		if err := e.Stack.Lambda.Settle(t.Context()); err != nil {
			t.Fatal(err)
		}
	}
	fire(time.Now())
	if st := e.Do("GET", "/products/"+pid, admin, nil).Map(t)["stage"]; st != "commercial" {
		t.Fatalf("published early: %v", st)
	}
	// The daily run two months and a day later (its scheduled time) publishes
	// the notice; running it again changes nothing.
	for i := 0; i < 2; i++ {
		fire(time.Now().AddDate(0, 2, 1))
	}
	p = e.Do("GET", "/products/"+pid, admin, nil).Map(t)
	if p["stage"] != "exiting" || p["exit"].(map[string]any)["published"] != true {
		t.Fatalf("after the notice date: %v %v", p["stage"], p["exit"])
	}
	hist := e.Do("GET", "/products/"+pid+"/history", admin, nil).Map(t)["items"].([]any)
	if n := len(hist); n != 2 {
		t.Fatalf("history has %d entries, want registration and one exit notice", n)
	}
}

// Texts nobody writes (control characters, invalid UTF-8, a page of a
// comment) are refused on the approval page without using the link up.
func TestApprovalFormRefusesBadTextAndKeepsTheLink(t *testing.T) {
	e := stacktest.New(t)
	tokens := people(t, e, nil)
	id, link := waitingForVP(t, e, tokens)
	for name, comment := range map[string]string{"NUL": "同意\x00", "ESC": "\x1b[2J同意", "not UTF-8": "\xff\xfe", "too long": strings.Repeat("长", 2001)} {
		if st, html := page(t, link, url.Values{"decision": {"approve"}, "comment": {comment}, "minutesRef": {"会纪〔2026〕12号"}}); st != 400 || !strings.Contains(html, "comment") {
			t.Fatalf("%s comment: %d", name, st)
		}
	}
	if st, _ := decide(t, link, "approve"); st != 200 {
		t.Fatalf("the link after refused posts: %d", st)
	}
	eventually(t, "approved", func() bool { return submission(t, e, tokens["pm1"], id)["status"] == "approved" })
}
