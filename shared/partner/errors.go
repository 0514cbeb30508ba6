package partner

import (
	"sort"
	"strings"
)

// FieldErrors maps a field name (JSON camelCase, dotted for nested fields, e.g.
// "items.page_design") to the reason it is invalid. Validation collects every
// problem, not just the first. Callers answer it as code "invalid" (HTTP 400).
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

// Fields returns the field → reason map, for an API error body's "fields".
func (e FieldErrors) Fields() map[string]string { return e }

// errOrNil returns nil for an empty set, so callers can `return errs.errOrNil()`.
func (e FieldErrors) errOrNil() error {
	if len(e) == 0 {
		return nil
	}
	return e
}

// Refusal is a well-formed request that a rule forbids (a refund before its
// time, a second form by the same reviewer). It names the article that decided.
// Callers answer it as code "conflict" (HTTP 409).
type Refusal struct {
	Rule   string `json:"rule"`
	Reason string `json:"reason"`
}

// Error writes the article and the reason.
func (r Refusal) Error() string { return r.Rule + ": " + r.Reason }
