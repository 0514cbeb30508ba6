package api

import (
	"net/http/httptest"
	"strings"
	"testing"

	"productgov/shared/assessment"
	"productgov/shared/period"
)

// A national month's report is read a page at a time: the page says where
// it stands and links its neighbours; a one-page report shows no pager.
func TestReportPager(t *testing.T) {
	tests := []struct {
		page, pages int
		want, never []string
	}{
		{1, 1, []string{"阶段变化的产品（共 2500 个）"}, []string{`id="pager"`, "每页 1000 条"}},
		{1, 3, []string{"第 1 / 3 页", `href="?page=2" rel="next"`}, []string{`rel="prev"`}},
		{2, 3, []string{`href="?page=1" rel="prev"`, `href="?page=3" rel="next"`, "本页为第 2 / 3 页"}, nil},
		{3, 3, []string{`href="?page=2" rel="prev"`}, []string{`rel="next"`}},
	}
	for _, tt := range tests {
		rep := monthReport{Title: "2026年11月产品月度考核报告", Month: period.MustMonth("2026-11"), Pages: tt.pages,
			Sizes: assessment.ListSizes{PhaseChanges: 2500}, Names: map[string]string{}}
		rep.place(tt.page)
		w := httptest.NewRecorder()
		if err := renderPage(w, 200, "report.html", rep); err != nil {
			t.Fatal(err)
		}
		body := w.Body.String()
		for _, s := range tt.want {
			if !strings.Contains(body, s) {
				t.Errorf("page %d of %d lacks %q", tt.page, tt.pages, s)
			}
		}
		for _, s := range tt.never {
			if strings.Contains(body, s) {
				t.Errorf("page %d of %d shows %q", tt.page, tt.pages, s)
			}
		}
	}
}
