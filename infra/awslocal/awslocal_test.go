package awslocal_test

import (
	"context"
	"errors"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"
	sestypes "github.com/aws/aws-sdk-go-v2/service/sesv2/types"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	sfntypes "github.com/aws/aws-sdk-go-v2/service/sfn/types"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"

	"productgov/infra/asl"
	"productgov/infra/awslocal"
	"productgov/shared/mail"
)

type outbox struct {
	mu   sync.Mutex
	msgs []mail.Message
}

func (o *outbox) Send(_ context.Context, m mail.Message) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.msgs = append(o.msgs, m)
	return nil
}

// The Go SDK's clients, with nothing but their endpoint changed, work against
// the local Step Functions, SSM and SES.
func TestSDKClientsAgainstTheLocalEndpoint(t *testing.T) {
	engine := asl.NewEngine()
	t.Cleanup(func() { engine.Close() })
	waiting, err := engine.RegisterStateMachine("waits", []byte(`{"StartAt":"W","States":{"W":{"Type":"Wait","Seconds":3600,"End":true}}}`), nil)
	if err != nil {
		t.Fatal(err)
	}
	passing, err := engine.RegisterStateMachine("passes", []byte(`{"StartAt":"P","States":{"P":{"Type":"Pass","Result":{"ok":true},"End":true}}}`), nil)
	if err != nil {
		t.Fatal(err)
	}
	box := &outbox{}
	srv := httptest.NewServer(&awslocal.Server{
		StepFunctions: &awslocal.StepFunctions{Engine: engine},
		Parameters:    awslocal.NewParameters(map[string]string{"/productgov/link-signing-key": "secret-value"}),
		Mail:          &awslocal.Mail{Outbox: box},
	})
	t.Cleanup(srv.Close)
	cfg := aws.Config{Region: "us-east-1", Credentials: credentials.NewStaticCredentialsProvider("k", "s", "")}
	ctx := t.Context()

	states := sfn.NewFromConfig(cfg, func(o *sfn.Options) { o.BaseEndpoint = aws.String(srv.URL) })
	started, err := states.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: aws.String(passing), Name: aws.String("one"), Input: aws.String(`{"a":1}`)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := engine.Wait(ctx, *started.ExecutionArn); err != nil {
		t.Fatal(err)
	}
	d, err := states.DescribeExecution(ctx, &sfn.DescribeExecutionInput{ExecutionArn: started.ExecutionArn})
	if err != nil || d.Status != sfntypes.ExecutionStatusSucceeded || aws.ToString(d.Output) != `{"ok":true}` || d.StartDate == nil {
		t.Fatalf("describe: %+v %v", d, err)
	}
	h, err := states.GetExecutionHistory(ctx, &sfn.GetExecutionHistoryInput{ExecutionArn: started.ExecutionArn})
	if err != nil || len(h.Events) < 2 || h.Events[0].Type != sfntypes.HistoryEventTypeExecutionStarted ||
		h.Events[len(h.Events)-1].Type != sfntypes.HistoryEventTypeExecutionSucceeded {
		t.Fatalf("history: %+v %v", h, err)
	}

	long, err := states.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: aws.String(waiting), Name: aws.String("long")})
	if err != nil {
		t.Fatal(err)
	}
	list, err := states.ListExecutions(ctx, &sfn.ListExecutionsInput{StateMachineArn: aws.String(waiting), StatusFilter: sfntypes.ExecutionStatusRunning})
	if err != nil || len(list.Executions) != 1 || aws.ToString(list.Executions[0].Name) != "long" {
		t.Fatalf("list: %+v %v", list, err)
	}
	if _, err := states.StopExecution(ctx, &sfn.StopExecutionInput{ExecutionArn: long.ExecutionArn, Error: aws.String("Operator.Stopped")}); err != nil {
		t.Fatal(err)
	}
	if d, _ := states.DescribeExecution(ctx, &sfn.DescribeExecutionInput{ExecutionArn: long.ExecutionArn}); d.Status != sfntypes.ExecutionStatusAborted {
		t.Fatalf("stopped execution is %s", d.Status)
	}
	_, err = states.DescribeExecution(ctx, &sfn.DescribeExecutionInput{ExecutionArn: aws.String(strings.Replace(*long.ExecutionArn, "long", "nope", 1))})
	var missing *sfntypes.ExecutionDoesNotExist
	if !errors.As(err, &missing) {
		t.Fatalf("unknown execution: %v, want ExecutionDoesNotExist", err)
	}
	_, err = states.SendTaskSuccess(ctx, &sfn.SendTaskSuccessInput{TaskToken: aws.String("forged"), Output: aws.String("{}")})
	var badToken *sfntypes.InvalidToken
	if !errors.As(err, &badToken) {
		t.Fatalf("forged token: %v, want InvalidToken", err)
	}

	params := ssm.NewFromConfig(cfg, func(o *ssm.Options) { o.BaseEndpoint = aws.String(srv.URL) })
	p, err := params.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String("/productgov/link-signing-key"), WithDecryption: aws.Bool(true)})
	if err != nil || aws.ToString(p.Parameter.Value) != "secret-value" {
		t.Fatalf("get parameter: %+v %v", p, err)
	}
	_, err = params.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String("/nope")})
	var notFound *ssmtypes.ParameterNotFound
	if !errors.As(err, &notFound) {
		t.Fatalf("unknown parameter: %v, want ParameterNotFound", err)
	}

	ses := sesv2.NewFromConfig(cfg, func(o *sesv2.Options) { o.BaseEndpoint = aws.String(srv.URL) })
	sent, err := ses.SendEmail(ctx, &sesv2.SendEmailInput{FromEmailAddress: aws.String("a@x.test"),
		Destination: &sestypes.Destination{ToAddresses: []string{"vp@x.test"}},
		Content: &sestypes.EmailContent{Simple: &sestypes.Message{Subject: &sestypes.Content{Data: aws.String("审批")},
			Body: &sestypes.Body{Text: &sestypes.Content{Data: aws.String("请点击 http://127.0.0.1:8080/approvals/abc?sig=1 审批")}}}}})
	if err != nil || aws.ToString(sent.MessageId) == "" {
		t.Fatalf("send email: %v", err)
	}
	if len(box.msgs) != 1 || box.msgs[0].To != "vp@x.test" || len(box.msgs[0].Links) != 1 || box.msgs[0].Links[0] != "http://127.0.0.1:8080/approvals/abc?sig=1" {
		t.Fatalf("outbox: %+v", box.msgs)
	}
}

