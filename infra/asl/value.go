package asl

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"sort"
	"strconv"
)

// The engine works on plain Go JSON values: nil, bool, int64, float64, string,
// []any and map[string]any. Values are treated as immutable once decoded: every
// transformation builds new containers and shares untouched subtrees, so
// branches of a Parallel or items of a Map can safely share their input.

// decodeJSON parses one JSON document. Integers that fit in int64 stay exact
// (ojg's JSONPath filters and the numeric intrinsics rely on that); other
// numbers become float64.
func decodeJSON(data []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("unexpected data after the JSON value")
	}
	return normalizeNumbers(v), nil
}

// normalizeNumbers replaces json.Number with int64 or float64, recursively.
func normalizeNumbers(v any) any {
	switch t := v.(type) {
	case json.Number:
		if i, err := strconv.ParseInt(string(t), 10, 64); err == nil {
			return i
		}
		f, _ := strconv.ParseFloat(string(t), 64)
		return f
	case map[string]any:
		for k, e := range t {
			t[k] = normalizeNumbers(e)
		}
		return t
	case []any:
		for i, e := range t {
			t[i] = normalizeNumbers(e)
		}
		return t
	default:
		return v
	}
}

// encodeJSON renders a value as compact JSON without HTML escaping, the way
// Step Functions shows data. Object keys come out sorted.
func encodeJSON(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
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
		if n == math.Trunc(n) && n >= math.MinInt64 && n <= math.MaxInt64 {
			return int64(n), true
		}
	}
	return 0, false
}

// compareNumbers returns -1, 0 or 1; integers compare exactly.
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

// jsonEqual compares two JSON values structurally; 1 and 1.0 are equal.
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
	case map[string]any:
		y, ok := b.(map[string]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for k, xv := range x {
			yv, ok := y[k]
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
	case int64, float64, int:
		return "number"
	case string:
		return "string"
	case []any:
		return "array"
	case map[string]any:
		return "object"
	}
	return fmt.Sprintf("%T", v)
}
