package localstack

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"productgov/infra/samyaml"
)

// Machine is a state machine as template.yaml declares it.
type Machine struct {
	// LogicalID is the resource's id, e.g. ApprovalStateMachine.
	LogicalID string
	// DefinitionFile is DefinitionUri, relative to the repository root.
	DefinitionFile string
	// Substitutions maps each ${Key} to the function folder whose ARN it is.
	Substitutions map[string]string
}

// Machines reads the state machines of template.yaml and resolves each
// DefinitionSubstitutions value (`!GetAtt XxxFunction.Arn`) to the function's
// folder (its CodeUri), so the local engine can substitute local ARNs.
func Machines(template []byte) ([]Machine, error) {
	var root yaml.Node
	if err := yaml.Unmarshal(template, &root); err != nil {
		return nil, fmt.Errorf("localstack: template.yaml: %w", err)
	}
	resources := samyaml.Get(samyaml.Get(&root, ""), "Resources")
	if resources == nil {
		return nil, fmt.Errorf("localstack: template.yaml has no Resources")
	}
	folders := map[string]string{}
	type sm struct {
		id    string
		props *yaml.Node
	}
	var machines []sm
	for i := 0; i+1 < len(resources.Content); i += 2 {
		id, res := resources.Content[i].Value, resources.Content[i+1]
		props := samyaml.Get(res, "Properties")
		switch samyaml.Scalar(samyaml.Get(res, "Type")) {
		case "AWS::Serverless::Function":
			uri := strings.Trim(samyaml.Scalar(samyaml.Get(props, "CodeUri")), "/")
			folders[id] = strings.TrimPrefix(uri, "functions/")
		case "AWS::Serverless::StateMachine":
			machines = append(machines, sm{id, props})
		}
	}
	var out []Machine
	for _, m := range machines {
		mc := Machine{LogicalID: m.id, DefinitionFile: samyaml.Scalar(samyaml.Get(m.props, "DefinitionUri")), Substitutions: map[string]string{}}
		subs := samyaml.Get(m.props, "DefinitionSubstitutions")
		for i := 0; subs != nil && i+1 < len(subs.Content); i += 2 {
			key, val := subs.Content[i].Value, subs.Content[i+1]
			ref := strings.TrimSuffix(samyaml.Scalar(val), ".Arn")
			if val.Tag == "!GetAtt" && len(val.Content) == 2 {
				ref = val.Content[0].Value
			}
			folder, ok := folders[ref]
			if !ok {
				return nil, fmt.Errorf("localstack: %s substitution %s refers to %q, which is not a function", m.id, key, samyaml.Scalar(val))
			}
			mc.Substitutions[key] = folder
		}
		out = append(out, mc)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].LogicalID < out[j].LogicalID })
	return out, nil
}

// Buckets returns the logical ids of the template's S3 buckets, sorted.
func Buckets(template []byte) ([]string, error) {
	var root yaml.Node
	if err := yaml.Unmarshal(template, &root); err != nil {
		return nil, fmt.Errorf("localstack: template.yaml: %w", err)
	}
	resources := samyaml.Get(samyaml.Get(&root, ""), "Resources")
	var ids []string
	for i := 0; resources != nil && i+1 < len(resources.Content); i += 2 {
		if samyaml.Scalar(samyaml.Get(resources.Content[i+1], "Type")) == "AWS::S3::Bucket" {
			ids = append(ids, resources.Content[i].Value)
		}
	}
	sort.Strings(ids)
	return ids, nil
}

// BucketName is the local name of a template bucket: CloudFormation names
// buckets per stack on AWS, so locally each table (each test, each make run)
// gets its own, within S3's rules (lowercase letters, digits and hyphens,
// at most 63 characters).
func BucketName(table, logicalID string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(table + "-" + logicalID) {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9':
			b.WriteRune(r)
		default:
			b.WriteByte('-')
		}
	}
	name := strings.Trim(b.String(), "-")
	if len(name) > 63 {
		name = strings.TrimRight(name[len(name)-63:], "-")
	}
	return strings.TrimLeft(name, "-")
}

// FunctionSpec is a function as template.yaml declares it, with Globals
// applied.
type FunctionSpec struct {
	LogicalID string
	// Folder is the function's folder under functions/ (its CodeUri).
	Folder   string
	Timeout  time.Duration
	MemoryMB int
	// Env holds the Environment.Variables, each resolved by the resolver
	// given to Functions.
	Env map[string]string
}

// Functions reads the functions of template.yaml. resolve gives the value of
// !Ref NAME (a parameter or resource) and !GetAtt NAME.Arn (as "NAME.Arn").
func Functions(template []byte, resolve func(ref string) (string, bool)) ([]FunctionSpec, error) {
	var root yaml.Node
	if err := yaml.Unmarshal(template, &root); err != nil {
		return nil, fmt.Errorf("localstack: template.yaml: %w", err)
	}
	doc := samyaml.Get(&root, "")
	globals := samyaml.Get(samyaml.Get(doc, "Globals"), "Function")
	resources := samyaml.Get(doc, "Resources")
	value := func(n *yaml.Node) (string, error) {
		switch n.Tag {
		case "!Ref":
			if v, ok := resolve(n.Value); ok {
				return v, nil
			}
			return "", fmt.Errorf("!Ref %s has no local value", n.Value)
		case "!GetAtt":
			ref := n.Value
			if len(n.Content) == 2 {
				ref = n.Content[0].Value + "." + n.Content[1].Value
			}
			if v, ok := resolve(ref); ok {
				return v, nil
			}
			return "", fmt.Errorf("!GetAtt %s has no local value", ref)
		}
		if n.Kind != yaml.ScalarNode {
			return "", fmt.Errorf("a %s is not resolved locally", n.Tag)
		}
		return n.Value, nil
	}
	var out []FunctionSpec
	for i := 0; resources != nil && i+1 < len(resources.Content); i += 2 {
		id, res := resources.Content[i].Value, resources.Content[i+1]
		if samyaml.Scalar(samyaml.Get(res, "Type")) != "AWS::Serverless::Function" {
			continue
		}
		props := samyaml.Get(res, "Properties")
		setting := func(key string) string {
			if v := samyaml.Scalar(samyaml.Get(props, key)); v != "" {
				return v
			}
			return samyaml.Scalar(samyaml.Get(globals, key))
		}
		spec := FunctionSpec{LogicalID: id, Env: map[string]string{},
			Folder: strings.TrimPrefix(strings.Trim(samyaml.Scalar(samyaml.Get(props, "CodeUri")), "/"), "functions/")}
		timeout, _ := strconv.Atoi(setting("Timeout"))
		spec.Timeout = time.Duration(max(timeout, 3)) * time.Second
		spec.MemoryMB, _ = strconv.Atoi(setting("MemorySize"))
		for _, vars := range []*yaml.Node{samyaml.Get(samyaml.Get(samyaml.Get(globals, "Environment"), "Variables"), ""), samyaml.Get(samyaml.Get(samyaml.Get(props, "Environment"), "Variables"), "")} {
			for j := 0; vars != nil && j+1 < len(vars.Content); j += 2 {
				v, err := value(vars.Content[j+1])
				if err != nil {
					return nil, fmt.Errorf("localstack: %s: %s: %w", id, vars.Content[j].Value, err)
				}
				spec.Env[vars.Content[j].Value] = v
			}
		}
		out = append(out, spec)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].LogicalID < out[j].LogicalID })
	return out, nil
}
