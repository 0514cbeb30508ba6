package settlement

import (
	"fmt"

	"productgov/shared/money"
)

// Kinds of a quarter's deduction (SPEC 4.4).
const (
	DeductionPenalty     = "penalty"      // a fine, and for economic_loss the loss (S§19)
	DeductionStaffChange = "staff_change" // a core-staff change charge (S§21)
)

// Deduction is a charge taken from a quarter's settlement.
type Deduction struct {
	Kind      string       `json:"kind"`
	Reference string       `json:"reference,omitempty"` // the penalty or staff change it comes from
	Amount    money.Amount `json:"amount"`
	Rule      string       `json:"rule,omitempty"` // the article that set it, e.g. S§19.1
}

// DeductionInput is what the waterfall takes besides the fee.
type DeductionInput struct {
	// Deductions are the quarter's fines and staff-change charges.
	Deductions []Deduction `json:"deductions"`
	// CarriedCharges are charges of earlier quarters neither fee nor deposit could cover.
	CarriedCharges money.Amount `json:"carriedCharges"`
	// CarriedRecovery is an overpayment still to recover (a negative Q4 clearing, S§17).
	CarriedRecovery money.Amount `json:"carriedRecovery"`
	// DepositBalance is the partner's deposit before this settlement.
	DepositBalance money.Amount `json:"depositBalance"`
}

// DeductionResult is the waterfall of one settlement. Deductions =
// FromFee + FromDeposit + CarriedForward, and Payable = max(fee, 0) − FromFee.
type DeductionResult struct {
	Fee money.Amount `json:"fee"`
	// Charges are this quarter's deductions plus the carried charges.
	Charges money.Amount `json:"charges"`
	// Recovery is the overpayment to recover: a negative fee plus the carried recovery.
	Recovery money.Amount `json:"recovery"`
	// Deductions is everything due against this settlement: Charges + Recovery.
	Deductions      money.Amount `json:"deductions"`
	FromFee         money.Amount `json:"fromFee"`
	FromDeposit     money.Amount `json:"fromDeposit"`
	CarriedCharges  money.Amount `json:"carriedCharges"`
	CarriedRecovery money.Amount `json:"carriedRecovery"`
	CarriedForward  money.Amount `json:"carriedForward"` // CarriedCharges + CarriedRecovery
	Payable         money.Amount `json:"payable"`
	DepositAfter    money.Amount `json:"depositAfter"`
	Rule            string       `json:"rule"`
	Reason          string       `json:"reason"`
}

// ApplyDeductions runs the deductions waterfall of S§20 and S§21 (在结算款不能
// 抵扣的情况下, 则从支撑保证金中扣除): the fee first recovers any overpayment,
// then pays the charges; charges the fee cannot cover come from the deposit,
// and what the deposit cannot cover is carried forward. An overpayment is
// recovered from payments only, never from the deposit: S§17 clears it against
// the next payment, and S§20 keeps the deposit for breaches.
func ApplyDeductions(fee money.Amount, in DeductionInput) (DeductionResult, error) {
	errs := FieldErrors{}
	charges := in.CarriedCharges
	for i, d := range in.Deductions {
		if d.Kind != DeductionPenalty && d.Kind != DeductionStaffChange {
			errs[fmt.Sprintf("deductions[%d].kind", i)] = "must be penalty or staff_change"
		}
		if d.Amount < 0 {
			errs[fmt.Sprintf("deductions[%d].amount", i)] = "must not be negative"
		}
		charges += d.Amount
	}
	for field, v := range map[string]money.Amount{"carriedCharges": in.CarriedCharges,
		"carriedRecovery": in.CarriedRecovery, "depositBalance": in.DepositBalance} {
		if v < 0 {
			errs[field] = "must not be negative"
		}
	}
	if len(errs) > 0 {
		return DeductionResult{}, errs
	}
	available := money.Max(fee, 0)
	recovery := in.CarriedRecovery + money.Max(-fee, 0)
	recovered := money.Min(available, recovery)
	available -= recovered
	chargedFromFee := money.Min(available, charges)
	available -= chargedFromFee
	fromDeposit := money.Min(in.DepositBalance, charges-chargedFromFee)

	res := DeductionResult{Fee: fee, Charges: charges, Recovery: recovery, Deductions: charges + recovery,
		FromFee: recovered + chargedFromFee, FromDeposit: fromDeposit,
		CarriedCharges: charges - chargedFromFee - fromDeposit, CarriedRecovery: recovery - recovered,
		Payable: available, DepositAfter: in.DepositBalance - fromDeposit, Rule: "S§20"}
	res.CarriedForward = res.CarriedCharges + res.CarriedRecovery
	if res.Deductions == 0 {
		res.Reason = fmt.Sprintf("nothing to deduct: %s payable", res.Payable)
		return res, nil
	}
	res.Reason = fmt.Sprintf("deductions %s (charges %s, recovery %s): %s from the fee, %s from the deposit, %s carried forward; %s payable",
		res.Deductions, charges, recovery, res.FromFee, res.FromDeposit, res.CarriedForward, res.Payable)
	return res, nil
}
