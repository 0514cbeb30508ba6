package asl

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"iter"
	"math"
	"math/big"
	"sort"
	"strconv"
	"strings"
)

// The engine works on Go JSON values: nil, bool, int64, float64, json.Number,
// string, []any and *object. Values are treated as immutable once built:
// every transformation builds new containers and shares untouched subtrees,
// so branches of a Parallel or items of a Map can safely share their input.
//
// Step Functions keeps the members of an object in the order they were
// written and passes numbers through as written, so the engine does too:
// objects are *object, not Go maps, and a number becomes int64 when it is an
// integer that fits, float64 when float64 writes it back with the same text
// (JSONPath filters and arithmetic want those), and json.Number otherwise,
// such as 123456789012345678901234567890, 1.0 or 0.1000000000000000055511.
// A map[string]any is still accepted as an object with its keys sorted
// (the lambda:invoke response envelope is one), but nothing decodes to it.

// object is a JSON object whose members keep their order. Build it with
// set before sharing it; afterwards it is read only.
type object struct {
	keys   []string
	values []any
	// index maps keys to positions once the object is large enough for a
	// linear search to matter.
	index map[string]int
	// duplicates lists keys that the decoded text repeated; the last value
	// won, at the position of the first. Definitions reject repeated state
	// names with it.
	duplicates []string
}

// indexThreshold is the member count from which an object keeps an index.
const indexThreshold = 8

// newObject returns an empty object with room for n members.
func newObject(n int) *object {
	return &object{keys: make([]string, 0, n), values: make([]any, 0, n)}
}

// objectOf builds an object from alternating keys and values, in that order.
func objectOf(kv ...any) *object {
	o := newObject(len(kv) / 2)
	for i := 0; i+1 < len(kv); i += 2 {
		o.set(kv[i].(string), kv[i+1])
	}
	return o
}

// len returns the number of members; a nil object has none.
func (o *object) len() int {
	if o == nil {
		return 0
	}
	return len(o.keys)
}

// find returns the position of key, or -1; a nil object has no members.
func (o *object) find(key string) int {
	if o == nil {
		return -1
	}
	if o.index != nil {
		if i, ok := o.index[key]; ok {
			return i
		}
		return -1
	}
	for i, k := range o.keys {
		if k == key {
			return i
		}
	}
	return -1
}

// get returns the value of a member.
func (o *object) get(key string) (any, bool) {
	if i := o.find(key); i >= 0 {
		return o.values[i], true
	}
	return nil, false
}

// field returns the value of a member, or nil.
func (o *object) field(key string) any {
	v, _ := o.get(key)
	return v
}

// set replaces the value of a member in place, or appends the member. It
// reports whether the key was new.
func (o *object) set(key string, value any) bool {
	if i := o.find(key); i >= 0 {
		o.values[i] = value
		return false
	}
	o.keys = append(o.keys, key)
	o.values = append(o.values, value)
	switch {
	case o.index != nil:
		o.index[key] = len(o.keys) - 1
	case len(o.keys) >= indexThreshold:
		o.index = make(map[string]int, len(o.keys))
		for i, k := range o.keys {
			o.index[k] = i
		}
	}
	return true
}

// clone returns a shallow copy that can be modified with set.
func (o *object) clone() *object {
	c := newObject(o.len() + 1)
	for i, k := range o.keys {
		c.set(k, o.values[i])
	}
	return c
}

// all iterates over the members in order.
func (o *object) all() iter.Seq2[string, any] {
	return func(yield func(string, any) bool) {
		for i, k := range o.keys {
			if !yield(k, o.values[i]) {
				return
			}
		}
	}
}

// ValueForKey, SetValueForKey, RemoveValueForKey and Keys let ojg's
// JSONPath read objects (jp.Keyed). The engine never modifies values
// through ojg; the two modifying methods exist only to satisfy the interface.

// ValueForKey returns the value of a member.
func (o *object) ValueForKey(key string) (any, bool) { return o.get(key) }

// SetValueForKey sets a member.
func (o *object) SetValueForKey(key string, value any) { o.set(key, value) }

// RemoveValueForKey removes a member.
func (o *object) RemoveValueForKey(key string) {
	i := o.find(key)
	if i < 0 {
		return
	}
	o.keys = append(o.keys[:i:i], o.keys[i+1:]...)
	o.values = append(o.values[:i:i], o.values[i+1:]...)
	o.index = nil
	if len(o.keys) >= indexThreshold {
		o.index = make(map[string]int, len(o.keys))
		for j, k := range o.keys {
			o.index[k] = j
		}
	}
}

// Keys returns the keys in order; callers must not modify the slice.
func (o *object) Keys() []string { return o.keys }

