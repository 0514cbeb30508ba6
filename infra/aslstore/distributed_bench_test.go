package aslstore

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"

	"productgov/infra/asl"
	"productgov/infra/dynamolocal"
)

// BenchmarkDistributedMapOnDynamoDB measures what a Map Run's child costs
// when executions persist in the table (as in make run): each child is a
// record created and finished, plus its history. 200 children of 10 items.
func BenchmarkDistributedMapOnDynamoDB(b *testing.B) {
	client, table := dynamolocal.NewTestTable(b)
	e := asl.NewEngine(asl.WithStore(New(client, table)))
	b.Cleanup(func() { e.Close() })
	ids := make([]string, 2000)
	for i := range ids {
		ids[i] = fmt.Sprintf(`"p-%04d"`, i)
	}
	input := `{"ids":[` + strings.Join(ids, ",") + `]}`
	arn, err := e.RegisterStateMachine("Bench", []byte(`{"StartAt":"Map","States":{"Map":{"Type":"Map","ItemsPath":"$.ids","ResultPath":null,
	  "ItemBatcher":{"MaxItemsPerBatch":10},"MaxConcurrency":16,
	  "ItemProcessor":{"ProcessorConfig":{"Mode":"DISTRIBUTED","ExecutionType":"STANDARD"},"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}},"End":true}}}`), nil)
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for range b.N {
		out, err := e.StartExecution(context.Background(), &sfn.StartExecutionInput{StateMachineArn: aws.String(arn), Input: aws.String(input)})
		if err != nil {
			b.Fatal(err)
		}
		if rec, err := e.Wait(context.Background(), *out.ExecutionArn); err != nil || rec.Status != asl.StatusSucceeded {
			b.Fatalf("%v %s %s", err, rec.Status, rec.Cause)
		}
	}
	b.ReportMetric(float64(200*b.N)/b.Elapsed().Seconds(), "children/s")
}
