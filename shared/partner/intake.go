package partner

import (
	"fmt"
	"strings"

	"productgov/shared/money"
	"productgov/shared/period"
)

// IntakeFacts are what a support partner declares when it applies (S§8; SPEC 4.1).
// The JSON names are the SPEC's, and a screening failure names its criterion by them.
type IntakeFacts struct {
	RegisteredCapital money.Amount `json:"registeredCapital"`
	NetAssets         money.Amount `json:"netAssets"`
	AnnualRevenue     money.Amount `json:"annualRevenue"`
	ProfitableYears   int          `json:"profitableYears"` // consecutive profitable years up to now
	// DebtRatio is liabilities ÷ assets, 0.55 = 55%. It is required: a missing
	// ratio must not read as 0 and pass.
	DebtRatio            *money.Rate `json:"debtRatio"`
	Licences             []string    `json:"licences"`
	CMMILevel            int         `json:"cmmiLevel"` // 0 when not certified
	CreditNotice         bool        `json:"creditNotice"`
	TelecomYears         int         `json:"telecomYears"`
	OpsStaff             int         `json:"opsStaff"`
	CloseSupportStaff    int         `json:"closeSupportStaff"` // staff with ≥ 3 years' telecom experience
	CustomerServiceStaff int         `json:"customerServiceStaff"`
	Hotline7x24          bool        `json:"hotline7x24"`
	SecurityStaff        int         `json:"securityStaff"`
	EmergencyProcess     bool        `json:"emergencyProcess"`
}

// maxCMMILevel is the top of the CMMI scale; a higher level is a typing error.
const maxCMMILevel = 5

// KnownLicences are the licence keys an applicant may declare (SPEC 4.1).
var KnownLicences = []string{LicenceVASTelecom, LicenceSystemIntegration, LicenceHighTech,
	LicenceSoftwareEnterprise, LicenceISO9001, LicenceISO27001}

func isKnownLicence(l string) bool {
	for _, k := range KnownLicences {
		if k == l {
			return true
		}
	}
	return false
}

// licenceArticle tells which article asks for a licence: ISO 27001 is part of
// the information-security standard, the others of the qualifications.
func licenceArticle(l string) string {
	if l == LicenceISO27001 {
		return "S§8.5(1)"
	}
	return "S§8.1(2)"
}

// ValidateIntakeFacts checks that the facts are well formed (not whether they
// pass): no negative figure, a debt ratio between 0 and 1, known licences once
// each, a CMMI level from 0 to 5. Negative net assets or a ratio above 100% are
// refused as input too (SPEC 4.1 reads them as errors, not as failing facts).
func ValidateIntakeFacts(f IntakeFacts) error {
	errs := FieldErrors{}
	amounts := []struct {
		field string
		v     money.Amount
	}{{"registeredCapital", f.RegisteredCapital}, {"netAssets", f.NetAssets}, {"annualRevenue", f.AnnualRevenue}}
	for _, a := range amounts {
		if a.v < 0 {
			errs[a.field] = "must not be negative"
		}
	}
	counts := []struct {
		field string
		v     int
	}{
		{"profitableYears", f.ProfitableYears}, {"telecomYears", f.TelecomYears}, {"opsStaff", f.OpsStaff},
		{"closeSupportStaff", f.CloseSupportStaff}, {"customerServiceStaff", f.CustomerServiceStaff},
		{"securityStaff", f.SecurityStaff},
	}
	for _, c := range counts {
		if c.v < 0 {
			errs[c.field] = "must not be negative"
		}
	}
	switch {
	case f.DebtRatio == nil:
		errs["debtRatio"] = "is required (liabilities ÷ assets, e.g. 0.55)"
	case f.DebtRatio.Rat().Sign() < 0:
		errs["debtRatio"] = "must not be negative"
	case f.DebtRatio.Cmp(money.NewRate(1, 1)) > 0:
		errs["debtRatio"] = "must be at most 1 (100%)"
	}
	if f.CMMILevel < 0 || f.CMMILevel > maxCMMILevel {
		errs["cmmiLevel"] = fmt.Sprintf("must be between 0 and %d", maxCMMILevel)
	}
	seen := map[string]bool{}
	for i, l := range f.Licences {
		field := fmt.Sprintf("licences[%d]", i)
		switch {
		case !isKnownLicence(l):
			errs[field] = fmt.Sprintf("unknown licence %q; known: %s", l, strings.Join(KnownLicences, ", "))
		case seen[l]:
			errs[field] = fmt.Sprintf("%s is listed twice", l)
		}
		seen[l] = true
	}
	return errs.errOrNil()
}

