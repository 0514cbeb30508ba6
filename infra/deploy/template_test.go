package deploy

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/awslabs/goformation/v7/cloudformation"
	cfnddb "github.com/awslabs/goformation/v7/cloudformation/dynamodb"
	"gopkg.in/yaml.v3"

	"productgov"
	"productgov/infra/dynamolocal"
)

// TestTemplate holds template.yaml to the repository and to the design. Each
// check lists everything it finds wrong, so one run says all that must change.
func TestTemplate(t *testing.T) {
	s, err := parseStack(repoRoot(t), productgov.Template)
	if err != nil {
		t.Fatalf("template.yaml: %v", err)
	}
	for _, c := range checks {
		t.Run(c.name, func(t *testing.T) {
			var f findings
			c.run(s, &f)
			for _, n := range f.notes {
				t.Log(n)
			}
			for _, p := range f.problems {
				t.Error("template.yaml: " + p)
			}
		})
	}
}

// TestChecksReportMistakes runs every check on a small, deliberately wrong
// template, so that checks which pass vacuously on today's template (no state
// machines or schedules yet) are known to catch what they are for.
func TestChecksReportMistakes(t *testing.T) {
	root := t.TempDir()
	write := func(name, text string) {
		t.Helper()
		p := filepath.Join(root, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("functions/good/main.go", "package main\n")
	write("functions/nomain/README", "no main.go here\n")
	if err := os.MkdirAll(filepath.Join(root, "functions", "orphan"), 0o755); err != nil {
		t.Fatal(err)
	}
	write("statemachines/flow.asl.json", `{"StartAt":"A","States":{
		"A":{"Type":"Task","Resource":"${AFunctionArn}","Next":"B"},
		"B":{"Type":"Task","Resource":"${BFunctionArn}","Next":"C"},
		"C":{"Type":"Task","Resource":"arn:aws:lambda:us-east-1:123456789012:function:x","End":true}}}`)
	write("statemachines/unused.asl.json", `{"StartAt":"A","States":{"A":{"Type":"Succeed"}}}`)

	s, err := parseStack(root, []byte(brokenTemplate))
	if err != nil {
		t.Fatalf("parse: %v", err)
	}
	tests := []struct {
		check string
		want  []string
	}{
		{"functions", []string{
			"folder functions/orphan has no AWS::Serverless::Function",
			`NoMainFunction: CodeUri "functions/nomain" is not of the form functions/<name>/`,
			`GoodFunction: Architectures is ["x86_64"] (from the function); want [arm64]`,
			"GoodFunction: Metadata.BuildMethod is",
			"MainlessFunction: functions/nomain/main.go is missing",
			"Runtime is \"go1.x\" (from the function); want provided.al2023",
		}},
		{"state machines", []string{
			"statemachines/unused.asl.json is the DefinitionUri of no AWS::Serverless::StateMachine",
			"Ghost: DefinitionUri statemachines/ghost.asl.json does not exist",
			"Flow: statemachines/flow.asl.json uses ${BFunctionArn} but DefinitionSubstitutions has no BFunctionArn",
			"Flow: DefinitionSubstitutions.CFunctionArn is not used by statemachines/flow.asl.json",
			"Flow: statemachines/flow.asl.json names a Lambda ARN literally",
		}},
		{"table", []string{
			"BillingMode is \"PROVISIONED\"; want PAY_PER_REQUEST",
			"PointInTimeRecoverySpecification.PointInTimeRecoveryEnabled is not true",
			"SSESpecification.SSEEnabled is not true",
			"TimeToLiveSpecification",
			"KeySchema is [id HASH]; want [pk HASH, sk RANGE]",
			"GlobalSecondaryIndexes are []; want [gsi1 gsi2]",
		}},
		{"policies", []string{
			"GoodFunction: Policies[0] is the managed policy AmazonDynamoDBFullAccess",
			"GoodFunction: Policies[1].Statement[0] allows action dynamodb:*",
			`GoodFunction: Policies[1].Statement[0] allows dynamodb actions on Resource "*"`,
			"NoMainFunction: no Policies",
			"MainlessFunction: uses Role",
		}},
		{"log groups", []string{
			"GoodFunction: log group GoodFunctionLogGroup has no RetentionInDays",
			`NoMainFunction: no AWS::Logs::LogGroup named !Sub "/aws/lambda/${NoMainFunction}"`,
			"MainlessFunction: log group MainlessLogs has RetentionInDays 42",
		}},
		{"http api auth", []string{
			"Api: no Auth.DefaultAuthorizer",
			"GoodFunction: event Get (HttpApi) has ApiId null",
		}},
		{"http api stage", []string{
			`Api: StageName is !Ref Stage (default "prod")`,
		}},
		{"schedules", []string{
			`Flow event Monthly: ScheduleExpressionTimezone is "UTC"; want Asia/Shanghai`,
			"Flow event Monthly: cron(0 2 1 * ?) has 5 fields",
			"Flow event Daily: cron(0 2 1 * MON *) sets both day-of-month (1) and day-of-week (MON)",
			`Flow event Rate: ScheduleExpression "rate(1 day)" is not cron(...)`,
			"NoMainFunction event Old: Type Schedule",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.check, func(t *testing.T) {
			i := slices.IndexFunc(checks, func(c check) bool { return c.name == tt.check })
			if i < 0 {
				t.Fatalf("no check named %q", tt.check)
			}
			var f findings
			checks[i].run(s, &f)
			for _, w := range tt.want {
				if !slices.ContainsFunc(f.problems, func(p string) bool { return strings.Contains(p, w) }) {
					t.Errorf("no problem reported containing %q; reported:\n  %s", w, strings.Join(f.problems, "\n  "))
				}
			}
		})
	}
}

// brokenTemplate breaks every rule the checks enforce at least once.
const brokenTemplate = `
Parameters:
  Stage: {Type: String, Default: prod}
Globals:
  Function:
    Handler: bootstrap
    Runtime: provided.al2023
Resources:
  Table:
    Type: AWS::DynamoDB::Table
    Properties:
      BillingMode: PROVISIONED
      AttributeDefinitions: [{AttributeName: id, AttributeType: S}]
      KeySchema: [{AttributeName: id, KeyType: HASH}]
  Api:
    Type: AWS::Serverless::HttpApi
    Properties:
      StageName: !Ref Stage
  GoodFunction:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: functions/good/
      Architectures: [x86_64]
      Policies:
        - AmazonDynamoDBFullAccess
        - Statement:
            - Effect: Allow
              Action: dynamodb:*
              Resource: "*"
      Events:
        Get:
          Type: HttpApi
          Properties: {Path: /x, Method: GET}
  GoodFunctionLogGroup:
    Type: AWS::Logs::LogGroup
    Properties:
      LogGroupName: !Sub /aws/lambda/${GoodFunction}
  NoMainFunction:
    Type: AWS::Serverless::Function
    Metadata: {BuildMethod: go1.x}
    Properties:
      CodeUri: functions/nomain
      Runtime: go1.x
      Events:
        Old:
          Type: Schedule
          Properties: {Schedule: rate(1 day)}
  MainlessFunction:
    Type: AWS::Serverless::Function
    Metadata: {BuildMethod: go1.x}
    Properties:
      CodeUri: functions/nomain/
      Role: !GetAtt SomeRole.Arn
  MainlessLogs:
    Type: AWS::Logs::LogGroup
    Properties:
      LogGroupName: !Sub "/aws/lambda/${MainlessFunction}"
      RetentionInDays: 42
  Flow:
    Type: AWS::Serverless::StateMachine
    Properties:
      DefinitionUri: statemachines/flow.asl.json
      DefinitionSubstitutions:
        AFunctionArn: !GetAtt GoodFunction.Arn
        CFunctionArn: !GetAtt GoodFunction.Arn
      Events:
        Monthly:
          Type: ScheduleV2
          Properties:
            ScheduleExpression: cron(0 2 1 * ?)
            ScheduleExpressionTimezone: UTC
        Daily:
          Type: ScheduleV2
          Properties:
            ScheduleExpression: cron(0 2 1 * MON *)
            ScheduleExpressionTimezone: Asia/Shanghai
        Rate:
          Type: ScheduleV2
          Properties:
            ScheduleExpression: rate(1 day)
            ScheduleExpressionTimezone: Asia/Shanghai
  Ghost:
    Type: AWS::Serverless::StateMachine
    Properties:
      DefinitionUri: statemachines/ghost.asl.json
`

// TestLongForm checks the raw reading of CloudFormation's short-form tags.
func TestLongForm(t *testing.T) {
	tests := []struct {
		yaml string
		want string
	}{
		{`!Ref Table`, `{"Ref":"Table"}`},
		{`!GetAtt Table.Arn`, `{"Fn::GetAtt":["Table","Arn"]}`},
		{`!GetAtt [Table, Arn]`, `{"Fn::GetAtt":["Table","Arn"]}`},
		{`!Sub "${Table.Arn}/index/*"`, `{"Fn::Sub":"${Table.Arn}/index/*"}`},
		{`!Not [!Equals [!Ref A, ""]]`, `{"Fn::Not":[{"Fn::Equals":[{"Ref":"A"},""]}]}`},
		{`!Condition IsProd`, `{"Condition":"IsProd"}`},
		{`!Sub "7"`, `{"Fn::Sub":"7"}`},
		{`{a: 1, b: [true, null, x]}`, `{"a":1,"b":[true,null,"x"]}`},
		{"a: &x {k: v}\nb: *x", `{"a":{"k":"v"},"b":{"k":"v"}}`},
	}
	for _, tt := range tests {
		var n yaml.Node
		if err := yaml.Unmarshal([]byte(tt.yaml), &n); err != nil {
			t.Fatalf("%s: %v", tt.yaml, err)
		}
		v, err := longForm(&n)
		if err != nil {
			t.Errorf("%s: %v", tt.yaml, err)
			continue
		}
		if got := show(v); got != tt.want {
			t.Errorf("%s: got %s, want %s", tt.yaml, got, tt.want)
		}
	}
	var n yaml.Node
	if err := yaml.Unmarshal([]byte("a: 1\na: 2\n"), &n); err != nil {
		t.Fatal(err)
	}
	if _, err := longForm(&n); err == nil || !strings.Contains(err.Error(), `key "a" twice`) {
		t.Errorf("duplicate key: got %v, want an error naming the key", err)
	}
}

// check is one rule on the template.
type check struct {
	name string
	run  func(*stack, *findings)
}

var checks = []check{
	{"functions", checkFunctions},
	{"state machines", checkStateMachines},
	{"table", checkTable},
	{"policies", checkPolicies},
	{"log groups", checkLogGroups},
	{"http api auth", checkHTTPAPIAuth},
	{"http api stage", checkHTTPAPIStage},
	{"schedules", checkSchedules},
}

// findings collects what a check found wrong, and what it wants said.
type findings struct{ problems, notes []string }

func (f *findings) problem(format string, a ...any) {
	f.problems = append(f.problems, fmt.Sprintf(format, a...))
}

func (f *findings) note(format string, a ...any) {
	f.notes = append(f.notes, fmt.Sprintf(format, a...))
}

// stack is the template read twice: typed by goformation, and raw (intrinsics
// in long form) for what goformation drops or resolves to nothing: Globals,
// ScheduleV2 events, Metadata, DefinitionSubstitutions, policy statements, and
// every !Ref/!GetAtt/!Sub of a resource (goformation turns them into null or
// strips the ${…}).
type stack struct {
	root string // the folder the template's paths are relative to
	cf   *cloudformation.Template
	raw  map[string]any
}

func parseStack(root string, text []byte) (*stack, error) {
	// goformation misses some SAM properties; the raw checks still see them.
	cf, err := dynamolocal.ParseTemplate(text)
	if err != nil {
		return nil, fmt.Errorf("goformation: %w", err)
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(text, &doc); err != nil {
		return nil, fmt.Errorf("yaml: %w", err)
	}
	v, err := longForm(&doc)
	if err != nil {
		return nil, fmt.Errorf("yaml: %w", err)
	}
	raw, ok := v.(map[string]any)
	if !ok {
		return nil, errors.New("yaml: the template is not a mapping")
	}
	return &stack{root: root, cf: cf, raw: raw}, nil
}

func (s *stack) resources() map[string]any { return asMap(s.raw["Resources"]) }

func (s *stack) rawType(id string) string {
	t, _ := asString(dig(s.resources(), id, "Type"))
	return t
}

func (s *stack) rawProps(id string) map[string]any {
	return asMap(dig(s.resources(), id, "Properties"))
}

// longForm turns a YAML node into plain values (map[string]any, []any, string,
// bool, int, float64, nil), with CloudFormation's short-form tags in their long
// form: !Ref X → {"Ref": "X"}, !GetAtt A.B → {"Fn::GetAtt": ["A", "B"]},
// !Condition C → {"Condition": "C"}, any other !Xxx v → {"Fn::Xxx": v}.
func longForm(n *yaml.Node) (any, error) {
	switch n.Kind {
	case yaml.DocumentNode:
		if len(n.Content) == 0 {
			return nil, nil
		}
		return longForm(n.Content[0])
	case yaml.AliasNode:
		return longForm(n.Alias)
	}
	if fn, ok := intrinsic(n.Tag); ok {
		if n.Kind == yaml.ScalarNode {
			if fn == "Fn::GetAtt" {
				res, attr, _ := strings.Cut(n.Value, ".")
				return map[string]any{fn: []any{res, attr}}, nil
			}
			return map[string]any{fn: n.Value}, nil
		}
		plain := *n
		plain.Tag = ""
		arg, err := longForm(&plain)
		if err != nil {
			return nil, err
		}
		return map[string]any{fn: arg}, nil
	}
	switch n.Kind {
	case yaml.MappingNode:
		m := make(map[string]any, len(n.Content)/2)
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := n.Content[i].Value
			if _, dup := m[k]; dup {
				return nil, fmt.Errorf("line %d: key %q twice in one mapping", n.Content[i].Line, k)
			}
			v, err := longForm(n.Content[i+1])
			if err != nil {
				return nil, err
			}
			m[k] = v
		}
		return m, nil
	case yaml.SequenceNode:
		l := make([]any, 0, len(n.Content))
		for _, c := range n.Content {
			v, err := longForm(c)
			if err != nil {
				return nil, err
			}
			l = append(l, v)
		}
		return l, nil
	default:
		var v any
		if err := n.Decode(&v); err != nil {
			return nil, fmt.Errorf("line %d: %w", n.Line, err)
		}
		return v, nil
	}
}

// intrinsic maps a local YAML tag (!Ref, !Sub, …) to its long-form key.
func intrinsic(tag string) (string, bool) {
	if !strings.HasPrefix(tag, "!") || strings.HasPrefix(tag, "!!") || len(tag) < 2 {
		return "", false
	}
	switch name := tag[1:]; name {
	case "Ref", "Condition":
		return name, true
	default:
		return "Fn::" + name, true
	}
}

func asMap(v any) map[string]any { m, _ := v.(map[string]any); return m }

func asString(v any) (string, bool) { s, ok := v.(string); return s, ok }

// asList reads a value IAM and CloudFormation allow as one item or a list.
func asList(v any) []any {
	switch x := v.(type) {
	case nil:
		return nil
	case []any:
		return x
	default:
		return []any{x}
	}
}

func dig(v any, keys ...string) any {
	for _, k := range keys {
		m := asMap(v)
		if m == nil {
			return nil
		}
		v = m[k]
	}
	return v
}

// refTo returns X of {"Ref": "X"}.
func refTo(v any) (string, bool) { return asString(dig(v, "Ref")) }

func show(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}

func sortedKeys[V any](m map[string]V) []string { return slices.Sorted(maps.Keys(m)) }

func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}

var codeURIPattern = regexp.MustCompile(`^functions/([^/]+)/$`)

// checkFunctions: each folder under functions/ is the CodeUri of exactly one
// function, each function's CodeUri is such a folder with a main.go, and every
// function is an arm64 provided.al2023 "bootstrap" that sam build can build.
func checkFunctions(s *stack, f *findings) {
	fns := s.cf.GetAllServerlessFunctionResources()
	byURI := map[string][]string{}
	for _, id := range sortedKeys(fns) {
		if fns[id].CodeUri != nil && fns[id].CodeUri.String != nil {
			uri := *fns[id].CodeUri.String
			byURI[uri] = append(byURI[uri], id)
		}
	}
	entries, err := os.ReadDir(filepath.Join(s.root, "functions"))
	if err != nil {
		f.problem("reading functions/: %v", err)
	}
	for _, e := range entries {
		if !e.IsDir() {
			f.problem("functions/%s is a file; functions/ holds one folder per Lambda", e.Name())
			continue
		}
		want := "functions/" + e.Name() + "/"
		switch ids := byURI[want]; len(ids) {
		case 1:
		case 0:
			f.problem("folder functions/%s has no AWS::Serverless::Function with CodeUri: %s", e.Name(), want)
		default:
			f.problem("folder functions/%s is the CodeUri of %d functions (%s); want exactly one", e.Name(), len(ids), strings.Join(ids, ", "))
		}
	}

	globals := asMap(dig(s.raw, "Globals", "Function"))
	setting := func(fromFunction any, global string) (any, string) {
		if fromFunction != nil {
			return fromFunction, "the function"
		}
		if v, ok := globals[global]; ok {
			return v, "Globals.Function"
		}
		return nil, "neither the function nor Globals.Function"
	}
	for _, id := range sortedKeys(fns) {
		fn := fns[id]
		switch {
		case fn.CodeUri == nil || fn.CodeUri.String == nil:
			f.problem("%s: CodeUri must be a folder functions/<name>/, not %s", id, show(dig(s.rawProps(id), "CodeUri")))
		case !codeURIPattern.MatchString(*fn.CodeUri.String):
			f.problem("%s: CodeUri %q is not of the form functions/<name>/", id, *fn.CodeUri.String)
		default:
			uri := *fn.CodeUri.String
			dir := filepath.Join(s.root, filepath.FromSlash(uri))
			if st, err := os.Stat(dir); err != nil || !st.IsDir() {
				f.problem("%s: CodeUri %s is not a folder of the repository", id, uri)
			} else if _, err := os.Stat(filepath.Join(dir, "main.go")); err != nil {
				f.problem("%s: %smain.go is missing (main.go wires config → clients → handler → lambda.Start)", id, uri)
			}
		}

		var rt any
		if fn.Runtime != nil {
			rt = *fn.Runtime
		}
		if v, from := setting(rt, "Runtime"); v != "provided.al2023" {
			f.problem("%s: Runtime is %s (from %s); want provided.al2023", id, show(v), from)
		}
		var arch any
		if fn.Architectures != nil {
			arch = fn.Architectures
		}
		if v, from := setting(arch, "Architectures"); show(v) != `["arm64"]` {
			f.problem("%s: Architectures is %s (from %s); want [arm64]", id, show(v), from)
		}
		var handler any
		if fn.Handler != nil {
			handler = *fn.Handler
		}
		if v, from := setting(handler, "Handler"); v != "bootstrap" {
			f.problem("%s: Handler is %s (from %s); want bootstrap", id, show(v), from)
		}
		if bm := fn.AWSCloudFormationMetadata["BuildMethod"]; bm != "makefile" {
			f.problem("%s: Metadata.BuildMethod is %s; want makefile, so that sam build runs the recipe the tests ran", id, show(bm))
		} else if !makefileTarget(s.root, "build-"+id) {
			f.problem("%s: the Makefile has no build-%s target for sam build", id, id)
		}
	}
}

// makefileTarget reports whether the repository's Makefile defines target.
func makefileTarget(root, target string) bool {
	b, err := os.ReadFile(filepath.Join(root, "Makefile"))
	if err != nil {
		return false
	}
	return regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(target) + `:`).Match(b)
}

var placeholder = regexp.MustCompile(`\$\{([^}]*)\}`)

// checkStateMachines: each statemachines/*.asl.json is the DefinitionUri of
// exactly one state machine, each DefinitionUri exists, and the ${…} in each
// definition and its DefinitionSubstitutions match one to one.
func checkStateMachines(s *stack, f *findings) {
	sms := s.cf.GetAllServerlessStateMachineResources()
	files, err := filepath.Glob(filepath.Join(s.root, "statemachines", "*.asl.json"))
	if err != nil {
		f.problem("listing statemachines/: %v", err)
	}
	if len(sms) == 0 && len(files) == 0 {
		f.note("no state machines yet: nothing to match")
	}
	users := map[string][]string{}
	for _, id := range sortedKeys(sms) {
		sm := sms[id]
		if sm.DefinitionUri == nil || sm.DefinitionUri.String == nil {
			f.problem("%s: DefinitionUri must be a file statemachines/<name>.asl.json (inline Definition and S3 locations are not used)", id)
			continue
		}
		uri := path.Clean(*sm.DefinitionUri.String)
		users[uri] = append(users[uri], id)
		text, err := os.ReadFile(filepath.Join(s.root, filepath.FromSlash(uri)))
		if err != nil {
			f.problem("%s: DefinitionUri %s does not exist", id, uri)
			continue
		}
		if !strings.HasPrefix(uri, "statemachines/") || !strings.HasSuffix(uri, ".asl.json") {
			f.problem("%s: DefinitionUri %s is not statemachines/<name>.asl.json", id, uri)
		}
		if !json.Valid(text) {
			f.problem("%s: %s is not valid JSON", id, uri)
		}
		if strings.Contains(string(text), "arn:aws:lambda:") {
			f.problem("%s: %s names a Lambda ARN literally; refer to functions only through ${XxxFunctionArn}", id, uri)
		}
		subs := asMap(dig(s.rawProps(id), "DefinitionSubstitutions"))
		used := map[string]bool{}
		for _, m := range placeholder.FindAllStringSubmatch(string(text), -1) {
			name := m[1]
			if used[name] {
				continue
			}
			used[name] = true
			if _, ok := subs[name]; !ok {
				f.problem("%s: %s uses ${%s} but DefinitionSubstitutions has no %s", id, uri, name, name)
			}
		}
		for _, k := range sortedKeys(subs) {
			if !used[k] {
				f.problem("%s: DefinitionSubstitutions.%s is not used by %s (no ${%s} in it)", id, k, uri, k)
			}
		}
	}
	for _, file := range files {
		rel := "statemachines/" + filepath.Base(file)
		switch ids := users[rel]; len(ids) {
		case 1:
		case 0:
			f.problem("%s is the DefinitionUri of no AWS::Serverless::StateMachine", rel)
		default:
			f.problem("%s is the DefinitionUri of %d state machines (%s); want exactly one", rel, len(ids), strings.Join(ids, ", "))
		}
	}
}

// checkTable: the one table is on-demand, recoverable, encrypted, expires
// items by TTL, and has the keys and indexes the store uses.
func checkTable(s *stack, f *findings) {
	tables := s.cf.GetAllDynamoDBTableResources()
	if len(tables) != 1 {
		f.problem("%d AWS::DynamoDB::Table resources (%s); want exactly one (single-table design)", len(tables), strings.Join(sortedKeys(tables), ", "))
	}
	for _, id := range sortedKeys(tables) {
		tb := tables[id]
		if b := deref(tb.BillingMode); b != "PAY_PER_REQUEST" {
			f.problem("%s: BillingMode is %q; want PAY_PER_REQUEST", id, b)
		}
		if tb.PointInTimeRecoverySpecification == nil || !deref(tb.PointInTimeRecoverySpecification.PointInTimeRecoveryEnabled) {
			f.problem("%s: PointInTimeRecoverySpecification.PointInTimeRecoveryEnabled is not true", id)
		}
		if tb.SSESpecification == nil || !tb.SSESpecification.SSEEnabled {
			f.problem("%s: SSESpecification.SSEEnabled is not true", id)
		}
		if ttl := tb.TimeToLiveSpecification; ttl == nil || !ttl.Enabled || deref(ttl.AttributeName) == "" {
			f.problem("%s: TimeToLiveSpecification must name an attribute and be Enabled (approval links expire by TTL)", id)
		}
		defined := map[string]bool{}
		for _, a := range tb.AttributeDefinitions {
			defined[a.AttributeName] = true
		}
		keyed := map[string]bool{}
		keys := func(ks []cfnddb.Table_KeySchema) string {
			parts := make([]string, len(ks))
			for i, k := range ks {
				parts[i] = k.AttributeName + " " + k.KeyType
				keyed[k.AttributeName] = true
				if !defined[k.AttributeName] {
					f.problem("%s: key attribute %s is not in AttributeDefinitions", id, k.AttributeName)
				}
			}
			return "[" + strings.Join(parts, ", ") + "]"
		}
		if got := keys(tb.KeySchema); got != "[pk HASH, sk RANGE]" {
			f.problem("%s: KeySchema is %s; want [pk HASH, sk RANGE]", id, got)
		}
		names := []string{}
		for _, g := range tb.GlobalSecondaryIndexes {
			names = append(names, g.IndexName)
			got := keys(g.KeySchema)
			if want := fmt.Sprintf("[%[1]spk HASH, %[1]ssk RANGE]", g.IndexName); got != want {
				f.problem("%s: index %s has KeySchema %s; want %s", id, g.IndexName, got, want)
			}
		}
		if got := fmt.Sprint(names); got != "[gsi1 gsi2]" {
			f.problem("%s: GlobalSecondaryIndexes are %s; want [gsi1 gsi2]", id, got)
		}
		for _, name := range sortedKeys(defined) {
			if !keyed[name] {
				f.problem("%s: AttributeDefinitions has %s, which no key uses (CloudFormation rejects that)", id, name)
			}
		}
	}
}

// broadManaged reports managed policies no function should carry.
func broadManaged(name string) bool {
	name = name[strings.LastIndex(name, "/")+1:]
	return name == "AdministratorAccess" || name == "PowerUserAccess" || strings.Contains(name, "FullAccess")
}

// checkPolicies: every function declares its own Policies (no shared Role),
// and none grants wildcards: no "*" or "service:*" actions, no dynamodb action
// on Resource "*" or on every table, no NotAction/NotResource, no
// AdministratorAccess, PowerUserAccess or *FullAccess managed policy.
func checkPolicies(s *stack, f *findings) {
	if g := asMap(dig(s.raw, "Globals", "Function")); g["Role"] != nil || g["Policies"] != nil {
		f.problem("Globals.Function sets Role or Policies; each function declares its own")
	}
	for _, id := range sortedKeys(s.cf.GetAllServerlessFunctionResources()) {
		props := s.rawProps(id)
		if props["Role"] != nil {
			f.problem("%s: uses Role %s; declare the function's own Policies instead", id, show(props["Role"]))
			continue
		}
		policies := asList(props["Policies"])
		if len(policies) == 0 {
			f.problem("%s: no Policies; each function has its own least-privilege policy", id)
			continue
		}
		for i, p := range policies {
			where := fmt.Sprintf("%s: Policies[%d]", id, i)
			if name, ok := asString(p); ok {
				if broadManaged(name) {
					f.problem("%s is the managed policy %s; grant the actions the function uses on its resources", where, name)
				}
				continue
			}
			m := asMap(p)
			if m == nil {
				f.problem("%s is %s, neither a policy name, a policy document nor a SAM policy template", where, show(p))
				continue
			}
			if _, ok := m["Statement"]; !ok {
				if len(m) != 1 {
					f.problem("%s is %s, neither a policy document nor one SAM policy template", where, show(p))
				}
				for k := range m {
					if k == "Ref" || strings.HasPrefix(k, "Fn::") {
						f.problem("%s is computed (%s); the test cannot see what it grants", where, show(p))
					}
				}
				continue // a SAM policy template, scoped by its parameters
			}
			for j, st := range asList(m["Statement"]) {
				checkStatement(f, fmt.Sprintf("%s.Statement[%d]", where, j), asMap(st))
			}
		}
	}
}

func checkStatement(f *findings, where string, st map[string]any) {
	if sid, ok := asString(st["Sid"]); ok {
		where += " (Sid " + sid + ")"
	}
	if st["Effect"] != "Allow" {
		return
	}
	if st["NotAction"] != nil || st["NotResource"] != nil {
		f.problem("%s allows with NotAction/NotResource; list Action and Resource", where)
	}
	dynamo := false
	for _, a := range asList(st["Action"]) {
		action, _ := asString(a)
		if strings.HasPrefix(strings.ToLower(action), "dynamodb:") {
			dynamo = true
		}
		if action == "*" || strings.HasSuffix(action, ":*") {
			f.problem("%s allows action %s; list the actions the function uses", where, action)
		}
	}
	resources := asList(st["Resource"])
	if len(resources) == 0 {
		f.problem("%s has no Resource", where)
	}
	for _, r := range resources {
		text, ok := asString(r)
		if !ok {
			text, _ = asString(dig(r, "Fn::Sub"))
		}
		if dynamo && text == "*" {
			f.problem(`%s allows dynamodb actions on Resource "*"; name the table (!GetAtt Table.Arn) and its indexes`, where)
		}
		if dynamo && strings.HasSuffix(text, ":table/*") {
			f.problem("%s allows dynamodb actions on every table (%s); name the table", where, text)
		}
	}
}

// logRetentionDays are the values CloudWatch Logs accepts for RetentionInDays.
var logRetentionDays = []int{1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653}

// checkLogGroups: each function has a log group of its own with a retention.
// (The function's LoggingConfig would be the other way to name one, but
// goformation v7.14.9 rejects that property, and the local stack parses the
// template with goformation.)
func checkLogGroups(s *stack, f *findings) {
	groups := s.cf.GetAllLogsLogGroupResources()
	for _, id := range sortedKeys(s.cf.GetAllServerlessFunctionResources()) {
		var mine []string
		for _, g := range sortedKeys(groups) {
			if sub, _ := asString(dig(s.rawProps(g), "LogGroupName", "Fn::Sub")); sub == "/aws/lambda/${"+id+"}" {
				mine = append(mine, g)
			}
		}
		if len(mine) == 0 {
			f.problem(`%s: no AWS::Logs::LogGroup named !Sub "/aws/lambda/${%s}"; without one Lambda creates a group that keeps logs forever`, id, id)
		}
		for _, g := range mine {
			switch days := groups[g].RetentionInDays; {
			case days == nil:
				f.problem("%s: log group %s has no RetentionInDays", id, g)
			case !slices.Contains(logRetentionDays, *days):
				f.problem("%s: log group %s has RetentionInDays %d; CloudWatch Logs accepts only %v", id, g, *days, logRetentionDays)
			}
		}
	}
}

// checkHTTPAPIAuth: every HTTP API defaults to a JWT authorizer, and every
// HttpApi event is attached to one of them (an event without ApiId gets SAM's
// implicit API, which has no authorizer).
func checkHTTPAPIAuth(s *stack, f *findings) {
	apis := s.cf.GetAllServerlessHttpApiResources()
	if len(apis) == 0 {
		f.problem("no AWS::Serverless::HttpApi; the API is an HTTP API with a JWT authorizer")
	}
	for _, id := range sortedKeys(apis) {
		api := apis[id]
		if api.Auth == nil || deref(api.Auth.DefaultAuthorizer) == "" {
			f.problem("%s: no Auth.DefaultAuthorizer; want a JWT authorizer as default", id)
			continue
		}
		name := *api.Auth.DefaultAuthorizer
		az := asMap(dig(s.rawProps(id), "Auth", "Authorizers", name))
		if az == nil {
			f.problem("%s: DefaultAuthorizer %s is not among Auth.Authorizers", id, name)
			continue
		}
		jwt := asMap(az["JwtConfiguration"])
		if jwt == nil {
			f.problem("%s: default authorizer %s is not a JWT authorizer (no JwtConfiguration)", id, name)
			continue
		}
		for _, k := range []string{"issuer", "audience"} {
			if jwt[k] == nil {
				f.problem("%s: authorizer %s has no JwtConfiguration.%s", id, name, k)
			}
		}
		if az["IdentitySource"] == nil {
			f.problem("%s: authorizer %s has no IdentitySource (e.g. $request.header.Authorization)", id, name)
		}
	}
	for _, fid := range sortedKeys(s.cf.GetAllServerlessFunctionResources()) {
		events := asMap(s.rawProps(fid)["Events"])
		for _, e := range sortedKeys(events) {
			if dig(events[e], "Type") != "HttpApi" {
				continue
			}
			props := asMap(dig(events[e], "Properties"))
			apiID := props["ApiId"]
			if ref, ok := refTo(apiID); !ok || apis[ref] == nil {
				f.problem("%s: event %s (HttpApi) has ApiId %s; want !Ref of an AWS::Serverless::HttpApi, else SAM attaches it to an implicit API without the authorizer", fid, e, show(apiID))
			}
			if dig(props, "Auth", "Authorizer") == "NONE" {
				f.note("public route (no authorizer): %v %v → %s", props["Method"], props["Path"], fid)
			}
		}
	}
}

// checkHTTPAPIStage: every HTTP API serves its routes on the $default stage.
// On a named stage API Gateway puts "/<stage>" in front of rawPath in the
// events it sends, and functions/api routes on rawPath, so every request would
// miss its route.
func checkHTTPAPIStage(s *stack, f *findings) {
	for _, id := range sortedKeys(s.cf.GetAllServerlessHttpApiResources()) {
		stage, ok := s.rawProps(id)["StageName"]
		if !ok || stage == "$default" {
			continue
		}
		shown := show(stage)
		if p, isRef := refTo(stage); isRef {
			shown = fmt.Sprintf("!Ref %s (default %s)", p, show(dig(s.raw, "Parameters", p, "Default")))
		}
		f.problem(`%s: StageName is %s; on a named stage API Gateway sends rawPath "/<stage>/…" and functions/api would match no route; leave StageName out (SAM's $default stage)`, id, shown)
	}
}

var cronPattern = regexp.MustCompile(`^cron\((.*)\)$`)

// checkSchedules: every schedule is an EventBridge Scheduler schedule in
// Asia/Shanghai with a six-field AWS cron expression.
func checkSchedules(s *stack, f *findings) {
	res := s.resources()
	n := 0
	for _, id := range sortedKeys(res) {
		if s.rawType(id) == "AWS::Scheduler::Schedule" {
			n++
			checkSchedule(f, id, s.rawProps(id))
		}
		events := asMap(s.rawProps(id)["Events"])
		for _, e := range sortedKeys(events) {
			where := id + " event " + e
			switch dig(events[e], "Type") {
			case "ScheduleV2":
				n++
				checkSchedule(f, where, asMap(dig(events[e], "Properties")))
			case "Schedule":
				f.problem("%s: Type Schedule is an EventBridge rule (UTC only); use ScheduleV2 with ScheduleExpressionTimezone: Asia/Shanghai", where)
			}
		}
	}
	if n == 0 {
		f.note("no ScheduleV2 events yet: nothing to check")
	}
}

func checkSchedule(f *findings, where string, props map[string]any) {
	if tz := props["ScheduleExpressionTimezone"]; tz != "Asia/Shanghai" {
		f.problem("%s: ScheduleExpressionTimezone is %s; want Asia/Shanghai", where, show(tz))
	}
	expr, _ := asString(props["ScheduleExpression"])
	m := cronPattern.FindStringSubmatch(expr)
	if m == nil {
		f.problem("%s: ScheduleExpression %q is not cron(...)", where, expr)
		return
	}
	fields := strings.Fields(m[1])
	if len(fields) != 6 {
		f.problem("%s: %s has %d fields; AWS cron has 6 (minutes hours day-of-month month day-of-week year)", where, expr, len(fields))
		return
	}
	if dom, dow := fields[2], fields[4]; (dom == "?") == (dow == "?") {
		if dom == "?" {
			f.problem("%s: %s leaves both day-of-month and day-of-week ?; exactly one must be ?", where, expr)
		} else {
			f.problem("%s: %s sets both day-of-month (%s) and day-of-week (%s); exactly one must be ?", where, expr, dom, dow)
		}
	}
}

// repoRoot walks up from the test's folder to the one holding go.mod.
func repoRoot(t *testing.T) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("no go.mod above the test's folder")
		}
		dir = parent
	}
}

