package settlement

import (
	"fmt"

	"productgov/shared/money"
	"productgov/shared/partner"
	"productgov/shared/period"
	"productgov/shared/reason"
)

// Statement kinds.
const (
	KindQuarterly      = "quarterly"       // S§15: a quarter's settlement (S-A3)
	KindAnnualClearing = "annual_clearing" // S§17: January's clearing, in place of a revenue-mode Q4 (S-A5)
)

// Statement statuses: computed, then marketing confirms the revenue, then
// finance approves (S§15, S§18); either may return it for recomputation.
const (
	StatusDraft            = "draft"
	StatusRevenueConfirmed = "revenue_confirmed"
	StatusApproved         = "approved"
	StatusReturned         = "returned"
)

// Statement decisions.
const (
	DecisionApprove = "approve"
	DecisionReturn  = "return"
)

// Statement is one project's settlement for a quarter, with the SPEC 8 fields
// first and then how they were reached.
type Statement struct {
	ProjectID   string        `json:"projectId"`
	Mode        partner.Mode  `json:"mode"`
	Revenue     *money.Amount `json:"revenue"` // revenue mode
	Rate        *money.Rate   `json:"rate"`    // revenue mode
	Base        *money.Amount `json:"base"`    // guarantee mode, Σ bases rounded once
	Share       *money.Rate   `json:"share"`   // guarantee mode, when every item has the same share
	Fee         money.Amount  `json:"fee"`
	Deductions  money.Amount  `json:"deductions"`
	FromDeposit money.Amount  `json:"fromDeposit"`
	Payable     money.Amount  `json:"payable"`
	Status      string        `json:"status"`

	Quarter        period.Quarter `json:"quarter"`
	Kind           string         `json:"kind"`
	FromFee        money.Amount   `json:"fromFee"`
	CarriedForward money.Amount   `json:"carriedForward"`
	Flags          []string       `json:"flags"`
	// Items are the guarantee items' computations.
	Items []ItemFee `json:"items,omitempty"`
	// Sheets are the guarantee sheets scored as a whole (S-A3 表二).
	Sheets []SheetFee `json:"sheets,omitempty"`
	// Clearing is the annual clearing behind a KindAnnualClearing statement.
	Clearing *Clearing       `json:"clearing,omitempty"`
	Ledger   DeductionResult `json:"ledger"`
	// QuarterInput or ClearingInput is what the statement was computed from.
	QuarterInput  *QuarterInput  `json:"quarterInput,omitempty"`
	ClearingInput *ClearingInput `json:"clearingInput,omitempty"`
	Rule          string         `json:"rule"`
	Reason        string         `json:"reason"`
	// Reasons are Reason machine-readable: codes of the reason catalog
	// (shared/reason) with their parameters; pages render them in Chinese.
	Reasons []reason.Reason `json:"reasons"`
}

// QuarterInput is what a quarterly settlement takes (SPEC 4.3 quarter inputs).
type QuarterInput struct {
	ProjectID   string         `json:"projectId"`
	Quarter     period.Quarter `json:"quarter"`
	BenefitType string         `json:"benefitType"`
	// Revenue mode: the quarter's revenue (sum of the monthly records), the
	// project's rate, the quarter's workload and the contract minimum.
	Revenue     money.Amount `json:"revenue"`
	Rate        money.Rate   `json:"rate"`
	Workload    Quantity     `json:"workload"`
	MinWorkload Quantity     `json:"minWorkload"`
	// Guarantee mode: each work item's workload, unit price and score, and
	// the one total score of each sheet scored as a whole (S-A3 表二).
	Items       []GuaranteeItem          `json:"items"`
	SheetScores map[string]partner.Score `json:"sheetScores,omitempty"`
	Ledger      DeductionInput           `json:"ledger"`
}

