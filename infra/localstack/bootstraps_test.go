package localstack_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"productgov"
	"productgov/infra/dynamolocal"
	"productgov/infra/lambdaservice"
	"productgov/infra/localstack"
	"productgov/infra/localstack/stacktest"
	"productgov/infra/scheduler"
)

// stateMachineActions lists, per function folder, every action the state
// machines and the schedules send it.
func stateMachineActions(t *testing.T) map[string][]string {
	t.Helper()
	root, err := dynamolocal.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	machines, err := localstack.Machines(productgov.Template)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]map[string]bool{}
	add := func(folder, action string) {
		if seen[folder] == nil {
			seen[folder] = map[string]bool{}
		}
		seen[folder][action] = true
	}
	for _, m := range machines {
		def, err := os.ReadFile(filepath.Join(root, m.DefinitionFile))
		if err != nil {
			t.Fatal(err)
		}
		var doc any
		if err := json.Unmarshal(def, &doc); err != nil {
			t.Fatal(err)
		}
		var walk func(v any)
		walk = func(v any) {
			switch x := v.(type) {
			case map[string]any:
				if fn, ok := x["FunctionName"].(string); ok {
					key := strings.TrimSuffix(strings.TrimPrefix(fn, "${"), "}")
					if payload, ok := x["Payload"].(map[string]any); ok {
						if action, ok := payload["action"].(string); ok {
							add(m.Substitutions[key], action)
						}
					}
				}
				for _, c := range x {
					walk(c)
				}
			case []any:
				for _, c := range x {
					walk(c)
				}
			}
		}
		walk(doc)
	}
	entries, err := scheduler.FromTemplate(productgov.Template)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if e.ResourceType != scheduler.ResourceFunction {
			continue
		}
		var in struct{ Action string }
		if err := json.Unmarshal([]byte(e.Input), &in); err != nil || in.Action == "" {
			t.Fatalf("schedule %s sends no action: %s", e.Name, e.Input)
		}
		add(e.FunctionFolder, in.Action)
	}
	out := map[string][]string{}
	for folder, actions := range seen {
		for a := range actions {
			out[folder] = append(out[folder], a)
		}
		sort.Strings(out[folder])
	}
	return out
}

// answerProblems invokes each action on the function and says what is wrong:
// the bootstrap did not start, crashed, or does not know the action. A
// Task.Invalid for the missing event fields means the handler took it.
func answerProblems(ctx context.Context, svc *lambdaservice.Service, folder string, actions []string) []string {
	var problems []string
	for _, action := range actions {
		res, err := svc.Invoke(ctx, folder, []byte(fmt.Sprintf(`{"action":%q}`, action)))
		if err != nil {
			problems = append(problems, fmt.Sprintf("%s %s: %v", folder, action, err))
			continue
		}
		if res.FunctionError == "" {
			continue
		}
		var report struct{ ErrorType, ErrorMessage string }
		_ = json.Unmarshal(res.Payload, &report)
		if !strings.HasPrefix(report.ErrorType, "Task.") || strings.Contains(report.ErrorMessage, "unknown action") {
			problems = append(problems, fmt.Sprintf("%s %s: %s: %s", folder, action, report.ErrorType, report.ErrorMessage))
		}
	}
	return problems
}

// Every bootstrap starts as deployed (aws mode, real SDK clients at the local
// endpoints) and takes every action its state machines and schedules send.
func TestEveryBootstrapTakesItsActions(t *testing.T) {
	e := stacktest.New(t)
	actions := stateMachineActions(t)
	for _, folder := range []string{"assessment", "notify", "settlement", "submissions"} {
		if len(actions[folder]) == 0 {
			t.Fatalf("no state machine or schedule sends %s an action", folder)
		}
	}
	for folder, list := range actions {
		for _, p := range answerProblems(t.Context(), e.Stack.Lambda, folder, list) {
			t.Error(p)
		}
		// The check itself tells an unknown action apart.
		if len(answerProblems(t.Context(), e.Stack.Lambda, folder, []string{"no_such_action"})) != 1 {
			t.Errorf("%s: an unknown action is not refused as such", folder)
		}
	}
	if res, err := e.Stack.Lambda.Invoke(t.Context(), "api", []byte(`{"version":"2.0","rawPath":"/healthz","requestContext":{"http":{"method":"GET","path":"/healthz"}}}`)); err != nil || res.FunctionError != "" {
		t.Fatalf("api bootstrap: %v %s", err, res.Payload)
	}
}

// The check above fails when either init bug the task functions once shipped
// comes back: a settlement function wired to the assessment handler, and a
// task function that exits at init.
func TestTheActionCheckCatchesInitBugs(t *testing.T) {
	e := stacktest.New(t)
	actions := stateMachineActions(t)
	root, err := dynamolocal.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	build := func(name string) string {
		out := filepath.Join(dir, name, "bootstrap")
		cmd := exec.Command("go", "build", "-tags", "lambda.norpc", "-trimpath", "-o", out, "./infra/localstack/testdata/"+name)
		cmd.Dir, cmd.Env = root, append(os.Environ(), "CGO_ENABLED=0")
		if b, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("build %s: %v\n%s", name, err, b)
		}
		return out
	}
	_, rie, err := lambdaservice.Artifacts(t.Context(), root)
	if err != nil {
		t.Fatal(err)
	}
	svc, err := lambdaservice.New([]lambdaservice.Function{
		{Name: "settlement", Bootstrap: build("wronghandler"), Env: e.Stack.FunctionEnv["settlement"], Timeout: 10 * time.Second},
		{Name: "assessment", Bootstrap: build("initexit"), Env: e.Stack.FunctionEnv["assessment"], Timeout: 10 * time.Second},
	}, lambdaservice.Options{RIE: rie})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { svc.Close() })
	wrong := answerProblems(t.Context(), svc, "settlement", actions["settlement"])
	if len(wrong) == 0 || !strings.Contains(strings.Join(wrong, "\n"), "unknown action") {
		t.Errorf("a settlement function running the assessment handler passes the check: %v", wrong)
	}
	dead := answerProblems(t.Context(), svc, "assessment", actions["assessment"])
	if len(dead) != len(actions["assessment"]) || !strings.Contains(dead[0], "Runtime.ExitError") {
		t.Errorf("a function that exits at init passes the check: %v", dead)
	}
}
