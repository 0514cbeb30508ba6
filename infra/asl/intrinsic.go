package asl

import (
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"hash"
	"math"
	"math/rand/v2"
	"strings"
	"unicode/utf8"
)

// intrinsicCall is a compiled intrinsic function invocation such as
// States.Format('{} items', States.ArrayLength($.items)).
type intrinsicCall struct {
	name string
	args []intrinsicArg
	text string
}

// intrinsicArg is one argument: a literal, a path or a nested call.
type intrinsicArg struct {
	literal any
	// escaped keeps a string literal as written (minus the quotes), because
	// States.Format must tell an escaped \{ from a placeholder.
	escaped  string
	isString bool
	path     *jsonPath
	call     *intrinsicCall
}

// intrinsicArity gives the minimum and maximum argument counts (-1: no maximum).
var intrinsicArity = map[string][2]int{
	"States.Format":         {1, -1},
	"States.StringToJson":   {1, 1},
	"States.JsonToString":   {1, 1},
	"States.Array":          {0, -1},
	"States.ArrayPartition": {2, 2},
	"States.ArrayContains":  {2, 2},
	"States.ArrayRange":     {3, 3},
	"States.ArrayGetItem":   {2, 2},
	"States.ArrayLength":    {1, 1},
	"States.ArrayUnique":    {1, 1},
	"States.Base64Encode":   {1, 1},
	"States.Base64Decode":   {1, 1},
	"States.Hash":           {2, 2},
	"States.JsonMerge":      {3, 3},
	"States.MathRandom":     {2, 3},
	"States.MathAdd":        {2, 2},
	"States.StringSplit":    {2, 2},
	"States.UUID":           {0, 0},
}

// Limits that Step Functions documents for intrinsic functions.
const (
	maxIntrinsicNesting   = 10
	maxBase64InputChars   = 10000
	maxHashInputChars     = 10000
	maxArrayRangeElements = 1000
)

// isIntrinsic reports whether a ".$" field value is an intrinsic call rather than a path.
func isIntrinsic(s string) bool { return strings.HasPrefix(s, "States.") }

// parseIntrinsic compiles an intrinsic function invocation.
func parseIntrinsic(text string) (*intrinsicCall, error) {
	p := &intrinsicParser{src: text}
	call, err := p.call(1)
	if err != nil {
		return nil, fmt.Errorf("intrinsic %q: %v", text, err)
	}
	p.skipSpace()
	if p.pos != len(p.src) {
		return nil, fmt.Errorf("intrinsic %q: unexpected %q after the call", text, p.src[p.pos:])
	}
	return call, nil
}

type intrinsicParser struct {
	src string
	pos int
}

func (p *intrinsicParser) skipSpace() {
	for p.pos < len(p.src) && (p.src[p.pos] == ' ' || p.src[p.pos] == '\t' || p.src[p.pos] == '\n' || p.src[p.pos] == '\r') {
		p.pos++
	}
}

func (p *intrinsicParser) call(depth int) (*intrinsicCall, error) {
	if depth > maxIntrinsicNesting {
		return nil, fmt.Errorf("more than %d nested intrinsic functions", maxIntrinsicNesting)
	}
	start := p.pos
	if !strings.HasPrefix(p.src[p.pos:], "States.") {
		return nil, fmt.Errorf("expected a States.* function at offset %d", p.pos)
	}
	p.pos += len("States.")
	for p.pos < len(p.src) && isIdentByte(p.src[p.pos]) {
		p.pos++
	}
	name := p.src[start:p.pos]
	arity, known := intrinsicArity[name]
	if !known {
		return nil, fmt.Errorf("unknown intrinsic function %s", name)
	}
	p.skipSpace()
	if p.pos >= len(p.src) || p.src[p.pos] != '(' {
		return nil, fmt.Errorf("expected '(' after %s", name)
	}
	p.pos++
	c := &intrinsicCall{name: name}
	p.skipSpace()
	if p.pos < len(p.src) && p.src[p.pos] == ')' {
		p.pos++
	} else {
		for {
			arg, err := p.arg(depth)
			if err != nil {
				return nil, err
			}
			c.args = append(c.args, arg)
			p.skipSpace()
			if p.pos >= len(p.src) {
				return nil, fmt.Errorf("unterminated argument list of %s", name)
			}
			if p.src[p.pos] == ')' {
				p.pos++
				break
			}
			if p.src[p.pos] != ',' {
				return nil, fmt.Errorf("expected ',' or ')' at offset %d", p.pos)
			}
			p.pos++
		}
	}
	c.text = p.src[start:p.pos]
	if len(c.args) < arity[0] || (arity[1] >= 0 && len(c.args) > arity[1]) {
		return nil, fmt.Errorf("%s takes %s, got %d", name, describeArity(arity), len(c.args))
	}
	if name == "States.Format" && c.args[0].isString {
		if n := countPlaceholders(c.args[0].escaped, true); n != len(c.args)-1 {
			return nil, fmt.Errorf("States.Format has %d placeholders but %d values", n, len(c.args)-1)
		}
	}
	return c, nil
}

