// Package reason holds the machine-readable reasons rules give (a code plus
// parameters) and the one zh-CN catalog that renders them, citing the seed's
// article. Server pages render with Text; the console receives the same
// catalog as JSON (Catalog) and renders with the same substitution, so there
// is one translation, not two.
package reason

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// Reason is why a rule decided: a code of the catalog and its parameters,
// every value a string in the API's own notation (months YYYY-MM, dates
// YYYY-MM-DD, amounts in yuan with two decimals, codes of stages, phases …).
type Reason struct {
	Code   string            `json:"code"`
	Params map[string]string `json:"params,omitempty"`
}

// New makes a reason from a code and key, value pairs.
func New(code string, kv ...string) Reason {
	r := Reason{Code: code}
	if len(kv) > 0 {
		r.Params = make(map[string]string, len(kv)/2)
		for i := 0; i+1 < len(kv); i += 2 {
			r.Params[kv[i]] = kv[i+1]
		}
	}
	return r
}

// Kind tells how a parameter is written in Chinese.
type Kind string

// Parameter kinds.
const (
	KindText   Kind = "text"   // as is
	KindMonth  Kind = "month"  // 2026-09 → 2026年9月
	KindMonths Kind = "months" // 2026-08,2026-09 → 2026年8月、2026年9月
	KindDate   Kind = "date"   // 2026-09-01 → 2026年9月1日
	KindMoney  Kind = "money"  // 1234567.8 → ¥1,234,567.80
	KindPhase  Kind = "phase"  // a phase code → its name
	KindStage  Kind = "stage"  // a product stage code → its name
	KindLevel  Kind = "level"  // a product level code → its name
	KindMode   Kind = "mode"   // a product mode code → its name
	KindType   Kind = "type"   // a submission type code → its name
	KindTrack  Kind = "track"  // revenue or quality
	KindRate   Kind = "rate"   // 0.027 → 2.7%
)

// ParamKinds is the kind of each parameter name the catalog uses; a name
// not listed is text.
var ParamKinds = map[string]Kind{
	"month": KindMonth, "from": KindMonth, "to": KindMonth, "through": KindMonth, "next": KindMonth, "first": KindMonth,
	"revenueMonths": KindMonths, "notice": KindDate, "due": KindDate, "since": KindDate, "limit": KindDate,
	"minimum": KindMoney,
	"average": KindMoney, "threshold": KindMoney, "sum": KindMoney, "amount": KindMoney,
	"revenue": KindMoney, "lastRevenue": KindMoney, "fee": KindMoney, "annualFee": KindMoney, "lastFee": KindMoney,
	"settled": KindMoney, "base": KindMoney, "deductions": KindMoney, "fromFee": KindMoney, "fromDeposit": KindMoney,
	"carried": KindMoney, "payable": KindMoney, "rate": KindRate,
	"phase": KindPhase, "phaseFrom": KindPhase, "phaseTo": KindPhase, "keeps": KindPhase,
	"stage": KindStage, "stageFrom": KindStage, "stageTo": KindStage,
	"level": KindLevel, "mode": KindMode, "type": KindType, "track": KindTrack,
}

// Names are the Chinese names of the codes parameters carry, by kind.
var Names = map[Kind]map[string]string{
	KindPhase: {"": "未考核", "assessment": "考核期", "warning": "预警期", "exit": "退出期"},
	KindStage: {"": "—", "demand": "需求", "planning": "规划", "building": "立项建设", "introducing": "合作引入",
		"trial_use": "试用", "trial_commercial": "试商用", "trial_suspended": "试商用暂停", "commercial": "商用",
		"exiting": "退出中", "exited": "已退出"},
	KindLevel: {"hq": "总部全网", "province": "省级", "city": "市级"},
	KindMode:  {"self_built": "自建", "cooperative": "合作"},
	KindType: {"demand": "需求立项", "demand_change": "需求变更", "trial_commercial": "试商用", "commercial": "正式商用",
		"exit": "产品退出", "major_change": "重大变更", "promotion_plan": "推广方案", "basic_rules": "基础规则",
		"pricing": "资费定价", "revenue_share": "分成产品引入/续约"},
	KindTrack: {"revenue": "收入考核", "quality": "质量考核"},
}

