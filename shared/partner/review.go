package partner

import (
	"fmt"
	"sort"
	"strings"
)

// ScoreForm is one reviewer's filled form of S-A1: item key → points. Points
// are whole numbers; a fractional one is refused by validation, so it is held
// as a Score to name the field rather than fail the JSON decoding.
type ScoreForm struct {
	Items map[string]Score `json:"items"`
}

// ItemScore is one item of a scored form with its band.
type ItemScore struct {
	Key    string `json:"key"`
	Points int    `json:"points"`
	Max    int    `json:"max"`
	Band   string `json:"band"` // BandNoNeed, BandGeneral, BandMedium or BandHigh
}

// FormResult is a validated form with its total (S-A1: 合计100).
type FormResult struct {
	Form   string      `json:"form"` // FormContent or FormFunction
	Items  []ItemScore `json:"items"`
	Total  int         `json:"total"`
	Max    int         `json:"max"`
	Rule   string      `json:"rule"`
	Reason string      `json:"reason"`
}

// FormFor returns the review form a content type uses (S-A1: 表一 content,
// 表二 function), and false for an unknown content type.
func FormFor(contentType string, r ReviewRules) (Form, bool) {
	for _, f := range r.Forms {
		for _, ct := range f.ContentTypes {
			if ct == contentType {
				return f, true
			}
		}
	}
	return Form{}, false
}

// BandOf returns the band name of points on an item with maximum max, or ""
// when the rules hold no band for it.
func BandOf(points, max int, r ReviewRules) string {
	for _, scale := range r.Bands {
		if scale.Max != max {
			continue
		}
		for _, b := range scale.Bands {
			if points >= b.From && points <= b.To {
				return b.Name
			}
		}
	}
	return ""
}

// EvaluateForm validates one reviewer's form for a project of contentType and
// totals it (S-A1). Every problem is reported, keyed "items.<key>": a missing
// item, an unknown item, an item of the other form, a score that is not a whole
// number or lies outside 0..max.
func EvaluateForm(contentType string, f ScoreForm, r ReviewRules) (FormResult, error) {
	form, ok := FormFor(contentType, r)
	if !ok {
		return FormResult{}, FieldErrors{"contentType": "must be " + strings.Join(allContentTypes(r), ", ")}
	}
	errs := FieldErrors{}
	if len(f.Items) == 0 {
		errs["items"] = "are required: " + strings.Join(itemKeys(form), ", ")
		return FormResult{}, errs
	}
	onForm := map[string]int{}
	for _, it := range form.Items {
		onForm[it.Key] = it.Max
	}
	for key := range f.Items {
		if _, ok := onForm[key]; ok {
			continue
		}
		if otherForm := formHolding(key, r); otherForm != "" {
			errs["items."+key] = fmt.Sprintf("is not on the %s form (only on the %s form)", form.Name, otherForm)
		} else {
			errs["items."+key] = "is not an item of any review form"
		}
	}
	res := FormResult{Form: form.Name, Items: make([]ItemScore, 0, len(form.Items)), Rule: "S-A1"}
	for _, it := range form.Items {
		res.Max += it.Max
		s, present := f.Items[it.Key]
		field := "items." + it.Key
		switch {
		case !present:
			errs[field] = fmt.Sprintf("is required (0–%d)", it.Max)
			continue
		case !s.IsWhole():
			errs[field] = "must be a whole number of points"
			continue
		case s.Sign() < 0 || s.Cmp(Points(int64(it.Max))) > 0:
			errs[field] = fmt.Sprintf("must be between 0 and %d", it.Max)
			continue
		}
		points := int(s.Rat().Num().Int64())
		res.Items = append(res.Items, ItemScore{Key: it.Key, Points: points, Max: it.Max, Band: BandOf(points, it.Max, r)})
		res.Total += points
	}
	if err := errs.errOrNil(); err != nil {
		return FormResult{}, err
	}
	res.Reason = fmt.Sprintf("%s form total %d of %d", form.Name, res.Total, res.Max)
	return res, nil
}

func allContentTypes(r ReviewRules) []string {
	var out []string
	for _, f := range r.Forms {
		out = append(out, f.ContentTypes...)
	}
	return out
}

func itemKeys(f Form) []string {
	keys := make([]string, len(f.Items))
	for i, it := range f.Items {
		keys[i] = it.Key
	}
	return keys
}

func formHolding(key string, r ReviewRules) string {
	for _, f := range r.Forms {
		for _, it := range f.Items {
			if it.Key == key {
				return f.Name
			}
		}
	}
	return ""
}

// ReviewerForm is one reviewer's form with who filled it. Department and
// RelatedToPartner come from the user directory, not from the reviewer.
type ReviewerForm struct {
	ReviewerID string `json:"reviewerId"`
	Department string `json:"department"`
	// RelatedToPartner is a declared relation with the project's partner (SPEC 6, P§24).
	RelatedToPartner bool      `json:"relatedToPartner"`
	Form             ScoreForm `json:"form"`
}