func describeArity(a [2]int) string {
	switch {
	case a[1] < 0:
		return fmt.Sprintf("at least %d arguments", a[0])
	case a[0] == a[1]:
		return fmt.Sprintf("%d arguments", a[0])
	}
	return fmt.Sprintf("%d to %d arguments", a[0], a[1])
}

func isIdentByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

func (p *intrinsicParser) arg(depth int) (intrinsicArg, error) {
	p.skipSpace()
	if p.pos >= len(p.src) {
		return intrinsicArg{}, fmt.Errorf("missing argument")
	}
	rest := p.src[p.pos:]
	switch {
	case rest[0] == '\'':
		return p.stringLiteral()
	case rest[0] == '$':
		return p.pathArg()
	case strings.HasPrefix(rest, "States."):
		c, err := p.call(depth + 1)
		return intrinsicArg{call: c}, err
	case rest[0] == '-' || rest[0] >= '0' && rest[0] <= '9':
		return p.number()
	}
	for word, value := range map[string]any{"true": true, "false": false, "null": nil} {
		if strings.HasPrefix(rest, word) && (len(rest) == len(word) || !isIdentByte(rest[len(word)])) {
			p.pos += len(word)
			return intrinsicArg{literal: value}, nil
		}
	}
	return intrinsicArg{}, fmt.Errorf("unexpected %q at offset %d", rest, p.pos)
}

// stringLiteral reads '...'. Inside, \' \{ \} and \\ are the only escapes.
func (p *intrinsicParser) stringLiteral() (intrinsicArg, error) {
	p.pos++ // opening quote
	start := p.pos
	var value strings.Builder
	for p.pos < len(p.src) {
		c := p.src[p.pos]
		switch c {
		case '\\':
			if p.pos+1 >= len(p.src) {
				return intrinsicArg{}, fmt.Errorf("unterminated escape in string literal")
			}
			next := p.src[p.pos+1]
			if next != '\'' && next != '{' && next != '}' && next != '\\' {
				return intrinsicArg{}, fmt.Errorf("invalid escape \\%c in string literal", next)
			}
			value.WriteByte(next)
			p.pos += 2
		case '\'':
			escaped := p.src[start:p.pos]
			p.pos++
			return intrinsicArg{literal: value.String(), escaped: escaped, isString: true}, nil
		default:
			value.WriteByte(c)
			p.pos++
		}
	}
	return intrinsicArg{}, fmt.Errorf("unterminated string literal")
}

// pathArg reads a path up to the ',' or ')' that ends the argument.
func (p *intrinsicParser) pathArg() (intrinsicArg, error) {
	start := p.pos
	depth := 0
	var quote byte
loop:
	for p.pos < len(p.src) {
		c := p.src[p.pos]
		switch {
		case quote != 0:
			if c == '\\' {
				p.pos++
			} else if c == quote {
				quote = 0
			}
		case c == '\'' || c == '"':
			quote = c
		case c == '[' || c == '(':
			depth++
		case c == ']':
			depth--
		case c == ')':
			if depth == 0 {
				break loop
			}
			depth--
		case c == ',' && depth == 0:
			break loop
		}
		p.pos++
	}
	text := strings.TrimRight(p.src[start:p.pos], " \t\r\n")
	path, err := parsePath(text)
	if err != nil {
		return intrinsicArg{}, err
	}
	return intrinsicArg{path: path}, nil
}

