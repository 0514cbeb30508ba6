package decision

import (
	"encoding/json"
	"fmt"

	"productgov/shared/money"
	"productgov/shared/period"
)

// ContentRules holds the figures of required content (P§7, P§18, P§21; SPEC 2.1).
type ContentRules struct {
	// MinEstimateMonths is the shortest period an investment or cost estimate
	// may cover (P§7(一)4: 预估周期应不少于 24 个月).
	MinEstimateMonths int `json:"minEstimateMonths"`
	// MinRevenueShareMonths is the shortest period a cooperative product's
	// revenue share estimate may cover (P§7(一)5: 不少于 12 个月).
	MinRevenueShareMonths int `json:"minRevenueShareMonths"`
	// CommercialMinAnnualRevenue is the estimated annual revenue a commercial
	// submission needs unless the product is strategic (P§18: 不少于120万).
	CommercialMinAnnualRevenue money.Amount `json:"commercialMinAnnualRevenue"`
	// CooperativeOnlyExitTypes are exits about a partner, so only a cooperative
	// product can have them (P§21(一)3–5: natural, application, breach).
	CooperativeOnlyExitTypes []ExitType `json:"cooperativeOnlyExitTypes"`
}

// ProductFacts are what the content and routing rules need to know about the
// product, taken from its record by the caller.
type ProductFacts struct {
	// Mode is ModeSelfBuilt or ModeCooperative.
	Mode string `json:"mode"`
	// PartnerID is the cooperative product's partner; review and approval
	// exclude people with a declared relation to it (P§24).
	PartnerID string `json:"partnerId,omitempty"`
	// Strategic is true for the P§9(三)2 strategic list.
	Strategic bool `json:"strategic"`
	// HadSpend is true when the product had investment or cost before, so a
	// demand needs a benefit analysis of it (P§7(一)3).
	HadSpend bool `json:"hadSpend"`
	// TrailingRevenue is the sum of the product's recorded revenue for the 12
	// complete months before the submission (TrailingFrom..TrailingTo). An
	// exit is routed on it, never on the applicant's figure (SPEC 2.3
	// decided, P§19 以系统出具的结算数据为准, P annex 7 最近12个月业务收入);
	// an exit submission's content takes it when the applicant gives none.
	TrailingRevenue money.Amount `json:"trailingRevenue"`
	// TrailingFrom and TrailingTo bound the 12 months TrailingRevenue sums.
	TrailingFrom period.Month `json:"trailingFrom"`
	TrailingTo   period.Month `json:"trailingTo"`
	// MissingRevenueMonths are the months of the window without a revenue
	// record: each counts 0 and the routing reason names it.
	MissingRevenueMonths []period.Month `json:"missingRevenueMonths,omitempty"`
	// Customers is the product record's customer count; exits route on it.
	Customers int64 `json:"customers"`
	// CommercialIneligible is the monthly assessment's P§18 flag.
	CommercialIneligible bool `json:"commercialIneligible"`
	// LastCommitteeApproval is the date of the latest approved committee
	// decision on the product, if any (P§9(三)3).
	LastCommitteeApproval *period.Date `json:"lastCommitteeApproval,omitempty"`
}

func (f ProductFacts) cooperative() bool { return f.Mode == ModeCooperative }

func (f ProductFacts) checkMode() error {
	if f.Mode != ModeSelfBuilt && f.Mode != ModeCooperative {
		return fmt.Errorf("decision: product mode %q is neither %s nor %s", f.Mode, ModeSelfBuilt, ModeCooperative)
	}
	return nil
}

// Content is a submission's validated, typed content. Its JSON is the flat
// object of SPEC 2.1 field names, amounts as decimal strings.
type Content interface {
	// Type is the submission type the content belongs to.
	Type() SubmissionType
}

// DemandContent is the content of demand and demand_change (P§7(一)).
type DemandContent struct {
	// Kind is TypeDemand or TypeDemandChange.
	Kind                SubmissionType `json:"-"`
	MarketAnalysis      string         `json:"marketAnalysis"`
	FunctionDesign      string         `json:"functionDesign"`
	Feasibility         string         `json:"feasibility"`
	BuildModel          string         `json:"buildModel"`
	OperatingModel      string         `json:"operatingModel"`
	BusinessModel       string         `json:"businessModel"`
	PastBenefitAnalysis string         `json:"pastBenefitAnalysis,omitempty"`
	EstimatedInvestment *money.Amount  `json:"estimatedInvestment,omitempty"`
	EstimatedRdCost     *money.Amount  `json:"estimatedRdCost,omitempty"`
	EstimateMonths      int            `json:"estimateMonths"`
	// Cooperative products only (P§7(一)5).
	PartnerID            string        `json:"partnerId,omitempty"`
	RevenueShareModel    string        `json:"revenueShareModel,omitempty"`
	RevenueShareEstimate *money.Amount `json:"revenueShareEstimate,omitempty"`
	RevenueShareMonths   int           `json:"revenueShareMonths,omitempty"`
}

