package asl

import (
	"fmt"
	"math"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"
)

// State types of the Amazon States Language.
const (
	typePass     = "Pass"
	typeTask     = "Task"
	typeChoice   = "Choice"
	typeWait     = "Wait"
	typeSucceed  = "Succeed"
	typeFail     = "Fail"
	typeParallel = "Parallel"
	typeMap      = "Map"
)

// Resources with special meaning to the engine.
const (
	lambdaInvokeResource = "arn:aws:states:::lambda:invoke"
	waitForTaskToken     = ".waitForTaskToken"
)

// stateMachine is a validated definition: the whole machine, a Parallel
// branch or a Map item processor.
type stateMachine struct {
	startAt string
	states  map[string]*state
	// timeout is the machine-level TimeoutSeconds (0: none); only the top level has one.
	timeout time.Duration
	// distributed is set on a Map item processor whose ProcessorConfig.Mode
	// is DISTRIBUTED, executionType to its ExecutionType.
	distributed   bool
	executionType string
}

// state is one compiled state. Which fields are set depends on typ.
type state struct {
	name string
	typ  string
	next string
	end  bool

	// inputPath, outputPath and resultPath are nil when the field is null;
	// an absent field compiles to "$".
	inputPath      *jsonPath
	outputPath     *jsonPath
	resultPath     *jsonPath
	parameters     *payloadTemplate
	resultSelector *payloadTemplate
	result         any
	hasResult      bool

	// Task.
	resource             string
	timeoutSeconds       int64
	timeoutSecondsPath   *jsonPath
	heartbeatSeconds     int64
	heartbeatSecondsPath *jsonPath
	retry                []retrier
	catch                []catcher

	// Choice.
	choices     []*choiceRule
	defaultNext string

	// Wait.
	seconds       int64
	hasSeconds    bool
	secondsPath   *jsonPath
	timestamp     time.Time
	hasTimestamp  bool
	timestampPath *jsonPath

	// Fail.
	errorName string
	cause     string
	errorExpr *dynamicString
	causeExpr *dynamicString

	// Parallel.
	branches []*stateMachine

	// Map.
	itemsPath          *jsonPath
	itemSelector       *payloadTemplate
	processor          *stateMachine
	maxConcurrency     int64
	maxConcurrencyPath *jsonPath
	// processorText is the ItemProcessor as written, kept in the records of
	// a Distributed Map's child executions.
	processorText string
	// dist holds what only a Distributed Map has (nil for an inline Map).
	dist *distributedMap
}

// Limits Step Functions puts on retrier fields; a definition beyond them
// is rejected when it is created.
const (
	maxRetryInterval = 99999999
	maxRetryAttempts = 99999999
	maxRetryDelay    = 31622401
)

// retrier is one entry of a Retry field.
type retrier struct {
	errorEquals []string
	interval    float64
	maxAttempts int64
	backoffRate float64
	maxDelay    float64
	fullJitter  bool
}

// catcher is one entry of a Catch field.
type catcher struct {
	errorEquals []string
	next        string
	resultPath  *jsonPath
}

// dynamicString is the value of ErrorPath or CausePath: a path or an intrinsic function.
type dynamicString struct {
	path *jsonPath
	call *intrinsicCall
}

func (d *dynamicString) evaluate(env *evalEnv, field string) (string, error) {
	var v any
	if d.call != nil {
		var err error
		if v, err = d.call.evaluate(env); err != nil {
			return "", err
		}
	} else {
		found := false
		var err error
		if v, found, err = d.path.lookup(env); err != nil {
			return "", err
		}
		if !found {
			return "", newStatesError(ErrorRuntime, "The JSONPath %q of %s could not be found in the input", d.path.text, field)
		}
	}
	s, ok := v.(string)
	if !ok {
		return "", newStatesError(ErrorRuntime, "%s must produce a string, got %s", field, jsonTypeName(v))
	}
	return s, nil
}

// rootPath is the default of InputPath, OutputPath, ResultPath and ItemsPath.
var rootPath = mustParsePath("$")

func mustParsePath(text string) *jsonPath {
	p, err := parsePath(text)
	if err != nil {
		panic(err)
	}
	return p
}