// Operators can see what happened: every state machine traced with X-Ray,
// the HTTP API's access log (with API Gateway's request id) and throttling.
func TestOperatorsSee(t *testing.T) {
	s, err := parseStack(repoRoot(t), productgov.Template)
	if err != nil {
		t.Fatal(err)
	}
	apis := 0
	for id := range s.resources() {
		switch s.rawType(id) {
		case "AWS::Serverless::StateMachine":
			if on, _ := dig(s.rawProps(id), "Tracing", "Enabled").(bool); !on {
				t.Errorf("%s: Tracing.Enabled is not true", id)
			}
		case "AWS::Serverless::HttpApi":
			apis++
			props := s.rawProps(id)
			format, _ := asString(dig(props, "AccessLogSettings", "Format"))
			if dig(props, "AccessLogSettings", "DestinationArn") == nil || !strings.Contains(format, "$context.requestId") {
				t.Errorf("%s: no access log with the request id", id)
			}
			if dig(props, "DefaultRouteSettings", "ThrottlingBurstLimit") == nil || dig(props, "DefaultRouteSettings", "ThrottlingRateLimit") == nil {
				t.Errorf("%s: no throttling", id)
			}
		}
	}
	if apis != 1 {
		t.Fatalf("%d HTTP APIs", apis)
	}
}

