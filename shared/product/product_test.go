package product

import (
	"testing"
	"time"

	"productgov/shared/problem"
)

// P§17(三): trial commercial use is stopped on a major security,
// customer-service or platform problem, with the reason and who; only trial
// commercial use can be stopped, and only trial_commercial resumes it.
func TestSuspendTrial(t *testing.T) {
	now := time.Date(2026, 6, 3, 10, 0, 0, 0, time.UTC)
	tests := []struct {
		name         string
		stage        Stage
		kind, reason string
		code         problem.Code // "" for success
		fields       []string
	}{
		{"security problem", StageTrialCommercial, ProblemSecurity, "用户数据外泄", "", nil},
		{"customer service", StageTrialCommercial, ProblemCustomerService, "投诉激增", "", nil},
		{"platform", StageTrialCommercial, ProblemPlatform, "平台宕机 48 小时", "", nil},
		{"unknown problem, no reason", StageTrialCommercial, "pricing", " ", problem.CodeInvalid, []string{"problem", "reason"}},
		{"commercial product", StageCommercial, ProblemPlatform, "宕机", problem.CodeConflict, nil},
		{"already suspended", StageTrialSuspended, ProblemPlatform, "宕机", problem.CodeConflict, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := Product{ID: "prd_1", Mode: ModeSelfBuilt, Stage: tt.stage}
			ch, err := p.SuspendTrial(tt.kind, tt.reason, "pm1", "v1", now)
			if tt.code != "" {
				if problem.CodeOf(err) != tt.code || p.Stage != tt.stage || p.Suspension != nil {
					t.Fatalf("err %v (%s), stage %s; want %s and nothing changed", err, problem.CodeOf(err), p.Stage, tt.code)
				}
				for _, f := range tt.fields {
					if problem.As(err).Fields[f] == "" {
						t.Errorf("field %s not named: %v", f, err)
					}
				}
				return
			}
			if err != nil || p.Stage != StageTrialSuspended || ch.From != StageTrialCommercial || ch.To != StageTrialSuspended || ch.By != "pm1" {
				t.Fatalf("got %+v %v, stage %s", ch, err, p.Stage)
			}
			if s := p.Suspension; s == nil || s.Problem != tt.kind || s.Reason != tt.reason || s.By != "pm1" || s.Rule != "P§17(三)" {
				t.Fatalf("suspension %+v", p.Suspension)
			}
		})
	}
	for _, tt := range []struct {
		from, to Stage
		ok       bool
	}{
		{StageTrialSuspended, StageTrialCommercial, true},
		{StageTrialSuspended, StageExiting, true},
		{StageTrialSuspended, StageCommercial, false},
		{StageCommercial, StageTrialSuspended, false},
	} {
		if CanMove(ModeSelfBuilt, tt.from, tt.to) != tt.ok {
			t.Errorf("CanMove %s → %s = %v", tt.from, tt.to, !tt.ok)
		}
	}
}
