package partner

import (
	"encoding/json"
	"math/big"
	"testing"
)

func TestParseScore(t *testing.T) {
	tests := []struct {
		in      string
		str     string
		exact   string
		wantErr bool
	}{
		{"60", "60.00", "60", false},
		{"59.5", "59.50", "59.5", false},
		{"72.25", "72.25", "72.25", false},
		{"-3", "-3.00", "-3", false},
		{"0", "0.00", "0", false},
		{"1.234", "", "", true},
		{"", "", "", true},
		{"1e2", "", "", true},
		{".5", "", "", true},
		{"abc", "", "", true},
	}
	for _, tt := range tests {
		s, err := ParseScore(tt.in)
		if (err != nil) != tt.wantErr || (!tt.wantErr && (s.String() != tt.str || s.Exact() != tt.exact)) {
			t.Errorf("ParseScore(%q) = %v (%s), %v", tt.in, s, s.Exact(), err)
		}
	}
}

func TestScoreArithmeticIsExact(t *testing.T) {
	mean := MeanScore([]Score{Points(70), Points(75), Points(75)})
	if mean.String() != "73.33" || mean.Exact() != "220/3" {
		t.Errorf("mean = %s (%s)", mean, mean.Exact())
	}
	if mean.Add(mean).Add(mean) != Points(220) {
		t.Error("3 × 220/3 is not 220")
	}
	if Hundredths(5950) != MustScore("59.5") || Points(0) != (Score{}) {
		t.Error("equal values differ")
	}
	if got := ScoreOfRat(big.NewRat(1, 200)).String(); got != "0.01" {
		t.Errorf("half-up: %s", got)
	}
	if got := ScoreOfRat(big.NewRat(-1, 200)).String(); got != "-0.01" {
		t.Errorf("half away from zero: %s", got)
	}
	if got := ScoreOfRat(big.NewRat(-1, 300)).String(); got != "0.00" {
		t.Errorf("tiny negative: %s", got)
	}
}

func TestScoreJSON(t *testing.T) {
	var s struct{ A, B Score }
	if err := json.Unmarshal([]byte(`{"A":59.5,"B":"84"}`), &s); err != nil || s.A != MustScore("59.5") || s.B != Points(84) {
		t.Fatalf("%+v, %v", s, err)
	}
	b, _ := json.Marshal(MeanScore([]Score{Points(1), Points(2), Points(2)}))
	if string(b) != "1.67" {
		t.Errorf("Marshal = %s", b)
	}
	for _, bad := range []string{`1.005`, `"x"`, `true`} {
		var v Score
		if err := json.Unmarshal([]byte(bad), &v); err == nil {
			t.Errorf("Unmarshal(%s) accepted", bad)
		}
	}
}
