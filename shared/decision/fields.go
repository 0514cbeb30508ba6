package decision

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"productgov/shared/money"
	"productgov/shared/period"
)

// fieldReader reads a submission's content fields one by one, recording every
// problem in errs and which fields were expected, so that the fields nobody
// asked for can be refused at the end.
type fieldReader struct {
	raw   map[string]json.RawMessage
	errs  FieldErrors
	known map[string]bool
}

func newFieldReader(raw map[string]json.RawMessage) *fieldReader {
	return &fieldReader{raw: raw, errs: FieldErrors{}, known: map[string]bool{}}
}

// value returns the field's JSON, or nil when absent or null: an explicit null
// means "not given", as forms send for blank optional inputs.
func (r *fieldReader) value(name string) json.RawMessage {
	r.known[name] = true
	v, ok := r.raw[name]
	if !ok || bytes.Equal(bytes.TrimSpace(v), []byte("null")) {
		return nil
	}
	return v
}

// has reports whether the field is given (present and not null).
func (r *fieldReader) has(name string) bool { return r.value(name) != nil }

func missing(rule string) string { return "is required (" + rule + ")" }

// text reads a non-empty string. Optional text that is empty counts as absent.
func (r *fieldReader) text(name string, required bool, rule string) string {
	v := r.value(name)
	if v == nil {
		if required {
			r.errs.add(name, missing(rule))
		}
		return ""
	}
	var s string
	if err := json.Unmarshal(v, &s); err != nil {
		r.errs.add(name, "must be text")
		return ""
	}
	s = strings.TrimSpace(s)
	if s == "" && required {
		r.errs.add(name, "must not be empty ("+rule+")")
	}
	return s
}

// amount reads a non-negative amount: a decimal string or JSON number with at
// most two decimals (SPEC 8).
func (r *fieldReader) amount(name string, required bool, rule string) *money.Amount {
	v := r.value(name)
	if v == nil {
		if required {
			r.errs.add(name, missing(rule))
		}
		return nil
	}
	var a money.Amount
	if err := json.Unmarshal(v, &a); err != nil {
		r.errs.add(name, "must be an amount in yuan: "+err.Error())
		return nil
	}
	if a < 0 {
		r.errs.add(name, "must not be negative")
		return nil
	}
	return &a
}

// count reads a whole number of at least min (a JSON integer or a string of digits).
func (r *fieldReader) count(name string, required bool, min int64, minReason, rule string) *int64 {
	v := r.value(name)
	if v == nil {
		if required {
			r.errs.add(name, missing(rule))
		}
		return nil
	}
	s := strings.TrimSpace(string(v))
	if strings.HasPrefix(s, `"`) {
		if err := json.Unmarshal(v, &s); err != nil {
			r.errs.add(name, "must be a whole number")
			return nil
		}
		s = strings.TrimSpace(s)
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		r.errs.add(name, "must be a whole number")
		return nil
	}
	if n < min {
		r.errs.add(name, minReason)
		return nil
	}
	return &n
}

// date reads a YYYY-MM-DD date.
func (r *fieldReader) date(name string, required bool, rule string) *period.Date {
	v := r.value(name)
	if v == nil {
		if required {
			r.errs.add(name, missing(rule))
		}
		return nil
	}
	var d period.Date
	if err := json.Unmarshal(v, &d); err != nil {
		r.errs.add(name, err.Error())
		return nil
	}
	return &d
}

// oneOf reads a text that must be one of the allowed values.
func oneOf[T ~string](r *fieldReader, name string, required bool, allowed []T, rule string) T {
	s := r.text(name, required, rule)
	if s == "" {
		return ""
	}
	if !contains(allowed, T(s)) {
		r.errs.add(name, fmt.Sprintf("unknown value %q; allowed: %s", s, joinAll(allowed)))
		return ""
	}
	return T(s)
}

// object reads a JSON object kept as it is (a policy document is validated by
// the package that owns it).
func (r *fieldReader) object(name string, required bool, rule string) json.RawMessage {
	v := r.value(name)
	if v == nil {
		if required {
			r.errs.add(name, missing(rule))
		}
		return nil
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(v, &m); err != nil {
		r.errs.add(name, "must be a JSON object")
		return nil
	}
	return append(json.RawMessage(nil), v...)
}

// notApplicable refuses a field that does not apply, e.g. cooperation fields
// of a self-built product.
func (r *fieldReader) notApplicable(name, reason string) {
	if r.has(name) {
		r.errs.add(name, reason)
	}
}

// refuseUnknown refuses every field that was not read. The request's own
// "type" and "productId" are not content and are ignored if passed along.
func (r *fieldReader) refuseUnknown(t SubmissionType) {
	var allowed []string
	for k := range r.known {
		allowed = append(allowed, k)
	}
	sort.Strings(allowed)
	for k := range r.raw {
		if r.known[k] || k == "type" || k == "productId" {
			continue
		}
		r.errs.add(k, fmt.Sprintf("unknown field for a %s submission; allowed: %s", t, strings.Join(allowed, ", ")))
	}
}