func (p *intrinsicParser) number() (intrinsicArg, error) {
	start := p.pos
	if p.src[p.pos] == '-' {
		p.pos++
	}
	for p.pos < len(p.src) && strings.IndexByte("0123456789.eE+-", p.src[p.pos]) >= 0 {
		p.pos++
	}
	text := p.src[start:p.pos]
	if !json.Valid([]byte(text)) {
		return intrinsicArg{}, fmt.Errorf("invalid number %q", text)
	}
	// Written numbers keep their text, like numbers in the data.
	return intrinsicArg{literal: numberValue(text)}, nil
}

// evaluate runs the call.
func (c *intrinsicCall) evaluate(env *evalEnv) (any, error) {
	args := make([]any, len(c.args))
	for i, a := range c.args {
		switch {
		case a.call != nil:
			v, err := a.call.evaluate(env)
			if err != nil {
				return nil, err
			}
			args[i] = v
		case a.path != nil:
			v, found, err := a.path.lookup(env)
			if err != nil {
				return nil, err
			}
			if !found {
				return nil, newStatesError(ErrorRuntime,
					"The JSONPath %q in the intrinsic function %s could not be found in the input", a.path.text, c.text)
			}
			args[i] = v
		default:
			args[i] = a.literal
		}
	}
	v, err := c.apply(env, args)
	if err != nil {
		return nil, newStatesError(ErrorIntrinsicFailure, "The function %s had the following error: %v", c.text, err)
	}
	return v, nil
}

// apply runs the function on evaluated arguments.
func (c *intrinsicCall) apply(env *evalEnv, args []any) (any, error) {
	switch c.name {
	case "States.Format":
		return c.format(args)
	case "States.StringToJson":
		s, err := stringArg(args[0], "argument")
		if err != nil {
			return nil, err
		}
		if strings.Trim(s, " \t\r\n") == "" {
			// An empty or blank text parses as null on AWS, not as an error.
			return nil, nil
		}
		v, err := decodeJSON([]byte(s))
		if err != nil {
			return nil, fmt.Errorf("the argument is not a JSON text: %v", err)
		}
		return v, nil
	case "States.JsonToString":
		return mustEncodeJSON(args[0]), nil
	case "States.Array":
		return append([]any{}, args...), nil
	case "States.ArrayPartition":
		return arrayPartition(args)
	case "States.ArrayContains":
		arr, err := arrayArg(args[0])
		if err != nil {
			return nil, err
		}
		for _, e := range arr {
			if jsonEqual(e, args[1]) {
				return true, nil
			}
		}
		return false, nil
	case "States.ArrayRange":
		return arrayRange(args)
	case "States.ArrayGetItem":
		arr, err := arrayArg(args[0])
		if err != nil {
			return nil, err
		}
		i, err := integerArg(args[1], "index")
		if err != nil {
			return nil, err
		}
		if i < 0 || i >= int64(len(arr)) {
			return nil, fmt.Errorf("the index %d is out of bounds for an array of %d items", i, len(arr))
		}
		return arr[i], nil
	case "States.ArrayLength":
		arr, err := arrayArg(args[0])
		if err != nil {
			return nil, err
		}
		return int64(len(arr)), nil
	case "States.ArrayUnique":
		arr, err := arrayArg(args[0])
		if err != nil {
			return nil, err
		}
		out := []any{}
	next:
		for _, e := range arr {
			for _, seen := range out {
				if jsonEqual(e, seen) {
					continue next
				}
			}
			out = append(out, e)
		}
		return out, nil
	case "States.Base64Encode":
		s, err := stringArg(args[0], "argument")
		if err != nil {
			return nil, err
		}
		if utf8.RuneCountInString(s) > maxBase64InputChars {
			return nil, fmt.Errorf("the input exceeds %d characters", maxBase64InputChars)
		}
		return base64.StdEncoding.EncodeToString([]byte(s)), nil
	case "States.Base64Decode":
		s, err := stringArg(args[0], "argument")
		if err != nil {
			return nil, err
		}
		if len(s) > maxBase64InputChars {
			return nil, fmt.Errorf("the input exceeds %d characters", maxBase64InputChars)
		}
		b, err := base64.StdEncoding.DecodeString(s)
		if err != nil {
			return nil, fmt.Errorf("the input is not valid base64: %v", err)
		}
		return string(b), nil
	case "States.Hash":
		return hashValue(args)
	case "States.JsonMerge":
		return jsonMerge(args)
	case "States.MathRandom":
		return mathRandom(env, args)
	case "States.MathAdd":
		a, err := roundedIntegerArg(args[0])
		if err != nil {
			return nil, err
		}
		b, err := roundedIntegerArg(args[1])
		if err != nil {
			return nil, err
		}
		return a + b, nil
	case "States.StringSplit":
		s, err := stringArg(args[0], "first argument")
		if err != nil {
			return nil, err
		}
		delimiters, err := stringArg(args[1], "delimiter")
		if err != nil {
			return nil, err
		}
		// Every character of the second argument is a delimiter, and empty
		// pieces are dropped, as Step Functions does.
		parts := strings.FieldsFunc(s, func(r rune) bool { return strings.ContainsRune(delimiters, r) })
		out := make([]any, len(parts))
		for i, part := range parts {
			out[i] = part
		}
		return out, nil
	case "States.UUID":
		var b [16]byte
		for i := range b {
			b[i] = byte(env.random().Uint32())
		}
		b[6] = b[6]&0x0f | 0x40 // version 4
		b[8] = b[8]&0x3f | 0x80 // RFC 4122 variant
		h := hex.EncodeToString(b[:])
		return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32], nil
	}
	return nil, fmt.Errorf("unsupported function %s", c.name)
}