// SettleQuarter computes a project's quarterly statement: the fee by the
// project's mode (S§15, S§16, S-A3), then the deductions waterfall (S§20). A
// revenue-mode Q4 is refused: the January annual clearing settles it (S§17).
func SettleQuarter(in QuarterInput, r Rules) (Statement, error) {
	errs := FieldErrors{}
	if in.ProjectID == "" {
		errs["projectId"] = "is required"
	}
	if in.Quarter.Year == 0 {
		errs["quarter"] = "is required"
	}
	mode, ok := partner.ModeOf(in.BenefitType)
	if !ok {
		errs["benefitType"] = "must be direct, indirect or guarantee"
	}
	if len(errs) > 0 {
		return Statement{}, errs
	}
	if mode == partner.ModeRevenue && in.Quarter.Q == 4 {
		return Statement{}, Refusal{Rule: "S§17",
			Reason: fmt.Sprintf("%s of a revenue-mode project is settled by the annual clearing in January", in.Quarter)}
	}
	input := in
	s := Statement{ProjectID: in.ProjectID, Mode: mode, Quarter: in.Quarter, Kind: KindQuarterly, Status: StatusDraft,
		QuarterInput: &input}
	var fee money.Amount
	var feeReason string
	switch mode {
	case partner.ModeRevenue:
		f, err := ComputeRevenueFee(in.Revenue, in.Rate, in.Workload, in.MinWorkload)
		if err != nil {
			return Statement{}, err
		}
		revenue, rate := f.Revenue, f.Rate
		s.Revenue, s.Rate, s.Flags, s.Rule = &revenue, &rate, f.Flags, f.Rule
		fee, feeReason = f.Fee, f.Reason
	case partner.ModeGuarantee:
		g, err := ComputeGuaranteeFee(in.Items, in.SheetScores, r.Share)
		if err != nil {
			return Statement{}, err
		}
		base := g.Base
		s.Base, s.Share, s.Items, s.Sheets, s.Flags, s.Rule = &base, g.Share, g.Items, g.Sheets, []string{}, g.Rule
		fee, feeReason = g.Fee, g.Reason
	}
	return withLedger(s, fee, feeReason, in.Ledger)
}

// SettleAnnualClearing computes the January statement that replaces a
// revenue-mode project's Q4 (S§17, S§18, S-A5): its fee is the Q4 clearing,
// which may be negative and is then recovered from the next payment.
func SettleAnnualClearing(in ClearingInput) (Statement, error) {
	c, err := ComputeAnnualClearing(in)
	if err != nil {
		return Statement{}, err
	}
	input := in
	revenue, rate := c.AnnualRevenue, c.Rate
	s := Statement{ProjectID: in.ProjectID, Mode: partner.ModeRevenue, Revenue: &revenue, Rate: &rate,
		Quarter: period.Quarter{Year: in.Year, Q: 4}, Kind: KindAnnualClearing, Status: StatusDraft,
		Flags: c.Flags, Clearing: &c, ClearingInput: &input, Rule: c.Rule}
	return withLedger(s, c.Q4Clearing, c.Reason, in.Ledger)
}

func withLedger(s Statement, fee money.Amount, feeReason string, in DeductionInput) (Statement, error) {
	l, err := ApplyDeductions(fee, in)
	if err != nil {
		prefixed := FieldErrors{}
		for f, why := range err.(FieldErrors) {
			prefixed["ledger."+f] = why
		}
		return Statement{}, prefixed
	}
	s.Fee, s.Deductions, s.FromFee, s.FromDeposit = fee, l.Deductions, l.FromFee, l.FromDeposit
	s.CarriedForward, s.Payable, s.Ledger = l.CarriedForward, l.Payable, l
	s.Reason = feeReason + "; " + l.Reason
	s.Reasons = append(feeReasons(s), ledgerReason(l))
	return s, nil
}

