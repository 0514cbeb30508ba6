package localstack

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"productgov"
	"productgov/infra/asl"
	"productgov/infra/dynamolocal"
)

// Every state machine of template.yaml passes the pinned asl-validator
// (npm asl-validator@4.0.0) with its substitutions made, and registers on the
// local engine; a definition AWS would reject never reaches the local stack.
func TestStateMachinesValidate(t *testing.T) {
	root, err := dynamolocal.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(root, "infra", "node_modules", ".bin", "asl-validator")
	if _, err := os.Stat(bin); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("asl-validator missing at %s: run make deps", bin)
		}
		t.Skipf("asl-validator missing at %s: run make deps", bin)
	}
	machines, err := Machines(productgov.Template)
	if err != nil {
		t.Fatal(err)
	}
	files, _ := filepath.Glob(filepath.Join(root, "statemachines", "*.asl.json"))
	if len(machines) == 0 || len(machines) != len(files) {
		t.Fatalf("template.yaml declares %d state machines, statemachines/ holds %d files", len(machines), len(files))
	}
	engine := asl.NewEngine()
	defer engine.Close()
	for _, m := range machines {
		t.Run(m.LogicalID, func(t *testing.T) {
			raw, err := os.ReadFile(filepath.Join(root, m.DefinitionFile))
			if err != nil {
				t.Fatal(err)
			}
			def := string(raw)
			for k, folder := range m.Substitutions {
				def = strings.ReplaceAll(def, "${"+k+"}", FunctionArn(folder))
			}
			if strings.Contains(def, "${") {
				t.Fatalf("unsubstituted placeholder left in %s", m.DefinitionFile)
			}
			tmp := filepath.Join(t.TempDir(), "definition.asl.json")
			if err := os.WriteFile(tmp, []byte(def), 0o644); err != nil {
				t.Fatal(err)
			}
			out, err := exec.Command(bin, "--json-path", tmp).CombinedOutput()
			if err != nil {
				t.Fatalf("asl-validator rejects %s: %v\n%s", m.DefinitionFile, err, out)
			}
			if _, err := engine.RegisterStateMachine(m.LogicalID, raw, map[string]string{}); err == nil && len(m.Substitutions) > 0 {
				t.Errorf("%s registered without its substitutions", m.LogicalID)
			}
			subs := map[string]string{}
			for k, folder := range m.Substitutions {
				subs[k] = FunctionArn(folder)
			}
			if _, err := engine.RegisterStateMachine(m.LogicalID+"-check", raw, subs); err != nil {
				t.Fatalf("engine rejects %s: %v", m.DefinitionFile, err)
			}
		})
	}
}
