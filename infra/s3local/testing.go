package s3local

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/s3"

	"productgov/infra/localproc"
)

// shared is the S3 server this test binary starts, if it starts one.
var shared localproc.Shared

// RunTests is TestMain's body for packages whose tests use S3: it runs the
// tests and then stops the server this binary may have started.
func RunTests(m *testing.M) int {
	code := m.Run()
	shared.Stop()
	return code
}

// Endpoint returns the S3 endpoint for tests, starting a server (in memory,
// random loopback port) on first use when EndpointEnv is not set.
func Endpoint(tb testing.TB) string {
	tb.Helper()
	return shared.Endpoint(tb, EndpointEnv, 3*time.Minute, func(ctx context.Context) (string, func(), error) {
		inst, err := Start(ctx, Options{})
		if err != nil {
			return "", nil, err
		}
		return inst.Endpoint, inst.Stop, nil
	})
}

// NewTestBucket creates a fresh, uniquely named bucket on the test server,
// so tests never see each other's objects.
func NewTestBucket(tb testing.TB) (*s3.Client, string) {
	tb.Helper()
	client := NewClient(Endpoint(tb))
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	name := "test-" + hex.EncodeToString(b)
	if err := EnsureBucket(context.Background(), client, name); err != nil {
		tb.Fatal(err)
	}
	return client, name
}

// StopShared stops the server this test binary started, if it started one:
// for a TestMain that already runs another service's RunTests.
func StopShared() { shared.Stop() }
