package settlement

import (
	"fmt"
	"math/big"
	"strings"

	"productgov/shared/money"
	"productgov/shared/partner"
)

// FlagWorkloadBelowMinimum marks a revenue-mode fee held at 0 because the
// quarter's workload missed the contract minimum (S§15).
const FlagWorkloadBelowMinimum = "workload_below_minimum"

// RevenueFee is a revenue-mode quarter's fee (S§15, S§16, S-A3 表一).
type RevenueFee struct {
	Revenue     money.Amount `json:"revenue"`
	Rate        money.Rate   `json:"rate"`
	Workload    Quantity     `json:"workload"`
	MinWorkload Quantity     `json:"minWorkload"`
	// FeeAtRate is revenue × rate, rounded half-up once; Fee is what is owed.
	FeeAtRate money.Amount `json:"feeAtRate"`
	Fee       money.Amount `json:"fee"`
	Flags     []string     `json:"flags"`
	Rule      string       `json:"rule"`
	Reason    string       `json:"reason"`
}

// ComputeRevenueFee applies S§16: fee = quarter revenue × contribution rate,
// rounded half-up to the fen; S§15: only once the quarter's workload reached
// the contract minimum, else the fee is held at 0 and flagged.
func ComputeRevenueFee(revenue money.Amount, rate money.Rate, workload, minWorkload Quantity) (RevenueFee, error) {
	errs := FieldErrors{}
	if revenue < 0 {
		errs["revenue"] = "must not be negative"
	}
	if why := checkRate(rate); why != "" {
		errs["rate"] = why
	}
	if workload < 0 {
		errs["workload"] = "must not be negative"
	}
	if minWorkload < 0 {
		errs["minWorkload"] = "must not be negative"
	}
	if len(errs) > 0 {
		return RevenueFee{}, errs
	}
	f := RevenueFee{Revenue: revenue, Rate: rate, Workload: workload, MinWorkload: minWorkload,
		FeeAtRate: revenue.MulRate(rate), Flags: []string{}}
	if workload < minWorkload {
		f.Flags = append(f.Flags, FlagWorkloadBelowMinimum)
		f.Rule = "S§15"
		f.Reason = fmt.Sprintf("workload %s is below the contract minimum %s: fee held at 0 (would be %s × %s = %s)",
			workload, minWorkload, revenue, rate, f.FeeAtRate)
		return f, nil
	}
	f.Fee = f.FeeAtRate
	f.Rule = "S§16"
	f.Reason = fmt.Sprintf("revenue %s × contribution rate %s = %s (workload %s ≥ minimum %s)",
		revenue, rate, f.Fee, workload, minWorkload)
	return f, nil
}

// SheetContentMaintenance is S-A3 表二, the content-maintenance sheet
// (信息更新与审核, 用户咨询与投诉, 信息安全监控, CP内容审核, SP内容拨测, 服务响应):
// one total score sets the share of the sheet's combined fee (SPEC 4.3). Items
// on no sheet (表三–六) are scored one by one.
const SheetContentMaintenance = "content_maintenance"

// Sheets lists the S-A3 sheets whose items share one total score.
func Sheets() []string { return []string{SheetContentMaintenance} }

// IsSheet reports whether name is an S-A3 sheet scored as a whole.
func IsSheet(name string) bool {
	for _, s := range Sheets() {
		if s == name {
			return true
		}
	}
	return false
}

// GuaranteeItem is one work item's quarter: its price from the project, its
// workload from the quarter's input, and its score: its own (表三–六), or for
// an item on a sheet (Sheet set, 表二) the sheet's one total score (SPEC 4.3).
type GuaranteeItem struct {
	Name      string        `json:"name"`
	Workload  Quantity      `json:"workload"`
	UnitPrice money.Amount  `json:"unitPrice"`
	Score     partner.Score `json:"score"`
	Sheet     string        `json:"sheet,omitempty"`
}

// ItemFee is one guarantee item's computation, kept exact: BaseExact and
// PaidExact are yuan with every decimal; Base is BaseExact rounded for display.
type ItemFee struct {
	GuaranteeItem
	Base      money.Amount `json:"base"`
	BaseExact string       `json:"baseExact"`
	// ScoredPoints is the score rounded half-up to a whole point, which sets
	// the share (S-A3 按每1分为一个评分单位).
	ScoredPoints int64      `json:"scoredPoints"`
	Share        money.Rate `json:"share"`
	PaidExact    string     `json:"paidExact"`
	Rule         string     `json:"rule"`
	Reason       string     `json:"reason"`
}