// Failure is one unmet intake criterion: the fact's name, the article that sets
// the standard, and why it failed.
type Failure struct {
	Criterion string `json:"criterion"`
	Article   string `json:"article"`
	Reason    string `json:"reason"`
}

// Screening is the outcome of an intake screening (S§8; SPEC 4.1).
type Screening struct {
	Eligible bool      `json:"eligible"`
	Failures []Failure `json:"failures"` // every failing criterion, in SPEC order; empty when eligible
	Rule     string    `json:"rule"`
	Reason   string    `json:"reason"`
}

// Exit types of a partnership (S§21).
const (
	ExitAssessment = "assessment" // 考核退出: two years below the pass mark
	ExitTermEnd    = "term_end"   // end-of-term total below the pass mark, or not renewed
	ExitVoluntary  = "voluntary"  // the partner gave notice
	ExitBreach     = "breach"     // 取消资格 after a breach
)

// Exit is how and when a partnership ended.
type Exit struct {
	Date period.Date `json:"date"`
	Type string      `json:"type"`
}

// Screen checks an application against every intake standard of S§8 and the
// re-entry ban of S§21, and names each failure with its article. last is the
// applicant's previous exit (nil when it never was a partner), today the day
// of the screening. Malformed facts return FieldErrors and no screening.
func Screen(f IntakeFacts, last *Exit, today period.Date, r IntakeRules) (Screening, error) {
	if err := ValidateIntakeFacts(f); err != nil {
		return Screening{}, err
	}
	var fails []Failure
	fail := func(criterion, article, format string, args ...any) {
		fails = append(fails, Failure{Criterion: criterion, Article: article, Reason: fmt.Sprintf(format, args...)})
	}
	// S§8.1(1): company strength.
	if f.RegisteredCapital < r.MinRegisteredCapital {
		fail("registeredCapital", "S§8.1(1)", "registered capital %s is below %s", f.RegisteredCapital, r.MinRegisteredCapital)
	}
	if f.NetAssets < r.MinNetAssets {
		fail("netAssets", "S§8.1(1)", "net assets %s are below %s", f.NetAssets, r.MinNetAssets)
	}
	if f.AnnualRevenue < r.MinAnnualRevenue {
		fail("annualRevenue", "S§8.1(1)", "annual revenue %s is below %s", f.AnnualRevenue, r.MinAnnualRevenue)
	}
	if f.ProfitableYears < r.MinProfitableYears {
		fail("profitableYears", "S§8.1(1)", "%d consecutive profitable years; at least %d required", f.ProfitableYears, r.MinProfitableYears)
	}
	if f.DebtRatio.Cmp(r.MaxDebtRatio) > 0 {
		fail("debtRatio", "S§8.1(1)", "debt ratio %s is above %s", f.DebtRatio, r.MaxDebtRatio)
	}
	// S§8.1(2) qualifications, S§8.5(1) ISO 27001: one failure per missing licence.
	held := map[string]bool{}
	for _, l := range f.Licences {
		held[l] = true
	}
	for _, l := range r.RequiredLicences {
		if !held[l] {
			fail("licences", licenceArticle(l), "licence %s is missing", l)
		}
	}
	if f.CMMILevel < r.MinCMMILevel {
		fail("cmmiLevel", "S§8.1(2)", "CMMI level %d; level %d or higher required", f.CMMILevel, r.MinCMMILevel)
	}
	// S§8.1(4): no notice by the communications administration or the ministry.
	if f.CreditNotice {
		fail("creditNotice", "S§8.1(4)", "the applicant has a regulator credit notice")
	}
	// S§8.2: operation-support experience.
	if f.TelecomYears < r.MinTelecomYears {
		fail("telecomYears", "S§8.2", "%d years of telecom operation support; at least %d required", f.TelecomYears, r.MinTelecomYears)
	}
	// S§8.3: the team.
	if f.OpsStaff < r.MinOpsStaff {
		fail("opsStaff", "S§8.3(1)", "%d dedicated local operation staff; at least %d required", f.OpsStaff, r.MinOpsStaff)
	}
	if f.CloseSupportStaff < r.MinCloseSupportStaff {
		fail("closeSupportStaff", "S§8.3(2)", "%d close-support staff with %d+ years' telecom experience; at least %d required",
			f.CloseSupportStaff, r.CloseSupportYears, r.MinCloseSupportStaff)
	}
	// S§8.4(1): customer service.
	if f.CustomerServiceStaff < r.MinCustomerServiceStaff {
		fail("customerServiceStaff", "S§8.4(1)", "%d customer-service staff; at least %d required", f.CustomerServiceStaff, r.MinCustomerServiceStaff)
	}
	if !f.Hotline7x24 {
		fail("hotline7x24", "S§8.4(1)", "no 7×24 customer-service hotline")
	}
	// S§8.5: information security.
	if f.SecurityStaff < r.MinSecurityStaff {
		fail("securityStaff", "S§8.5(1)", "%d dedicated information-security staff; at least %d required", f.SecurityStaff, r.MinSecurityStaff)
	}
	if !f.EmergencyProcess {
		fail("emergencyProcess", "S§8.5(2)", "no emergency-handling process")
	}
	// S§21: no re-entry within the ban after an exit by assessment.
	if ban := CheckReentry(last, today, r); !ban.Allowed {
		fail("reentryBan", ban.Rule, "%s", ban.Reason)
	}

	s := Screening{Eligible: len(fails) == 0, Failures: fails, Rule: "S§8"}
	if s.Failures == nil {
		s.Failures = []Failure{}
	}
	if s.Eligible {
		s.Reason = "meets every intake standard of S§8"
	} else {
		s.Reason = fmt.Sprintf("fails %d intake criteria", len(fails))
	}
	return s, nil
}

