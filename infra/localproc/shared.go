package localproc

import (
	"context"
	"os"
	"sync"
	"testing"
	"time"
)

// Shared is the one service a test binary starts on first use, unless an
// environment variable names a running one (as `make test` does for every
// test binary).
type Shared struct {
	once     sync.Once
	endpoint string
	stop     func()
	err      error
}

// Endpoint returns the value of env when set; otherwise it calls start once
// (with timeout) and returns the endpoint it started, failing tb if it could not.
func (s *Shared) Endpoint(tb testing.TB, env string, timeout time.Duration, start func(ctx context.Context) (endpoint string, stop func(), err error)) string {
	tb.Helper()
	if ep := os.Getenv(env); ep != "" {
		return ep
	}
	s.once.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), timeout)
		defer cancel()
		s.endpoint, s.stop, s.err = start(ctx)
	})
	if s.err != nil {
		tb.Fatalf("start the service %s names: %v", env, s.err)
	}
	return s.endpoint
}

// Stop stops the service Endpoint started, if it started one.
func (s *Shared) Stop() {
	if s.stop != nil {
		s.stop()
	}
}
