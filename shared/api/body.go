package api

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strings"
	"unicode/utf8"

	"productgov/shared/money"
	"productgov/shared/period"
	"productgov/shared/problem"
)

// maxBody bounds a JSON request body.
const maxBody = 1 << 20

// object is a decoded JSON object whose fields are read one by one, so that
// every bad field is named with why, and fields nobody read are refused.
type object struct {
	raw  map[string]json.RawMessage
	errs problem.Fields
	read map[string]bool
}

// decodeObject reads the request body as one JSON object.
func decodeObject(r *http.Request) (*object, error) {
	b, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
	if err != nil {
		return nil, problem.InvalidField("body", "could not be read")
	}
	if len(b) > maxBody {
		return nil, problem.InvalidField("body", "is larger than 1 MiB")
	}
	return parseObject(b)
}

func parseObject(b []byte) (*object, error) {
	o := &object{errs: problem.Fields{}, read: map[string]bool{}}
	if err := checkJSONText(b); err != nil {
		return nil, err
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	if err := dec.Decode(&o.raw); err != nil {
		return nil, problem.InvalidField("body", "is not a JSON object: "+jsonReason(err))
	}
	if dec.More() {
		return nil, problem.InvalidField("body", "has data after the JSON object")
	}
	if o.raw == nil {
		return nil, problem.InvalidField("body", "must be a JSON object, not null")
	}
	return o, nil
}

// Text limits of every JSON body: a string is at most maxText characters,
// and one naming something (shortFields) at most maxShortText.
const (
	maxText      = 20000
	maxShortText = 200
)

// shortFields are the fields that name or identify something: a person's or
// a product's name, an email address, an id, a reference.
var shortFields = map[string]bool{
	"name": true, "email": true, "dept": true, "sub": true, "productId": true, "partnerId": true, "projectId": true,
	"minutesRef": true, "reference": true, "title": true, "contact": true, "legalRepresentative": true,
}

// checkJSONText refuses what decoding would silently accept or alter: bytes
// that are not UTF-8 (decoding turns them into U+FFFD), a key given twice in
// one object (decoding keeps the last), control characters other than tab
// and line breaks, and strings longer than maxText.
func checkJSONText(b []byte) error {
	if !utf8.Valid(b) {
		return problem.InvalidField("body", "is not valid UTF-8")
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	type frame struct {
		object  bool
		keys    map[string]bool
		wantKey bool
		key     string // the member being read
	}
	var stack []*frame
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return nil // a syntax error: the decoder proper names it
		}
		var top *frame
		if len(stack) > 0 {
			top = stack[len(stack)-1]
		}
		switch v := tok.(type) {
		case json.Delim:
			switch v {
			case '{':
				stack = append(stack, &frame{object: true, keys: map[string]bool{}, wantKey: true})
				continue
			case '[':
				stack = append(stack, &frame{})
				continue
			default:
				stack = stack[:len(stack)-1]
			}
		case string:
			if top != nil && top.object && top.wantKey {
				if top.keys[v] {
					return problem.InvalidField(v, "is given twice; give each field once")
				}
				top.keys[v] = true
				top.wantKey, top.key = false, v
				if err := checkText(v, maxShortText); err != nil {
					return problem.InvalidField("body", "has a field name that "+err.Error())
				}
				continue
			}
			if err := checkText(v, maxText); err != nil {
				field := "body"
				if top != nil && top.object {
					field = top.key
				}
				return problem.InvalidField(field, err.Error())
			}
		}
		if top != nil && top.object {
			top.wantKey = true
		}
	}
}

// checkText refuses control characters (tab and line breaks aside) and
// texts over max characters.
func checkText(s string, max int) error {
	if n := utf8.RuneCountInString(s); n > max {
		return fmt.Errorf("is %d characters long; at most %d", n, max)
	}
	for _, r := range s {
		if (r < 0x20 && r != '\t' && r != '\n' && r != '\r') || r == 0x7f {
			return fmt.Errorf("holds the control character U+%04X", r)
		}
	}
	return nil
}

func jsonReason(err error) string {
	var se *json.SyntaxError
	if ok := asSyntax(err, &se); ok {
		return fmt.Sprintf("syntax error at byte %d", se.Offset)
	}
	if err == io.EOF {
		return "the body is empty"
	}
	return strings.TrimPrefix(err.Error(), "json: ")
}

