// Package stacktest assembles the whole local stack (built bootstraps under
// the Lambda runtime emulator, the ASL engine, the local AWS endpoint and the
// API gateway front) on a fresh table of the test DynamoDB Local and serves
// the gateway with httptest, for end-to-end tests over HTTP.
package stacktest

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"testing"

	"productgov/infra/dynamolocal"
	"productgov/infra/localstack"
	"productgov/infra/s3local"
	"productgov/shared/config"
	"productgov/shared/directory"
	"productgov/shared/system"
)

// Env is a running system under test.
type Env struct {
	T      testing.TB
	Stack  *localstack.Stack
	Sys    *system.System
	Server *httptest.Server
	cfg    config.Config
	opts   localstack.Options
	mode   config.Mode
}

// Test keys sign test tokens and links; they are secrets nowhere else.
const (
	testSecret  = "stacktest-signing-key-0123456789abcdef"
	testLinkKey = "stacktest-link-signing-key-0123456789"
)

// New starts the system in local mode on a fresh table.
func New(t testing.TB, opts ...localstack.Options) *Env {
	t.Helper()
	return NewMode(t, config.ModeLocal, opts...)
}

// NewMode starts the system in the given mode: in aws mode the gateway has no
// local tools (/dev/ answers as on AWS). The functions run as on AWS either way.
func NewMode(t testing.TB, mode config.Mode, opts ...localstack.Options) *Env {
	t.Helper()
	_, table := dynamolocal.NewTestTable(t)
	env := map[string]string{"APP_MODE": "local", "TABLE_NAME": table,
		"DYNAMODB_ENDPOINT": dynamolocal.Endpoint(t), "JWT_SECRET": testSecret, "LINK_SIGNING_KEY": testLinkKey}
	cfg, err := config.FromLookup(func(k string) (string, bool) { v, ok := env[k]; return v, ok })
	if err != nil {
		t.Fatal(err)
	}
	e := &Env{T: t, cfg: cfg}
	if len(opts) > 0 {
		e.opts = opts[0]
	}
	if e.opts.Log == nil {
		// STACKTEST_LOG=1 shows the stack's log and the functions' output,
		// for debugging a test.
		var w io.Writer = io.Discard
		if os.Getenv("STACKTEST_LOG") != "" {
			w = os.Stderr
		}
		e.opts.Log = slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelDebug}))
		e.opts.FunctionOutput = w
	}
	if e.opts.S3Endpoint == "" {
		// One S3 server per test binary (or make test's), as for DynamoDB
		// Local; each stack's buckets are named after its table.
		e.opts.S3Endpoint = s3local.Endpoint(t)
	}
	e.mode = mode
	e.start()
	return e
}

// start assembles the stack and serves it; the server's URL is the links' base.
func (e *Env) start() {
	e.T.Helper()
	srv := httptest.NewUnstartedServer(nil)
	e.cfg.PublicBaseURL = "http://" + srv.Listener.Addr().String()
	st := e.stack()
	srv.Config.Handler = st.Gateway
	srv.Start()
	e.Stack, e.Sys, e.Server = st, st.System, srv
	e.T.Cleanup(func() { srv.Close(); st.Close() })
}

// Restart stops the server and the ASL engine and assembles everything anew on
// the same table and address, as a restart of the local stack does.
func (e *Env) Restart() {
	e.T.Helper()
	addr := e.Server.Listener.Addr().String()
	e.Server.Close()
	if err := e.Stack.Close(); err != nil {
		e.T.Fatal(err)
	}
	st := e.stack()
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		e.T.Fatal(err)
	}
	srv := &httptest.Server{Listener: ln, Config: &http.Server{Handler: st.Gateway}}
	srv.Start()
	e.Stack, e.Sys, e.Server = st, st.System, srv
	e.T.Cleanup(func() { srv.Close(); st.Close() })
}

// stack assembles the local stack for the env's mode.
func (e *Env) stack() *localstack.Stack {
	e.T.Helper()
	st, err := localstack.New(context.Background(), e.cfg, e.opts)
	if err != nil {
		e.T.Fatal(err)
	}
	if e.mode != config.ModeLocal {
		st.Gateway.Local = nil
	}
	return st
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
