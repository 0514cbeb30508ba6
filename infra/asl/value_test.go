package asl

import (
	"testing"
)

// plain turns the engine's objects into map[string]any, so tests can
// compare values without caring about member order.
func plain(v any) any {
	switch t := v.(type) {
	case *object:
		m := make(map[string]any, t.len())
		for k, e := range t.all() {
			m[k] = plain(e)
		}
		return m
	case map[string]any:
		m := make(map[string]any, len(t))
		for k, e := range t {
			m[k] = plain(e)
		}
		return m
	case []any:
		out := make([]any, len(t))
		for i, e := range t {
			out[i] = plain(e)
		}
		return out
	}
	return v
}

// TestJSONRoundTrip checks that decoding and encoding keeps member order
// and the text of every number.
func TestJSONRoundTrip(t *testing.T) {
	for _, text := range []string{
		`{"z":1,"a":2,"m":{"y":true,"b":null}}`,
		`[123456789012345678901234567890,-123456789012345678901234567890]`,
		`[0.1000000000000000055511151231257827,3.14159265358979323846264338327950288]`,
		`[1.0,1.50,1e2,1E+2,2.5e-7,-0.0,9007199254740993]`,
		`[1,-1,1.5,0.25,1e-7,9223372036854775807,-9223372036854775808,9223372036854775808]`,
		`{"html":"<a href=\"x\">&</a>","unicode":"中文\u2028","ctl":"\u0001\n"}`,
		`{"k9":9,"k8":8,"k7":7,"k6":6,"k5":5,"k4":4,"k3":3,"k2":2,"k1":1,"k0":0}`,
	} {
		v, err := decodeJSON([]byte(text))
		if err != nil {
			t.Fatalf("decode %s: %v", text, err)
		}
		if got := mustEncodeJSON(v); got != text {
			t.Errorf("round trip\n got %s\nwant %s", got, text)
		}
	}
}

func TestDecodeJSON(t *testing.T) {
	v, err := decodeJSON([]byte(` {"b":1,"a":2,"b":3} `))
	if err != nil {
		t.Fatal(err)
	}
	o := v.(*object)
	if got := mustEncodeJSON(o); got != `{"b":3,"a":2}` {
		t.Errorf("repeated key: got %s, want the last value at the first place", got)
	}
	if len(o.duplicates) != 1 || o.duplicates[0] != "b" {
		t.Errorf("duplicates %v", o.duplicates)
	}
	// -0 is an integer, and integers are written canonically.
	if v, _ := decodeJSON([]byte(`-0`)); v != int64(0) {
		t.Errorf("-0 decoded as %#v", v)
	}
	for _, bad := range []string{``, `{`, `[1,]`, `{"a":1}x`, `{"a" 1}`, `01`} {
		if _, err := decodeJSON([]byte(bad)); err == nil {
			t.Errorf("decodeJSON(%q) accepted invalid JSON", bad)
		}
	}
}

func TestNumbers(t *testing.T) {
	big := numberValue("123456789012345678901234567890")
	bigger := numberValue("123456789012345678901234567891")
	tests := []struct {
		a, b any
		cmp  int
	}{
		{big, bigger, -1},
		{bigger, big, 1},
		{big, numberValue("1.2345678901234567890123456789e29"), 0},
		{numberValue("1.0"), int64(1), 0},
		{numberValue("0.1000000000000000055511151231257827"), 0.1, -1},
		{numberValue("9007199254740993"), float64(9007199254740992), 1},
		{int64(2), 2.5, -1},
	}
	for _, tt := range tests {
		if got := compareNumbers(tt.a, tt.b); got != tt.cmp {
			t.Errorf("compareNumbers(%v, %v) = %d, want %d", tt.a, tt.b, got, tt.cmp)
		}
	}
	if i, ok := toInteger(numberValue("1e2")); !ok || i != 100 {
		t.Errorf("toInteger(1e2) = %d, %v", i, ok)
	}
	if _, ok := toInteger(big); ok {
		t.Error("an integer beyond int64 converted to int64")
	}
	if !jsonEqual(numberValue("2.50"), 2.5) || jsonEqual(big, bigger) {
		t.Error("jsonEqual compares numbers by value")
	}
}