// Type returns TypeDemand or TypeDemandChange.
func (c DemandContent) Type() SubmissionType { return c.Kind }

// InvestmentOrRdCost is the larger of the two estimates: P§9 compares each of
// them with the threshold on its own (预估投资超过500万 / 预估研发成本投入超过500万).
func (c DemandContent) InvestmentOrRdCost() money.Amount {
	var a money.Amount
	if c.EstimatedInvestment != nil {
		a = *c.EstimatedInvestment
	}
	if c.EstimatedRdCost != nil {
		a = money.Max(a, *c.EstimatedRdCost)
	}
	return a
}

// CommercialContent is the content of trial_commercial and commercial (P§7(二)).
type CommercialContent struct {
	// Kind is TypeTrialCommercial or TypeCommercial.
	Kind                   SubmissionType `json:"-"`
	CommercialName         string         `json:"commercialName"`
	StartDate              period.Date    `json:"startDate"`
	Scope                  string         `json:"scope"`
	Tariffs                string         `json:"tariffs"`
	Discounts              string         `json:"discounts"`
	DiscountAuthority      string         `json:"discountAuthority"`
	MarketSize             string         `json:"marketSize"`
	BenefitEvaluation      string         `json:"benefitEvaluation"`
	EstimatedAnnualRevenue money.Amount   `json:"estimatedAnnualRevenue"`
}

// Type returns TypeTrialCommercial or TypeCommercial.
func (c CommercialContent) Type() SubmissionType { return c.Kind }

// ExitContent is the content of an exit (P§7(三), P§21). For a natural exit,
// ExitDate is the partner agreement's expiry (P§21(一)3: 按合同到期时间).
type ExitContent struct {
	ExitType            ExitType    `json:"exitType"`
	Evaluation          string      `json:"evaluation"`
	ExitPlan            string      `json:"exitPlan"`
	ReplacementProduct  string      `json:"replacementProduct"`
	ExitDate            period.Date `json:"exitDate"`
	CustomerServicePlan string      `json:"customerServicePlan"`
	// CooperationMatters is for cooperative products only (P§7(三)4).
	CooperationMatters string `json:"cooperationMatters,omitempty"`
	// TrailingRevenue and Customers are the applicant's figures, or the
	// records' where the applicant gave none. They are kept and shown but
	// never choose the level: Route reads the records (SPEC 2.3 decided).
	TrailingRevenue money.Amount `json:"trailingRevenue"`
	Customers       int64        `json:"customers"`
	// FilledFromRecords names the fields taken from the product's records
	// because the submission left them out; a note for the audit trail, not content.
	FilledFromRecords []string `json:"-"`
}

// Type returns TypeExit.
func (ExitContent) Type() SubmissionType { return TypeExit }

// MajorChangeContent is the content of a major change (P annex 5 step 1).
// NewMode, NewPartnerID and NewLevel are optional: the attributes the change
// sets once approved.
type MajorChangeContent struct {
	ChangeKind         ChangeKind `json:"changeKind"`
	Background         string     `json:"background"`
	ImpactAnalysis     string     `json:"impactAnalysis"`
	ImplementationPlan string     `json:"implementationPlan"`
	Resources          string     `json:"resources"`
	Schedule           string     `json:"schedule"`
	NewMode            string     `json:"newMode,omitempty"`
	NewPartnerID       string     `json:"newPartnerId,omitempty"`
	NewLevel           string     `json:"newLevel,omitempty"`
}

// Type returns TypeMajorChange.
func (MajorChangeContent) Type() SubmissionType { return TypeMajorChange }

// PromotionPlanContent is the content of a promotion plan (P§9(二)3).
type PromotionPlanContent struct {
	PromotionPath     string `json:"promotionPath"`
	MarketingStrategy string `json:"marketingStrategy"`
	CommissionPolicy  string `json:"commissionPolicy"`
}

