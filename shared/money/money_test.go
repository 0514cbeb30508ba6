package money

import (
	"encoding/json"
	"math/big"
	"testing"
)

func TestParse(t *testing.T) {
	tests := []struct {
		in      string
		want    Amount
		wantErr bool
	}{
		{"0", 0, false},
		{"96666.67", 9666667, false},
		{"100000", 10000000, false},
		{"0.5", 50, false},
		{"-5.01", -501, false},
		{"1.234", 0, true},
		{"", 0, true},
		{"abc", 0, true},
		{"1.", 0, true},
		{".5", 0, true},
		{"1e5", 0, true},
		{"99999999999999", 0, true},
	}
	for _, tt := range tests {
		got, err := Parse(tt.in)
		if (err != nil) != tt.wantErr || got != tt.want {
			t.Errorf("Parse(%q) = %v, %v; want %v, err %v", tt.in, got, err, tt.want, tt.wantErr)
		}
	}
}

func TestJSON(t *testing.T) {
	tests := []struct {
		in      string
		want    Amount
		wantErr bool
	}{
		{`"96666.67"`, 9666667, false},
		{`96666.67`, 9666667, false},
		{`12`, 1200, false},
		{`1.005`, 0, true},
		{`1e3`, 0, true},
		{`null`, 0, true},
		{`"x"`, 0, true},
	}
	for _, tt := range tests {
		var a Amount
		err := json.Unmarshal([]byte(tt.in), &a)
		if (err != nil) != tt.wantErr || a != tt.want {
			t.Errorf("Unmarshal(%s) = %v, %v; want %v, err %v", tt.in, a, err, tt.want, tt.wantErr)
		}
	}
	b, _ := json.Marshal(Amount(-5))
	if string(b) != `"-0.05"` {
		t.Errorf("Marshal(-5) = %s", b)
	}
}

func TestMulRateRoundsHalfUp(t *testing.T) {
	tests := []struct {
		amount string
		rate   string
		want   string
	}{
		{"100000.00", "0.027", "2700.00"},
		{"123456.78", "0.027", "3333.33"}, // 3333.33306
		{"0.50", "0.5", "0.25"},
		{"0.01", "0.5", "0.01"},   // 0.005 rounds up
		{"-0.01", "0.5", "-0.01"}, // away from zero
		{"333.33", "0.1", "33.33"},
	}
	for _, tt := range tests {
		got := MustParse(tt.amount).MulRate(MustParseRate(tt.rate))
		if got.String() != tt.want {
			t.Errorf("%s × %s = %s, want %s", tt.amount, tt.rate, got, tt.want)
		}
	}
}

func TestMulDiv(t *testing.T) {
	got := MustParse("1000000.00").MulDiv(MustParse("30000.00"), MustParse("900000.00"))
	if got.String() != "33333.33" {
		t.Errorf("MulDiv = %s", got)
	}
}

func TestRoundRat(t *testing.T) {
	if got := RoundRat(big.NewRat(5, 2)); got != 3 {
		t.Errorf("2.5 → %d", got)
	}
	if got := RoundRat(big.NewRat(-5, 2)); got != -3 {
		t.Errorf("-2.5 → %d", got)
	}
	if got := RoundRat(big.NewRat(7, 3)); got != 2 {
		t.Errorf("7/3 → %d", got)
	}
}

func TestRateString(t *testing.T) {
	for in, want := range map[string]string{"0.027": "0.027", "1": "1", "0.50": "0.5"} {
		if got := MustParseRate(in).String(); got != want {
			t.Errorf("%s → %s", in, got)
		}
	}
}