// substitutionPattern matches ${Name} placeholders of DefinitionSubstitutions.
var substitutionPattern = regexp.MustCompile(`\$\{([^}]*)\}`)

// substitute replaces ${Key} placeholders, reporting any without a value.
func substitute(definition string, substitutions map[string]string) (string, error) {
	var missing []string
	out := substitutionPattern.ReplaceAllStringFunc(definition, func(m string) string {
		key := m[2 : len(m)-1]
		if v, ok := substitutions[key]; ok {
			return v
		}
		missing = append(missing, m)
		return m
	})
	if len(missing) > 0 {
		return "", &DefinitionError{Problems: []string{"no substitution for " + strings.Join(missing, ", ")}}
	}
	return out, nil
}

// parseDefinition validates a definition and compiles it.
func parseDefinition(definition []byte) (*stateMachine, error) {
	doc, err := decodeJSON(definition)
	if err != nil {
		return nil, &DefinitionError{Problems: []string{"not valid JSON: " + err.Error()}}
	}
	obj, ok := doc.(*object)
	if !ok {
		return nil, &DefinitionError{Problems: []string{"the definition must be a JSON object"}}
	}
	p := &definitionParser{stateNames: map[string]string{}}
	m := p.machine(obj, "", true)
	if len(p.problems) > 0 {
		return nil, &DefinitionError{Problems: p.problems}
	}
	return m, nil
}

// definitionParser collects every problem instead of stopping at the first.
type definitionParser struct {
	problems []string
	// stateNames maps every state name seen so far, in any scope, to where
	// it is defined: names must be unique across the whole machine,
	// Parallel branches and Map processors included.
	stateNames map[string]string
}

func (p *definitionParser) addf(where, format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	if where != "" {
		msg = where + ": " + msg
	}
	p.problems = append(p.problems, msg)
}

// unsupportedFields are valid ASL this engine deliberately does not run.
var unsupportedFields = map[string]string{
	"QueryLanguage": "only the JSONPath query language is supported",
	"Arguments":     "JSONata is not supported",
	"Output":        "JSONata is not supported",
	"Assign":        "variables are not supported",
	"Credentials":   "cross-account task credentials are not supported",
}

// stateFields lists the fields each state type accepts.
var stateFields = map[string][]string{
	typePass:     {"Next", "End", "InputPath", "OutputPath", "ResultPath", "Parameters", "Result"},
	typeTask:     {"Next", "End", "InputPath", "OutputPath", "ResultPath", "Parameters", "ResultSelector", "Resource", "TimeoutSeconds", "TimeoutSecondsPath", "HeartbeatSeconds", "HeartbeatSecondsPath", "Retry", "Catch"},
	typeChoice:   {"InputPath", "OutputPath", "Choices", "Default"},
	typeWait:     {"Next", "End", "InputPath", "OutputPath", "Seconds", "SecondsPath", "Timestamp", "TimestampPath"},
	typeSucceed:  {"InputPath", "OutputPath"},
	typeFail:     {"Error", "Cause", "ErrorPath", "CausePath"},
	typeParallel: {"Next", "End", "InputPath", "OutputPath", "ResultPath", "Parameters", "ResultSelector", "Branches", "Retry", "Catch"},
	typeMap: {"Next", "End", "InputPath", "OutputPath", "ResultPath", "Parameters", "ItemSelector", "ResultSelector", "ItemsPath", "ItemProcessor", "Iterator", "MaxConcurrency", "MaxConcurrencyPath", "Retry", "Catch", "Label",
		"ItemReader", "ItemBatcher", "ResultWriter", "ToleratedFailurePercentage", "ToleratedFailurePercentagePath", "ToleratedFailureCount", "ToleratedFailureCountPath"},
}

// maxStateNameLength is the Step Functions limit on state names.
const maxStateNameLength = 80

