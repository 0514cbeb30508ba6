package assessment

import (
	"sort"
	"strings"
)

// FieldErrors maps a field name (JSON camelCase, dotted for nested fields) to
// the reason it is invalid. Validation collects every problem, not just the first.
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

// errOrNil returns nil for an empty set, so callers can `return errs.errOrNil()`.
func (e FieldErrors) errOrNil() error {
	if len(e) == 0 {
		return nil
	}
	return e
}