// AcceptForm decides whether a reviewer's form may join a project's review and
// scores it. It is refused when the reviewer declared a relation with the
// partner (SPEC 6, P§24), is not from a reviewing department (S§11), or has
// already filled a form for this project (one form per reviewer).
func AcceptForm(existing []ReviewerForm, f ReviewerForm, contentType string, r ReviewRules) (FormResult, error) {
	if f.ReviewerID == "" {
		return FormResult{}, FieldErrors{"reviewerId": "is required"}
	}
	if ok, why := reviewerEligible(f, r); !ok {
		return FormResult{}, Refusal{Rule: why.rule, Reason: why.reason}
	}
	for _, e := range existing {
		if e.ReviewerID == f.ReviewerID {
			return FormResult{}, Refusal{Rule: "S§11", Reason: fmt.Sprintf("reviewer %s has already filled a form for this project", f.ReviewerID)}
		}
	}
	return EvaluateForm(contentType, f.Form, r)
}

type exclusion struct{ rule, reason string }

func reviewerEligible(f ReviewerForm, r ReviewRules) (bool, exclusion) {
	if f.RelatedToPartner {
		return false, exclusion{"P§24", fmt.Sprintf("reviewer %s declared a relation with the partner", f.ReviewerID)}
	}
	for _, d := range r.Departments {
		if d == f.Department {
			return true, exclusion{}
		}
	}
	return false, exclusion{"S§11", fmt.Sprintf("reviewer %s is in department %q; reviewers come from %s",
		f.ReviewerID, f.Department, strings.Join(r.Departments, ", "))}
}

// ReviewerTotal is one counted form's total.
type ReviewerTotal struct {
	ReviewerID string `json:"reviewerId"`
	Department string `json:"department"`
	Total      int    `json:"total"`
}

// ExcludedForm is a form that does not count, and why.
type ExcludedForm struct {
	ReviewerID string `json:"reviewerId"`
	Rule       string `json:"rule"`
	Reason     string `json:"reason"`
}

// ProjectReview is a support project's review score (S§11).
type ProjectReview struct {
	Totals             []ReviewerTotal `json:"totals"`
	Excluded           []ExcludedForm  `json:"excluded"`
	MissingDepartments []string        `json:"missingDepartments"`
	// Complete is true once every reviewing department has at least one counted form.
	Complete bool `json:"complete"`
	// Score is the exact mean of the counted totals, shown to two decimals; nil with no forms.
	Score *Score `json:"score"`
	// SupportNeeded is Score ≥ PassScore on a complete review.
	SupportNeeded bool   `json:"supportNeeded"`
	Rule          string `json:"rule"`
	Reason        string `json:"reason"`
}

// ReviewProject scores a project from its reviewers' forms (S§11: 取评审成员分数
// 的算术平均值; 60分以上(含60分)即确定需要运营支撑). Forms of related reviewers,
// of other departments, and a reviewer's second form are excluded and listed.
// The review is complete only when each department of ReviewRules.Departments
// (marketing, finance, innovation) has at least one counted form: S§11 has the
// three departments review together, so support is never decided on part of
// them. A malformed form returns FieldErrors keyed "forms[i].items.<key>".
func ReviewProject(contentType string, forms []ReviewerForm, r ReviewRules) (ProjectReview, error) {
	if _, ok := FormFor(contentType, r); !ok {
		return ProjectReview{}, FieldErrors{"contentType": "must be " + strings.Join(allContentTypes(r), ", ")}
	}
	rev := ProjectReview{Totals: []ReviewerTotal{}, Excluded: []ExcludedForm{}, MissingDepartments: []string{}, Rule: "S§11"}
	errs := FieldErrors{}
	seen := map[string]bool{}
	covered := map[string]bool{}
	var totals []Score
	for i, f := range forms {
		if ok, why := reviewerEligible(f, r); !ok {
			rev.Excluded = append(rev.Excluded, ExcludedForm{ReviewerID: f.ReviewerID, Rule: why.rule, Reason: why.reason})
			continue
		}
		if seen[f.ReviewerID] {
			rev.Excluded = append(rev.Excluded, ExcludedForm{ReviewerID: f.ReviewerID, Rule: "S§11",
				Reason: fmt.Sprintf("reviewer %s's second form; one form per reviewer", f.ReviewerID)})
			continue
		}
		res, err := EvaluateForm(contentType, f.Form, r)
		if err != nil {
			for field, why := range err.(FieldErrors) {
				errs[fmt.Sprintf("forms[%d].%s", i, field)] = why
			}
			continue
		}
		seen[f.ReviewerID] = true
		covered[f.Department] = true
		rev.Totals = append(rev.Totals, ReviewerTotal{ReviewerID: f.ReviewerID, Department: f.Department, Total: res.Total})
		totals = append(totals, Points(int64(res.Total)))
	}
	if err := errs.errOrNil(); err != nil {
		return ProjectReview{}, err
	}
	for _, d := range r.Departments {
		if !covered[d] {
			rev.MissingDepartments = append(rev.MissingDepartments, d)
		}
	}
	rev.Complete = len(rev.MissingDepartments) == 0
	if len(totals) == 0 {
		rev.Reason = "no counted review form yet"
		return rev, nil
	}
	mean := MeanScore(totals)
	rev.Score = &mean
	passed := mean.Cmp(r.PassScore) >= 0
	switch {
	case !rev.Complete:
		rev.Reason = fmt.Sprintf("provisional score %s from %d form(s); waiting for %s", mean, len(totals), strings.Join(rev.MissingDepartments, ", "))
	case passed:
		rev.SupportNeeded = true
		rev.Reason = fmt.Sprintf("mean of %d reviewers' totals %s ≥ %s: operation support needed", len(totals), mean, r.PassScore)
	default:
		rev.Reason = fmt.Sprintf("mean of %d reviewers' totals %s < %s: no operation support", len(totals), mean, r.PassScore)
	}
	return rev, nil
}

