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

// S-A3 按每1分为一个评分单位 (SPEC 4.3 decided): the score is rounded half-up
// to a whole point before the band applies.
func TestPaidShare(t *testing.T) {
	r := DefaultRules().Share
	tests := []struct {
		score  string
		points int64
		share  string
	}{
		{"100", 100, "1"}, {"85", 85, "1"}, {"84.99", 85, "1"}, {"84.5", 85, "1"}, {"84.49", 84, "0.98"},
		{"84.4", 84, "0.98"}, {"84", 84, "0.98"}, {"72.5", 73, "0.76"}, {"72.49", 72, "0.74"},
		{"60.01", 60, "0.5"}, {"60", 60, "0.5"}, {"59.99", 60, "0.5"}, {"59.5", 60, "0.5"},
		{"59.49", 59, "0.4"}, {"59", 59, "0.4"}, {"0.5", 1, "0.4"}, {"0", 0, "0.4"},
	}
	for _, tt := range tests {
		got, points, why := PaidShare(pts(tt.score), r)
		if got.String() != tt.share || points != tt.points || why == "" {
			t.Errorf("PaidShare(%s) = %s at %d points; want %s at %d", tt.score, got, points, tt.share, tt.points)
		}
	}
}

func TestComputeGuaranteeFeeAtScores(t *testing.T) {
	r := DefaultRules().Share
	tests := []struct{ score, fee string }{
		{"85", "10000.00"}, {"84.5", "10000.00"}, {"84.4", "9800.00"}, {"84", "9800.00"}, {"72.5", "7600.00"},
		{"60", "5000.00"}, {"59.5", "5000.00"}, {"59.49", "4000.00"}, {"59", "4000.00"},
	}
	for _, tt := range tests {
		g, err := ComputeGuaranteeFee([]GuaranteeItem{{Name: "页面设计", Workload: qty("10"), UnitPrice: m("1000"), Score: pts(tt.score)}}, nil, r)
		if err != nil {
			t.Fatal(err)
		}
		if g.Fee.String() != tt.fee || g.Base.String() != "10000.00" || g.BaseExact != "10000.00" || g.Share == nil || g.Rule != "S-A3" {
			t.Errorf("score %s: %+v", tt.score, g)
		}
	}
}

// S-A3 表二: the content-maintenance sheet has one total score that sets the
// share of its combined fee; items of 表三–六 keep their own scores.
func TestComputeGuaranteeFeeSheet(t *testing.T) {
	r := DefaultRules().Share
	items := []GuaranteeItem{
		{Name: "信息更新与审核", Workload: qty("10"), UnitPrice: m("100"), Sheet: SheetContentMaintenance},
		{Name: "用户咨询与投诉", Workload: qty("5"), UnitPrice: m("100"), Sheet: SheetContentMaintenance},
		{Name: "页面制作", Workload: qty("2"), UnitPrice: m("1000"), Score: pts("59.49")},
	}
	// Sheet 1,500 at 84.5 → 85 → 100%; page 2,000 at 59.49 → 59 → 40%: 1,500 + 800.
	g, err := ComputeGuaranteeFee(items, map[string]partner.Score{SheetContentMaintenance: pts("84.5")}, r)
	if err != nil {
		t.Fatal(err)
	}
	if g.Fee.String() != "2300.00" || len(g.Sheets) != 1 || g.Share != nil {
		t.Fatalf("%+v", g)
	}
	sh := g.Sheets[0]
	if sh.Base.String() != "1500.00" || sh.ScoredPoints != 85 || sh.Share.String() != "1" || len(sh.Items) != 2 || sh.Rule != "S-A3 表二" {
		t.Errorf("sheet %+v", sh)
	}
	if it := g.Items[1]; it.Score.Exact() != "84.5" || it.Share.String() != "1" || it.Rule != "S-A3 表二" {
		t.Errorf("sheet item %+v", it)
	}
	if it := g.Items[2]; it.ScoredPoints != 59 || it.Share.String() != "0.4" || it.Rule != "S-A3 表三–表六" {
		t.Errorf("own item %+v", it)
	}
	// One point lower on the sheet moves the whole sheet: 84.49 → 84 → 98%.
	g, _ = ComputeGuaranteeFee(items, map[string]partner.Score{SheetContentMaintenance: pts("84.49")}, r)
	if g.Fee.String() != "2270.00" {
		t.Errorf("sheet at 84.49: fee %s, want 1,470 + 800", g.Fee)
	}
	for name, sc := range map[string]map[string]partner.Score{
		"sheet score missing":   nil,
		"sheet score above 100": {SheetContentMaintenance: pts("100.01")},
		"unknown sheet":         {SheetContentMaintenance: pts("90"), "planning": pts("90")},
	} {
		var fe FieldErrors
		if _, err := ComputeGuaranteeFee(items, sc, r); !errors.As(err, &fe) || len(fe) == 0 {
			t.Errorf("%s: err = %v", name, err)
		}
	}
	bad := append([]GuaranteeItem{}, items...)
	bad[0].Sheet = "planning"
	if _, err := ComputeGuaranteeFee(bad, map[string]partner.Score{SheetContentMaintenance: pts("90")}, r); err == nil {
		t.Error("an item on an unknown sheet accepted")
	}
}

func TestComputeGuaranteeFeeRoundsOnce(t *testing.T) {
	// Two items of 2.5 × 33.33 = 83.325 each: rounded per item they would pay
	// 83.33 + 83.33 = 166.66; rounded once the fee is 166.65.
	items := []GuaranteeItem{
		{Name: "页面设计", Workload: qty("2.5"), UnitPrice: m("33.33"), Score: pts("90")},
		{Name: "页面制作", Workload: qty("2.5"), UnitPrice: m("33.33"), Score: pts("85")},
	}
	g, err := ComputeGuaranteeFee(items, nil, DefaultRules().Share)
	if err != nil {
		t.Fatal(err)
	}
	if g.Fee.String() != "166.65" || g.BaseExact != "166.65" || g.Items[0].BaseExact != "83.325" || g.Items[0].Base.String() != "83.33" {
		t.Errorf("%+v", g)
	}
	if g.Share == nil || g.Share.String() != "1" {
		t.Errorf("common share = %v", g.Share)
	}

	// Mixed shares: 10 × 100 at 72.4 (72 points: 74%) + 3 × 33.33 at 59.4 (59: 40%) = 740 + 39.996 = 779.996.
	g, err = ComputeGuaranteeFee([]GuaranteeItem{
		{Name: "业务运营", Workload: qty("10"), UnitPrice: m("100"), Score: pts("72.4")},
		{Name: "业务测试", Workload: qty("3"), UnitPrice: m("33.33"), Score: pts("59.4")},
	}, nil, DefaultRules().Share)
	if err != nil {
		t.Fatal(err)
	}
	if g.Fee.String() != "780.00" || g.Share != nil || g.Items[1].PaidExact != "39.996" || g.BaseExact != "1099.99" {
		t.Errorf("%+v", g)
	}
}

func TestComputeGuaranteeFeeValidation(t *testing.T) {
	_, err := ComputeGuaranteeFee([]GuaranteeItem{
		{Name: "", Workload: qty("-1"), UnitPrice: 0, Score: pts("100.01")},
		{Name: "a", Workload: 1, UnitPrice: 1, Score: pts("50")},
		{Name: "a", Workload: 1, UnitPrice: 1, Score: pts("50")},
	}, nil, DefaultRules().Share)
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
	if _, err := ComputeGuaranteeFee(nil, nil, DefaultRules().Share); err == nil {
		t.Error("no items accepted")
	}
}