// Templates is the zh-CN catalog: each code's sentence with {param}
// placeholders and the article of the seed that decides it.
var Templates = map[string]string{
	// Scope and exemption, P§19(三).
	"hq_not_assessed":     "总部全网产品按总部要求执行，不纳入考核范畴（P§19(三)）",
	"level_not_assessed":  "{level}产品不在考核范围内（P§19(三)）",
	"stage_not_assessed":  "产品处于{stage}阶段，仅试商用和商用产品参与考核（P§19(三)）",
	"notice_date_missing": "缺少（试）商用公告日期，无法确定免考核期，本月不作调整（P§19(三)）",
	"before_notice":       "{month}早于（试）商用公告日{notice}，不参与考核（P§19(三)）",
	"exempt":              "公告日{notice}起前{count}个完整月（{first}至{through}）免考核，{next}起参与考核（P§19(三)）",
	"exempt_extended":     "公告将免考核期延长至{through}，{next}起参与考核（P§19(三)）",
	"data_missing":        "缺少考核数据（{missing}），本月不作调整（P§19）",
	// Revenue test and track, P§19(一).
	"revenue_average_pass": "{from}至{to}月均收入{average}，达到{level}产品门槛{threshold}（P§19(一)）",
	"revenue_average_fail": "{from}至{to}月均收入{average}，低于{level}产品门槛{threshold}（P§19(一)）",
	"revenue_each_pass":    "{from}至{to}每月收入均达到{level}产品门槛{threshold}（P§19(一)）",
	"revenue_month_below":  "{month}收入{amount}低于{level}产品门槛{threshold}（{from}至{to}每月均须达到）（P§19(一)）",
	"revenue_pending":      "收入考核缺少{revenueMonths}收入数据，保持{keeps}（P§19(一)）",
	"revenue_start":        "免考核期结束，收入考核进入考核期（P§19(一)）",
	"revenue_first_fail":   "首个考核月收入未达标，进入预警期（P§19(一)）",
	"revenue_recovered":    "预警期内收入达标，恢复考核期（P§19(一)）",
	"revenue_exit":         "预警期内收入再次未达标，进入退出期（P§19(一)）",
	"revenue_warning":      "考核期内收入未达标，进入预警期（P§19(一)）",
	// Quality test and track, P§19(二).
	"quality_pending":          "质量考核缺少{month}质量得分，保持{keeps}（P§19(二)）",
	"quality_pass":             "质量得分{score}分，达到合格线{mark}分（P§19(二)）",
	"quality_fail":             "质量得分{score}分，低于合格线{mark}分（{from}至{to}累计{fails}次不达标）（P§19(二)）",
	"quality_start":            "免考核期结束，质量考核进入考核期（P§19(二)）",
	"quality_recovered":        "预警期内质量达标，恢复考核期（P§19(二)）",
	"quality_exit_consecutive": "质量连续{count}个月不达标（至{through}），进入退出期（P§19(二)）",
	"quality_exit_window":      "质量在{from}至{to}累计{fails}次不达标，进入退出期（P§19(二)）",
	"quality_warning_once":     "质量不达标，进入预警期（P§19(二)）",
	"quality_warning":          "质量不达标（一年内累计{fails}次，非连续），进入预警期（P§19(二)）",
	"quality_cleared":          "{mode}产品仅考核收入，质量考核清除（P§19(三)）",
	// The product's phase.
	"exit_final":   "已处于退出期，退出期不再调整（P§19）",
	"phase_stays":  "运营阶段保持{phase}（P§19）",
	"phase_change": "运营阶段由{phaseFrom}调整为{phaseTo}（P§19）",
	"exit_opened":  "进入退出期，系统发起考核退出流程（P§21(一)）",
	// Stage history, P§10–P§21.
	"created_at_demand":   "新建产品，进入需求阶段（P§10）",
	"registered_existing": "管理员登记存量产品（{stage}）",
	"construction_plan":   "已提交建设方案（P§11）",
	"decision_moved":      "{type}决策经审批通过，产品由{stageFrom}进入{stageTo}（{rule}）",
	"decision_kept":       "{type}决策经审批通过，产品保持{stageTo}阶段（{rule}）",
	"delisting_done":      "下线事项全部完成，产品退出（P§21(二)5）",
	"natural_exit_notice": "合作协议到期3个月后发布自然退出公告（P§21(二)4）",
	"trial_suspended":     "试商用暂停：{problem}（P§17(三)）",
	// Commercial eligibility, P§18.
	"commercial_not_assessed":    "本月不参与考核，不判断商用资格（P§18）",
	"commercial_stage_na":        "产品处于{stage}阶段，不适用试商用超两年的商用资格判断（P§18）",
	"commercial_since_missing":   "缺少进入试商用的日期，暂无法判断商用资格（P§18）",
	"commercial_within_limit":    "自{since}起试商用，至{limit}未超过{count}个月，暂不判断商用资格（P§18）",
	"commercial_revenue_missing": "缺少{revenueMonths}收入，暂无法判断商用资格（P§18）",
	"commercial_ineligible":      "自{since}起试商用已超过{count}个月，{from}至{to}收入合计{sum}，低于{minimum}，原则上不再商用（P§18）",
	"commercial_eligible":        "{from}至{to}收入合计{sum}，达到{minimum}（P§18）",
	// Settlement statements, S§15–S§21.
	"revenue_fee":       "季度收入{revenue}×支撑贡献率{rate}=支撑费用{fee}（S§16）",
	"fee_held":          "工作量{workload}低于合同最低工作量{min}，本季度支撑费用为0（S§15）",
	"guarantee_fee":     "保障型支撑按工作量考核：结算基数{base}，支撑费用{fee}（S§16，附件三）",
	"clearing_fee":      "全年收入{revenue}×支撑贡献率{rate}={annualFee}（S§18，附件五）",
	"clearing_decline":  "收入由{lastRevenue}降至{revenue}，年度支撑费用按上年{lastFee}同比折算为{annualFee}（S§16）",
	"clearing_q4":       "第四季度清算额=全年{annualFee}−前三季度已结算{settled}={fee}（S§17）",
	"clearing_held":     "第四季度工作量{workload}低于最低工作量{min}，清算额为0（S§15）",
	"nothing_to_deduct": "无扣减，应付{payable}（S§20）",
	"deductions":        "扣减{deductions}：从支撑费用扣{fromFee}，从保证金扣{fromDeposit}，结转下期{carried}；应付{payable}（S§19–S§21）",
}

