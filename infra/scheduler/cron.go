package scheduler

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// The year range EventBridge accepts in a cron expression.
const (
	firstCronYear = 1970
	lastCronYear  = 2199
)

// cronSchedule is a parsed cron(...) expression.
type cronSchedule struct {
	expr     string
	location *time.Location
	minutes  valueSet
	hours    valueSet
	months   valueSet
	// years holds year-firstCronYear, so that they fit a valueSet.
	years valueSet
	days  dayRule
}

// Next walks the calendar in the schedule's time zone from the day of after,
// skipping whole years and months that cannot match.
func (s *cronSchedule) Next(after time.Time) (time.Time, bool) {
	local := after.In(s.location)
	fromYear, fromMonth, fromDay := local.Date()
	if fromYear < firstCronYear {
		fromYear, fromMonth, fromDay = firstCronYear, time.January, 1
	}
	for year := fromYear; year <= lastCronYear; year++ {
		if !s.years.has(year - firstCronYear) {
			continue
		}
		month := time.January
		if year == fromYear {
			month = fromMonth
		}
		for ; month <= time.December; month++ {
			if !s.months.has(int(month)) {
				continue
			}
			day := 1
			if year == fromYear && month == fromMonth {
				day = fromDay
			}
			for last := daysIn(year, month); day <= last; day++ {
				if !s.days.matches(year, month, day) {
					continue
				}
				if t, ok := s.firstTimeOfDay(year, month, day, after); ok {
					return t, true
				}
			}
		}
	}
	return time.Time{}, false
}

// firstTimeOfDay returns the day's first matching time after after, leaving
// out wall-clock times the time zone skips.
func (s *cronSchedule) firstTimeOfDay(year int, month time.Month, day int, after time.Time) (time.Time, bool) {
	for hour := 0; hour < 24; hour++ {
		if !s.hours.has(hour) {
			continue
		}
		for minute := 0; minute < 60; minute++ {
			if !s.minutes.has(minute) {
				continue
			}
			t := time.Date(year, month, day, hour, minute, 0, 0, s.location)
			if t.Day() != day || t.Hour() != hour || t.Minute() != minute {
				continue // does not exist: daylight saving time skipped it
			}
			if t.After(after) {
				return t, true
			}
		}
	}
	return time.Time{}, false
}

func (s *cronSchedule) String() string { return s.expr }

// daysIn returns the number of days in the month.
func daysIn(year int, month time.Month) int {
	return time.Date(year, month+1, 0, 0, 0, 0, 0, time.UTC).Day()
}

// valueSet is a set of small non-negative integers (below 256).
type valueSet [4]uint64

func (v *valueSet) add(n int)     { v[n/64] |= 1 << (n % 64) }
func (v valueSet) has(n int) bool { return n >= 0 && n < 256 && v[n/64]&(1<<(n%64)) != 0 }

// dayKind says which rule picks the days of a month.
type dayKind int

const (
	// daysOfMonth: the days in set (day-of-month given, day-of-week "?").
	daysOfMonth dayKind = iota
	// lastDayOfMonth: "L" in day-of-month.
	lastDayOfMonth
	// lastWeekdayOfMonth: "LW" in day-of-month.
	lastWeekdayOfMonth
	// nearestWeekday: "nW", the Monday–Friday nearest day n, within the month.
	nearestWeekday
	// daysOfWeek: the weekdays in set, 1–7 from Sunday (day-of-month "?").
	daysOfWeek
	// lastOfWeekday: "nL", the last weekday n of the month.
	lastOfWeekday
	// nthOfWeekday: "n#k", the k-th weekday n of the month.
	nthOfWeekday
)

// dayRule picks the days of a month a cron schedule fires on.
type dayRule struct {
	kind dayKind
	set  valueSet
	// day is n of nW; weekday is n of nL and n#k (1–7 from Sunday); nth is k.
	day     int
	weekday int
	nth     int
}

// matches reports whether the rule picks the given day.
func (r dayRule) matches(year int, month time.Month, day int) bool {
	last := daysIn(year, month)
	switch r.kind {
	case daysOfMonth:
		return r.set.has(day)
	case lastDayOfMonth:
		return day == last
	case lastWeekdayOfMonth:
		return day == weekdayNear(year, month, last)
	case nearestWeekday:
		return r.day <= last && day == weekdayNear(year, month, r.day)
	case daysOfWeek:
		return r.set.has(awsWeekday(year, month, day))
	case lastOfWeekday:
		return awsWeekday(year, month, day) == r.weekday && day+7 > last
	case nthOfWeekday:
		return awsWeekday(year, month, day) == r.weekday && (day-1)/7+1 == r.nth
	}
	return false
}

// awsWeekday returns the day of the week as AWS cron counts it: 1 is Sunday.
func awsWeekday(year int, month time.Month, day int) int {
	return int(time.Date(year, month, day, 0, 0, 0, 0, time.UTC).Weekday()) + 1
}