// Check is the outcome of a yes/no rule, with the article and the reason; a
// Warning may accompany an allowed outcome.
type Check struct {
	Allowed bool   `json:"allowed"`
	Warning string `json:"warning,omitempty"`
	Rule    string `json:"rule"`
	Reason  string `json:"reason"`
}

// CheckReentry applies the re-entry ban of S§21: a partner that exited by
// assessment may not be admitted for ReentryBanYears after its exit date; on the
// anniversary it may. Other exits carry no ban. last is nil for a new applicant.
func CheckReentry(last *Exit, today period.Date, r IntakeRules) Check {
	if last == nil || last.Type != ExitAssessment {
		return Check{Allowed: true, Rule: "S§21", Reason: "no exit by assessment on record"}
	}
	until := last.Date.AddMonths(12 * r.ReentryBanYears)
	if today.Before(until) {
		return Check{Allowed: false, Rule: "S§21",
			Reason: fmt.Sprintf("exited by assessment on %s: no re-entry before %s", last.Date, until)}
	}
	return Check{Allowed: true, Rule: "S§21",
		Reason: fmt.Sprintf("exited by assessment on %s; the %d-year ban ended on %s", last.Date, r.ReentryBanYears, until)}
}

// CheckActivePartners applies the partner count of S§7 to activating one more
// partner when activeNow are active: above MaxActivePartners is refused, above
// NormalActivePartners is allowed with a warning.
func CheckActivePartners(activeNow int, r IntakeRules) Check {
	after := activeNow + 1
	switch {
	case after > r.MaxActivePartners:
		return Check{Allowed: false, Rule: "S§7",
			Reason: fmt.Sprintf("%d active partners already; at most %d", activeNow, r.MaxActivePartners)}
	case after > r.NormalActivePartners:
		return Check{Allowed: true, Rule: "S§7",
			Warning: fmt.Sprintf("%d active partners after this one; normally %d", after, r.NormalActivePartners),
			Reason:  fmt.Sprintf("%d active partners after this one, within the limit of %d", after, r.MaxActivePartners)}
	}
	return Check{Allowed: true, Rule: "S§7",
		Reason: fmt.Sprintf("%d active partners after this one, within the normal %d", after, r.NormalActivePartners)}
}

