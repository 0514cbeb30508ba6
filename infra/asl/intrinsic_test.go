package asl

import (
	"errors"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestIntrinsics covers cases the reference validator rejects in golden
// definitions (float literals, escaped backslashes) and the error paths.
func TestIntrinsics(t *testing.T) {
	input := map[string]any{
		"name": "Li", "nums": []any{int64(3), int64(1), int64(2)}, "obj": map[string]any{"a": int64(1), "b": []any{"x"}},
		"str": "abc", "blank": " \t\r\n ", "half": 2.5, "neg": -2.5, "empty": []any{},
	}
	tests := []struct {
		expr string
		want any
		// err is a substring of the expected error; name is its ASL name.
		err  string
		name string
	}{
		{expr: `States.Format('a \\ b {}', $.name)`, want: `a \ b Li`},
		{expr: `States.Format('\{\}{}\'', $.name)`, want: `{}Li'`},
		{expr: `States.Format('{} {} {} {}', $.obj, $.nums, true, null)`, want: `{a=1, b=[x]} [3, 1, 2] true null`},
		{expr: `States.Format('{}', 1.5)`, want: `1.5`},
		{expr: `States.Format($.str)`, want: `abc`},
		{expr: `States.Format('{}')`, err: "1 placeholders but 0 values"},
		{expr: `States.MathAdd(1.5, 2)`, want: int64(4)},
		{expr: `States.MathAdd($.half, 0)`, want: int64(3)},
		// Each argument is rounded half up, as Java's Math.round does.
		{expr: `States.MathAdd($.neg, 0)`, want: int64(-2)},
		{expr: `States.MathAdd(-1.5, 0)`, want: int64(-1)},
		{expr: `States.MathAdd(-1.51, 0)`, want: int64(-2)},
		{expr: `States.MathAdd(-0.5, 0.5)`, want: int64(1)},
		{expr: `States.MathAdd(0.49999999999999994, 0)`, want: int64(0)},
		{expr: `States.MathAdd(-9, 3)`, want: int64(-6)},
		{expr: `States.MathAdd($.str, 1)`, err: "must be numbers", name: ErrorIntrinsicFailure},
		{expr: `States.Array()`, want: []any{}},
		{expr: `States.Array(States.Array(1), 'two')`, want: []any{[]any{int64(1)}, "two"}},
		{expr: `States.ArrayPartition($.nums, 0)`, err: "chunk size must be positive"},
		{expr: `States.ArrayPartition($.empty, 2)`, want: []any{}},
		{expr: `States.ArrayRange(1, 3, 0)`, err: "step must not be 0"},
		{expr: `States.ArrayRange(0, 1000, 1)`, err: "more than 1000 elements"},
		{expr: `States.ArrayRange(3, 1, 1)`, want: []any{}},
		{expr: `States.ArrayGetItem($.nums, -1)`, err: "out of bounds"},
		{expr: `States.ArrayGetItem($.str, 0)`, err: "must be an array"},
		{expr: `States.ArrayContains($.nums, 1.0)`, want: true},
		{expr: `States.StringToJson('not json')`, err: "not a JSON text"},
		{expr: `States.StringToJson('')`, want: nil},
		{expr: `States.StringToJson(' ')`, want: nil},
		{expr: `States.StringToJson($.blank)`, want: nil},
		{expr: `States.StringToJson('null')`, want: nil},
		{expr: `States.StringToJson(' [1, {"a": null}] ')`, want: []any{int64(1), map[string]any{"a": nil}}},
		{expr: `States.JsonToString($.obj)`, want: `{"a":1,"b":["x"]}`},
		{expr: `States.JsonMerge($.obj, $.obj, true)`, err: "only shallow merging"},
		{expr: `States.JsonMerge($.obj, $.nums, false)`, err: "second argument must be an object"},
		{expr: `States.Base64Decode('***')`, err: "not valid base64"},
		{expr: `States.Hash($.str, 'SHA-3')`, err: "unsupported hash algorithm"},
		{expr: `States.Hash($.nums, 'MD5')`, err: "data must be a string"},
		{expr: `States.StringSplit('a--b', '-')`, want: []any{"a", "b"}},
		{expr: `States.StringSplit('', ',')`, want: []any{}},
		{expr: `States.MathRandom(5, 1)`, err: "less than the start"},
		{expr: `States.ArrayLength($.missing)`, err: `"$.missing"`, name: ErrorRuntime},
		{expr: `States.ArrayLength($['nums'])`, want: int64(3)},
		{expr: `States.ArrayLength( $.nums[?(@ > 1)] )`, want: int64(2)},
		{expr: `States.Format('{}, {}', $$.State.Name, $.name)`, want: "Check, Li"},
	}
	for _, tt := range tests {
		t.Run(tt.expr, func(t *testing.T) {
			call, err := parseIntrinsic(tt.expr)
			if err != nil {
				if tt.err != "" && strings.Contains(err.Error(), tt.err) {
					return
				}
				t.Fatalf("parse: %v", err)
			}
			env := &evalEnv{input: input, context: func() (any, error) {
				return map[string]any{"State": map[string]any{"Name": "Check"}}, nil
			}}
			got, err := call.evaluate(env)
			if tt.err != "" {
				var se *StatesError
				if !errors.As(err, &se) || !strings.Contains(se.Cause, tt.err) {
					t.Fatalf("got %v, %v; want an error mentioning %q", got, err, tt.err)
				}
				if tt.name != "" && se.Name != tt.name {
					t.Errorf("error name %s, want %s", se.Name, tt.name)
				}
				return
			}
			if err != nil {
				t.Fatalf("evaluate: %v", err)
			}
			if diff := cmp.Diff(tt.want, plain(got)); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestIntrinsicRandomnessIsReproducible(t *testing.T) {
	call, err := parseIntrinsic(`States.Array(States.UUID(), States.UUID(), States.MathRandom(1, 1000000))`)
	if err != nil {
		t.Fatal(err)
	}
	run := func(seed byte) []any {
		env := &evalEnv{seed: func() [32]byte { return [32]byte{seed} }}
		v, err := call.evaluate(env)
		if err != nil {
			t.Fatal(err)
		}
		return v.([]any)
	}
	first, again, other := run(1), run(1), run(2)
	if diff := cmp.Diff(first, again); diff != "" {
		t.Errorf("the same seed gave different values:\n%s", diff)
	}
	if cmp.Equal(first, other) {
		t.Error("different seeds gave the same values")
	}
	uuid := regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)
	if !uuid.MatchString(first[0].(string)) || first[0] == first[1] {
		t.Errorf("UUIDs %v, %v", first[0], first[1])
	}
}

func TestIntrinsicParseErrors(t *testing.T) {
	tests := map[string]string{
		`States.Format('unterminated`: "unterminated string literal",
		`States.Format('x') trailing`: "unexpected",
		`States.Array(1 2)`:           "expected ',' or ')'",
		`States.Array(`:               "missing argument",
		`States.Array(foo)`:           "unexpected",
		`States.Array(1,)`:            `unexpected ")"`,
		`States.UUID(1)`:              "takes 0 arguments",
		`States.Array($.a[)`:          "path",
		strings.Repeat(`States.Array(`, 11) + `1` + strings.Repeat(`)`, 11): "nested intrinsic functions",
	}
	for expr, want := range tests {
		if _, err := parseIntrinsic(expr); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("parseIntrinsic(%q) = %v, want an error mentioning %q", expr, err, want)
		}
	}
}
