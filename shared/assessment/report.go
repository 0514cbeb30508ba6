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
}

// Report aggregates results into a run report. It does not depend on the
// order of results: every list is sorted by product id, then month.
func Report(results []Result) RunReport {
	r := RunReport{
		Total:                len(results),
		Counts:               make(map[Outcome]int, len(Outcomes)),
		PhaseChanges:         []PhaseChange{},
		ExitsOpened:          []ProductNote{},
		PendingData:          []ProductNote{},
		PendingTracks:        []TrackNote{},
		CommercialIneligible: []ProductNote{},
	}
	for _, o := range Outcomes {
		r.Counts[o] = 0
	}
	sorted := append([]Result(nil), results...)
	sort.SliceStable(sorted, func(i, j int) bool {
		if sorted[i].ProductID != sorted[j].ProductID {
			return sorted[i].ProductID < sorted[j].ProductID
		}
		return sorted[i].Month.Before(sorted[j].Month)
	})
	for _, res := range sorted {
		r.Counts[res.Result]++
		note := ProductNote{ProductID: res.ProductID, Month: res.Month, Reason: res.Reason, Reasons: res.Reasons}
		if res.PhaseBefore != res.PhaseAfter {
			r.PhaseChanges = append(r.PhaseChanges, PhaseChange{
				ProductID: res.ProductID, Month: res.Month, From: res.PhaseBefore, To: res.PhaseAfter,
				OpensExit: res.OpensExit, Rule: res.Rule, Reason: res.Reason, Reasons: res.Reasons,
				Transitions: append([]Transition(nil), res.Transitions...),
			})
		}
		if res.OpensExit {
			r.ExitsOpened = append(r.ExitsOpened, note)
		}
		if res.Result == OutcomePendingData {
			r.PendingData = append(r.PendingData, note)
		}
		for _, pt := range res.PendingTracks {
			r.PendingTracks = append(r.PendingTracks, TrackNote{ProductID: res.ProductID, Month: res.Month,
				Track: pt.Track, Missing: append([]string(nil), pt.Missing...), Months: append([]period.Month(nil), pt.Months...)})
		}
		if res.CommercialIneligible {
			r.CommercialIneligible = append(r.CommercialIneligible, ProductNote{
				ProductID: res.ProductID, Month: res.Month, Reason: res.CommercialEligibility.Reason,
				Reasons: []reason.Reason{res.CommercialEligibility.Cause},
			})
		}
	}
	return r
}
