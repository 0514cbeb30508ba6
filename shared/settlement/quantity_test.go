package settlement

import (
	"encoding/json"
	"testing"
)

func TestParseQuantity(t *testing.T) {
	tests := []struct {
		in      string
		want    Quantity
		str     string
		wantErr bool
	}{
		{"12", 1200, "12", false},
		{"2.5", 250, "2.5", false},
		{"0.25", 25, "0.25", false},
		{"-1", -100, "-1", false},
		{"1.005", 0, "", true},
		{"", 0, "", true},
		{"1e3", 0, "", true},
	}
	for _, tt := range tests {
		q, err := ParseQuantity(tt.in)
		if (err != nil) != tt.wantErr || q != tt.want || (!tt.wantErr && q.String() != tt.str) {
			t.Errorf("ParseQuantity(%q) = %v, %v", tt.in, q, err)
		}
	}
	var v struct{ A, B Quantity }
	if err := json.Unmarshal([]byte(`{"A":2.5,"B":"3"}`), &v); err != nil || v.A != 250 || v.B != Units(3) {
		t.Errorf("%+v, %v", v, err)
	}
	if b, _ := json.Marshal(Quantity(250)); string(b) != "2.5" {
		t.Errorf("Marshal = %s", b)
	}
}
