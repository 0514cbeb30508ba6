package api

import (
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/xuri/excelize/v2"

	"productgov/shared/app"
	"productgov/shared/assessment"
	"productgov/shared/directory"
	"productgov/shared/money"
	"productgov/shared/period"
	"productgov/shared/problem"
	"productgov/shared/product"
	"productgov/shared/reason"
)

func (s *Server) startAssessment(w http.ResponseWriter, r *http.Request, caller directory.Person) error {
	o, err := decodeObject(r)
	if err != nil {
		return err
	}
	month := o.str("month", true)
	if err := o.done("assessment run"); err != nil {
		return err
	}
	arn, err := s.App.StartAssessment(r.Context(), caller, month)
	if err != nil {
		return err
	}
	w.Header().Set("Location", "/assessment-runs/"+month)
	writeJSON(w, http.StatusAccepted, map[string]string{"month": month, "executionArn": arn, "status": "running"})
	return nil
}

// pageLimit is a listing's ?limit= (1..1000, default 500): listings of a
// period (results, statements, accruals) are read a page at a time with
// ?cursor=, each answer naming the next in nextCursor.
func pageLimit(r *http.Request) (int32, error) {
	v := r.URL.Query().Get("limit")
	if v == "" {
		return 500, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > 1000 {
		return 0, problem.InvalidField("limit", "must be a whole number between 1 and 1000")
	}
	return int32(n), nil
}

func pathMonthValue(r *http.Request) (period.Month, error) {
	m, err := period.ParseMonth(r.PathValue("month"))
	if err != nil {
		return m, problem.InvalidField("month", err.Error())
	}
	return m, nil
}

func (s *Server) assessmentRun(w http.ResponseWriter, r *http.Request, _ directory.Person) error {
	m, err := pathMonthValue(r)
	if err != nil {
		return err
	}
	run, err := s.App.AssessmentRun(r.Context(), m)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, run)
	return nil
}

func (s *Server) assessments(w http.ResponseWriter, r *http.Request, _ directory.Person) error {
	m, err := pathMonthValue(r)
	if err != nil {
		return err
	}
	limit, err := pageLimit(r)
	if err != nil {
		return err
	}
	results, next, err := s.App.MonthResultsPage(r.Context(), m, r.URL.Query().Get("cursor"), limit)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"month": m, "items": results, "nextCursor": next})
	return nil
}

var outcomeNames = map[assessment.Outcome]string{
	assessment.OutcomePass: "通过", assessment.OutcomeFail: "未通过", assessment.OutcomeExempt: "免考核",
	assessment.OutcomePendingData: "待补数据", assessment.OutcomeSkipped: "不参与考核",
}

var phaseNames = map[assessment.Phase]string{
	assessment.PhaseAssessment: "考核期", assessment.PhaseWarning: "预警期", assessment.PhaseExit: "退出期", "": "—",
}

// monthReport is the zh-CN monthly report's content (SPEC 3, 5): the
// counts, and one page of the results it lists.
type monthReport struct {
	Title   string
	Month   period.Month
	Version string
	Counts  []countLine
	Changes []assessment.Result
	Pending []assessment.Result
	// Tracks lists every pending track, also one pending while the other
	// track was assessed (SPEC 3 "Missing data").
	Tracks []pendingTrackLine
	Total  int
	// Sizes counts each list over every page.
	Sizes assessment.ListSizes
	// Page and Pages place this page among the report's pages (from 1);
	// Prev and Next are its neighbours, 0 where there is none.
	Page, Pages, Prev, Next int
	// Names are the products' names by id.
	Names map[string]string
}

// place makes the report show page (from 1) of its Pages, with its neighbours.
func (r *monthReport) place(page int) {
	r.Page, r.Prev, r.Next = page, 0, 0
	if page > 1 {
		r.Prev = page - 1
	}
	if page < r.Pages {
		r.Next = page + 1
	}
}

