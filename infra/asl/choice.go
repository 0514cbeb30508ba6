package asl

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"
	"unicode/utf16"
)

// choiceRule is a compiled Choice rule: a boolean combination (And, Or, Not)
// or a data test of one variable.
type choiceRule struct {
	and []*choiceRule
	or  []*choiceRule
	not *choiceRule

	variable *jsonPath
	operator string
	// comparand is the literal to compare with; comparandPath is set instead
	// for the ...Path operators.
	comparand     any
	comparandPath *jsonPath
	pattern       *regexp.Regexp

	next string
}

// operatorKind groups comparison operators by the type they compare.
type operatorKind int

const (
	compareString operatorKind = iota
	compareNumeric
	compareBoolean
	compareTimestamp
	testType
	matchString
)

// choiceOperators lists every data-test operator without its Path suffix.
var choiceOperators = map[string]operatorKind{
	"StringEquals": compareString, "StringLessThan": compareString, "StringGreaterThan": compareString,
	"StringLessThanEquals": compareString, "StringGreaterThanEquals": compareString,
	"StringMatches": matchString,
	"NumericEquals": compareNumeric, "NumericLessThan": compareNumeric, "NumericGreaterThan": compareNumeric,
	"NumericLessThanEquals": compareNumeric, "NumericGreaterThanEquals": compareNumeric,
	"BooleanEquals":   compareBoolean,
	"TimestampEquals": compareTimestamp, "TimestampLessThan": compareTimestamp, "TimestampGreaterThan": compareTimestamp,
	"TimestampLessThanEquals": compareTimestamp, "TimestampGreaterThanEquals": compareTimestamp,
	"IsNull": testType, "IsPresent": testType, "IsNumeric": testType, "IsString": testType,
	"IsBoolean": testType, "IsTimestamp": testType,
}

// compileChoiceRule compiles a rule; top-level rules need Next, nested ones must not have it.
func compileChoiceRule(raw any, topLevel bool) (*choiceRule, error) {
	obj, ok := raw.(*object)
	if !ok {
		return nil, fmt.Errorf("a choice rule must be an object")
	}
	r := &choiceRule{}
	if next, present := obj.get("Next"); present {
		s, ok := next.(string)
		if !ok || s == "" {
			return nil, errors.New("the Next field must be a state name")
		}
		if !topLevel {
			return nil, fmt.Errorf("nested choice rules must not have Next")
		}
		r.next = s
	} else if topLevel {
		return nil, fmt.Errorf("a top-level choice rule needs Next")
	}
	var operators []string
	for key := range obj.all() {
		switch key {
		case "Next", "Comment", "Variable":
		case "And", "Or", "Not":
			operators = append(operators, key)
		default:
			name := strings.TrimSuffix(key, "Path")
			kind, known := choiceOperators[name]
			if !known || (key != name && (kind == testType || kind == matchString)) {
				return nil, fmt.Errorf("unknown field %q", key)
			}
			operators = append(operators, key)
		}
	}
	if len(operators) != 1 {
		return nil, fmt.Errorf("a choice rule needs exactly one operator, found %d", len(operators))
	}
	op := operators[0]
	value := obj.field(op)
	switch op {
	case "And", "Or":
		list, ok := value.([]any)
		if !ok || len(list) == 0 {
			return nil, fmt.Errorf("%s must be a non-empty array of rules", op)
		}
		if _, hasVar := obj.get("Variable"); hasVar {
			return nil, fmt.Errorf("%s rules must not have Variable", op)
		}
		for i, item := range list {
			sub, err := compileChoiceRule(item, false)
			if err != nil {
				return nil, fmt.Errorf("%s[%d]: %v", op, i, err)
			}
			if op == "And" {
				r.and = append(r.and, sub)
			} else {
				r.or = append(r.or, sub)
			}
		}
		return r, nil
	case "Not":
		if _, hasVar := obj.get("Variable"); hasVar {
			return nil, errors.New("a Not rule must not have Variable")
		}
		sub, err := compileChoiceRule(value, false)
		if err != nil {
			return nil, fmt.Errorf("in Not: %v", err)
		}
		r.not = sub
		return r, nil
	}
	variable, ok := obj.field("Variable").(string)
	if !ok {
		return nil, fmt.Errorf("%s needs Variable", op)
	}
	var err error
	if r.variable, err = parseReferencePath(variable); err != nil {
		return nil, fmt.Errorf("in Variable: %v", err)
	}
	r.operator = op
	// A key that is not itself an operator is the Path form of one.
	name, isPath := op, false
	if _, base := choiceOperators[op]; !base {
		name, isPath = strings.TrimSuffix(op, "Path"), true
	}
	if isPath {
		s, ok := value.(string)
		if !ok {
			return nil, fmt.Errorf("%s must be a path string", op)
		}
		if r.comparandPath, err = parseReferencePath(s); err != nil {
			return nil, fmt.Errorf("%s: %v", op, err)
		}
		return r, nil
	}
	switch choiceOperators[name] {
	case compareString:
		if _, ok := value.(string); !ok {
			return nil, fmt.Errorf("%s must be a string", op)
		}
	case matchString:
		s, ok := value.(string)
		if !ok {
			return nil, fmt.Errorf("%s must be a string", op)
		}
		r.pattern = compileWildcard(s)
	case compareNumeric:
		if _, ok := toNumber(value); !ok {
			return nil, fmt.Errorf("%s must be a number", op)
		}
	case compareBoolean, testType:
		if _, ok := value.(bool); !ok {
			return nil, fmt.Errorf("%s must be a boolean", op)
		}
	case compareTimestamp:
		s, ok := value.(string)
		if _, valid := parseTimestamp(s); !ok || !valid {
			return nil, fmt.Errorf("%s must be an RFC 3339 timestamp", op)
		}
	}
	r.comparand = value
	return r, nil
}

