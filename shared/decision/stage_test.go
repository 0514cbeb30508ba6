package decision

import (
	"errors"
	"testing"
)

func TestStageAfterApproval(t *testing.T) {
	tests := []struct {
		typ     SubmissionType
		from    string
		to      string // "" expects an error
		updates bool
	}{
		{TypeDemand, "demand", "planning", false},
		{TypeDemand, "commercial", "", false},
		{TypeDemandChange, "commercial", "commercial", false},
		{TypeDemandChange, "demand", "", false},
		{TypeTrialCommercial, "building", "trial_commercial", false},
		{TypeTrialCommercial, "introducing", "trial_commercial", false},
		{TypeTrialCommercial, "trial_use", "trial_commercial", false},
		{TypeTrialCommercial, "planning", "", false},
		{TypeCommercial, "trial_commercial", "commercial", false},
		{TypeCommercial, "building", "", false},
		{TypeExit, "commercial", "exiting", false},
		{TypeExit, "trial_commercial", "exiting", false},
		{TypeExit, "trial_use", "exiting", false},
		{TypeExit, "exiting", "", false},
		{TypeExit, "exited", "", false},
		{TypeMajorChange, "commercial", "commercial", true},
		{TypeMajorChange, "exited", "", false},
		{TypePromotionPlan, "trial_commercial", "trial_commercial", false},
		{TypePromotionPlan, "building", "", false},
		{TypeTrialCommercial, "trial_suspended", "trial_commercial", false},
		{TypeCommercial, "trial_suspended", "", false},
		{TypeExit, "trial_suspended", "exiting", false},
		{TypePromotionPlan, "trial_suspended", "", false},
		{TypePricing, "planning", "planning", false},
		{TypePricing, "commercial", "commercial", false},
		{TypePricing, "demand", "", false},
		{TypePricing, "exiting", "", false},
		{TypeRevenueShare, "introducing", "introducing", false},
		{TypeRevenueShare, "commercial", "commercial", false},
		{TypeRevenueShare, "building", "", false},
		{TypeBasicRules, "", "", false},
		{TypeBasicRules, "commercial", "commercial", false},
		{TypeDemand, "launched", "", false},
	}
	for _, tt := range tests {
		c, err := StageAfterApproval(tt.typ, tt.from, DefaultRules())
		wantErr := tt.to == "" && !(tt.typ == TypeBasicRules && tt.from == "")
		if wantErr {
			var fe FieldErrors
			if !errors.As(err, &fe) || fe["stage"] == "" {
				t.Errorf("%s from %q: err = %v, want a stage refusal", tt.typ, tt.from, err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s from %q: %v", tt.typ, tt.from, err)
			continue
		}
		if c.To != tt.to || c.Changed != (tt.to != tt.from) || c.UpdatesAttributes != tt.updates || c.Rule == "" || c.Reason == "" {
			t.Errorf("%s from %q = %+v; want to %q updates %v", tt.typ, tt.from, c, tt.to, tt.updates)
		}
	}
}

func TestStageAfterApprovalNoMove(t *testing.T) {
	rules := DefaultRules()
	rules.StageMoves = nil
	if _, err := StageAfterApproval(TypeDemand, "demand", rules); err == nil {
		t.Error("no move in the policy must fail")
	}
}
