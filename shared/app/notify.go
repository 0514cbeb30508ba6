package app

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	htmltemplate "html/template"
	"net/url"
	"strings"
	texttemplate "text/template"

	"productgov/shared/decision"
	"productgov/shared/directory"
	"productgov/shared/id"
	"productgov/shared/mail"
	"productgov/shared/problem"
	"productgov/shared/reason"
	"productgov/shared/store"
)

// Chinese names of what emails and pages show (user-facing text is zh-CN).
var (
	// typeNames are the reason catalog's, so pages, mails and the console agree.
	typeNames = func() map[decision.SubmissionType]string {
		m := map[decision.SubmissionType]string{}
		for k, v := range reason.Names[reason.KindType] {
			m[decision.SubmissionType(k)] = v
		}
		return m
	}()
	levelNames = map[decision.Level]string{
		decision.LevelChengpi: "呈批", decision.LevelSpecialMeeting: "专题办公会", decision.LevelCommittee: "产品委员会",
		decision.LevelGMOffice: "总经办", decision.LevelNone: "无需决策",
	}
	statusNames = map[decision.Status]string{
		decision.StatusGroupReview: "小组评审中", decision.StatusCrossReview: "跨部门评审中", decision.StatusDeciding: "决策中",
		decision.StatusApproved: "已通过", decision.StatusRejected: "已驳回", decision.StatusReturned: "已退回",
		decision.StatusExpired: "已过期", decision.StatusClosed: "已关闭",
	}
	stepNames = map[string]string{
		"vp": "分管副总", "gm": "总经理", "committee_director": "产品委员会主任", "deputy_gm": "分管副总经理",
		"finance": "财务部", "marketing": "市场部", "innovation": "产品创新部", "group_customer": "集团客户部",
	}
	verdictNames = map[string]string{"approve": "同意", "reject": "驳回", "return": "退回", "cancelled": "已取消"}
	// fieldNames label the content fields people read, in the order shown.
	fieldNames = []struct{ Key, Label string }{
		{"estimatedInvestment", "预计投资"}, {"estimatedRdCost", "预计研发成本"}, {"estimateMonths", "测算周期（月）"},
		{"estimatedAnnualRevenue", "预计年收入"}, {"commercialName", "商用名称"}, {"startDate", "开始时间"},
		{"exitType", "退出类型"}, {"trailingRevenue", "近12个月收入"}, {"customers", "客户数"}, {"exitDate", "退出时间"},
		{"changeKind", "变更类型"}, {"partnerId", "合作伙伴"}, {"revenueShareEstimate", "分成预估"},
		{"marketAnalysis", "市场分析"}, {"feasibility", "可行性"}, {"businessModel", "商业模式"},
		{"evaluation", "退出评估"}, {"background", "背景与原因"}, {"ruleKind", "规则类别"},
		{"pricingKind", "定价类型"}, {"tariffs", "资费体系"}, {"effectiveDate", "执行时间"},
		{"shareKind", "分成事项"}, {"revenueShareModel", "分成模式"}, {"revenueShareMonths", "分成测算周期（月）"},
		{"agreementStart", "协议开始"}, {"agreementEnd", "协议结束"},
	}
)

// Labels are the Chinese names of a submission's codes (types, decision
// levels, statuses, approval steps, verdicts, content fields), for the
// console's catalog: the same names mails and pages use.
func Labels() map[string]any {
	fields := map[string]string{}
	for _, f := range fieldNames {
		fields[f.Key] = f.Label
	}
	return map[string]any{"submissionType": typeNames, "decisionLevel": levelNames, "submissionStatus": statusNames,
		"step": stepNames, "verdict": verdictNames, "field": fields}
}

// StepName is the Chinese name of an approval step, e.g. "countersign:finance" → "会签：财务部".
func StepName(step string) string {
	if role, ok := strings.CutPrefix(step, decision.CountersignPrefix); ok {
		return "会签：" + nameOr(stepNames, role)
	}
	if role, ok := strings.CutPrefix(step, decision.MinutesPrefix); ok {
		return "会议纪要会签：" + nameOr(stepNames, role)
	}
	return nameOr(stepNames, step)
}

func nameOr(m map[string]string, k string) string {
	if v, ok := m[k]; ok {
		return v
	}
	return k
}

// KeyFigure is one labelled line of a submission's summary.
type KeyFigure struct{ Label, Value string }

// Summary is what an email and an approval page show of a submission.
type Summary struct {
	ID, Type, Level, Status, Product, Applicant, Routing string
	Revision                                             int
	Figures                                              []KeyFigure
}

