// Package policy is the versioned, effective-dated policy document (SPEC 7):
// every threshold, period, routing row, form and rate the rules use. Rules take
// a Document (or their part of it) as input; none holds a figure of its own.
package policy

import (
	"encoding/json"
	"fmt"
	"sort"

	"productgov/shared/assessment"
	"productgov/shared/decision"
	"productgov/shared/partner"
	"productgov/shared/period"
	"productgov/shared/problem"
	"productgov/shared/settlement"
)

// Document is one version of the whole policy.
type Document struct {
	// Version names the document; every result record cites it.
	Version string `json:"version"`
	// EffectiveFrom is the first day the version is in force; a past month is
	// recomputed with the version in force then.
	EffectiveFrom period.Date `json:"effectiveFrom"`
	// Sources names the policy texts the figures come from.
	Sources    []string         `json:"sources"`
	Calendar   CalendarRules    `json:"calendar"`
	Decision   decision.Rules   `json:"decision"`
	Assessment assessment.Rules `json:"assessment"`
	Partner    partner.Rules    `json:"partner"`
	Settlement settlement.Rules `json:"settlement"`
}

// CalendarRules lists the public holidays and make-up working days (调休) that
// working-day counts (P§11 plan due date, SPEC 2.4 reminders) respect.
type CalendarRules struct {
	Holidays       []period.Date `json:"holidays"`
	MakeUpWorkdays []period.Date `json:"makeUpWorkdays"`
}

// Calendar returns the working-day calendar.
func (c CalendarRules) Calendar() period.Calendar {
	cal := period.Calendar{Holidays: map[period.Date]bool{}, WorkingDays: map[period.Date]bool{}}
	for _, d := range c.Holidays {
		cal.Holidays[d] = true
	}
	for _, d := range c.MakeUpWorkdays {
		cal.WorkingDays[d] = true
	}
	return cal
}

// DefaultVersion is the version of Default. v2 carries the SPEC corrections
// of December 2026 (exit routing rows, minutes countersign, deposit window,
// review composition): a document that changes gets a new version, so a
// record's version always names the rules that decided it. A table that
// holds v1 keeps it until a basic_rules decision stores v2.
const DefaultVersion = "2023.09-v2"

// Default returns the policy as SPEC states its defaults: product policy V2.0
// (2023-09) and the partner rules, in force from 2023-09-01.
func Default() Document {
	return Document{
		Version:       DefaultVersion,
		EffectiveFrom: period.MustDate("2023-09-01"),
		Sources: []string{
			"政企产品管理办法 V2.0 (2023.9), cited P§n",
			"创新型产品运营支撑长期合作实施办法, cited S§n",
		},
		Calendar:   DefaultCalendar(),
		Decision:   decision.DefaultRules(),
		Assessment: assessment.DefaultRules(),
		Partner:    partner.DefaultRules(),
		Settlement: settlement.DefaultRules(),
	}
}

// DefaultCalendar holds the State Council's 2026 public holidays and make-up
// working days; later years are added as they are announced, by a new version.
func DefaultCalendar() CalendarRules {
	var c CalendarRules
	add := func(list *[]period.Date, from, to string) {
		for d := period.MustDate(from); !d.After(period.MustDate(to)); d = d.AddDays(1) {
			*list = append(*list, d)
		}
	}
	add(&c.Holidays, "2026-01-01", "2026-01-03") // 元旦
	add(&c.Holidays, "2026-02-15", "2026-02-23") // 春节
	add(&c.Holidays, "2026-04-04", "2026-04-06") // 清明
	add(&c.Holidays, "2026-05-01", "2026-05-05") // 劳动节
	add(&c.Holidays, "2026-06-19", "2026-06-21") // 端午
	add(&c.Holidays, "2026-09-25", "2026-09-27") // 中秋
	add(&c.Holidays, "2026-10-01", "2026-10-07") // 国庆
	for _, d := range []string{"2026-01-04", "2026-02-14", "2026-02-28", "2026-05-09", "2026-09-20", "2026-10-10"} {
		c.MakeUpWorkdays = append(c.MakeUpWorkdays, period.MustDate(d))
	}
	return c
}

// Validate checks that a document is usable before it is stored.
func (d Document) Validate() error {
	f := problem.Fields{}
	if d.Version == "" {
		f.Add("version", "is required")
	}
	if d.EffectiveFrom.IsZero() {
		f.Add("effectiveFrom", "is required")
	}
	for part, perr := range map[string]error{
		"decision": d.Decision.Validate(), "assessment": d.Assessment.Validate(),
		"partner": d.Partner.Validate(), "settlement": d.Settlement.Validate(),
	} {
		if perr != nil {
			f.Add(part, perr.Error())
		}
	}
	return f.Err("invalid policy document")
}

// History is every stored version, ordered by effective date.
type History []Document

// InForce returns the version in force on a day: the latest whose effective
// date is on or before it.
func (h History) InForce(day period.Date) (Document, error) {
	sorted := append(History(nil), h...)
	sort.SliceStable(sorted, func(i, j int) bool { return sorted[i].EffectiveFrom.Before(sorted[j].EffectiveFrom) })
	var found *Document
	for i := range sorted {
		if !sorted[i].EffectiveFrom.After(day) {
			found = &sorted[i]
		}
	}
	if found == nil {
		return Document{}, fmt.Errorf("policy: no version in force on %s", day)
	}
	return *found, nil
}

// ByVersion returns the named version.
func (h History) ByVersion(v string) (Document, bool) {
	for _, d := range h {
		if d.Version == v {
			return d, true
		}
	}
	return Document{}, false
}

// Decode reads a stored document.
func Decode(b []byte) (Document, error) {
	var d Document
	if err := json.Unmarshal(b, &d); err != nil {
		return Document{}, fmt.Errorf("policy: decode: %w", err)
	}
	return d, nil
}
