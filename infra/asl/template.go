package asl

import (
	"fmt"
	"math/rand/v2"
	"sort"
	"strings"
)

// evalEnv is what paths, payload templates and intrinsic functions read:
// the input, the context object (built on first use, because building it
// records the state's entered time) and a deterministic random stream.
type evalEnv struct {
	input   any
	context func() (any, error)
	// seed returns the seed of this evaluation's random stream. It derives
	// from the execution's persisted secret and the evaluation site, so a
	// replay draws the same UUIDs and random numbers.
	seed func() [32]byte
	rng  *rand.Rand
}

// contextObject returns the "$$" document.
func (e *evalEnv) contextObject() (any, error) {
	if e.context == nil {
		return newObject(0), nil
	}
	return e.context()
}

// random returns the evaluation's random stream.
func (e *evalEnv) random() *rand.Rand {
	if e.rng == nil {
		var seed [32]byte
		if e.seed != nil {
			seed = e.seed()
		}
		e.rng = rand.New(rand.NewChaCha8(seed))
	}
	return e.rng
}

// payloadTemplate is a compiled Parameters, ResultSelector or ItemSelector
// value: JSON in which object fields named "key.$" take their value from a
// path or an intrinsic function.
type payloadTemplate struct {
	// fields is set for objects, in sorted key order: evaluation draws from
	// the random stream in that order, which executions persisted before
	// objects kept their order rely on when replayed. Each field's position
	// gives the output order, which is the order written.
	fields []templateField
	// written holds the same fields in the order written.
	written []templateField
	// items is set for arrays.
	items   []*payloadTemplate
	literal any
	kind    templateKind
}

type templateKind int

const (
	templateLiteral templateKind = iota
	templateObject
	templateArray
)

type templateField struct {
	// name is the output field name, without the ".$" suffix.
	name string
	// position is where the field is written in the template.
	position int
	value    *payloadTemplate
	path     *jsonPath
	call     *intrinsicCall
	source   string
}

// compileTemplate compiles a payload template from decoded JSON.
func compileTemplate(v any) (*payloadTemplate, error) {
	switch t := v.(type) {
	case *object, map[string]any:
		obj, _ := asObject(t)
		tpl := &payloadTemplate{kind: templateObject}
		seen := map[string]string{}
		keys := append([]string(nil), obj.keys...)
		sort.Strings(keys)
		for _, key := range keys {
			raw, _ := obj.get(key)
			f := templateField{name: key, source: key, position: obj.find(key)}
			if name, dynamic := strings.CutSuffix(key, ".$"); dynamic {
				f.name = name
				expr, ok := raw.(string)
				if !ok {
					return nil, fmt.Errorf("field %q must be a string path or intrinsic function", key)
				}
				var err error
				if isIntrinsic(expr) {
					f.call, err = parseIntrinsic(expr)
				} else {
					f.path, err = parsePath(expr)
				}
				if err != nil {
					return nil, fmt.Errorf("field %q: %v", key, err)
				}
			} else {
				child, err := compileTemplate(raw)
				if err != nil {
					return nil, fmt.Errorf("%s.%v", key, err)
				}
				f.value = child
			}
			if other, dup := seen[f.name]; dup {
				return nil, fmt.Errorf("fields %q and %q both produce %q", other, key, f.name)
			}
			seen[f.name] = key
			tpl.fields = append(tpl.fields, f)
		}
		tpl.written = tpl.fieldsInOrder()
		return tpl, nil
	case []any:
		tpl := &payloadTemplate{kind: templateArray}
		for i, e := range t {
			child, err := compileTemplate(e)
			if err != nil {
				return nil, fmt.Errorf("[%d].%v", i, err)
			}
			tpl.items = append(tpl.items, child)
		}
		return tpl, nil
	default:
		return &payloadTemplate{kind: templateLiteral, literal: v}, nil
	}
}

// evaluate builds the payload.
func (t *payloadTemplate) evaluate(env *evalEnv) (any, error) {
	switch t.kind {
	case templateObject:
		values := make([]any, len(t.fields))
		for _, f := range t.fields {
			switch {
			case f.value != nil:
				v, err := f.value.evaluate(env)
				if err != nil {
					return nil, err
				}
				values[f.position] = v
			case f.call != nil:
				v, err := f.call.evaluate(env)
				if err != nil {
					return nil, err
				}
				values[f.position] = v
			default:
				v, found, err := f.path.lookup(env)
				if err != nil {
					return nil, err
				}
				if !found {
					where := "input"
					if f.path.context {
						where = "context object"
					}
					return nil, newStatesError(ErrorRuntime,
						"The JSONPath %q specified for the field %q could not be found in the %s %s",
						f.path.text, f.source, where, truncateForCause(env, f.path.context))
				}
				values[f.position] = v
			}
		}
		out := newObject(len(t.fields))
		for _, f := range t.written {
			out.set(f.name, values[f.position])
		}
		return out, nil
	case templateArray:
		out := make([]any, len(t.items))
		for i, item := range t.items {
			v, err := item.evaluate(env)
			if err != nil {
				return nil, err
			}
			out[i] = v
		}
		return out, nil
	}
	return t.literal, nil
}

// fieldsInOrder returns the fields in the order they are written.
func (t *payloadTemplate) fieldsInOrder() []templateField {
	out := make([]templateField, len(t.fields))
	for _, f := range t.fields {
		out[f.position] = f
	}
	return out
}

// truncateForCause renders the searched document for an error cause, cut to a readable size.
func truncateForCause(env *evalEnv, context bool) string {
	doc := env.input
	if context {
		doc, _ = env.contextObject()
	}
	s := mustEncodeJSON(doc)
	const limit = 1024
	if len(s) > limit {
		s = s[:limit] + "..."
	}
	return "'" + s + "'"
}
