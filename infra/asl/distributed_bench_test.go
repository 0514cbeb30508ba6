package asl

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
)

// BenchmarkDistributedMap reads b.N×1,000 product ids from a JSON Lines
// object, batches them 100 a child (so 10 children per 1,000 items) and
// reports the children per second and the parent's history events and
// largest payload, which do not grow with the items.
func BenchmarkDistributedMap(b *testing.B) {
	for _, items := range []int{1000, 100000} {
		b.Run(fmt.Sprint(items), func(b *testing.B) {
			e, client, bucket := dmapEngine(b)
			var body strings.Builder
			for i := range items {
				fmt.Fprintf(&body, "{\"productId\":\"p-%06d\"}\n", i)
			}
			putObject(b, client, bucket, "plan.jsonl", body.String())
			def := `{"StartAt":"Map","States":{"Map":{"Type":"Map","ResultPath":null,
			  "ItemReader":{"Resource":"arn:aws:states:::s3:getObject","ReaderConfig":{"InputType":"JSONL"},"Parameters":{"Bucket":"${Bucket}","Key":"plan.jsonl"}},
			  "ItemBatcher":{"MaxItemsPerBatch":100},
			  "ItemProcessor":{"ProcessorConfig":{"Mode":"DISTRIBUTED","ExecutionType":"STANDARD"},"StartAt":"P","States":{"P":{"Type":"Pass","Parameters":{"n.$":"States.ArrayLength($.Items)"},"End":true}}},"End":true}}}`
			arn, err := e.RegisterStateMachine("Bench", []byte(def), map[string]string{"Bucket": bucket})
			if err != nil {
				b.Fatal(err)
			}
			var stats ExecutionStats
			b.ResetTimer()
			for range b.N {
				out, err := e.StartExecution(context.Background(), &sfn.StartExecutionInput{StateMachineArn: aws.String(arn)})
				if err != nil {
					b.Fatal(err)
				}
				rec, err := e.Wait(context.Background(), *out.ExecutionArn)
				if err != nil || rec.Status != StatusSucceeded {
					b.Fatalf("%v %s %s", err, rec.Status, rec.Cause)
				}
				stats, _ = e.ExecutionStats(rec.ExecutionArn)
			}
			b.ReportMetric(float64(items/100*b.N)/b.Elapsed().Seconds(), "children/s")
			b.ReportMetric(float64(stats.HistoryEvents), "parent-events")
			b.ReportMetric(float64(stats.LargestPayloadBytes), "parent-max-payload-B")
		})
	}
}
