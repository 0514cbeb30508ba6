package partner

import (
	"fmt"
	"strings"

	"productgov/shared/money"
	"productgov/shared/period"
)

// Penalty is a breach recorded against a partner (S§19; SPEC 4.4).
type Penalty struct {
	Category string       `json:"category"`
	Amount   money.Amount `json:"amount"` // the fine; none for a warning
	// Loss is the economic loss the partner also bears (economic_loss only).
	Loss    money.Amount   `json:"loss"`
	Quarter period.Quarter `json:"quarter"` // the settlement quarter it is deducted in
	Reason  string         `json:"reason"`
}

// PenaltyCharge is an accepted penalty: what it costs and which article set it.
type PenaltyCharge struct {
	Category string         `json:"category"`
	Fine     money.Amount   `json:"fine"`
	Loss     money.Amount   `json:"loss"`
	Total    money.Amount   `json:"total"` // deducted in the quarter's settlement (S§20)
	Quarter  period.Quarter `json:"quarter"`
	Rule     string         `json:"rule"`
	Reason   string         `json:"reason"`
}

// FineCategoryOf returns the rules of a fine category, and false when unknown.
func FineCategoryOf(category string, r PenaltyRules) (FineCategory, bool) {
	for _, c := range r.Fines {
		if c.Category == category {
			return c, true
		}
	}
	return FineCategory{}, false
}

// AssessPenalty validates a penalty against its category (S§19): the fine must
// lie within the category's range, bounds included; a warning carries no amount;
// only an economic-loss penalty carries a loss, on top of the fine.
func AssessPenalty(p Penalty, r PenaltyRules) (PenaltyCharge, error) {
	errs := FieldErrors{}
	cat, ok := FineCategoryOf(p.Category, r)
	if !ok {
		names := make([]string, len(r.Fines))
		for i, c := range r.Fines {
			names[i] = c.Category
		}
		errs["category"] = "must be one of " + strings.Join(names, ", ")
	}
	if p.Quarter.Year == 0 {
		errs["quarter"] = "is required"
	}
	if strings.TrimSpace(p.Reason) == "" {
		errs["reason"] = "is required"
	}
	if ok {
		switch {
		case cat.NoAmount && p.Amount != 0:
			errs["amount"] = "a warning carries no amount"
		case !cat.NoAmount && (p.Amount < cat.Min || p.Amount > cat.Max):
			errs["amount"] = fmt.Sprintf("must be between %s and %s for %s (%s)", cat.Min, cat.Max, cat.Category, cat.Article)
		}
		switch {
		case p.Loss < 0:
			errs["loss"] = "must not be negative"
		case !cat.WithLoss && p.Loss != 0:
			errs["loss"] = "only an economic_loss penalty carries a loss"
		}
	}
	if err := errs.errOrNil(); err != nil {
		return PenaltyCharge{}, err
	}
	c := PenaltyCharge{Category: cat.Category, Fine: p.Amount, Loss: p.Loss, Total: p.Amount + p.Loss,
		Quarter: p.Quarter, Rule: cat.Article}
	switch {
	case cat.NoAmount:
		c.Reason = "warning (情节较轻): no fine"
	case cat.WithLoss:
		c.Reason = fmt.Sprintf("%s fine %s within %s–%s, plus the loss %s", cat.Category, p.Amount, cat.Min, cat.Max, p.Loss)
	default:
		c.Reason = fmt.Sprintf("%s fine %s within %s–%s", cat.Category, p.Amount, cat.Min, cat.Max)
	}
	return c, nil
}

// StaffChange is a core-post support person leaving or being replaced.
type StaffChange struct {
	Person    string      `json:"person"`
	JoinedOn  period.Date `json:"joinedOn"`
	ChangedOn period.Date `json:"changedOn"`
	// AtCompanyRequest is true when the operator asked for the change (除非联通公司要求更换外).
	AtCompanyRequest bool `json:"atCompanyRequest"`
	// NoticeOn is when the partner applied for the change; zero when it did not.
	NoticeOn period.Date `json:"noticeOn"`
}

// StaffChangeCharge is the outcome of a core-staff change (S§21).
type StaffChangeCharge struct {
	Penalised bool         `json:"penalised"`
	Charge    money.Amount `json:"charge"` // taken from the settlement, else the deposit
	Points    Score        `json:"points"` // taken off the partner's annual score
	Rule      string       `json:"rule"`
	Reason    string       `json:"reason"`
}

// AssessStaffChange applies S§21: core staff may not move within
// CoreStaffMinTenureMonths of joining, and afterwards only with
// StaffChangeNoticeMonths' notice; otherwise each person costs
// StaffChangeCharge and StaffChangePoints. A change the operator asked for is free.
// On the second anniversary of joining the person is no longer "within two years".
func AssessStaffChange(c StaffChange, r PenaltyRules) (StaffChangeCharge, error) {
	errs := FieldErrors{}
	if strings.TrimSpace(c.Person) == "" {
		errs["person"] = "is required"
	}
	if c.JoinedOn.IsZero() {
		errs["joinedOn"] = "is required"
	}
	if c.ChangedOn.IsZero() {
		errs["changedOn"] = "is required"
	} else if !c.JoinedOn.IsZero() && c.ChangedOn.Before(c.JoinedOn) {
		errs["changedOn"] = "must not be before joinedOn"
	}
	if !c.NoticeOn.IsZero() && !c.ChangedOn.IsZero() && c.NoticeOn.After(c.ChangedOn) {
		errs["noticeOn"] = "must not be after changedOn"
	}
	if err := errs.errOrNil(); err != nil {
		return StaffChangeCharge{}, err
	}
	free := func(reason string) (StaffChangeCharge, error) {
		return StaffChangeCharge{Rule: "S§21", Reason: reason}, nil
	}
	charged := func(reason string) (StaffChangeCharge, error) {
		return StaffChangeCharge{Penalised: true, Charge: r.StaffChangeCharge, Points: r.StaffChangePoints, Rule: "S§21",
			Reason: fmt.Sprintf("%s: %s and %s points", reason, r.StaffChangeCharge, r.StaffChangePoints)}, nil
	}
	if c.AtCompanyRequest {
		return free("changed at the company's request: no charge")
	}
	tenureEnds := c.JoinedOn.AddMonths(r.CoreStaffMinTenureMonths)
	if c.ChangedOn.Before(tenureEnds) {
		return charged(fmt.Sprintf("%s changed on %s, within %d months of joining on %s",
			c.Person, c.ChangedOn, r.CoreStaffMinTenureMonths, c.JoinedOn))
	}
	if c.NoticeOn.IsZero() {
		return charged(fmt.Sprintf("%s changed on %s without notice", c.Person, c.ChangedOn))
	}
	if c.NoticeOn.AddMonths(r.StaffChangeNoticeMonths).After(c.ChangedOn) {
		return charged(fmt.Sprintf("%s changed on %s with notice on %s, less than %d months before",
			c.Person, c.ChangedOn, c.NoticeOn, r.StaffChangeNoticeMonths))
	}
	return free(fmt.Sprintf("%s changed on %s after %d months' tenure with notice on %s: no charge",
		c.Person, c.ChangedOn, r.CoreStaffMinTenureMonths, c.NoticeOn))
}