// Agreement is the term of a long-term partnership agreement: End is the last
// day in force, the day before the same date AgreementTermYears later.
type Agreement struct {
	Start  period.Date `json:"start"`
	End    period.Date `json:"end"`
	Rule   string      `json:"rule"`
	Reason string      `json:"reason"`
}

// AgreementTerm returns the agreement that starts on start (S§7: 协议期为3年):
// 2026-01-01 runs to 2028-12-31.
func AgreementTerm(start period.Date, r IntakeRules) Agreement {
	end := start.AddMonths(12 * r.AgreementTermYears).AddDays(-1)
	return Agreement{Start: start, End: end, Rule: "S§7",
		Reason: fmt.Sprintf("a %d-year agreement from %s to %s", r.AgreementTermYears, start, end)}
}

// ActivationInput is what activating a partner's agreement depends on.
type ActivationInput struct {
	Screening      Screening    `json:"screening"`      // the partner's intake screening
	DepositBalance money.Amount `json:"depositBalance"` // deposit received so far
	ActivePartners int          `json:"activePartners"` // other partners active now
	StartDate      period.Date  `json:"startDate"`
	// DepositPaidOn is the day the deposit was paid (nil: not recorded); the
	// agreement's StartDate is its signing day (S§20).
	DepositPaidOn *period.Date    `json:"depositPaidOn,omitempty"`
	Calendar      period.Calendar `json:"-"`
}

// Activation is the outcome of activating an agreement: allowed with its term,
// or refused with every reason.
type Activation struct {
	Allowed   bool       `json:"allowed"`
	Refusals  []Failure  `json:"refusals"`
	Warnings  []string   `json:"warnings"`
	Agreement *Agreement `json:"agreement,omitempty"`
	Rule      string     `json:"rule"`
	Reason    string     `json:"reason"`
}

// Activate decides whether an agreement may become active: the screening must
// have passed (S§8), the whole deposit must have been received (S§8.6(1),
// S§20: 签署合作协议前交纳支撑保证金30万元), and the partner count must allow it (S§7).
func Activate(in ActivationInput, r Rules) (Activation, error) {
	if in.StartDate.IsZero() {
		return Activation{}, FieldErrors{"startDate": "is required"}
	}
	a := Activation{Refusals: []Failure{}, Warnings: []string{}, Rule: "S§8.6"}
	if !in.Screening.Eligible {
		a.Refusals = append(a.Refusals, Failure{Criterion: "screening", Article: "S§8",
			Reason: "the intake screening has not passed"})
	}
	if in.DepositBalance < r.Deposit.Required {
		a.Refusals = append(a.Refusals, Failure{Criterion: "deposit", Article: "S§20",
			Reason: fmt.Sprintf("deposit received %s; %s required before the agreement", in.DepositBalance, r.Deposit.Required)})
	} else if in.DepositPaidOn != nil {
		if why := CheckDepositWindow(*in.DepositPaidOn, in.StartDate, in.Calendar, r.Deposit); why != "" {
			a.Refusals = append(a.Refusals, Failure{Criterion: "depositDate", Article: "S§20", Reason: why})
		}
	}
	count := CheckActivePartners(in.ActivePartners, r.Intake)
	if !count.Allowed {
		a.Refusals = append(a.Refusals, Failure{Criterion: "activePartners", Article: count.Rule, Reason: count.Reason})
	} else if count.Warning != "" {
		a.Warnings = append(a.Warnings, count.Warning)
	}
	if len(a.Refusals) > 0 {
		a.Reason = fmt.Sprintf("refused: %d condition(s) unmet", len(a.Refusals))
		return a, nil
	}
	term := AgreementTerm(in.StartDate, r.Intake)
	a.Allowed, a.Agreement = true, &term
	a.Reason = fmt.Sprintf("screening passed and deposit %s received; agreement %s to %s", in.DepositBalance, term.Start, term.End)
	return a, nil
}