// ApprovalPlan is the ordered approval of a support project or a deposit refund.
type ApprovalPlan struct {
	Stages []ApprovalStage `json:"stages"`
	Rule   string          `json:"rule"`
	Reason string          `json:"reason"`
}

// ProjectApprovalPlan returns the approval after a passing review (S§11: 产品创新部
// 发起, 市场营销部、财务部、产品创新部会签, 主管副总经理终审).
func ProjectApprovalPlan(r ReviewRules) ApprovalPlan {
	return ApprovalPlan{Stages: cloneStages(r.Approval), Rule: "S§11",
		Reason: "innovation initiates; the departments countersign in parallel; the deputy GM approves"}
}

// DepositRefundPlan returns the approval of a deposit refund (S§20: 产品创新部和
// 财务部门共同审核, 公司主管副总经理批准).
func DepositRefundPlan(r DepositRules) ApprovalPlan {
	return ApprovalPlan{Stages: cloneStages(r.RefundApproval), Rule: "S§20",
		Reason: "innovation and finance review together; the deputy GM approves"}
}

func cloneStages(in []ApprovalStage) []ApprovalStage {
	out := make([]ApprovalStage, len(in))
	for i, s := range in {
		s.Roles = append([]string(nil), s.Roles...)
		out[i] = s
	}
	return out
}

// RenewalInput is what the automatic renewal of a project contract depends on.
type RenewalInput struct {
	RenewalsSoFar int `json:"renewalsSoFar"`
	// LastYearScore is the project's annual score of the past year (S-A6).
	LastYearScore Score `json:"lastYearScore"`
	// ThisYearReview is this year's review score (S§11), cost approval included.
	ThisYearReview Score `json:"thisYearReview"`
	// ChangedTerms names the contract terms that changed (product category, account,
	// contribution rate, unit price…); any change needs a supplementary agreement.
	ChangedTerms []string `json:"changedTerms"`
}

// Renewal is the outcome of the automatic renewal rule.
type Renewal struct {
	Renew bool `json:"renew"`
	// Supplementary is true when the contract would renew but its terms changed:
	// procurement signs a supplementary agreement instead.
	Supplementary bool   `json:"supplementary"`
	Rule          string `json:"rule"`
	Reason        string `json:"reason"`
}

// CheckAutoRenewal applies S§14: a project contract renews by itself, at most
// MaxAutoRenewals times, when last year's project score passed, this year's
// review passed and nothing in the contract changed.
func CheckAutoRenewal(in RenewalInput, r Rules) (Renewal, error) {
	if in.RenewalsSoFar < 0 {
		return Renewal{}, FieldErrors{"renewalsSoFar": "must not be negative"}
	}
	no := func(format string, args ...any) (Renewal, error) {
		return Renewal{Rule: "S§14", Reason: fmt.Sprintf(format, args...)}, nil
	}
	if in.RenewalsSoFar >= r.Review.MaxAutoRenewals {
		return no("renewed %d times already; at most %d automatic renewals", in.RenewalsSoFar, r.Review.MaxAutoRenewals)
	}
	if in.LastYearScore.Cmp(r.Assessment.PassScore) < 0 {
		return no("last year's project score %s is below %s", in.LastYearScore, r.Assessment.PassScore)
	}
	if in.ThisYearReview.Cmp(r.Review.PassScore) < 0 {
		return no("this year's review score %s is below %s", in.ThisYearReview, r.Review.PassScore)
	}
	if len(in.ChangedTerms) > 0 {
		changed := append([]string(nil), in.ChangedTerms...)
		sort.Strings(changed)
		return Renewal{Supplementary: true, Rule: "S§14",
			Reason: "terms changed (" + strings.Join(changed, ", ") + "): a supplementary agreement instead of automatic renewal"}, nil
	}
	return Renewal{Renew: true, Rule: "S§14",
		Reason: fmt.Sprintf("renewal %d of at most %d: last year %s and this year's review %s passed, nothing changed",
			in.RenewalsSoFar+1, r.Review.MaxAutoRenewals, in.LastYearScore, in.ThisYearReview)}, nil
}
