// Package partner holds the rules of the operation-support partnership (seed
// 003, cited S§n and S-A1..A6): intake screening, the deposit ledger, support
// project review scoring, partner assessment, penalties and core-staff changes.
// It is pure: every function takes its inputs and the Rules explicitly and never
// reads the clock, the network or storage.
package partner

import (
	"fmt"
	"math/big"

	"productgov/shared/money"
)

// Rules holds every threshold, period, table and amount of this package: the
// partner part of the versioned policy document (SPEC 7).
type Rules struct {
	Intake     IntakeRules     `json:"intake"`
	Deposit    DepositRules    `json:"deposit"`
	Review     ReviewRules     `json:"review"`
	Assessment AssessmentRules `json:"assessment"`
	Penalties  PenaltyRules    `json:"penalties"`
}

// IntakeRules are the intake standards of S§8 and the partner count and term of S§7.
type IntakeRules struct {
	MinRegisteredCapital money.Amount `json:"minRegisteredCapital"` // S§8.1(1): 注册资金不低于500万元
	MinNetAssets         money.Amount `json:"minNetAssets"`         // S§8.1(1): 净资产不少于1000万元
	MinAnnualRevenue     money.Amount `json:"minAnnualRevenue"`     // S§8.1(1): 年业务收入不少于1000万元
	MinProfitableYears   int          `json:"minProfitableYears"`   // S§8.1(1): 3年以上连续盈利
	MaxDebtRatio         money.Rate   `json:"maxDebtRatio"`         // S§8.1(1): 资产负债率不高于50%
	// RequiredLicences lists the licence keys an applicant must hold
	// (S§8.1(2); iso27001 from S§8.5(1)).
	RequiredLicences        []string `json:"requiredLicences"`
	MinCMMILevel            int      `json:"minCmmiLevel"`            // S§8.1(2): CMMI 3级以上
	MinTelecomYears         int      `json:"minTelecomYears"`         // S§8.2: 3年以上电信行业运营经验
	MinOpsStaff             int      `json:"minOpsStaff"`             // S§8.3(1): 30人以上专职运营支撑团队
	MinCloseSupportStaff    int      `json:"minCloseSupportStaff"`    // S§8.3(2): 紧密支撑人员不少于10人
	CloseSupportYears       int      `json:"closeSupportYears"`       // S§8.3(2): each with ≥ 3 years' telecom experience (counted by the applicant)
	MinCustomerServiceStaff int      `json:"minCustomerServiceStaff"` // S§8.4(1): 3人以上客户服务团队
	MinSecurityStaff        int      `json:"minSecurityStaff"`        // S§8.5(1): 3人以上专职信息安全管理员
	ReentryBanYears         int      `json:"reentryBanYears"`         // S§21: 清退后3年内不再准入
	NormalActivePartners    int      `json:"normalActivePartners"`    // S§7: 原则上3家
	MaxActivePartners       int      `json:"maxActivePartners"`       // S§7: 最多不超过5家
	AgreementTermYears      int      `json:"agreementTermYears"`      // S§7: 协议期为3年
}

// DepositRules govern the support deposit (S§8.6(1), S§20).
type DepositRules struct {
	Required          money.Amount `json:"required"`          // S§8.6(1), S§20: 支撑保证金30万元
	RefundDelayMonths int          `json:"refundDelayMonths"` // S§20: 终止合作3个月后返还
	// PaymentWindowWorkingDays is the window before the agreement's signing
	// in which the deposit is paid, in one sum (S§20: 于正式签署合作协议前10个
	// 工作日内一次性交纳); 0 leaves the day unchecked.
	PaymentWindowWorkingDays int `json:"paymentWindowWorkingDays"`
	// RefundApproval is the approval of a balance refund (S§20: product
	// innovation and finance review, the deputy GM approves).
	RefundApproval []ApprovalStage `json:"refundApproval"`
}

// ApprovalStage is one stage of an approval: its roles act in parallel.
type ApprovalStage struct {
	Step   string   `json:"step"`   // a stable name, e.g. "countersign"
	Action string   `json:"action"` // ActionInitiate, ActionCountersign or ActionApprove
	Roles  []string `json:"roles"`  // user-directory roles, e.g. "finance", "deputy_gm"
}