// machine compiles a state machine, branch or item processor.
func (p *definitionParser) machine(obj *object, where string, topLevel bool) *stateMachine {
	allowed := map[string]bool{"StartAt": true, "States": true, "Comment": true}
	if topLevel {
		allowed["TimeoutSeconds"], allowed["Version"] = true, true
	} else {
		allowed["ProcessorConfig"] = true
	}
	for key, value := range obj.all() {
		switch {
		case key == "QueryLanguage" && topLevel && value == "JSONPath":
		case unsupportedFields[key] != "":
			p.addf(where, "%s: %s", key, unsupportedFields[key])
		case !allowed[key]:
			p.addf(where, "unknown field %q", key)
		}
	}
	m := &stateMachine{states: map[string]*state{}}
	m.startAt, _ = p.requiredString(obj, "StartAt", where)
	if topLevel {
		if secs, ok := p.integer(obj, "TimeoutSeconds", where, 1); ok {
			m.timeout = time.Duration(secs) * time.Second
		}
		if v, ok := obj.get("Version"); ok && v != "1.0" {
			p.addf(where, "Version must be \"1.0\"")
		}
	}
	if cfg, ok := obj.get("ProcessorConfig"); ok {
		m.distributed, m.executionType = p.processorConfig(cfg, joinWhere(where, "ProcessorConfig"))
	}
	rawStates, ok := obj.field("States").(*object)
	if !ok || rawStates.len() == 0 {
		p.addf(where, "States must be a non-empty object")
		return m
	}
	for _, name := range rawStates.duplicates {
		p.addf(joinWhere(where, "States."+name), "state name %q is not unique: it is written twice in this States object", name)
	}
	for _, name := range rawStates.keys {
		stWhere := joinWhere(where, "States."+name)
		if name == "" || utf8.RuneCountInString(name) > maxStateNameLength {
			p.addf(stWhere, "state names must have 1 to %d characters", maxStateNameLength)
		}
		if first, dup := p.stateNames[name]; dup {
			p.addf(stWhere, "state name %q is not unique: it is also used at %s", name, first)
		} else {
			p.stateNames[name] = stWhere
		}
		raw, ok := rawStates.field(name).(*object)
		if !ok {
			p.addf(stWhere, "a state must be an object")
			continue
		}
		if st := p.state(name, raw, stWhere); st != nil {
			m.states[name] = st
		}
	}
	if m.startAt != "" && rawStates.field(m.startAt) == nil {
		p.addf(where, "StartAt %q is not a state", m.startAt)
	}
	p.checkTransitions(m, rawStates, where)
	return m
}

// processorConfig reads a ProcessorConfig: whether the processor is
// distributed, and its ExecutionType.
func (p *definitionParser) processorConfig(v any, where string) (distributed bool, executionType string) {
	cfg, ok := v.(*object)
	if !ok {
		p.addf(where, "must be an object")
		return false, ""
	}
	for key, value := range cfg.all() {
		switch key {
		case "Mode":
			if value != "INLINE" && value != "DISTRIBUTED" {
				p.addf(where, "Mode must be INLINE or DISTRIBUTED")
			}
			distributed = value == "DISTRIBUTED"
		case "ExecutionType":
			if value != "STANDARD" && value != "EXPRESS" {
				p.addf(where, "ExecutionType must be STANDARD or EXPRESS")
			}
			executionType, _ = value.(string)
		default:
			p.addf(where, "unknown field %q", key)
		}
	}
	if distributed && executionType == "" {
		p.addf(where, "a DISTRIBUTED processor needs ExecutionType STANDARD or EXPRESS")
	}
	return distributed, executionType
}

// checkTransitions verifies that transitions name existing states, that
// every state is reachable and that the machine can end.
func (p *definitionParser) checkTransitions(m *stateMachine, raw *object, where string) {
	targets := func(st *state) []string {
		var out []string
		if st.next != "" {
			out = append(out, st.next)
		}
		if st.defaultNext != "" {
			out = append(out, st.defaultNext)
		}
		for _, r := range st.choices {
			out = append(out, r.next)
		}
		for _, c := range st.catch {
			out = append(out, c.next)
		}
		return out
	}
	terminal := false
	for _, name := range sortedKeys(m.states) {
		st := m.states[name]
		if st.end || st.typ == typeSucceed || st.typ == typeFail {
			terminal = true
		}
		for _, t := range targets(st) {
			if raw.field(t) == nil {
				p.addf(joinWhere(where, "States."+name), "transition to %q, which is not a state in this scope", t)
			}
		}
	}
	if !terminal && len(m.states) > 0 {
		p.addf(where, "no terminal state (End, Succeed or Fail)")
	}
	if m.states[m.startAt] == nil {
		return
	}
	reached := map[string]bool{}
	queue := []string{m.startAt}
	for len(queue) > 0 {
		name := queue[0]
		queue = queue[1:]
		if reached[name] {
			continue
		}
		reached[name] = true
		if st := m.states[name]; st != nil {
			queue = append(queue, targets(st)...)
		}
	}
	for _, name := range sortedKeys(m.states) {
		if !reached[name] {
			p.addf(joinWhere(where, "States."+name), "state is not reachable from StartAt")
		}
	}
}

