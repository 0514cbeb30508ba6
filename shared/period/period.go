// Package period holds the calendar the policies count in: months, quarters,
// dates and working days, all in Asia/Shanghai (SPEC: time zone for every calendar rule).
package period

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// Shanghai is Asia/Shanghai. China has kept UTC+8 without daylight saving since
// 1991, so a fixed zone is exact and needs no tz database in Lambda.
var Shanghai = time.FixedZone("Asia/Shanghai", 8*3600)

// Month is a calendar month, written YYYY-MM.
type Month struct {
	Year  int
	Month time.Month
}

// ParseMonth reads "YYYY-MM"; month 13 or any other shape is refused.
func ParseMonth(s string) (Month, error) {
	if len(s) != 7 || s[4] != '-' || !digits(s[:4]) || !digits(s[5:]) {
		return Month{}, errors.New("must be a month written YYYY-MM")
	}
	y, m := number(s[:4]), number(s[5:])
	if y < 1900 {
		return Month{}, errors.New("must be a month written YYYY-MM")
	}
	if m < 1 || m > 12 {
		return Month{}, fmt.Errorf("month %02d is not between 01 and 12", m)
	}
	return Month{y, time.Month(m)}, nil
}

// digits reports whether s is only ASCII digits (Sscanf would take signs and
// spaces: "2026-+1", "2026- 1").
func digits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

// number is the value of a string of digits.
func number(s string) int {
	n := 0
	for i := 0; i < len(s); i++ {
		n = n*10 + int(s[i]-'0')
	}
	return n
}

// MustMonth is ParseMonth for constants; it panics on bad input.
func MustMonth(s string) Month {
	m, err := ParseMonth(s)
	if err != nil {
		panic(err)
	}
	return m
}

// MonthOf returns the month containing t in Shanghai.
func MonthOf(t time.Time) Month {
	t = t.In(Shanghai)
	return Month{t.Year(), t.Month()}
}

// String writes YYYY-MM.
func (m Month) String() string { return fmt.Sprintf("%04d-%02d", m.Year, int(m.Month)) }

// IsZero reports whether m is the zero Month.
func (m Month) IsZero() bool { return m.Year == 0 }

// Add returns the month n months later (n may be negative).
func (m Month) Add(n int) Month {
	i := m.index() + n
	return Month{i / 12, time.Month(i%12 + 1)}
}

func (m Month) index() int { return m.Year*12 + int(m.Month) - 1 }

// Sub returns the number of months from o to m.
func (m Month) Sub(o Month) int { return m.index() - o.index() }

// Before reports whether m is earlier than o.
func (m Month) Before(o Month) bool { return m.index() < o.index() }

// After reports whether m is later than o.
func (m Month) After(o Month) bool { return m.index() > o.index() }

// First returns the month's first day.
func (m Month) First() Date { return Date{m.Year, m.Month, 1} }

// Last returns the month's last day.
func (m Month) Last() Date { return m.Add(1).First().AddDays(-1) }

// Quarter returns the quarter the month is in.
func (m Month) Quarter() Quarter { return Quarter{m.Year, (int(m.Month)-1)/3 + 1} }

// MarshalJSON writes "YYYY-MM"; the zero Month (an optional month left out) is null.
func (m Month) MarshalJSON() ([]byte, error) {
	if m.IsZero() {
		return []byte("null"), nil
	}
	return json.Marshal(m.String())
}

// UnmarshalJSON reads "YYYY-MM"; null, and the "0000-00" older records hold
// for a month left out, read as the zero Month.
func (m *Month) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		*m = Month{}
		return nil
	}
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return errors.New("must be a month written YYYY-MM")
	}
	if s == "0000-00" {
		*m = Month{}
		return nil
	}
	v, err := ParseMonth(s)
	if err != nil {
		return err
	}
	*m = v
	return nil
}

// Quarter is a calendar quarter, written YYYY-Qn.
type Quarter struct {
	Year int
	Q    int
}

// ParseQuarter reads "YYYY-Qn" with n from 1 to 4.
func ParseQuarter(s string) (Quarter, error) {
	if len(s) != 7 || s[4:6] != "-Q" || !digits(s[:4]) || !digits(s[6:]) {
		return Quarter{}, errors.New("must be a quarter written YYYY-Qn")
	}
	y, q := number(s[:4]), number(s[6:])
	if y < 1900 {
		return Quarter{}, errors.New("must be a quarter written YYYY-Qn")
	}
	if q < 1 || q > 4 {
		return Quarter{}, fmt.Errorf("quarter Q%d is not between Q1 and Q4", q)
	}
	return Quarter{y, q}, nil
}

// MustQuarter is ParseQuarter for constants; it panics on bad input.
func MustQuarter(s string) Quarter {
	q, err := ParseQuarter(s)
	if err != nil {
		panic(err)
	}
	return q
}

// String writes YYYY-Qn.
func (q Quarter) String() string { return fmt.Sprintf("%04d-Q%d", q.Year, q.Q) }

// Months returns the quarter's three months in order.
func (q Quarter) Months() [3]Month {
	f := Month{q.Year, time.Month((q.Q-1)*3 + 1)}
	return [3]Month{f, f.Add(1), f.Add(2)}
}

