package settlement

import (
	"fmt"

	"productgov/shared/money"
	"productgov/shared/period"
)

// YearFigures are a project's revenue and settled fee of one year.
type YearFigures struct {
	Revenue money.Amount `json:"revenue"`
	Fee     money.Amount `json:"fee"`
}

// ClearingInput is what the annual clearing of a revenue-mode project takes (S-A5).
type ClearingInput struct {
	ProjectID     string       `json:"projectId"`
	Year          int          `json:"year"` // the year cleared
	AnnualRevenue money.Amount `json:"annualRevenue"`
	Rate          money.Rate   `json:"rate"`
	// LastYear holds the previous year's revenue and fee; nil in a project's first year.
	LastYear *YearFigures `json:"lastYear"`
	// SettledQ1toQ3 is the sum of the fees settled for Q1–Q3 (S-A5: 前3季度结算费用).
	SettledQ1toQ3 money.Amount `json:"settledQ1toQ3"`
	// Q4Workload and MinWorkload judge the Q4 workload floor (S§15).
	Q4Workload  Quantity `json:"q4Workload"`
	MinWorkload Quantity `json:"minWorkload"`
	// Ledger is the deductions input of the clearing statement (SettleAnnualClearing).
	Ledger DeductionInput `json:"ledger"`
}

// Clearing is the annual clearing of a revenue-mode project (S§16–S§18, S-A5).
type Clearing struct {
	Year          int          `json:"year"`
	AnnualRevenue money.Amount `json:"annualRevenue"`
	Rate          money.Rate   `json:"rate"`
	FeeAtRate     money.Amount `json:"feeAtRate"` // annual revenue × rate
	LastYear      *YearFigures `json:"lastYear"`
	// DeclineRule is true when revenue fell and the fee at rate exceeded last
	// year's: the annual fee then follows last year's fee-to-revenue ratio (S§16).
	DeclineRule   bool         `json:"declineRule"`
	AnnualFee     money.Amount `json:"annualFee"`
	SettledQ1toQ3 money.Amount `json:"settledQ1toQ3"`
	// Q4Clearing is the annual fee less Q1–Q3's fees; negative when overpaid,
	// recovered from the next payment.
	Q4Clearing money.Amount `json:"q4Clearing"`
	Flags      []string     `json:"flags"`
	Rule       string       `json:"rule"`
	Reason     string       `json:"reason"`
}

// ClearingYear tells whether month m is the clearing month and which year it
// clears (S§17: 在次年一月份 … 清算全年费用).
func ClearingYear(m period.Month, r Rules) (int, bool) {
	if int(m.Month) != r.ClearingMonth {
		return 0, false
	}
	return m.Year - 1, true
}

// ComputeAnnualClearing clears a revenue-mode project's year, replacing its Q4
// settlement (S§17, S-A5). Annual fee = annual revenue × rate; but if the
// revenue fell below last year's and that fee exceeds last year's fee, annual
// fee = annual revenue × (last year's fee ÷ last year's revenue), exact and
// rounded half-up once (S§16: 依上年该产品的支撑成本占收比 … 进行结算). Q4
// clearing = annual fee − fees settled for Q1–Q3, and may be negative. When
// Q4's workload missed the minimum, a positive Q4 clearing is held at 0 and
// flagged, while a negative one is still recovered.
func ComputeAnnualClearing(in ClearingInput) (Clearing, error) {
	errs := FieldErrors{}
	if in.ProjectID == "" {
		errs["projectId"] = "is required"
	}
	if in.Year < 1900 {
		errs["year"] = "is required"
	}
	if in.AnnualRevenue < 0 {
		errs["annualRevenue"] = "must not be negative"
	}
	if why := checkRate(in.Rate); why != "" {
		errs["rate"] = why
	}
	if in.LastYear != nil {
		if in.LastYear.Revenue < 0 {
			errs["lastYear.revenue"] = "must not be negative"
		}
		if in.LastYear.Fee < 0 {
			errs["lastYear.fee"] = "must not be negative"
		}
	}
	if in.SettledQ1toQ3 < 0 {
		errs["settledQ1toQ3"] = "must not be negative"
	}
	if in.Q4Workload < 0 {
		errs["q4Workload"] = "must not be negative"
	}
	if in.MinWorkload < 0 {
		errs["minWorkload"] = "must not be negative"
	}
	if len(errs) > 0 {
		return Clearing{}, errs
	}
	c := Clearing{Year: in.Year, AnnualRevenue: in.AnnualRevenue, Rate: in.Rate, FeeAtRate: in.AnnualRevenue.MulRate(in.Rate),
		LastYear: in.LastYear, SettledQ1toQ3: in.SettledQ1toQ3, Flags: []string{}, Rule: "S-A5"}
	c.AnnualFee = c.FeeAtRate
	basis := fmt.Sprintf("annual fee %s × %s = %s", in.AnnualRevenue, in.Rate, c.FeeAtRate)
	switch {
	case in.LastYear == nil:
		basis += " (first year: no decline rule)"
	case in.AnnualRevenue < in.LastYear.Revenue && c.FeeAtRate > in.LastYear.Fee:
		c.DeclineRule = true
		c.Rule = "S§16"
		c.AnnualFee = in.AnnualRevenue.MulDiv(in.LastYear.Fee, in.LastYear.Revenue)
		basis = fmt.Sprintf("revenue fell from %s to %s and %s × %s = %s exceeds last year's fee %s: annual fee = %s × %s ÷ %s = %s",
			in.LastYear.Revenue, in.AnnualRevenue, in.AnnualRevenue, in.Rate, c.FeeAtRate, in.LastYear.Fee,
			in.AnnualRevenue, in.LastYear.Fee, in.LastYear.Revenue, c.AnnualFee)
	}
	c.Q4Clearing = c.AnnualFee - in.SettledQ1toQ3
	c.Reason = fmt.Sprintf("%s; Q4 clearing = %s − %s settled for Q1–Q3 = %s", basis, c.AnnualFee, in.SettledQ1toQ3, c.Q4Clearing)
	if in.Q4Workload < in.MinWorkload {
		c.Flags = append(c.Flags, FlagWorkloadBelowMinimum)
		if c.Q4Clearing > 0 {
			c.Reason += fmt.Sprintf("; Q4 workload %s below the minimum %s: held at 0", in.Q4Workload, in.MinWorkload)
			c.Q4Clearing = 0
		}
	}
	return c, nil
}