// state compiles one state.
func (p *definitionParser) state(name string, obj *object, where string) *state {
	typ, _ := p.requiredString(obj, "Type", where)
	fields, known := stateFields[typ]
	if !known {
		if typ != "" {
			p.addf(where, "unknown state type %q", typ)
		}
		return nil
	}
	allowed := map[string]bool{"Type": true, "Comment": true}
	for _, f := range fields {
		allowed[f] = true
	}
	for key := range obj.all() {
		switch {
		case unsupportedFields[key] != "":
			p.addf(where, "%s: %s", key, unsupportedFields[key])
		case !allowed[key]:
			p.addf(where, "field %q is not allowed in a %s state", key, typ)
		}
	}
	st := &state{name: name, typ: typ}

	if allowed["Next"] {
		next, hasNext := p.optionalString(obj, "Next", where)
		end := false
		if v, present := obj.get("End"); present {
			b, ok := v.(bool)
			if !ok {
				p.addf(where, "End must be a boolean")
			}
			end = b
		}
		switch {
		case hasNext && end:
			p.addf(where, "a state cannot have both Next and End")
		case !hasNext && !end:
			p.addf(where, "a %s state needs Next or \"End\": true", typ)
		}
		st.next, st.end = next, end
	}
	if allowed["InputPath"] {
		st.inputPath = p.pathField(obj, "InputPath", where, false)
		st.outputPath = p.pathField(obj, "OutputPath", where, false)
	}
	if allowed["ResultPath"] {
		st.resultPath = p.pathField(obj, "ResultPath", where, true)
	}
	if allowed["Parameters"] {
		st.parameters = p.template(obj, "Parameters", where)
	}
	if allowed["ResultSelector"] {
		st.resultSelector = p.template(obj, "ResultSelector", where)
	}
	if allowed["Retry"] {
		st.retry = p.retriers(obj, where)
		st.catch = p.catchers(obj, where)
	}

	switch typ {
	case typePass:
		st.result, st.hasResult = obj.get("Result")
	case typeTask:
		p.task(st, obj, where)
	case typeChoice:
		p.choice(st, obj, where)
	case typeWait:
		p.wait(st, obj, where)
	case typeFail:
		p.fail(st, obj, where)
	case typeParallel:
		branches, ok := obj.field("Branches").([]any)
		if !ok || len(branches) == 0 {
			p.addf(where, "Branches must be a non-empty array")
		}
		for i, b := range branches {
			bw := fmt.Sprintf("%s.Branches[%d]", where, i)
			bo, ok := b.(*object)
			if !ok {
				p.addf(bw, "a branch must be an object")
				continue
			}
			st.branches = append(st.branches, p.machine(bo, bw, false))
		}
	case typeMap:
		p.mapState(st, obj, where)
	}
	return st
}

