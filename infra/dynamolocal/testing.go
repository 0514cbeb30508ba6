package dynamolocal

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"productgov/infra/localproc"
	"productgov/shared/store"
)

// EndpointEnv names the variable through which `make test` hands every test
// binary one shared DynamoDB Local; when it is unset a test binary starts its own.
const EndpointEnv = "DYNAMODB_ENDPOINT"

// shared is the DynamoDB Local this test binary starts, if it starts one.
var shared localproc.Shared

// RunTests is TestMain's body for packages whose tests touch the store: it runs
// the tests and then stops the DynamoDB Local this binary may have started.
func RunTests(m *testing.M) int {
	code := m.Run()
	shared.Stop()
	return code
}

// Endpoint returns the DynamoDB Local endpoint for tests, starting one (in
// memory, random loopback port) on first use when EndpointEnv is not set.
func Endpoint(tb testing.TB) string {
	tb.Helper()
	return shared.Endpoint(tb, EndpointEnv, 90*time.Second, func(ctx context.Context) (string, func(), error) {
		inst, err := Start(ctx, Options{})
		if err != nil {
			return "", nil, err
		}
		return inst.Endpoint, inst.Stop, nil
	})
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
