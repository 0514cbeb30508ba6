package asl

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestPathLookup(t *testing.T) {
	input := map[string]any{
		"first-name": "Li", "a b": int64(1), "it's": true, "list": []any{int64(1), int64(2)},
		"nested": map[string]any{"x-y": map[string]any{"z": "deep"}}, "null": nil,
	}
	tests := []struct {
		path     string
		want     any
		found    bool
		definite bool
	}{
		{"$", input, true, true},
		{"$.first-name", "Li", true, true},
		{"$.nested.x-y.z", "deep", true, true},
		{"$['a b']", int64(1), true, true},
		{"$.it's", true, true, true},
		{"$.list[1]", int64(2), true, true},
		{"$.list[5]", nil, false, true},
		{"$.null", nil, true, true},
		{"$.missing.deeper", nil, false, true},
		{"$.list[*]", []any{int64(1), int64(2)}, true, false},
		{"$.missing[*]", []any{}, true, false},
		{"$..z", []any{"deep"}, true, false},
		// AWS's JSONPath reads ".[" as "[".
		{"$.list.[1]", int64(2), true, true},
		{"$.nested.['x-y'].z", "deep", true, true},
		{"$.list.[*]", []any{int64(1), int64(2)}, true, false},
		{"$.list.[0,1]", []any{int64(1), int64(2)}, true, false},
		{"$.nested.x-y.['z']", "deep", true, true},
		{"$['list'].[0]", int64(1), true, true},
		{"$..['z']", []any{"deep"}, true, false},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			p, err := parsePath(tt.path)
			if err != nil {
				t.Fatal(err)
			}
			if p.definite != tt.definite {
				t.Errorf("definite = %v", p.definite)
			}
			got, found, err := p.lookup(&evalEnv{input: input})
			if err != nil || found != tt.found {
				t.Fatalf("found = %v, %v", found, err)
			}
			if diff := cmp.Diff(tt.want, plain(got)); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
	for _, bad := range []string{"", "x", "$.", "$.a[", "@.a", "$.a.", "$.a.[", "$.a..."} {
		if _, err := parsePath(bad); err == nil {
			t.Errorf("parsePath(%q) accepted an invalid path", bad)
		}
	}
}

// TestDotBracketOnRootAndReferencePaths checks "$.[0]" on an array input
// and ".[" in reference paths, where ResultPath writes.
func TestDotBracketOnRootAndReferencePaths(t *testing.T) {
	p, err := parsePath("$.[1]")
	if err != nil {
		t.Fatal(err)
	}
	got, found, err := p.lookup(&evalEnv{input: []any{"a", "b"}})
	if err != nil || !found || got != "b" {
		t.Errorf("$.[1] = %v, %v, %v; want b", got, found, err)
	}
	r, err := parseReferencePath("$.list.[0].x")
	if err != nil {
		t.Fatal(err)
	}
	out, err := r.applyResultPath(map[string]any{"list": []any{map[string]any{}}}, "v")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(map[string]any{"list": []any{map[string]any{"x": "v"}}}, plain(out)); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestApplyResultPath(t *testing.T) {
	input := map[string]any{"a": map[string]any{"keep": int64(1)}, "list": []any{int64(1), int64(2)}, "s": "text"}
	tests := []struct {
		path string
		want any
		err  bool
	}{
		{"$.new", map[string]any{"a": map[string]any{"keep": int64(1)}, "list": []any{int64(1), int64(2)}, "s": "text", "new": "R"}, false},
		{"$.a.b.c", map[string]any{"a": map[string]any{"keep": int64(1), "b": map[string]any{"c": "R"}}, "list": []any{int64(1), int64(2)}, "s": "text"}, false},
		{"$.list[-1]", map[string]any{"a": map[string]any{"keep": int64(1)}, "list": []any{int64(1), "R"}, "s": "text"}, false},
		{"$.list[2]", nil, true},
		{"$.s.x", nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			p, err := parseReferencePath(tt.path)
			if err != nil {
				t.Fatal(err)
			}
			got, err := p.applyResultPath(input, "R")
			if tt.err {
				var se *StatesError
				if !errors.As(err, &se) || se.Name != ErrorResultPathMatchFailure {
					t.Fatalf("got %v, want %s", err, ErrorResultPathMatchFailure)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, plain(got)); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
	if _, ok := input["new"]; ok {
		t.Error("applyResultPath modified its input")
	}
}

func TestStringComparisons(t *testing.T) {
	// U+FF5E sorts after U+1F600 by code point but before it in UTF-16,
	// which Java's compareTo (and so Step Functions) uses.
	if compareUTF16("\uFF5E", "\U0001F600") <= 0 {
		t.Error("compareUTF16 does not order by UTF-16 code units")
	}
	if compareUTF16("a", "ab") >= 0 || compareUTF16("b", "ab") <= 0 || compareUTF16("x", "x") != 0 {
		t.Error("compareUTF16 orders plain strings wrongly")
	}
	matches := map[string]map[string]bool{
		"*.log":        {"app.log": true, "app.txt": false, ".log": true},
		`a\*b`:         {"a*b": true, "axb": false},
		`back\\*`:      {`back\slash`: true, "back": false},
		"exact":        {"exact": true, "exactly": false},
		"*":            {"": true, "anything\nat all": true},
		"multi*part*s": {"multi-part-s": true, "multipartss": true, "multiparts": true, "multi": false},
	}
	for pattern, cases := range matches {
		re := compileWildcard(pattern)
		for s, want := range cases {
			if got := re.MatchString(s); got != want {
				t.Errorf("StringMatches %q on %q = %v, want %v", pattern, s, got, want)
			}
		}
	}
	for s, want := range map[string]bool{
		"2024-01-01T00:00:00Z": true, "2024-01-01T00:00:00.123+08:00": true,
		"2024-01-01t00:00:00Z": false, "2024-01-01T00:00:00z": false, "2024-01-01": false, "2024-01-01 00:00:00Z": false,
	} {
		if _, got := parseTimestamp(s); got != want {
			t.Errorf("parseTimestamp(%q) = %v, want %v", s, got, want)
		}
	}
}

func TestFakeClock(t *testing.T) {
	start := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	clock := NewFakeClock(start)
	var order []string
	clock.AfterFunc(2*time.Second, func() { order = append(order, "2s") })
	clock.AfterFunc(time.Second, func() { order = append(order, "1s") })
	stopped := clock.AfterFunc(time.Second, func() { order = append(order, "stopped") })
	if !stopped.Stop() || stopped.Stop() {
		t.Error("Stop should report true once")
	}
	clock.Advance(1500 * time.Millisecond)
	if got := clock.Now(); !got.Equal(start.Add(1500 * time.Millisecond)) {
		t.Errorf("Now = %v", got)
	}
	clock.Advance(time.Second)
	if diff := cmp.Diff([]string{"1s", "2s"}, order); diff != "" {
		t.Errorf("fired (-want +got):\n%s", diff)
	}

	// Auto-advance moves time only while the tracked goroutines are blocked.
	stop := clock.StartAutoAdvance()
	defer stop()
	var woke atomic.Bool
	done := make(chan struct{})
	clock.Go(func() {
		defer close(done)
		if err := clock.Sleep(context.Background(), time.Hour); err == nil {
			woke.Store(true)
		}
	})
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("auto-advance did not wake the sleeper")
	}
	if !woke.Load() || clock.Now().Before(start.Add(time.Hour)) {
		t.Errorf("woke = %v at %v", woke.Load(), clock.Now())
	}
	release := clock.Hold()
	before := clock.Now()
	clock.AfterFunc(time.Minute, func() {})
	time.Sleep(20 * time.Millisecond)
	if !clock.Now().Equal(before) {
		t.Error("the clock advanced while held")
	}
	release()
	deadline := time.Now().Add(5 * time.Second)
	for clock.PendingTimers() > 0 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	if clock.PendingTimers() > 0 {
		t.Error("the clock did not advance after the hold was released")
	}
}

func TestIndefinitePathOrderIsDeterministic(t *testing.T) {
	input := map[string]any{
		"obj":   map[string]any{"d": int64(4), "b": int64(2), "a": int64(1), "c": int64(3), "e": int64(5)},
		"list":  []any{map[string]any{"n": int64(3)}, map[string]any{"n": int64(1)}, map[string]any{"n": int64(2)}},
		"pairs": []any{int64(10), int64(20), int64(30)},
	}
	tests := map[string][]any{
		"$.obj.*":            {int64(1), int64(2), int64(3), int64(4), int64(5)},
		"$.list[*].n":        {int64(3), int64(1), int64(2)},
		"$.list[?(@.n > 1)]": {map[string]any{"n": int64(3)}, map[string]any{"n": int64(2)}},
		"$.pairs[2,0]":       {int64(10), int64(30)},
		"$.pairs[-2:]":       {int64(20), int64(30)},
		"$..n":               {int64(3), int64(1), int64(2)},
	}
	for path, want := range tests {
		p, err := parsePath(path)
		if err != nil {
			t.Fatal(err)
		}
		for range 20 {
			got, _, _ := p.lookup(&evalEnv{input: input})
			if diff := cmp.Diff(want, got); diff != "" {
				t.Fatalf("%s (-want +got):\n%s", path, diff)
			}
		}
	}
}