func (p *definitionParser) task(st *state, obj *object, where string) {
	resource, ok := p.requiredString(obj, "Resource", where)
	if !ok {
		return
	}
	st.resource = resource
	base := strings.TrimSuffix(resource, waitForTaskToken)
	switch {
	case !strings.HasPrefix(resource, "arn:"):
		p.addf(where, "Resource %q is not an ARN", resource)
	case strings.Contains(base, ".sync"):
		p.addf(where, "Resource %q: .sync integrations are not supported; use .waitForTaskToken", resource)
	case base == lambdaInvokeResource:
		params, _ := obj.field("Parameters").(*object)
		_, static := params.field("FunctionName").(string)
		_, dynamic := params.field("FunctionName.$").(string)
		if !static && !dynamic {
			p.addf(where, "%s needs Parameters.FunctionName", resource)
		}
	}
	st.timeoutSeconds, _ = p.integer(obj, "TimeoutSeconds", where, 1)
	st.timeoutSecondsPath = p.referencePath(obj, "TimeoutSecondsPath", where)
	st.heartbeatSeconds, _ = p.integer(obj, "HeartbeatSeconds", where, 1)
	st.heartbeatSecondsPath = p.referencePath(obj, "HeartbeatSecondsPath", where)
	if st.timeoutSeconds > 0 && st.timeoutSecondsPath != nil {
		p.addf(where, "TimeoutSeconds and TimeoutSecondsPath are mutually exclusive")
	}
	if st.heartbeatSeconds > 0 && st.heartbeatSecondsPath != nil {
		p.addf(where, "HeartbeatSeconds and HeartbeatSecondsPath are mutually exclusive")
	}
	if st.heartbeatSeconds > 0 && st.timeoutSeconds > 0 && st.heartbeatSeconds >= st.timeoutSeconds {
		p.addf(where, "HeartbeatSeconds must be smaller than TimeoutSeconds")
	}
}

func (p *definitionParser) choice(st *state, obj *object, where string) {
	rules, ok := obj.field("Choices").([]any)
	if !ok || len(rules) == 0 {
		p.addf(where, "Choices must be a non-empty array")
	}
	for i, raw := range rules {
		r, err := compileChoiceRule(raw, true)
		if err != nil {
			p.addf(fmt.Sprintf("%s.Choices[%d]", where, i), "%v", err)
			continue
		}
		st.choices = append(st.choices, r)
	}
	st.defaultNext, _ = p.optionalString(obj, "Default", where)
}

func (p *definitionParser) wait(st *state, obj *object, where string) {
	count := 0
	if secs, ok := p.integer(obj, "Seconds", where, 0); ok {
		st.seconds, st.hasSeconds = secs, true
		count++
	} else if _, present := obj.get("Seconds"); present {
		count++
	}
	if s, ok := p.optionalString(obj, "Timestamp", where); ok {
		count++
		t, valid := parseTimestamp(s)
		if !valid {
			p.addf(where, "Timestamp %q is not an RFC 3339 timestamp", s)
		}
		st.timestamp, st.hasTimestamp = t, true
	}
	if st.secondsPath = p.referencePath(obj, "SecondsPath", where); st.secondsPath != nil {
		count++
	}
	if st.timestampPath = p.referencePath(obj, "TimestampPath", where); st.timestampPath != nil {
		count++
	}
	if count != 1 {
		p.addf(where, "a Wait state needs exactly one of Seconds, SecondsPath, Timestamp and TimestampPath")
	}
}

func (p *definitionParser) fail(st *state, obj *object, where string) {
	st.errorName, _ = p.optionalString(obj, "Error", where)
	st.cause, _ = p.optionalString(obj, "Cause", where)
	st.errorExpr = p.dynamicString(obj, "ErrorPath", where)
	st.causeExpr = p.dynamicString(obj, "CausePath", where)
	if _, ok := obj.get("Error"); ok && st.errorExpr != nil {
		p.addf(where, "Error and ErrorPath are mutually exclusive")
	}
	if _, ok := obj.get("Cause"); ok && st.causeExpr != nil {
		p.addf(where, "Cause and CausePath are mutually exclusive")
	}
}

