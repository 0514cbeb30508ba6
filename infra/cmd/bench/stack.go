package main

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"time"

	"productgov/infra/bench"
	"productgov/infra/dynamolocal"
	"productgov/infra/localstack"
	"productgov/shared/config"
	"productgov/shared/directory"
	"productgov/shared/system"
)

// tableName is the table on the bench's own DynamoDB Local.
const tableName = "productgov"

// stack is the system under test: a private in-memory DynamoDB Local, the
// system assembled on it as the local runner (make run) does, and the API
// served over TCP on 127.0.0.1.
type stack struct {
	ddb     *dynamolocal.Instance
	local   *localstack.Stack
	sys     *system.System
	srv     *http.Server
	serve   chan error
	baseURL string
	// token is a bearer token of an admin and product manager.
	token string
	// functionRequests counts the functions' DynamoDB requests (through a
	// proxy: they run in their own processes); engineRequests the engine's.
	functionRequests, engineRequests *bench.RequestCounter
	proxy                            *http.Server
}

// startStack starts DynamoDB Local in memory, assembles the local stack on a
// fresh table (localstack.New: the functions' bootstraps under the runtime
// emulator, the table from template.yaml, the default policy, the state
// machine engine, the API gateway front) and serves the gateway on a random
// loopback port. The functions reach DynamoDB Local through a counting proxy.
// close undoes what succeeded.
func startStack(ctx context.Context, log *slog.Logger) (s *stack, err error) {
	s = &stack{}
	defer func() {
		if err != nil {
			s.close()
		}
	}()
	os.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	if s.ddb, err = dynamolocal.Start(ctx, dynamolocal.Options{}); err != nil {
		return s, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return s, fmt.Errorf("listen on 127.0.0.1: %w", err)
	}
	defer func() {
		if err != nil {
			ln.Close()
		}
	}()
	port := ln.Addr().(*net.TCPAddr).Port
	env := map[string]string{
		"APP_MODE": "local", "TABLE_NAME": tableName, "DYNAMODB_ENDPOINT": s.ddb.Endpoint,
		"JWT_SECRET": randomKey(), "LINK_SIGNING_KEY": randomKey(), "PORT": fmt.Sprint(port),
	}
	cfg, err := config.FromLookup(func(k string) (string, bool) { v, ok := env[k]; return v, ok })
	if err != nil {
		return s, err
	}
	s.functionRequests, s.engineRequests = bench.NewRequestCounter(), bench.NewRequestCounter()
	proxy, err := bench.NewCountingProxy(s.ddb.Endpoint, s.functionRequests)
	if err != nil {
		return s, err
	}
	pln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return s, err
	}
	s.proxy = &http.Server{Handler: proxy, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = s.proxy.Serve(pln) }()
	if s.local, err = localstack.New(ctx, cfg, localstack.Options{Log: log, FunctionDynamoEndpoint: "http://" + pln.Addr().String(),
		EngineDynamo: s.engineRequests.Client}); err != nil {
		return s, err
	}
	s.sys = s.local.System
	if s.token, err = s.sys.Issuer.Sign(directory.Person{Sub: benchSub, Name: "Bench", Email: benchSub + "@bench.productgov.local",
		Roles: []directory.Role{directory.RoleAdmin, directory.RoleProductManager}}); err != nil {
		return s, err
	}
	s.srv = &http.Server{Handler: s.local.Gateway, ReadHeaderTimeout: 10 * time.Second}
	s.serve = make(chan error, 1)
	go func() { s.serve <- s.srv.Serve(ln) }()
	s.baseURL = "http://" + ln.Addr().String()
	return s, nil
}

// benchSub is the person the bench acts as.
const benchSub = "bench"

// failed reports a server or DynamoDB Local that stopped during the run.
func (s *stack) failed() error {
	select {
	case err := <-s.serve:
		return fmt.Errorf("API server stopped: %w", err)
	case <-s.ddb.Done():
		return errors.New("DynamoDB Local exited")
	default:
		return nil
	}
}

// randomKey returns a fresh signing key (256 bits, 52 characters) for this run only.
func randomKey() string { return rand.Text() + rand.Text() }

// close stops the server, the stack and DynamoDB Local.
func (s *stack) close() {
	if s.srv != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		_ = s.srv.Shutdown(ctx)
		cancel()
	}
	if s.local != nil {
		_ = s.local.Close()
	}
	if s.proxy != nil {
		_ = s.proxy.Close()
	}
	if s.ddb != nil {
		s.ddb.Stop()
	}
}
