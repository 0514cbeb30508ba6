package localstack_test

import (
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"strings"
	"testing"
	"time"

	"productgov/infra/localstack/stacktest"
	"productgov/shared/directory"
)

// assessedEnv is a stack with 240 city commercial products (three pages of
// the segment), 24 of them registered in warning with revenue below the
// threshold, so their month opens exits.
func assessedEnv(t *testing.T) (*stacktest.Env, string) {
	t.Helper()
	e := stacktest.New(t)
	admin := e.Token("admin", directory.RoleAdmin)
	var csv strings.Builder
	csv.WriteString("product_id,month,value\n")
	for i := range 240 {
		body := map[string]any{"name": fmt.Sprintf("产品%03d", i), "level": "city", "mode": "self_built",
			"stage": "commercial", "noticeDate": "2024-01-01"}
		amount := "80000.00"
		if i%10 == 0 {
			body["phase"], amount = "warning", "1000.00"
		}
		res := e.Do("POST", "/products", admin, body)
		if res.Status != 201 {
			t.Fatalf("register: %d %s", res.Status, res.Body)
		}
		id := res.Map(t)["id"].(string)
		for _, m := range []string{"2026-03", "2026-04", "2026-05"} {
			fmt.Fprintf(&csv, "%s,%s,%s\n", id, m, amount)
		}
	}
	if res := e.Do("POST", "/imports/revenue", admin, csv.String(), "Content-Type", "text/csv"); res.Status != 201 {
		t.Fatalf("import: %d %s", res.Status, res.Body)
	}
	return e, admin
}

// outcome is a month's results by product name (ids differ between stacks),
// without times, and the exit submissions opened per product.
func outcome(t *testing.T, e *stacktest.Env, admin, month string) (map[string]string, map[string]int) {
	t.Helper()
	names := map[string]string{}
	cursor := ""
	for {
		page := e.Do("GET", "/products?limit=200&cursor="+cursor, admin, nil).Map(t)
		for _, it := range page["items"].([]any) {
			p := it.(map[string]any)
			names[p["id"].(string)] = p["name"].(string)
		}
		if cursor, _ = page["nextCursor"].(string); cursor == "" {
			break
		}
	}
	res := map[string]string{}
	for cursor := ""; ; {
		page := e.Do("GET", "/assessments/"+month+"?limit=100&cursor="+cursor, admin, nil).Map(t)
		for _, it := range page["items"].([]any) {
			r := it.(map[string]any)
			res[names[r["productId"].(string)]] = fmt.Sprint(r["result"], "|", r["phaseBefore"], "|", r["phaseAfter"], "|", r["reasons"], "|", r["policyVersion"])
		}
		if cursor, _ = page["nextCursor"].(string); cursor == "" {
			break
		}
	}
	exits := map[string]int{}
	for _, it := range e.Do("GET", "/submissions?type=exit&limit=200", admin, nil).Map(t)["items"].([]any) {
		s := it.(map[string]any)
		exits[names[s["productId"].(string)]]++
	}
	return res, exits
}

func runMonthAndWait(t *testing.T, e *stacktest.Env, admin, month string, during func()) {
	t.Helper()
	if res := e.Do("POST", "/assessment-runs", admin, map[string]any{"month": month}); res.Status != 202 {
		t.Fatalf("run: %d %s", res.Status, res.Body)
	}
	if during != nil {
		during()
	}
	deadline := time.Now().Add(90 * time.Second)
	for {
		run := e.Do("GET", "/assessment-runs/"+month, admin, nil)
		if run.Status == 200 && run.Map(t)["status"] == "succeeded" {
			return
		}
		if run.Status == 200 && run.Map(t)["status"] == "failed" {
			t.Fatalf("the run failed: %s", run.Body)
		}
		if time.Now().After(deadline) {
			t.Fatalf("the run did not finish: %d %s", run.Status, run.Body)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// kill -9 of the process running a monthly assessment's pages, and a stop of
// the whole local stack mid-run, change nothing: the run finishes with the
// results of an undisturbed run, and no exit submission is opened twice.
func TestAssessmentSurvivesCrashes(t *testing.T) {
	const month = "2026-05"
	calm, calmAdmin := assessedEnv(t)
	runMonthAndWait(t, calm, calmAdmin, month, nil)
	want, wantExits := outcome(t, calm, calmAdmin, month)
	if len(want) != 240 || len(wantExits) != 24 {
		t.Fatalf("undisturbed run: %d results, %d products with exits; want 240 and 24", len(want), len(wantExits))
	}

	for _, crash := range []string{"the function's processes killed", "the local stack stopped and started"} {
		t.Run(crash, func(t *testing.T) {
			e, admin := assessedEnv(t)
			runMonthAndWait(t, e, admin, month, func() {
				// Strike while a page is being assessed, once the first are written.
				deadline := time.Now().Add(30 * time.Second)
				for time.Now().Before(deadline) {
					if n := len(e.Do("GET", "/assessments/"+month, admin, nil).Map(t)["items"].([]any)); n > 0 {
						break
					}
					time.Sleep(5 * time.Millisecond)
				}
				for time.Now().Before(deadline) && e.Stack.Lambda.Running("assessment") == 0 {
					time.Sleep(time.Millisecond)
				}
				switch crash {
				case "the function's processes killed":
					if n, err := e.Stack.Lambda.Kill("assessment"); err != nil || n == 0 {
						t.Fatalf("killed %d processes: %v", n, err)
					}
				default:
					e.Restart()
				}
			})
			if crash == "the function's processes killed" {
				// The killed invocation shows as Runtime.ExitError, then its retry.
				list, err := e.Stack.Engine.ListExecutions(t.Context(), &sfn.ListExecutionsInput{StateMachineArn: aws.String(e.Stack.MachineArns["MonthlyAssessmentStateMachine"])})
				if err != nil || len(list.Executions) != 1 {
					t.Fatalf("executions: %v %v", list, err)
				}
				h, err := e.Stack.Engine.GetExecutionHistory(t.Context(), &sfn.GetExecutionHistoryInput{ExecutionArn: list.Executions[0].ExecutionArn})
				if err != nil {
					t.Fatal(err)
				}
				if n := failedWith(h.Events, "Runtime.ExitError"); n == 0 {
					t.Log("the kill cut no invocation (it fell between pages); the run is still checked")
				} else {
					t.Logf("invocations cut by the kill, then retried: %d", n)
				}
			}
			got, gotExits := outcome(t, e, admin, month)
			if len(got) != len(want) {
				t.Fatalf("%d results after the crash, want %d", len(got), len(want))
			}
			for name, w := range want {
				if got[name] != w {
					t.Errorf("%s: %s after the crash, %s undisturbed", name, got[name], w)
				}
			}
			for name, n := range gotExits {
				if n != 1 || wantExits[name] != 1 {
					t.Errorf("%s: %d exit submissions after the crash, %d undisturbed", name, n, wantExits[name])
				}
			}
			if len(gotExits) != len(wantExits) {
				t.Errorf("%d products with exits after the crash, %d undisturbed", len(gotExits), len(wantExits))
			}
		})
	}
}