func (p *definitionParser) mapState(st *state, obj *object, where string) {
	st.itemsPath = rootPath
	if s, ok := p.optionalString(obj, "ItemsPath", where); ok {
		if path, err := parseReferencePath(s); err != nil {
			p.addf(where, "ItemsPath: %v", err)
		} else {
			st.itemsPath = path
		}
	}
	_, hasSelector := obj.get("ItemSelector")
	if hasSelector && st.parameters != nil {
		p.addf(where, "ItemSelector and Parameters are mutually exclusive")
	}
	// Parameters is the legacy name of ItemSelector in a Map state: it
	// shapes each item, not the Map's input.
	st.itemSelector = st.parameters
	st.parameters = nil
	if hasSelector {
		st.itemSelector = p.template(obj, "ItemSelector", where)
	}
	processor, hasProcessor := obj.get("ItemProcessor")
	iterator, hasIterator := obj.get("Iterator")
	switch {
	case hasProcessor && hasIterator:
		p.addf(where, "ItemProcessor and Iterator are mutually exclusive")
	case hasIterator:
		processor = iterator
		fallthrough
	case hasProcessor || hasIterator:
		po, ok := processor.(*object)
		if !ok {
			p.addf(where, "ItemProcessor must be an object")
			break
		}
		st.processor = p.machine(po, where+".ItemProcessor", false)
		st.processorText = mustEncodeJSON(po)
	default:
		p.addf(where, "a Map state needs ItemProcessor (or the legacy Iterator)")
	}
	st.maxConcurrency, _ = p.integer(obj, "MaxConcurrency", where, 0)
	st.maxConcurrencyPath = p.referencePath(obj, "MaxConcurrencyPath", where)
	if _, ok := obj.get("MaxConcurrency"); ok && st.maxConcurrencyPath != nil {
		p.addf(where, "MaxConcurrency and MaxConcurrencyPath are mutually exclusive")
	}
	if label, ok := p.optionalString(obj, "Label", where); ok && utf8.RuneCountInString(label) > 40 {
		p.addf(where, "Label must have at most 40 characters")
	}
	p.distributedMap(st, obj, where)
}

func (p *definitionParser) retriers(obj *object, where string) []retrier {
	raw, present := obj.get("Retry")
	if !present {
		return nil
	}
	list, ok := raw.([]any)
	if !ok {
		p.addf(where, "Retry must be an array")
		return nil
	}
	var out []retrier
	for i, item := range list {
		rw := fmt.Sprintf("%s.Retry[%d]", where, i)
		ro, ok := item.(*object)
		if !ok {
			p.addf(rw, "a retrier must be an object")
			continue
		}
		for key := range ro.all() {
			switch key {
			case "ErrorEquals", "IntervalSeconds", "MaxAttempts", "BackoffRate", "MaxDelaySeconds", "JitterStrategy", "Comment":
			default:
				p.addf(rw, "unknown field %q", key)
			}
		}
		r := retrier{interval: 1, maxAttempts: 3, backoffRate: 2}
		r.errorEquals = p.errorEquals(ro, rw, i == len(list)-1)
		if v, ok := p.integerIn(ro, "IntervalSeconds", rw, 1, maxRetryInterval); ok {
			r.interval = float64(v)
		}
		if v, ok := p.integerIn(ro, "MaxAttempts", rw, 0, maxRetryAttempts); ok {
			r.maxAttempts = v
		}
		if v, ok := p.integerIn(ro, "MaxDelaySeconds", rw, 1, maxRetryDelay); ok {
			r.maxDelay = float64(v)
		}
		if v, present := ro.get("BackoffRate"); present {
			f, ok := toNumber(v)
			if !ok || f < 1 {
				p.addf(rw, "BackoffRate must be a number of at least 1.0")
			}
			r.backoffRate = f
		}
		if v, ok := p.optionalString(ro, "JitterStrategy", rw); ok {
			switch v {
			case "FULL":
				r.fullJitter = true
			case "NONE":
			default:
				p.addf(rw, "JitterStrategy must be FULL or NONE")
			}
		}
		out = append(out, r)
	}
	return out
}

func (p *definitionParser) catchers(obj *object, where string) []catcher {
	raw, present := obj.get("Catch")
	if !present {
		return nil
	}
	list, ok := raw.([]any)
	if !ok {
		p.addf(where, "Catch must be an array")
		return nil
	}
	var out []catcher
	for i, item := range list {
		cw := fmt.Sprintf("%s.Catch[%d]", where, i)
		co, ok := item.(*object)
		if !ok {
			p.addf(cw, "a catcher must be an object")
			continue
		}
		for key := range co.all() {
			switch key {
			case "ErrorEquals", "Next", "ResultPath", "Comment":
			default:
				p.addf(cw, "unknown field %q", key)
			}
		}
		c := catcher{errorEquals: p.errorEquals(co, cw, i == len(list)-1)}
		c.next, _ = p.requiredString(co, "Next", cw)
		c.resultPath = p.pathField(co, "ResultPath", cw, true)
		out = append(out, c)
	}
	return out
}

