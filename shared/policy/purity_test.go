package policy_test

import (
	"os/exec"
	"strings"
	"testing"

	"productgov/shared/policy"
)

// The rule packages are pure (DESIGN "Inside shared/"): standard library and
// the project's own pure packages only, never AWS, never a network client.
func TestRulePackagesArePure(t *testing.T) {
	pure := []string{
		"productgov/shared/money", "productgov/shared/period", "productgov/shared/policy",
		"productgov/shared/product", "productgov/shared/decision", "productgov/shared/assessment",
		"productgov/shared/partner", "productgov/shared/settlement", "productgov/shared/audit",
		"productgov/shared/directory", "productgov/shared/problem", "productgov/shared/id", "productgov/shared/reason",
	}
	allowed := map[string]bool{}
	for _, p := range pure {
		allowed[p] = true
	}
	for _, pkg := range pure {
		out, err := exec.Command("go", "list", "-deps", "-f", "{{if not .Standard}}{{.ImportPath}}{{end}}", pkg).CombinedOutput()
		if err != nil {
			t.Fatalf("go list %s: %v\n%s", pkg, err, out)
		}
		for _, dep := range strings.Fields(string(out)) {
			if strings.HasPrefix(dep, "github.com/aws/") {
				t.Errorf("%s depends on AWS package %s", pkg, dep)
			} else if !allowed[dep] {
				t.Errorf("%s depends on %s, which is not a pure rule package", pkg, dep)
			}
		}
	}
}

func TestDefaultIsValid(t *testing.T) {
	if err := policy.Default().Validate(); err != nil {
		t.Fatal(err)
	}
	var empty policy.Document
	if err := empty.Validate(); err == nil {
		t.Fatal("an empty policy document was accepted")
	}
}
