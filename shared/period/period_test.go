package period

import (
	"encoding/json"
	"testing"
	"time"
)

func TestParseMonth(t *testing.T) {
	tests := []struct {
		in      string
		want    string
		wantErr bool
	}{
		{"2026-01", "2026-01", false},
		{"2026-12", "2026-12", false},
		{"2026-13", "", true},
		{"2026-00", "", true},
		{"2026-1", "", true},
		{"26-01", "", true},
		{"", "", true},
		{"2026-+1", "", true},
		{"2026- 1", "", true},
		{"2001-+2", "", true},
		{"+026-01", "", true},
		{"2026-0x", "", true},
	}
	for _, tt := range tests {
		m, err := ParseMonth(tt.in)
		if (err != nil) != tt.wantErr || (err == nil && m.String() != tt.want) {
			t.Errorf("ParseMonth(%q) = %v, %v", tt.in, m, err)
		}
	}
}

func TestMonthArithmetic(t *testing.T) {
	m := MustMonth("2026-01")
	if got := m.Add(-1).String(); got != "2025-12" {
		t.Errorf("Add(-1) = %s", got)
	}
	if got := m.Add(14).String(); got != "2027-03" {
		t.Errorf("Add(14) = %s", got)
	}
	if got := MustMonth("2027-03").Sub(m); got != 14 {
		t.Errorf("Sub = %d", got)
	}
	if got := MustMonth("2026-02").Last().String(); got != "2026-02-28" {
		t.Errorf("Last = %s", got)
	}
	if got := MustMonth("2026-11").Quarter().String(); got != "2026-Q4" {
		t.Errorf("Quarter = %s", got)
	}
}

func TestParseQuarter(t *testing.T) {
	for in, ok := range map[string]bool{"2026-Q1": true, "2026-Q4": true, "2026-Q5": false, "2026-Q0": false, "2026Q1": false, "2026-Q+": false, "+026-Q1": false, " 026-Q1": false} {
		_, err := ParseQuarter(in)
		if (err == nil) != ok {
			t.Errorf("ParseQuarter(%q) err = %v", in, err)
		}
	}
	q := MustQuarter("2026-Q4")
	if ms := q.Months(); ms[0].String() != "2026-10" || ms[2].String() != "2026-12" {
		t.Errorf("Months = %v", ms)
	}
	if got := q.Add(1).String(); got != "2027-Q1" {
		t.Errorf("Add = %s", got)
	}
}

func TestDates(t *testing.T) {
	if _, err := ParseDate("2026-02-30"); err == nil {
		t.Error("2026-02-30 accepted")
	}
	if got := MustDate("2026-01-31").AddMonths(1).String(); got != "2026-02-28" {
		t.Errorf("AddMonths clamps: %s", got)
	}
	// 23:30 UTC on Jan 31 is Feb 1 in Shanghai.
	if got := DateOf(time.Date(2026, 1, 31, 16, 30, 0, 0, time.UTC)).String(); got != "2026-02-01" {
		t.Errorf("DateOf = %s", got)
	}
}

func TestWorkingDays(t *testing.T) {
	cal := Calendar{
		Holidays:    map[Date]bool{MustDate("2026-10-01"): true, MustDate("2026-10-02"): true},
		WorkingDays: map[Date]bool{MustDate("2026-10-10"): true}, // a Saturday made a working day
	}
	tests := []struct {
		from string
		n    int
		want string
	}{
		{"2026-11-20", 2, "2026-11-24"}, // Friday + 2 → Tuesday
		{"2026-11-16", 10, "2026-11-30"},
		{"2026-09-30", 1, "2026-10-05"}, // holidays and the weekend skipped
		{"2026-10-09", 1, "2026-10-10"}, // the make-up Saturday counts
	}
	for _, tt := range tests {
		if got := cal.AddWorkingDays(MustDate(tt.from), tt.n).String(); got != tt.want {
			t.Errorf("AddWorkingDays(%s, %d) = %s, want %s", tt.from, tt.n, got, tt.want)
		}
	}
}

// An optional date, month or quarter left out round-trips as the zero value
// (issue 9: a staff change without noticeOn broke every later read), and the
// "0000-…" that older records hold reads as zero too.
func TestZeroValuesRoundTrip(t *testing.T) {
	type rec struct {
		D Date    `json:"d"`
		M Month   `json:"m"`
		Q Quarter `json:"q"`
	}
	tests := []struct {
		name string
		in   rec
		json string
	}{
		{"zero", rec{}, `{"d":null,"m":null,"q":null}`},
		{"set", rec{MustDate("2025-08-15"), MustMonth("2025-08"), MustQuarter("2025-Q3")}, `{"d":"2025-08-15","m":"2025-08","q":"2025-Q3"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := json.Marshal(tt.in)
			if err != nil || string(b) != tt.json {
				t.Fatalf("marshal %s, %v; want %s", b, err, tt.json)
			}
			var back rec
			if err := json.Unmarshal(b, &back); err != nil || back != tt.in {
				t.Fatalf("unmarshal %+v, %v; want %+v", back, err, tt.in)
			}
		})
	}
	var old rec
	if err := json.Unmarshal([]byte(`{"d":"0000-00-00","m":"0000-00","q":"0000-Q0"}`), &old); err != nil || old != (rec{}) {
		t.Fatalf("older zero values: %+v, %v", old, err)
	}
	for _, bad := range []string{`{"d":"2025-02-30"}`, `{"d":""}`, `{"m":"2025-13"}`, `{"q":"2025-Q5"}`, `{"d":5}`} {
		var r rec
		if err := json.Unmarshal([]byte(bad), &r); err == nil {
			t.Errorf("%s accepted", bad)
		}
	}
}