// Approval stage actions.
const (
	ActionInitiate    = "initiate"
	ActionCountersign = "countersign"
	ActionApprove     = "approve"
)

// ReviewRules are the support-project review forms and the project approval (S§10–S§11, S§14, S-A1).
type ReviewRules struct {
	Forms       []Form      `json:"forms"`       // S-A1 表一 (content) and 表二 (function)
	Bands       []BandScale `json:"bands"`       // S-A1: 无需求 / 一般 / 中等 / 较高 per item maximum
	PassScore   Score       `json:"passScore"`   // S§11: 60分以上(含60分)即确定需要运营支撑
	Departments []string    `json:"departments"` // S§11: 市场、产品、财务 reviewers, as directory departments
	// Approval is the project approval after a passing review (S§11).
	Approval        []ApprovalStage `json:"approval"`
	MaxAutoRenewals int             `json:"maxAutoRenewals"` // S§14: 续约次数不超过2次
}

// Form is one review form of S-A1 and the content types that use it.
type Form struct {
	Name         string     `json:"name"` // FormContent or FormFunction
	ContentTypes []string   `json:"contentTypes"`
	Items        []FormItem `json:"items"` // in table order
}

// FormItem is one scored item of a form with its maximum.
type FormItem struct {
	Key string `json:"key"`
	Max int    `json:"max"`
}

// BandScale gives the bands of every item with that maximum.
type BandScale struct {
	Max   int    `json:"max"`
	Bands []Band `json:"bands"`
}

// Band is a named, inclusive range of whole points.
type Band struct {
	Name string `json:"name"` // BandNoNeed, BandGeneral, BandMedium or BandHigh
	From int    `json:"from"`
	To   int    `json:"to"`
}

// Band names of S-A1 (无需求 / 一般需求 / 中等需求 / 较高需求).
const (
	BandNoNeed  = "no_need"
	BandGeneral = "general"
	BandMedium  = "medium"
	BandHigh    = "high"
)

// AssessmentRules are the partner assessment of S§21 and S-A6.
type AssessmentRules struct {
	PassScore Score `json:"passScore"` // S§21: 60分及以上为合格
	// RevenueWeight and ServiceWeight weigh a revenue-mode project's year (S-A6 表一: 80% / 20%).
	RevenueWeight money.Rate `json:"revenueWeight"`
	ServiceWeight money.Rate `json:"serviceWeight"`
	// RevenueScoreCap caps the revenue indicator (S-A6 表一: completion ratio × 100, at most 100).
	RevenueScoreCap            Score `json:"revenueScoreCap"`
	GuaranteeQuarters          int   `json:"guaranteeQuarters"`          // S-A6 表二: four quarterly scores
	WarningConsecutiveQuarters int   `json:"warningConsecutiveQuarters"` // S§21: 1年中连续两个季度低于60分 → 警告
	ExitConsecutiveYears       int   `json:"exitConsecutiveYears"`       // S§21: 连续两年低于60分 → 考核退出
	// TermAnnualWeight weighs the mean annual score in the end-of-term total (S-A6 表四: 80%).
	TermAnnualWeight    money.Rate    `json:"termAnnualWeight"`
	RecheckItems        []RecheckItem `json:"recheckItems"`        // S-A6 表四: intake standards re-check, 5 × 4 points
	MinNoticeMonths     int           `json:"minNoticeMonths"`     // S§21: 至少提前三个月提出书面申请
	MinTransitionMonths int           `json:"minTransitionMonths"` // S§21: 一至三个月的退出缓冲期
	MaxTransitionMonths int           `json:"maxTransitionMonths"`
}

// RecheckItem is one item of the end-of-term re-check of the intake standards.
type RecheckItem struct {
	Key string `json:"key"`
	Max Score  `json:"max"`
}