// pendingTrackLine is one pending track as the report page shows it.
type pendingTrackLine struct {
	ProductID, Track, Missing string
}

var trackNames = map[assessment.Track]string{assessment.TrackRevenue: "收入考核", assessment.TrackQuality: "质量考核"}

type countLine struct {
	Name  string
	Count int
}

// productNamesOf maps the ids to product names for a page; a page still
// renders (with ids) when the names cannot be read.
func (s *Server) productNamesOf(r *http.Request, ids []string) map[string]string {
	names, err := s.App.ProductNames(r.Context(), ids)
	if err != nil {
		s.Log.Warn("product names for a page", "err", err)
		return map[string]string{}
	}
	return names
}

// reportPageParam is the report page's ?page= (from 1, default 1).
func reportPageParam(r *http.Request) (int, error) {
	v := r.URL.Query().Get("page")
	if v == "" {
		return 1, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 {
		return 0, problem.InvalidField("page", "must be a whole number from 1")
	}
	return n, nil
}

// monthReportOf reads the month's finished report from the work bucket: its
// counts and list sizes, never every result; with the month and the run.
func (s *Server) monthReportOf(r *http.Request) (period.Month, app.MonthReport, int, error) {
	m, err := pathMonthValue(r)
	if err != nil {
		return m, app.MonthReport{}, 0, err
	}
	full, run, err := s.App.AssessmentReport(r.Context(), m)
	return m, full, run.Runs, err
}

// reportOn lays out one page of listed results for the report page and the
// workbook: by section, with the products' names.
func (s *Server) reportOn(r *http.Request, m period.Month, full app.MonthReport, listed []assessment.Result) monthReport {
	rep := monthReport{Title: fmt.Sprintf("%s产品月度考核报告", reason.Month(m.String())), Month: m, Total: full.Total,
		Version: full.PolicyVersion, Sizes: full.Sizes, Pages: max(full.Pages, 1), Names: s.productNamesOf(r, productIDs(listed))}
	for _, res := range listed {
		if res.PhaseBefore != res.PhaseAfter {
			rep.Changes = append(rep.Changes, res)
		}
		if res.Result == assessment.OutcomePendingData {
			rep.Pending = append(rep.Pending, res)
		}
		for _, pt := range res.PendingTracks {
			months := make([]string, len(pt.Months))
			for i, pm := range pt.Months {
				months[i] = reason.Month(pm.String())
			}
			rep.Tracks = append(rep.Tracks, pendingTrackLine{ProductID: res.ProductID, Track: trackNames[pt.Track],
				Missing: strings.Join(months, "、")})
		}
	}
	for _, o := range assessment.Outcomes {
		rep.Counts = append(rep.Counts, countLine{outcomeNames[o], full.Counts[o]})
	}
	return rep
}

// assessmentReport renders one page of the month's report (?page=, 1000
// listed results a page), so a national month's page stays a page.
func (s *Server) assessmentReport(w http.ResponseWriter, r *http.Request, _ directory.Person) error {
	page, err := reportPageParam(r)
	if err != nil {
		return err
	}
	m, full, _, err := s.monthReportOf(r)
	if err != nil {
		return err
	}
	listed, err := s.App.ReportPage(r.Context(), full, page)
	if err != nil {
		return err
	}
	rep := s.reportOn(r, m, full, listed)
	rep.place(page)
	return renderPage(w, http.StatusOK, "report.html", rep)
}

// assessmentReportXLSX sends the browser to the report's XLSX in the work
// bucket (a presigned download, so its size is not bound by the 6 MB a
// Lambda answer carries), writing it there on the first request of a run.
func (s *Server) assessmentReportXLSX(w http.ResponseWriter, r *http.Request, _ directory.Person) error {
	m, full, run, err := s.monthReportOf(r)
	if err != nil {
		return err
	}
	url, err := s.App.RunExport(r.Context(), "assessment", m.String(), run, "report.xlsx",
		fmt.Sprintf("月度产品考核报告-%s.xlsx", m), func(out io.Writer) error { return s.reportXLSX(r, out, m, full) })
	if err != nil {
		return err
	}
	sendDownload(w, r, url)
	return nil
}

// reportXLSX writes the report as a workbook: the counts, and every result
// the report lists with its figures, rule and reason, page by page through
// excelize's stream writer, so a national month's rows are never all held.
func (s *Server) reportXLSX(r *http.Request, out io.Writer, m period.Month, full app.MonthReport) error {
	f := excelize.NewFile()
	defer f.Close()
	const summary, detail = "汇总", "明细"
	f.SetSheetName("Sheet1", summary)
	head := s.reportOn(r, m, full, nil)
	rows := [][]any{{head.Title}, {"策略版本", head.Version}, {"产品数", head.Total}, {}, {"考核结果", "产品数"}}
	for _, c := range head.Counts {
		rows = append(rows, []any{c.Name, c.Count})
	}
	writeRows(f, summary, rows)
	sheet, err := newSheetStream(f, detail)
	if err != nil {
		return err
	}
	if err := sheet.add("产品名称", "产品编号", "月份", "考核结果", "三个月平均收入（元）", "收入达标", "质量得分", "质量达标", "考核前阶段", "考核后阶段", "依据条款", "说明", "策略版本"); err != nil {
		return err
	}
	for page := 1; page <= max(full.Pages, 1); page++ {
		listed, err := s.App.ReportPage(r.Context(), full, page)
		if err != nil {
			return err
		}
		names := s.productNamesOf(r, productIDs(listed))
		for _, res := range listed {
			if err := sheet.add(names[res.ProductID], res.ProductID, reason.Month(res.Month.String()), outcomeNames[res.Result], amountText(res.RevenueAverage),
				boolText(res.RevenuePass), scoreText(res.QualityScore), boolText(res.QualityPass), phaseNames[res.PhaseBefore],
				phaseNames[res.PhaseAfter], res.Rule, reason.Join(res.Reasons), full.PolicyVersion); err != nil {
				return err
			}
		}
	}
	if err := sheet.flush(); err != nil {
		return err
	}
	_, err = f.WriteTo(out)
	return err
}

func productIDs(results []assessment.Result) []string {
	ids := make([]string, len(results))
	for i, res := range results {
		ids[i] = res.ProductID
	}
	return ids
}

func amountText(a *money.Amount) string {
	if a == nil {
		return ""
	}
	return a.String()
}

func scoreText(sc *assessment.Score) string {
	if sc == nil {
		return ""
	}
	return sc.String()
}

func boolText(b *bool) string {
	switch {
	case b == nil:
		return ""
	case *b:
		return "是"
	default:
		return "否"
	}
}

// trendPage is a product's page: facts, history and the revenue of the last
// 12 months against its assessment threshold as an SVG chart (SPEC 5).
type trendPage struct {
	Title     string
	Product   product.Product
	Threshold money.Amount
	Chart     chart
	History   []product.StageChange
	// Names are people's names by login.
	Names map[string]string
}

func (s *Server) productPage(w http.ResponseWriter, r *http.Request, _ directory.Person) error {
	p, err := s.App.GetProduct(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	pol, err := s.App.Policy(r.Context())
	if err != nil {
		return err
	}
	to := period.MonthOf(s.App.Now()).Add(-1)
	from := to.Add(-11)
	figs, err := s.App.RevenueTrend(r.Context(), p.ID, from, to)
	if err != nil {
		return err
	}
	hist, err := s.App.StageHistory(r.Context(), p.ID)
	if err != nil {
		return err
	}
	threshold := pol.Assessment.RevenueThresholds[assessment.Level(p.Level)] // P§19: hq has none
	return renderPage(w, http.StatusOK, "product.html", trendPage{Title: p.Name, Product: p, Threshold: threshold,
		Chart: revenueChart(figs, from, threshold), History: hist, Names: s.peopleNames(r)})
}
