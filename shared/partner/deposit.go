package partner

import (
	"fmt"
	"strings"

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

// CheckDepositReceipt applies S§8.6(1) and S§20 to a receipt of the deposit:
// it is paid in one sum of the required amount (一次性交纳), before the
// agreement is signed. An instalment, a second receipt, or a receipt once the
// agreement is in force (late) is refused with the article named.
func CheckDepositReceipt(p Partner, amount money.Amount, r DepositRules) error {
	switch {
	case p.Agreement != nil:
		return Refusal{Rule: "S§20", Reason: fmt.Sprintf("the agreement was signed on %s: the deposit is paid before it is signed (于正式签署合作协议前…交纳); a receipt now is late", p.Agreement.Start)}
	case p.DepositPaidOn != nil:
		return Refusal{Rule: "S§8.6(1), S§20", Reason: fmt.Sprintf("the deposit was paid in one sum on %s: it is not paid in instalments (一次性交纳)", *p.DepositPaidOn)}
	case amount != r.Required:
		return Refusal{Rule: "S§8.6(1), S§20", Reason: fmt.Sprintf("the deposit is paid in one sum of %s (一次性交纳支撑保证金); %s is refused", r.Required, amount)}
	}
	return nil
}

// CheckDepositWindow applies S§20 at the agreement's signing: the deposit
// was paid within the PaymentWindowWorkingDays working days before it, the
// signing day included (于正式签署合作协议前10个工作日内). It returns "" when it
// was, else why not.
func CheckDepositWindow(paidOn, signedOn period.Date, cal period.Calendar, r DepositRules) string {
	if r.PaymentWindowWorkingDays <= 0 {
		return ""
	}
	if paidOn.After(signedOn) {
		return fmt.Sprintf("the deposit paid on %s is late: it is paid before the agreement is signed on %s", paidOn, signedOn)
	}
	// The window opens PaymentWindowWorkingDays working days before the signing.
	if cal.AddWorkingDays(paidOn, r.PaymentWindowWorkingDays).Before(signedOn) {
		return fmt.Sprintf("the deposit paid on %s is more than %d working days before the signing on %s", paidOn, r.PaymentWindowWorkingDays, signedOn)
	}
	return ""
}

// How a partner proves its deposit payment when it asks for the balance back.
const (
	ReceiptProvided = "provided" // the deposit receipt (保证金收据)
	ReceiptLost     = "lost"     // lost: a commitment letter (承诺函) stands in for it
)

// CheckRefundProof applies S§20 to a refund request: the partner provides
// its deposit receipt, or, when it was lost, a recorded commitment letter
// (如合作伙伴保证金收据丢失，还需合作伙伴出具承诺函). Each missing item is named.
func CheckRefundProof(receipt, commitmentLetter string) error {
	errs := FieldErrors{}
	switch receipt {
	case ReceiptProvided:
		if strings.TrimSpace(commitmentLetter) != "" {
			errs["commitmentLetter"] = "is for a lost receipt only (S§20)"
		}
	case ReceiptLost:
		if strings.TrimSpace(commitmentLetter) == "" {
			errs["commitmentLetter"] = "is required: a lost deposit receipt needs the partner's commitment letter (承诺函) recorded before the refund (S§20)"
		}
	default:
		errs["receipt"] = "must be provided or lost (S§20: 提供保证金收据, or a commitment letter when it was lost)"
	}
	return errs.errOrNil()
}
