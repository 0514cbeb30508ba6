package scheduler

import (
	"encoding/json"
	"errors"
	"fmt"
	"path"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// The resource kinds a schedule can target, as Entry.ResourceType names them.
const (
	// ResourceFunction is an AWS::Serverless::Function.
	ResourceFunction = "function"
	// ResourceStateMachine is an AWS::Serverless::StateMachine.
	ResourceStateMachine = "statemachine"
)

// The values of Entry.State, as in a ScheduleV2 event's State property.
const (
	// StateEnabled marks a schedule that fires.
	StateEnabled = "ENABLED"
	// StateDisabled marks a schedule that is declared but does not fire.
	StateDisabled = "DISABLED"
)

// utcTimezone is what EventBridge Scheduler evaluates an expression in when
// ScheduleExpressionTimezone is absent.
const utcTimezone = "UTC"

// Entry is one ScheduleV2 event of template.yaml: what fires, when, and with
// which input.
type Entry struct {
	// Name is the resource's logical id and the event's name: "Res/Event".
	Name string
	// ResourceID is the logical id of the function or state machine.
	ResourceID string
	// ResourceType is ResourceFunction or ResourceStateMachine.
	ResourceType string
	// FunctionFolder is, for a function, the folder under functions/ its
	// CodeUri names ("api" for functions/api/).
	FunctionFolder string
	// DefinitionFile is, for a state machine, its DefinitionUri
	// (statemachines/<name>.asl.json), relative to the repository root.
	DefinitionFile string
	// Expression is the ScheduleExpression, as written.
	Expression string
	// Timezone is the ScheduleExpressionTimezone; "UTC" when the template
	// leaves it out, as EventBridge Scheduler assumes.
	Timezone string
	// Input is the JSON text the target receives: the event's Input, "{}"
	// when it has none.
	Input string
	// State is StateEnabled or StateDisabled.
	State string
	// Schedule is Expression parsed in Timezone.
	Schedule Schedule
	// MaxRetryAttempts is the RetryPolicy's MaximumRetryAttempts: how often
	// the scheduler retries a target invocation that failed (185 when the
	// template sets none, as EventBridge Scheduler does).
	MaxRetryAttempts int
	// DeadLetter says the event has a DeadLetterConfig: an invocation that
	// failed every attempt is kept there instead of dropped.
	DeadLetter bool
}

// Enabled reports whether the entry's schedule fires.
func (e Entry) Enabled() bool { return e.State == StateEnabled }

// FromTemplate returns every ScheduleV2 event declared under the Events of
// the AWS::Serverless::Function and AWS::Serverless::StateMachine resources
// of a SAM template, in template order. It reads the YAML as nodes, so
// CloudFormation's short tags (!Ref, !Sub, !GetAtt, ...) elsewhere in the
// template do no harm; the properties it reads must be plain strings, since
// nothing resolves those functions locally. A function without its own
// CodeUri takes the one in Globals.Function.
//
// Every problem is reported, each naming the resource or "resource/event" at
// fault.
func FromTemplate(template []byte) ([]Entry, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(template, &doc); err != nil {
		return nil, fmt.Errorf("scheduler: template: %w", err)
	}
	root := resolve(&doc)
	if root == nil || root.Kind != yaml.MappingNode {
		return nil, errors.New("scheduler: template: not a YAML mapping")
	}
	resources := lookup(root, "Resources")
	if resources == nil || resources.Kind != yaml.MappingNode {
		return nil, errors.New("scheduler: template: no Resources mapping")
	}
	globalCodeURI := lookup(lookup(lookup(root, "Globals"), "Function"), "CodeUri")

	var entries []Entry
	var problems []error
	for i := 0; i+1 < len(resources.Content); i += 2 {
		id := resources.Content[i].Value
		resource := resolve(resources.Content[i+1])
		found, errs := resourceEntries(id, resource, globalCodeURI)
		entries = append(entries, found...)
		problems = append(problems, errs...)
	}
	if len(problems) > 0 {
		return nil, errors.Join(problems...)
	}
	return entries, nil
}

// resourceEntries returns the ScheduleV2 events of one resource, if it is a
// function or a state machine.
func resourceEntries(id string, resource, globalCodeURI *yaml.Node) ([]Entry, []error) {
	var kind string
	switch typ, _ := plainString(lookup(resource, "Type")); typ {
	case "AWS::Serverless::Function":
		kind = ResourceFunction
	case "AWS::Serverless::StateMachine":
		kind = ResourceStateMachine
	default:
		return nil, nil
	}
	properties := lookup(resource, "Properties")
	events := lookup(properties, "Events")
	if events == nil || events.Kind != yaml.MappingNode {
		return nil, nil
	}
	var schedules [][2]*yaml.Node // event name node, event node
	for i := 0; i+1 < len(events.Content); i += 2 {
		event := resolve(events.Content[i+1])
		if typ, _ := plainString(lookup(event, "Type")); typ == "ScheduleV2" {
			schedules = append(schedules, [2]*yaml.Node{events.Content[i], event})
		}
	}
	if len(schedules) == 0 {
		return nil, nil
	}

	target := Entry{ResourceID: id, ResourceType: kind}
	switch kind {
	case ResourceFunction:
		codeURI := lookup(properties, "CodeUri")
		if codeURI == nil {
			codeURI = globalCodeURI
		}
		folder, err := functionFolder(codeURI)
		if err != nil {
			return nil, []error{fmt.Errorf("scheduler: template: %s: %w", id, err)}
		}
		target.FunctionFolder = folder
	case ResourceStateMachine:
		file, err := definitionFile(lookup(properties, "DefinitionUri"))
		if err != nil {
			return nil, []error{fmt.Errorf("scheduler: template: %s: %w", id, err)}
		}
		target.DefinitionFile = file
	}

	var entries []Entry
	var problems []error
	for _, s := range schedules {
		e := target
		e.Name = id + "/" + s[0].Value
		if err := readScheduleEvent(&e, lookup(s[1], "Properties")); err != nil {
			problems = append(problems, fmt.Errorf("scheduler: template: %s: %w", e.Name, err))
			continue
		}
		entries = append(entries, e)
	}
	return entries, problems
}

// readScheduleEvent fills e from a ScheduleV2 event's Properties.
func readScheduleEvent(e *Entry, properties *yaml.Node) error {
	if properties == nil || properties.Kind != yaml.MappingNode {
		return errors.New("ScheduleV2 event has no Properties")
	}
	var err error
	if e.Expression, err = stringProperty(properties, "ScheduleExpression", ""); err != nil {
		return err
	}
	if e.Expression == "" {
		return errors.New("ScheduleExpression is missing")
	}
	if e.Timezone, err = stringProperty(properties, "ScheduleExpressionTimezone", utcTimezone); err != nil {
		return err
	}
	if e.Input, err = stringProperty(properties, "Input", "{}"); err != nil {
		return err
	}
	if !json.Valid([]byte(e.Input)) {
		return fmt.Errorf("Input is not JSON: %q", e.Input)
	}
	if e.State, err = stringProperty(properties, "State", StateEnabled); err != nil {
		return err
	}
	if e.State != StateEnabled && e.State != StateDisabled {
		return fmt.Errorf("State is %q; want %s or %s", e.State, StateEnabled, StateDisabled)
	}
	if e.Schedule, err = parseExpression(e.Expression, e.Timezone); err != nil {
		return fmt.Errorf("ScheduleExpression: %w", err)
	}
	e.MaxRetryAttempts = defaultMaxRetryAttempts
	if policy := lookup(properties, "RetryPolicy"); policy != nil {
		text, ok := plainString(lookup(policy, "MaximumRetryAttempts"))
		n, err := strconv.Atoi(text)
		if !ok || err != nil || n < 0 || n > defaultMaxRetryAttempts {
			return fmt.Errorf("RetryPolicy.MaximumRetryAttempts must be a whole number from 0 to %d", defaultMaxRetryAttempts)
		}
		e.MaxRetryAttempts = n
	}
	e.DeadLetter = lookup(properties, "DeadLetterConfig") != nil
	return nil
}

// defaultMaxRetryAttempts is EventBridge Scheduler's default and maximum.
const defaultMaxRetryAttempts = 185

// functionFolder returns <name> from a CodeUri of the form functions/<name>/.
func functionFolder(codeURI *yaml.Node) (string, error) {
	uri, ok := plainString(codeURI)
	if !ok {
		return "", errors.New("CodeUri is not a plain path of the form functions/<name>/")
	}
	clean := path.Clean(uri)
	name, ok := strings.CutPrefix(clean, "functions/")
	if !ok || name == "" || strings.Contains(name, "/") {
		return "", fmt.Errorf("CodeUri %q is not of the form functions/<name>/", uri)
	}
	return name, nil
}

// definitionFile returns a state machine's DefinitionUri as a clean relative path.
func definitionFile(definitionURI *yaml.Node) (string, error) {
	uri, ok := plainString(definitionURI)
	if !ok || uri == "" {
		return "", errors.New("DefinitionUri is not a plain path to a file in the repository (statemachines/<name>.asl.json)")
	}
	clean := path.Clean(uri)
	if path.IsAbs(clean) || clean == ".." || strings.HasPrefix(clean, "../") {
		return "", fmt.Errorf("DefinitionUri %q is outside the repository", uri)
	}
	return clean, nil
}

// stringProperty returns the plain string value of key in a mapping, or
// absent when the key is not there.
func stringProperty(mapping *yaml.Node, key, absent string) (string, error) {
	value := lookup(mapping, key)
	if value == nil {
		return absent, nil
	}
	s, ok := plainString(value)
	if !ok {
		if value.Tag != "" && !strings.HasPrefix(value.Tag, "!!") {
			return "", fmt.Errorf("%s uses %s, which is not resolved locally; write a plain string", key, value.Tag)
		}
		return "", fmt.Errorf("%s is not a string", key)
	}
	return s, nil
}

// plainString returns the value of a scalar node that carries no
// CloudFormation function tag.
func plainString(n *yaml.Node) (string, bool) {
	n = resolve(n)
	if n == nil || n.Kind != yaml.ScalarNode || n.Tag == "!!null" {
		return "", false
	}
	if n.Tag != "" && !strings.HasPrefix(n.Tag, "!!") {
		return "", false // !Ref, !Sub and friends
	}
	return n.Value, true
}

// lookup returns the value of key in a mapping node, or nil.
func lookup(mapping *yaml.Node, key string) *yaml.Node {
	mapping = resolve(mapping)
	if mapping == nil || mapping.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(mapping.Content); i += 2 {
		if mapping.Content[i].Value == key {
			return resolve(mapping.Content[i+1])
		}
	}
	return nil
}

// resolve follows aliases and unwraps documents.
func resolve(n *yaml.Node) *yaml.Node {
	for n != nil {
		switch n.Kind {
		case yaml.AliasNode:
			n = n.Alias
		case yaml.DocumentNode:
			if len(n.Content) == 0 {
				return nil
			}
			n = n.Content[0]
		default:
			return n
		}
	}
	return nil
}
