package api

import (
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/xuri/excelize/v2"

	"productgov/shared/app"
	"productgov/shared/directory"
	"productgov/shared/money"
	"productgov/shared/partner"
	"productgov/shared/period"
	"productgov/shared/problem"
	"productgov/shared/reason"
	"productgov/shared/settlement"
)

func (s *Server) settlementRoutes() {
	s.handle("POST", "/settlement-runs", false, s.startSettlement)
	s.handle("GET", "/settlement-runs/{quarter}", false, partnerRead(s.settlementRun))
	// GET /settlements/2026-Q1 answers JSON; GET /settlements/2026-Q1.xlsx the S-A3 tables.
	s.handle("GET", "/settlements/{quarter}", false, partnerRead(s.settlements))
	s.handle("POST", "/settlements/{quarter}/{projectId}/confirm", false, s.decideStatement(app.StepConfirm))
	s.handle("POST", "/settlements/{quarter}/{projectId}/approve", false, s.decideStatement(app.StepApprove))
	s.handle("POST", "/annual-clearings", false, s.startAnnualClearing)
	s.handle("GET", "/annual-clearings/{year}", false, partnerRead(s.annualClearing))
	s.handle("POST", "/accrual-runs", false, s.startAccruals)
	s.handle("GET", "/accrual-runs/{month}", false, partnerRead(s.accrualRun))
	s.handle("GET", "/accruals/{month}", false, partnerRead(s.accruals))
}

func (s *Server) startSettlement(w http.ResponseWriter, r *http.Request, caller directory.Person) error {
	o, err := decodeObject(r)
	if err != nil {
		return err
	}
	quarter := o.str("quarter", true)
	if err := o.done("settlement run"); err != nil {
		return err
	}
	arn, err := s.App.StartSettlement(r.Context(), caller, quarter)
	if err != nil {
		return err
	}
	w.Header().Set("Location", "/settlement-runs/"+quarter)
	writeJSON(w, http.StatusAccepted, map[string]string{"quarter": quarter, "executionArn": arn, "status": "running"})
	return nil
}

func (s *Server) settlementRun(w http.ResponseWriter, r *http.Request, _ directory.Person) error {
	q, err := pathQuarter(r)
	if err != nil {
		return err
	}
	run, err := s.App.SettlementRun(r.Context(), q)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, run)
	return nil
}

// pagedSettlement is one page of a quarter's statements with the cursor of the next.
type pagedSettlement struct {
	app.QuarterSettlement
	NextCursor string `json:"nextCursor"`
}

func (s *Server) settlements(w http.ResponseWriter, r *http.Request, _ directory.Person) error {
	text, xlsx := strings.CutSuffix(r.PathValue("quarter"), ".xlsx")
	q, err := period.ParseQuarter(text)
	if err != nil {
		return problem.InvalidField("quarter", err.Error())
	}
	if xlsx {
		// A national quarter's tables pass what a Lambda answer carries (6 MB):
		// the workbook goes to the work bucket and the answer is its download.
		url, err := s.App.ExportLink(r.Context(), "settlement", q.String(), fmt.Sprintf("结算单-%s.xlsx", q),
			func(out io.Writer) error { return s.settlementXLSX(r, out, q) })
		if err != nil {
			return err
		}
		sendDownload(w, r, url)
		return nil
	}
	limit, err := pageLimit(r)
	if err != nil {
		return err
	}
	out, next, err := s.App.SettlementPage(r.Context(), q, r.URL.Query().Get("cursor"), limit)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, pagedSettlement{QuarterSettlement: out, NextCursor: next})
	return nil
}

func (s *Server) decideStatement(step string) func(http.ResponseWriter, *http.Request, directory.Person) error {
	return func(w http.ResponseWriter, r *http.Request, caller directory.Person) error {
		q, qErr := pathQuarter(r)
		o, err := decodeOptionalObject(r)
		if err != nil {
			return err
		}
		decision := settlement.DecisionApprove
		if d := o.oneOf("decision", false, settlement.DecisionApprove, settlement.DecisionReturn); d != "" {
			decision = d
		}
		comment := o.str("comment", false)
		if qErr != nil {
			o.errs.Add("quarter", problem.As(qErr).Fields["quarter"])
		}
		if err := o.done("statement " + step); err != nil {
			return err
		}
		st, err := s.App.DecideStatement(r.Context(), caller, q, r.PathValue("projectId"), step, decision, comment)
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, st)
		return nil
	}
}

func (s *Server) startAnnualClearing(w http.ResponseWriter, r *http.Request, caller directory.Person) error {
	o, err := decodeObject(r)
	if err != nil {
		return err
	}
	year := o.integer("year", true)
	if err := o.done("annual clearing"); err != nil {
		return err
	}
	arn, err := s.App.StartAnnualClearing(r.Context(), caller, int(year))
	if err != nil {
		return err
	}
	w.Header().Set("Location", fmt.Sprintf("/annual-clearings/%d", year))
	writeJSON(w, http.StatusAccepted, map[string]any{"year": year, "quarter": fmt.Sprintf("%d-Q4", year),
		"executionArn": arn, "status": "running"})
	return nil
}