// Type returns TypePromotionPlan.
func (PromotionPlanContent) Type() SubmissionType { return TypePromotionPlan }

// BasicRulesContent is the content of a basic rules submission (P§9(一)1).
// A new policy version (SPEC 7) carries the document itself.
type BasicRulesContent struct {
	RuleKind       RuleKind        `json:"ruleKind"`
	RuleText       string          `json:"ruleText"`
	PolicyDocument json.RawMessage `json:"policyDocument,omitempty"`
}

// Type returns TypeBasicRules.
func (BasicRulesContent) Type() SubmissionType { return TypeBasicRules }

// PricingContent is the content of a pricing decision (资费定价, P§9(二)2,
// P§16, P§7(二)2).
type PricingContent struct {
	PricingKind PricingKind `json:"pricingKind"`
	// Tariffs, Discounts and DiscountAuthority are the tariff system, the
	// discount system and its approval authority (P§7(二)2).
	Tariffs           string `json:"tariffs"`
	Discounts         string `json:"discounts"`
	DiscountAuthority string `json:"discountAuthority"`
	// CostMeasurement is the cost measurement the price rests on (P§5(三)).
	CostMeasurement   string `json:"costMeasurement"`
	BenefitEvaluation string `json:"benefitEvaluation"`
	// EffectiveDate is when the tariff takes effect.
	EffectiveDate period.Date `json:"effectiveDate"`
	// EstimatedAnnualRevenue routes it: ≥ 1,200,000 to the special meeting (P§9(二)2).
	EstimatedAnnualRevenue money.Amount `json:"estimatedAnnualRevenue"`
}

// Type returns TypePricing.
func (PricingContent) Type() SubmissionType { return TypePricing }

// RevenueShareContent is the content of a revenue-share product's
// introduction or renewal (分成产品引入、续约, P§9(二)2, P§7(一)5).
type RevenueShareContent struct {
	ShareKind ShareKind `json:"shareKind"`
	// PartnerID is the product's partner the share is agreed with.
	PartnerID            string       `json:"partnerId"`
	RevenueShareModel    string       `json:"revenueShareModel"`
	RevenueShareEstimate money.Amount `json:"revenueShareEstimate"`
	RevenueShareMonths   int          `json:"revenueShareMonths"`
	// AgreementStart and AgreementEnd bound the cooperation agreement introduced or renewed.
	AgreementStart    period.Date `json:"agreementStart"`
	AgreementEnd      period.Date `json:"agreementEnd"`
	BenefitEvaluation string      `json:"benefitEvaluation"`
	// EstimatedAnnualRevenue routes it: ≥ 1,200,000 to the special meeting (P§9(二)2).
	EstimatedAnnualRevenue money.Amount `json:"estimatedAnnualRevenue"`
}

// Type returns TypeRevenueShare.
func (RevenueShareContent) Type() SubmissionType { return TypeRevenueShare }

// productLevels are the product levels a major change may set (SPEC 1).
var productLevels = []string{"hq", "province", "city"}

// ValidateContent checks a submission's content against its type (SPEC 2.1)
// and returns it typed and normalised. raw holds the request body's fields
// other than type and productId. Every missing or invalid field is named in
// the FieldErrors returned; a product record without a valid mode, which the
// caller should never pass, is a plain error.
func ValidateContent(t SubmissionType, raw map[string]json.RawMessage, facts ProductFacts, rules Rules) (Content, error) {
	if !t.Valid() {
		return nil, FieldErrors{"type": fmt.Sprintf("unknown submission type %q; allowed: %s", t, joinAll(SubmissionTypes()))}
	}
	switch t {
	case TypeDemand, TypeDemandChange, TypeExit, TypeMajorChange, TypeRevenueShare:
		if err := facts.checkMode(); err != nil {
			return nil, err
		}
	}
	r := newFieldReader(raw)
	var c Content
	switch t {
	case TypeDemand, TypeDemandChange:
		c = readDemand(r, t, facts, rules.Content)
	case TypeTrialCommercial, TypeCommercial:
		c = readCommercial(r, t, facts, rules.Content)
	case TypeExit:
		c = readExit(r, facts, rules.Content)
	case TypeMajorChange:
		c = readMajorChange(r)
	case TypePromotionPlan:
		c = readPromotionPlan(r)
	case TypeBasicRules:
		c = readBasicRules(r)
	case TypePricing:
		c = readPricing(r)
	case TypeRevenueShare:
		c = readRevenueShare(r, facts, rules.Content)
	}
	r.refuseUnknown(t)
	if err := r.errs.errOrNil(); err != nil {
		return nil, err
	}
	return c, nil
}