// SheetFee is a sheet scored as a whole (S-A3 表二): its combined base, its
// one total score and the share that score sets.
type SheetFee struct {
	Sheet        string        `json:"sheet"`
	Items        []string      `json:"items"`
	Score        partner.Score `json:"score"`
	ScoredPoints int64         `json:"scoredPoints"`
	Base         money.Amount  `json:"base"`
	BaseExact    string        `json:"baseExact"`
	Share        money.Rate    `json:"share"`
	PaidExact    string        `json:"paidExact"`
	Rule         string        `json:"rule"`
	Reason       string        `json:"reason"`
}

// GuaranteeFee is a guarantee-mode quarter's fee (S§15, S-A3 表二–表六).
type GuaranteeFee struct {
	Items []ItemFee `json:"items"`
	// Sheets are the sheets scored as a whole (表二), when the project has any.
	Sheets    []SheetFee   `json:"sheets,omitempty"`
	Base      money.Amount `json:"base"` // Σ bases, rounded once
	BaseExact string       `json:"baseExact"`
	// Share is the items' common share; nil when their shares differ (each
	// item then shows its own), so no inexact average is ever shown.
	Share  *money.Rate  `json:"share"`
	Fee    money.Amount `json:"fee"` // Σ base × share, rounded half-up once
	Rule   string       `json:"rule"`
	Reason string       `json:"reason"`
}

// WholePoints rounds a score half-up to a whole point (S-A3: 按每1分为一个
// 评分单位; SPEC 4.3 decided): 84.5 → 85, 84.4 → 84, 59.5 → 60.
func WholePoints(score partner.Score) int64 {
	r := score.Rat()
	// floor((2·num + den) / (2·den)) for a non-negative score.
	num := new(big.Int).Add(new(big.Int).Mul(big.NewInt(2), r.Num()), r.Denom())
	den := new(big.Int).Mul(big.NewInt(2), r.Denom())
	return new(big.Int).Div(num, den).Int64()
}

// PaidShare returns the share of a guarantee base paid at a score (S-A3 说明):
// the score is first rounded half-up to a whole point (按每1分为一个评分单位,
// SPEC 4.3 decided); then ≥ 85 → 100%; 60 ≤ points < 85 → 100% − 2% × (85 −
// points); < 60 → 40%. It returns the share, the whole points and why.
func PaidShare(score partner.Score, r ShareRules) (money.Rate, int64, string) {
	points := WholePoints(score)
	p := partner.Points(points)
	scored := fmt.Sprintf("score %s", score.Exact())
	if !score.IsWhole() {
		scored += fmt.Sprintf(" rounds half-up to %d points (S-A3: 每1分为一个评分单位)", points)
	}
	switch {
	case p.Cmp(r.FullScore) >= 0:
		return money.NewRate(1, 1), points, fmt.Sprintf("%s ≥ %s: paid in full", scored, r.FullScore.Exact())
	case p.Cmp(r.FloorScore) >= 0:
		below := r.FullScore.Sub(p).Rat()
		share := new(big.Rat).Sub(big.NewRat(1, 1), new(big.Rat).Mul(r.StepPerPoint.Rat(), below))
		s := rateOf(share)
		return s, points, fmt.Sprintf("%s: 100%% − %s per point × %s points = %s",
			scored, r.StepPerPoint, partner.ScoreOfRat(below).Exact(), s)
	}
	return r.LowShare, points, fmt.Sprintf("%s < %s: %s paid", scored, r.FloorScore.Exact(), r.LowShare)
}

