package decision

import (
	"encoding/json"
	"errors"
	"maps"
	"reflect"
	"sort"
	"strings"
	"testing"

	"productgov/shared/money"
	"productgov/shared/period"
)

// body builds a submission's content fields; string values that start with
// "json:" are written as raw JSON (numbers, null, objects).
func body(fields map[string]string) map[string]json.RawMessage {
	raw := map[string]json.RawMessage{}
	for k, v := range fields {
		if rest, ok := strings.CutPrefix(v, "json:"); ok {
			raw[k] = json.RawMessage(rest)
			continue
		}
		b, _ := json.Marshal(v)
		raw[k] = b
	}
	return raw
}

// with returns a copy of base with the changes; a value "-" deletes the field.
func with(base map[string]string, changes map[string]string) map[string]string {
	out := maps.Clone(base)
	for k, v := range changes {
		if v == "-" {
			delete(out, k)
			continue
		}
		out[k] = v
	}
	return out
}

var (
	selfBuilt   = ProductFacts{Mode: ModeSelfBuilt}
	cooperative = ProductFacts{Mode: ModeCooperative, PartnerID: "partner-1"}

	demandSelfBuilt = map[string]string{
		"marketAnalysis": "政企客户视频监控需求旺盛", "functionDesign": "云存储+AI 识别", "feasibility": "技术可行",
		"buildModel": "自建", "operatingModel": "自营", "businessModel": "按路计费",
		"estimatedInvestment": "4999999.99", "estimateMonths": "json:24",
	}
	demandCooperative = with(demandSelfBuilt, map[string]string{
		"partnerId": "partner-1", "revenueShareModel": "7:3 分成", "revenueShareEstimate": "json:360000",
		"revenueShareMonths": "12",
	})
	commercialBody = map[string]string{
		"commercialName": "和对讲", "startDate": "2026-03-01", "scope": "全市", "tariffs": "30 元/月",
		"discounts": "8 折", "discountAuthority": "集团客户部", "marketSize": "5000 户",
		"benefitEvaluation": "年收入 120 万", "estimatedAnnualRevenue": "1200000.00",
	}
	exitSelfBuilt = map[string]string{
		"exitType": "assessment", "evaluation": "连续两月未达标", "exitPlan": "分批迁移",
		"replacementProduct": "无", "exitDate": "2026-09-30", "customerServicePlan": "客户经理逐户通知",
	}
	majorChangeBody = map[string]string{
		"changeKind": "partner", "background": "原合作方被收购", "impactAnalysis": "客户无感",
		"implementationPlan": "签署三方协议", "resources": "无新增", "schedule": "2026 年 Q3",
	}
	pricingBody = map[string]string{
		"pricingKind": "new_product", "tariffs": "30 元/月", "discounts": "8 折", "discountAuthority": "集团客户部",
		"costMeasurement": "单用户成本 12 元/月", "benefitEvaluation": "年收入 150 万", "effectiveDate": "2026-05-01",
		"estimatedAnnualRevenue": "1500000.00",
	}
	shareBody = map[string]string{
		"shareKind": "renewal", "partnerId": "partner-1", "revenueShareModel": "三七分成", "revenueShareEstimate": "360000.00",
		"revenueShareMonths": "json:12", "agreementStart": "2026-07-01", "agreementEnd": "2029-06-30",
		"benefitEvaluation": "年收入 120 万", "estimatedAnnualRevenue": "1200000.00",
	}
	promotionBody = map[string]string{
		"promotionPath": "网格→区县", "marketingStrategy": "首月免费", "commissionPolicy": "5% 酬金",
	}
)

