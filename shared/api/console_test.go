package api_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/chromedp"

	"productgov/infra/localstack/stacktest"
	"productgov/shared/directory"
	"productgov/shared/reason"
)

// consolePeople is the directory of the console tests: Chinese names, so a
// login on a page is a leak (issue 12). Subs match the approval helpers'.
var consolePeople = []struct {
	sub, name, dept string
	roles           []directory.Role
}{
	{"admin", "系统管理员", "信息化部", []directory.Role{directory.RoleAdmin}},
	{"pm1", "李产品经理", "政企客户中心", []directory.Role{directory.RoleProductManager}},
	{"rev1", "王评审", "集团客户部", []directory.Role{directory.RoleReviewer}},
	{"rev2", "陈评审", "政企客户中心", []directory.Role{directory.RoleReviewer}},
	{"rev3", "刘评审", "系统集成", []directory.Role{directory.RoleReviewer}},
	{"rev4", "黄评审", "集团客户部", []directory.Role{directory.RoleReviewer}},
	{"rev5", "周评审", "政企客户中心", []directory.Role{directory.RoleReviewer}},
	{"vp1", "何副总", "公司领导", []directory.Role{directory.RoleVP}},
	{"gc1", "高集客", "集团客户部", []directory.Role{directory.RoleGroupCustomer}},
	{"inn1", "冯创新", "innovation", []directory.Role{directory.RoleInnovation}},
	{"mkt1", "郑市场", "marketing", []directory.Role{directory.RoleMarketing}},
	{"fin1", "孙财务", "finance", []directory.Role{directory.RoleFinance}},
	{"aud1", "钱审计", "审计部", []directory.Role{directory.RoleAuditor}},
}

// allowedLatin are the Latin words a zh-CN console page may show: names of
// file formats and the spec's section marks.
var allowedLatin = map[string]bool{"Excel": true, "CSV": true, "XLSX": true, "SPEC": true}

var (
	latinWord = regexp.MustCompile(`[A-Za-z]{3,}`)
	rawID     = regexp.MustCompile(`\b(prd|sub|ptn|spj|imp|apr)_[0-9A-Za-z]{6,}`)
)

// zhOnly fails the test when the page's visible text holds an English word
// (the rule reasons were English once), a raw id, or a login where the
// directory has a name.
func zhOnly(t *testing.T, ctx context.Context, what string, refs ...string) {
	t.Helper()
	var text string
	browse(t, ctx, "read "+what, chromedp.Evaluate(`document.body.innerText`, &text))
	// A reference number people quote (事项编号) is not a leak.
	for _, r := range refs {
		text = strings.ReplaceAll(text, r, "")
	}
	for _, w := range latinWord.FindAllString(text, -1) {
		if !allowedLatin[w] {
			t.Errorf("%s shows the English word %q:\n%s", what, w, text)
			break
		}
	}
	if id := rawID.FindString(text); id != "" {
		t.Errorf("%s shows the raw id %s:\n%s", what, id, text)
	}
	for _, p := range consolePeople {
		if regexp.MustCompile(`\b` + regexp.QuoteMeta(p.sub) + `\b`).MatchString(text) {
			t.Errorf("%s shows the login %s instead of %s:\n%s", what, p.sub, p.name, text)
		}
	}
}

// waitText waits until the selector's text contains want.
func waitText(t *testing.T, ctx context.Context, sel, want string) string {
	t.Helper()
	var text string
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		_ = chromedp.Run(ctx, chromedp.Evaluate(`(document.querySelector(`+jsString(sel)+`)||{}).innerText||''`, &text))
		if strings.Contains(text, want) {
			return text
		}
		time.Sleep(50 * time.Millisecond)
	}
	var body string
	_ = chromedp.Run(ctx, chromedp.Evaluate(`document.body.innerText`, &body))
	t.Fatalf("waiting for %s to contain %q; it has %q; page:\n%s", sel, want, text, body)
	return ""
}

// signIn opens the console's sign-in picker and signs in as sub.
func signIn(t *testing.T, ctx context.Context, base, sub, name string) {
	t.Helper()
	browse(t, ctx, "sign in as "+sub,
		chromedp.Navigate(base+"/console#/signin"),
		chromedp.WaitVisible(`#people button[data-sub="`+sub+`"]`, chromedp.ByQuery),
		chromedp.Click(`#people button[data-sub="`+sub+`"]`, chromedp.ByQuery))
	waitText(t, ctx, "#me", name)
}

// go navigates to a console route (a deep link) and waits for its heading.
func goTo(t *testing.T, ctx context.Context, base, route, heading string) {
	t.Helper()
	browse(t, ctx, "open "+route, chromedp.Navigate(base+"/console"+route))
	waitText(t, ctx, "main h1", heading)
}

