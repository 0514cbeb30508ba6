package assessment

import (
	"fmt"
	"sort"
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

func TestReportBuilderHeads(t *testing.T) {
	rules := DefaultRules()
	var results []Result
	for i := range 12 {
		in := cooperativeInput()
		in.Product.ID = fmt.Sprintf("P-%02d", 11-i)
		switch i % 3 {
		case 0:
			in.QualityScore = scorePtr("12") // a phase change
		case 1:
			in.QualityScore, in.Revenue = nil, nil // pending data, two pending tracks
		}
		results = append(results, mustAssess(t, in, rules))
	}
	full := Report(results)
	sorted := append([]Result(nil), results...)
	sort.Slice(sorted, func(i, j int) bool { return ResultBefore(sorted[i], sorted[j]) })
	tests := []struct {
		limit         int
		wantTruncated bool
	}{{0, false}, {100, false}, {8, false}, {3, true}, {1, true}}
	for _, tt := range tests {
		b := NewReportBuilder(tt.limit)
		for _, res := range sorted {
			b.Add(res)
		}
		head := b.Report()
		if head.Truncated() != tt.wantTruncated || head.Sizes != full.Sizes || head.Total != full.Total {
			t.Errorf("limit %d: truncated %v sizes %+v total %d, want %v %+v %d", tt.limit, head.Truncated(), head.Sizes, head.Total,
				tt.wantTruncated, full.Sizes, full.Total)
		}
		want := func(n int) int { return map[bool]int{true: min(n, tt.limit), false: n}[tt.limit > 0] }
		if len(head.PendingTracks) != want(full.Sizes.PendingTracks) || len(head.PhaseChanges) != want(full.Sizes.PhaseChanges) {
			t.Errorf("limit %d: %d tracks %d changes", tt.limit, len(head.PendingTracks), len(head.PhaseChanges))
		}
		for i, c := range head.PhaseChanges {
			if c.ProductID != full.PhaseChanges[i].ProductID {
				t.Errorf("limit %d: head %d is %s, the full report's %s", tt.limit, i, c.ProductID, full.PhaseChanges[i].ProductID)
			}
		}
	}
	if full.Sizes != (ListSizes{PhaseChanges: 4, PendingData: 4, PendingTracks: 8}) {
		t.Errorf("sizes %+v", full.Sizes)
	}
}