// PenaltyRules are the fines of S§19 and the core-staff change charge of S§21.
type PenaltyRules struct {
	Fines []FineCategory `json:"fines"`
	// StaffChangeCharge and StaffChangePoints are what one penalised core-staff
	// change costs (S§21: 每1人次扣除2万元, 并扣年度考评分数3分).
	StaffChangeCharge money.Amount `json:"staffChangeCharge"`
	StaffChangePoints Score        `json:"staffChangePoints"`
	// CoreStaffMinTenureMonths: core staff may not move within 2 years of joining (S§21).
	CoreStaffMinTenureMonths int `json:"coreStaffMinTenureMonths"`
	// StaffChangeNoticeMonths: after that, a move needs 3 months' notice (S§21).
	StaffChangeNoticeMonths int `json:"staffChangeNoticeMonths"`
}

// FineCategory is one kind of breach and the range its fine must lie in.
type FineCategory struct {
	Category string       `json:"category"`
	Article  string       `json:"article"`
	Min      money.Amount `json:"min"`
	Max      money.Amount `json:"max"`
	// NoAmount marks a category that carries no fine (a warning).
	NoAmount bool `json:"noAmount"`
	// WithLoss marks a category where the partner also bears the loss itself.
	WithLoss bool `json:"withLoss"`
}

// Licence keys of the intake facts (S§8.1(2), S§8.5(1)).
const (
	LicenceVASTelecom         = "vas_telecom"         // 增值电信业务经营许可
	LicenceSystemIntegration  = "system_integration"  // 通信信息网络系统集成资质
	LicenceHighTech           = "high_tech"           // 高新技术企业
	LicenceSoftwareEnterprise = "software_enterprise" // 软件企业
	LicenceISO9001            = "iso9001"             // ISO9001质量管理体系
	LicenceISO27001           = "iso27001"            // ISO27001信息安全管理体系
)

// Departments and roles of the review and approvals (SPEC 6).
const (
	DeptMarketing  = "marketing"  // 市场营销部
	DeptFinance    = "finance"    // 财务部
	DeptInnovation = "innovation" // 产品创新部
	RoleDeputyGM   = "deputy_gm"  // 主管副总经理
)

// Form names.
const (
	FormContent  = "content"
	FormFunction = "function"
)

// Review item keys, in S-A1 table order.
const (
	ItemProductPlanning   = "product_planning"
	ItemFunctionDev       = "function_dev"
	ItemInterfaceDev      = "interface_dev"
	ItemDataAnalysis      = "data_analysis"
	ItemTestTraining      = "test_training"
	ItemAuditOptimisation = "audit_optimisation"
	ItemContentCuration   = "content_curation"
	ItemOnlineMarketing   = "online_marketing"
	ItemCampaignPlanning  = "campaign_planning"
	ItemPageDesign        = "page_design"
)

// Re-check item keys of the end-of-term evaluation (S-A6 表四).
const (
	RecheckOverallStrength   = "overall_strength"   // 整体实力
	RecheckOperationTeam     = "operation_team"     // 运营团队
	RecheckSupportExperience = "support_experience" // 支撑经验
	RecheckSuccessCases      = "success_cases"      // 成功案例
	RecheckQualifications    = "qualifications"     // 专业资质
)

// Fine categories (S§19).
const (
	FineWarning             = "warning"              // 情节较轻的,给予警告
	FineMajorComplaint      = "major_complaint"      // S§19.1: 重大投诉
	FineConfidentialityLeak = "confidentiality_leak" // S§19.2: 保密信息泄露
	FineEconomicLoss        = "economic_loss"        // S§19.3: 经济损失
)

