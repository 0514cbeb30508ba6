package decision

import (
	"sort"
	"strings"
)

// FieldErrors maps a field name (JSON camelCase as in SPEC; dotted or indexed
// for nested fields) to the reason it is invalid. Validation collects every
// problem, not just the first.
type FieldErrors map[string]string

// Error lists every field and its reason, sorted by field so the text is stable.
func (e FieldErrors) Error() string {
	fields := make([]string, 0, len(e))
	for f := range e {
		fields = append(fields, f)
	}
	sort.Strings(fields)
	parts := make([]string, 0, len(fields))
	for _, f := range fields {
		parts = append(parts, f+": "+e[f])
	}
	return "invalid: " + strings.Join(parts, "; ")
}

// add records the first reason given for a field; later reasons for the same
// field are usually consequences of the first.
func (e FieldErrors) add(field, reason string) {
	if _, ok := e[field]; !ok {
		e[field] = reason
	}
}

// errOrNil returns nil for an empty set, so callers can `return errs.errOrNil()`.
func (e FieldErrors) errOrNil() error {
	if len(e) == 0 {
		return nil
	}
	return e
}

// Refusal is one reason an action is not allowed, with the article behind it.
type Refusal struct {
	Rule   string `json:"rule"`
	Reason string `json:"reason"`
}

// Refusals lists every reason an action is refused; it is the error returned
// by the eligibility checks (a vote, an approver) so the caller can show all.
type Refusals []Refusal

// Error joins the reasons with their articles.
func (r Refusals) Error() string {
	parts := make([]string, len(r))
	for i, x := range r {
		parts[i] = x.Reason + " (" + x.Rule + ")"
	}
	return "refused: " + strings.Join(parts, "; ")
}

func (r Refusals) errOrNil() error {
	if len(r) == 0 {
		return nil
	}
	return r
}