func TestValidateContentDemand(t *testing.T) {
	tests := []struct {
		name   string
		typ    SubmissionType
		facts  ProductFacts
		fields map[string]string
		want   FieldErrors // nil: valid
	}{
		{"self-built complete", TypeDemand, selfBuilt, demandSelfBuilt, nil},
		{"demand change complete", TypeDemandChange, selfBuilt, demandSelfBuilt, nil},
		{"cooperative complete", TypeDemand, cooperative, demandCooperative, nil},
		{"estimate months exactly 24", TypeDemand, selfBuilt, with(demandSelfBuilt, map[string]string{"estimateMonths": "24"}), nil},
		{"estimate months 23", TypeDemand, selfBuilt, with(demandSelfBuilt, map[string]string{"estimateMonths": "json:23"}),
			FieldErrors{"estimateMonths": "must be at least 24 months (P§7(一)4: 预估周期应不少于 24 个月)"}},
		{"estimate months not whole", TypeDemand, selfBuilt, with(demandSelfBuilt, map[string]string{"estimateMonths": "json:24.5"}),
			FieldErrors{"estimateMonths": "must be a whole number"}},
		{"revenue share months 11", TypeDemand, cooperative, with(demandCooperative, map[string]string{"revenueShareMonths": "json:11"}),
			FieldErrors{"revenueShareMonths": "must be at least 12 months (P§7(一)5: 预估不少于 12 个月的分成金额)"}},
		{"R&D cost alone is enough", TypeDemand, selfBuilt,
			with(demandSelfBuilt, map[string]string{"estimatedInvestment": "-", "estimatedRdCost": "json:0"}), nil},
		{"neither investment nor R&D cost", TypeDemand, selfBuilt, with(demandSelfBuilt, map[string]string{"estimatedInvestment": "json:null"}),
			FieldErrors{
				"estimatedInvestment": "estimatedInvestment or estimatedRdCost (or both) is required (P§7(一)4)",
				"estimatedRdCost":     "estimatedInvestment or estimatedRdCost (or both) is required (P§7(一)4)",
			}},
		{"three decimals", TypeDemand, selfBuilt, with(demandSelfBuilt, map[string]string{"estimatedInvestment": "1.234"}),
			FieldErrors{"estimatedInvestment": `must be an amount in yuan: must be a decimal number with at most two decimals: "1.234" has 3 decimals`}},
		{"negative amount", TypeDemand, selfBuilt, with(demandSelfBuilt, map[string]string{"estimatedInvestment": "json:-1"}),
			FieldErrors{"estimatedInvestment": "must not be negative"}},
		{"past spend needs benefit analysis", TypeDemand, ProductFacts{Mode: ModeSelfBuilt, HadSpend: true}, demandSelfBuilt,
			FieldErrors{"pastBenefitAnalysis": "is required (P§7(一)3: the product had investment or cost before)"}},
		{"past spend with benefit analysis", TypeDemand, ProductFacts{Mode: ModeSelfBuilt, HadSpend: true},
			with(demandSelfBuilt, map[string]string{"pastBenefitAnalysis": "去年投入 80 万，收入 120 万"}), nil},
		{"cooperative fields on a self-built product", TypeDemand, selfBuilt, with(demandSelfBuilt, map[string]string{"partnerId": "partner-1"}),
			FieldErrors{"partnerId": "applies to cooperative products only (P§7(一)5); this product is self_built"}},
		{"cooperative without partner fields", TypeDemand, cooperative, demandSelfBuilt, FieldErrors{
			"partnerId":            "is required (P§7(一)5)",
			"revenueShareModel":    "is required (P§7(一)5)",
			"revenueShareEstimate": "is required (P§7(一)5)",
			"revenueShareMonths":   "is required (P§7(一)5)",
		}},
		{"blank and non-text", TypeDemand, selfBuilt, with(demandSelfBuilt, map[string]string{"marketAnalysis": "   ", "feasibility": "json:42"}),
			FieldErrors{"marketAnalysis": "must not be empty (P§7(一)1)", "feasibility": "must be text"}},
		{"type and productId are not content", TypeDemand, selfBuilt, with(demandSelfBuilt, map[string]string{"type": "demand", "productId": "p1"}), nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := ValidateContent(tt.typ, body(tt.fields), tt.facts, DefaultRules())
			checkFieldErrors(t, err, tt.want)
			if tt.want == nil && c.Type() != tt.typ {
				t.Errorf("content type = %s, want %s", c.Type(), tt.typ)
			}
		})
	}
}

func TestValidateContentNamesEveryMissingField(t *testing.T) {
	_, err := ValidateContent(TypeDemand, body(map[string]string{"colour": "red"}), cooperative, DefaultRules())
	var fe FieldErrors
	if !errors.As(err, &fe) {
		t.Fatalf("err = %v, want FieldErrors", err)
	}
	want := []string{"buildModel", "businessModel", "colour", "estimateMonths", "estimatedInvestment", "estimatedRdCost",
		"feasibility", "functionDesign", "marketAnalysis", "operatingModel", "partnerId", "revenueShareEstimate",
		"revenueShareModel", "revenueShareMonths"}
	var got []string
	for f := range fe {
		got = append(got, f)
	}
	sort.Strings(got)
	if !reflect.DeepEqual(got, want) {
		t.Errorf("fields = %v\nwant %v", got, want)
	}
	if !strings.HasPrefix(fe["colour"], "unknown field for a demand submission; allowed: buildModel, businessModel,") {
		t.Errorf("colour: %q", fe["colour"])
	}
	if fe["marketAnalysis"] != "is required (P§7(一)1)" {
		t.Errorf("marketAnalysis: %q", fe["marketAnalysis"])
	}
}

