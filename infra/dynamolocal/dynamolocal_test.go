package dynamolocal

import (
	"context"
	"os"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
)

func TestMain(m *testing.M) { os.Exit(RunTests(m)) }

func TestTableFromTemplate(t *testing.T) {
	client, name := NewTestTable(t)
	out, err := client.DescribeTable(context.Background(), &dynamodb.DescribeTableInput{TableName: aws.String(name)})
	if err != nil {
		t.Fatal(err)
	}
	def, err := TableDefinition()
	if err != nil {
		t.Fatal(err)
	}
	if got, want := len(out.Table.GlobalSecondaryIndexes), len(def.GlobalSecondaryIndexes); got != want || want == 0 {
		t.Fatalf("indexes: got %d, template declares %d", got, want)
	}
	if got := aws.ToString(out.Table.KeySchema[0].AttributeName); got != def.KeySchema[0].AttributeName {
		t.Errorf("hash key %q, template %q", got, def.KeySchema[0].AttributeName)
	}
	// Creating it again is harmless: make run calls it at every start.
	if err := EnsureTable(context.Background(), client, name); err != nil {
		t.Fatal(err)
	}
}