// A Distributed Map's Map Run and its child executions are visible through
// the SDK: ListMapRuns, DescribeMapRun and ListExecutions by MapRunArn.
func TestMapRunsThroughTheSDK(t *testing.T) {
	engine := asl.NewEngine()
	t.Cleanup(func() { engine.Close() })
	arn, err := engine.RegisterStateMachine("fans", []byte(`{"StartAt":"M","States":{"M":{"Type":"Map","ItemsPath":"$.xs",
	  "ItemProcessor":{"ProcessorConfig":{"Mode":"DISTRIBUTED","ExecutionType":"STANDARD"},"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}},"End":true}}}`), nil)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(&awslocal.Server{StepFunctions: &awslocal.StepFunctions{Engine: engine}})
	t.Cleanup(srv.Close)
	ctx := t.Context()
	states := sfn.NewFromConfig(aws.Config{Region: "us-east-1", Credentials: credentials.NewStaticCredentialsProvider("k", "s", "")},
		func(o *sfn.Options) { o.BaseEndpoint = aws.String(srv.URL) })
	started, err := states.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: aws.String(arn), Input: aws.String(`{"xs":[1,2,3]}`)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := engine.Wait(ctx, *started.ExecutionArn); err != nil {
		t.Fatal(err)
	}
	runs, err := states.ListMapRuns(ctx, &sfn.ListMapRunsInput{ExecutionArn: started.ExecutionArn})
	if err != nil || len(runs.MapRuns) != 1 {
		t.Fatalf("list map runs: %+v %v", runs, err)
	}
	run, err := states.DescribeMapRun(ctx, &sfn.DescribeMapRunInput{MapRunArn: runs.MapRuns[0].MapRunArn})
	if err != nil || run.Status != sfntypes.MapRunStatusSucceeded || run.ItemCounts.Succeeded != 3 || run.ExecutionCounts.Total != 3 {
		t.Fatalf("describe map run: %+v %v", run, err)
	}
	children, err := states.ListExecutions(ctx, &sfn.ListExecutionsInput{MapRunArn: runs.MapRuns[0].MapRunArn})
	if err != nil || len(children.Executions) != 3 || aws.ToString(children.Executions[0].MapRunArn) != aws.ToString(runs.MapRuns[0].MapRunArn) {
		t.Fatalf("children: %+v %v", children, err)
	}
}
