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

// GuaranteeItem is one work item's quarter: its price from the project, its
// workload and score from the quarter's input (SPEC 4.3).
type GuaranteeItem struct {
	Name      string        `json:"name"`
	Workload  Quantity      `json:"workload"`
	UnitPrice money.Amount  `json:"unitPrice"`
	Score     partner.Score `json:"score"`
}

// ItemFee is one guarantee item's computation, kept exact: BaseExact and
// PaidExact are yuan with every decimal; Base is BaseExact rounded for display.
type ItemFee struct {
	GuaranteeItem
	Base      money.Amount `json:"base"`
	BaseExact string       `json:"baseExact"`
	Share     money.Rate   `json:"share"`
	PaidExact string       `json:"paidExact"`
	Rule      string       `json:"rule"`
	Reason    string       `json:"reason"`
}

// GuaranteeFee is a guarantee-mode quarter's fee (S§15, S-A3 表二–表六).
type GuaranteeFee struct {
	Items     []ItemFee    `json:"items"`
	Base      money.Amount `json:"base"` // Σ bases, rounded once
	BaseExact string       `json:"baseExact"`
	// Share is the items' common share; nil when their shares differ (each
	// item then shows its own), so no inexact average is ever shown.
	Share  *money.Rate  `json:"share"`
	Fee    money.Amount `json:"fee"` // Σ base × share, rounded half-up once
	Rule   string       `json:"rule"`
	Reason string       `json:"reason"`
}

// PaidShare returns the share of a guarantee item's base paid at a score
// (S-A3 说明): ≥ 85 → 100%; 60 ≤ score < 85 → 100% − 2% × (85 − score), a
// fraction of a point counting proportionally (72.5 → 75%); < 60 → 40%.
func PaidShare(score partner.Score, r ShareRules) (money.Rate, string) {
	switch {
	case score.Cmp(r.FullScore) >= 0:
		return money.NewRate(1, 1), fmt.Sprintf("score %s ≥ %s: paid in full", score.Exact(), r.FullScore.Exact())
	case score.Cmp(r.FloorScore) >= 0:
		below := r.FullScore.Sub(score).Rat()
		share := new(big.Rat).Sub(big.NewRat(1, 1), new(big.Rat).Mul(r.StepPerPoint.Rat(), below))
		s := rateOf(share)
		return s, fmt.Sprintf("score %s: 100%% − %s per point × %s points = %s",
			score.Exact(), r.StepPerPoint, partner.ScoreOfRat(below).Exact(), s)
	}
	return r.LowShare, fmt.Sprintf("score %s < %s: %s paid", score.Exact(), r.FloorScore.Exact(), r.LowShare)
}

// ComputeGuaranteeFee applies S§15 and S-A3: per item base = workload × unit
// price and its score's paid share; fee = Σ base × share, exact until one
// half-up rounding to the fen at the end (SPEC: once per computed amount).
func ComputeGuaranteeFee(items []GuaranteeItem, r ShareRules) (GuaranteeFee, error) {
	errs := FieldErrors{}
	if len(items) == 0 {
		errs["items"] = "at least one work item is required in guarantee mode"
	}
	seen := map[string]bool{}
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
		if it.Score.Sign() < 0 || it.Score.Cmp(partner.Points(100)) > 0 || !it.Score.HasAtMostTwoDecimals() {
			errs[fmt.Sprintf("items[%d].score", i)] = "must be between 0 and 100 with at most two decimals"
		}
	}
	if len(errs) > 0 {
		return GuaranteeFee{}, errs
	}
	g := GuaranteeFee{Items: make([]ItemFee, 0, len(items)), Rule: "S-A3"}
	baseSum, paidSum := new(big.Rat), new(big.Rat)
	var parts []string
	for _, it := range items {
		base := new(big.Rat).Mul(it.Workload.Rat(), it.UnitPrice.Rat())
		share, why := PaidShare(it.Score, r)
		paid := new(big.Rat).Mul(base, share.Rat())
		baseSum.Add(baseSum, base)
		paidSum.Add(paidSum, paid)
		g.Items = append(g.Items, ItemFee{GuaranteeItem: it, Base: money.RoundRat(base), BaseExact: exactYuan(base),
			Share: share, PaidExact: exactYuan(paid), Rule: "S-A3",
			Reason: fmt.Sprintf("%s × %s = %s; %s", it.Workload, it.UnitPrice, exactYuan(base), why)})
		parts = append(parts, exactYuan(paid))
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