// weekdayNear returns the Monday–Friday nearest the given day without leaving
// the month: a Saturday moves to Friday (to Monday if that is the 1st) and a
// Sunday to Monday (to Friday if it is the last day).
func weekdayNear(year int, month time.Month, day int) int {
	switch time.Date(year, month, day, 0, 0, 0, 0, time.UTC).Weekday() {
	case time.Saturday:
		if day == 1 {
			return day + 2
		}
		return day - 1
	case time.Sunday:
		if day == daysIn(year, month) {
			return day - 2
		}
		return day + 1
	}
	return day
}

// cronField describes one field of a cron expression.
type cronField struct {
	name     string
	min, max int
	names    []string // names[i] stands for min+i, when the field has names
	step     bool     // whether "/" is allowed
	// stored is subtracted from values before they go into a valueSet.
	stored int
}

var (
	minutesField = cronField{name: "minutes", min: 0, max: 59, step: true}
	hoursField   = cronField{name: "hours", min: 0, max: 23, step: true}
	dayField     = cronField{name: "day-of-month", min: 1, max: 31, step: true}
	monthField   = cronField{name: "month", min: 1, max: 12, step: true,
		names: []string{"JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"}}
	weekdayField = cronField{name: "day-of-week", min: 1, max: 7,
		names: []string{"SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"}}
	yearField = cronField{name: "year", min: firstCronYear, max: lastCronYear, step: true, stored: firstCronYear}
)

// parseCron parses the six fields of cron(...).
func parseCron(expr, body string, loc *time.Location) (Schedule, error) {
	fields := strings.Fields(strings.ToUpper(body))
	if len(fields) != 6 {
		hint := ""
		if len(fields) == 5 {
			hint = " (Unix cron has 5; AWS adds the year: cron(0 2 1 * ? *))"
		}
		return nil, fmt.Errorf("has %d fields; want 6: minutes hours day-of-month month day-of-week year%s", len(fields), hint)
	}
	s := &cronSchedule{expr: expr, location: loc}
	var err error
	if s.minutes, err = minutesField.parseList(fields[0]); err != nil {
		return nil, err
	}
	if s.hours, err = hoursField.parseList(fields[1]); err != nil {
		return nil, err
	}
	if s.months, err = monthField.parseList(fields[3]); err != nil {
		return nil, err
	}
	if s.years, err = yearField.parseList(fields[5]); err != nil {
		return nil, err
	}
	dayOfMonth, dayOfWeek := fields[2], fields[4]
	switch {
	case dayOfMonth == "?" && dayOfWeek == "?":
		return nil, errors.New(`day-of-month and day-of-week are both "?"; exactly one must be`)
	case dayOfMonth != "?" && dayOfWeek != "?":
		return nil, fmt.Errorf(`day-of-month (%s) and day-of-week (%s) are both set; exactly one must be "?"`, dayOfMonth, dayOfWeek)
	case dayOfWeek == "?":
		s.days, err = parseDayOfMonth(dayOfMonth)
	default:
		s.days, err = parseDayOfWeek(dayOfWeek)
	}
	if err != nil {
		return nil, err
	}
	return s, nil
}

// parseDayOfMonth parses a day-of-month field other than "?".
func parseDayOfMonth(text string) (dayRule, error) {
	switch {
	case text == "L":
		return dayRule{kind: lastDayOfMonth}, nil
	case text == "LW":
		return dayRule{kind: lastWeekdayOfMonth}, nil
	case strings.HasSuffix(text, "W") && !strings.ContainsAny(text, ",-*/L"):
		day := strings.TrimSuffix(text, "W")
		if day == "" {
			return dayRule{}, errors.New(`day-of-month: "W" must follow a day, as in 15W`)
		}
		n, err := dayField.parseValue(day)
		if err != nil {
			return dayRule{}, err
		}
		return dayRule{kind: nearestWeekday, day: n}, nil
	case strings.ContainsAny(text, "LW"):
		return dayRule{}, fmt.Errorf(`day-of-month: %q: L, LW and nW (e.g. 15W) must stand alone`, text)
	}
	set, err := dayField.parseList(text)
	if err != nil {
		return dayRule{}, err
	}
	return dayRule{kind: daysOfMonth, set: set}, nil
}