func TestValidateContentDemandNormalised(t *testing.T) {
	c, err := ValidateContent(TypeDemand, body(with(demandCooperative, map[string]string{"estimatedRdCost": "json:5000000"})),
		cooperative, DefaultRules())
	if err != nil {
		t.Fatal(err)
	}
	d := c.(DemandContent)
	if got := d.InvestmentOrRdCost(); got != money.FromYuan(5_000_000) {
		t.Errorf("InvestmentOrRdCost = %s", got)
	}
	b, _ := json.Marshal(d)
	for _, want := range []string{`"estimatedInvestment":"4999999.99"`, `"estimatedRdCost":"5000000.00"`,
		`"revenueShareEstimate":"360000.00"`, `"estimateMonths":24`, `"revenueShareMonths":12`} {
		if !strings.Contains(string(b), want) {
			t.Errorf("JSON %s lacks %s", b, want)
		}
	}
	back, err := DecodeContent(TypeDemand, b)
	if err != nil || !reflect.DeepEqual(back, c) {
		t.Errorf("DecodeContent = %+v, %v; want %+v", back, err, c)
	}
}

func TestValidateContentCommercial(t *testing.T) {
	strategic := ProductFacts{Strategic: true}
	flagged := ProductFacts{CommercialIneligible: true}
	tests := []struct {
		name   string
		typ    SubmissionType
		facts  ProductFacts
		fields map[string]string
		want   FieldErrors
	}{
		{"commercial at exactly 1,200,000", TypeCommercial, ProductFacts{}, commercialBody, nil},
		{"commercial as a JSON number", TypeCommercial, ProductFacts{}, with(commercialBody, map[string]string{"estimatedAnnualRevenue": "json:1200000"}), nil},
		{"commercial one fen below", TypeCommercial, ProductFacts{}, with(commercialBody, map[string]string{"estimatedAnnualRevenue": "1199999.99"}),
			FieldErrors{"estimatedAnnualRevenue": "1199999.99 is below the 1200000.00 a commercial product needs unless it is strategic (P§18)"}},
		{"strategic commercial below", TypeCommercial, strategic, with(commercialBody, map[string]string{"estimatedAnnualRevenue": "0"}), nil},
		{"trial commercial below is allowed", TypeTrialCommercial, ProductFacts{}, with(commercialBody, map[string]string{"estimatedAnnualRevenue": "100"}), nil},
		{"commercial refused when flagged", TypeCommercial, flagged, commercialBody, FieldErrors{"productId": "the product is flagged " +
			"commercial_ineligible by the monthly assessment: more than 2 years in trial commercial use with trailing 12-month revenue below 1200000.00 (P§18)"}},
		{"trial commercial not refused when flagged", TypeTrialCommercial, flagged, commercialBody, nil},
		{"impossible date", TypeCommercial, ProductFacts{}, with(commercialBody, map[string]string{"startDate": "2026-02-30"}),
			FieldErrors{"startDate": "must be a date written YYYY-MM-DD"}},
		{"slashed date and missing tariffs", TypeCommercial, ProductFacts{}, with(commercialBody, map[string]string{"startDate": "2026/03/01", "tariffs": "-"}),
			FieldErrors{"startDate": "must be a date written YYYY-MM-DD", "tariffs": "is required (P§7(二)2)"}},
		{"missing revenue", TypeCommercial, ProductFacts{}, with(commercialBody, map[string]string{"estimatedAnnualRevenue": "-"}),
			FieldErrors{"estimatedAnnualRevenue": "is required (P§7(二)3, P§18)"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := ValidateContent(tt.typ, body(tt.fields), tt.facts, DefaultRules())
			checkFieldErrors(t, err, tt.want)
			if tt.want == nil {
				cc := c.(CommercialContent)
				if cc.StartDate != period.MustDate("2026-03-01") || cc.Type() != tt.typ {
					t.Errorf("content = %+v", cc)
				}
			}
		})
	}
}

