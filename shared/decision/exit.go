package decision

import (
	"fmt"
	"strings"

	"productgov/shared/period"
)

// ChecklistItem is one delisting task (P annex 7 step 8; SPEC 2.5).
type ChecklistItem struct {
	Key   string `json:"key"`
	Label string `json:"label"`
	// CooperativeOnly items apply to cooperative products only.
	CooperativeOnly bool   `json:"cooperativeOnly,omitempty"`
	Rule            string `json:"rule"`
}

// ExitRules holds the exit figures and the delisting checklist (P§21; SPEC 2.5).
type ExitRules struct {
	// NaturalNoticeMonths is how long after the agreement's expiry a natural
	// exit's notice is published (P§21(二)4: 在合作到期3个月后直接发布产品退出通知).
	NaturalNoticeMonths int `json:"naturalNoticeMonths"`
	// Delisting is the checklist to complete before the product is exited.
	Delisting []ChecklistItem `json:"delisting"`
}

// Deadline is a date a rule sets, with the rule and why.
type Deadline struct {
	Date   period.Date `json:"date"`
	Rule   string      `json:"rule"`
	Reason string      `json:"reason"`
}

// OverdueOn reports whether the deadline has passed on day today: the
// deadline day itself is still in time.
func (d Deadline) OverdueOn(today period.Date) bool { return today.After(d.Date) }

// NaturalExitNotice is the day a natural exit's notice is published:
// the agreement's expiry plus NaturalNoticeMonths, clamped to the month's end
// (P§21(二)4). No review and no decision precede it.
func NaturalExitNotice(agreementExpiry period.Date, rules Rules) Deadline {
	n := rules.Exit.NaturalNoticeMonths
	return Deadline{
		Date: agreementExpiry.AddMonths(n),
		Rule: "P§21(二)4",
		Reason: fmt.Sprintf("natural exit: notice published %d months after the agreement expired on %s, without review or decision",
			n, agreementExpiry),
	}
}

// DelistingChecklist returns the items that apply to a product of the mode.
func DelistingChecklist(mode string, rules Rules) []ChecklistItem {
	var items []ChecklistItem
	for _, it := range rules.Exit.Delisting {
		if it.CooperativeOnly && mode != ModeCooperative {
			continue
		}
		items = append(items, it)
	}
	return items
}

// DelistingStatus tells whether delisting is complete and what is left.
type DelistingStatus struct {
	Complete bool     `json:"complete"`
	Missing  []string `json:"missing,omitempty"`
	Rule     string   `json:"rule"`
	Reason   string   `json:"reason"`
}

// CheckDelisting compares the items done with the checklist of the product's
// mode. An unknown item, or one that does not apply to the mode, is an error
// naming it, so a typo never counts as done.
func CheckDelisting(mode string, done []string, rules Rules) (DelistingStatus, error) {
	items := DelistingChecklist(mode, rules)
	applies := map[string]bool{}
	for _, it := range items {
		applies[it.Key] = true
	}
	isDone := map[string]bool{}
	errs := FieldErrors{}
	for _, k := range done {
		if !applies[k] {
			errs.add(k, fmt.Sprintf("is not a delisting item of a %s product", mode))
			continue
		}
		isDone[k] = true
	}
	if err := errs.errOrNil(); err != nil {
		return DelistingStatus{}, err
	}
	st := DelistingStatus{Rule: "P annex 7 step 8, P§21(二)5"}
	for _, it := range items {
		if !isDone[it.Key] {
			st.Missing = append(st.Missing, it.Key)
		}
	}
	st.Complete = len(st.Missing) == 0
	if st.Complete {
		st.Reason = fmt.Sprintf("all %d delisting items are done; the product is exited", len(items))
	} else {
		st.Reason = fmt.Sprintf("%d of %d delisting items left: %s", len(st.Missing), len(items), strings.Join(st.Missing, ", "))
	}
	return st, nil
}