func (s *Server) annualClearing(w http.ResponseWriter, r *http.Request, _ directory.Person) error {
	year, err := strconv.Atoi(r.PathValue("year"))
	if err != nil || year < 1900 || year > 9999 {
		return problem.InvalidField("year", "must be a year such as 2026")
	}
	limit, err := pageLimit(r)
	if err != nil {
		return err
	}
	items, next, err := s.App.AnnualClearingPage(r.Context(), year, r.URL.Query().Get("cursor"), limit)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"year": year, "items": items, "nextCursor": next})
	return nil
}

func (s *Server) startAccruals(w http.ResponseWriter, r *http.Request, caller directory.Person) error {
	o, err := decodeObject(r)
	if err != nil {
		return err
	}
	month := o.str("month", true)
	if err := o.done("accrual run"); err != nil {
		return err
	}
	arn, err := s.App.StartAccruals(r.Context(), caller, month)
	if err != nil {
		return err
	}
	w.Header().Set("Location", "/accrual-runs/"+month)
	writeJSON(w, http.StatusAccepted, map[string]string{"month": month, "executionArn": arn, "status": "running"})
	return nil
}

func (s *Server) accrualRun(w http.ResponseWriter, r *http.Request, _ directory.Person) error {
	m, err := pathMonthValue(r)
	if err != nil {
		return err
	}
	run, err := s.App.AccrualRun(r.Context(), m)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, run)
	return nil
}

func (s *Server) accruals(w http.ResponseWriter, r *http.Request, _ directory.Person) error {
	m, err := pathMonthValue(r)
	if err != nil {
		return err
	}
	limit, err := pageLimit(r)
	if err != nil {
		return err
	}
	items, next, err := s.App.MonthAccrualsPage(r.Context(), m, r.URL.Query().Get("cursor"), limit)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"month": m, "items": items, "nextCursor": next})
	return nil
}

// statementWhy is a statement's explanation in Chinese from the reason
// catalog; a statement computed before reasons were codes keeps its text.
func statementWhy(st settlement.Statement) string {
	if len(st.Reasons) == 0 {
		return st.Reason
	}
	return reason.Join(st.Reasons)
}

var statementStatusNames = map[string]string{
	settlement.StatusDraft: "待确认", settlement.StatusRevenueConfirmed: "收入已确认",
	settlement.StatusApproved: "已审批", settlement.StatusReturned: "已退回",
}

func optAmount(a *money.Amount) any {
	if a == nil {
		return ""
	}
	return a.String()
}

func optRate(r *money.Rate) any {
	if r == nil {
		return ""
	}
	return r.String()
}

func actor(st settlement.StatementRecord, step string) string {
	for i := len(st.Acts) - 1; i >= 0; i-- {
		if st.Acts[i].Step == step {
			return st.Acts[i].By
		}
	}
	return ""
}

