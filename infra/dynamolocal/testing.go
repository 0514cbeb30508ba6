package dynamolocal

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"productgov/shared/store"
)

// EndpointEnv names the variable through which `make test` hands every test
// binary one shared DynamoDB Local; when it is unset a test binary starts its own.
const EndpointEnv = "DYNAMODB_ENDPOINT"

var (
	shared     *Instance
	sharedErr  error
	sharedOnce sync.Once
)

// RunTests is TestMain's body for packages whose tests touch the store: it runs
// the tests and then stops the DynamoDB Local this binary may have started.
func RunTests(m *testing.M) int {
	code := m.Run()
	if shared != nil {
		shared.Stop()
	}
	return code
}

// Endpoint returns the DynamoDB Local endpoint for tests, starting one (in
// memory, random loopback port) on first use when EndpointEnv is not set.
func Endpoint(tb testing.TB) string {
	tb.Helper()
	if ep := os.Getenv(EndpointEnv); ep != "" {
		return ep
	}
	sharedOnce.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
		defer cancel()
		shared, sharedErr = Start(ctx, Options{})
	})
	if sharedErr != nil {
		tb.Fatalf("start DynamoDB Local: %v", sharedErr)
	}
	return shared.Endpoint
}

// NewTestTable creates a fresh, uniquely named table from template.yaml on the
// test DynamoDB Local, so tests never see each other's items.
func NewTestTable(tb testing.TB) (*dynamodb.Client, string) {
	tb.Helper()
	ctx := context.Background()
	client, err := store.NewClient(ctx, Endpoint(tb), "us-east-1")
	if err != nil {
		tb.Fatal(err)
	}
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	name := fmt.Sprintf("test-%s", hex.EncodeToString(b))
	if err := EnsureTable(ctx, client, name); err != nil {
		tb.Fatal(err)
	}
	return client, name
}
