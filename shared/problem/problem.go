// Package problem is the system's error vocabulary: every error that reaches a
// user carries one of a few codes, a message, and for bad input the fields at fault.
package problem

import (
	"errors"
	"fmt"
	"sort"
	"strings"
)

// Code classifies an error; the API maps each code to one HTTP status.
type Code string

// The codes of SPEC 8.
const (
	CodeInvalid      Code = "invalid"
	CodeNotFound     Code = "not_found"
	CodeConflict     Code = "conflict"
	CodeForbidden    Code = "forbidden"
	CodeUnauthorized Code = "unauthorized"
	CodeInternal     Code = "internal"
	// CodeUnavailable is a dependency (the database) that did not answer in
	// time: nothing was done, and the request may be retried.
	CodeUnavailable Code = "unavailable"
)

// Error is an error with a code, a user-safe message and, for invalid input,
// the field names at fault with why.
type Error struct {
	Code    Code
	Message string
	Fields  map[string]string
	// Err is the cause, kept for logs and errors.Is; never shown to users.
	Err error
}

// Error implements error.
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(string(e.Code))
	b.WriteString(": ")
	b.WriteString(e.Message)
	if len(e.Fields) > 0 {
		keys := make([]string, 0, len(e.Fields))
		for k := range e.Fields {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			fmt.Fprintf(&b, "; %s: %s", k, e.Fields[k])
		}
	}
	if e.Err != nil {
		b.WriteString(": ")
		b.WriteString(e.Err.Error())
	}
	return b.String()
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// Invalid reports bad input; fields maps each field at fault to why.
func Invalid(message string, fields map[string]string) *Error {
	return &Error{Code: CodeInvalid, Message: message, Fields: fields}
}

// InvalidField reports one bad field.
func InvalidField(field, why string) *Error {
	return &Error{Code: CodeInvalid, Message: field + " " + why, Fields: map[string]string{field: why}}
}

// NotFound reports a missing entity, e.g. NotFound("product", "p1").
func NotFound(entity, id string) *Error {
	return &Error{Code: CodeNotFound, Message: fmt.Sprintf("%s %s not found", entity, id)}
}

// Conflict reports a request that clashes with the current state.
func Conflict(format string, args ...any) *Error {
	return &Error{Code: CodeConflict, Message: fmt.Sprintf(format, args...)}
}

// Forbidden reports a caller who may not do this.
func Forbidden(format string, args ...any) *Error {
	return &Error{Code: CodeForbidden, Message: fmt.Sprintf(format, args...)}
}

// Unauthorized reports a missing or bad identity.
func Unauthorized(format string, args ...any) *Error {
	return &Error{Code: CodeUnauthorized, Message: fmt.Sprintf(format, args...)}
}

// CodeOf returns the code of err, internal for errors without one.
func CodeOf(err error) Code {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return CodeInternal
}

// As returns err's *Error, or nil.
func As(err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	return nil
}

// Fields collects field problems, so validation can report every one at once.
type Fields map[string]string

// Add records why field is wrong, keeping the first reason for a field.
func (f Fields) Add(field, why string) {
	if _, ok := f[field]; !ok {
		f[field] = why
	}
}

// Err returns an Invalid error when any field was added, else nil.
func (f Fields) Err(message string) error {
	if len(f) == 0 {
		return nil
	}
	return Invalid(message, f)
}