// DefaultRules returns the figures of seed 003 as SPEC 4.1–4.5 reads them.
func DefaultRules() Rules {
	return Rules{
		Intake: IntakeRules{
			MinRegisteredCapital: money.FromYuan(5_000_000),
			MinNetAssets:         money.FromYuan(10_000_000),
			MinAnnualRevenue:     money.FromYuan(10_000_000),
			MinProfitableYears:   3,
			MaxDebtRatio:         money.NewRate(1, 2),
			RequiredLicences: []string{LicenceVASTelecom, LicenceSystemIntegration, LicenceHighTech,
				LicenceSoftwareEnterprise, LicenceISO9001, LicenceISO27001},
			MinCMMILevel:            3,
			MinTelecomYears:         3,
			MinOpsStaff:             30,
			MinCloseSupportStaff:    10,
			CloseSupportYears:       3,
			MinCustomerServiceStaff: 3,
			MinSecurityStaff:        3,
			ReentryBanYears:         3,
			NormalActivePartners:    3,
			MaxActivePartners:       5,
			AgreementTermYears:      3,
		},
		Deposit: DepositRules{
			Required:                 money.FromYuan(300_000),
			RefundDelayMonths:        3,
			PaymentWindowWorkingDays: 10,
			RefundApproval: []ApprovalStage{
				{Step: "review", Action: ActionCountersign, Roles: []string{DeptInnovation, DeptFinance}},
				{Step: "approve", Action: ActionApprove, Roles: []string{RoleDeputyGM}},
			},
		},
		Review: ReviewRules{
			Forms: []Form{
				{Name: FormContent, ContentTypes: []string{ContentOrdinary, ContentDeep}, Items: []FormItem{
					{ItemProductPlanning, 10}, {ItemFunctionDev, 15}, {ItemInterfaceDev, 5},
					{ItemDataAnalysis, 10}, {ItemTestTraining, 10}, {ItemAuditOptimisation, 5},
					{ItemContentCuration, 15}, {ItemOnlineMarketing, 5}, {ItemCampaignPlanning, 10},
					{ItemPageDesign, 15},
				}},
				{Name: FormFunction, ContentTypes: []string{ContentBasicFunction, ContentFunction}, Items: []FormItem{
					{ItemProductPlanning, 10}, {ItemFunctionDev, 15}, {ItemInterfaceDev, 5},
					{ItemDataAnalysis, 15}, {ItemTestTraining, 15}, {ItemAuditOptimisation, 10},
					{ItemOnlineMarketing, 5}, {ItemCampaignPlanning, 10}, {ItemPageDesign, 15},
				}},
			},
			Bands: []BandScale{
				{Max: 5, Bands: []Band{{BandNoNeed, 0, 0}, {BandGeneral, 1, 3}, {BandMedium, 4, 4}, {BandHigh, 5, 5}}},
				{Max: 10, Bands: []Band{{BandNoNeed, 0, 0}, {BandGeneral, 1, 5}, {BandMedium, 6, 8}, {BandHigh, 9, 10}}},
				{Max: 15, Bands: []Band{{BandNoNeed, 0, 0}, {BandGeneral, 1, 9}, {BandMedium, 10, 12}, {BandHigh, 13, 15}}},
			},
			PassScore:   Points(60),
			Departments: []string{DeptMarketing, DeptFinance, DeptInnovation},
			Approval: []ApprovalStage{
				{Step: "initiate", Action: ActionInitiate, Roles: []string{DeptInnovation}},
				{Step: "countersign", Action: ActionCountersign, Roles: []string{DeptMarketing, DeptFinance, DeptInnovation}},
				{Step: "approve", Action: ActionApprove, Roles: []string{RoleDeputyGM}},
			},
			MaxAutoRenewals: 2,
		},
		Assessment: AssessmentRules{
			PassScore:                  Points(60),
			RevenueWeight:              money.NewRate(4, 5),
			ServiceWeight:              money.NewRate(1, 5),
			RevenueScoreCap:            Points(100),
			GuaranteeQuarters:          4,
			WarningConsecutiveQuarters: 2,
			ExitConsecutiveYears:       2,
			TermAnnualWeight:           money.NewRate(4, 5),
			RecheckItems: []RecheckItem{
				{RecheckOverallStrength, Points(4)}, {RecheckOperationTeam, Points(4)},
				{RecheckSupportExperience, Points(4)}, {RecheckSuccessCases, Points(4)},
				{RecheckQualifications, Points(4)},
			},
			MinNoticeMonths:     3,
			MinTransitionMonths: 1,
			MaxTransitionMonths: 3,
		},
		Penalties: PenaltyRules{
			Fines: []FineCategory{
				{Category: FineWarning, Article: "S§19", NoAmount: true},
				{Category: FineMajorComplaint, Article: "S§19.1", Min: money.FromYuan(5_000), Max: money.FromYuan(20_000)},
				{Category: FineConfidentialityLeak, Article: "S§19.2", Min: money.FromYuan(10_000), Max: money.FromYuan(30_000)},
				{Category: FineEconomicLoss, Article: "S§19.3", Min: money.FromYuan(30_000), Max: money.FromYuan(100_000), WithLoss: true},
			},
			StaffChangeCharge:        money.FromYuan(20_000),
			StaffChangePoints:        Points(3),
			CoreStaffMinTenureMonths: 24,
			StaffChangeNoticeMonths:  3,
		},
	}
}

