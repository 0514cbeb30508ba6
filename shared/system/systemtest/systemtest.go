// Package systemtest assembles the whole system on a fresh table of the test
// DynamoDB Local and serves it with httptest, for end-to-end tests over HTTP.
package systemtest

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	"productgov/infra/dynamolocal"
	"productgov/shared/config"
	"productgov/shared/directory"
	"productgov/shared/system"
)

// Env is a running system under test.
type Env struct {
	T      testing.TB
	Sys    *system.System
	Server *httptest.Server
}

// testSecret signs test tokens; it is not a secret anywhere else.
const testSecret = "systemtest-signing-key-0123456789abcdef"

// New starts the system in local mode on a fresh table.
func New(t testing.TB) *Env {
	t.Helper()
	return NewMode(t, config.ModeLocal)
}

// NewMode starts the system in the given mode (aws mode still uses the test
// DynamoDB Local, and verifies tokens with the test key, to test mode-dependent routes).
func NewMode(t testing.TB, mode config.Mode) *Env {
	t.Helper()
	client, table := dynamolocal.NewTestTable(t)
	_ = client
	env := map[string]string{"APP_MODE": "local", "TABLE_NAME": table,
		"DYNAMODB_ENDPOINT": dynamolocal.Endpoint(t), "JWT_SECRET": testSecret}
	cfg, err := config.FromLookup(func(k string) (string, bool) { v, ok := env[k]; return v, ok })
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	sys, err := system.New(context.Background(), cfg, nil, log)
	if err != nil {
		t.Fatal(err)
	}
	if mode != config.ModeLocal {
		sys.API.Local = false
		sys.Config.Mode = mode
	}
	if err := sys.App.EnsureDefaultPolicy(context.Background()); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(sys.API.Handler())
	t.Cleanup(srv.Close)
	return &Env{T: t, Sys: sys, Server: srv}
}

// Token returns a signed token for a person with the roles.
func (e *Env) Token(sub string, roles ...directory.Role) string {
	e.T.Helper()
	tok, err := e.Sys.Issuer.Sign(directory.Person{Sub: sub, Name: sub, Email: sub + "@test.local", Roles: roles})
	if err != nil {
		e.T.Fatal(err)
	}
	return tok
}

// Response is a decoded HTTP response.
type Response struct {
	Status int
	Body   []byte
	Header http.Header
}

// JSON decodes the body into v.
func (r Response) JSON(t testing.TB, v any) {
	t.Helper()
	if err := json.Unmarshal(r.Body, v); err != nil {
		t.Fatalf("decode %s: %v", r.Body, err)
	}
}

// Map decodes the body into a map.
func (r Response) Map(t testing.TB) map[string]any {
	t.Helper()
	var m map[string]any
	r.JSON(t, &m)
	return m
}

// Do sends a request; body may be nil, a string/[]byte (sent as is) or any
// value (sent as JSON). token may be empty.
func (e *Env) Do(method, path, token string, body any, headers ...string) Response {
	e.T.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = bytes.NewBufferString(b)
	case []byte:
		rd = bytes.NewReader(b)
	default:
		j, err := json.Marshal(b)
		if err != nil {
			e.T.Fatal(err)
		}
		rd = bytes.NewReader(j)
	}
	req, err := http.NewRequest(method, e.Server.URL+path, rd)
	if err != nil {
		e.T.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		e.T.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return Response{Status: res.StatusCode, Body: b, Header: res.Header}
}
