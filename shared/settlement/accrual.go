package settlement

import (
	"fmt"
	"math/big"
	"strings"

	"productgov/shared/money"
	"productgov/shared/period"
)

// Accrual is a month's booked expectation of a project's fee (S§17: 每月对当月
// 运营支撑费用进行财务预列). A reversal is an Accrual with the opposite amount.
type Accrual struct {
	ProjectID string       `json:"projectId"`
	Month     period.Month `json:"month"`
	Amount    money.Amount `json:"amount"`
	Rule      string       `json:"rule"`
	Reason    string       `json:"reason"`
}

// RevenueAccrual is a revenue-mode month's accrual: the month's revenue × the
// contribution rate, rounded half-up once. The workload minimum is judged only
// for the whole quarter, so the accrual assumes it will be met; the quarterly
// settlement reverses the accruals and books the real fee.
func RevenueAccrual(projectID string, month period.Month, monthRevenue money.Amount, rate money.Rate) (Accrual, error) {
	errs := FieldErrors{}
	if projectID == "" {
		errs["projectId"] = "is required"
	}
	if month.IsZero() {
		errs["month"] = "is required"
	}
	if monthRevenue < 0 {
		errs["revenue"] = "must not be negative"
	}
	if why := checkRate(rate); why != "" {
		errs["rate"] = why
	}
	if len(errs) > 0 {
		return Accrual{}, errs
	}
	fee := monthRevenue.MulRate(rate)
	return Accrual{ProjectID: projectID, Month: month, Amount: fee, Rule: "S§17",
		Reason: fmt.Sprintf("expected fee of %s: revenue %s × rate %s = %s", month, monthRevenue, rate, fee)}, nil
}

// PlannedItem is a guarantee work item's planned quarterly workload.
type PlannedItem struct {
	Name      string       `json:"name"`
	Workload  Quantity     `json:"workload"`
	UnitPrice money.Amount `json:"unitPrice"`
}

// GuaranteeAccrual is a guarantee-mode month's accrual. The month's expected
// fee is a third of the quarter's planned base (Σ planned workload × unit
// price, paid in full: scores are known only at the quarter's end). The first
// two months book the third rounded half-up; the quarter's last month books
// the rest, so the three accruals add up to the planned base exactly.
func GuaranteeAccrual(projectID string, month period.Month, plan []PlannedItem) (Accrual, error) {
	errs := FieldErrors{}
	if projectID == "" {
		errs["projectId"] = "is required"
	}
	if month.IsZero() {
		errs["month"] = "is required"
	}
	if len(plan) == 0 {
		errs["items"] = "at least one planned work item is required"
	}
	base := new(big.Rat)
	var parts []string
	for i, it := range plan {
		if strings.TrimSpace(it.Name) == "" {
			errs[fmt.Sprintf("items[%d].name", i)] = "is required"
		}
		if it.Workload < 0 {
			errs[fmt.Sprintf("items[%d].workload", i)] = "must not be negative"
		}
		if it.UnitPrice <= 0 {
			errs[fmt.Sprintf("items[%d].unitPrice", i)] = "must be positive"
		}
		base.Add(base, new(big.Rat).Mul(it.Workload.Rat(), it.UnitPrice.Rat()))
		parts = append(parts, fmt.Sprintf("%s × %s", it.Workload, it.UnitPrice))
	}
	if len(errs) > 0 {
		return Accrual{}, errs
	}
	third := money.RoundRat(new(big.Rat).Quo(base, big.NewRat(3, 1)))
	amount := third
	position := "a third"
	if month == month.Quarter().Months()[2] {
		amount = money.RoundRat(base) - 2*third
		position = "the rest after two thirds"
	}
	return Accrual{ProjectID: projectID, Month: month, Amount: amount, Rule: "S§17",
		Reason: fmt.Sprintf("%s of the quarter's planned base %s (%s) = %s", position, exactYuan(base), strings.Join(parts, " + "), amount)}, nil
}

// Reversal is the quarterly settlement's reversal of the quarter's accruals.
type Reversal struct {
	Quarter period.Quarter `json:"quarter"`
	Entries []Accrual      `json:"entries"` // one per accrual, amount negated
	Total   money.Amount   `json:"total"`   // the sum of Entries (≤ 0 for positive accruals)
	Rule    string         `json:"rule"`
	Reason  string         `json:"reason"`
}

// ReverseAccruals reverses a quarter's accruals when the quarter is settled
// (S§17: 每个季度结束后根据当季收入情况进行结算; for revenue mode the Q4 accruals
// are reversed by the January annual clearing, 调整十二月份的预列金额). Every
// accrual must lie in the quarter, and a project may not have two for a month.
func ReverseAccruals(q period.Quarter, accruals []Accrual) (Reversal, error) {
	errs := FieldErrors{}
	if q.Year == 0 {
		errs["quarter"] = "is required"
	}
	seen := map[string]bool{}
	for i, a := range accruals {
		key := a.ProjectID + "/" + a.Month.String()
		switch {
		case a.Month.Quarter() != q:
			errs[fmt.Sprintf("accruals[%d].month", i)] = fmt.Sprintf("%s is not in %s", a.Month, q)
		case seen[key]:
			errs[fmt.Sprintf("accruals[%d].month", i)] = fmt.Sprintf("project %s has two accruals for %s", a.ProjectID, a.Month)
		}
		seen[key] = true
	}
	if len(errs) > 0 {
		return Reversal{}, errs
	}
	rev := Reversal{Quarter: q, Entries: make([]Accrual, 0, len(accruals)), Rule: "S§17"}
	for _, a := range accruals {
		rev.Entries = append(rev.Entries, Accrual{ProjectID: a.ProjectID, Month: a.Month, Amount: -a.Amount, Rule: "S§17",
			Reason: fmt.Sprintf("reversal of the %s accrual at the %s settlement", a.Month, q)})
		rev.Total -= a.Amount
	}
	rev.Reason = fmt.Sprintf("%d accrual(s) of %s reversed: %s", len(accruals), q, rev.Total)
	return rev, nil
}
