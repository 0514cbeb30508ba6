package api

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/xuri/excelize/v2"

	"productgov/shared/problem"
)

// readRows reads CSV, or the first sheet of an XLSX file (by its name or its
// zip signature).
func readRows(fileName string, content []byte) ([][]string, error) {
	if len(content) == 0 {
		return nil, problem.InvalidField("file", "is empty")
	}
	isXLSX := strings.HasSuffix(strings.ToLower(fileName), ".xlsx") || bytes.HasPrefix(content, []byte("PK\x03\x04"))
	if isXLSX {
		f, err := excelize.OpenReader(bytes.NewReader(content))
		if err != nil {
			return nil, problem.InvalidField("file", "is not a readable XLSX workbook")
		}
		defer f.Close()
		sheets := f.GetSheetList()
		if len(sheets) == 0 {
			return nil, problem.InvalidField("file", "has no sheet")
		}
		rows, err := f.GetRows(sheets[0])
		if err != nil {
			return nil, problem.InvalidField("file", "first sheet cannot be read")
		}
		return rows, nil
	}
	r := csv.NewReader(bytes.NewReader(content))
	r.FieldsPerRecord = -1
	r.TrimLeadingSpace = true
	var rows [][]string
	for {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			return rows, nil
		}
		if err != nil {
			// The parse error knows its line; FieldPos would panic when the
			// record has no field yet (found by FuzzImportRows).
			line := len(rows) + 1
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				line = pe.StartLine
			}
			return nil, problem.Invalid("import refused: the file is not valid CSV", map[string]string{
				fmt.Sprintf("line %d", line): err.Error()})
		}
		rows = append(rows, rec)
	}
}
