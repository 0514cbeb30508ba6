package decision

import (
	"fmt"
	"strings"

	"productgov/shared/money"
	"productgov/shared/period"
)

// Fact names a figure a routing criterion tests (SPEC 2.3).
type Fact string

// The routing facts.
const (
	// FactStrategic holds when the product is on the strategic list (P§9(三)2).
	FactStrategic Fact = "strategic"
	// FactInvestmentOrRdCost is the larger of a demand's estimated investment
	// and R&D cost (P§9(二)1, P§9(三)3); demand and demand_change only.
	FactInvestmentOrRdCost Fact = "investmentOrRdCost"
	// FactRevenue is the estimated annual revenue of a (trial) commercial,
	// pricing or revenue-share submission, or for an exit the recorded revenue of the 12 complete
	// months before it (SPEC 2.3 decided).
	FactRevenue Fact = "revenue"
	// FactCustomers is the product record's customer count.
	FactCustomers Fact = "customers"
	// FactCommitteeDecision holds when a committee decision on the product was
	// approved within Years years before the routing day, the day itself
	// included (P§9(三)3: 近两年内经产品委员会决策通过).
	FactCommitteeDecision Fact = "committeeDecisionWithinYears"
)

// Comparison is how a numeric fact meets its threshold.
type Comparison string

// The comparisons.
const (
	// AtLeast is ≥ (the seeds' "（含）").
	AtLeast Comparison = "atLeast"
	// MoreThan is >.
	MoreThan Comparison = "moreThan"
)

// Criterion is one test of a routing row. Amount is the threshold of money
// facts, Count that of customers, Years the window of the committee fact.
type Criterion struct {
	Fact    Fact         `json:"fact"`
	Compare Comparison   `json:"compare,omitempty"`
	Amount  money.Amount `json:"amount,omitempty"`
	Count   int64        `json:"count,omitempty"`
	Years   int          `json:"years,omitempty"`
}

// RoutingRow is one row of the routing table (SPEC 2.3). A row matches a
// submission when its type is listed, its exit type is listed (if ExitTypes is
// set), the product's mode equals Mode (if set), every AllOf criterion holds
// and, if AnyOf is set, at least one of AnyOf holds.
type RoutingRow struct {
	Types       []SubmissionType `json:"types"`
	ExitTypes   []ExitType       `json:"exitTypes,omitempty"`
	Mode        string           `json:"mode,omitempty"`
	AllOf       []Criterion      `json:"allOf,omitempty"`
	AnyOf       []Criterion      `json:"anyOf,omitempty"`
	Level       Level            `json:"level"`
	Rule        string           `json:"rule"`
	Description string           `json:"description"`
}

// Routing is the level chosen for a submission and the row that chose it.
type Routing struct {
	Level Level `json:"level"`
	// Row is the 1-based position of the deciding row in Rules.Routing.
	Row int `json:"row"`
	// NeedsReview is false only for LevelNone: a natural exit has neither
	// review nor decision (SPEC 2.2, P§21(二)4).
	NeedsReview bool   `json:"needsReview"`
	Rule        string `json:"rule"`
	Reason      string `json:"reason"`
	// Figures are, for an exit, the recorded figures the level was chosen on
	// beside the applicant's (SPEC 2.3 decided).
	Figures *ExitFigures `json:"figures,omitempty"`
}

// ExitFigures are the figures an exit is routed on, from the records, with
// the applicant's own figures shown beside them (SPEC 2.3 decided: P§19
// 以系统出具的结算数据为准, P annex 7 最近12个月业务收入).
type ExitFigures struct {
	// TrailingRevenue is the recorded revenue of From..To (12 complete months
	// before the submission); a month without a record counts 0.
	TrailingRevenue money.Amount `json:"trailingRevenue"`
	From            period.Month `json:"from"`
	To              period.Month `json:"to"`
	// MissingMonths are the months of the window without a revenue record.
	MissingMonths []period.Month `json:"missingMonths"`
	// Customers is the product record's customer count.
	Customers int64 `json:"customers"`
	// ApplicantTrailingRevenue and ApplicantCustomers are what the applicant
	// wrote; absent when the content took the records' figure.
	ApplicantTrailingRevenue *money.Amount `json:"applicantTrailingRevenue,omitempty"`
	ApplicantCustomers       *int64        `json:"applicantCustomers,omitempty"`
	Rule                     string        `json:"rule"`
}

// exitFigures gathers the recorded figures an exit routes on and the
// applicant's figures from its content.
func exitFigures(c ExitContent, facts ProductFacts) *ExitFigures {
	f := &ExitFigures{TrailingRevenue: facts.TrailingRevenue, From: facts.TrailingFrom, To: facts.TrailingTo,
		MissingMonths: append([]period.Month{}, facts.MissingRevenueMonths...), Customers: facts.Customers,
		Rule: "SPEC 2.3 (decided): P§19 以系统出具的结算数据为准, P annex 7 最近12个月业务收入"}
	if !contains(c.FilledFromRecords, "trailingRevenue") {
		v := c.TrailingRevenue
		f.ApplicantTrailingRevenue = &v
	}
	if !contains(c.FilledFromRecords, "customers") {
		v := c.Customers
		f.ApplicantCustomers = &v
	}
	return f
}