// Summarize describes a submission in Chinese with its key figures.
func (s *Service) Summarize(ctx context.Context, sub decision.Submission) Summary {
	sum := Summary{ID: sub.ID, Type: nameOr2(typeNames, sub.Type), Level: levelNames[sub.DecisionLevel],
		Status: statusNames[sub.Status], Applicant: sub.Applicant, Routing: sub.Routing.Reason, Revision: sub.Revision}
	// People read names, not logins.
	if u, err := s.Users.GetUser(ctx, sub.Applicant); err == nil && u.Name != "" {
		sum.Applicant = u.Name
	}
	if sub.ProductID != "" {
		sum.Product = sub.ProductID
		if p, err := s.Products.GetProduct(ctx, sub.ProductID); err == nil {
			sum.Product = p.Name
		}
	}
	var content map[string]json.RawMessage
	_ = json.Unmarshal(sub.Content, &content)
	for _, f := range fieldNames {
		raw, ok := content[f.Key]
		if !ok || string(raw) == "null" || string(raw) == `""` {
			continue
		}
		var v any
		_ = json.Unmarshal(raw, &v)
		text := fmt.Sprint(v)
		if strings.HasSuffix(f.Key, "Investment") || strings.HasSuffix(f.Key, "Cost") || strings.HasSuffix(f.Key, "Revenue") || strings.HasSuffix(f.Key, "Estimate") {
			text = reason.Money(text) // ¥1,234,567.89, as people read amounts
		}
		if len([]rune(text)) > 120 {
			text = string([]rune(text)[:120]) + "…"
		}
		if f.Key == "partnerId" {
			if n := s.PartnerName(ctx, text); n != "" {
				text = n
			}
		}
		label := f.Label
		if fig := sub.Routing.Figures; fig != nil && (f.Key == "trailingRevenue" || f.Key == "customers") {
			if (f.Key == "trailingRevenue" && fig.ApplicantTrailingRevenue == nil) || (f.Key == "customers" && fig.ApplicantCustomers == nil) {
				continue // taken from the records: shown once, below
			}
			label += "（申请人填写，不作定级依据）"
		}
		sum.Figures = append(sum.Figures, KeyFigure{label, text})
	}
	// SPEC 2.3 (decided): an exit's level comes from the records; show them.
	if fig := sub.Routing.Figures; fig != nil {
		rev := fmt.Sprintf("%s 元（%s 至 %s）", fig.TrailingRevenue, fig.From, fig.To)
		if len(fig.MissingMonths) > 0 {
			ms := make([]string, len(fig.MissingMonths))
			for i, m := range fig.MissingMonths {
				ms[i] = m.String()
			}
			rev += "；无收入记录按 0 计：" + strings.Join(ms, "、")
		}
		sum.Figures = append(sum.Figures, KeyFigure{"近12个月收入（系统记录，定级依据）", rev},
			KeyFigure{"客户数（系统记录，定级依据）", fmt.Sprint(fig.Customers)})
	}
	return sum
}

func nameOr2[K ~string](m map[K]string, k K) string {
	if v, ok := m[k]; ok {
		return v
	}
	return string(k)
}

// ApprovalURL is the link emailed for an approval.
func (s *Service) ApprovalURL(a store.Approval) (string, error) {
	sig, err := s.Links.Sign(claimsOf(a))
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("%s/approvals/%s?sig=%s", s.BaseURL, url.PathEscape(a.ID), url.QueryEscape(sig)), nil
}

var approvalText = texttemplate.Must(texttemplate.New("mail").Parse(`{{if .Reminder}}【提醒】以下审批已等待超过{{.ReminderDays}}个工作日，请尽快处理。

{{end}}您好，

请审批以下{{.S.Type}}事项（决策层级：{{.S.Level}}，审批环节：{{.Step}}）：

事项编号：{{.S.ID}}（第{{.S.Revision}}版）
产品：{{.S.Product}}
申请人：{{.S.Applicant}}
{{range .S.Figures}}{{.Label}}：{{.Value}}
{{end}}
请点击以下链接查看详情并作出决定（同意／驳回／退回）：
{{.URL}}

该链接仅限您本人使用一次，有效期至 {{.Expires}}。打开链接不会作出任何决定，须在页面上点击按钮确认。

—— 政企产品管理系统
`))

var approvalHTML = htmltemplate.Must(htmltemplate.New("mail").Parse(`<div style="font-family:sans-serif">
{{if .Reminder}}<p style="color:#b45309"><strong>【提醒】</strong>以下审批已等待超过{{.ReminderDays}}个工作日，请尽快处理。</p>{{end}}
<p>您好，</p><p>请审批以下<strong>{{.S.Type}}</strong>事项（决策层级：{{.S.Level}}，审批环节：{{.Step}}）：</p>
<table>
<tr><td>事项编号</td><td>{{.S.ID}}（第{{.S.Revision}}版）</td></tr>
<tr><td>产品</td><td>{{.S.Product}}</td></tr>
<tr><td>申请人</td><td>{{.S.Applicant}}</td></tr>
{{range .S.Figures}}<tr><td>{{.Label}}</td><td>{{.Value}}</td></tr>{{end}}
</table>
<p><a href="{{.URL}}">查看详情并审批</a></p>
<p style="color:#666">该链接仅限您本人使用一次，有效期至 {{.Expires}}。打开链接不会作出任何决定，须在页面上点击按钮确认。</p>
</div>`))

