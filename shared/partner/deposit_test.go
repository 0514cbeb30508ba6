package partner

import (
	"errors"
	"strings"
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

// S§8.6(1), S§20: the deposit is paid in one sum of 300,000 before the
// agreement is signed; an instalment, a second receipt or a late one is
// refused with the article named.
func TestCheckDepositReceipt(t *testing.T) {
	r := DefaultRules().Deposit
	paid := period.MustDate("2024-12-20")
	tests := []struct {
		name   string
		p      Partner
		amount string
		ok     bool
	}{
		{"the whole deposit in one sum", Partner{}, "300000.00", true},
		{"an instalment", Partner{}, "200000.00", false},
		{"more than the deposit", Partner{}, "300000.01", false},
		{"a second receipt", Partner{DepositPaidOn: &paid}, "300000.00", false},
		{"after the agreement was signed: late", Partner{Agreement: &Agreement{Start: period.MustDate("2025-01-01")}}, "300000.00", false},
	}
	for _, tt := range tests {
		err := CheckDepositReceipt(tt.p, money.MustParse(tt.amount), r)
		var rf Refusal
		if (err == nil) != tt.ok || (err != nil && (!errors.As(err, &rf) || !strings.Contains(rf.Rule, "S§20"))) {
			t.Errorf("%s: err = %v", tt.name, err)
		}
	}
}

// S§20: 于正式签署合作协议前10个工作日内 — the signing day and the tenth working
// day before it are inside; the eleventh, or a day after the signing, are not.
func TestCheckDepositWindow(t *testing.T) {
	r := DefaultRules().Deposit
	cal := period.Calendar{}
	signed := period.MustDate("2025-01-01") // a Wednesday
	tests := []struct {
		paid string
		ok   bool
	}{
		{"2025-01-01", true},  // the signing day itself
		{"2024-12-18", true},  // the 10th working day before
		{"2024-12-17", false}, // the 11th: too early
		{"2025-01-02", false}, // after the signing: late
	}
	for _, tt := range tests {
		why := CheckDepositWindow(period.MustDate(tt.paid), signed, cal, r)
		if (why == "") != tt.ok {
			t.Errorf("paid %s: %q", tt.paid, why)
		}
	}
	r.PaymentWindowWorkingDays = 0
	if why := CheckDepositWindow(period.MustDate("2020-01-01"), signed, cal, r); why != "" {
		t.Errorf("no window in the policy: %q", why)
	}
	// Activation names the date refusal with S§20.
	a, err := Activate(ActivationInput{Screening: Screening{Eligible: true}, DepositBalance: money.FromYuan(300_000),
		DepositPaidOn: ptrDate("2024-12-17"), Calendar: cal, StartDate: signed}, DefaultRules())
	if err != nil || a.Allowed || len(a.Refusals) != 1 || a.Refusals[0].Criterion != "depositDate" || a.Refusals[0].Article != "S§20" {
		t.Errorf("activation with an early deposit: %+v %v", a, err)
	}
}

func ptrDate(s string) *period.Date { d := period.MustDate(s); return &d }

// S§20: a refund needs the deposit receipt, or for a lost one the partner's
// recorded commitment letter.
func TestCheckRefundProof(t *testing.T) {
	tests := []struct {
		receipt, letter, field string
	}{
		{ReceiptProvided, "", ""},
		{ReceiptLost, "承诺函〔2027〕1号", ""},
		{ReceiptLost, " ", "commitmentLetter"},
		{ReceiptProvided, "承诺函", "commitmentLetter"},
		{"copy", "", "receipt"},
	}
	for _, tt := range tests {
		err := CheckRefundProof(tt.receipt, tt.letter)
		var fe FieldErrors
		if tt.field == "" && err != nil || tt.field != "" && (!errors.As(err, &fe) || fe[tt.field] == "") {
			t.Errorf("%s %q: err = %v", tt.receipt, tt.letter, err)
		}
	}
}
