package api

import (
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/xuri/excelize/v2"

	"productgov/shared/app"
	"productgov/shared/assessment"
	"productgov/shared/directory"
	"productgov/shared/period"
	"productgov/shared/problem"
	"productgov/shared/reason"
	"productgov/shared/settlement"
)

// siRoutes are the SI settlement of cooperative products (P§20).
func (s *Server) siRoutes() {
	s.handle("PUT", "/products/{id}/si-agreement", false, s.putSIAgreement)
	s.handle("POST", "/si-settlement-runs", false, s.startSISettlement)
	s.handle("GET", "/si-settlement-runs/{month}", false, partnerRead(s.siSettlementRun))
	// GET /si-settlements/2026-05 answers JSON; GET /si-settlements/2026-05.xlsx the statements as a sheet.
	s.handle("GET", "/si-settlements/{month}", false, partnerRead(s.siSettlements))
	s.handle("POST", "/si-settlements/{month}/{productId}/approve", false, s.approveSIStatement)
}

func (s *Server) putSIAgreement(w http.ResponseWriter, r *http.Request, caller directory.Person) error {
	o, err := decodeObject(r)
	if err != nil {
		return err
	}
	in := app.SIAgreementInput{Share: o.rate("share", true), StartDate: o.date("startDate", true), EndDate: o.date("endDate", true)}
	if err := o.done("SI agreement"); err != nil {
		return err
	}
	p, err := s.App.SetSIAgreement(r.Context(), caller, r.PathValue("id"), in)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, p)
	return nil
}

func (s *Server) startSISettlement(w http.ResponseWriter, r *http.Request, caller directory.Person) error {
	o, err := decodeObject(r)
	if err != nil {
		return err
	}
	month := o.str("month", true)
	if err := o.done("SI settlement run"); err != nil {
		return err
	}
	arn, err := s.App.StartSISettlement(r.Context(), caller, month)
	if err != nil {
		return err
	}
	w.Header().Set("Location", "/si-settlement-runs/"+month)
	writeJSON(w, http.StatusAccepted, map[string]string{"month": month, "executionArn": arn, "status": "running"})
	return nil
}

func (s *Server) siSettlementRun(w http.ResponseWriter, r *http.Request, _ directory.Person) error {
	m, err := pathMonthValue(r)
	if err != nil {
		return err
	}
	run, err := s.App.SISettlementRun(r.Context(), m)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, run)
	return nil
}

func (s *Server) siSettlements(w http.ResponseWriter, r *http.Request, _ directory.Person) error {
	text, xlsx := strings.CutSuffix(r.PathValue("month"), ".xlsx")
	m, err := period.ParseMonth(text)
	if err != nil {
		return problem.InvalidField("month", err.Error())
	}
	if xlsx {
		url, err := s.App.ExportLink(r.Context(), "si-settlement", m.String(), fmt.Sprintf("合作产品结算单-%s.xlsx", m),
			func(out io.Writer) error { return s.siXLSX(r, out, m) })
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
	items, next, err := s.App.SIStatementsPage(r.Context(), m, r.URL.Query().Get("cursor"), limit)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"month": m, "items": items, "nextCursor": next})
	return nil
}

func (s *Server) approveSIStatement(w http.ResponseWriter, r *http.Request, caller directory.Person) error {
	m, mErr := pathMonthValue(r)
	o, err := decodeOptionalObject(r)
	if err != nil {
		return err
	}
	comment := o.str("comment", false)
	if mErr != nil {
		o.errs.Add("month", problem.As(mErr).Fields["month"])
	}
	if err := o.done("SI statement approval"); err != nil {
		return err
	}
	st, err := s.App.ApproveSIStatement(r.Context(), caller, m, r.PathValue("productId"), comment)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, st)
	return nil
}

var siStatusNames = map[string]string{settlement.SIStatusDraft: "待财务审核", settlement.SIStatusHeld: "暂缓结算（待退出决策）",
	settlement.SIStatusApproved: "已审核"}

// siXLSX lays a month's SI statements out as one sheet (P§20 合作产品结算),
// streamed a page of statements at a time into the work bucket.
func (s *Server) siXLSX(r *http.Request, out io.Writer, m period.Month) error {
	f := excelize.NewFile()
	defer f.Close()
	const name = "合作产品结算"
	f.SetSheetName("Sheet1", name)
	sheet, err := newSheetStream(f, name)
	if err != nil {
		return err
	}
	if err := sheet.addRows([]any{fmt.Sprintf("%s 合作产品（SI）结算单（《政企产品管理办法》第二十条）", reason.Month(m.String()))},
		[]any{"产品名称", "产品编号", "合作伙伴", "业务收入（元）", "分成比例", "结算金额（元）", "当月考核结果", "考核后阶段", "状态", "说明", "依据条款", "策略版本"}); err != nil {
		return err
	}
	// SI partners are few (one per cooperative product's agreement); each
	// is named once.
	partners := map[string]string{}
	for cursor := ""; ; {
		items, next, err := s.App.SIStatementsPage(r.Context(), m, cursor, 500)
		if err != nil {
			return err
		}
		for _, st := range items {
			result, phase := "未考核", ""
			if a := st.Assessment; a != nil {
				result, phase = outcomeNames[assessment.Outcome(a.Result)], phaseNames[assessment.Phase(a.PhaseAfter)]
			}
			pn, ok := partners[st.PartnerID]
			if !ok {
				pn = s.App.PartnerName(r.Context(), st.PartnerID)
				partners[st.PartnerID] = pn
			}
			if err := sheet.add(st.ProductName, st.ProductID, pn, st.Revenue.String(), st.Share.String(), st.Fee.String(),
				result, phase, siStatusNames[st.Status], st.Reason, st.Rule, st.PolicyVersion); err != nil {
				return err
			}
		}
		if next == "" {
			break
		}
		cursor = next
	}
	if err := sheet.flush(); err != nil {
		return err
	}
	_, err = f.WriteTo(out)
	return err
}