// Catalog is what the console needs to render reasons: the templates, the
// kind of every parameter and the names of codes.
type Catalog struct {
	Templates map[string]string          `json:"templates"`
	Kinds     map[string]Kind            `json:"kinds"`
	Names     map[Kind]map[string]string `json:"names"`
}

// TheCatalog returns the catalog as served to the console.
func TheCatalog() Catalog {
	return Catalog{Templates: Templates, Kinds: ParamKinds, Names: Names}
}

// Text renders a reason in Chinese; an unknown code is shown as the code
// with its parameters, so nothing is lost.
func Text(r Reason) string {
	tpl, ok := Templates[r.Code]
	if !ok {
		keys := make([]string, 0, len(r.Params))
		for k := range r.Params {
			keys = append(keys, k+"="+r.Params[k])
		}
		sort.Strings(keys)
		return r.Code + " " + strings.Join(keys, " ")
	}
	var b strings.Builder
	for {
		i := strings.IndexByte(tpl, '{')
		j := strings.IndexByte(tpl, '}')
		if i < 0 || j < i {
			b.WriteString(tpl)
			return b.String()
		}
		b.WriteString(tpl[:i])
		name := tpl[i+1 : j]
		b.WriteString(Format(ParamKinds[name], r.Params[name]))
		tpl = tpl[j+1:]
	}
}

// Join renders reasons one after another, separated by "；".
func Join(rs []Reason) string {
	parts := make([]string, 0, len(rs))
	for _, r := range rs {
		parts = append(parts, Text(r))
	}
	return strings.Join(parts, "；")
}

// Format writes one parameter value of a kind in Chinese.
func Format(k Kind, v string) string {
	switch k {
	case KindMonth:
		return Month(v)
	case KindMonths:
		parts := strings.Split(v, ",")
		for i, p := range parts {
			parts[i] = Month(p)
		}
		return strings.Join(parts, "、")
	case KindDate:
		return Date(v)
	case KindRate:
		return Rate(v)
	case KindMoney:
		return Money(v)
	case KindPhase, KindStage, KindLevel, KindMode, KindType, KindTrack:
		if n, ok := Names[k][v]; ok {
			return n
		}
	}
	return v
}

// Month writes 2026-09 as 2026年9月; anything else is returned as is.
func Month(v string) string {
	y, m, ok := strings.Cut(v, "-")
	n, err := strconv.Atoi(m)
	if !ok || len(y) != 4 || err != nil || n < 1 || n > 12 {
		return v
	}
	return fmt.Sprintf("%s年%d月", y, n)
}

// Date writes 2026-09-01 as 2026年9月1日; anything else is returned as is.
func Date(v string) string {
	if len(v) < 10 {
		return v
	}
	m := Month(v[:7])
	d, err := strconv.Atoi(v[8:10])
	if m == v[:7] || err != nil || v[7] != '-' {
		return v
	}
	return fmt.Sprintf("%s%d日", m, d)
}

// Rate writes a decimal fraction ("0.027") as a percentage ("2.7%")
// without floating point; anything else is returned as is.
func Rate(v string) string {
	whole, frac, _ := strings.Cut(v, ".")
	if whole == "" || strings.Trim(whole, "0123456789") != "" || strings.Trim(frac, "0123456789") != "" {
		return v
	}
	frac += "00"
	digits := strings.TrimLeft(whole+frac[:2], "0")
	if digits == "" {
		digits = "0"
	}
	rest := strings.TrimRight(frac[2:], "0")
	if rest != "" {
		return digits + "." + rest + "%"
	}
	return digits + "%"
}

// Money writes an amount in yuan ("1234567.8", "-5") as ¥1,234,567.80.
func Money(v string) string {
	neg := strings.HasPrefix(v, "-")
	v = strings.TrimPrefix(v, "-")
	whole, frac, _ := strings.Cut(v, ".")
	if whole == "" || strings.Trim(whole, "0123456789") != "" || strings.Trim(frac, "0123456789") != "" || len(frac) > 2 {
		return v
	}
	frac = (frac + "00")[:2]
	var b strings.Builder
	for i, c := range whole {
		if i > 0 && (len(whole)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	sign := ""
	if neg {
		sign = "-"
	}
	return sign + "¥" + b.String() + "." + frac
}
