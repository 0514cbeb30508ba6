package scheduler

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	// The time zone database is embedded so that schedules resolve the same
	// way on machines (and containers) without one.
	_ "time/tzdata"
)

// DefaultTimezone is the time zone ParseExpression uses when it is given
// none: the one the design fixes for every schedule of the system.
const DefaultTimezone = "Asia/Shanghai"

// Schedule is a parsed schedule expression: it knows when its target fires.
type Schedule interface {
	// Next returns the first fire time strictly after after, and false when
	// the schedule never fires again (a one-time schedule that has passed, or
	// a cron schedule whose years have run out).
	Next(after time.Time) (time.Time, bool)
	// String returns the expression the schedule was parsed from.
	String() string
}

// ParseExpression parses an EventBridge Scheduler schedule expression,
// evaluated in the IANA time zone tz (DefaultTimezone when tz is empty):
//
//   - cron(minutes hours day-of-month month day-of-week year), in AWS's form
//     (see the cron rules below);
//   - rate(n unit), with unit minute, hour or day, singular when n is 1 and
//     plural otherwise. A day is 24 hours, as on AWS. The schedule has no
//     phase of its own: Next(after) is after plus the interval. The Runner
//     first asks with the time it started, so a rate schedule fires one
//     interval after the scheduler's start and every interval from then on.
//     AWS, by contrast, fires a rate schedule without a StartDate as soon as
//     it is created.
//   - at(yyyy-mm-ddThh:mm:ss), one time, read as wall-clock time in tz.
//
// Cron rules, as EventBridge applies them and unlike Unix cron: there are six
// fields, the last being the year (1970–2199); exactly one of day-of-month
// and day-of-week is "?"; day-of-week counts 1–7 from SUN (Unix cron's
// Sunday is 0, and its 7 is Sunday again where AWS's 7 is Saturday). Fields
// take single values, "*", lists (","), ranges ("-") and increments ("/",
// not in day-of-week); months take JAN–DEC and days of the week SUN–SAT, in
// any letter case. Day-of-month also takes "L" (the last day of the month),
// "LW" (the last weekday of the month) and "nW" (the weekday nearest day n,
// staying within the month); day-of-week takes "L" (Saturday), "nL" (the last
// day n of the month, e.g. 6L, the last Friday) and "n#k" (the k-th day n of
// the month, e.g. 2#1, the first Monday). L, W and # stand alone in their
// field, never in a list. Ranges do not wrap around (FRI-MON is an error).
//
// Times that do not exist in tz (the hour skipped when daylight saving time
// starts) are skipped, and times that occur twice (when it ends) fire once,
// as on EventBridge Scheduler.
func ParseExpression(expr string, tz string) (Schedule, error) {
	s, err := parseExpression(expr, tz)
	if err != nil {
		return nil, fmt.Errorf("scheduler: %w", err)
	}
	return s, nil
}

// parseExpression is ParseExpression without the package prefix on errors,
// so callers can put their own context in front.
func parseExpression(expr string, tz string) (Schedule, error) {
	loc, err := loadTimezone(tz)
	if err != nil {
		return nil, err
	}
	expr = strings.TrimSpace(expr)
	kind, body, ok := splitExpression(expr)
	if !ok {
		return nil, fmt.Errorf("%q is not a schedule expression: want cron(...), rate(...) or at(...)", expr)
	}
	var s Schedule
	switch kind {
	case "cron":
		s, err = parseCron(expr, body, loc)
	case "rate":
		s, err = parseRate(expr, body)
	case "at":
		s, err = parseAt(expr, body, loc)
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", expr, err)
	}
	return s, nil
}

// splitExpression splits "kind(body)" for the three kinds AWS knows.
func splitExpression(expr string) (kind, body string, ok bool) {
	open := strings.IndexByte(expr, '(')
	if open < 0 || !strings.HasSuffix(expr, ")") {
		return "", "", false
	}
	kind = expr[:open]
	switch kind {
	case "cron", "rate", "at":
		return kind, strings.TrimSpace(expr[open+1 : len(expr)-1]), true
	}
	return "", "", false
}

// loadTimezone loads an IANA time zone, DefaultTimezone for "".
func loadTimezone(tz string) (*time.Location, error) {
	if tz == "" {
		tz = DefaultTimezone
	}
	if tz == "Local" {
		return nil, errors.New(`time zone "Local" is not an IANA time zone name`)
	}
	loc, err := time.LoadLocation(tz)
	if err != nil {
		return nil, fmt.Errorf("time zone %q: %w", tz, err)
	}
	return loc, nil
}

// rateSchedule fires every interval, counted from the time it is asked about.
type rateSchedule struct {
	expr     string
	interval time.Duration
}

// Next returns after plus the interval: a rate schedule always fires again.
func (s rateSchedule) Next(after time.Time) (time.Time, bool) {
	return after.Add(s.interval), true
}

func (s rateSchedule) String() string { return s.expr }

// rateUnits maps each unit AWS accepts to its length and whether it is the
// singular form.
var rateUnits = map[string]struct {
	length   time.Duration
	singular bool
}{
	"minute":  {time.Minute, true},
	"minutes": {time.Minute, false},
	"hour":    {time.Hour, true},
	"hours":   {time.Hour, false},
	"day":     {24 * time.Hour, true},
	"days":    {24 * time.Hour, false},
}

// parseRate parses the body of rate(n unit).
func parseRate(expr, body string) (Schedule, error) {
	parts := strings.Fields(body)
	if len(parts) != 2 {
		return nil, errors.New("want rate(value unit), e.g. rate(5 minutes)")
	}
	n, err := strconv.Atoi(parts[0])
	if err != nil || n < 1 {
		return nil, fmt.Errorf("value %q is not a positive whole number", parts[0])
	}
	unit, ok := rateUnits[parts[1]]
	if !ok {
		return nil, fmt.Errorf("unit %q is not one of minute(s), hour(s), day(s)", parts[1])
	}
	if n == 1 && !unit.singular {
		return nil, fmt.Errorf("unit %q must be singular for a value of 1", parts[1])
	}
	if n > 1 && unit.singular {
		return nil, fmt.Errorf("unit %q must be plural for a value above 1", parts[1])
	}
	if int64(n) > int64(1<<62)/int64(unit.length) {
		return nil, fmt.Errorf("value %d is too large", n)
	}
	return rateSchedule{expr: expr, interval: time.Duration(n) * unit.length}, nil
}

// atSchedule fires once.
type atSchedule struct {
	expr string
	at   time.Time
}

// Next returns the one fire time while it is still ahead of after.
func (s atSchedule) Next(after time.Time) (time.Time, bool) {
	if s.at.After(after) {
		return s.at, true
	}
	return time.Time{}, false
}

func (s atSchedule) String() string { return s.expr }

// parseAt parses the body of at(yyyy-mm-ddThh:mm:ss) as wall-clock time in loc.
func parseAt(expr, body string, loc *time.Location) (Schedule, error) {
	at, err := time.ParseInLocation("2006-01-02T15:04:05", body, loc)
	if err != nil {
		return nil, fmt.Errorf("want at(yyyy-mm-ddThh:mm:ss): %w", err)
	}
	return atSchedule{expr: expr, at: at}, nil
}
