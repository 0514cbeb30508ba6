package decision

import (
	"fmt"
	"strings"

	"productgov/shared/reason"
)

// Product stages (SPEC 1). The product package owns them as product.Stage;
// they are plain strings here so that package may depend on this one.
const (
	stageDemand          = "demand"
	stagePlanning        = "planning"
	stageBuilding        = "building"
	stageIntroducing     = "introducing"
	stageTrialUse        = "trial_use"
	stageTrialCommercial = "trial_commercial"
	stageTrialSuspended  = "trial_suspended"
	stageCommercial      = "commercial"
	stageExiting         = "exiting"
	stageExited          = "exited"
)

// StageMove is what an approved decision of the listed types does to a
// product in one of the From stages (SPEC 1). To empty keeps the stage.
type StageMove struct {
	Types []SubmissionType `json:"types"`
	From  []string         `json:"from,omitempty"`
	// AnyStage applies the move whatever the stage, even without a product.
	AnyStage bool   `json:"anyStage,omitempty"`
	To       string `json:"to,omitempty"`
	// UpdatesAttributes: the decision sets product attributes (a major change).
	UpdatesAttributes bool   `json:"updatesAttributes,omitempty"`
	Rule              string `json:"rule"`
	Description       string `json:"description"`
}

// StageChange is the effect of an approved decision on the product.
type StageChange struct {
	From              string `json:"from"`
	To                string `json:"to"`
	Changed           bool   `json:"changed"`
	UpdatesAttributes bool   `json:"updatesAttributes,omitempty"`
	Rule              string `json:"rule"`
	Reason            string `json:"reason"`
	// Cause is Reason machine-readable (shared/reason).
	Cause reason.Reason `json:"cause"`
}

// StageAfterApproval is the product's stage once a decision of type t is
// approved while the product is in stage current (SPEC 1: stages only move
// through approved decisions or the exit flow). The first move of
// rules.StageMoves listing the type and the stage applies; with none, the
// decision may not apply to a product in that stage and an error names the
// stages it may apply to.
func StageAfterApproval(t SubmissionType, current string, rules Rules) (StageChange, error) {
	var allowed []string
	for _, m := range rules.StageMoves {
		if !contains(m.Types, t) {
			continue
		}
		if !m.AnyStage && !contains(m.From, current) {
			allowed = append(allowed, m.From...)
			continue
		}
		to := m.To
		if to == "" {
			to = current
		}
		c := StageChange{From: current, To: to, Changed: to != current, UpdatesAttributes: m.UpdatesAttributes, Rule: m.Rule}
		switch {
		case c.Changed:
			c.Reason = fmt.Sprintf("an approved %s decision moves the product from %s to %s: %s", t, current, to, m.Description)
			c.Cause = reason.New("decision_moved", "type", string(t), "stageFrom", current, "stageTo", to, "rule", m.Rule)
		default:
			c.Reason = fmt.Sprintf("an approved %s decision keeps the stage %s: %s", t, stageName(current), m.Description)
			c.Cause = reason.New("decision_kept", "type", string(t), "stageTo", to, "rule", m.Rule)
		}
		return c, nil
	}
	if len(allowed) == 0 {
		return StageChange{}, fmt.Errorf("decision: the policy has no stage move for a %s decision", t)
	}
	return StageChange{}, FieldErrors{"stage": fmt.Sprintf(
		"a %s decision does not apply to a product in stage %s; it applies in: %s",
		t, stageName(current), strings.Join(allowed, ", "))}
}

func stageName(s string) string {
	if s == "" {
		return "(none)"
	}
	return s
}

// StageAfterDelisting moves an exiting product to exited once every
// delisting item is done (SPEC 2.5, P§21(二)5).
func StageAfterDelisting(current string, st DelistingStatus) (StageChange, error) {
	if current != stageExiting {
		return StageChange{}, FieldErrors{"stage": fmt.Sprintf("only an %s product is delisted; this one is %s", stageExiting, stageName(current))}
	}
	if !st.Complete {
		return StageChange{}, FieldErrors{"delisting": st.Reason}
	}
	return StageChange{From: current, To: stageExited, Changed: true, Rule: "P§21(二)5, P annex 7 step 8",
		Reason: "every delisting item is done: the product is exited", Cause: reason.New("delisting_done")}, nil
}