// asObject returns v as an object: an *object as it is, a map[string]any
// with its keys sorted.
func asObject(v any) (*object, bool) {
	switch t := v.(type) {
	case *object:
		return t, true
	case map[string]any:
		o := newObject(len(t))
		for _, k := range sortedKeys(t) {
			o.set(k, t[k])
		}
		return o, true
	}
	return nil, false
}

// member returns a member of v if v is an object.
func member(v any, key string) (any, bool) {
	switch t := v.(type) {
	case *object:
		return t.get(key)
	case map[string]any:
		e, ok := t[key]
		return e, ok
	}
	return nil, false
}

// decodeJSON parses one JSON document, keeping the order of object members
// and the text of numbers (see the top of this file).
func decodeJSON(data []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	v, err := decodeValue(dec)
	if err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("unexpected data after the JSON value")
	}
	return v, nil
}

// decodeValue reads the next value from dec.
func decodeValue(dec *json.Decoder) (any, error) {
	tok, err := dec.Token()
	if err != nil {
		if err == io.EOF {
			return nil, io.ErrUnexpectedEOF
		}
		return nil, err
	}
	switch t := tok.(type) {
	case json.Delim:
		switch t {
		case '{':
			o := newObject(4)
			for dec.More() {
				keyTok, err := dec.Token()
				if err != nil {
					return nil, err
				}
				key, _ := keyTok.(string)
				v, err := decodeValue(dec)
				if err != nil {
					return nil, err
				}
				if !o.set(key, v) {
					o.duplicates = append(o.duplicates, key)
				}
			}
			if _, err := dec.Token(); err != nil {
				return nil, err
			}
			return o, nil
		case '[':
			arr := []any{}
			for dec.More() {
				v, err := decodeValue(dec)
				if err != nil {
					return nil, err
				}
				arr = append(arr, v)
			}
			if _, err := dec.Token(); err != nil {
				return nil, err
			}
			return arr, nil
		}
		return nil, fmt.Errorf("unexpected %v", t)
	case json.Number:
		return numberValue(string(t)), nil
	}
	return tok, nil
}

// numberValue chooses the representation of a number written as text.
func numberValue(text string) any {
	if i, err := strconv.ParseInt(text, 10, 64); err == nil {
		return i
	}
	if f, err := strconv.ParseFloat(text, 64); err == nil && !math.IsInf(f, 0) {
		if b, err := json.Marshal(f); err == nil && string(b) == text {
			return f
		}
	}
	return json.Number(text)
}

