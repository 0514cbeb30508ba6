package decision

import (
	"fmt"
	"strings"

	"productgov/shared/money"
)

// Rules holds every figure and table of the decision rules (SPEC 2, 7) as
// policy data; the versioned policy document embeds it.
type Rules struct {
	Content ContentRules `json:"content"`
	// Routing is the decision-level table, tried top to bottom (SPEC 2.3).
	Routing  []RoutingRow  `json:"routing"`
	Review   ReviewRules   `json:"review"`
	Approval ApprovalRules `json:"approval"`
	Timing   TimingRules   `json:"timing"`
	Exit     ExitRules     `json:"exit"`
	// StageMoves is what approved decisions do to the product's stage (SPEC 1).
	StageMoves []StageMove `json:"stageMoves"`
}

// Role names of the user directory that the default rules use (SPEC 6).
const (
	RoleReviewer          = "reviewer"
	RoleFinance           = "finance"
	RoleVP                = "vp"
	RoleGM                = "gm"
	RoleCommitteeDirector = "committee_director"
	// RoleGroupCustomer is 集团客户部, the line's lead department: it
	// countersigns a special meeting's minutes (P§9(二)).
	RoleGroupCustomer = "group_customer"
)

// DefaultRules returns SPEC's defaults.
func DefaultRules() Rules {
	yuan := money.FromYuan
	demandTypes := []SubmissionType{TypeDemand, TypeDemandChange}
	commercialTypes := []SubmissionType{TypeTrialCommercial, TypeCommercial}
	exit := []SubmissionType{TypeExit}
	return Rules{
		Content: ContentRules{
			MinEstimateMonths:          24,
			MinRevenueShareMonths:      12,
			CommercialMinAnnualRevenue: yuan(1_200_000),
			CooperativeOnlyExitTypes:   []ExitType{ExitNatural, ExitApplication, ExitBreach},
		},
		Routing: []RoutingRow{
			{Types: []SubmissionType{TypeBasicRules}, Level: LevelChengpi, Rule: "P§9(一)1",
				Description: "basic management rules (cost measurement, pricing, commission)"},
			{Types: demandTypes, Level: LevelCommittee, Rule: "P§9(三)2–3",
				AnyOf: []Criterion{
					{Fact: FactInvestmentOrRdCost, Compare: AtLeast, Amount: yuan(5_000_000)},
					{Fact: FactStrategic},
				},
				Description: "estimated investment or R&D cost ≥ 5,000,000, or a strategic product"},
			{Types: demandTypes, Level: LevelSpecialMeeting, Rule: "P§9(二)1",
				Description: "estimated investment and R&D cost below 5,000,000"},
			{Types: commercialTypes, Level: LevelGMOffice, Rule: "P§18",
				AllOf:       []Criterion{{Fact: FactStrategic}},
				Description: "a strategic product goes to the company leaders' meeting"},
			{Types: commercialTypes, Level: LevelSpecialMeeting, Rule: "P§9(二)2, P§18",
				Description: "(trial) commercial use of a non-strategic product, whatever its revenue (decided)"},
			{Types: []SubmissionType{TypePromotionPlan}, Level: LevelSpecialMeeting, Rule: "P§9(二)3",
				Description: "promotion path, marketing strategy and commission policy"},
			{Types: []SubmissionType{TypeMajorChange}, Mode: ModeSelfBuilt, Level: LevelSpecialMeeting,
				Rule: "P annex 5 step 4", Description: "major change of a self-built product"},
			{Types: []SubmissionType{TypeMajorChange}, Mode: ModeCooperative, Level: LevelChengpi,
				Rule: "P annex 5 step 5", Description: "major change of a cooperative product"},
			{Types: exit, ExitTypes: []ExitType{ExitNatural}, Level: LevelNone, Rule: "P§21(二)4",
				Description: "natural exit: the agreement expired and was not renewed; no review, no decision"},
			// SPEC 2.3 (decided): P§9(三)3 writes 超千万 without （含）, so the
			// committee row is strict on both figures.
			{Types: exit, Mode: ModeSelfBuilt, Level: LevelCommittee, Rule: "P§9(三)3",
				AllOf: []Criterion{
					{Fact: FactRevenue, Compare: MoreThan, Amount: yuan(10_000_000)},
					{Fact: FactCustomers, Compare: MoreThan, Count: 10_000_000},
					{Fact: FactCommitteeDecision, Years: 2},
				},
				Description: "self-built, revenue > 10,000,000, customers > 10,000,000 and a committee decision within 2 years (超千万: strict, decided)"},
			{Types: exit, Mode: ModeSelfBuilt, Level: LevelGMOffice, Rule: "P annex 7 step 5",
				AllOf:       []Criterion{{Fact: FactRevenue, Compare: AtLeast, Amount: yuan(10_000_000)}},
				Description: "self-built, trailing 12-month revenue ≥ 10,000,000 (annex 7: >=1000万)"},
			// SPEC 2.3 (decided): P§9(二)4 limits only self-built revenue, so a
			// large cooperative exit goes to the special meeting too; annex 7
			// step 6 (呈批件 for cooperative products) is the form of the small ones.
			{Types: exit, Level: LevelSpecialMeeting, Rule: "P§9(二)4, P annex 7 step 4",
				AnyOf: []Criterion{
					{Fact: FactCustomers, Compare: AtLeast, Count: 100_000},
					{Fact: FactRevenue, Compare: AtLeast, Amount: yuan(1_200_000)},
				},
				Description: "customers ≥ 100,000 or revenue ≥ 1,200,000, any mode (at exactly 100,000 customers the higher level, decided)"},
			{Types: exit, Level: LevelChengpi, Rule: "P§9(一)2, P annex 7 step 6",
				Description: "revenue below 1,200,000 and customers below 100,000, any mode"},
			// P§9(二)2: （预估）年收入超过120万（含）产品…定价、分成产品引入、续约.
			{Types: []SubmissionType{TypePricing, TypeRevenueShare}, Level: LevelSpecialMeeting, Rule: "P§9(二)2",
				AllOf:       []Criterion{{Fact: FactRevenue, Compare: AtLeast, Amount: yuan(1_200_000)}},
				Description: "pricing, or a revenue-share product's introduction or renewal, with estimated annual revenue ≥ 1,200,000"},
			{Types: []SubmissionType{TypePricing, TypeRevenueShare}, Level: LevelChengpi, Rule: "P§9(二)2, P§9(一) (decided)",
				Description: "pricing or revenue share with estimated annual revenue below 1,200,000 (decided: 呈批)"},
		},
		Review: ReviewRules{
			GroupMinVoters:             5,
			CrossDepartmentMinVoters:   5,
			GroupDepartments:           []string{"集团客户部", "政企客户中心", "系统集成"},
			CrossDepartmentDepartments: []string{"集团客户部", "政企客户中心", "系统集成"},
			ReviewerRole:               RoleReviewer,
		},
		Approval: ApprovalRules{
			Levels: []LevelPlan{
				{Level: LevelChengpi, Countersign: true, Steps: []StepTemplate{{Role: RoleVP}},
					Rule: "P§9(一)", Description: "呈批: the related departments countersign, then the VP in charge approves"},
				{Level: LevelSpecialMeeting, Steps: []StepTemplate{{Role: RoleVP, RecordsMinutes: true, MinutesCountersigned: true}},
					Rule: "P§9(二)", Description: "专题办公会: 集团客户部 and the related departments countersign the minutes, then the VP in charge signs them"},
				{Level: LevelCommittee,
					Steps: []StepTemplate{{Role: RoleVP, RecordsMinutes: true, MinutesCountersigned: true}, {Role: RoleCommitteeDirector, RecordsMinutes: true}},
					Rule:  "P§8, P§9(二), P§9(三)", Description: "产品委员会: the special meeting first (its minutes countersigned, then the VP), then the committee director"},
				{Level: LevelGMOffice,
					Steps: []StepTemplate{{Role: RoleVP, RecordsMinutes: true}, {Role: RoleGM, RecordsMinutes: true}},
					Rule:  "P§18, P annex 7 step 5", Description: "总经办: the VP first, then the general manager"},
			},
			DefaultCountersigners: []string{RoleFinance},
			// P§9(二): 会议纪要经集团客户部及相关业务主管部门会签; the policy
			// may add related departments per type.
			DefaultMinutesCountersigners: []string{RoleGroupCustomer},
		},
		Timing: TimingRules{
			ReminderWorkingDays:         2,
			LinkExpiryDays:              7,
			StepExpiryDays:              7,
			ConstructionPlanWorkingDays: 10,
			TrialUseMaxMonths:           3,
		},
		Exit: ExitRules{
			NaturalNoticeMonths: 3,
			Delisting: []ChecklistItem{
				{Key: "adc", Label: "ADC 网元下架", Rule: "P annex 7 step 8"},
				{Key: "misc", Label: "MISC 平台下架", Rule: "P annex 7 step 8"},
				{Key: "boss", Label: "BOSS 下架", Rule: "P annex 7 step 8"},
				{Key: "industry_gateway", Label: "行业网关下架", Rule: "P annex 7 step 8"},
				{Key: "data_cutover", Label: "数据割接", Rule: "P annex 7 step 8"},
				{Key: "resource_recovery", Label: "回收资源", Rule: "P annex 7 step 8"},
				{Key: "deposit_return", Label: "退还合作承诺金", CooperativeOnly: true, Rule: "P annex 7 step 8"},
				{Key: "agreement_termination", Label: "合作商协议终止", CooperativeOnly: true, Rule: "P annex 7 step 8"},
			},
		},
		StageMoves: []StageMove{
			{Types: []SubmissionType{TypeDemand}, From: []string{stageDemand}, To: stagePlanning,
				Rule: "P§10, P§11", Description: "the demand is approved; planning and the construction plan follow"},
			{Types: []SubmissionType{TypeDemandChange},
				From: []string{stagePlanning, stageBuilding, stageIntroducing, stageTrialUse, stageTrialCommercial, stageCommercial},
				Rule: "P§10(二)2", Description: "a changed demand of an existing product keeps its stage"},
			{Types: []SubmissionType{TypeTrialCommercial}, From: []string{stageBuilding, stageIntroducing, stageTrialUse, stageTrialSuspended},
				To: stageTrialCommercial, Rule: "P§17, P§17(三)", Description: "trial commercial use (试商用) is approved, or resumed after it was stopped"},
			{Types: []SubmissionType{TypeCommercial}, From: []string{stageTrialCommercial},
				To: stageCommercial, Rule: "P§18", Description: "commercial use (商用) follows trial commercial use"},
			{Types: []SubmissionType{TypeExit}, From: []string{stageTrialUse, stageTrialCommercial, stageTrialSuspended, stageCommercial},
				To: stageExiting, Rule: "P§21(二)", Description: "the exit notice and delisting follow"},
			{Types: []SubmissionType{TypeMajorChange},
				From:              []string{stageDemand, stagePlanning, stageBuilding, stageIntroducing, stageTrialUse, stageTrialCommercial, stageCommercial},
				UpdatesAttributes: true, Rule: "P annex 5 steps 6–7",
				Description: "the change notice updates the product's attributes (mode, partner, level)"},
			{Types: []SubmissionType{TypePromotionPlan}, From: []string{stageTrialCommercial, stageCommercial},
				Rule: "P§9(二)3", Description: "a promotion plan is for a (trial) commercial product"},
			{Types: []SubmissionType{TypeBasicRules}, AnyStage: true,
				Rule: "P§9(一)1", Description: "basic rules change the policy, not a product"},
			{Types: []SubmissionType{TypePricing},
				From: []string{stagePlanning, stageBuilding, stageIntroducing, stageTrialUse, stageTrialCommercial, stageCommercial},
				Rule: "P§16", Description: "a product's pricing keeps its stage"},
			{Types: []SubmissionType{TypeRevenueShare},
				From: []string{stagePlanning, stageIntroducing, stageTrialUse, stageTrialCommercial, stageCommercial},
				Rule: "P§9(二)2", Description: "a revenue-share introduction or renewal keeps the product's stage"},
		},
	}
}

