package localstack_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddb "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	sfntypes "github.com/aws/aws-sdk-go-v2/service/sfn/types"

	"productgov/infra/asl"
	"productgov/infra/deploy"
	"productgov/infra/dynamolocal"
	"productgov/infra/localstack"
	"productgov/infra/localstack/stacktest"
	"productgov/shared/directory"
)

// jobEnv is a stack on a fake engine clock with one commercial product, and
// a way to break and mend that product's stored item, so a page of the monthly
// assessment fails inside the real assessment bootstrap.
type jobEnv struct {
	*stacktest.Env
	clock   *asl.FakeClock
	admin   string
	product string
}

func newJobEnv(t *testing.T) *jobEnv {
	t.Helper()
	clock := asl.NewFakeClock(time.Now())
	e := stacktest.New(t, localstack.Options{EngineOptions: []asl.Option{asl.WithClock(clock)}})
	admin := e.Token("admin", directory.RoleAdmin)
	res := e.Do("POST", "/products", admin, map[string]any{"name": "云视讯", "level": "city", "mode": "self_built",
		"stage": "commercial", "noticeDate": "2024-01-01"})
	if res.Status != 201 {
		t.Fatalf("create product: %d %s", res.Status, res.Body)
	}
	return &jobEnv{Env: e, clock: clock, admin: admin, product: res.Map(t)["id"].(string)}
}

// setVersion writes the product item's ver attribute: a string breaks every
// read of the product (it is a number), a number mends it.
func (j *jobEnv) setVersion(t *testing.T, v ddb.AttributeValue) {
	t.Helper()
	_, err := j.Sys.Store.Client().UpdateItem(t.Context(), &dynamodb.UpdateItemInput{
		TableName: aws.String(j.Sys.Config.TableName),
		Key: map[string]ddb.AttributeValue{"pk": &ddb.AttributeValueMemberS{Value: "PRODUCT#" + j.product},
			"sk": &ddb.AttributeValueMemberS{Value: "PRODUCT"}},
		UpdateExpression:          aws.String("SET ver = :v"),
		ConditionExpression:       aws.String("attribute_exists(pk)"),
		ExpressionAttributeValues: map[string]ddb.AttributeValue{":v": v},
	})
	if err != nil {
		t.Fatal(err)
	}
}

func (j *jobEnv) startMonth(t *testing.T, name, month string) string {
	t.Helper()
	in, _ := json.Marshal(map[string]string{"month": month, "scheduledTime": ""})
	out, err := j.Stack.Engine.StartExecution(t.Context(), &sfn.StartExecutionInput{
		StateMachineArn: aws.String(j.Stack.MachineArns["MonthlyAssessmentStateMachine"]), Name: aws.String(name), Input: aws.String(string(in))})
	if err != nil {
		t.Fatal(err)
	}
	return *out.ExecutionArn
}

// history is the events of an execution and of the child executions of its
// Distributed Map (the pages run in those), as AWS lists them: under the
// machine "<machine>/<Map state's label>".
func (j *jobEnv) history(t *testing.T, arn string) []sfntypes.HistoryEvent {
	t.Helper()
	h, err := j.Stack.Engine.GetExecutionHistory(t.Context(), &sfn.GetExecutionHistoryInput{ExecutionArn: aws.String(arn)})
	if err != nil {
		t.Fatal(err)
	}
	events := h.Events
	children, err := j.Stack.Engine.ListExecutions(t.Context(), &sfn.ListExecutionsInput{
		StateMachineArn: aws.String(j.Stack.MachineArns["MonthlyAssessmentStateMachine"] + "/AssessSegments")})
	var none *sfntypes.StateMachineDoesNotExist
	if errors.As(err, &none) {
		return events // the Map has not started a child yet
	}
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range children.Executions {
		ch, err := j.Stack.Engine.GetExecutionHistory(t.Context(), &sfn.GetExecutionHistoryInput{ExecutionArn: c.ExecutionArn})
		if err != nil {
			t.Fatal(err)
		}
		events = append(events, ch.Events...)
	}
	return events
}

