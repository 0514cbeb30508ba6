package settlement

import (
	"fmt"
	"math/big"
	"strings"

	"productgov/shared/money"
	"productgov/shared/partner"
)

// WorkItem is a guarantee project's priced work item (S-A3 表二–表六: 工作项目, 单价).
type WorkItem struct {
	Name      string       `json:"name"`
	UnitPrice money.Amount `json:"unitPrice"`
}

// ProjectTerms are the settlement terms a support project is created with (SPEC 4.2).
type ProjectTerms struct {
	BenefitType string `json:"benefitType"`
	ContentType string `json:"contentType"`
	// ContributionRate is the revenue-mode rate; nil takes the policy default (S-A4).
	ContributionRate *money.Rate `json:"contributionRate"`
	// MinWorkload is the contract's quarterly workload floor (revenue mode, S§15).
	MinWorkload Quantity `json:"minWorkload"`
	// AnnualTarget is the revenue target the annual score is measured against (revenue mode, S-A6).
	AnnualTarget money.Amount `json:"annualTarget"`
	Items        []WorkItem   `json:"items"` // guarantee mode
}

// ValidateTerms checks a project's settlement terms and returns them with the
// default contribution rate filled in where the project named none (S§16, S-A4).
// Revenue mode needs a rate 0 < rate < 1 and a positive annual target; guarantee
// mode needs priced, uniquely named work items. Fields of the other mode are
// cleared, so the record holds only what applies.
func ValidateTerms(t ProjectTerms, r Rules) (ProjectTerms, error) {
	errs := FieldErrors{}
	mode, ok := partner.ModeOf(t.BenefitType)
	if !ok {
		errs["benefitType"] = "must be direct, indirect or guarantee"
	}
	if !partner.IsContentType(t.ContentType) {
		errs["contentType"] = "must be ordinary_content, deep_content, basic_function or function"
	}
	switch mode {
	case partner.ModeRevenue:
		if t.ContributionRate == nil {
			if d, ok := DefaultRateFor(t.BenefitType, t.ContentType, r); ok {
				rate := d.Rate
				t.ContributionRate = &rate
			} else if partner.IsContentType(t.ContentType) {
				errs["contributionRate"] = fmt.Sprintf("is required: the policy sets no default for %s/%s", t.BenefitType, t.ContentType)
			}
		} else if why := checkRate(*t.ContributionRate); why != "" {
			errs["contributionRate"] = why
		}
		if t.MinWorkload < 0 {
			errs["minWorkload"] = "must not be negative"
		}
		if t.AnnualTarget <= 0 {
			errs["annualTarget"] = "must be positive"
		}
		t.Items = nil
	case partner.ModeGuarantee:
		checkWorkItems(errs, t.Items)
		t.ContributionRate, t.MinWorkload, t.AnnualTarget = nil, 0, 0
	}
	if len(errs) > 0 {
		return ProjectTerms{}, errs
	}
	return t, nil
}

func checkWorkItems(errs FieldErrors, items []WorkItem) {
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
		if it.UnitPrice <= 0 {
			errs[fmt.Sprintf("items[%d].unitPrice", i)] = "must be positive"
		}
	}
}

// exactYuan writes an exact number of fen as yuan with every decimal it needs
// (at least two): 8332.5 fen is "83.325". Workloads have two decimals and
// scores two, so the values here always terminate; a value that does not is
// written as a fraction of yuan.
func exactYuan(fen *big.Rat) string {
	yuan := new(big.Rat).Quo(fen, big.NewRat(100, 1))
	scale := big.NewRat(100, 1)
	for places := 2; places <= 12; places++ {
		if new(big.Rat).Mul(yuan, scale).IsInt() {
			return yuan.FloatString(places)
		}
		scale.Mul(scale, big.NewRat(10, 1))
	}
	return yuan.RatString()
}

// rateOf turns an exact fraction into a money.Rate.
func rateOf(x *big.Rat) money.Rate {
	if !x.Num().IsInt64() || !x.Denom().IsInt64() {
		panic("settlement: share out of range")
	}
	return money.NewRate(x.Num().Int64(), x.Denom().Int64())
}
