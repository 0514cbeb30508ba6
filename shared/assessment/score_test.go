package assessment

import (
	"encoding/json"
	"testing"
)

func TestParseScore(t *testing.T) {
	tests := []struct {
		in   string
		want Score
		ok   bool
	}{
		{"60", 6000, true}, {"59.99", 5999, true}, {"87.5", 8750, true}, {"0", 0, true}, {"100.00", 10000, true},
		{"59.999", 0, false}, {"-1", 0, false}, {"", 0, false}, {"6e1", 0, false}, {"sixty", 0, false}, {"60.", 0, false},
	}
	for _, tt := range tests {
		got, err := ParseScore(tt.in)
		if (err == nil) != tt.ok || (tt.ok && got != tt.want) {
			t.Errorf("ParseScore(%q) = %d, %v", tt.in, got, err)
		}
	}
}

func TestScoreJSON(t *testing.T) {
	var s struct {
		A Score `json:"a"`
		B Score `json:"b"`
	}
	if err := json.Unmarshal([]byte(`{"a":87.5,"b":"59.99"}`), &s); err != nil {
		t.Fatal(err)
	}
	if s.A != 8750 || s.B != 5999 {
		t.Errorf("got %d %d", s.A, s.B)
	}
	b, _ := json.Marshal(s)
	if string(b) != `{"a":87.50,"b":59.99}` {
		t.Errorf("marshal %s", b)
	}
	if err := json.Unmarshal([]byte(`{"a":1e2}`), &s); err == nil {
		t.Error("exponent accepted")
	}
}
