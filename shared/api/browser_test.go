package api_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/chromedp"

	"productgov/infra/localstack/stacktest"
)

// chromiumPath is where Debian's chromium package installs the browser
// (make deps-chromium).
const chromiumPath = "/usr/bin/chromium"

// lockedBuffer collects the browser's output, which it writes while the test reads.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// requireChromium fails the test in CI (CI=true) and skips it elsewhere
// when Chromium is not installed.
func requireChromium(t *testing.T) {
	t.Helper()
	if _, err := exec.LookPath(chromiumPath); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("chromium not found at %s (CI=true): install it with `make deps-chromium`: %v", chromiumPath, err)
		}
		t.Skipf("skipping browser test: chromium not found at %s; install it with `make deps-chromium` (apt-get install chromium)", chromiumPath)
	}
}

// newBrowser starts a headless Chromium with a fresh profile and returns a
// tab's context, bounded by timeout.
func newBrowser(t *testing.T, timeout time.Duration) context.Context {
	t.Helper()
	requireChromium(t)
	out := &lockedBuffer{}
	// Chromium's helper processes may still write to the profile for a moment
	// after the browser exits, so the profile is removed with retries rather
	// than by t.TempDir, whose cleanup fails on a directory still changing.
	profile, err := os.MkdirTemp("", "browser-test-profile-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		for i := 0; i < 20 && os.RemoveAll(profile) != nil; i++ {
			time.Sleep(100 * time.Millisecond)
		}
	})
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(chromiumPath),
		chromedp.UserDataDir(profile),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.WindowSize(1000, 900),
		chromedp.CombinedOutput(out),
	}
	ctx, cancelTimeout := context.WithTimeout(t.Context(), timeout)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(ctx, opts...)
	// The pinned cdproto predates some enum values of the current Chromium
	// (e.g. IPAddressSpace "Loopback") and reports those events as errors;
	// they are kept with the browser's output, shown only when the test fails.
	tabCtx, cancelTab := chromedp.NewContext(allocCtx, chromedp.WithErrorf(func(format string, args ...any) {
		fmt.Fprintf(out, "chromedp: "+format+"\n", args...)
	}))
	t.Cleanup(func() {
		cancelTab()
		cancelAlloc() // waits for the browser to exit, before t.TempDir is removed
		cancelTimeout()
		if t.Failed() {
			if s := out.String(); s != "" {
				t.Logf("chromium output:\n%s", s)
			}
		}
	})
	if err := chromedp.Run(tabCtx); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	return tabCtx
}

// browse runs browser actions and fails the test on error.
func browse(t *testing.T, ctx context.Context, what string, actions ...chromedp.Action) {
	t.Helper()
	if err := chromedp.Run(ctx, actions...); err != nil {
		t.Fatalf("browser: %s: %v", what, err)
	}
}

// stateText waits until the page's div#state contains want (the page after
// a form POST replaces the one showing the form) and returns its text.
func stateText(t *testing.T, ctx context.Context, want string) string {
	t.Helper()
	var text string
	for {
		// Errors while the next document loads are expected; keep polling.
		_ = chromedp.Run(ctx, chromedp.Evaluate(`(document.querySelector('div#state') || {}).textContent || ''`, &text))
		if strings.Contains(text, want) {
			return text
		}
		select {
		case <-ctx.Done():
			t.Fatalf("browser: waiting for #state to contain %q, have %q: %v", want, text, ctx.Err())
		case <-time.After(50 * time.Millisecond):
		}
	}
}

func hasElement(t *testing.T, ctx context.Context, selector string) bool {
	t.Helper()
	var ok bool
	browse(t, ctx, "look for "+selector, chromedp.Evaluate(`document.querySelector(`+jsString(selector)+`) !== null`, &ok))
	return ok
}

func jsString(s string) string {
	return `'` + strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(s) + `'`
}