// parseDayOfWeek parses a day-of-week field other than "?".
func parseDayOfWeek(text string) (dayRule, error) {
	switch {
	case text == "L":
		var set valueSet
		set.add(7) // the last day of the week: Saturday
		return dayRule{kind: daysOfWeek, set: set}, nil
	case strings.Contains(text, "#"):
		weekday, nth, _ := strings.Cut(text, "#")
		if strings.ContainsAny(text, ",-*/L") || strings.Count(text, "#") > 1 {
			return dayRule{}, fmt.Errorf(`day-of-week: %q: "#" allows exactly one expression, like 6#3 (the third Friday)`, text)
		}
		wd, err := weekdayField.parseValue(weekday)
		if err != nil {
			return dayRule{}, err
		}
		k, err := strconv.Atoi(nth)
		if err != nil || !isDigits(nth) || k < 1 || k > 5 {
			return dayRule{}, fmt.Errorf("day-of-week: %q: the week number after # must be 1-5", text)
		}
		return dayRule{kind: nthOfWeekday, weekday: wd, nth: k}, nil
	case strings.HasSuffix(text, "L") && !strings.ContainsAny(text, ",-*/"):
		wd, err := weekdayField.parseValue(strings.TrimSuffix(text, "L"))
		if err != nil {
			return dayRule{}, err
		}
		return dayRule{kind: lastOfWeekday, weekday: wd}, nil
	case strings.Contains(text, "L"):
		return dayRule{}, fmt.Errorf(`day-of-week: %q: L and nL (e.g. 6L, the last Friday) must stand alone`, text)
	}
	set, err := weekdayField.parseList(text)
	if err != nil {
		return dayRule{}, err
	}
	return dayRule{kind: daysOfWeek, set: set}, nil
}

// parseList parses a field of values, "*", lists, ranges and increments.
func (f cronField) parseList(text string) (valueSet, error) {
	var set valueSet
	if text == "?" {
		return set, fmt.Errorf(`%s: "?" is only allowed in day-of-month or day-of-week`, f.name)
	}
	for item := range strings.SplitSeq(text, ",") {
		if err := f.addItem(&set, item); err != nil {
			return set, err
		}
	}
	return set, nil
}

// addItem adds one list item: v, a-b, *, or any of them followed by /step.
// "v/step" runs from v to the field's maximum, as in AWS's "0/15".
func (f cronField) addItem(set *valueSet, item string) error {
	base, stepText, stepped := strings.Cut(item, "/")
	step := 1
	if stepped {
		if !f.step {
			return fmt.Errorf(`%s: %q: "/" is not allowed in this field`, f.name, item)
		}
		n, err := strconv.Atoi(stepText)
		if err != nil || !isDigits(stepText) || n < 1 || n > f.max-f.min+1 {
			return fmt.Errorf("%s: %q: the increment after / must be a whole number from 1 to %d", f.name, item, f.max-f.min+1)
		}
		step = n
	}
	var from, to int
	switch {
	case item == "":
		return fmt.Errorf("%s: empty value in %q", f.name, item)
	case base == "*":
		from, to = f.min, f.max
	case strings.Contains(base, "-"):
		lo, hi, _ := strings.Cut(base, "-")
		if lo == "" || hi == "" {
			return fmt.Errorf("%s: range %q is incomplete", f.name, base)
		}
		var err error
		if from, err = f.parseValue(lo); err != nil {
			return err
		}
		if to, err = f.parseValue(hi); err != nil {
			return err
		}
		if from > to {
			return fmt.Errorf("%s: range %q runs backwards (ranges do not wrap around)", f.name, base)
		}
	default:
		n, err := f.parseValue(base)
		if err != nil {
			return err
		}
		from, to = n, n
		if stepped {
			to = f.max
		}
	}
	for v := from; v <= to; v += step {
		set.add(v - f.stored)
	}
	return nil
}

// parseValue parses one number or name of the field.
func (f cronField) parseValue(text string) (int, error) {
	if text == "" {
		return 0, fmt.Errorf("%s: missing value", f.name)
	}
	if text == "?" {
		return 0, fmt.Errorf(`%s: "?" must stand alone`, f.name)
	}
	if isDigits(text) {
		n, err := strconv.Atoi(text)
		if err != nil {
			n = f.max + 1 // too long to be a number: out of range either way
		}
		if n < f.min || n > f.max {
			hint := ""
			if f.name == weekdayField.name && n == 0 {
				hint = " (AWS counts SUN as 1; Unix cron's Sunday 0 does not exist here)"
			}
			return 0, fmt.Errorf("%s: %d is out of range %d-%d%s", f.name, n, f.min, f.max, hint)
		}
		return n, nil
	}
	for i, name := range f.names {
		if text == name {
			return f.min + i, nil
		}
	}
	if len(f.names) > 0 {
		return 0, fmt.Errorf("%s: unknown value %q (want %d-%d or %s-%s)", f.name, text, f.min, f.max, f.names[0], f.names[len(f.names)-1])
	}
	return 0, fmt.Errorf("%s: unknown value %q (want %d-%d)", f.name, text, f.min, f.max)
}

// isDigits reports whether text is a non-empty run of ASCII digits.
func isDigits(text string) bool {
	for _, r := range text {
		if r < '0' || r > '9' {
			return false
		}
	}
	return text != ""
}