// encodeJSON renders a value as compact JSON without HTML escaping, the way
// Step Functions shows data: object members in order, numbers as written.
func encodeJSON(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := encodeValue(&buf, enc, v); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// encodeValue appends v to buf; enc writes scalars into buf the way
// encoding/json does.
func encodeValue(buf *bytes.Buffer, enc *json.Encoder, v any) error {
	switch t := v.(type) {
	case nil:
		buf.WriteString("null")
	case bool:
		buf.WriteString(strconv.FormatBool(t))
	case int64:
		buf.WriteString(strconv.FormatInt(t, 10))
	case json.Number:
		buf.WriteString(string(t))
	case *object:
		buf.WriteByte('{')
		for i, k := range t.keys {
			if i > 0 {
				buf.WriteByte(',')
			}
			if err := encodeScalar(buf, enc, k); err != nil {
				return err
			}
			buf.WriteByte(':')
			if err := encodeValue(buf, enc, t.values[i]); err != nil {
				return err
			}
		}
		buf.WriteByte('}')
	case map[string]any:
		o, _ := asObject(t)
		return encodeValue(buf, enc, o)
	case []any:
		buf.WriteByte('[')
		for i, e := range t {
			if i > 0 {
				buf.WriteByte(',')
			}
			if err := encodeValue(buf, enc, e); err != nil {
				return err
			}
		}
		buf.WriteByte(']')
	default:
		return encodeScalar(buf, enc, v)
	}
	return nil
}

// encodeScalar writes a string, a float64 or another Go value with encoding/json.
func encodeScalar(buf *bytes.Buffer, enc *json.Encoder, v any) error {
	if err := enc.Encode(v); err != nil {
		return err
	}
	buf.Truncate(buf.Len() - 1) // the newline Encode adds
	return nil
}

// mustEncodeJSON is encodeJSON for values known to be encodable (decoded JSON).
func mustEncodeJSON(v any) string {
	b, err := encodeJSON(v)
	if err != nil {
		// Only NaN or infinities could get here, and JSON input cannot produce them.
		panic(fmt.Sprintf("asl: cannot encode value: %v", err))
	}
	return string(b)
}

// toNumber reports v as float64 when it is a JSON number.
func toNumber(v any) (float64, bool) {
	switch n := v.(type) {
	case int64:
		return float64(n), true
	case float64:
		return n, true
	case int:
		return float64(n), true
	case json.Number:
		f, err := strconv.ParseFloat(string(n), 64)
		return f, err == nil || errors.Is(err, strconv.ErrRange)
	}
	return 0, false
}

// toInteger reports v as int64 when it is a JSON number with no fraction.
func toInteger(v any) (int64, bool) {
	switch n := v.(type) {
	case int64:
		return n, true
	case int:
		return int64(n), true
	case float64:
		if n == math.Trunc(n) && n >= math.MinInt64 && n < math.MaxInt64 {
			return int64(n), true
		}
	case json.Number:
		if r := exactNumber(n); r != nil && r.IsInt() && r.Num().IsInt64() {
			return r.Num().Int64(), true
		}
	}
	return 0, false
}

// maxExactExponent bounds the exponents compared exactly; beyond it a
// number is compared as float64 rather than expanded into a huge fraction.
const maxExactExponent = 1000

// exactNumber returns the exact value of a number, or nil when it is not
// a number or its exponent is too large to expand.
func exactNumber(v any) *big.Rat {
	switch n := v.(type) {
	case int64:
		return new(big.Rat).SetInt64(n)
	case int:
		return new(big.Rat).SetInt64(int64(n))
	case float64:
		if math.IsInf(n, 0) || math.IsNaN(n) {
			return nil
		}
		return new(big.Rat).SetFloat64(n)
	case json.Number:
		text := string(n)
		if i := strings.IndexAny(text, "eE"); i >= 0 {
			exp, err := strconv.Atoi(strings.TrimPrefix(text[i+1:], "+"))
			if err != nil || exp > maxExactExponent || exp < -maxExactExponent {
				return nil
			}
		}
		r, ok := new(big.Rat).SetString(text)
		if !ok {
			return nil
		}
		return r
	}
	return nil
}

// compareNumbers returns -1, 0 or 1; numbers compare by their exact value.
func compareNumbers(a, b any) int {
	ai, aok := a.(int64)
	bi, bok := b.(int64)
	if aok && bok {
		switch {
		case ai < bi:
			return -1
		case ai > bi:
			return 1
		}
		return 0
	}
	if ar, br := exactNumber(a), exactNumber(b); ar != nil && br != nil {
		return ar.Cmp(br)
	}
	af, _ := toNumber(a)
	bf, _ := toNumber(b)
	switch {
	case af < bf:
		return -1
	case af > bf:
		return 1
	}
	return 0
}

// jsonEqual compares two JSON values structurally; 1 and 1.0 are equal, and
// objects are equal whatever the order of their members.
func jsonEqual(a, b any) bool {
	if _, ok := toNumber(a); ok {
		if _, ok := toNumber(b); ok {
			return compareNumbers(a, b) == 0
		}
		return false
	}
	switch x := a.(type) {
	case nil:
		return b == nil
	case bool:
		y, ok := b.(bool)
		return ok && x == y
	case string:
		y, ok := b.(string)
		return ok && x == y
	case []any:
		y, ok := b.([]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for i := range x {
			if !jsonEqual(x[i], y[i]) {
				return false
			}
		}
		return true
	case *object, map[string]any:
		ox, _ := asObject(x)
		oy, ok := asObject(b)
		if !ok || ox.len() != oy.len() {
			return false
		}
		for k, xv := range ox.all() {
			yv, ok := oy.get(k)
			if !ok || !jsonEqual(xv, yv) {
				return false
			}
		}
		return true
	}
	return false
}

// sortedKeys returns the keys of m in order, for deterministic iteration.
func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// jsonTypeName names the JSON type of v for error messages.
func jsonTypeName(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case bool:
		return "boolean"
	case int64, float64, int, json.Number:
		return "number"
	case string:
		return "string"
	case []any:
		return "array"
	case *object, map[string]any:
		return "object"
	}
	return fmt.Sprintf("%T", v)
}

// plainValue returns a copy of v made of map[string]any, []any, int64 and
// float64 only, for ojg's wildcards, descents and filters, which do not
// read *object or json.Number. Paths located in the copy hold in v.
func plainValue(v any) any {
	switch t := v.(type) {
	case *object:
		m := make(map[string]any, t.len())
		for k, e := range t.all() {
			m[k] = plainValue(e)
		}
		return m
	case map[string]any:
		m := make(map[string]any, len(t))
		for k, e := range t {
			m[k] = plainValue(e)
		}
		return m
	case []any:
		out := make([]any, len(t))
		for i, e := range t {
			out[i] = plainValue(e)
		}
		return out
	case json.Number:
		if i, ok := toInteger(t); ok {
			return i
		}
		f, _ := toNumber(t)
		return f
	}
	return v
}