func saveScreenshot(t *testing.T, name string, png []byte) {
	t.Helper()
	dirs := []string{t.TempDir()}
	if d := os.Getenv("SCREENSHOT_DIR"); d != "" {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
		dirs = append(dirs, d)
	}
	for _, d := range dirs {
		p := filepath.Join(d, name)
		if err := os.WriteFile(p, png, 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("screenshot: %s", p)
	}
}

// TestBrowserApprovesThroughEmailLink drives the email-link approval (SPEC 2.4)
// as an executive would, in Chromium: open the link from the mail, read the
// page, fill the minutes reference and a comment, press 同意; the link then
// shows as used and a second visit decides nothing.
func TestBrowserApprovesThroughEmailLink(t *testing.T) {
	requireChromium(t) // before the stack starts, so a skip is quick
	start := time.Now()
	e := stacktest.New(t)
	ctx := newBrowser(t, 30*time.Second)

	tokens := people(t, e, nil)
	pm := tokens["pm1"]
	const productName = "云视讯会议"
	pid := createProduct(t, e, pm, map[string]any{"name": productName, "level": "city", "mode": "self_built"})["id"].(string)
	res := e.Do("POST", "/submissions", pm, demandContent(pid, "100000.00"))
	if res.Status != 201 {
		t.Fatalf("submit: %d %s", res.Status, res.Body)
	}
	created := res.Map(t)
	if created["decisionLevel"] != "special_meeting" {
		t.Fatalf("decision level %v, want special_meeting", created["decisionLevel"])
	}
	id := created["id"].(string)
	reviewAll(t, e, tokens, id, "group")
	eventually(t, "cross review", func() bool { return submission(t, e, pm, id)["status"] == "cross_review" })
	reviewAll(t, e, tokens, id, "cross_department")
	countersignMinutes(t, e, pm, id)
	link := linkFor(t, e, "vp1@example.test", 0)

	// The page from the mail: the submission, its review record and the form.
	var body, approveText, rejectText, returnText string
	browse(t, ctx, "open the approval link",
		chromedp.Navigate(link),
		chromedp.WaitVisible("form#decide", chromedp.ByQuery),
		chromedp.Text("body", &body, chromedp.ByQuery),
		chromedp.Text("#approve", &approveText, chromedp.ByQuery),
		chromedp.Text("#reject", &rejectText, chromedp.ByQuery),
		chromedp.Text("#return", &returnText, chromedp.ByQuery),
	)
	if approveText != "同意" || rejectText != "驳回" || returnText != "退回" {
		t.Errorf("buttons %q %q %q, want 同意 驳回 退回", approveText, rejectText, returnText)
	}
	for _, want := range []string{id, productName, "¥100,000.00", "评审记录", "rev1", "rev5", "打开本页面不会作出任何决定"} {
		if !strings.Contains(body, want) {
			t.Errorf("approval page lacks %q:\n%s", want, body)
		}
	}
	if !hasElement(t, ctx, "input#minutesRef") {
		t.Fatalf("the special meeting's VP step does not ask for the minutes reference:\n%s", body)
	}
	var shot []byte
	browse(t, ctx, "screenshot", chromedp.FullScreenshot(&shot, 100))
	saveScreenshot(t, "approval.png", shot)
	// Opening the page decided nothing.
	if sub := submission(t, e, pm, id); sub["status"] != "deciding" || sub["steps"].([]any)[1].(map[string]any)["status"] != "waiting" {
		t.Fatalf("after opening the page: %v %v", sub["status"], sub["steps"])
	}

	const minutes, comment = "会纪〔2026〕12号", "同意立项，请按计划推进。"
	var gotMinutes, gotComment string
	browse(t, ctx, "fill the form",
		chromedp.SendKeys("#minutesRef", minutes, chromedp.ByQuery),
		chromedp.SendKeys("#comment", comment, chromedp.ByQuery),
		chromedp.Value("#minutesRef", &gotMinutes, chromedp.ByQuery),
		chromedp.Value("#comment", &gotComment, chromedp.ByQuery),
	)
	if gotMinutes != minutes || gotComment != comment {
		t.Fatalf("typed %q and %q, fields hold %q and %q", minutes, comment, gotMinutes, gotComment)
	}
	browse(t, ctx, "press 同意", chromedp.Click("#approve", chromedp.ByQuery))
	t.Logf("result notice: %s", stateText(t, ctx, "已记录您的决定"))
	if hasElement(t, ctx, "form#decide") {
		t.Errorf("the result page still shows the form")
	}

	eventually(t, "approved", func() bool { return submission(t, e, pm, id)["status"] == "approved" })
	eventually(t, "planning", func() bool { return e.Do("GET", "/products/"+pid, pm, nil).Map(t)["stage"] == "planning" })

	// The same link again, as a fresh GET: used, no form, nothing changes.
	browse(t, ctx, "open the link again", chromedp.Navigate(link))
	if hasElement(t, ctx, "form#decide") {
		t.Errorf("a used link shows the decision form again")
		browse(t, ctx, "press 同意 again", chromedp.Click("#approve", chromedp.ByQuery))
	}
	if st := stateText(t, ctx, "已使用"); !strings.Contains(st, "未作任何更改") {
		t.Errorf("used-link notice: %s", st)
	}
	sub := submission(t, e, pm, id)
	steps := sub["steps"].([]any)
	if sub["status"] != "approved" || len(steps) != 2 {
		t.Fatalf("after the second visit: %v %v", sub["status"], steps)
	}
	if step := steps[1].(map[string]any); step["status"] != "approved" || step["approver"] != "vp1" {
		t.Fatalf("step %v", step)
	}

	// The local outbox page lists the mail with the link, and the link works.
	var outbox string
	var anchors []*cdp.Node
	browse(t, ctx, "open the outbox page",
		chromedp.Navigate(e.Server.URL+"/dev/outbox.html"),
		chromedp.Text("body", &outbox, chromedp.ByQuery),
		chromedp.Nodes("a", &anchors, chromedp.ByQueryAll),
	)
	if !strings.Contains(outbox, "vp1@example.test") {
		t.Errorf("outbox page lacks the VP's mail:\n%s", outbox)
	}
	var anchor *cdp.Node
	for _, a := range anchors {
		if href, _ := a.Attribute("href"); href == link {
			anchor = a
			break
		}
	}
	if anchor == nil {
		t.Fatalf("outbox page has no <a href=%q>:\n%s", link, outbox)
	}
	browse(t, ctx, "follow the outbox link", chromedp.MouseClickNode(anchor))
	stateText(t, ctx, "已使用")
	if st := submission(t, e, pm, id)["status"]; st != "approved" {
		t.Fatalf("status %v after following the outbox link", st)
	}
	t.Logf("browser approval test took %s", time.Since(start).Round(time.Millisecond))
}
