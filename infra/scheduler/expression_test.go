package scheduler

import (
	"strings"
	"testing"
	"time"
)

// mustTime parses an RFC 3339 time or fails the test.
func mustTime(t *testing.T, s string) time.Time {
	t.Helper()
	v, err := time.Parse(time.RFC3339, s)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// TestNext checks fire times against real calendar dates. want lists the
// next times in order, each computed from the one before; an empty want
// means the schedule never fires after after.
func TestNext(t *testing.T) {
	tests := []struct {
		name  string
		expr  string
		tz    string
		after string
		want  []string
	}{
		{
			name: "monthly on the 1st at 02:00 Shanghai is the day before in UTC",
			expr: "cron(0 2 1 * ? *)", tz: "Asia/Shanghai", after: "2026-11-22T00:00:00Z",
			want: []string{"2026-11-30T18:00:00Z", "2026-12-31T18:00:00Z", "2027-01-31T18:00:00Z"},
		},
		{
			name: "empty time zone means Asia/Shanghai",
			expr: "cron(0 2 1 * ? *)", tz: "", after: "2026-11-22T00:00:00Z",
			want: []string{"2026-12-01T02:00:00+08:00"},
		},
		{
			name: "UTC when asked",
			expr: "cron(0 2 1 * ? *)", tz: "UTC", after: "2026-11-22T00:00:00Z",
			want: []string{"2026-12-01T02:00:00Z"},
		},
		{
			// 2026-11-27 is a Friday; 08:00 Shanghai is 00:00Z, and "after"
			// is exclusive, so the next is Monday the 30th.
			name: "weekdays MON-FRI skip the weekend",
			expr: "cron(0 8 ? * MON-FRI *)", tz: "Asia/Shanghai", after: "2026-11-27T00:00:00Z",
			want: []string{"2026-11-30T08:00:00+08:00", "2026-12-01T08:00:00+08:00"},
		},
		{
			name: "day-of-week names in lower case",
			expr: "cron(0 8 ? * mon,wed *)", tz: "Asia/Shanghai", after: "2026-11-27T00:00:00Z",
			want: []string{"2026-11-30T08:00:00+08:00", "2026-12-02T08:00:00+08:00"},
		},
		{
			// Unix cron pitfall: AWS day-of-week 1 is Sunday (Unix: 0)...
			name: "day-of-week 1 is Sunday",
			expr: "cron(0 0 ? * 1 *)", tz: "UTC", after: "2026-11-27T00:00:00Z",
			want: []string{"2026-11-29T00:00:00Z", "2026-12-06T00:00:00Z"},
		},
		{
			// ...and 7 is Saturday (Unix: Sunday again).
			name: "day-of-week 7 is Saturday",
			expr: "cron(0 0 ? * 7 *)", tz: "UTC", after: "2026-11-27T00:00:00Z",
			want: []string{"2026-11-28T00:00:00Z"},
		},
		{
			name: "L alone in day-of-week is Saturday",
			expr: "cron(0 0 ? * L *)", tz: "UTC", after: "2026-11-27T00:00:00Z",
			want: []string{"2026-11-28T00:00:00Z"},
		},
		{
			// Nov 2026 ends on Monday the 30th; Dec 2026 on Thursday the 31st.
			name: "6L is the last Friday of the month",
			expr: "cron(0 10 ? * 6L *)", tz: "Asia/Shanghai", after: "2026-11-01T00:00:00Z",
			want: []string{"2026-11-27T10:00:00+08:00", "2026-12-25T10:00:00+08:00"},
		},
		{
			name: "FRIL is 6L by name",
			expr: "cron(0 10 ? * FRIL *)", tz: "Asia/Shanghai", after: "2026-11-01T00:00:00Z",
			want: []string{"2026-11-27T10:00:00+08:00"},
		},
		{
			// Nov 1 2026 is a Sunday, Dec 1 a Tuesday, Feb 1 2027 a Monday.
			name: "2#1 is the first Monday",
			expr: "cron(0 0 ? * 2#1 *)", tz: "UTC", after: "2026-11-01T00:00:00Z",
			want: []string{"2026-11-02T00:00:00Z", "2026-12-07T00:00:00Z", "2027-01-04T00:00:00Z", "2027-02-01T00:00:00Z"},
		},
		{
			name: "6#3 is the third Friday",
			expr: "cron(0 0 ? * 6#3 *)", tz: "UTC", after: "2026-11-01T00:00:00Z",
			want: []string{"2026-11-20T00:00:00Z", "2026-12-18T00:00:00Z"},
		},
		{
			// Only months with five Mondays: Nov 2026 (30th), Mar 2027 (29th).
			name: "2#5 skips months without a fifth Monday",
			expr: "cron(0 0 ? * 2#5 *)", tz: "UTC", after: "2026-11-01T00:00:00Z",
			want: []string{"2026-11-30T00:00:00Z", "2027-03-29T00:00:00Z"},
		},
		{
			name: "L is the last day of the month, leap years included",
			expr: "cron(0 0 L * ? *)", tz: "UTC", after: "2027-01-31T00:00:00Z",
			want: []string{"2027-02-28T00:00:00Z", "2027-03-31T00:00:00Z"},
		},
		{
			name: "L in February of a leap year",
			expr: "cron(0 0 L 2 ? *)", tz: "UTC", after: "2027-03-01T00:00:00Z",
			want: []string{"2028-02-29T00:00:00Z", "2029-02-28T00:00:00Z"},
		},
		{
			// Aug 15 2026 is a Saturday (→ Fri 14th), Sep 15 a Tuesday, Nov
			// 15 a Sunday (→ Mon 16th).
			name: "15W is the weekday nearest the 15th",
			expr: "cron(0 0 15W * ? *)", tz: "UTC", after: "2026-08-01T00:00:00Z",
			want: []string{"2026-08-14T00:00:00Z", "2026-09-15T00:00:00Z", "2026-10-15T00:00:00Z", "2026-11-16T00:00:00Z"},
		},
		{
			// Aug 1 2026 is a Saturday: W does not leave the month, so Monday the 3rd.
			name: "1W on a Saturday moves forward to Monday",
			expr: "cron(0 0 1W 8 ? *)", tz: "UTC", after: "2026-07-01T00:00:00Z",
			want: []string{"2026-08-03T00:00:00Z"},
		},
		{
			// Jan 31 2027 is a Sunday: W does not leave the month, so Friday the 29th.
			name: "31W on a last-day Sunday moves back to Friday; months without a 31st are skipped",
			expr: "cron(0 0 31W * ? *)", tz: "UTC", after: "2026-12-31T12:00:00Z",
			want: []string{"2027-01-29T00:00:00Z", "2027-03-31T00:00:00Z"},
		},
		{
			// Oct 31 2026 is a Saturday; Feb 28 2027 a Sunday.
			name: "LW is the last weekday of the month",
			expr: "cron(0 0 LW * ? *)", tz: "UTC", after: "2026-10-01T00:00:00Z",
			want: []string{"2026-10-30T00:00:00Z", "2026-11-30T00:00:00Z", "2026-12-31T00:00:00Z", "2027-01-29T00:00:00Z", "2027-02-26T00:00:00Z"},
		},
		{
			name: "quarterly on the 5th at 03:00",
			expr: "cron(0 3 5 1,4,7,10 ? *)", tz: "Asia/Shanghai", after: "2026-04-05T03:00:00+08:00",
			want: []string{"2026-07-05T03:00:00+08:00", "2026-10-05T03:00:00+08:00", "2027-01-05T03:00:00+08:00"},
		},
		{
			name: "quarterly by month names",
			expr: "cron(0 3 5 JAN,APR,JUL,OCT ? *)", tz: "Asia/Shanghai", after: "2026-04-05T03:00:00+08:00",
			want: []string{"2026-07-05T03:00:00+08:00"},
		},
		{
			name: "month increments",
			expr: "cron(0 0 1 1/3 ? *)", tz: "UTC", after: "2026-02-01T00:00:00Z",
			want: []string{"2026-04-01T00:00:00Z", "2026-07-01T00:00:00Z"},
		},
		{
			name: "0/15 is every quarter hour",
			expr: "cron(0/15 * * * ? *)", tz: "UTC", after: "2026-11-22T10:07:00Z",
			want: []string{"2026-11-22T10:15:00Z", "2026-11-22T10:30:00Z", "2026-11-22T10:45:00Z", "2026-11-22T11:00:00Z"},
		},
		{
			name: "1/10 starts at minute 1",
			expr: "cron(1/10 * * * ? *)", tz: "UTC", after: "2026-11-22T10:00:00Z",
			want: []string{"2026-11-22T10:01:00Z", "2026-11-22T10:11:00Z", "2026-11-22T10:21:00Z"},
		},
		{
			name: "range with increment in hours",
			expr: "cron(30 8-17/4 * * ? *)", tz: "UTC", after: "2026-11-22T09:00:00Z",
			want: []string{"2026-11-22T12:30:00Z", "2026-11-22T16:30:00Z", "2026-11-23T08:30:00Z"},
		},
		{
			name: "seconds within the minute are exclusive",
			expr: "cron(* * * * ? *)", tz: "UTC", after: "2026-11-22T10:00:59Z",
			want: []string{"2026-11-22T10:01:00Z", "2026-11-22T10:02:00Z"},
		},
		{
			name: "year range ends",
			expr: "cron(0 0 1 1 ? 2027-2028)", tz: "UTC", after: "2026-06-01T00:00:00Z",
			want: []string{"2027-01-01T00:00:00Z", "2028-01-01T00:00:00Z"},
		},
		{
			name: "year range already over",
			expr: "cron(0 0 1 1 ? 2027-2028)", tz: "UTC", after: "2028-06-01T00:00:00Z",
			want: nil,
		},
		{
			name: "the last year AWS knows is 2199",
			expr: "cron(0 0 31 12 ? *)", tz: "UTC", after: "2198-12-31T12:00:00Z",
			want: []string{"2199-12-31T00:00:00Z"},
		},
		{
			name: "nothing after 2199",
			expr: "cron(0 0 1 1 ? *)", tz: "UTC", after: "2199-06-01T00:00:00Z",
			want: nil,
		},
		{
			name: "a time before 1970 starts at 1970",
			expr: "cron(0 0 1 1 ? *)", tz: "UTC", after: "1960-06-01T00:00:00Z",
			want: []string{"1970-01-01T00:00:00Z"},
		},
		{
			name: "year increments",
			expr: "cron(0 0 1 1 ? 2030/5)", tz: "UTC", after: "2026-06-01T00:00:00Z",
			want: []string{"2030-01-01T00:00:00Z", "2035-01-01T00:00:00Z"},
		},
		{
			name: "a date that never comes",
			expr: "cron(0 0 30 2 ? *)", tz: "UTC", after: "2026-06-01T00:00:00Z",
			want: nil,
		},
		{
			// New York springs forward on 2026-03-08 at 02:00: 02:30 does not
			// exist that day, so EventBridge Scheduler skips it.
			name: "a time daylight saving skips is skipped",
			expr: "cron(30 2 * * ? *)", tz: "America/New_York", after: "2026-03-07T12:00:00Z",
			want: []string{"2026-03-09T02:30:00-04:00"},
		},
		{
			name: "rate in minutes counts from after",
			expr: "rate(5 minutes)", tz: "", after: "2026-11-22T10:00:30Z",
			want: []string{"2026-11-22T10:05:30Z", "2026-11-22T10:10:30Z"},
		},
		{
			name: "rate of one hour",
			expr: "rate(1 hour)", tz: "", after: "2026-11-22T10:00:00Z",
			want: []string{"2026-11-22T11:00:00Z"},
		},
		{
			name: "a rate day is 24 hours",
			expr: "rate(2 days)", tz: "America/New_York", after: "2026-03-07T12:00:00Z",
			want: []string{"2026-03-09T12:00:00Z", "2026-03-11T12:00:00Z"},
		},
		{
			name: "at is wall-clock time in the time zone, once",
			expr: "at(2026-12-01T02:00:00)", tz: "Asia/Shanghai", after: "2026-11-22T00:00:00Z",
			want: []string{"2026-11-30T18:00:00Z"},
		},
		{
			name: "at in the past never fires",
			expr: "at(2026-12-01T02:00:00)", tz: "Asia/Shanghai", after: "2026-11-30T18:00:00Z",
			want: nil,
		},
		{
			name: "surrounding spaces are ignored",
			expr: "  cron( 0 2 1 * ? * )  ", tz: "UTC", after: "2026-11-22T00:00:00Z",
			want: []string{"2026-12-01T02:00:00Z"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := ParseExpression(tt.expr, tt.tz)
			if err != nil {
				t.Fatalf("ParseExpression(%q, %q): %v", tt.expr, tt.tz, err)
			}
			after := mustTime(t, tt.after)
			for i, w := range tt.want {
				want := mustTime(t, w)
				got, ok := s.Next(after)
				if !ok || !got.Equal(want) {
					t.Fatalf("%s: Next #%d after %s = %s, %v; want %s", tt.expr, i+1, after.Format(time.RFC3339), got.Format(time.RFC3339), ok, want.Format(time.RFC3339))
				}
				after = got
			}
			if len(tt.want) == 0 {
				if got, ok := s.Next(after); ok {
					t.Fatalf("%s: Next after %s = %s; want no more times", tt.expr, after.Format(time.RFC3339), got.Format(time.RFC3339))
				}
			}
		})
	}
}

// TestNextFiresOnceWhenClocksGoBack checks that a wall-clock time that occurs
// twice (New York falls back on 2026-11-01 at 02:00, so 01:30 happens at
// 05:30Z and again at 06:30Z) fires once, from whichever point it is asked.
func TestNextFiresOnceWhenClocksGoBack(t *testing.T) {
	s, err := ParseExpression("cron(30 1 * * ? *)", "America/New_York")
	if err != nil {
		t.Fatal(err)
	}
	nov2 := mustTime(t, "2026-11-02T06:30:00Z") // 01:30 EST
	for _, from := range []string{"2026-11-01T04:00:00Z", "2026-11-01T05:45:00Z", "2026-11-01T06:00:00Z"} {
		var onNov1 []time.Time
		at := mustTime(t, from)
		for {
			next, ok := s.Next(at)
			if !ok {
				t.Fatalf("from %s: no next time", from)
			}
			if !next.Before(nov2) {
				if !next.Equal(nov2) {
					t.Fatalf("from %s: next after %s is %s; want %s", from, at, next.UTC(), nov2)
				}
				break
			}
			onNov1 = append(onNov1, next)
			at = next
		}
		if len(onNov1) > 1 {
			t.Errorf("from %s: fired %d times on Nov 1: %v", from, len(onNov1), onNov1)
		}
	}
}

// TestParseExpressionErrors checks that mistakes are refused, naming the
// field at fault.
func TestParseExpressionErrors(t *testing.T) {
	tests := []struct {
		expr string
		tz   string
		want string // a part of the error
	}{
		{"cron(0 0 ? * ? *)", "", `day-of-month and day-of-week are both "?"`},
		{"cron(0 0 * * * *)", "", `both set; exactly one must be "?"`},
		{"cron(0 2 1 * MON *)", "", "day-of-month (1) and day-of-week (MON) are both set"},
		{"cron(0 2 1 * ?)", "", "has 5 fields; want 6"},
		{"cron(0 2 1 * ?)", "", "Unix cron has 5"},
		{"cron(0 2 1 * ? * *)", "", "has 7 fields"},
		{"cron(60 0 * * ? *)", "", "minutes: 60 is out of range 0-59"},
		{"cron(0 24 * * ? *)", "", "hours: 24 is out of range 0-23"},
		{"cron(0 0 32 * ? *)", "", "day-of-month: 32 is out of range 1-31"},
		{"cron(0 0 0 * ? *)", "", "day-of-month: 0 is out of range 1-31"},
		{"cron(0 0 1 13 ? *)", "", "month: 13 is out of range 1-12"},
		{"cron(0 0 1 FOO ? *)", "", `month: unknown value "FOO"`},
		{"cron(0 0 ? * 8 *)", "", "day-of-week: 8 is out of range 1-7"},
		{"cron(0 0 ? * 0 *)", "", "AWS counts SUN as 1"},
		{"cron(0 0 ? * FUN *)", "", `day-of-week: unknown value "FUN"`},
		{"cron(0 0 ? * FRI-MON *)", "", "day-of-week: range \"FRI-MON\" runs backwards"},
		{"cron(0 0 ? * */2 *)", "", `day-of-week: "*/2": "/" is not allowed`},
		{"cron(0 0 ? * 3#1,6#3 *)", "", `day-of-week: "3#1,6#3": "#" allows exactly one expression`},
		{"cron(0 0 ? * 2#6 *)", "", "day-of-week: \"2#6\": the week number after # must be 1-5"},
		{"cron(0 0 ? * 9#1 *)", "", "day-of-week: 9 is out of range 1-7"},
		{"cron(0 0 ? * 8L *)", "", "day-of-week: 8 is out of range 1-7"},
		{"cron(0 0 ? * MON,6L *)", "", "day-of-week: \"MON,6L\": L and nL"},
		{"cron(0 0 L,15 * ? *)", "", `day-of-month: "L,15": L, LW and nW`},
		{"cron(0 0 L-3 * ? *)", "", `day-of-month: "L-3"`},
		{"cron(0 0 32W * ? *)", "", "day-of-month: 32 is out of range 1-31"},
		{"cron(0 0 1 * ? 1969)", "", "year: 1969 is out of range 1970-2199"},
		{"cron(0 0 1 * ? 2200)", "", "year: 2200 is out of range 1970-2199"},
		{"cron(0 0 1 * ? 2030-2300)", "", "year: 2300 is out of range"},
		{"cron(0/0 * * * ? *)", "", "minutes: \"0/0\": the increment after / must be"},
		{"cron(0 5-2 * * ? *)", "", `hours: range "5-2" runs backwards`},
		{"cron(0 5- * * ? *)", "", `hours: range "5-" is incomplete`},
		{"cron(0 0 W * ? *)", "", `day-of-month: "W" must follow a day`},
		{"cron(0 0 ? * 2# *)", "", "the week number after # must be 1-5"},
		{"cron(0 ? 1 * ? *)", "", `hours: "?" is only allowed in day-of-month or day-of-week`},
		{"cron(0,,5 0 1 * ? *)", "", "minutes: empty value"},
		{"cron(+5 0 1 * ? *)", "", `minutes: unknown value "+5"`},
		{"rate(1 minutes)", "", `unit "minutes" must be singular`},
		{"rate(5 minute)", "", `unit "minute" must be plural`},
		{"rate(0 minutes)", "", `value "0" is not a positive whole number`},
		{"rate(five minutes)", "", `value "five"`},
		{"rate(5 seconds)", "", `unit "seconds" is not one of`},
		{"rate(5)", "", "want rate(value unit)"},
		{"at(2026-13-01T00:00:00)", "", "want at(yyyy-mm-ddThh:mm:ss)"},
		{"at(2026-12-01 02:00)", "", "want at(yyyy-mm-ddThh:mm:ss)"},
		{"every(5 minutes)", "", "is not a schedule expression"},
		{"0 2 1 * ? *", "", "is not a schedule expression"},
		{"", "", "is not a schedule expression"},
		{"cron(0 2 1 * ? *)", "Mars/Olympus_Mons", `time zone "Mars/Olympus_Mons"`},
		{"cron(0 2 1 * ? *)", "Local", `"Local" is not an IANA time zone name`},
	}
	for _, tt := range tests {
		t.Run(tt.expr, func(t *testing.T) {
			_, err := ParseExpression(tt.expr, tt.tz)
			if err == nil {
				t.Fatalf("ParseExpression(%q, %q) succeeded; want an error containing %q", tt.expr, tt.tz, tt.want)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("ParseExpression(%q, %q) = %q; want it to contain %q", tt.expr, tt.tz, err, tt.want)
			}
			if !strings.HasPrefix(err.Error(), "scheduler: ") {
				t.Fatalf("error %q does not start with the package name", err)
			}
		})
	}
}

// TestScheduleString checks that a schedule names its expression.
func TestScheduleString(t *testing.T) {
	for _, expr := range []string{"cron(0 2 1 * ? *)", "rate(5 minutes)", "at(2026-12-01T02:00:00)"} {
		s, err := ParseExpression(expr, "")
		if err != nil {
			t.Fatal(err)
		}
		if s.String() != expr {
			t.Errorf("String() = %q; want %q", s.String(), expr)
		}
	}
}