// settlementXLSX lays a quarter's statements out as the annex tables of
// seed 003: S-A3 表一 (revenue mode), 表二–表五 (guarantee items), S-A5 (the
// annual clearing, in Q4) and the deductions with the deposit draw (S§20).
// Each sheet streams one pass over the quarter's pages of statements, so a
// national quarter is never held whole.
func (s *Server) settlementXLSX(r *http.Request, out io.Writer, q period.Quarter) error {
	f := excelize.NewFile()
	defer f.Close()
	const revenueSheet, guaranteeSheet, clearingSheet, ledgerSheet = "表一 收入考核", "表二 保障考核", "年度清算", "扣减与保证金"
	f.SetSheetName("Sheet1", revenueSheet)
	sheet := func(name string, header [][]any, row func(page app.QuarterSettlement, add func(cells ...any) error) error) error {
		st, err := newSheetStream(f, name)
		if err != nil {
			return err
		}
		if err := st.addRows(header...); err != nil {
			return err
		}
		for cursor := ""; ; {
			page, next, err := s.App.SettlementPage(r.Context(), q, cursor, 500)
			if err != nil {
				return err
			}
			if err := row(page, st.add); err != nil {
				return err
			}
			if next == "" {
				return st.flush()
			}
			cursor = next
		}
	}
	n := 0
	err := sheet(revenueSheet, [][]any{{fmt.Sprintf("%d年 第%d季度 收入考核模式项目考核表（附件三 表一）", q.Year, q.Q)},
		{"序号", "对应合同", "合作伙伴", "产品名称", "合同工作量", "实际工作量", "业务收入（元）", "市场营销部确认人", "支撑贡献率",
			"应付款（元）", "扣减（元）", "保证金扣除（元）", "结转（元）", "实付款（元）", "考核意见", "状态", "依据条款", "策略版本"}},
		func(page app.QuarterSettlement, add func(cells ...any) error) error {
			for _, st := range page.Items {
				if st.Mode != partner.ModeRevenue || st.Kind != settlement.KindQuarterly {
					continue
				}
				n++
				var minW, work string
				if in := st.QuarterInput; in != nil {
					minW, work = in.MinWorkload.String(), in.Workload.String()
				}
				if err := add(n, st.ProjectID, st.PartnerName, st.ProductName, minW, work, optAmount(st.Revenue),
					actor(st, app.StepConfirm), optRate(st.Rate), st.Fee.String(), st.Deductions.String(), st.FromDeposit.String(),
					st.CarriedForward.String(), st.Payable.String(), statementWhy(st.Statement), statementStatusNames[st.Status], st.Rule, st.PolicyVersion); err != nil {
					return err
				}
			}
			return nil
		})
	if err != nil {
		return err
	}
	err = sheet(guaranteeSheet, [][]any{{fmt.Sprintf("%d年 第%d季度 保障型项目考核表（附件三 表二至表五）", q.Year, q.Q)},
		{"对应合同", "合作伙伴", "产品名称", "工作项目", "工作量", "单价（元）", "费用（元）", "评分", "付款比例", "应付款（元）", "考核意见"}},
		func(page app.QuarterSettlement, add func(cells ...any) error) error {
			for _, st := range page.Items {
				if st.Mode != partner.ModeGuarantee {
					continue
				}
				for _, it := range st.Items {
					if err := add(st.ProjectID, st.PartnerName, st.ProductName, it.Name, it.Workload.String(),
						it.UnitPrice.String(), it.Base.String(), it.Score.String(), it.Share.String(), it.PaidExact, it.Reason); err != nil {
						return err
					}
				}
				if err := add(st.ProjectID, st.PartnerName, st.ProductName, "合计", "", "", optAmount(st.Base), "",
					optRate(st.Share), st.Fee.String(), fmt.Sprintf("扣减 %s，保证金扣除 %s，实付款 %s，%s", st.Deductions, st.FromDeposit,
						st.Payable, statementStatusNames[st.Status])); err != nil {
					return err
				}
			}
			return nil
		})
	if err != nil {
		return err
	}
	if q.Q == 4 {
		n = 0
		err = sheet(clearingSheet, [][]any{{fmt.Sprintf("%d年度 创新型产品运营支撑项目年度清算审批表（附件五）", q.Year)},
			{"序号", "合同名称", "合作伙伴", "产品名称", "上年度业务收入（元）", "上年度支撑费用（元）", "本年度业务收入（元）",
				"支撑贡献率", "本年度支撑费用（元）", "前3季度结算费用（元）", "第4季度清算费用（元）", "备注", "状态"}},
			func(page app.QuarterSettlement, add func(cells ...any) error) error {
				for _, st := range page.Items {
					c := st.Clearing
					if st.Kind != settlement.KindAnnualClearing || c == nil {
						continue
					}
					n++
					lastRev, lastFee := "", ""
					if c.LastYear != nil {
						lastRev, lastFee = c.LastYear.Revenue.String(), c.LastYear.Fee.String()
					}
					if err := add(n, st.ProjectID, st.PartnerName, st.ProductName, lastRev, lastFee, c.AnnualRevenue.String(),
						c.Rate.String(), c.AnnualFee.String(), c.SettledQ1toQ3.String(), c.Q4Clearing.String(), c.Reason, statementStatusNames[st.Status]); err != nil {
						return err
					}
				}
				return nil
			})
		if err != nil {
			return err
		}
	}
	// A partner's round comes with every page that holds one of its
	// statements (SettlementPage), whose statements name it; the sheet lists
	// it once (a set of ids: bounded by the partners, not the statements).
	listed := map[string]bool{}
	err = sheet(ledgerSheet, [][]any{{fmt.Sprintf("%s 扣减、保证金与结转（S§19–S§21）", q)},
		{"合作伙伴", "本季扣减（元）", "上期结转扣款（元）", "上期结转追回（元）", "可用保证金（元）", "保证金扣除（元）", "结转扣款（元）", "结转追回（元）", "说明"}},
		func(page app.QuarterSettlement, add func(cells ...any) error) error {
			names := map[string]string{}
			for _, st := range page.Items {
				names[st.PartnerID] = st.PartnerName
			}
			for _, rs := range page.Partners {
				if listed[rs.PartnerID] {
					continue
				}
				listed[rs.PartnerID] = true
				if err := add(names[rs.PartnerID], money.Sum(deductionTotals(rs.Deductions)...).String(), rs.CarriedInCharges.String(),
					rs.CarriedInRecovery.String(), rs.DepositAvailable.String(), rs.FromDeposit.String(), rs.CarriedCharges.String(),
					rs.CarriedRecovery.String(), rs.Reason); err != nil {
					return err
				}
			}
			return nil
		})
	if err != nil {
		return err
	}
	_, err = f.WriteTo(out)
	return err
}

func deductionTotals(ds []settlement.Deduction) []money.Amount {
	out := make([]money.Amount, len(ds))
	for i, d := range ds {
		out[i] = d.Amount
	}
	return out
}