// errorEquals checks an ErrorEquals list; States.ALL must be alone and last.
func (p *definitionParser) errorEquals(obj *object, where string, last bool) []string {
	list, ok := obj.field("ErrorEquals").([]any)
	if !ok || len(list) == 0 {
		p.addf(where, "ErrorEquals must be a non-empty array of error names")
		return nil
	}
	var out []string
	for _, v := range list {
		s, ok := v.(string)
		if !ok || s == "" {
			p.addf(where, "ErrorEquals entries must be error names")
			continue
		}
		if s == ErrorAll && (len(list) != 1 || !last) {
			p.addf(where, "States.ALL must appear alone, in the last entry")
		}
		out = append(out, s)
	}
	return out
}

// pathField compiles InputPath, OutputPath or ResultPath: absent means "$",
// null means nil (discard).
func (p *definitionParser) pathField(obj *object, key, where string, reference bool) *jsonPath {
	v, present := obj.get(key)
	if !present {
		return rootPath
	}
	if v == nil {
		return nil
	}
	s, ok := v.(string)
	if !ok {
		p.addf(where, "%s must be a path string or null", key)
		return rootPath
	}
	var path *jsonPath
	var err error
	if reference {
		path, err = parseReferencePath(s)
		if err == nil && path.context {
			err = fmt.Errorf("%q cannot point into the context object", s)
		}
	} else {
		path, err = parsePath(s)
	}
	if err != nil {
		p.addf(where, "%s: %v", key, err)
		return rootPath
	}
	return path
}

// referencePath compiles an optional reference path such as SecondsPath.
func (p *definitionParser) referencePath(obj *object, key, where string) *jsonPath {
	s, ok := p.optionalString(obj, key, where)
	if !ok {
		return nil
	}
	path, err := parseReferencePath(s)
	if err != nil {
		p.addf(where, "%s: %v", key, err)
		return nil
	}
	return path
}

func (p *definitionParser) dynamicString(obj *object, key, where string) *dynamicString {
	s, ok := p.optionalString(obj, key, where)
	if !ok {
		return nil
	}
	var d dynamicString
	var err error
	if isIntrinsic(s) {
		d.call, err = parseIntrinsic(s)
	} else {
		d.path, err = parseReferencePath(s)
	}
	if err != nil {
		p.addf(where, "%s: %v", key, err)
		return nil
	}
	return &d
}

func (p *definitionParser) template(obj *object, key, where string) *payloadTemplate {
	v, present := obj.get(key)
	if !present {
		return nil
	}
	if _, ok := v.(*object); !ok && key != "Parameters" {
		p.addf(where, "%s must be an object", key)
		return nil
	}
	t, err := compileTemplate(v)
	if err != nil {
		p.addf(where, "%s.%v", key, err)
		return nil
	}
	return t
}

func (p *definitionParser) requiredString(obj *object, key, where string) (string, bool) {
	s, ok := p.optionalString(obj, key, where)
	if !ok {
		if _, present := obj.get(key); !present {
			p.addf(where, "%s is required", key)
		}
		return "", false
	}
	return s, true
}

// optionalString reads a non-empty string field, reporting a wrong type.
func (p *definitionParser) optionalString(obj *object, key, where string) (string, bool) {
	v, present := obj.get(key)
	if !present {
		return "", false
	}
	s, ok := v.(string)
	if !ok || s == "" {
		p.addf(where, "%s must be a non-empty string", key)
		return "", false
	}
	return s, true
}

// integer reads an optional integer field of at least min.
func (p *definitionParser) integer(obj *object, key, where string, min int64) (int64, bool) {
	v, present := obj.get(key)
	if !present {
		return 0, false
	}
	i, ok := toInteger(v)
	if !ok || i < min || i > math.MaxInt32 {
		p.addf(where, "%s must be an integer of at least %d", key, min)
		return 0, false
	}
	return i, true
}

// integerIn reads an optional integer field between min and max.
func (p *definitionParser) integerIn(obj *object, key, where string, min, max int64) (int64, bool) {
	v, present := obj.get(key)
	if !present {
		return 0, false
	}
	i, ok := toInteger(v)
	if !ok || i < min || i > max {
		p.addf(where, "%s must be an integer from %d to %d", key, min, max)
		return 0, false
	}
	return i, true
}

func joinWhere(where, child string) string {
	if where == "" {
		return child
	}
	return where + "." + child
}
