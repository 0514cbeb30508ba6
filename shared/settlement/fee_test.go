package settlement

import (
	"errors"
	"testing"

	"productgov/shared/money"
	"productgov/shared/partner"
)

var (
	m    = money.MustParse
	rate = money.MustParseRate
	qty  = MustQuantity
	pts  = partner.MustScore
)

func TestComputeRevenueFee(t *testing.T) {
	tests := []struct {
		name              string
		revenue           string
		rate              string
		workload, minimum string
		fee, feeAtRate    string
		flagged           bool
	}{
		{"S-A4 default rate", "1000000", "0.027", "10", "10", "27000.00", "27000.00", false},
		{"half a fen rounds up", "5.00", "0.027", "1", "0", "0.14", "0.14", false},    // 13.5 fen
		{"just below half a fen", "333.33", "0.027", "1", "0", "9.00", "9.00", false}, // 899.991 fen
		{"workload one hundredth short", "1000000", "0.027", "9.99", "10", "0.00", "27000.00", true},
		{"no minimum", "200", "0.1", "0", "0", "20.00", "20.00", false},
	}
	for _, tt := range tests {
		f, err := ComputeRevenueFee(m(tt.revenue), rate(tt.rate), qty(tt.workload), qty(tt.minimum))
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		flagged := len(f.Flags) == 1 && f.Flags[0] == FlagWorkloadBelowMinimum
		if f.Fee.String() != tt.fee || f.FeeAtRate.String() != tt.feeAtRate || flagged != tt.flagged || f.Reason == "" {
			t.Errorf("%s: %+v", tt.name, f)
		}
		if wantRule := map[bool]string{true: "S§15", false: "S§16"}[tt.flagged]; f.Rule != wantRule {
			t.Errorf("%s: rule %s; want %s", tt.name, f.Rule, wantRule)
		}
	}
}

func TestComputeRevenueFeeValidation(t *testing.T) {
	for _, r := range []string{"0", "1", "1.5"} {
		_, err := ComputeRevenueFee(m("100"), rate(r), 0, 0)
		var fe FieldErrors
		if !errors.As(err, &fe) || fe["rate"] == "" {
			t.Errorf("rate %s: err = %v", r, err)
		}
	}
	if _, err := ComputeRevenueFee(m("100"), rate("0.99999999"), 0, 0); err != nil {
		t.Errorf("rate just below 1: %v", err)
	}
	_, err := ComputeRevenueFee(m("-1"), money.Rate{}, qty("-1"), qty("-1"))
	if fe, ok := err.(FieldErrors); !ok || len(fe) != 4 {
		t.Errorf("err = %v; want 4 field errors", err)
	}
}

func TestPaidShare(t *testing.T) {
	r := DefaultRules().Share
	tests := []struct{ score, share string }{
		{"100", "1"}, {"85", "1"}, {"84.99", "0.9998"}, {"84", "0.98"}, {"72.5", "0.75"},
		{"60.01", "0.5002"}, {"60", "0.5"}, {"59.99", "0.4"}, {"59.5", "0.4"}, {"59", "0.4"}, {"0", "0.4"},
	}
	for _, tt := range tests {
		got, why := PaidShare(pts(tt.score), r)
		if got.String() != tt.share || why == "" {
			t.Errorf("PaidShare(%s) = %s; want %s", tt.score, got, tt.share)
		}
	}
}

func TestComputeGuaranteeFeeAtScores(t *testing.T) {
	r := DefaultRules().Share
	tests := []struct{ score, fee string }{
		{"85", "10000.00"}, {"84", "9800.00"}, {"72.5", "7500.00"}, {"60", "5000.00"}, {"59.5", "4000.00"}, {"59", "4000.00"},
	}
	for _, tt := range tests {
		g, err := ComputeGuaranteeFee([]GuaranteeItem{{"信息更新与审核", qty("10"), m("1000"), pts(tt.score)}}, r)
		if err != nil {
			t.Fatal(err)
		}
		if g.Fee.String() != tt.fee || g.Base.String() != "10000.00" || g.BaseExact != "10000.00" || g.Share == nil || g.Rule != "S-A3" {
			t.Errorf("score %s: %+v", tt.score, g)
		}
	}
}

func TestComputeGuaranteeFeeRoundsOnce(t *testing.T) {
	// Two items of 2.5 × 33.33 = 83.325 each: rounded per item they would pay
	// 83.33 + 83.33 = 166.66; rounded once the fee is 166.65.
	items := []GuaranteeItem{
		{"页面设计", qty("2.5"), m("33.33"), pts("90")},
		{"页面制作", qty("2.5"), m("33.33"), pts("85")},
	}
	g, err := ComputeGuaranteeFee(items, DefaultRules().Share)
	if err != nil {
		t.Fatal(err)
	}
	if g.Fee.String() != "166.65" || g.BaseExact != "166.65" || g.Items[0].BaseExact != "83.325" || g.Items[0].Base.String() != "83.33" {
		t.Errorf("%+v", g)
	}
	if g.Share == nil || g.Share.String() != "1" {
		t.Errorf("common share = %v", g.Share)
	}

	// Mixed shares: 10 × 100 at 72.5 (75%) + 3 × 33.33 at 59.5 (40%) = 750 + 39.996 = 789.996.
	g, err = ComputeGuaranteeFee([]GuaranteeItem{
		{"业务运营", qty("10"), m("100"), pts("72.5")},
		{"业务测试", qty("3"), m("33.33"), pts("59.5")},
	}, DefaultRules().Share)
	if err != nil {
		t.Fatal(err)
	}
	if g.Fee.String() != "790.00" || g.Share != nil || g.Items[1].PaidExact != "39.996" || g.BaseExact != "1099.99" {
		t.Errorf("%+v", g)
	}
}

func TestComputeGuaranteeFeeValidation(t *testing.T) {
	_, err := ComputeGuaranteeFee([]GuaranteeItem{
		{"", qty("-1"), 0, pts("100.01")},
		{"a", 1, 1, pts("50")},
		{"a", 1, 1, pts("50")},
	}, DefaultRules().Share)
	want := []string{"items[0].name", "items[0].workload", "items[0].unitPrice", "items[0].score", "items[2].name"}
	fe, ok := err.(FieldErrors)
	if !ok || len(fe) != len(want) {
		t.Fatalf("err = %v", err)
	}
	for _, f := range want {
		if fe[f] == "" {
			t.Errorf("no error for %s", f)
		}
	}
	if _, err := ComputeGuaranteeFee(nil, DefaultRules().Share); err == nil {
		t.Error("no items accepted")
	}
}
