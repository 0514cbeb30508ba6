package assessment

import (
	"testing"
)

func TestReport(t *testing.T) {
	rules := DefaultRules()
	var results []Result
	add := func(id string, edit func(*Input)) {
		in := cooperativeInput()
		in.Product.ID = id
		edit(&in)
		results = append(results, mustAssess(t, in, rules))
	}
	add("P-09", func(in *Input) { in.RevenueTrack = PhaseWarning; in.Revenue[2].Amount = 0 }) // exit
	add("P-03", func(in *Input) { in.Product.Level = LevelHQ })                               // skipped
	add("P-02", func(in *Input) { in.QualityScore, in.Revenue = nil, nil })                   // pending
	add("P-06", func(in *Input) { in.QualityScore = nil })                                    // quality pending, revenue pass
	add("P-05", func(in *Input) { in.QualityScore = scorePtr("12") })                         // warning
	add("P-01", func(in *Input) {})                                                           // pass, no change
	add("P-04", func(in *Input) { in.Product.NoticeDate = datePtr("2026-06-20") })            // exempt

	r := Report(results)
	wantCounts := map[Outcome]int{OutcomePass: 2, OutcomeFail: 2, OutcomeExempt: 1, OutcomePendingData: 1, OutcomeSkipped: 1}
	for o, n := range wantCounts {
		if r.Counts[o] != n {
			t.Errorf("count %s = %d, want %d", o, r.Counts[o], n)
		}
	}
	if r.Total != 7 || len(r.Counts) != len(Outcomes) {
		t.Errorf("total %d counts %v", r.Total, r.Counts)
	}
	if len(r.PhaseChanges) != 2 || r.PhaseChanges[0].ProductID != "P-05" || r.PhaseChanges[1].ProductID != "P-09" {
		t.Fatalf("phase changes %+v", r.PhaseChanges)
	}
	if c := r.PhaseChanges[1]; c.From != PhaseWarning || c.To != PhaseExit || !c.OpensExit || c.Rule != "P§19(一)" || c.Reason == "" || len(c.Transitions) != 1 {
		t.Errorf("exit change %+v", c)
	}
	if c := r.PhaseChanges[0]; c.From != PhaseAssessment || c.To != PhaseWarning || c.OpensExit || c.Rule != "P§19(二)" {
		t.Errorf("warning change %+v", c)
	}
	if len(r.ExitsOpened) != 1 || r.ExitsOpened[0].ProductID != "P-09" {
		t.Errorf("exits %+v", r.ExitsOpened)
	}
	if len(r.PendingData) != 1 || r.PendingData[0].ProductID != "P-02" {
		t.Errorf("pending %+v", r.PendingData)
	}
	if len(r.PendingTracks) != 3 || r.PendingTracks[0].ProductID != "P-02" || r.PendingTracks[2].ProductID != "P-06" ||
		r.PendingTracks[2].Track != TrackQuality {
		t.Errorf("pending tracks %+v", r.PendingTracks)
	}
	// Order of results does not matter.
	reversed := make([]Result, len(results))
	for i, res := range results {
		reversed[len(results)-1-i] = res
	}
	if again := Report(reversed); len(again.PhaseChanges) != 2 || again.PhaseChanges[0].ProductID != "P-05" {
		t.Errorf("order-dependent report %+v", again.PhaseChanges)
	}
	if empty := Report(nil); empty.Total != 0 || empty.PhaseChanges == nil || empty.Counts[OutcomePass] != 0 {
		t.Errorf("empty report %+v", empty)
	}
}
