package api_test

import (
	"fmt"
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

// settlementEnv is a stack with three support partners, each with one
// registered revenue-mode project and a quarter's inputs.
func settlementEnv(t *testing.T) (*stacktest.Env, map[string]string, []string) {
	t.Helper()
	e := stacktest.New(t)
	tok := staff(t, e, nil)
	admin := tok["admin"]
	var csv strings.Builder
	csv.WriteString("product_id,month,value\n")
	var partners []string
	for i := range 3 {
		x := createProduct(t, e, admin, map[string]any{"name": fmt.Sprintf("结算产品%d", i), "level": "city", "mode": "self_built",
			"stage": "commercial", "noticeDate": "2024-06-01"})["id"].(string)
		pid := activePartner(t, e, tok, fmt.Sprintf("结算伙伴%d", i), "2025-01-01")
		partners = append(partners, pid)
		project := mustStatus(t, e.Do("POST", "/support-projects", admin, map[string]any{"partnerId": pid, "productId": x,
			"benefitType": "direct", "contentType": "deep_content", "contributionRate": "0.03", "minWorkload": 0,
			"annualTarget": "1200000.00", "status": "approved", "startDate": "2025-01-01"}), 201, "project")["id"].(string)
		for m := 1; m <= 3; m++ {
			fmt.Fprintf(&csv, "%s,2025-%02d,%d.00\n", x, m, 100000*(i+1))
		}
		mustStatus(t, e.Do("PUT", "/support-projects/"+project+"/quarters/2025-Q1", tok["inn1"], map[string]any{"workload": 10, "serviceScore": 80}), 200, "quarter")
	}
	mustStatus(t, e.Do("POST", "/imports/revenue", admin, csv.String(), "Content-Type", "text/csv"), 201, "revenue")
	return e, tok, partners
}

// settled is a quarter's statements and each partner's deposit ledger, by
// partner name (ids differ between stacks), without times or ids.
func settled(t *testing.T, e *stacktest.Env, tok map[string]string, partners []string) map[string]string {
	t.Helper()
	out := map[string]string{}
	st := mustStatus(t, e.Do("GET", "/settlements/2025-Q1", tok["admin"], nil), 200, "statements")
	names := map[string]string{}
	for _, pid := range partners {
		p := mustStatus(t, e.Do("GET", "/partners/"+pid, tok["admin"], nil), 200, "partner")
		names[pid] = p["name"].(string)
		out[names[pid]+" ledger"] = fmt.Sprint(p["depositBalance"], len(p["ledger"].([]any)))
	}
	for _, it := range st["items"].([]any) {
		s := it.(map[string]any)
		out[names[s["partnerId"].(string)]+" statement"] = fmt.Sprint(s["payable"], "|", s["fee"], "|", s["rule"])
	}
	return out
}

// kill -9 of the settlement function's processes mid-run changes nothing:
// the run finishes with the undisturbed run's statements, and no deposit is
// drawn twice.
func TestSettlementSurvivesAKilledFunction(t *testing.T) {
	calm, calmTok, calmPartners := settlementEnv(t)
	settle(t, calm, calmTok["admin"], "2025-Q1")
	want := settled(t, calm, calmTok, calmPartners)
	if len(want) != 6 {
		t.Fatalf("undisturbed run: %v, want 3 statements and 3 ledgers", want)
	}

	e, tok, partners := settlementEnv(t)
	mustStatus(t, e.Do("POST", "/settlement-runs", tok["admin"], map[string]any{"quarter": "2025-Q1"}), 202, "start")
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) && e.Stack.Lambda.Running("settlement") == 0 {
		time.Sleep(time.Millisecond)
	}
	if n, err := e.Stack.Lambda.Kill("settlement"); err != nil || n == 0 {
		t.Fatalf("killed %d: %v", n, err)
	}
	eventually(t, "the settlement run", func() bool {
		res := e.Do("GET", "/settlement-runs/2025-Q1", tok["admin"], nil)
		return res.Status == 200 && res.Map(t)["status"] == "succeeded"
	})
	got := settled(t, e, tok, partners)
	for k, w := range want {
		if got[k] != w {
			t.Errorf("%s: %s after the kill, %s undisturbed", k, got[k], w)
		}
	}
	if len(got) != len(want) {
		t.Errorf("%d records after the kill, %d undisturbed: %v / %v", len(got), len(want), got, want)
	}
}