func TestValidateContentExit(t *testing.T) {
	records := ProductFacts{Mode: ModeSelfBuilt, TrailingRevenue: money.MustParse("10000000.00"), Customers: 120_000}
	coopRecords := ProductFacts{Mode: ModeCooperative, PartnerID: "partner-1", TrailingRevenue: money.MustParse("50000"), Customers: 10}
	tests := []struct {
		name          string
		facts         ProductFacts
		fields        map[string]string
		want          FieldErrors
		wantRevenue   string
		wantCustomers int64
		wantFilled    []string
	}{
		{"figures from records", records, exitSelfBuilt, nil, "10000000.00", 120_000, []string{"trailingRevenue", "customers"}},
		{"figures given", records, with(exitSelfBuilt, map[string]string{"trailingRevenue": "1199999.99", "customers": "json:99999"}),
			nil, "1199999.99", 99_999, nil},
		{"null figures count as absent", records, with(exitSelfBuilt, map[string]string{"trailingRevenue": "json:null"}),
			nil, "10000000.00", 120_000, []string{"trailingRevenue", "customers"}},
		{"bad figures are not replaced", records, with(exitSelfBuilt, map[string]string{"trailingRevenue": "1.001", "customers": "json:-1"}),
			FieldErrors{"trailingRevenue": `must be an amount in yuan: must be a decimal number with at most two decimals: "1.001" has 3 decimals`,
				"customers": "must not be negative"}, "", 0, nil},
		{"unknown exit type", records, with(exitSelfBuilt, map[string]string{"exitType": "voluntary"}),
			FieldErrors{"exitType": `unknown value "voluntary"; allowed: assessment, pilot, natural, application, breach`}, "", 0, nil},
		{"natural exit of a self-built product", records, with(exitSelfBuilt, map[string]string{"exitType": "natural"}),
			FieldErrors{"exitType": "natural exit is about a partner, so it applies to cooperative products only (P§21(一)); this product is self_built"}, "", 0, nil},
		{"cooperative needs cooperation matters", coopRecords, exitSelfBuilt,
			FieldErrors{"cooperationMatters": "is required (P§7(三)4)"}, "", 0, nil},
		{"cooperative natural exit", coopRecords, with(exitSelfBuilt, map[string]string{"exitType": "natural", "cooperationMatters": "退还承诺金"}),
			nil, "50000.00", 10, []string{"trailingRevenue", "customers"}},
		{"self-built with cooperation matters", records, with(exitSelfBuilt, map[string]string{"cooperationMatters": "无"}),
			FieldErrors{"cooperationMatters": "applies to cooperative products only (P§7(三)4); this product is self_built"}, "", 0, nil},
		{"everything missing", records, map[string]string{}, FieldErrors{
			"exitType": "is required (P§21(一))", "evaluation": "is required (P§7(三)1)", "exitPlan": "is required (P§7(三)2)",
			"replacementProduct":  "is required (P§7(三)2; write 无 when there is none)",
			"exitDate":            "is required (P§7(三)3)",
			"customerServicePlan": "is required (P§7(三)3)",
		}, "", 0, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := ValidateContent(TypeExit, body(tt.fields), tt.facts, DefaultRules())
			checkFieldErrors(t, err, tt.want)
			if tt.want != nil {
				return
			}
			e := c.(ExitContent)
			if e.TrailingRevenue.String() != tt.wantRevenue || e.Customers != tt.wantCustomers || !reflect.DeepEqual(e.FilledFromRecords, tt.wantFilled) {
				t.Errorf("revenue %s customers %d filled %v; want %s %d %v", e.TrailingRevenue, e.Customers, e.FilledFromRecords,
					tt.wantRevenue, tt.wantCustomers, tt.wantFilled)
			}
		})
	}
}

