package aslstore

import (
	"os"
	"testing"

	"productgov/infra/asl"
	"productgov/infra/dynamolocal"
)

func TestMain(m *testing.M) { os.Exit(dynamolocal.RunTests(m)) }

// The DynamoDB store passes the same conformance suite as the engine's
// in-memory store, on DynamoDB Local.
func TestStoreConformance(t *testing.T) {
	asl.TestExecutionStore(t, func(t *testing.T) asl.ExecutionStore {
		client, table := dynamolocal.NewTestTable(t)
		return New(client, table)
	})
}