// Validate checks that a policy's partner rules are usable: positive
// thresholds, a complete band for every item maximum, fine ranges in order.
// Every problem is named, keyed by its JSON path.
func (r Rules) Validate() error {
	errs := FieldErrors{}
	in := r.Intake
	for field, v := range map[string]int{
		"intake.minProfitableYears": in.MinProfitableYears, "intake.minCmmiLevel": in.MinCMMILevel,
		"intake.minTelecomYears": in.MinTelecomYears, "intake.minOpsStaff": in.MinOpsStaff,
		"intake.minCloseSupportStaff": in.MinCloseSupportStaff, "intake.minCustomerServiceStaff": in.MinCustomerServiceStaff,
		"intake.minSecurityStaff": in.MinSecurityStaff, "intake.reentryBanYears": in.ReentryBanYears,
		"intake.agreementTermYears": in.AgreementTermYears, "deposit.refundDelayMonths": r.Deposit.RefundDelayMonths,
		"review.maxAutoRenewals": r.Review.MaxAutoRenewals,
	} {
		if v < 0 {
			errs[field] = "must not be negative"
		}
	}
	if in.NormalActivePartners < 1 || in.MaxActivePartners < in.NormalActivePartners {
		errs["intake.maxActivePartners"] = "must be at least normalActivePartners, which must be at least 1"
	}
	if in.MaxDebtRatio.Cmp(money.NewRate(1, 1)) > 0 {
		errs["intake.maxDebtRatio"] = "must be at most 1"
	}
	for i, l := range in.RequiredLicences {
		if !isKnownLicence(l) {
			errs[fmt.Sprintf("intake.requiredLicences[%d]", i)] = "unknown licence " + l
		}
	}
	if r.Deposit.Required <= 0 {
		errs["deposit.required"] = "must be positive"
	}
	for fi, f := range r.Review.Forms {
		for ii, it := range f.Items {
			field := fmt.Sprintf("review.forms[%d].items[%d]", fi, ii)
			if it.Max <= 0 {
				errs[field] = "max must be positive"
				continue
			}
			for p := 0; p <= it.Max; p++ {
				if BandOf(p, it.Max, r.Review) == "" {
					errs[field] = fmt.Sprintf("no band covers %d of %d", p, it.Max)
					break
				}
			}
		}
	}
	if len(r.Review.Departments) == 0 {
		errs["review.departments"] = "must name at least one department"
	}
	if w := new(big.Rat).Add(r.Assessment.RevenueWeight.Rat(), r.Assessment.ServiceWeight.Rat()); w.Cmp(big.NewRat(1, 1)) != 0 {
		errs["assessment.serviceWeight"] = "revenueWeight + serviceWeight must be 1"
	}
	a := r.Assessment
	if a.GuaranteeQuarters < 1 || a.WarningConsecutiveQuarters < 1 || a.ExitConsecutiveYears < 1 {
		errs["assessment"] = "guaranteeQuarters, warningConsecutiveQuarters and exitConsecutiveYears must be at least 1"
	}
	if a.MinTransitionMonths < 0 || a.MaxTransitionMonths < a.MinTransitionMonths {
		errs["assessment.maxTransitionMonths"] = "must be at least minTransitionMonths, which must not be negative"
	}
	for i, c := range r.Penalties.Fines {
		if !c.NoAmount && (c.Min < 0 || c.Max < c.Min) {
			errs[fmt.Sprintf("penalties.fines[%d]", i)] = "needs 0 ≤ min ≤ max"
		}
	}
	if r.Penalties.StaffChangeCharge < 0 {
		errs["penalties.staffChangeCharge"] = "must not be negative"
	}
	return errs.errOrNil()
}