// ComputeGuaranteeFee applies S§15 and S-A3: per item base = workload × unit
// price; an item's own score (表三–六), or its sheet's one total score from
// sheetScores (表二, the sheet's combined fee), gives the paid share; fee = Σ
// base × share, exact until one half-up rounding to the fen at the end (SPEC:
// once per computed amount).
func ComputeGuaranteeFee(items []GuaranteeItem, sheetScores map[string]partner.Score, r ShareRules) (GuaranteeFee, error) {
	errs := FieldErrors{}
	if len(items) == 0 {
		errs["items"] = "at least one work item is required in guarantee mode"
	}
	validScore := func(sc partner.Score) bool {
		return sc.Sign() >= 0 && sc.Cmp(partner.Points(100)) <= 0 && sc.HasAtMostTwoDecimals()
	}
	seen := map[string]bool{}
	usedSheets := map[string]bool{}
	for i, it := range items {
		name := strings.TrimSpace(it.Name)
		switch {
		case name == "":
			errs[fmt.Sprintf("items[%d].name", i)] = "is required"
		case seen[name]:
			errs[fmt.Sprintf("items[%d].name", i)] = fmt.Sprintf("%q is listed twice", name)
		}
		seen[name] = true
		if it.Workload < 0 {
			errs[fmt.Sprintf("items[%d].workload", i)] = "must not be negative"
		}
		if it.UnitPrice <= 0 {
			errs[fmt.Sprintf("items[%d].unitPrice", i)] = "must be positive"
		}
		if it.Sheet != "" {
			if !IsSheet(it.Sheet) {
				errs[fmt.Sprintf("items[%d].sheet", i)] = "must be one of " + strings.Join(Sheets(), ", ")
				continue
			}
			usedSheets[it.Sheet] = true
			continue
		}
		if !validScore(it.Score) {
			errs[fmt.Sprintf("items[%d].score", i)] = "must be between 0 and 100 with at most two decimals"
		}
	}
	for sheet := range usedSheets {
		sc, ok := sheetScores[sheet]
		switch {
		case !ok:
			errs["sheetScores."+sheet] = "is required: the sheet has one total score (S-A3 表二)"
		case !validScore(sc):
			errs["sheetScores."+sheet] = "must be between 0 and 100 with at most two decimals"
		}
	}
	for sheet := range sheetScores {
		if !usedSheets[sheet] {
			errs["sheetScores."+sheet] = "no work item of the project is on this sheet"
		}
	}
	if len(errs) > 0 {
		return GuaranteeFee{}, errs
	}
	g := GuaranteeFee{Items: make([]ItemFee, 0, len(items)), Rule: "S-A3"}
	baseSum, paidSum := new(big.Rat), new(big.Rat)
	sheetBase, sheetPaid := map[string]*big.Rat{}, map[string]*big.Rat{}
	sheetItems := map[string][]string{}
	var sheetOrder []string
	var parts []string
	for _, it := range items {
		base := new(big.Rat).Mul(it.Workload.Rat(), it.UnitPrice.Rat())
		if it.Sheet != "" {
			it.Score = sheetScores[it.Sheet]
		}
		share, points, why := PaidShare(it.Score, r)
		paid := new(big.Rat).Mul(base, share.Rat())
		baseSum.Add(baseSum, base)
		paidSum.Add(paidSum, paid)
		rule := "S-A3 表三–表六"
		if it.Sheet != "" {
			rule = "S-A3 表二"
			why = "the " + it.Sheet + " sheet's total " + why
			if sheetBase[it.Sheet] == nil {
				sheetBase[it.Sheet], sheetPaid[it.Sheet] = new(big.Rat), new(big.Rat)
				sheetOrder = append(sheetOrder, it.Sheet)
			}
			sheetBase[it.Sheet].Add(sheetBase[it.Sheet], base)
			sheetPaid[it.Sheet].Add(sheetPaid[it.Sheet], paid)
			sheetItems[it.Sheet] = append(sheetItems[it.Sheet], it.Name)
		}
		g.Items = append(g.Items, ItemFee{GuaranteeItem: it, Base: money.RoundRat(base), BaseExact: exactYuan(base),
			ScoredPoints: points, Share: share, PaidExact: exactYuan(paid), Rule: rule,
			Reason: fmt.Sprintf("%s × %s = %s; %s", it.Workload, it.UnitPrice, exactYuan(base), why)})
		parts = append(parts, exactYuan(paid))
	}
	for _, sheet := range sheetOrder {
		share, points, why := PaidShare(sheetScores[sheet], r)
		g.Sheets = append(g.Sheets, SheetFee{Sheet: sheet, Items: sheetItems[sheet], Score: sheetScores[sheet], ScoredPoints: points,
			Base: money.RoundRat(sheetBase[sheet]), BaseExact: exactYuan(sheetBase[sheet]), Share: share,
			PaidExact: exactYuan(sheetPaid[sheet]), Rule: "S-A3 表二",
			Reason: fmt.Sprintf("one total score for the sheet's combined fee %s: %s", exactYuan(sheetBase[sheet]), why)})
	}
	g.Base, g.BaseExact = money.RoundRat(baseSum), exactYuan(baseSum)
	g.Fee = money.RoundRat(paidSum)
	common, same := g.Items[0].Share, true
	for _, it := range g.Items[1:] {
		same = same && it.Share.Cmp(common) == 0
	}
	if same {
		g.Share = &common
	}
	g.Reason = fmt.Sprintf("fee = %s = %s, rounded once to %s", strings.Join(parts, " + "), exactYuan(paidSum), g.Fee)
	return g, nil
}
