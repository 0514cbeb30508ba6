package partner

import (
	"fmt"

	"productgov/shared/money"
	"productgov/shared/period"
)

// Kinds of deposit-ledger posting (S§20).
const (
	PostingReceipt   = "receipt"   // the partner pays in
	PostingDeduction = "deduction" // a breach charge the settlement could not cover
	PostingRefund    = "refund"    // the balance returned after termination
)

// Posting is one movement on a partner's deposit.
type Posting struct {
	Kind      string       `json:"kind"`
	Amount    money.Amount `json:"amount"` // always positive; the kind gives the direction
	Date      period.Date  `json:"date"`
	Reference string       `json:"reference,omitempty"` // e.g. the penalty or settlement it belongs to
}

// DepositAccount is the state a posting is judged against.
type DepositAccount struct {
	Balance money.Amount `json:"balance"`
	// TerminatedOn is the day the partnership ended; zero while it runs.
	TerminatedOn period.Date `json:"terminatedOn"`
	// Owed is what the partner still owes (carried-forward charges); a refund
	// waits until it is settled.
	Owed money.Amount `json:"owed"`
}

// LedgerEntry is an applied posting with the balance before and after.
type LedgerEntry struct {
	Posting
	BalanceBefore money.Amount `json:"balanceBefore"`
	BalanceAfter  money.Amount `json:"balanceAfter"`
	Rule          string       `json:"rule"`
	Reason        string       `json:"reason"`
}

// ApplyPosting applies one posting to the deposit (S§20). A malformed posting
// returns FieldErrors; one the rules forbid returns a Refusal: a deduction
// larger than the balance (the deposit never goes negative; the caller carries
// the rest forward), a refund before RefundDelayMonths after termination, while
// anything is owed, or of other than the whole balance (余额退还).
func ApplyPosting(acct DepositAccount, p Posting, r DepositRules) (LedgerEntry, error) {
	errs := FieldErrors{}
	switch p.Kind {
	case PostingReceipt, PostingDeduction, PostingRefund:
	default:
		errs["kind"] = fmt.Sprintf("must be %s, %s or %s", PostingReceipt, PostingDeduction, PostingRefund)
	}
	if p.Amount <= 0 {
		errs["amount"] = "must be positive"
	}
	if p.Date.IsZero() {
		errs["date"] = "is required"
	}
	if acct.Balance < 0 {
		errs["balance"] = "must not be negative"
	}
	if acct.Owed < 0 {
		errs["owed"] = "must not be negative"
	}
	if err := errs.errOrNil(); err != nil {
		return LedgerEntry{}, err
	}
	e := LedgerEntry{Posting: p, BalanceBefore: acct.Balance, Rule: "S§20"}
	switch p.Kind {
	case PostingReceipt:
		e.BalanceAfter = acct.Balance + p.Amount
		e.Reason = fmt.Sprintf("deposit of %s received", p.Amount)
	case PostingDeduction:
		if p.Amount > acct.Balance {
			return LedgerEntry{}, Refusal{Rule: "S§20",
				Reason: fmt.Sprintf("deduction %s exceeds the deposit balance %s; the deposit never goes negative", p.Amount, acct.Balance)}
		}
		e.BalanceAfter = acct.Balance - p.Amount
		e.Reason = fmt.Sprintf("%s deducted from the deposit: the settlement could not cover it", p.Amount)
	case PostingRefund:
		if acct.TerminatedOn.IsZero() {
			return LedgerEntry{}, Refusal{Rule: "S§20", Reason: "the deposit is refunded only after the partnership has ended"}
		}
		from := RefundDate(acct.TerminatedOn, r)
		if p.Date.Before(from) {
			return LedgerEntry{}, Refusal{Rule: "S§20",
				Reason: fmt.Sprintf("terminated on %s: the deposit is refundable from %s", acct.TerminatedOn, from)}
		}
		if acct.Owed > 0 {
			return LedgerEntry{}, Refusal{Rule: "S§20",
				Reason: fmt.Sprintf("%s is still owed: the deposit is refunded only when nothing is owed", acct.Owed)}
		}
		if p.Amount != acct.Balance {
			return LedgerEntry{}, Refusal{Rule: "S§20",
				Reason: fmt.Sprintf("the refund returns the whole balance %s, not %s", acct.Balance, p.Amount)}
		}
		e.BalanceAfter = 0
		e.Reason = fmt.Sprintf("balance %s refunded %d months after termination on %s", p.Amount, r.RefundDelayMonths, acct.TerminatedOn)
	}
	return e, nil
}

// RefundDate is the first day the deposit may be refunded: RefundDelayMonths
// after the termination (S§20: 终止合作3个月后返还).
func RefundDate(terminatedOn period.Date, r DepositRules) period.Date {
	return terminatedOn.AddMonths(r.RefundDelayMonths)
}