// format implements States.Format. A literal template keeps its escapes, so
// \{ and \} stay literal braces; a template read from a path has none.
func (c *intrinsicCall) format(args []any) (any, error) {
	template, err := stringArg(args[0], "template")
	if err != nil {
		return nil, err
	}
	escapes := false
	if c.args[0].isString {
		template, escapes = c.args[0].escaped, true
	}
	if n := countPlaceholders(template, escapes); n != len(args)-1 {
		return nil, fmt.Errorf("the template has %d placeholders but %d values were given", n, len(args)-1)
	}
	var b strings.Builder
	next := 1
	for i := 0; i < len(template); i++ {
		ch := template[i]
		switch {
		case escapes && ch == '\\' && i+1 < len(template):
			i++
			b.WriteByte(template[i])
		case ch == '{' && i+1 < len(template) && template[i+1] == '}':
			b.WriteString(formatArgument(args[next]))
			next++
			i++
		default:
			b.WriteByte(ch)
		}
	}
	return b.String(), nil
}

// countPlaceholders counts "{}" in a template, skipping escaped characters.
func countPlaceholders(template string, escapes bool) int {
	n := 0
	for i := 0; i < len(template); i++ {
		switch {
		case escapes && template[i] == '\\':
			i++
		case template[i] == '{' && i+1 < len(template) && template[i+1] == '}':
			n++
			i++
		}
	}
	return n
}

// formatArgument renders a value the way States.Format does: strings as
// they are, scalars as JSON, containers in Java's toString style.
func formatArgument(v any) string {
	switch t := v.(type) {
	case string:
		return t
	case []any:
		parts := make([]string, len(t))
		for i, e := range t {
			parts[i] = formatArgument(e)
		}
		return "[" + strings.Join(parts, ", ") + "]"
	case *object, map[string]any:
		obj, _ := asObject(t)
		parts := make([]string, 0, obj.len())
		for k, e := range obj.all() {
			parts = append(parts, k+"="+formatArgument(e))
		}
		return "{" + strings.Join(parts, ", ") + "}"
	}
	return mustEncodeJSON(v)
}

func arrayPartition(args []any) (any, error) {
	arr, err := arrayArg(args[0])
	if err != nil {
		return nil, err
	}
	size, err := integerArg(args[1], "chunk size")
	if err != nil {
		return nil, err
	}
	if size <= 0 {
		return nil, fmt.Errorf("the chunk size must be positive, got %d", size)
	}
	out := []any{}
	for i := 0; i < len(arr); i += int(size) {
		end := min(i+int(size), len(arr))
		out = append(out, append([]any{}, arr[i:end]...))
	}
	return out, nil
}

func arrayRange(args []any) (any, error) {
	var bounds [3]int64
	for i, name := range []string{"start", "end", "step"} {
		v, err := integerArg(args[i], name)
		if err != nil {
			return nil, err
		}
		bounds[i] = v
	}
	start, end, step := bounds[0], bounds[1], bounds[2]
	if step == 0 {
		return nil, fmt.Errorf("the step must not be 0")
	}
	out := []any{}
	for v := start; (step > 0 && v <= end) || (step < 0 && v >= end); v += step {
		if len(out) == maxArrayRangeElements {
			return nil, fmt.Errorf("the range has more than %d elements", maxArrayRangeElements)
		}
		out = append(out, v)
	}
	return out, nil
}

