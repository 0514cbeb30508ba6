package s3local

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/s3"
)

var (
	shared     *Instance
	sharedErr  error
	sharedOnce sync.Once
)

// RunTests is TestMain's body for packages whose tests use S3: it runs the
// tests and then stops the server this binary may have started.
func RunTests(m *testing.M) int {
	code := m.Run()
	if shared != nil {
		shared.Stop()
	}
	return code
}

// Endpoint returns the S3 endpoint for tests, starting a server (in memory,
// random loopback port) on first use when EndpointEnv is not set.
func Endpoint(tb testing.TB) string {
	tb.Helper()
	if ep := os.Getenv(EndpointEnv); ep != "" {
		return ep
	}
	sharedOnce.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
		defer cancel()
		shared, sharedErr = Start(ctx, Options{})
	})
	if sharedErr != nil {
		tb.Fatalf("start local S3: %v", sharedErr)
	}
	return shared.Endpoint
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
