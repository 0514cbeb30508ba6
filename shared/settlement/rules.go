// Package settlement computes the quarterly settlement of operation-support
// projects (seed 003, S§15–S§18, S-A3–S-A5; SPEC 4.3): the revenue-mode and
// guarantee-mode fees, the deductions waterfall over fee, deposit and carry,
// monthly accruals and their reversal, and the January annual clearing. It is
// pure: every function takes its inputs and the Rules and never reads the
// clock, the network or storage.
package settlement

import (
	"fmt"
	"math/big"

	"productgov/shared/money"
	"productgov/shared/partner"
)

// FieldErrors names each invalid field and why; it is partner.FieldErrors, so
// callers handle one type for both packages.
type FieldErrors = partner.FieldErrors

// Refusal is a well-formed request a rule forbids; it is partner.Refusal.
type Refusal = partner.Refusal

// Rules holds the settlement part of the versioned policy document (SPEC 7).
type Rules struct {
	// DefaultRates are the contribution rates a project gets when it names none (S§16, S-A4).
	DefaultRates []DefaultRate `json:"defaultRates"`
	// Share is the guarantee-mode paid share by score (S-A3 表二–表五 说明).
	Share ShareRules `json:"share"`
	// ClearingMonth is the month (1–12) in which the previous year is cleared (S§17: 次年一月份).
	ClearingMonth int `json:"clearingMonth"`
	// ConfirmRole confirms a statement's revenue, then ApproveRole approves it (S§15, S§18).
	ConfirmRole string `json:"confirmRole"`
	ApproveRole string `json:"approveRole"`
}

// DefaultRate is the contribution rate of a benefit and content type, with the
// derivation it rests on.
type DefaultRate struct {
	BenefitType string     `json:"benefitType"`
	ContentType string     `json:"contentType"`
	Rate        money.Rate `json:"rate"`
	Basis       string     `json:"basis"`
}

// ShareRules turn a guarantee item's score into the share of its base paid:
// ≥ FullScore pays all; from FloorScore up to FullScore each point below
// FullScore takes StepPerPoint off (fractions of a point proportionally);
// below FloorScore pays LowShare.
type ShareRules struct {
	FullScore    partner.Score `json:"fullScore"`    // 85分(含85分)以上则不扣除服务费用
	FloorScore   partner.Score `json:"floorScore"`   // 60分(含60分)-85分之间 …
	StepPerPoint money.Rate    `json:"stepPerPoint"` // … 每1分为一个评分单位, 下浮2%
	LowShare     money.Rate    `json:"lowShare"`     // 60分以下, 扣除合计费用的60%
}

// DefaultRules returns SPEC 4.3's defaults.
func DefaultRules() Rules {
	return Rules{
		DefaultRates: []DefaultRate{{
			BenefitType: partner.BenefitDirect, ContentType: partner.ContentOrdinary,
			Rate:  money.NewRate(27, 1000),
			Basis: "S-A4: 9% support share of the product × the partner's 30% of the 7:3 split",
		}},
		Share: ShareRules{
			FullScore:    partner.Points(85),
			FloorScore:   partner.Points(60),
			StepPerPoint: money.NewRate(2, 100),
			LowShare:     money.NewRate(40, 100),
		},
		ClearingMonth: 1,
		ConfirmRole:   partner.DeptMarketing,
		ApproveRole:   partner.DeptFinance,
	}
}

// Validate checks that a policy's settlement rules are usable, naming every problem.
func (r Rules) Validate() error {
	errs := FieldErrors{}
	seen := map[string]bool{}
	for i, d := range r.DefaultRates {
		field := fmt.Sprintf("defaultRates[%d]", i)
		if _, ok := partner.ModeOf(d.BenefitType); !ok || !partner.IsContentType(d.ContentType) {
			errs[field] = "needs a known benefitType and contentType"
		} else if seen[d.BenefitType+"/"+d.ContentType] {
			errs[field] = "repeats " + d.BenefitType + "/" + d.ContentType
		} else if err := checkRate(d.Rate); err != "" {
			errs[field+".rate"] = err
		}
		seen[d.BenefitType+"/"+d.ContentType] = true
	}
	s := r.Share
	if s.FloorScore.Sign() < 0 || s.FullScore.Cmp(s.FloorScore) < 0 || s.FullScore.Cmp(partner.Points(100)) > 0 {
		errs["share.fullScore"] = "needs 0 ≤ floorScore ≤ fullScore ≤ 100"
	}
	if s.LowShare.Cmp(money.NewRate(1, 1)) > 0 {
		errs["share.lowShare"] = "must be at most 1"
	}
	// At the floor the sliding share must not fall below the low share, or a
	// better score would pay less.
	atFloor := new(big.Rat).Sub(big.NewRat(1, 1), new(big.Rat).Mul(s.StepPerPoint.Rat(), s.FullScore.Sub(s.FloorScore).Rat()))
	if atFloor.Cmp(s.LowShare.Rat()) < 0 {
		errs["share.stepPerPoint"] = "makes the share at floorScore lower than lowShare"
	}
	if r.ClearingMonth < 1 || r.ClearingMonth > 12 {
		errs["clearingMonth"] = "must be between 1 and 12"
	}
	if r.ConfirmRole == "" {
		errs["confirmRole"] = "is required"
	}
	if r.ApproveRole == "" {
		errs["approveRole"] = "is required"
	}
	if len(errs) == 0 {
		return nil
	}
	return errs
}

// checkRate returns why a contribution rate is out of range, or "" (S§16: 0 < rate < 1).
func checkRate(rate money.Rate) string {
	if rate.Rat().Sign() <= 0 || rate.Cmp(money.NewRate(1, 1)) >= 0 {
		return "must be greater than 0 and less than 1"
	}
	return ""
}

// DefaultRateFor returns the default contribution rate of a benefit and content
// type (S-A4), and false when the policy sets none: the project must then name its own.
func DefaultRateFor(benefitType, contentType string, r Rules) (DefaultRate, bool) {
	for _, d := range r.DefaultRates {
		if d.BenefitType == benefitType && d.ContentType == contentType {
			return d, true
		}
	}
	return DefaultRate{}, false
}
