package bench

import (
	"fmt"
	"io"
	"strings"
	"unicode/utf8"
)

// Table is a header and rows of cells, written as a Markdown table whose
// columns are padded to line up in a terminal too.
type Table struct {
	// Header names the columns.
	Header []string
	// RightAligned marks the columns (by index) to align right, e.g. numbers.
	RightAligned map[int]bool
	rows         [][]string
}

// Add appends a row; missing cells are empty, extra cells are dropped.
func (t *Table) Add(cells ...string) {
	row := make([]string, len(t.Header))
	copy(row, cells)
	t.rows = append(t.rows, row)
}

// WriteTo writes the table to w.
func (t *Table) WriteTo(w io.Writer) (int64, error) {
	width := make([]int, len(t.Header))
	for _, row := range append([][]string{t.Header}, t.rows...) {
		for i, c := range row {
			width[i] = max(width[i], utf8.RuneCountInString(c), 3)
		}
	}
	var b strings.Builder
	line := func(cells []string) {
		for i, c := range cells {
			pad := strings.Repeat(" ", width[i]-utf8.RuneCountInString(c))
			if t.RightAligned[i] {
				c = pad + c
			} else {
				c += pad
			}
			b.WriteString("| " + c + " ")
		}
		b.WriteString("|\n")
	}
	line(t.Header)
	rule := make([]string, len(t.Header))
	for i := range rule {
		rule[i] = strings.Repeat("-", width[i])
		if t.RightAligned[i] {
			rule[i] = rule[i][1:] + ":"
		}
	}
	line(rule)
	for _, row := range t.rows {
		line(row)
	}
	n, err := io.WriteString(w, b.String())
	if err != nil {
		return int64(n), fmt.Errorf("bench: write table: %w", err)
	}
	return int64(n), nil
}
