package partner

import (
	"errors"
	"testing"

	"productgov/shared/money"
	"productgov/shared/period"
)

func TestApplyPosting(t *testing.T) {
	r := DefaultRules().Deposit
	d := period.MustDate
	running := DepositAccount{Balance: money.MustParse("300000")}
	ended := DepositAccount{Balance: money.MustParse("280000"), TerminatedOn: d("2026-03-31")}
	tests := []struct {
		name    string
		acct    DepositAccount
		p       Posting
		after   string
		refused bool
	}{
		{"receipt", DepositAccount{}, Posting{PostingReceipt, money.MustParse("300000"), d("2026-01-05"), ""}, "300000.00", false},
		{"deduction of the whole balance", running, Posting{PostingDeduction, money.MustParse("300000"), d("2026-04-10"), "fine"}, "0.00", false},
		{"deduction one fen above the balance", running, Posting{PostingDeduction, money.MustParse("300000.01"), d("2026-04-10"), ""}, "", true},
		{"refund while running", running, Posting{PostingRefund, money.MustParse("300000"), d("2026-04-10"), ""}, "", true},
		{"refund one day early", ended, Posting{PostingRefund, money.MustParse("280000"), d("2026-06-29"), ""}, "", true},
		{"refund three months after", ended, Posting{PostingRefund, money.MustParse("280000"), d("2026-06-30"), ""}, "0.00", false},
		{"refund while owed", DepositAccount{Balance: 100, TerminatedOn: d("2026-01-01"), Owed: 1}, Posting{PostingRefund, 100, d("2026-05-01"), ""}, "", true},
		{"partial refund", ended, Posting{PostingRefund, money.MustParse("1000"), d("2026-07-01"), ""}, "", true},
	}
	for _, tt := range tests {
		e, err := ApplyPosting(tt.acct, tt.p, r)
		var refusal Refusal
		if tt.refused {
			if !errors.As(err, &refusal) || refusal.Rule != "S§20" || refusal.Reason == "" {
				t.Errorf("%s: err = %v; want a S§20 refusal", tt.name, err)
			}
			continue
		}
		if err != nil || e.BalanceAfter.String() != tt.after || e.BalanceBefore != tt.acct.Balance || e.Rule != "S§20" {
			t.Errorf("%s: %+v, %v; want balance %s", tt.name, e, err, tt.after)
		}
	}
}

func TestApplyPostingValidation(t *testing.T) {
	_, err := ApplyPosting(DepositAccount{Balance: -1, Owed: -1}, Posting{Kind: "gift", Amount: 0}, DefaultRules().Deposit)
	var fe FieldErrors
	if !errors.As(err, &fe) || len(fe) != 5 {
		t.Fatalf("err = %v; want kind, amount, date, balance and owed", err)
	}
	if _, err := ApplyPosting(DepositAccount{}, Posting{PostingReceipt, -5, period.MustDate("2026-01-01"), ""}, DefaultRules().Deposit); err == nil {
		t.Error("negative receipt accepted")
	}
}

func TestDepositRefundPlan(t *testing.T) {
	p := DepositRefundPlan(DefaultRules().Deposit)
	if len(p.Stages) != 2 || p.Stages[1].Roles[0] != RoleDeputyGM || p.Rule != "S§20" {
		t.Errorf("plan = %+v", p)
	}
}
