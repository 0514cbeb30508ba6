package asl

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// aslValidator returns the command line of the pinned asl-validator (npm
// asl-validator@4.0.0, installed under infra/node_modules). Without it the
// test fails when CI=true and is skipped otherwise.
func aslValidator(t *testing.T) string {
	t.Helper()
	bin, err := filepath.Abs(filepath.Join("..", "node_modules", ".bin", "asl-validator"))
	if err != nil {
		t.Fatal(err)
	}
	problem := ""
	if _, err := os.Stat(bin); err != nil {
		problem = "asl-validator is not installed at " + bin + "; run `npm ci` in infra/"
	} else if _, err := exec.LookPath("node"); err != nil {
		problem = "node is not on PATH; asl-validator needs it"
	}
	if problem != "" {
		if os.Getenv("CI") == "true" {
			t.Fatal(problem)
		}
		t.Skip(problem)
	}
	return bin
}

// TestGoldenDefinitionsPassASLValidator checks every golden definition,
// after substitution, with the reference validator, so the engine is never
// tested on definitions AWS would reject. The validator takes about a third
// of a second per definition, so they are checked as the branches of one
// combined definition; problems are mapped back to golden case names.
func TestGoldenDefinitionsPassASLValidator(t *testing.T) {
	bin := aslValidator(t)
	files, err := filepath.Glob(filepath.Join("testdata", "golden", "*", "definition.asl.json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no golden definitions: %v", err)
	}
	var branches []any
	for i, file := range files {
		raw, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		text, err := substitute(string(raw), goldenSubstitutions())
		if err != nil {
			t.Fatalf("%s: %v", file, err)
		}
		var definition map[string]any
		if err := json.Unmarshal([]byte(text), &definition); err != nil {
			t.Fatalf("%s: %v", file, err)
		}
		// Only the top level may have these; state names must be unique
		// across the whole combined definition.
		delete(definition, "TimeoutSeconds")
		delete(definition, "Comment")
		prefixStateNames(definition, fmt.Sprintf("G%d-", i))
		branches = append(branches, definition)
	}
	combined := map[string]any{
		"StartAt": "AllGoldenDefinitions",
		"States": map[string]any{
			"AllGoldenDefinitions": map[string]any{"Type": "Parallel", "Branches": branches, "End": true},
		},
	}
	dir := t.TempDir()
	combinedFile := filepath.Join(dir, "combined.asl.json")
	b, err := json.Marshal(combined)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(combinedFile, b, 0o644); err != nil {
		t.Fatal(err)
	}
	// A broken definition in the same run proves the validator can fail;
	// one run, because starting the validator costs most of a second.
	brokenFile := filepath.Join(dir, "broken.asl.json")
	broken := `{"StartAt":"A","States":{"A":{"Type":"Pass","Next":"Missing"}}}`
	if err := os.WriteFile(brokenFile, []byte(broken), 0o644); err != nil {
		t.Fatal(err)
	}
	if ValidateDefinition([]byte(broken)) == nil {
		t.Error("ValidateDefinition accepted a transition to a missing state")
	}
	output, _ := exec.Command(bin, "--json-path", combinedFile, "--json-path", brokenFile).CombinedOutput()
	if !strings.Contains(string(output), `"`+brokenFile+`" is invalid`) {
		t.Errorf("asl-validator did not reject a transition to a missing state:\n%s", output)
	}
	if strings.Contains(string(output), `"`+combinedFile+`" is valid`) {
		return
	}
	// Problems are reported as /States/AllGoldenDefinitions/Branches/<i>/...
	culprits := map[string]bool{}
	for _, m := range regexp.MustCompile(`/Branches/(\d+)/`).FindAllStringSubmatch(string(output), -1) {
		if i, err := strconv.Atoi(m[1]); err == nil && i < len(files) {
			culprits[filepath.Base(filepath.Dir(files[i]))] = true
		}
	}
	t.Errorf("asl-validator rejects golden definitions %v (branch i of the combined definition is golden case i, states prefixed G<i>-):\n%s",
		sortedKeys(culprits), output)
}

// prefixStateNames renames every state of a definition, and every
// transition to it, recursively through Parallel branches and Map processors.
func prefixStateNames(machine map[string]any, prefix string) {
	rename := func(v any) any {
		if s, ok := v.(string); ok {
			return prefix + s
		}
		return v
	}
	machine["StartAt"] = rename(machine["StartAt"])
	states, _ := machine["States"].(map[string]any)
	renamed := map[string]any{}
	for name, raw := range states {
		st, _ := raw.(map[string]any)
		for _, field := range []string{"Next", "Default"} {
			if v, ok := st[field]; ok {
				st[field] = rename(v)
			}
		}
		for _, list := range []string{"Choices", "Catch"} {
			items, _ := st[list].([]any)
			for _, item := range items {
				if rule, ok := item.(map[string]any); ok {
					rule["Next"] = rename(rule["Next"])
				}
			}
		}
		branches, _ := st["Branches"].([]any)
		for _, b := range branches {
			if m, ok := b.(map[string]any); ok {
				prefixStateNames(m, prefix)
			}
		}
		for _, field := range []string{"ItemProcessor", "Iterator"} {
			if m, ok := st[field].(map[string]any); ok {
				prefixStateNames(m, prefix)
			}
		}
		renamed[prefix+name] = st
	}
	machine["States"] = renamed
}