// Two stages in one account (staging beside production) do not collide:
// every explicit name carries StageName or the stack's name, schedules are
// named by CloudFormation, and the SES identity is optional.
func TestManyStagesPerAccount(t *testing.T) {
	s, err := parseStack(repoRoot(t), productgov.Template)
	if err != nil {
		t.Fatal(err)
	}
	for id := range s.resources() {
		props := s.rawProps(id)
		for _, field := range []string{"LogGroupName", "TopicName", "Name", "TableName", "StateMachineName", "FunctionName"} {
			v, ok := props[field]
			if !ok {
				continue
			}
			text := fmt.Sprint(v)
			if !strings.Contains(text, "StageName") && !strings.Contains(text, "AWS::StackName") && !strings.Contains(text, "Fn::Sub") {
				t.Errorf("%s: %s %v is fixed: a second stage would collide", id, field, v)
			}
			if strings.Contains(text, "Fn::Sub") && !strings.Contains(text, "StageName") && !strings.Contains(text, "AWS::StackName") &&
				!regexp.MustCompile(`\$\{[A-Za-z]+Function\}`).MatchString(text) {
				t.Errorf("%s: %s %v carries no stage", id, field, v)
			}
		}
		events := asMap(props["Events"])
		for name, ev := range events {
			if typ, _ := asString(dig(ev, "Type")); typ == "ScheduleV2" {
				if omit, _ := dig(ev, "Properties", "OmitName").(bool); !omit && dig(ev, "Properties", "Name") == nil {
					t.Errorf("%s/%s: a schedule named by its logical id collides across stages (set OmitName)", id, name)
				}
			}
		}
	}
	if cond, _ := asString(dig(s.resources(), "MailIdentity", "Condition")); cond == "" {
		t.Error("MailIdentity is created unconditionally: only one stack per account may create it")
	}
	b, err := os.ReadFile(filepath.Join(repoRoot(t), "samconfig.toml"))
	if err != nil {
		t.Fatal(err)
	}
	for _, env := range []string{"[staging.deploy.parameters]", "[production.deploy.parameters]"} {
		if !strings.Contains(string(b), env) {
			t.Errorf("samconfig.toml has no %s", env)
		}
	}
}