func TestValidateContentOtherTypes(t *testing.T) {
	tests := []struct {
		name   string
		typ    SubmissionType
		facts  ProductFacts
		fields map[string]string
		want   FieldErrors
	}{
		{"major change", TypeMajorChange, cooperative, majorChangeBody, nil},
		{"major change with new attributes", TypeMajorChange, cooperative,
			with(majorChangeBody, map[string]string{"newPartnerId": "partner-2", "newMode": "cooperative", "newLevel": "province"}), nil},
		{"major change bad kind and level", TypeMajorChange, selfBuilt,
			with(majorChangeBody, map[string]string{"changeKind": "price", "newLevel": "county", "schedule": "-"}), FieldErrors{
				"changeKind": `unknown value "price"; allowed: cooperation_mode, partner, management_level, other`,
				"newLevel":   `unknown value "county"; allowed: hq, province, city`,
				"schedule":   "is required (P annex 5 step 1)",
			}},
		{"promotion plan", TypePromotionPlan, ProductFacts{}, promotionBody, nil},
		{"promotion plan without commission", TypePromotionPlan, ProductFacts{}, with(promotionBody, map[string]string{"commissionPolicy": ""}),
			FieldErrors{"commissionPolicy": "must not be empty (P§9(二)3)"}},
		{"basic rules", TypeBasicRules, ProductFacts{}, map[string]string{"ruleKind": "pricing", "ruleText": "资费折扣审批权限"}, nil},
		{"policy change needs the document", TypeBasicRules, ProductFacts{}, map[string]string{"ruleKind": "policy", "ruleText": "V2.1"},
			FieldErrors{"policyDocument": "is required (SPEC 7: a policy change carries the new document)"}},
		{"policy change with the document", TypeBasicRules, ProductFacts{},
			map[string]string{"ruleKind": "policy", "ruleText": "V2.1", "policyDocument": `json:{"version":"2.1"}`}, nil},
		{"policy document must be an object", TypeBasicRules, ProductFacts{},
			map[string]string{"ruleKind": "policy", "ruleText": "V2.1", "policyDocument": "json:[1]"},
			FieldErrors{"policyDocument": "must be a JSON object"}},
		{"document only with ruleKind policy", TypeBasicRules, ProductFacts{},
			map[string]string{"ruleKind": "pricing", "ruleText": "x", "policyDocument": `json:{}`},
			FieldErrors{"policyDocument": "applies to ruleKind policy only (SPEC 7)"}},
		// P§9(二)2, P§16: pricing.
		{"pricing", TypePricing, selfBuilt, pricingBody, nil},
		{"pricing with an unknown scene and no revenue", TypePricing, selfBuilt,
			with(pricingBody, map[string]string{"pricingKind": "discount", "estimatedAnnualRevenue": ""}),
			FieldErrors{"pricingKind": `unknown value "discount"; allowed: new_product, optimisation`,
				"estimatedAnnualRevenue": "must be an amount in yuan: must be a decimal number with at most two decimals"}},
		// P§9(二)2, P§7(一)5: revenue-share introduction and renewal.
		{"revenue share", TypeRevenueShare, cooperative, shareBody, nil},
		{"revenue share of a self-built product", TypeRevenueShare, selfBuilt, shareBody,
			FieldErrors{"productId": "a revenue-share introduction or renewal is about a cooperative product (P§2, P§9(二)2); this product is self_built"}},
		{"revenue share: 11 months, another partner, end before start", TypeRevenueShare, cooperative,
			with(shareBody, map[string]string{"revenueShareMonths": "json:11", "partnerId": "partner-2", "agreementEnd": "2026-01-01"}),
			FieldErrors{"revenueShareMonths": "must be at least 12 months (P§7(一)5: 预估不少于 12 个月的分成金额)",
				"partnerId":    "must be the product's partner partner-1 (P§7(一)5); a new partner is a major_change",
				"agreementEnd": "must be after agreementStart"}},
		{"unknown type", SubmissionType("launch"), ProductFacts{}, map[string]string{},
			FieldErrors{"type": `unknown submission type "launch"; allowed: demand, demand_change, trial_commercial, commercial, exit, major_change, promotion_plan, basic_rules, pricing, revenue_share`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := ValidateContent(tt.typ, body(tt.fields), tt.facts, DefaultRules())
			checkFieldErrors(t, err, tt.want)
			if tt.want != nil {
				return
			}
			b, _ := json.Marshal(c)
			back, err := DecodeContent(tt.typ, b)
			if err != nil || !reflect.DeepEqual(back, c) {
				t.Errorf("DecodeContent(%s) = %+v, %v; want %+v", b, back, err, c)
			}
		})
	}
}

func TestValidateContentBadProductMode(t *testing.T) {
	_, err := ValidateContent(TypeExit, body(exitSelfBuilt), ProductFacts{Mode: "joint"}, DefaultRules())
	var fe FieldErrors
	if err == nil || errors.As(err, &fe) {
		t.Fatalf("err = %v, want a plain error about the product record", err)
	}
	// Types that do not depend on the mode do not need it.
	if _, err := ValidateContent(TypePromotionPlan, body(promotionBody), ProductFacts{}, DefaultRules()); err != nil {
		t.Errorf("promotion plan without mode: %v", err)
	}
}

func checkFieldErrors(t *testing.T, err error, want FieldErrors) {
	t.Helper()
	if want == nil {
		if err != nil {
			t.Fatalf("unexpected error: %v", err)
		}
		return
	}
	var got FieldErrors
	if !errors.As(err, &got) {
		t.Fatalf("err = %v, want FieldErrors %v", err, want)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("errors:\n got %v\nwant %v", got, want)
	}
}
