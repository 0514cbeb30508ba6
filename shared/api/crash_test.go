package api_test

import (
	"net/url"
	"strings"
	"testing"
	"time"

	"productgov/infra/localstack/stacktest"
	"productgov/infra/scheduler"
)

// approvalID is the id in an emailed link /approvals/{id}?sig=….
func approvalID(t *testing.T, link string) string {
	t.Helper()
	u, err := url.Parse(link)
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimPrefix(u.Path, "/approvals/")
}

// A decision whose request was cut off after it claimed the link (the
// process died: the link says deciding, nothing else happened) is completed:
// by the next POST of the link once the claim is older than its lease, or by
// the hourly sweep, so the workflow goes on and the link ends used. A fresh
// claim, still in flight, is left alone.
func TestDecisionCutOffByACrashIsCompleted(t *testing.T) {
	for _, resume := range []string{"by the link", "by the sweep"} {
		t.Run(resume, func(t *testing.T) {
			e := stacktest.New(t)
			tokens := people(t, e, nil)
			pm := tokens["pm1"]
			id, link := waitingForVP(t, e, tokens)
			aid := approvalID(t, link)
			// What a request leaves behind when its process dies right after
			// claiming the link a minute ago.
			if err := e.Sys.Store.ClaimApproval(t.Context(), aid, "approve", "同意", "会纪〔2026〕12号", time.Now().Add(-time.Minute)); err != nil {
				t.Fatal(err)
			}
			if st, html := page(t, link, nil); st != 409 || !strings.Contains(html, "未作任何更改") {
				t.Fatalf("GET of the cut-off link: %d", st)
			}
			switch resume {
			case "by the link":
				if st, html := decide(t, link, "reject"); st != 200 || !strings.Contains(html, "同意") {
					t.Fatalf("POST of the cut-off link: %d, want the recorded decision (同意) completed\n%s", st, html)
				}
			case "by the sweep":
				entries, err := e.Stack.Schedules()
				if err != nil {
					t.Fatal(err)
				}
				for _, en := range entries {
					if en.ResourceType == scheduler.ResourceFunction && en.FunctionFolder == "notify" {
						if err := e.Stack.Fire(t.Context(), en, time.Now()); err != nil {
							t.Fatal(err)
						}
					}
				}
				if err := e.Stack.Lambda.Settle(t.Context()); err != nil {
					t.Fatal(err)
				}
			}
			eventually(t, "the recorded decision carried through", func() bool { return submission(t, e, pm, id)["status"] == "approved" })
			if st, _ := decide(t, link, "approve"); st != 409 {
				t.Fatalf("the link after completion: %d, want used", st)
			}
		})
	}

	t.Run("a claim still in flight", func(t *testing.T) {
		e := stacktest.New(t)
		tokens := people(t, e, nil)
		pm := tokens["pm1"]
		id, link := waitingForVP(t, e, tokens)
		if err := e.Sys.Store.ClaimApproval(t.Context(), approvalID(t, link), "approve", "同意", "", time.Now()); err != nil {
			t.Fatal(err)
		}
		if st, _ := decide(t, link, "approve"); st != 409 {
			t.Fatalf("POST while another request decides: %d, want 409", st)
		}
		if st := submission(t, e, pm, id)["status"]; st != "deciding" {
			t.Fatalf("submission %v", st)
		}
	})
}