func readDemand(r *fieldReader, t SubmissionType, facts ProductFacts, rules ContentRules) DemandContent {
	c := DemandContent{Kind: t}
	// P§7(一)1: 市场需求分析、产品功能设计及整体可行性分析.
	c.MarketAnalysis = r.text("marketAnalysis", true, "P§7(一)1")
	c.FunctionDesign = r.text("functionDesign", true, "P§7(一)1")
	c.Feasibility = r.text("feasibility", true, "P§7(一)1")
	// P§7(一)2: 建设模式、运营模式及商务模式.
	c.BuildModel = r.text("buildModel", true, "P§7(一)2")
	c.OperatingModel = r.text("operatingModel", true, "P§7(一)2")
	c.BusinessModel = r.text("businessModel", true, "P§7(一)2")
	// P§7(一)3: only a product that had investment or cost before needs it.
	c.PastBenefitAnalysis = r.text("pastBenefitAnalysis", facts.HadSpend,
		"P§7(一)3: the product had investment or cost before")
	// P§7(一)4: 预估当期投资或预估当期成本金额 — one of them at least.
	c.EstimatedInvestment = r.amount("estimatedInvestment", false, "P§7(一)4")
	c.EstimatedRdCost = r.amount("estimatedRdCost", false, "P§7(一)4")
	if !r.has("estimatedInvestment") && !r.has("estimatedRdCost") {
		why := "estimatedInvestment or estimatedRdCost (or both) is required (P§7(一)4)"
		r.errs.add("estimatedInvestment", why)
		r.errs.add("estimatedRdCost", why)
	}
	if n := r.count("estimateMonths", true, int64(rules.MinEstimateMonths),
		fmt.Sprintf("must be at least %d months (P§7(一)4: 预估周期应不少于 %d 个月)", rules.MinEstimateMonths, rules.MinEstimateMonths),
		"P§7(一)4"); n != nil {
		c.EstimateMonths = int(*n)
	}
	// P§7(一)5: cooperative products name the partner and the revenue share.
	coopFields := []string{"partnerId", "revenueShareModel", "revenueShareEstimate", "revenueShareMonths"}
	if !facts.cooperative() {
		for _, f := range coopFields {
			r.notApplicable(f, "applies to cooperative products only (P§7(一)5); this product is "+facts.Mode)
		}
		return c
	}
	c.PartnerID = r.text("partnerId", true, "P§7(一)5")
	c.RevenueShareModel = r.text("revenueShareModel", true, "P§7(一)5")
	c.RevenueShareEstimate = r.amount("revenueShareEstimate", true, "P§7(一)5")
	if n := r.count("revenueShareMonths", true, int64(rules.MinRevenueShareMonths),
		fmt.Sprintf("must be at least %d months (P§7(一)5: 预估不少于 %d 个月的分成金额)", rules.MinRevenueShareMonths, rules.MinRevenueShareMonths),
		"P§7(一)5"); n != nil {
		c.RevenueShareMonths = int(*n)
	}
	return c
}

func readCommercial(r *fieldReader, t SubmissionType, facts ProductFacts, rules ContentRules) CommercialContent {
	c := CommercialContent{Kind: t}
	// P§7(二)1: 商用名称、商用时间和商用范围.
	c.CommercialName = r.text("commercialName", true, "P§7(二)1")
	if d := r.date("startDate", true, "P§7(二)1"); d != nil {
		c.StartDate = *d
	}
	c.Scope = r.text("scope", true, "P§7(二)1")
	// P§7(二)2: 资费体系、折扣体系及相应的审批权限.
	c.Tariffs = r.text("tariffs", true, "P§7(二)2")
	c.Discounts = r.text("discounts", true, "P§7(二)2")
	c.DiscountAuthority = r.text("discountAuthority", true, "P§7(二)2")
	// P§7(二)3: 市场规模及效益评估.
	c.MarketSize = r.text("marketSize", true, "P§7(二)3")
	c.BenefitEvaluation = r.text("benefitEvaluation", true, "P§7(二)3")
	if a := r.amount("estimatedAnnualRevenue", true, "P§7(二)3, P§18"); a != nil {
		c.EstimatedAnnualRevenue = *a
		// P§18: 商用产品原则上产品年收入不少于120万, strategic products excepted.
		if t == TypeCommercial && !facts.Strategic && *a < rules.CommercialMinAnnualRevenue {
			r.errs.add("estimatedAnnualRevenue", fmt.Sprintf(
				"%s is below the %s a commercial product needs unless it is strategic (P§18)",
				a, rules.CommercialMinAnnualRevenue))
		}
	}
	// P§18: after 2 years of trial commercial use below 1,200,000 a product is
	// no longer taken to commercial use; the monthly assessment sets the flag.
	if t == TypeCommercial && facts.CommercialIneligible {
		r.errs.add("productId", "the product is flagged commercial_ineligible by the monthly assessment: "+
			"more than 2 years in trial commercial use with trailing 12-month revenue below "+
			rules.CommercialMinAnnualRevenue.String()+" (P§18)")
	}
	return c
}

