package assessment

import (
	"sort"

	"productgov/shared/period"
	"productgov/shared/reason"
)

// PhaseChange is one product whose phase changed in a run, and why.
type PhaseChange struct {
	ProductID string       `json:"productId"`
	Month     period.Month `json:"month"`
	From      Phase        `json:"from"`
	To        Phase        `json:"to"`
	OpensExit bool         `json:"opensExit"`
	Rule      string       `json:"rule"`
	Reason    string       `json:"reason"`
	// Reasons are the result's reasons as catalog codes (shared/reason).
	Reasons []reason.Reason `json:"reasons"`
	// Transitions are the track moves behind the change.
	Transitions []Transition `json:"transitions,omitempty"`
}

// ProductNote names a product in a report list, with the result's reason.
type ProductNote struct {
	ProductID string       `json:"productId"`
	Month     period.Month `json:"month"`
	Reason    string       `json:"reason"`
	// Reasons are Reason as catalog codes (shared/reason).
	Reasons []reason.Reason `json:"reasons"`
}

// TrackNote names one product's pending track in a report, with what was missing.
type TrackNote struct {
	ProductID string       `json:"productId"`
	Month     period.Month `json:"month"`
	Track     Track        `json:"track"`
	Missing   []string     `json:"missing"`
	// Months are the months whose figure of the track is missing.
	Months []period.Month `json:"months"`
}

// RunReport sums up a run's results (SPEC 3, 5: the monthly assessment report).
type RunReport struct {
	// Total is the number of results.
	Total int `json:"total"`
	// Counts holds the number of results per outcome; every outcome is present.
	Counts map[Outcome]int `json:"counts"`
	// PhaseChanges lists the products whose phase changed, by product then month.
	PhaseChanges []PhaseChange `json:"phaseChanges"`
	// ExitsOpened lists the products whose phase became exit (an exit submission is due).
	ExitsOpened []ProductNote `json:"exitsOpened"`
	// PendingData lists the products whose every track lacked its figures
	// (result pending_data).
	PendingData []ProductNote `json:"pendingData"`
	// PendingTracks lists every pending track, including a track pending
	// while the other was assessed (SPEC 3: the run report lists them).
	PendingTracks []TrackNote `json:"pendingTracks"`
	// CommercialIneligible lists the products flagged commercial_ineligible (P§18).
	CommercialIneligible []ProductNote `json:"commercialIneligible"`
	// Sizes counts each list in full, also where a list keeps only its head.
	Sizes ListSizes `json:"sizes"`
}

// ListSizes counts each list of a report in full: a report whose lists
// keep only their heads (a run record's) still says how long each is.
type ListSizes struct {
	PhaseChanges         int `json:"phaseChanges"`
	ExitsOpened          int `json:"exitsOpened"`
	PendingData          int `json:"pendingData"`
	PendingTracks        int `json:"pendingTracks"`
	CommercialIneligible int `json:"commercialIneligible"`
}

// Report aggregates results into a run report. It does not depend on the
// order of results: every list is sorted by product id, then month.
func Report(results []Result) RunReport {
	sorted := append([]Result(nil), results...)
	sort.SliceStable(sorted, func(i, j int) bool { return ResultBefore(sorted[i], sorted[j]) })
	b := NewReportBuilder(0)
	for _, res := range sorted {
		b.Add(res)
	}
	return b.Report()
}

// ResultBefore is the order of a report's lists: by product id, then month.
func ResultBefore(a, b Result) bool {
	if a.ProductID != b.ProductID {
		return a.ProductID < b.ProductID
	}
	return a.Month.Before(b.Month)
}

// ReportBuilder builds a run report from results added in report order
// (ResultBefore), one at a time, so a national run's report needs no slice
// of every result: with a limit, each list keeps only its first entries
// while Sizes counts them all.
type ReportBuilder struct {
	limit int
	r     RunReport
}

// NewReportBuilder starts an empty report whose lists keep at most limit
// entries each (0: every entry).
func NewReportBuilder(limit int) *ReportBuilder {
	b := &ReportBuilder{limit: limit, r: RunReport{
		Counts:               make(map[Outcome]int, len(Outcomes)),
		PhaseChanges:         []PhaseChange{},
		ExitsOpened:          []ProductNote{},
		PendingData:          []ProductNote{},
		PendingTracks:        []TrackNote{},
		CommercialIneligible: []ProductNote{},
	}}
	for _, o := range Outcomes {
		b.r.Counts[o] = 0
	}
	return b
}

// keeps says whether a list that holds n entries takes one more.
func (b *ReportBuilder) keeps(n int) bool { return b.limit == 0 || n < b.limit }

// Add counts one result and lists it where the report lists it (SPEC 3:
// phase changes, exits, pending data and tracks, P§18 flags).
func (b *ReportBuilder) Add(res Result) {
	r := &b.r
	r.Total++
	r.Counts[res.Result]++
	note := ProductNote{ProductID: res.ProductID, Month: res.Month, Reason: res.Reason, Reasons: res.Reasons}
	if res.PhaseBefore != res.PhaseAfter {
		if r.Sizes.PhaseChanges++; b.keeps(len(r.PhaseChanges)) {
			r.PhaseChanges = append(r.PhaseChanges, PhaseChange{
				ProductID: res.ProductID, Month: res.Month, From: res.PhaseBefore, To: res.PhaseAfter,
				OpensExit: res.OpensExit, Rule: res.Rule, Reason: res.Reason, Reasons: res.Reasons,
				Transitions: append([]Transition(nil), res.Transitions...),
			})
		}
	}
	if res.OpensExit {
		if r.Sizes.ExitsOpened++; b.keeps(len(r.ExitsOpened)) {
			r.ExitsOpened = append(r.ExitsOpened, note)
		}
	}
	if res.Result == OutcomePendingData {
		if r.Sizes.PendingData++; b.keeps(len(r.PendingData)) {
			r.PendingData = append(r.PendingData, note)
		}
	}
	for _, pt := range res.PendingTracks {
		if r.Sizes.PendingTracks++; b.keeps(len(r.PendingTracks)) {
			r.PendingTracks = append(r.PendingTracks, TrackNote{ProductID: res.ProductID, Month: res.Month,
				Track: pt.Track, Missing: append([]string(nil), pt.Missing...), Months: append([]period.Month(nil), pt.Months...)})
		}
	}
	if res.CommercialIneligible {
		if r.Sizes.CommercialIneligible++; b.keeps(len(r.CommercialIneligible)) {
			r.CommercialIneligible = append(r.CommercialIneligible, ProductNote{
				ProductID: res.ProductID, Month: res.Month, Reason: res.CommercialEligibility.Reason,
				Reasons: []reason.Reason{res.CommercialEligibility.Cause},
			})
		}
	}
}

// Report is the report of the results added so far.
func (b *ReportBuilder) Report() RunReport { return b.r }

// Truncated says some list keeps only its head.
func (r RunReport) Truncated() bool {
	return r.Sizes.PhaseChanges > len(r.PhaseChanges) || r.Sizes.ExitsOpened > len(r.ExitsOpened) ||
		r.Sizes.PendingData > len(r.PendingData) || r.Sizes.PendingTracks > len(r.PendingTracks) ||
		r.Sizes.CommercialIneligible > len(r.CommercialIneligible)
}
