package localstack_test

import (
	"context"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sfn"

	"productgov"
	"productgov/infra/localstack"
	"productgov/infra/localstack/stacktest"
	"productgov/infra/s3local"
)

func TestBucketName(t *testing.T) {
	tests := []struct{ table, id, want string }{
		{"productgov", "WorkBucket", "productgov-workbucket"},
		{"test-4f2a9c", "WorkBucket", "test-4f2a9c-workbucket"},
		{"Prod_Table.v2", "WorkBucket", "prod-table-v2-workbucket"},
		{strings.Repeat("t", 70), "WorkBucket", strings.Repeat("t", 52) + "-workbucket"},
	}
	for _, tt := range tests {
		if got := localstack.BucketName(tt.table, tt.id); got != tt.want {
			t.Errorf("BucketName(%q, %q) = %q, want %q", tt.table, tt.id, got, tt.want)
		}
	}
}

// TestWorkBucket: the template's bucket exists on the local S3 server under
// the name its !Ref resolves to in every function's environment, with the
// S3 endpoint beside it, and the engine's Distributed Maps read from it.
func TestWorkBucket(t *testing.T) {
	ids, err := localstack.Buckets(productgov.Template)
	if err != nil || len(ids) != 1 || ids[0] != "WorkBucket" {
		t.Fatalf("template buckets: %v %v", ids, err)
	}
	e := stacktest.New(t)
	bucket := e.Stack.Buckets["WorkBucket"]
	if bucket == "" {
		t.Fatal("no local WorkBucket")
	}
	for folder, env := range e.Stack.FunctionEnv {
		if env["WORK_BUCKET"] != bucket || env["AWS_ENDPOINT_URL_S3"] != e.Stack.S3Endpoint || env[s3local.PathStyleEnv] != "true" {
			t.Errorf("%s: WORK_BUCKET=%q AWS_ENDPOINT_URL_S3=%q %s=%q", folder, env["WORK_BUCKET"], env["AWS_ENDPOINT_URL_S3"], s3local.PathStyleEnv, env[s3local.PathStyleEnv])
		}
	}
	ctx := context.Background()
	if _, err := e.Stack.S3.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String("tmp/items.json"), Body: strings.NewReader(`[1,2,3]`)}); err != nil {
		t.Fatal(err)
	}
	arn, err := e.Stack.Engine.RegisterStateMachine("ReadsWorkBucket", []byte(`{"StartAt":"M","States":{"M":{"Type":"Map",
	  "ItemReader":{"Resource":"arn:aws:states:::s3:getObject","ReaderConfig":{"InputType":"JSON"},"Parameters":{"Bucket.$":"$.bucket","Key":"tmp/items.json"}},
	  "ItemProcessor":{"ProcessorConfig":{"Mode":"DISTRIBUTED","ExecutionType":"STANDARD"},"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}},"End":true}}}`), nil)
	if err != nil {
		t.Fatal(err)
	}
	out, err := e.Stack.Engine.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: aws.String(arn), Input: aws.String(`{"bucket":"` + bucket + `"}`)})
	if err != nil {
		t.Fatal(err)
	}
	rec, err := e.Stack.Engine.Wait(ctx, *out.ExecutionArn)
	if err != nil || rec.Output != "[1,2,3]" {
		t.Fatalf("%v %s %s %s %s", err, rec.Status, rec.Output, rec.Error, rec.Cause)
	}
}