func readExit(r *fieldReader, facts ProductFacts, rules ContentRules) ExitContent {
	var c ExitContent
	c.ExitType = oneOf(r, "exitType", true, ExitTypes(), "P§21(一)")
	if c.ExitType != "" && !facts.cooperative() && contains(rules.CooperativeOnlyExitTypes, c.ExitType) {
		r.errs.add("exitType", fmt.Sprintf(
			"%s exit is about a partner, so it applies to cooperative products only (P§21(一)); this product is %s",
			c.ExitType, facts.Mode))
	}
	c.Evaluation = r.text("evaluation", true, "P§7(三)1")
	c.ExitPlan = r.text("exitPlan", true, "P§7(三)2")
	// "无" is a valid answer: the plan must say whether a replacement exists.
	c.ReplacementProduct = r.text("replacementProduct", true, "P§7(三)2; write 无 when there is none")
	if d := r.date("exitDate", true, "P§7(三)3"); d != nil {
		c.ExitDate = *d
	}
	c.CustomerServicePlan = r.text("customerServicePlan", true, "P§7(三)3")
	if facts.cooperative() {
		c.CooperationMatters = r.text("cooperationMatters", true, "P§7(三)4")
	} else {
		r.notApplicable("cooperationMatters", "applies to cooperative products only (P§7(三)4); this product is "+facts.Mode)
	}
	// SPEC 2.1: trailing revenue and customers come from the records when absent.
	if a := r.amount("trailingRevenue", false, "SPEC 2.1"); a != nil {
		c.TrailingRevenue = *a
	} else if !r.has("trailingRevenue") {
		c.TrailingRevenue = facts.TrailingRevenue
		c.FilledFromRecords = append(c.FilledFromRecords, "trailingRevenue")
	}
	if n := r.count("customers", false, 0, "must not be negative", "SPEC 2.1"); n != nil {
		c.Customers = *n
	} else if !r.has("customers") {
		c.Customers = facts.Customers
		c.FilledFromRecords = append(c.FilledFromRecords, "customers")
	}
	return c
}

func readMajorChange(r *fieldReader) MajorChangeContent {
	var c MajorChangeContent
	const rule = "P annex 5 step 1"
	c.ChangeKind = oneOf(r, "changeKind", true, ChangeKinds(), rule)
	c.Background = r.text("background", true, rule)
	c.ImpactAnalysis = r.text("impactAnalysis", true, rule)
	c.ImplementationPlan = r.text("implementationPlan", true, rule)
	c.Resources = r.text("resources", true, rule)
	c.Schedule = r.text("schedule", true, rule)
	c.NewMode = oneOf(r, "newMode", false, []string{ModeSelfBuilt, ModeCooperative}, rule)
	c.NewPartnerID = r.text("newPartnerId", false, rule)
	c.NewLevel = oneOf(r, "newLevel", false, productLevels, rule)
	return c
}

func readPromotionPlan(r *fieldReader) PromotionPlanContent {
	const rule = "P§9(二)3"
	return PromotionPlanContent{
		PromotionPath:     r.text("promotionPath", true, rule),
		MarketingStrategy: r.text("marketingStrategy", true, rule),
		CommissionPolicy:  r.text("commissionPolicy", true, rule),
	}
}

