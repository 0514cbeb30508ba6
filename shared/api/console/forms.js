// The required content of each decision type (SPEC 2.1, P§7), as forms:
// key (the API's field), label, input kind, the article, and whether the
// field applies to cooperative products only. The API checks every rule;
// the form only asks for the fields and shows the API's answer beside them.

const text = (key, label, rule, extra = {}) => ({ key, label, kind: 'textarea', rule, ...extra });
const line = (key, label, rule, extra = {}) => ({ key, label, kind: 'text', rule, ...extra });
const amount = (key, label, rule, extra = {}) => ({ key, label, kind: 'amount', rule, ...extra });
const count = (key, label, rule, extra = {}) => ({ key, label, kind: 'int', rule, ...extra });
const date = (key, label, rule, extra = {}) => ({ key, label, kind: 'date', rule, ...extra });
const choice = (key, label, rule, options, extra = {}) => ({ key, label, kind: 'select', rule, options, ...extra });

const demand = [
  text('marketAnalysis', '市场需求分析', 'P§7(一)1'),
  text('functionDesign', '产品功能设计', 'P§7(一)1'),
  text('feasibility', '整体可行性分析', 'P§7(一)1'),
  line('buildModel', '建设模式', 'P§7(一)2'),
  line('operatingModel', '运营模式', 'P§7(一)2'),
  line('businessModel', '商务模式', 'P§7(一)2'),
  text('pastBenefitAnalysis', '前期投入效益分析', 'P§7(一)3', { hint: '产品前期有投资或成本时必填' }),
  amount('estimatedInvestment', '预估当期投资（元）', 'P§7(一)4', { hint: '与预估当期成本至少填写一项' }),
  amount('estimatedRdCost', '预估当期成本（元）', 'P§7(一)4'),
  count('estimateMonths', '预估周期（月）', 'P§7(一)4', { hint: '不少于24个月' }),
  line('partnerId', '合作伙伴编号', 'P§7(一)5', { coop: true }),
  text('revenueShareModel', '分成模式', 'P§7(一)5', { coop: true }),
  amount('revenueShareEstimate', '预估分成金额（元）', 'P§7(一)5', { coop: true }),
  count('revenueShareMonths', '分成测算周期（月）', 'P§7(一)5', { coop: true, hint: '不少于12个月' }),
];

const commercial = [
  line('commercialName', '商用名称', 'P§7(二)1'),
  date('startDate', '商用时间', 'P§7(二)1'),
  text('scope', '商用范围', 'P§7(二)1'),
  text('tariffs', '资费体系', 'P§7(二)2'),
  text('discounts', '折扣体系', 'P§7(二)2'),
  text('discountAuthority', '折扣审批权限', 'P§7(二)2'),
  text('marketSize', '市场规模', 'P§7(二)3'),
  text('benefitEvaluation', '效益评估', 'P§7(二)3'),
  amount('estimatedAnnualRevenue', '预估年收入（元）', 'P§7(二)3，P§18', { hint: '正式商用原则上不少于120万元' }),
];

// Forms lists every decision type with its fields.
export const Forms = {
  demand: { fields: demand },
  demand_change: { fields: demand },
  trial_commercial: { fields: commercial },
  commercial: { fields: commercial },
  exit: {
    fields: [
      choice('exitType', '退出类型', 'P§21(一)', [['assessment', '考核退出'], ['pilot', '试点退出'], ['natural', '自然退出'], ['application', '申请退出'], ['breach', '违约退出']]),
      text('evaluation', '产品评估', 'P§7(三)1'),
      text('exitPlan', '退出方案', 'P§7(三)2'),
      line('replacementProduct', '替代产品', 'P§7(三)2', { hint: '没有时填写“无”' }),
      date('exitDate', '退出时间', 'P§7(三)3'),
      text('customerServicePlan', '客户服务方案', 'P§7(三)3'),
      text('cooperationMatters', '合作事项处理', 'P§7(三)4', { coop: true }),
      amount('trailingRevenue', '近12个月收入（元）', 'SPEC 2.1', { optional: true, hint: '不填时取系统记录' }),
      count('customers', '客户数', 'SPEC 2.1', { optional: true, hint: '不填时取系统记录' }),
    ],
  },
  major_change: {
    fields: [
      choice('changeKind', '变更类型', '附件5', [['cooperation_mode', '合作模式变更'], ['partner', '合作伙伴变更'], ['management_level', '管理层级变更'], ['other', '其他']]),
      text('background', '背景与原因', '附件5'),
      text('impactAnalysis', '影响分析', '附件5'),
      text('implementationPlan', '实施方案', '附件5'),
      text('resources', '资源需求', '附件5'),
      text('schedule', '进度安排', '附件5'),
      choice('newMode', '变更后模式', '附件5', [['', '（不变）'], ['self_built', '自建'], ['cooperative', '合作']], { optional: true }),
      line('newPartnerId', '新合作伙伴编号', '附件5', { optional: true }),
      choice('newLevel', '变更后层级', '附件5', [['', '（不变）'], ['hq', '总部全网'], ['province', '省级'], ['city', '市级']], { optional: true }),
    ],
  },
  promotion_plan: {
    fields: [
      text('promotionPath', '推广路径', 'P§9(二)3'),
      text('marketingStrategy', '营销策略', 'P§9(二)3'),
      text('commissionPolicy', '酬金政策', 'P§9(二)3'),
    ],
  },
  pricing: {
    fields: [
      choice('pricingKind', '定价类型', 'P§16', [['new_product', '新产品定价'], ['optimisation', '老产品资费优化']]),
      text('tariffs', '资费体系', 'P§7(二)2'),
      text('discounts', '折扣体系', 'P§7(二)2'),
      text('discountAuthority', '折扣审批权限', 'P§7(二)2'),
      text('costMeasurement', '产品成本测算', 'P§5(三)'),
      text('benefitEvaluation', '效益评估', 'P§7(二)3'),
      date('effectiveDate', '执行时间', 'P§9(二)2'),
      amount('estimatedAnnualRevenue', '预估年收入（元）', 'P§9(二)2'),
    ],
  },
  revenue_share: {
    fields: [
      choice('shareKind', '分成事项', 'P§9(二)2', [['introduction', '分成产品引入'], ['renewal', '分成产品续约']]),
      line('partnerId', '合作伙伴编号', 'P§7(一)5'),
      text('revenueShareModel', '分成模式', 'P§7(一)5'),
      amount('revenueShareEstimate', '预估分成金额（元）', 'P§7(一)5'),
      count('revenueShareMonths', '分成测算周期（月）', 'P§7(一)5'),
      date('agreementStart', '协议开始', 'P§9(二)2'),
      date('agreementEnd', '协议结束', 'P§9(二)2'),
      text('benefitEvaluation', '效益评估', 'P§7(二)3'),
      amount('estimatedAnnualRevenue', '预估年收入（元）', 'P§9(二)2'),
    ],
  },
  basic_rules: {
    noProduct: true,
    fields: [
      choice('ruleKind', '规则类别', 'P§9(一)1', [['cost_measurement', '成本测算规则'], ['pricing', '定价规则'], ['commission', '酬金规则'], ['policy', '管理办法（策略版本）']]),
      text('ruleText', '规则内容', 'P§9(一)1'),
    ],
  },
};
