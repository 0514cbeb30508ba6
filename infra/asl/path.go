package asl

import (
	"fmt"
	"sort"
	"strings"

	"github.com/ohler55/ojg/jp"
)

// jsonPath is a compiled ASL Path: a JSONPath over the state input, or over
// the context object when it starts with "$$".
type jsonPath struct {
	text string
	// context is set for "$$" paths, which read the context object.
	context bool
	expr    jp.Expr
	// definite paths (only names and indexes) select at most one node and
	// yield that node; others yield an array of every match.
	definite bool
}

// parsePath compiles a Path.
func parsePath(text string) (*jsonPath, error) {
	p := &jsonPath{text: text}
	body := text
	switch {
	case strings.HasPrefix(text, "$$"):
		p.context = true
		body = text[1:]
	case strings.HasPrefix(text, "$"):
	default:
		return nil, fmt.Errorf("path %q must start with '$'", text)
	}
	expr, err := jp.ParseString(normalizePath(body))
	if err != nil {
		return nil, fmt.Errorf("path %q: %v", text, err)
	}
	if len(expr) == 0 {
		return nil, fmt.Errorf("path %q is empty", text)
	}
	if _, ok := expr[0].(jp.Root); !ok {
		return nil, fmt.Errorf("path %q must start with '$'", text)
	}
	p.expr = expr
	p.definite = true
	for _, f := range expr {
		switch f.(type) {
		case jp.Root, jp.Child, jp.Nth, jp.Bracket:
		default:
			p.definite = false
		}
	}
	return p, nil
}

// parseReferencePath compiles a Reference Path: a definite path over the
// input, as ResultPath and the Choice Variable require.
func parseReferencePath(text string) (*jsonPath, error) {
	p, err := parsePath(text)
	if err != nil {
		return nil, err
	}
	if !p.definite {
		return nil, fmt.Errorf("path %q must be a reference path (names and indexes only)", text)
	}
	return p, nil
}

// lookup evaluates the path. For a definite path it returns the node and
// whether it exists; an indefinite path always "exists" and returns an array.
func (p *jsonPath) lookup(env *evalEnv) (any, bool, error) {
	data := env.input
	if p.context {
		c, err := env.contextObject()
		if err != nil {
			return nil, false, err
		}
		data = c
	}
	if p.definite {
		v, ok := p.expr.FirstFound(data)
		return v, ok, nil
	}
	return p.allMatches(data), true, nil
}

// allMatches returns every node an indefinite path selects, in document
// order (object members in their order, array items by index, a node
// before its descendants). ojg's own order depends on Go's random map
// iteration, and a replay after a restart must see the same arrays (a Map's
// items, for one). Unions such as [2,0] therefore also come out in document
// order. ojg cannot walk *object or compare json.Number in filters, so the
// paths are located in a plain copy and the nodes read from data.
func (p *jsonPath) allMatches(data any) []any {
	locations := p.expr.Locate(plainValue(data), 0)
	positions := make([][]int, len(locations))
	for i, loc := range locations {
		positions[i] = documentPosition(data, loc)
	}
	order := make([]int, len(locations))
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(i, j int) bool { return lessPosition(positions[order[i]], positions[order[j]]) })
	matches := make([]any, 0, len(locations))
	for _, i := range order {
		if v, ok := locations[i].FirstFound(data); ok {
			matches = append(matches, v)
		}
	}
	return matches
}

// documentPosition turns a normalized path (names and indexes) into the
// position of each step: an array index, or where the member sits in its
// object (a map[string]any counts its keys sorted).
func documentPosition(data any, loc jp.Expr) []int {
	var pos []int
	node := data
	for _, f := range loc {
		switch x := f.(type) {
		case jp.Nth:
			pos = append(pos, int(x))
			arr, _ := node.([]any)
			if int(x) >= 0 && int(x) < len(arr) {
				node = arr[x]
			} else {
				node = nil
			}
		case jp.Child:
			o, _ := asObject(node)
			i := -1
			if o != nil {
				i = o.find(string(x))
			}
			pos = append(pos, i)
			node = nil
			if i >= 0 {
				node = o.values[i]
			}
		}
	}
	return pos
}