func readPricing(r *fieldReader) PricingContent {
	var c PricingContent
	const rule = "P§9(二)2, P§16"
	c.PricingKind = oneOf(r, "pricingKind", true, PricingKinds(), "P§16: 新产品定价 or 老产品资费优化")
	// P§7(二)2: 资费体系、折扣体系及相应的审批权限.
	c.Tariffs = r.text("tariffs", true, "P§7(二)2")
	c.Discounts = r.text("discounts", true, "P§7(二)2")
	c.DiscountAuthority = r.text("discountAuthority", true, "P§7(二)2")
	c.CostMeasurement = r.text("costMeasurement", true, "P§5(三): 产品成本测算")
	c.BenefitEvaluation = r.text("benefitEvaluation", true, "P§7(二)3")
	if d := r.date("effectiveDate", true, rule); d != nil {
		c.EffectiveDate = *d
	}
	if a := r.amount("estimatedAnnualRevenue", true, rule); a != nil {
		c.EstimatedAnnualRevenue = *a
	}
	return c
}

func readRevenueShare(r *fieldReader, facts ProductFacts, rules ContentRules) RevenueShareContent {
	var c RevenueShareContent
	const rule = "P§9(二)2"
	// A revenue-share product is a cooperative one (P§2(二)2: 合作产品).
	if !facts.cooperative() {
		r.errs.add("productId", "a revenue-share introduction or renewal is about a cooperative product (P§2, P§9(二)2); this product is "+facts.Mode)
	}
	c.ShareKind = oneOf(r, "shareKind", true, ShareKinds(), rule+": 分成产品引入 or 续约")
	c.PartnerID = r.text("partnerId", true, "P§7(一)5")
	if c.PartnerID != "" && facts.cooperative() && c.PartnerID != facts.PartnerID {
		r.errs.add("partnerId", fmt.Sprintf("must be the product's partner %s (P§7(一)5); a new partner is a major_change", facts.PartnerID))
	}
	c.RevenueShareModel = r.text("revenueShareModel", true, "P§7(一)5")
	if a := r.amount("revenueShareEstimate", true, "P§7(一)5"); a != nil {
		c.RevenueShareEstimate = *a
	}
	if n := r.count("revenueShareMonths", true, int64(rules.MinRevenueShareMonths),
		fmt.Sprintf("must be at least %d months (P§7(一)5: 预估不少于 %d 个月的分成金额)", rules.MinRevenueShareMonths, rules.MinRevenueShareMonths),
		"P§7(一)5"); n != nil {
		c.RevenueShareMonths = int(*n)
	}
	start := r.date("agreementStart", true, rule)
	end := r.date("agreementEnd", true, rule)
	if start != nil && end != nil {
		c.AgreementStart, c.AgreementEnd = *start, *end
		if !end.After(*start) {
			r.errs.add("agreementEnd", "must be after agreementStart")
		}
	}
	c.BenefitEvaluation = r.text("benefitEvaluation", true, "P§7(二)3")
	if a := r.amount("estimatedAnnualRevenue", true, rule); a != nil {
		c.EstimatedAnnualRevenue = *a
	}
	return c
}

func readBasicRules(r *fieldReader) BasicRulesContent {
	var c BasicRulesContent
	c.RuleKind = oneOf(r, "ruleKind", true, RuleKinds(), "P§9(一)1")
	c.RuleText = r.text("ruleText", true, "P§9(一)1")
	if c.RuleKind == RulePolicy {
		c.PolicyDocument = r.object("policyDocument", true, "SPEC 7: a policy change carries the new document")
	} else {
		r.notApplicable("policyDocument", "applies to ruleKind policy only (SPEC 7)")
	}
	return c
}

// DecodeContent reads content stored after ValidateContent back into its
// typed form. It checks the JSON shape only, not the rules, which may have
// changed since.
func DecodeContent(t SubmissionType, data []byte) (Content, error) {
	switch t {
	case TypeDemand, TypeDemandChange:
		return decodeAs(data, DemandContent{Kind: t})
	case TypeTrialCommercial, TypeCommercial:
		return decodeAs(data, CommercialContent{Kind: t})
	case TypeExit:
		return decodeAs(data, ExitContent{})
	case TypeMajorChange:
		return decodeAs(data, MajorChangeContent{})
	case TypePromotionPlan:
		return decodeAs(data, PromotionPlanContent{})
	case TypeBasicRules:
		return decodeAs(data, BasicRulesContent{})
	case TypePricing:
		return decodeAs(data, PricingContent{})
	case TypeRevenueShare:
		return decodeAs(data, RevenueShareContent{})
	}
	return nil, fmt.Errorf("decision: unknown submission type %q", t)
}

func decodeAs[T Content](data []byte, c T) (Content, error) {
	if err := json.Unmarshal(data, &c); err != nil {
		return nil, fmt.Errorf("decision: decode %s content: %w", c.Type(), err)
	}
	return c, nil
}