func currentHash(t *testing.T, ctx context.Context) string {
	var h string
	browse(t, ctx, "read the location", chromedp.Evaluate(`location.hash`, &h))
	return h
}

func shot(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	var png []byte
	browse(t, ctx, "screenshot "+name, chromedp.FullScreenshot(&png, 100))
	saveScreenshot(t, name, png)
}

// TestConsole does each role's main job through the console, from sign-in
// to result, against the running stack, in one browser (issue 12).
func TestConsole(t *testing.T) {
	requireChromium(t)
	start := time.Now()
	e := stacktest.New(t)
	ctx := newBrowser(t, 150*time.Second)
	base := e.Server.URL
	admin := e.Token("admin", directory.RoleAdmin)
	tok := map[string]string{"admin": admin}
	for _, p := range consolePeople {
		res := e.Do("PUT", "/users/"+p.sub, admin, map[string]any{"name": p.name, "email": p.sub + "@example.test",
			"roles": p.roles, "dept": p.dept, "relatedPartners": []string{}})
		if res.Status != 200 {
			t.Fatalf("put user %s: %d %s", p.sub, res.Status, res.Body)
		}
		tok[p.sub] = e.Token(p.sub, p.roles...)
	}
	// An existing commercial product, long past its exemption, for the
	// import and the assessment.
	old := createProduct(t, e, admin, map[string]any{"name": "云视讯会议", "level": "city", "mode": "self_built",
		"stage": "commercial", "noticeDate": "2024-01-01"})["id"].(string)

	var subID, productID string
	t.Run("product manager submits a demand decision that reaches the VP", func(t *testing.T) {
		signIn(t, ctx, base, "pm1", "李产品经理")
		goTo(t, ctx, base, "#/products/new", "登记新产品")
		browse(t, ctx, "register a product",
			chromedp.SendKeys("#f-name", "政企云桌面", chromedp.ByQuery),
			chromedp.SetValue("#f-level", "city", chromedp.ByQuery),
			chromedp.Click(`#product-form button[type=submit]`, chromedp.ByQuery))
		waitText(t, ctx, "main h1", "政企云桌面")
		productID = strings.TrimPrefix(currentHash(t, ctx), "#/products/")
		zhOnly(t, ctx, "the new product's page")
		browse(t, ctx, "start a demand decision", chromedp.SetValue("#new-type", "demand", chromedp.ByQuery), chromedp.Click("#new-submission", chromedp.ByQuery))
		waitText(t, ctx, "main h1", "提交需求立项事项")
		// A form missing most of its content: every field-level error beside its field.
		browse(t, ctx, "submit an incomplete form",
			chromedp.SendKeys("#f-marketAnalysis", "政企客户对云桌面需求旺盛", chromedp.ByQuery),
			chromedp.Click("#submit", chromedp.ByQuery))
		waitText(t, ctx, "#f-functionDesign + .field-error", "必填（P§7(一)1）")
		waitText(t, ctx, "#f-estimatedInvestment + .field-error", "至少填写一项")
		zhOnly(t, ctx, "the demand form with its errors")
		shot(t, ctx, "console-form-errors.png")
		fill := map[string]string{"#f-functionDesign": "桌面池、终端管理", "#f-feasibility": "技术成熟", "#f-buildModel": "自建",
			"#f-operatingModel": "省公司运营", "#f-businessModel": "按月订阅", "#f-estimatedInvestment": "100000.00", "#f-estimateMonths": "36"}
		for sel, v := range fill {
			browse(t, ctx, "fill "+sel, chromedp.SendKeys(sel, v, chromedp.ByQuery))
		}
		browse(t, ctx, "submit", chromedp.Click("#submit", chromedp.ByQuery))
		waitText(t, ctx, "#status", "小组评审中")
		subID = strings.TrimPrefix(currentHash(t, ctx), "#/submissions/")
		if !strings.HasPrefix(subID, "sub_") {
			t.Fatalf("after submitting, the console shows %q", currentHash(t, ctx))
		}
		if routing := waitText(t, ctx, "#routing", "专题办公会"); !strings.Contains(routing, "路由表第") {
			t.Errorf("routing %q", routing)
		}
		zhOnly(t, ctx, "the submission page")
	})
	if subID == "" {
		t.Fatal("no submission to review")
	}

	t.Run("reviewer votes from the queue", func(t *testing.T) {
		for _, r := range []string{"rev2", "rev3", "rev4", "rev5"} {
			if st := vote(t, e, tok[r], subID, "group", "approve"); st != 201 {
				t.Fatalf("%s: %d", r, st)
			}
		}
		signIn(t, ctx, base, "rev1", "王评审")
		goTo(t, ctx, base, "#/reviews", "我的评审")
		waitText(t, ctx, "#queue", "政企云桌面")
		zhOnly(t, ctx, "the review queue")
		browse(t, ctx, "open the submission", chromedp.Click(`#queue a[href="#/submissions/`+subID+`"]`, chromedp.ByQuery))
		waitText(t, ctx, "main h2", "小组评审：您的意见")
		browse(t, ctx, "vote", chromedp.SendKeys("#comment", "同意立项", chromedp.ByQuery), chromedp.Click("#cast-vote", chromedp.ByQuery))
		waitText(t, ctx, "#voted", "已记录您的评审意见")
		eventually(t, "cross review", func() bool { return submission(t, e, tok["pm1"], subID)["status"] == "cross_review" })
		// The back button returns to the submission, which no longer asks for a vote.
		browse(t, ctx, "back", chromedp.NavigateBack())
		waitText(t, ctx, "#status", "跨部门评审中")

		// A declared relation with the product's partner (P§24): the queue and
		// the submission say why, and no vote is offered.
		if err := e.Sys.Store.RegisterPartner(t.Context(), auditMeta(), "ptn_console", "si", "某集成伙伴"); err != nil {
			t.Fatal(err)
		}
		coop := createProduct(t, e, tok["pm1"], map[string]any{"name": "合作云监控", "level": "city", "mode": "cooperative", "partnerId": "ptn_console"})["id"].(string)
		body := demandContent(coop, "100000.00")
		body["partnerId"], body["revenueShareModel"], body["revenueShareEstimate"], body["revenueShareMonths"] = "ptn_console", "三七分成", "200000.00", 12
		res := e.Do("POST", "/submissions", tok["pm1"], body)
		if res.Status != 201 {
			t.Fatalf("cooperative demand: %d %s", res.Status, res.Body)
		}
		related := res.Map(t)["id"].(string)
		if res := e.Do("PUT", "/users/rev1", admin, map[string]any{"name": "王评审", "email": "rev1@example.test", "roles": []string{"reviewer"},
			"dept": "集团客户部", "relatedPartners": []string{"ptn_console"}}); res.Status != 200 {
			t.Fatalf("declare the relation: %d %s", res.Status, res.Body)
		}
		goTo(t, ctx, base, "#/reviews", "我的评审")
		waitText(t, ctx, "#queue", "关联回避（P§24）")
		goTo(t, ctx, base, "#/submissions/"+related, "合作云监控")
		waitText(t, ctx, "#conflict", "P§24")
		if hasElement(t, ctx, "#vote-form") {
			t.Error("a reviewer with a declared relation is offered the vote")
		}
		zhOnly(t, ctx, "the submission with a conflict")
	})

	t.Run("the decision reaches the VP's email link", func(t *testing.T) {
		for _, r := range []string{"rev1", "rev2", "rev3", "rev4", "rev5"} {
			if st := vote(t, e, tok[r], subID, "cross_department", "approve"); st != 201 {
				t.Fatalf("%s: %d", r, st)
			}
		}
		countersignMinutes(t, e, tok["pm1"], subID)
		link := linkFor(t, e, "vp1@example.test", 0)
		browse(t, ctx, "open the VP's link", chromedp.Navigate(link), chromedp.WaitVisible("form#decide", chromedp.ByQuery))
		zhOnly(t, ctx, "the approval page", subID)
		signIn(t, ctx, base, "pm1", "李产品经理")
		goTo(t, ctx, base, "#/submissions/"+subID, "需求立项")
		waitText(t, ctx, "#steps", "何副总")
		zhOnly(t, ctx, "the submission with its steps")
	})

	t.Run("admin imports figures and a bad line is shown", func(t *testing.T) {
		signIn(t, ctx, base, "admin", "系统管理员")
		goTo(t, ctx, base, "#/admin/imports", "数据导入")
		dir := t.TempDir()
		bad := filepath.Join(dir, "bad.csv")
		good := filepath.Join(dir, "good.csv")
		writeFile(t, bad, fmt.Sprintf("product_id,month,value\n%s,2026-07,90000.00\nprd_nonexistent,2026-08,1.00\n%s,2026-13,5\n", old, old))
		var lines strings.Builder
		lines.WriteString("product_id,month,value\n")
		for _, m := range []string{"2026-07", "2026-08", "2026-09"} {
			fmt.Fprintf(&lines, "%s,%s,30000.00\n", old, m)
		}
		writeFile(t, good, lines.String())
		browse(t, ctx, "upload a file with bad lines", chromedp.SetUploadFiles("#file", []string{bad}, chromedp.ByQuery), chromedp.Click("#upload", chromedp.ByQuery))
		text := waitText(t, ctx, "#bad-lines", "第 3 行")
		if !strings.Contains(text, "第 4 行") || !strings.Contains(text, "不存在") || !strings.Contains(text, "月份") {
			t.Errorf("bad lines %q", text)
		}
		shot(t, ctx, "console-import.png")
		browse(t, ctx, "upload the corrected file", chromedp.SetUploadFiles("#file", []string{good}, chromedp.ByQuery), chromedp.Click("#upload", chromedp.ByQuery))
		waitText(t, ctx, "#import-result", "已导入 3 行")
	})

	t.Run("admin runs the assessment and reads the reasons in Chinese", func(t *testing.T) {
		goTo(t, ctx, base, "#/admin/runs", "作业")
		browse(t, ctx, "start the run", chromedp.SetValue("#run-month", "2026-09", chromedp.ByQuery), chromedp.Click("#assessment-run button", chromedp.ByQuery))
		waitText(t, ctx, "#run-status", "已完成")
		goTo(t, ctx, base, "#/assessments/2026-09", "2026年9月产品月度考核结果")
		text := waitText(t, ctx, "#results", "云视讯会议")
		for _, want := range []string{"未通过", "¥30,000.00", "P§19(一)", "预警期", "月均收入", "低于市级产品门槛¥50,000.00"} {
			if !strings.Contains(text, want) {
				t.Errorf("results lack %q:\n%s", want, text)
			}
		}
		zhOnly(t, ctx, "the assessment results")
		if name, body := downloadBy(t, ctx, "#xlsx"); name != "月度产品考核报告-2026-09.xlsx" || !strings.HasPrefix(string(body), "PK") {
			t.Errorf("the report's download: %q, %d bytes", name, len(body))
		}
		// One catalog: the console renders the API's codes exactly as the Go pages do.
		var page struct {
			Items []struct {
				ProductID string          `json:"productId"`
				Reasons   []reason.Reason `json:"reasons"`
			} `json:"items"`
		}
		e.Do("GET", "/assessments/2026-09", admin, nil).JSON(t, &page)
		for _, it := range page.Items {
			if it.ProductID == old && !strings.Contains(text, reason.Join(it.Reasons)) {
				t.Errorf("the console renders %q differently from the Go catalog's %q", text, reason.Join(it.Reasons))
			}
		}
		shot(t, ctx, "console-assessment.png")
		// The server-rendered report names products and gives reasons from the same catalog.
		browse(t, ctx, "open the printable report", chromedp.Navigate(base+"/assessments/2026-09/report.html?access_token="+admin))
		waitText(t, ctx, "#changes", "云视讯会议")
		zhOnly(t, ctx, "the report page")
	})

	t.Run("marketing confirms and finance approves a statement", func(t *testing.T) {
		pid := activePartner(t, e, tok, "长期运营伙伴", "2025-01-01")
		g := mustStatus(t, e.Do("POST", "/support-projects", admin, map[string]any{"partnerId": pid, "productId": old,
			"benefitType": "guarantee", "contentType": "basic_function", "status": "approved", "startDate": "2025-01-01",
			"items": []map[string]any{{"name": "内容审核", "unitPrice": "1000.00", "plannedWorkload": 30}}}), 201, "project")["id"].(string)
		mustStatus(t, e.Do("PUT", "/support-projects/"+g+"/quarters/2025-Q1", tok["inn1"], map[string]any{
			"items": []map[string]any{{"name": "内容审核", "workload": 30, "score": 90}}, "serviceScore": 88}), 200, "quarter")
		settle(t, e, admin, "2025-Q1")
		signIn(t, ctx, base, "mkt1", "郑市场")
		goTo(t, ctx, base, "#/settlements?quarter=2025-Q1", "2025年第一季度结算单")
		waitText(t, ctx, "#statements", "长期运营伙伴")
		waitText(t, ctx, "#statements .why", "结算基数¥30,000.00") // the reason, in Chinese with its article
		zhOnly(t, ctx, "the statements")
		browse(t, ctx, "confirm", chromedp.Click("#statements button.confirm", chromedp.ByQuery))
		waitText(t, ctx, "#statements .st-status", "待财务部审批")
		signIn(t, ctx, base, "fin1", "孙财务")
		goTo(t, ctx, base, "#/settlements?quarter=2025-Q1", "结算单")
		browse(t, ctx, "approve", chromedp.Click("#statements button.approve", chromedp.ByQuery))
		text := waitText(t, ctx, "#statements .st-status", "已审批")
		if acts := waitText(t, ctx, "#statements", "孙财务"); !strings.Contains(acts, "郑市场") {
			t.Errorf("acts %q (%s)", acts, text)
		}
		shot(t, ctx, "console-statements.png")
		// 下载 Excel: the console asks for the link and the browser saves the
		// workbook from the work bucket under its Chinese name.
		if name, body := downloadBy(t, ctx, "#xlsx"); name != "结算单-2025-Q1.xlsx" || !strings.HasPrefix(string(body), "PK") {
			t.Errorf("the statements' download: %q, %d bytes", name, len(body))
		}
		// The partner's page: its projects and deposit ledger, and finance posts a deduction.
		goTo(t, ctx, base, "#/partners/"+pid, "长期运营伙伴")
		waitText(t, ctx, "#projects", "云视讯会议")
		browse(t, ctx, "post a deduction",
			chromedp.SetValue("#d-kind", "deduction", chromedp.ByQuery),
			chromedp.SendKeys("#d-amount", "5000.00", chromedp.ByQuery),
			chromedp.SendKeys("#d-reference", "罚〔2025〕3号", chromedp.ByQuery),
			chromedp.SendKeys("#d-reason", "违约扣款", chromedp.ByQuery),
			chromedp.Click("#deposit-form button[type=submit]", chromedp.ByQuery))
		waitText(t, ctx, "main", "¥295,000.00")
		zhOnly(t, ctx, "the partner's page")
	})

	t.Run("auditor reads the trail", func(t *testing.T) {
		signIn(t, ctx, base, "aud1", "钱审计")
		goTo(t, ctx, base, "#/audit?entity=product/"+productID, "审计追踪：政企云桌面")
		waitText(t, ctx, "#trail", "李产品经理")
		zhOnly(t, ctx, "the audit trail")
		var forms int
		browse(t, ctx, "count forms that write", chromedp.Evaluate(`document.querySelectorAll('main form button.primary, main button.ok').length`, &forms))
		if forms != 0 {
			t.Errorf("the auditor's trail offers %d writing controls", forms)
		}
	})

	t.Run("dashboard", func(t *testing.T) {
		signIn(t, ctx, base, "admin", "系统管理员")
		goTo(t, ctx, base, "#/", "工作台")
		waitText(t, ctx, "#portfolio", "商用")
		waitText(t, ctx, "#waiting", "政企云桌面")
		zhOnly(t, ctx, "the dashboard")
		shot(t, ctx, "console-dashboard.png")
		// Keyboard: Tab from the page reaches the skip link, then the menu.
		var focused string
		browse(t, ctx, "tab", chromedp.Evaluate(`document.activeElement.tagName`, &focused))
		if focused != "H1" {
			t.Errorf("after navigation the focus is on %s, not the page heading", focused)
		}
	})
	t.Logf("console browser test took %s", time.Since(start).Round(time.Millisecond))
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// downloadBy clicks sel and waits for the download it starts: the name the
// browser saves it under and its content.
func downloadBy(t *testing.T, ctx context.Context, sel string) (string, []byte) {
	t.Helper()
	dir := t.TempDir()
	type finished struct{ guid, name string }
	done := make(chan finished, 1)
	var name string
	var mu sync.Mutex
	lctx, cancel := context.WithCancel(ctx)
	defer cancel()
	chromedp.ListenTarget(lctx, func(ev any) {
		mu.Lock()
		defer mu.Unlock()
		switch e := ev.(type) {
		case *browser.EventDownloadWillBegin:
			name = e.SuggestedFilename
		case *browser.EventDownloadProgress:
			if e.State == browser.DownloadProgressStateCompleted {
				select {
				case done <- finished{e.GUID, name}:
				default:
				}
			}
		}
	})
	browse(t, ctx, "allow downloads", browser.SetDownloadBehavior(browser.SetDownloadBehaviorBehaviorAllowAndName).
		WithDownloadPath(dir).WithEventsEnabled(true))
	browse(t, ctx, "click "+sel, chromedp.Click(sel, chromedp.ByQuery))
	select {
	case f := <-done:
		body, err := os.ReadFile(filepath.Join(dir, f.guid))
		if err != nil {
			t.Fatal(err)
		}
		return f.name, body
	case <-time.After(20 * time.Second):
		var text string
		_ = chromedp.Run(ctx, chromedp.Evaluate(`location.href + ' ' + document.body.innerText`, &text))
		t.Fatalf("no download after clicking %s; the page says: %s", sel, text)
		return "", nil
	}
}