func asSyntax(err error, target **json.SyntaxError) bool {
	se, ok := err.(*json.SyntaxError)
	if ok {
		*target = se
	}
	return ok
}

func (o *object) has(name string) bool {
	v, ok := o.raw[name]
	return ok && string(v) != "null"
}

func (o *object) take(name string, required bool) (json.RawMessage, bool) {
	o.read[name] = true
	v, ok := o.raw[name]
	if !ok || string(v) == "null" {
		if required {
			o.errs.Add(name, "is required")
		}
		return nil, false
	}
	return v, true
}

// str reads a string field; required ones must be non-blank.
func (o *object) str(name string, required bool) string {
	v, ok := o.take(name, required)
	if !ok {
		return ""
	}
	var s string
	if err := json.Unmarshal(v, &s); err != nil {
		o.errs.Add(name, "must be a string")
		return ""
	}
	if shortFields[name] && utf8.RuneCountInString(s) > maxShortText {
		o.errs.Add(name, fmt.Sprintf("is %d characters long; at most %d", utf8.RuneCountInString(s), maxShortText))
		return ""
	}
	if required && strings.TrimSpace(s) == "" {
		o.errs.Add(name, "must not be empty")
	}
	return s
}

// oneOf reads a string that must be one of the allowed values.
func (o *object) oneOf(name string, required bool, allowed ...string) string {
	s := o.str(name, required)
	if s == "" {
		return ""
	}
	for _, a := range allowed {
		if s == a {
			return s
		}
	}
	o.errs.Add(name, fmt.Sprintf("must be one of %s, not %q", strings.Join(allowed, ", "), s))
	return ""
}

// amount reads money: a decimal string or number, at most two decimals, not negative.
func (o *object) amount(name string, required bool) money.Amount {
	v, ok := o.take(name, required)
	if !ok {
		return 0
	}
	var a money.Amount
	if err := json.Unmarshal(v, &a); err != nil {
		o.errs.Add(name, "must be an amount with at most two decimals, e.g. \"1234.56\"")
		return 0
	}
	if a < 0 {
		o.errs.Add(name, "must not be negative")
	}
	return a
}

// integer reads a whole number, not negative.
func (o *object) integer(name string, required bool) int64 {
	v, ok := o.take(name, required)
	if !ok {
		return 0
	}
	var n int64
	if err := json.Unmarshal(v, &n); err != nil {
		o.errs.Add(name, "must be a whole number")
		return 0
	}
	if n < 0 {
		o.errs.Add(name, "must not be negative")
	}
	return n
}

// boolean reads true or false.
func (o *object) boolean(name string) bool {
	v, ok := o.take(name, false)
	if !ok {
		return false
	}
	var b bool
	if err := json.Unmarshal(v, &b); err != nil {
		o.errs.Add(name, "must be true or false")
	}
	return b
}

// parsed reads a string field through parse, naming the field when it fails.
func parsed[T any](o *object, name string, required bool, parse func(string) (T, error)) *T {
	s := o.str(name, required)
	if s == "" {
		return nil
	}
	v, err := parse(s)
	if err != nil {
		o.errs.Add(name, err.Error())
		return nil
	}
	return &v
}

// date reads YYYY-MM-DD.
func (o *object) date(name string, required bool) *period.Date {
	return parsed(o, name, required, period.ParseDate)
}

// month reads YYYY-MM.
func (o *object) month(name string, required bool) *period.Month {
	return parsed(o, name, required, period.ParseMonth)
}

// strs reads a list of strings.
func (o *object) strs(name string, required bool) []string {
	v, ok := o.take(name, required)
	if !ok {
		return nil
	}
	var out []string
	if err := json.Unmarshal(v, &out); err != nil {
		o.errs.Add(name, "must be a list of strings")
		return nil
	}
	return out
}

// rest returns the fields not read yet, for content validated elsewhere.
func (o *object) rest() map[string]json.RawMessage {
	out := map[string]json.RawMessage{}
	for k, v := range o.raw {
		if !o.read[k] {
			out[k] = v
			o.read[k] = true
		}
	}
	return out
}

// done refuses unknown fields and returns every problem found.
func (o *object) done(what string) error {
	var unknown []string
	for k := range o.raw {
		if !o.read[k] {
			unknown = append(unknown, k)
		}
	}
	sort.Strings(unknown)
	for _, k := range unknown {
		o.errs.Add(k, "is not a known field")
	}
	return o.errs.Err("invalid " + what)
}