// lessPosition orders document positions: step by step, a node before its descendants.
func lessPosition(a, b []int) bool {
	for i := 0; i < len(a) && i < len(b); i++ {
		if a[i] != b[i] {
			return a[i] < b[i]
		}
	}
	return len(a) < len(b)
}

// String returns the path as written.
func (p *jsonPath) String() string { return p.text }

// applyResultPath places result inside input at the path, creating missing
// objects on the way, without modifying input.
func (p *jsonPath) applyResultPath(input, result any) (any, error) {
	out, err := setAt(input, p.expr[1:], result)
	if err != nil {
		return nil, newStatesError(ErrorResultPathMatchFailure,
			"Unable to apply ResultPath %q to the state input: %v", p.text, err)
	}
	return out, nil
}

// setAt returns a copy of node with value placed at frags. Only the
// containers on the path are copied; everything else is shared.
func setAt(node any, frags []jp.Frag, value any) (any, error) {
	for len(frags) > 0 {
		if _, ok := frags[0].(jp.Bracket); !ok {
			break
		}
		frags = frags[1:]
	}
	if len(frags) == 0 {
		return value, nil
	}
	switch f := frags[0].(type) {
	case jp.Child:
		var obj *object
		if node == nil {
			obj = newObject(1)
		} else if o, ok := asObject(node); ok {
			obj = o.clone()
		} else {
			return nil, fmt.Errorf("cannot set field %q in a value of type %s", string(f), jsonTypeName(node))
		}
		old, _ := obj.get(string(f))
		child, err := setAt(old, frags[1:], value)
		if err != nil {
			return nil, err
		}
		// An existing member keeps its place; a new one goes last.
		obj.set(string(f), child)
		return obj, nil
	case jp.Nth:
		arr, ok := node.([]any)
		if !ok {
			return nil, fmt.Errorf("cannot set index %d in a value of type %s", int(f), jsonTypeName(node))
		}
		i := int(f)
		if i < 0 {
			i += len(arr)
		}
		if i < 0 || i >= len(arr) {
			return nil, fmt.Errorf("index %d is out of range", int(f))
		}
		out := append([]any(nil), arr...)
		child, err := setAt(out[i], frags[1:], value)
		if err != nil {
			return nil, err
		}
		out[i] = child
		return out, nil
	}
	return nil, fmt.Errorf("unsupported path element %v", frags[0])
}

// normalizePath rewrites what AWS's JSONPath accepts and ojg does not: a
// dot before a bracket ("$.a.[0]" means "$.a[0]", "$.[0]" means "$[0]"),
// and dot-notation names such as "$.first-name", which become bracket
// notation.
func normalizePath(path string) string {
	var b strings.Builder
	depth := 0
	var quote byte
	for i := 0; i < len(path); i++ {
		c := path[i]
		switch {
		case quote != 0:
			b.WriteByte(c)
			if c == '\\' && i+1 < len(path) {
				i++
				b.WriteByte(path[i])
			} else if c == quote {
				quote = 0
			}
			continue
		case c == '\'' || c == '"':
			quote = c
		case c == '[' || c == '(':
			depth++
		case c == ']' || c == ')':
			depth--
		case c == '.' && depth == 0 && i+1 < len(path) && path[i+1] == '[' && i > 0 && path[i-1] != '.':
			// A single dot before a bracket is dropped; "$..[0]" (descent) stays.
			continue
		case c == '.' && depth == 0 && i+1 < len(path) && path[i+1] != '.' && path[i+1] != '*' && path[i+1] != '[' &&
			(i == 0 || path[i-1] != '.'):
			end := i + 1
			for end < len(path) && path[end] != '.' && path[end] != '[' {
				end++
			}
			name := path[i+1 : end]
			if needsQuoting(name) {
				b.WriteString("['")
				b.WriteString(strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(name))
				b.WriteString("']")
				i = end - 1
				continue
			}
		}
		b.WriteByte(c)
	}
	return b.String()
}

// needsQuoting reports whether ojg's dot notation rejects a character of name.
func needsQuoting(name string) bool {
	for i := 0; i < len(name); i++ {
		c := name[i]
		switch {
		case c >= 0x80, c >= '0' && c <= ';', c >= 'A' && c <= 'Z', c >= 'a' && c <= '~' && c != '`' && c != 0x7f,
			c == '#', c == '%', c == '?', c == '^', c == '_':
		default:
			return true
		}
	}
	return false
}