// Validate checks that the rules are complete and consistent, so a policy
// document with a typo is refused before it decides anything. Field names
// are the JSON paths inside Rules.
func (r Rules) Validate() error {
	errs := FieldErrors{}
	positive := func(field string, v int) {
		if v <= 0 {
			errs.add(field, "must be at least 1")
		}
	}
	positive("content.minEstimateMonths", r.Content.MinEstimateMonths)
	positive("content.minRevenueShareMonths", r.Content.MinRevenueShareMonths)
	if r.Content.CommercialMinAnnualRevenue < 0 {
		errs.add("content.commercialMinAnnualRevenue", "must not be negative")
	}
	for _, e := range r.Content.CooperativeOnlyExitTypes {
		if !e.Valid() {
			errs.add("content.cooperativeOnlyExitTypes", fmt.Sprintf("unknown exit type %q", e))
		}
	}

	routed := map[SubmissionType]bool{}
	usedLevels := map[Level]bool{}
	for i, row := range r.Routing {
		row.validate(fmt.Sprintf("routing[%d]", i), errs)
		for _, t := range row.Types {
			routed[t] = true
		}
		usedLevels[row.Level] = true
	}
	for _, t := range SubmissionTypes() {
		if !routed[t] {
			errs.add("routing", fmt.Sprintf("no row routes %s submissions", t))
		}
	}

	positive("review.groupMinVoters", r.Review.GroupMinVoters)
	positive("review.crossDepartmentMinVoters", r.Review.CrossDepartmentMinVoters)
	if strings.TrimSpace(r.Review.ReviewerRole) == "" {
		errs.add("review.reviewerRole", "must name a role")
	}

	planned := map[Level]bool{}
	countersigns := false
	for i, lp := range r.Approval.Levels {
		p := fmt.Sprintf("approval.levels[%d]", i)
		if !lp.Level.Valid() || lp.Level == LevelNone {
			errs.add(p+".level", fmt.Sprintf("%q is not a deciding level", lp.Level))
		}
		if planned[lp.Level] {
			errs.add(p+".level", fmt.Sprintf("level %s is planned twice", lp.Level))
		}
		planned[lp.Level] = true
		countersigns = countersigns || lp.Countersign
		if len(lp.Steps) == 0 && !lp.Countersign {
			errs.add(p+".steps", "must have at least one step")
		}
		for j, st := range lp.Steps {
			if strings.TrimSpace(st.Role) == "" {
				errs.add(fmt.Sprintf("%s.steps[%d].role", p, j), "must name a role")
			}
		}
		if strings.TrimSpace(lp.Rule) == "" {
			errs.add(p+".rule", "must cite the article")
		}
	}
	for l := range usedLevels {
		if l.Valid() && l != LevelNone && !planned[l] {
			errs.add("approval.levels", fmt.Sprintf("level %s is routed to but has no approval steps", l))
		}
	}
	if countersigns && len(r.Approval.DefaultCountersigners) == 0 {
		errs.add("approval.defaultCountersigners", "must name at least one department role")
	}
	for _, lp := range r.Approval.Levels {
		for _, st := range lp.Steps {
			if st.MinutesCountersigned && len(r.Approval.DefaultMinutesCountersigners) == 0 {
				errs.add("approval.defaultMinutesCountersigners", "must name at least one role: a step's minutes are countersigned (P§9(二))")
			}
		}
	}
	for t := range r.Approval.MinutesCountersigners {
		if !t.Valid() {
			errs.add("approval.minutesCountersigners", fmt.Sprintf("unknown submission type %q", t))
		}
	}
	for t := range r.Approval.Countersigners {
		if !t.Valid() {
			errs.add("approval.countersigners", fmt.Sprintf("unknown submission type %q", t))
		}
	}

	positive("timing.reminderWorkingDays", r.Timing.ReminderWorkingDays)
	positive("timing.linkExpiryDays", r.Timing.LinkExpiryDays)
	positive("timing.stepExpiryDays", r.Timing.StepExpiryDays)
	positive("timing.constructionPlanWorkingDays", r.Timing.ConstructionPlanWorkingDays)
	positive("timing.trialUseMaxMonths", r.Timing.TrialUseMaxMonths)

	if r.Exit.NaturalNoticeMonths < 0 {
		errs.add("exit.naturalNoticeMonths", "must not be negative")
	}
	keys := map[string]bool{}
	for i, it := range r.Exit.Delisting {
		if strings.TrimSpace(it.Key) == "" || keys[it.Key] {
			errs.add(fmt.Sprintf("exit.delisting[%d].key", i), "must be non-empty and unique")
		}
		keys[it.Key] = true
	}
	if len(r.Exit.Delisting) == 0 {
		errs.add("exit.delisting", "must list at least one item")
	}

	moved := map[SubmissionType]bool{}
	for i, m := range r.StageMoves {
		p := fmt.Sprintf("stageMoves[%d]", i)
		for _, t := range m.Types {
			if !t.Valid() {
				errs.add(p+".types", fmt.Sprintf("unknown submission type %q", t))
			}
			moved[t] = true
		}
		if !m.AnyStage && len(m.From) == 0 {
			errs.add(p+".from", "must list stages, or set anyStage")
		}
	}
	for _, t := range SubmissionTypes() {
		if !moved[t] {
			errs.add("stageMoves", fmt.Sprintf("no move for approved %s decisions", t))
		}
	}
	return errs.errOrNil()
}