func (j *jobEnv) status(t *testing.T, arn string) sfntypes.ExecutionStatus {
	t.Helper()
	d, err := j.Stack.Engine.DescribeExecution(t.Context(), &sfn.DescribeExecutionInput{ExecutionArn: aws.String(arn)})
	if err != nil {
		t.Fatal(err)
	}
	return d.Status
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()
	for !cond() {
		select {
		case <-ctx.Done():
			t.Fatalf("timed out waiting for %s", what)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

func failedWith(events []sfntypes.HistoryEvent, name string) int {
	n := 0
	for _, ev := range events {
		if d := ev.TaskFailedEventDetails; d != nil && aws.ToString(d.Error) == name {
			n++
		}
	}
	return n
}

// A task that fails with Task.Transient once is retried by the state
// machine's Retry, and the retry shows in the execution's history.
func TestTransientTaskFailureIsRetried(t *testing.T) {
	j := newJobEnv(t)
	j.setVersion(t, &ddb.AttributeValueMemberS{Value: "broken"})
	arn := j.startMonth(t, "retry-once", "2026-05")
	waitFor(t, "a Task.Transient failure in the history", func() bool { return failedWith(j.history(t, arn), "Task.Transient") > 0 })
	j.setVersion(t, &ddb.AttributeValueMemberN{Value: "1"})
	waitFor(t, "the retry to succeed", func() bool {
		j.clock.Advance(5 * time.Second)
		return j.status(t, arn) == sfntypes.ExecutionStatusSucceeded
	})
	events := j.history(t, arn)
	if n := failedWith(events, "Task.Transient"); n != 1 {
		t.Fatalf("%d Task.Transient failures, want exactly one before the retry", n)
	}
	var cause string
	for _, ev := range events {
		if d := ev.TaskFailedEventDetails; d != nil {
			cause = aws.ToString(d.Cause)
		}
	}
	if !strings.Contains(cause, `"errorType":"Task.Transient"`) {
		t.Errorf("the failure's cause is not the runtime's report: %s", cause)
	}
	run := j.Do("GET", "/assessment-runs/2026-05", j.admin, nil).Map(t)
	if run["status"] != "succeeded" {
		t.Fatalf("run %v after a successful retry", run)
	}
}

// A task that fails for good exhausts its retries, lands in the Catch, and
// the run record says failed with the error; a re-run after the cause is
// mended succeeds.
func TestFailingJobIsRecordedFailedAndRerunWorks(t *testing.T) {
	j := newJobEnv(t)
	j.setVersion(t, &ddb.AttributeValueMemberS{Value: "broken"})
	stop := j.clock.StartAutoAdvance()
	arn := j.startMonth(t, "fails-for-good", "2026-05")
	waitFor(t, "the execution to fail", func() bool { return j.status(t, arn) == sfntypes.ExecutionStatusFailed })
	stop()
	if n := failedWith(j.history(t, arn), "Task.Transient"); n != 6 {
		t.Errorf("%d Task.Transient failures, want 6 (the first try and 5 retries)", n)
	}
	run := j.Do("GET", "/assessment-runs/2026-05", j.admin, nil).Map(t)
	if run["status"] != "failed" || run["error"] != "Task.Transient" || !strings.Contains(run["cause"].(string), "product unmarshal") {
		t.Fatalf("run record after the failure: %v", run)
	}
	j.setVersion(t, &ddb.AttributeValueMemberN{Value: "1"})
	arn = j.startMonth(t, "rerun", "2026-05")
	waitFor(t, "the re-run", func() bool { return j.status(t, arn) == sfntypes.ExecutionStatusSucceeded })
	run = j.Do("GET", "/assessment-runs/2026-05", j.admin, nil).Map(t)
	if run["status"] != "succeeded" || run["runs"] != float64(2) || run["error"] != nil {
		t.Fatalf("run record after the re-run: %v", run)
	}
}

// The history-event model the on-paper limits test computes with
// (infra/deploy.HistoryEvents) counts what the engine records for the real
// definitions: the assessment's parent and each of its segment children, and
// the settlement's parent. The engine counts events as AWS records them
// (checked against executions recorded on AWS in infra/asl).
func TestHistoryModelMatchesTheEngine(t *testing.T) {
	j := newJobEnv(t)
	root, err := dynamolocal.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	stop := j.clock.StartAutoAdvance()
	defer stop()
	arn := j.startMonth(t, "model", "2026-05")
	waitFor(t, "the run", func() bool { return j.status(t, arn) == sfntypes.ExecutionStatusSucceeded })

	assess, err := deploy.LoadDefinition(root, "monthly-assessment.asl.json")
	if err != nil {
		t.Fatal(err)
	}
	segments, _ := assess.State("AssessSegments")
	child, _ := segments.Processor()
	want := map[string]deploy.Definition{arn: assess}
	children, err := j.Stack.Engine.ListExecutions(t.Context(), &sfn.ListExecutionsInput{
		StateMachineArn: aws.String(j.Stack.MachineArns["MonthlyAssessmentStateMachine"] + "/AssessSegments")})
	if err != nil {
		t.Fatal(err)
	}
	if len(children.Executions) != 2*j.Sys.Store.Shards() {
		t.Fatalf("%d segment children, want %d", len(children.Executions), 2*j.Sys.Store.Shards())
	}
	for _, c := range children.Executions {
		want[aws.ToString(c.ExecutionArn)] = child // one product: every segment is one page
	}

	in, _ := json.Marshal(map[string]string{"job": "quarter", "period": "2026-Q1", "scheduledTime": ""})
	out, err := j.Stack.Engine.StartExecution(t.Context(), &sfn.StartExecutionInput{
		StateMachineArn: aws.String(j.Stack.MachineArns["QuarterlySettlementStateMachine"]), Name: aws.String("model"), Input: aws.String(string(in))})
	if err != nil {
		t.Fatal(err)
	}
	settleArn := aws.ToString(out.ExecutionArn)
	waitFor(t, "the settlement", func() bool { return j.status(t, settleArn) == sfntypes.ExecutionStatusSucceeded })
	if want[settleArn], err = deploy.LoadDefinition(root, "quarterly-settlement.asl.json"); err != nil {
		t.Fatal(err)
	}

	for execution, def := range want {
		model, err := deploy.HistoryEvents(def, deploy.Walk{})
		if err != nil {
			t.Fatal(err)
		}
		stats, ok := j.Stack.Engine.ExecutionStats(execution)
		if !ok {
			t.Fatalf("no statistics for %s", execution)
		}
		if stats.HistoryEvents != int64(model) {
			t.Errorf("%s: the engine recorded %d history events, the model counts %d", execution, stats.HistoryEvents, model)
		}
	}
}
