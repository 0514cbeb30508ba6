package localstack

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
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
	resources := child(child(&root, 0), "Resources")
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
		props := child(res, "Properties")
		switch scalar(child(res, "Type")) {
		case "AWS::Serverless::Function":
			uri := strings.Trim(scalar(child(props, "CodeUri")), "/")
			folders[id] = strings.TrimPrefix(uri, "functions/")
		case "AWS::Serverless::StateMachine":
			machines = append(machines, sm{id, props})
		}
	}
	var out []Machine
	for _, m := range machines {
		mc := Machine{LogicalID: m.id, DefinitionFile: scalar(child(m.props, "DefinitionUri")), Substitutions: map[string]string{}}
		subs := child(m.props, "DefinitionSubstitutions")
		for i := 0; subs != nil && i+1 < len(subs.Content); i += 2 {
			key, val := subs.Content[i].Value, subs.Content[i+1]
			ref := strings.TrimSuffix(scalar(val), ".Arn")
			if val.Tag == "!GetAtt" && len(val.Content) == 2 {
				ref = val.Content[0].Value
			}
			folder, ok := folders[ref]
			if !ok {
				return nil, fmt.Errorf("localstack: %s substitution %s refers to %q, which is not a function", m.id, key, scalar(val))
			}
			mc.Substitutions[key] = folder
		}
		out = append(out, mc)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].LogicalID < out[j].LogicalID })
	return out, nil
}

// child returns the value of a mapping key, or the i-th item of a document.
func child(n *yaml.Node, key any) *yaml.Node {
	if n == nil {
		return nil
	}
	if key == "" {
		return n
	}
	if i, ok := key.(int); ok {
		if i < len(n.Content) {
			return n.Content[i]
		}
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return n.Content[i+1]
		}
	}
	return nil
}

func scalar(n *yaml.Node) string {
	if n == nil {
		return ""
	}
	return n.Value
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
	doc := child(&root, 0)
	globals := child(child(doc, "Globals"), "Function")
	resources := child(doc, "Resources")
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
		if scalar(child(res, "Type")) != "AWS::Serverless::Function" {
			continue
		}
		props := child(res, "Properties")
		setting := func(key string) string {
			if v := scalar(child(props, key)); v != "" {
				return v
			}
			return scalar(child(globals, key))
		}
		spec := FunctionSpec{LogicalID: id, Env: map[string]string{},
			Folder: strings.TrimPrefix(strings.Trim(scalar(child(props, "CodeUri")), "/"), "functions/")}
		timeout, _ := strconv.Atoi(setting("Timeout"))
		spec.Timeout = time.Duration(max(timeout, 3)) * time.Second
		spec.MemoryMB, _ = strconv.Atoi(setting("MemorySize"))
		for _, vars := range []*yaml.Node{child(child(child(globals, "Environment"), "Variables"), ""), child(child(child(props, "Environment"), "Variables"), "")} {
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