func hashValue(args []any) (any, error) {
	data, err := stringArg(args[0], "data")
	if err != nil {
		return nil, err
	}
	if utf8.RuneCountInString(data) > maxHashInputChars {
		return nil, fmt.Errorf("the input exceeds %d characters", maxHashInputChars)
	}
	algorithm, err := stringArg(args[1], "algorithm")
	if err != nil {
		return nil, err
	}
	var h hash.Hash
	switch algorithm {
	case "MD5":
		h = md5.New()
	case "SHA-1":
		h = sha1.New()
	case "SHA-256":
		h = sha256.New()
	case "SHA-384":
		h = sha512.New384()
	case "SHA-512":
		h = sha512.New()
	default:
		return nil, fmt.Errorf("unsupported hash algorithm %q (use MD5, SHA-1, SHA-256, SHA-384 or SHA-512)", algorithm)
	}
	h.Write([]byte(data))
	return hex.EncodeToString(h.Sum(nil)), nil
}

func jsonMerge(args []any) (any, error) {
	first, ok := asObject(args[0])
	if !ok {
		return nil, fmt.Errorf("the first argument must be an object, got %s", jsonTypeName(args[0]))
	}
	second, ok := asObject(args[1])
	if !ok {
		return nil, fmt.Errorf("the second argument must be an object, got %s", jsonTypeName(args[1]))
	}
	deep, ok := args[2].(bool)
	if !ok {
		return nil, fmt.Errorf("the third argument must be a boolean, got %s", jsonTypeName(args[2]))
	}
	if deep {
		return nil, fmt.Errorf("only shallow merging is supported: the third argument must be false")
	}
	// The first object's members keep their places (with the second's
	// value where both have the key); the second's other members follow.
	out := first.clone()
	for k, v := range second.all() {
		out.set(k, v)
	}
	return out, nil
}

// mathRandom returns an integer in [start, end]. With a seed the result is
// reproducible; without one it comes from the execution's deterministic
// stream, so a replay after a restart sees the same number.
func mathRandom(env *evalEnv, args []any) (any, error) {
	start, err := truncatedIntegerArg(args[0], "start")
	if err != nil {
		return nil, err
	}
	end, err := truncatedIntegerArg(args[1], "end")
	if err != nil {
		return nil, err
	}
	if end < start {
		return nil, fmt.Errorf("the end %d is less than the start %d", end, start)
	}
	r := env.random()
	if len(args) == 3 {
		seed, err := truncatedIntegerArg(args[2], "seed")
		if err != nil {
			return nil, err
		}
		r = rand.New(rand.NewPCG(uint64(seed), 0))
	}
	return start + r.Int64N(end-start+1), nil
}

func stringArg(v any, what string) (string, error) {
	s, ok := v.(string)
	if !ok {
		return "", fmt.Errorf("the %s must be a string, got %s", what, jsonTypeName(v))
	}
	return s, nil
}

func arrayArg(v any) ([]any, error) {
	arr, ok := v.([]any)
	if !ok {
		return nil, fmt.Errorf("the first argument must be an array, got %s", jsonTypeName(v))
	}
	return arr, nil
}

func integerArg(v any, what string) (int64, error) {
	i, ok := toInteger(v)
	if !ok {
		return 0, fmt.Errorf("the %s must be an integer, got %s", what, mustEncodeJSON(v))
	}
	return i, nil
}

// roundedIntegerArg rounds half up (towards positive infinity), as Java's
// Math.round does and Step Functions does for MathAdd: -1.5 becomes -1.
func roundedIntegerArg(v any) (int64, error) {
	f, ok := toNumber(v)
	if !ok {
		return 0, fmt.Errorf("the arguments must be numbers, got %s", jsonTypeName(v))
	}
	if i, ok := v.(int64); ok {
		return i, nil
	}
	// floor(f+0.5) would round 0.49999999999999994 up; comparing the
	// fraction does not.
	r := math.Floor(f)
	if f-r >= 0.5 {
		r++
	}
	return int64(r), nil
}

func truncatedIntegerArg(v any, what string) (int64, error) {
	f, ok := toNumber(v)
	if !ok {
		return 0, fmt.Errorf("the %s must be a number, got %s", what, jsonTypeName(v))
	}
	if i, ok := v.(int64); ok {
		return i, nil
	}
	return int64(f), nil
}
