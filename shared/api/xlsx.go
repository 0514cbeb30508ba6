package api

import (
	"net/http"
	"strings"

	"github.com/xuri/excelize/v2"

	"productgov/shared/app"
)

// sendDownload answers an export with its presigned download: a 303 for a
// browser that opened the link, or, to a client that asks for JSON (the
// console), the link itself, which it then opens. A fetch cannot follow the
// redirect: the download is on the bucket's origin, which the console's
// Content-Security-Policy does not let a script read.
func sendDownload(w http.ResponseWriter, r *http.Request, url string) {
	if strings.Contains(r.Header.Get("Accept"), "application/json") {
		writeJSON(w, http.StatusOK, map[string]any{"url": url, "expiresIn": int(app.ExportLinkTTL.Seconds())})
		return
	}
	http.Redirect(w, r, url, http.StatusSeeOther)
}

// sheetStream writes one sheet's rows through excelize's stream writer,
// which keeps them in a temporary file past 16 MB: an export of a national
// quarter or month is never held whole in memory.
type sheetStream struct {
	sw  *excelize.StreamWriter
	row int
}

// newSheetStream starts writing the sheet (created unless it exists). A
// workbook's sheets are streamed one after another: each is flushed before
// the next starts.
func newSheetStream(f *excelize.File, sheet string) (*sheetStream, error) {
	if i, err := f.GetSheetIndex(sheet); err != nil {
		return nil, err
	} else if i < 0 {
		if _, err := f.NewSheet(sheet); err != nil {
			return nil, err
		}
	}
	sw, err := f.NewStreamWriter(sheet)
	if err != nil {
		return nil, err
	}
	return &sheetStream{sw: sw, row: 1}, nil
}

// add writes the next row.
func (s *sheetStream) add(cells ...any) error {
	cell, err := excelize.CoordinatesToCellName(1, s.row)
	if err != nil {
		return err
	}
	s.row++
	return s.sw.SetRow(cell, cells)
}

// addRows writes rows in turn.
func (s *sheetStream) addRows(rows ...[]any) error {
	for _, r := range rows {
		if err := s.add(r...); err != nil {
			return err
		}
	}
	return nil
}

// flush ends the sheet.
func (s *sheetStream) flush() error { return s.sw.Flush() }

func writeRows(f *excelize.File, sheet string, rows [][]any) {
	for i, row := range rows {
		cell, _ := excelize.CoordinatesToCellName(1, i+1)
		_ = f.SetSheetRow(sheet, cell, &row)
	}
}