// note says where the routed figures came from, for the routing reason.
func (f *ExitFigures) note() string {
	n := fmt.Sprintf("routed on the records: revenue %s of %s..%s, customers %d", f.TrailingRevenue, f.From, f.To, f.Customers)
	if len(f.MissingMonths) > 0 {
		ms := make([]string, len(f.MissingMonths))
		for i, m := range f.MissingMonths {
			ms[i] = m.String()
		}
		n += "; months without a revenue record count 0: " + strings.Join(ms, ", ")
	}
	if f.ApplicantTrailingRevenue != nil || f.ApplicantCustomers != nil {
		n += "; the applicant's figures are shown, not used"
	}
	return n
}

// routingFacts are the values the criteria read, nil where the submission
// type does not carry the fact.
type routingFacts struct {
	strategic          bool
	investmentOrRdCost *money.Amount
	revenue            *money.Amount
	customers          int64
	committeeApproval  *period.Date
	today              period.Date
}

// Route picks the decision level of a validated submission: the first row of
// rules.Routing, top to bottom, that matches (SPEC 2.3). today is the routing
// day in Shanghai, for the committee-decision window.
func Route(c Content, facts ProductFacts, today period.Date, rules Rules) (Routing, error) {
	t := c.Type()
	rf := routingFacts{
		strategic:         facts.Strategic,
		customers:         facts.Customers,
		committeeApproval: facts.LastCommitteeApproval,
		today:             today,
	}
	var exitType ExitType
	var figures *ExitFigures
	switch c := c.(type) {
	case DemandContent:
		v := c.InvestmentOrRdCost()
		rf.investmentOrRdCost = &v
	case CommercialContent:
		rf.revenue = &c.EstimatedAnnualRevenue
	case PricingContent:
		rf.revenue = &c.EstimatedAnnualRevenue
	case RevenueShareContent:
		rf.revenue = &c.EstimatedAnnualRevenue
	case ExitContent:
		// SPEC 2.3 (decided): an exit is routed on the records, never on
		// the figures the applicant wrote.
		figures = exitFigures(c, facts)
		rf.revenue = &figures.TrailingRevenue
		rf.customers = figures.Customers
		exitType = c.ExitType
	}
	for i, row := range rules.Routing {
		if !contains(row.Types, t) {
			continue
		}
		if len(row.ExitTypes) > 0 && !contains(row.ExitTypes, exitType) {
			continue
		}
		if row.Mode != "" {
			if err := facts.checkMode(); err != nil {
				return Routing{}, err
			}
			if row.Mode != facts.Mode {
				continue
			}
		}
		held, ok, err := row.matches(rf)
		if err != nil {
			return Routing{}, fmt.Errorf("decision: routing row %d: %w", i+1, err)
		}
		if !ok {
			continue
		}
		reason := fmt.Sprintf("routing row %d (%s): %s", i+1, row.Rule, row.Description)
		if len(held) > 0 {
			reason += "; " + strings.Join(held, "; ")
		}
		if figures != nil && row.Level != LevelNone {
			reason += "; " + figures.note()
		}
		return Routing{
			Level:       row.Level,
			Row:         i + 1,
			NeedsReview: row.Level != LevelNone,
			Rule:        row.Rule,
			Reason:      reason + " → " + string(row.Level),
			Figures:     figures,
		}, nil
	}
	return Routing{}, fmt.Errorf("decision: no routing row matches a %s submission (mode %q)", t, facts.Mode)
}

// matches reports whether the row's criteria hold, with a note on each one
// that held so the reason shows the figures.
func (row RoutingRow) matches(rf routingFacts) (held []string, ok bool, err error) {
	for _, cr := range row.AllOf {
		yes, note, err := cr.holds(rf)
		if err != nil {
			return nil, false, err
		}
		if !yes {
			return nil, false, nil
		}
		held = append(held, note)
	}
	if len(row.AnyOf) == 0 {
		return held, true, nil
	}
	anyHeld := false
	for _, cr := range row.AnyOf {
		yes, note, err := cr.holds(rf)
		if err != nil {
			return nil, false, err
		}
		if yes {
			anyHeld = true
			held = append(held, note)
		}
	}
	return held, anyHeld, nil
}