// Add returns the quarter n quarters later.
func (q Quarter) Add(n int) Quarter {
	i := q.Year*4 + q.Q - 1 + n
	return Quarter{i / 4, i%4 + 1}
}

// IsZero reports whether q is the zero Quarter.
func (q Quarter) IsZero() bool { return q.Year == 0 }

// MarshalJSON writes "YYYY-Qn"; the zero Quarter is null.
func (q Quarter) MarshalJSON() ([]byte, error) {
	if q.IsZero() {
		return []byte("null"), nil
	}
	return json.Marshal(q.String())
}

// UnmarshalJSON reads "YYYY-Qn"; null and "0000-Q0" read as the zero Quarter.
func (q *Quarter) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		*q = Quarter{}
		return nil
	}
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return errors.New("must be a quarter written YYYY-Qn")
	}
	if s == "0000-Q0" {
		*q = Quarter{}
		return nil
	}
	v, err := ParseQuarter(s)
	if err != nil {
		return err
	}
	*q = v
	return nil
}

// Date is a calendar day in Shanghai, written YYYY-MM-DD.
type Date struct {
	Year  int
	Month time.Month
	Day   int
}

// ParseDate reads "YYYY-MM-DD" and refuses impossible days.
func ParseDate(s string) (Date, error) {
	t, err := time.ParseInLocation("2006-01-02", s, Shanghai)
	if err != nil {
		return Date{}, errors.New("must be a date written YYYY-MM-DD")
	}
	return DateOf(t), nil
}

// MustDate is ParseDate for constants; it panics on bad input.
func MustDate(s string) Date {
	d, err := ParseDate(s)
	if err != nil {
		panic(err)
	}
	return d
}

// DateOf returns the Shanghai calendar day of t.
func DateOf(t time.Time) Date {
	t = t.In(Shanghai)
	return Date{t.Year(), t.Month(), t.Day()}
}

// Time returns midnight at the start of the day in Shanghai.
func (d Date) Time() time.Time { return time.Date(d.Year, d.Month, d.Day, 0, 0, 0, 0, Shanghai) }

// String writes YYYY-MM-DD.
func (d Date) String() string { return fmt.Sprintf("%04d-%02d-%02d", d.Year, int(d.Month), d.Day) }

// IsZero reports whether d is the zero Date.
func (d Date) IsZero() bool { return d.Year == 0 }

// AddDays returns the day n days later.
func (d Date) AddDays(n int) Date { return DateOf(d.Time().AddDate(0, 0, n)) }

// AddMonths returns the same day n months later, clamped to the month's end.
func (d Date) AddMonths(n int) Date {
	m := Month{d.Year, d.Month}.Add(n)
	last := m.Last().Day
	day := d.Day
	if day > last {
		day = last
	}
	return Date{m.Year, m.Month, day}
}

// MonthOf returns the month the day is in.
func (d Date) MonthOf() Month { return Month{d.Year, d.Month} }

// Before reports whether d is earlier than o.
func (d Date) Before(o Date) bool { return d.Time().Before(o.Time()) }

// After reports whether d is later than o.
func (d Date) After(o Date) bool { return d.Time().After(o.Time()) }

// Weekday returns the day of the week.
func (d Date) Weekday() time.Weekday { return d.Time().Weekday() }

// MarshalJSON writes "YYYY-MM-DD"; the zero Date (an optional date left out,
// such as a staff change's noticeOn when no notice was given) is null, so it
// reads back as the zero Date.
func (d Date) MarshalJSON() ([]byte, error) {
	if d.IsZero() {
		return []byte("null"), nil
	}
	return json.Marshal(d.String())
}

// UnmarshalJSON reads "YYYY-MM-DD"; null, and the "0000-00-00" older records
// hold for a date left out, read as the zero Date.
func (d *Date) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		*d = Date{}
		return nil
	}
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return errors.New("must be a date written YYYY-MM-DD")
	}
	if s == "0000-00-00" {
		*d = Date{}
		return nil
	}
	v, err := ParseDate(s)
	if err != nil {
		return err
	}
	*d = v
	return nil
}

// Calendar tells working days: Monday to Friday, less the listed holidays, plus
// the listed make-up working weekend days (调休). The lists come from the policy.
type Calendar struct {
	Holidays    map[Date]bool
	WorkingDays map[Date]bool
}

// IsWorkingDay reports whether d is a working day.
func (c Calendar) IsWorkingDay(d Date) bool {
	if c.WorkingDays[d] {
		return true
	}
	if c.Holidays[d] {
		return false
	}
	wd := d.Weekday()
	return wd != time.Saturday && wd != time.Sunday
}

// AddWorkingDays returns the n-th working day after d (d itself not counted).
func (c Calendar) AddWorkingDays(d Date, n int) Date {
	for n > 0 {
		d = d.AddDays(1)
		if c.IsWorkingDay(d) {
			n--
		}
	}
	return d
}

// AddWorkingTime returns the instant n working days after t, at the same time of day;
// a reminder after "2 working days" fires then.
func (c Calendar) AddWorkingTime(t time.Time, n int) time.Time {
	t = t.In(Shanghai)
	d := c.AddWorkingDays(DateOf(t), n)
	return time.Date(d.Year, d.Month, d.Day, t.Hour(), t.Minute(), t.Second(), t.Nanosecond(), Shanghai)
}