func (s *Service) sendApprovalMail(ctx context.Context, sub decision.Submission, a store.Approval, reminder bool) error {
	pol, err := s.Policy(ctx)
	if err != nil {
		return err
	}
	link, err := s.ApprovalURL(a)
	if err != nil {
		return err
	}
	data := map[string]any{"S": s.Summarize(ctx, sub), "Step": StepName(a.Step), "URL": link, "Reminder": reminder,
		"ReminderDays": pol.Decision.Timing.ReminderWorkingDays, "Expires": a.ExpiresAt.In(shanghai()).Format("2006-01-02 15:04")}
	var text, html bytes.Buffer
	if err := approvalText.Execute(&text, data); err != nil {
		return err
	}
	if err := approvalHTML.Execute(&html, data); err != nil {
		return err
	}
	subject := fmt.Sprintf("【待审批】%s：%s", data["S"].(Summary).Type, data["S"].(Summary).Product)
	if reminder {
		subject = "【催办】" + subject
	}
	return s.Mail.Send(ctx, mail.Message{ID: id.New("mail"), To: a.Email, Subject: subject, Text: text.String(),
		HTML: html.String(), Links: []string{link}, SentAt: s.Now().UTC()})
}

// notifyApplicant tells the applicant how their submission ended.
func (s *Service) notifyApplicant(ctx context.Context, sub decision.Submission) {
	if sub.Applicant == SystemApplicant {
		return
	}
	u, err := s.Users.GetUser(ctx, sub.Applicant)
	if problem.CodeOf(err) == problem.CodeNotFound {
		return
	}
	if err != nil {
		s.logf("notify applicant %s: %v", sub.Applicant, err)
		return
	}
	sum := s.Summarize(ctx, sub)
	reason := ""
	if sub.Outcome != nil {
		reason = sub.Outcome.Reason
	}
	text := fmt.Sprintf("您好，\n\n您提交的%s事项 %s（第%d版，产品：%s）结果：%s。\n说明：%s\n\n—— 政企产品管理系统\n",
		sum.Type, sub.ID, sub.Revision, sum.Product, sum.Status, reason)
	html := "<p>" + htmltemplate.HTMLEscapeString(text) + "</p>"
	err = s.Mail.Send(ctx, mail.Message{ID: id.New("mail"), To: u.Email, Subject: fmt.Sprintf("【%s】%s：%s", sum.Status, sum.Type, sum.Product),
		Text: text, HTML: strings.ReplaceAll(html, "\n", "<br>"), Links: []string{}, SentAt: s.Now().UTC()})
	if err != nil {
		s.logf("notify applicant %s: %v", sub.Applicant, err)
	}
}

var unassignedText = texttemplate.Must(texttemplate.New("unassigned").Parse(`您好，

以下{{.S.Type}}事项的审批环节「{{.Step}}」目前没有可以审批的人，审批无法开始：

事项编号：{{.S.ID}}（第{{.S.Revision}}版）
产品：{{.S.Product}}
申请人：{{.S.Applicant}}
需要的角色：{{.RoleName}}（{{.Role}}）
原因：{{.Why}}

请在用户目录中为该角色添加一位不是申请人、且未声明与本产品合作伙伴存在关联的人员。添加后系统会立即向其发送审批邮件。
该环节的审批时限照常计算，到期仍无人处理的，事项将按过期处理。

—— 政企产品管理系统
`))

// mailAdminsUnassigned tells every admin that a step has nobody eligible to
// approve it and what the directory needs (SPEC 2.3). Failures are logged.
func (s *Service) mailAdminsUnassigned(ctx context.Context, sub decision.Submission, st decision.StepRecord, none *decision.NoApproverError) {
	admins, err := s.Users.UsersWithRole(ctx, directory.RoleAdmin)
	if err != nil {
		s.logf("admins for unassigned step %s of %s: %v", st.Name, sub.ID, err)
		return
	}
	why := "用户目录中没有人担任该角色"
	if len(none.Skipped) > 0 {
		var parts []string
		for _, sk := range none.Skipped {
			if sk.Rule == "SPEC 6" {
				parts = append(parts, sk.Sub+" 是申请人，不能审批自己的事项")
			} else {
				parts = append(parts, sk.Sub+" 声明了与合作伙伴的关联（第二十四条），须回避")
			}
		}
		why = strings.Join(parts, "；")
	}
	data := map[string]any{"S": s.Summarize(ctx, sub), "Step": StepName(st.Name), "Role": st.Role,
		"RoleName": nameOr(stepNames, st.Role), "Why": why}
	var text bytes.Buffer
	if err := unassignedText.Execute(&text, data); err != nil {
		s.logf("unassigned mail: %v", err)
		return
	}
	subject := fmt.Sprintf("【无人可审批】%s：%s（%s）", data["S"].(Summary).Type, data["S"].(Summary).Product, StepName(st.Name))
	for _, a := range admins {
		if a.Email == "" {
			continue
		}
		html := "<pre style=\"font-family:sans-serif;white-space:pre-wrap\">" + htmltemplate.HTMLEscapeString(text.String()) + "</pre>"
		if err := s.Mail.Send(ctx, mail.Message{ID: id.New("mail"), To: a.Email, Subject: subject, Text: text.String(),
			HTML: html, Links: []string{}, SentAt: s.Now().UTC()}); err != nil {
			s.logf("unassigned mail to %s: %v", a.Sub, err)
		}
	}
}