func (cr Criterion) holds(rf routingFacts) (bool, string, error) {
	switch cr.Fact {
	case FactStrategic:
		return rf.strategic, "the product is strategic", nil
	case FactInvestmentOrRdCost:
		if rf.investmentOrRdCost == nil {
			return false, "", fmt.Errorf("fact %s applies to demand and demand_change only", cr.Fact)
		}
		return cr.compareAmount("estimated investment or R&D cost", *rf.investmentOrRdCost)
	case FactRevenue:
		if rf.revenue == nil {
			return false, "", fmt.Errorf("fact %s applies to trial_commercial, commercial, exit, pricing and revenue_share only", cr.Fact)
		}
		return cr.compareAmount("revenue", *rf.revenue)
	case FactCustomers:
		ok, err := cr.compare(rf.customers, cr.Count)
		return ok, fmt.Sprintf("customers %d %s %d", rf.customers, cr.Compare.symbol(), cr.Count), err
	case FactCommitteeDecision:
		if cr.Years <= 0 {
			return false, "", fmt.Errorf("fact %s needs years > 0", cr.Fact)
		}
		if rf.committeeApproval == nil {
			return false, "", nil
		}
		since := rf.today.AddMonths(-12 * cr.Years)
		within := !rf.committeeApproval.Before(since)
		return within, fmt.Sprintf("committee decision of %s within %d years (on or after %s)",
			rf.committeeApproval, cr.Years, since), nil
	}
	return false, "", fmt.Errorf("unknown fact %q", cr.Fact)
}

func (cr Criterion) compareAmount(name string, v money.Amount) (bool, string, error) {
	ok, err := cr.compare(int64(v), int64(cr.Amount))
	return ok, fmt.Sprintf("%s %s %s %s", name, v, cr.Compare.symbol(), cr.Amount), err
}

func (cr Criterion) compare(v, threshold int64) (bool, error) {
	switch cr.Compare {
	case AtLeast:
		return v >= threshold, nil
	case MoreThan:
		return v > threshold, nil
	}
	return false, fmt.Errorf("fact %s: unknown comparison %q", cr.Fact, cr.Compare)
}

func (c Comparison) symbol() string {
	if c == MoreThan {
		return ">"
	}
	return "≥"
}

// factTypes says which submission types carry each fact that not every type has.
var factTypes = map[Fact][]SubmissionType{
	FactInvestmentOrRdCost: {TypeDemand, TypeDemandChange},
	FactRevenue:            {TypeTrialCommercial, TypeCommercial, TypeExit, TypePricing, TypeRevenueShare},
}

// validate checks one row of the table for Rules.Validate.
func (row RoutingRow) validate(prefix string, errs FieldErrors) {
	if len(row.Types) == 0 {
		errs.add(prefix+".types", "must name at least one submission type")
	}
	for _, t := range row.Types {
		if !t.Valid() {
			errs.add(prefix+".types", fmt.Sprintf("unknown submission type %q", t))
		}
	}
	for _, e := range row.ExitTypes {
		if !e.Valid() {
			errs.add(prefix+".exitTypes", fmt.Sprintf("unknown exit type %q", e))
		}
	}
	if len(row.ExitTypes) > 0 && (len(row.Types) != 1 || row.Types[0] != TypeExit) {
		errs.add(prefix+".exitTypes", "only a row for exit alone may name exit types")
	}
	if row.Mode != "" && row.Mode != ModeSelfBuilt && row.Mode != ModeCooperative {
		errs.add(prefix+".mode", fmt.Sprintf("unknown mode %q", row.Mode))
	}
	if !row.Level.Valid() {
		errs.add(prefix+".level", fmt.Sprintf("unknown level %q", row.Level))
	}
	if strings.TrimSpace(row.Rule) == "" {
		errs.add(prefix+".rule", "must cite the article")
	}
	for name, list := range map[string][]Criterion{"allOf": row.AllOf, "anyOf": row.AnyOf} {
		for j, cr := range list {
			p := fmt.Sprintf("%s.%s[%d]", prefix, name, j)
			cr.validate(p, row.Types, errs)
		}
	}
}

func (cr Criterion) validate(prefix string, types []SubmissionType, errs FieldErrors) {
	switch cr.Fact {
	case FactStrategic:
	case FactInvestmentOrRdCost, FactRevenue, FactCustomers:
		if cr.Compare != AtLeast && cr.Compare != MoreThan {
			errs.add(prefix+".compare", fmt.Sprintf("must be %s or %s", AtLeast, MoreThan))
		}
		if cr.Amount < 0 || cr.Count < 0 {
			errs.add(prefix, "threshold must not be negative")
		}
	case FactCommitteeDecision:
		if cr.Years <= 0 {
			errs.add(prefix+".years", "must be at least 1")
		}
	default:
		errs.add(prefix+".fact", fmt.Sprintf("unknown fact %q", cr.Fact))
		return
	}
	if allowed, limited := factTypes[cr.Fact]; limited {
		for _, t := range types {
			if !contains(allowed, t) {
				errs.add(prefix+".fact", fmt.Sprintf("%s is not known for %s submissions", cr.Fact, t))
			}
		}
	}
}
