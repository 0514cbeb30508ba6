package settlement

import (
	"errors"
	"testing"

	"productgov/shared/period"
)

// P§20: the SI's monthly fee is recorded revenue × its share, rounded half-up
// once; the month's assessment is on the statement; an exit-phase product's
// statement is held until the exit decision; finance approves a draft only.
func TestSettleSI(t *testing.T) {
	month := period.MustMonth("2026-05")
	pass := &SIAssessment{Result: "pass", PhaseAfter: "assessment", Rule: "P§19(一)"}
	tests := []struct {
		name           string
		revenue, share string
		exit, decided  bool
		fee, status    string
	}{
		{"30% of 100,000", "100000.00", "0.3", false, false, "30000.00", SIStatusDraft},
		{"half a fen rounds up", "0.05", "0.3", false, false, "0.02", SIStatusDraft},  // 1.5 fen
		{"just below half a fen", "0.01", "0.3", false, false, "0.00", SIStatusDraft}, // 0.3 fen
		{"no revenue", "0", "0.3", false, false, "0.00", SIStatusDraft},
		{"exit phase, no decision yet: held", "80000.00", "0.25", true, false, "20000.00", SIStatusHeld},
		{"exit phase, decision made", "80000.00", "0.25", true, true, "20000.00", SIStatusDraft},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st, err := SettleSI(SIInput{ProductID: "prd_1", PartnerID: "ptn_1", Month: month, Revenue: m(tt.revenue),
				Share: rate(tt.share), Assessment: pass, ExitPhase: tt.exit, ExitDecided: tt.decided})
			if err != nil {
				t.Fatal(err)
			}
			if st.Fee.String() != tt.fee || st.Status != tt.status || st.Assessment != pass || st.Rule != "P§20" || st.Reason == "" {
				t.Errorf("got %+v; want fee %s status %s", st, tt.fee, tt.status)
			}
			if (st.Held != "") != (tt.status == SIStatusHeld) {
				t.Errorf("held %q", st.Held)
			}
		})
	}
	_, err := SettleSI(SIInput{Revenue: m("-1"), Share: rate("1")})
	var fe FieldErrors
	if !errors.As(err, &fe) || fe["productId"] == "" || fe["month"] == "" || fe["revenue"] == "" || fe["share"] == "" {
		t.Errorf("bad input: %v", err)
	}
	if next, err := ApproveSI(SIStatusDraft); err != nil || next != SIStatusApproved {
		t.Errorf("approve a draft: %s %v", next, err)
	}
	for _, s := range []string{SIStatusHeld, SIStatusApproved} {
		var rf Refusal
		if _, err := ApproveSI(s); !errors.As(err, &rf) || rf.Rule != "P§20" {
			t.Errorf("approve %s: %v", s, err)
		}
	}
}
