package lambdaservice_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/aws-sdk-go-v2/service/sfn"

	"productgov/infra/asl"
	"productgov/infra/dynamolocal"
	"productgov/infra/lambdaservice"
)

func probe(t *testing.T) (bootstrap, rie string) {
	t.Helper()
	root, err := dynamolocal.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	if _, rie, err = lambdaservice.Artifacts(t.Context(), root); err != nil {
		t.Fatal(err)
	}
	bootstrap = filepath.Join(t.TempDir(), "bootstrap")
	cmd := exec.Command("go", "build", "-tags", "lambda.norpc", "-trimpath", "-o", bootstrap, "./infra/lambdaservice/testdata/probe")
	cmd.Dir, cmd.Env = root, append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("build probe: %v\n%s", err, out)
	}
	return bootstrap, rie
}

// The engine, calling through the Lambda Invoke API, sees the error names
// Step Functions would: the runtime's errorType, Sandbox.Timedout,
// Runtime.ExitError, Lambda.ResourceNotFoundException.
func TestFunctionErrorsReachTheEngineByName(t *testing.T) {
	bootstrap, rie := probe(t)
	var mu sync.Mutex
	var dead []lambdaservice.DeadLetter
	mark := filepath.Join(t.TempDir(), "mark")
	svc, err := lambdaservice.New([]lambdaservice.Function{{Name: "probe", Bootstrap: bootstrap, Timeout: 2 * time.Second,
		Concurrency: 2, MaxRetryAttempts: 2, Env: map[string]string{"PROBE_MARK": mark}}},
		lambdaservice.Options{RIE: rie, RetryDelays: []time.Duration{10 * time.Millisecond},
			DeadLetter: func(d lambdaservice.DeadLetter) { mu.Lock(); dead = append(dead, d); mu.Unlock() }})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { svc.Close() })
	srv := httptest.NewServer(svc)
	t.Cleanup(srv.Close)
	client := lambda.NewFromConfig(aws.Config{Region: "us-east-1", Credentials: credentials.NewStaticCredentialsProvider("k", "s", "")},
		func(o *lambda.Options) { o.BaseEndpoint = aws.String(srv.URL); o.RetryMaxAttempts = 1 })
	engine := asl.NewEngine(asl.WithLambdaInvoker(client))
	t.Cleanup(func() { engine.Close() })
	arn, err := engine.RegisterStateMachine("probe", []byte(`{"StartAt":"Call","States":{"Call":{"Type":"Task",
		"Resource":"arn:aws:states:::lambda:invoke","Parameters":{"FunctionName.$":"$.fn","Payload":{"do.$":"$.do"}},
		"ResultSelector":{"echo.$":"$.Payload.do"},"End":true}}}`), nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct{ fn, do, error, cause string }{
		{"probe", "ok", "", ""},
		{"arn:aws:lambda:us-east-1:000000000000:function:probe", "ok", "", ""},
		{"probe", "named", "Task.Transient", "the store was busy"},
		{"probe", "plain", "errorString", "plain failure"},
		{"probe", "panic", "string", "boom"},
		{"probe", "exit", "Runtime.ExitError", "exit status 3"},
		{"probe", "sleep", "Sandbox.Timedout", "Task timed out after 2.00 seconds"},
		{"probe", "ok", "", ""}, // a fresh runtime after the crashes
		{"nobody", "ok", "Lambda.ResourceNotFoundException", "Function not found"},
	} {
		in, _ := json.Marshal(map[string]string{"fn": tt.fn, "do": tt.do})
		out, err := engine.StartExecution(t.Context(), sfnStart{arn, string(in)}.input())
		if err != nil {
			t.Fatal(err)
		}
		rec, err := engine.Wait(t.Context(), *out.ExecutionArn)
		if err != nil {
			t.Fatal(err)
		}
		if rec.Error != tt.error || !strings.Contains(rec.Cause, tt.cause) {
			t.Errorf("%s %s: error %q cause %q, want %q containing %q", tt.fn, tt.do, rec.Error, rec.Cause, tt.error, tt.cause)
		}
		if tt.error == "" && rec.Output != `{"echo":"`+tt.do+`"}` {
			t.Errorf("%s %s: output %s", tt.fn, tt.do, rec.Output)
		}
	}

	// An Event invocation that keeps failing is retried, then dead-lettered.
	if err := os.WriteFile(mark, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := client.Invoke(t.Context(), &lambda.InvokeInput{FunctionName: aws.String("probe"),
		InvocationType: types.InvocationTypeEvent, Payload: []byte(`{"do":"fail-if-marked"}`)}); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	if err := svc.Settle(ctx); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(dead) != 1 || dead[0].Attempts != 3 || !strings.Contains(dead[0].Error, "marked") {
		t.Fatalf("dead letters: %+v", dead)
	}
	_, err = client.Invoke(t.Context(), &lambda.InvokeInput{FunctionName: aws.String("probe"), Payload: make([]byte, lambdaservice.MaxSyncPayload+10)})
	var tooLarge *types.RequestTooLargeException
	if !errors.As(err, &tooLarge) {
		t.Fatalf("oversized payload: %v", err)
	}
}

type sfnStart struct{ arn, body string }

func (s sfnStart) input() *sfn.StartExecutionInput {
	return &sfn.StartExecutionInput{StateMachineArn: aws.String(s.arn), Input: aws.String(s.body)}
}