// feeReasons explain a statement's fee (S§15–S§18, S-A3, S-A5).
func feeReasons(s Statement) []reason.Reason {
	held := false
	for _, f := range s.Flags {
		held = held || f == FlagWorkloadBelowMinimum
	}
	switch {
	case s.Clearing != nil && s.ClearingInput != nil:
		c, in := s.Clearing, s.ClearingInput
		out := []reason.Reason{reason.New("clearing_fee", "revenue", c.AnnualRevenue.String(), "rate", c.Rate.String(), "annualFee", c.FeeAtRate.String())}
		if c.DeclineRule && c.LastYear != nil {
			out = append(out, reason.New("clearing_decline", "lastRevenue", c.LastYear.Revenue.String(), "revenue", c.AnnualRevenue.String(),
				"lastFee", c.LastYear.Fee.String(), "annualFee", c.AnnualFee.String()))
		}
		out = append(out, reason.New("clearing_q4", "annualFee", c.AnnualFee.String(), "settled", c.SettledQ1toQ3.String(),
			"fee", (c.AnnualFee-c.SettledQ1toQ3).String()))
		if held && c.AnnualFee-c.SettledQ1toQ3 > 0 {
			out = append(out, reason.New("clearing_held", "workload", in.Q4Workload.String(), "min", in.MinWorkload.String()))
		}
		return out
	case s.Mode == partner.ModeRevenue && s.QuarterInput != nil:
		in := s.QuarterInput
		if held {
			return []reason.Reason{reason.New("fee_held", "workload", in.Workload.String(), "min", in.MinWorkload.String())}
		}
		return []reason.Reason{reason.New("revenue_fee", "revenue", in.Revenue.String(), "rate", in.Rate.String(), "fee", s.Fee.String())}
	default:
		base := ""
		if s.Base != nil {
			base = s.Base.String()
		}
		return []reason.Reason{reason.New("guarantee_fee", "base", base, "fee", s.Fee.String())}
	}
}

// ledgerReason explains the deductions of S§19–S§21 and what is payable.
func ledgerReason(l DeductionResult) reason.Reason {
	if l.Deductions == 0 {
		return reason.New("nothing_to_deduct", "payable", l.Payable.String())
	}
	return reason.New("deductions", "deductions", l.Deductions.String(), "fromFee", l.FromFee.String(),
		"fromDeposit", l.FromDeposit.String(), "carried", l.CarriedForward.String(), "payable", l.Payable.String())
}

// StatementApprovalPlan returns the approval a statement goes through (S§15:
// 市场营销部确认收入后, 进行结算; S§18: 市场营销部、财务部确认收入及成本).
func StatementApprovalPlan(r Rules) partner.ApprovalPlan {
	return partner.ApprovalPlan{Rule: "S§15", Reason: "marketing confirms the revenue, then finance approves",
		Stages: []partner.ApprovalStage{
			{Step: "confirm_revenue", Action: partner.ActionCountersign, Roles: []string{r.ConfirmRole}},
			{Step: "approve", Action: partner.ActionApprove, Roles: []string{r.ApproveRole}},
		}}
}

// AdvanceStatement moves a statement through its approval: from draft,
// ConfirmRole's approval confirms the revenue; then ApproveRole's approval
// approves it. Either may return it. Acting out of turn is refused.
func AdvanceStatement(status, role, decision string, r Rules) (string, error) {
	if decision != DecisionApprove && decision != DecisionReturn {
		return "", FieldErrors{"decision": "must be approve or return"}
	}
	var awaited, next string
	switch status {
	case StatusDraft:
		awaited, next = r.ConfirmRole, StatusRevenueConfirmed
	case StatusRevenueConfirmed:
		awaited, next = r.ApproveRole, StatusApproved
	case StatusApproved, StatusReturned:
		return "", Refusal{Rule: "S§15", Reason: "the statement is " + status + ": nothing awaits a decision"}
	default:
		return "", FieldErrors{"status": "unknown statement status " + status}
	}
	if role != awaited {
		return "", Refusal{Rule: "S§15", Reason: fmt.Sprintf("the %s statement awaits %s, not %s", status, awaited, role)}
	}
	if decision == DecisionReturn {
		return StatusReturned, nil
	}
	return next, nil
}