// evaluate reports whether the rule matches the input.
func (r *choiceRule) evaluate(env *evalEnv) (bool, error) {
	switch {
	case r.and != nil:
		for _, sub := range r.and {
			ok, err := sub.evaluate(env)
			if err != nil || !ok {
				return false, err
			}
		}
		return true, nil
	case r.or != nil:
		for _, sub := range r.or {
			ok, err := sub.evaluate(env)
			if err != nil || ok {
				return ok, err
			}
		}
		return false, nil
	case r.not != nil:
		ok, err := r.not.evaluate(env)
		return !ok, err
	}
	value, found, err := r.variable.lookup(env)
	if err != nil {
		return false, err
	}
	if r.operator == "IsPresent" {
		return found == r.comparand.(bool), nil
	}
	if !found {
		return false, newStatesError(ErrorRuntime,
			"Invalid path %q: The choice state's condition path references an invalid value.", r.variable.text)
	}
	comparand := r.comparand
	name := r.operator
	if r.comparandPath != nil {
		name = strings.TrimSuffix(r.operator, "Path")
		v, found, err := r.comparandPath.lookup(env)
		if err != nil {
			return false, err
		}
		if !found {
			return false, newStatesError(ErrorRuntime,
				"Invalid path %q: The choice state's condition path references an invalid value.", r.comparandPath.text)
		}
		comparand = v
	}
	return testValue(name, value, comparand, r.pattern), nil
}

// testValue applies one operator. Mismatched types never match (and never
// fail), as the specification requires.
func testValue(operator string, value, comparand any, pattern *regexp.Regexp) bool {
	switch operator {
	case "IsNull":
		return (value == nil) == comparand.(bool)
	case "IsNumeric":
		_, ok := toNumber(value)
		return ok == comparand.(bool)
	case "IsString":
		_, ok := value.(string)
		return ok == comparand.(bool)
	case "IsBoolean":
		_, ok := value.(bool)
		return ok == comparand.(bool)
	case "IsTimestamp":
		s, ok := value.(string)
		_, valid := parseTimestamp(s)
		return (ok && valid) == comparand.(bool)
	case "StringMatches":
		s, ok := value.(string)
		return ok && pattern.MatchString(s)
	case "BooleanEquals":
		a, ok1 := value.(bool)
		b, ok2 := comparand.(bool)
		return ok1 && ok2 && a == b
	}
	var cmp int
	switch choiceOperators[operator] {
	case compareString:
		a, ok1 := value.(string)
		b, ok2 := comparand.(string)
		if !ok1 || !ok2 {
			return false
		}
		cmp = compareUTF16(a, b)
	case compareNumeric:
		_, ok1 := toNumber(value)
		_, ok2 := toNumber(comparand)
		if !ok1 || !ok2 {
			return false
		}
		cmp = compareNumbers(value, comparand)
	case compareTimestamp:
		a, ok1 := value.(string)
		b, ok2 := comparand.(string)
		ta, valid1 := parseTimestamp(a)
		tb, valid2 := parseTimestamp(b)
		if !ok1 || !ok2 || !valid1 || !valid2 {
			return false
		}
		cmp = ta.Compare(tb)
	default:
		return false
	}
	switch {
	case strings.HasSuffix(operator, "LessThanEquals"):
		return cmp <= 0
	case strings.HasSuffix(operator, "GreaterThanEquals"):
		return cmp >= 0
	case strings.HasSuffix(operator, "LessThan"):
		return cmp < 0
	case strings.HasSuffix(operator, "GreaterThan"):
		return cmp > 0
	}
	return cmp == 0
}

// compareUTF16 orders strings by UTF-16 code units, like Java's
// String.compareTo, which the specification refers to.
func compareUTF16(a, b string) int {
	ua, ub := utf16.Encode([]rune(a)), utf16.Encode([]rune(b))
	for i := 0; i < len(ua) && i < len(ub); i++ {
		if ua[i] != ub[i] {
			if ua[i] < ub[i] {
				return -1
			}
			return 1
		}
	}
	switch {
	case len(ua) < len(ub):
		return -1
	case len(ua) > len(ub):
		return 1
	}
	return 0
}

// parseTimestamp reads an RFC 3339 timestamp with an uppercase T and Z.
func parseTimestamp(s string) (time.Time, bool) {
	if strings.ContainsAny(s, "tz") {
		return time.Time{}, false
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	return t, err == nil
}

// compileWildcard turns a StringMatches pattern into a regexp: "*" matches
// any text, and "\*" and "\\" stand for a literal star and backslash.
func compileWildcard(pattern string) *regexp.Regexp {
	var b strings.Builder
	b.WriteString(`(?s)\A`)
	for i := 0; i < len(pattern); i++ {
		c := pattern[i]
		switch {
		case c == '\\' && i+1 < len(pattern) && (pattern[i+1] == '*' || pattern[i+1] == '\\'):
			b.WriteString(regexp.QuoteMeta(string(pattern[i+1])))
			i++
		case c == '*':
			b.WriteString(`.*`)
		default:
			b.WriteString(regexp.QuoteMeta(string(c)))
		}
	}
	b.WriteString(`\z`)
	return regexp.MustCompile(b.String())
}
