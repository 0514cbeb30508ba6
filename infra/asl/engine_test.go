package asl

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	sfntypes "github.com/aws/aws-sdk-go-v2/service/sfn/types"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// approvalDefinition asks two approvers in parallel through callback tasks,
// the way the approval state machine does, with work before and after.
const approvalDefinition = `{
  "StartAt": "Prepare",
  "States": {
    "Prepare": {"Type": "Task", "Resource": "${PrepareFunctionArn}", "ResultPath": "$.prepared", "Next": "Cooldown"},
    "Cooldown": {"Type": "Wait", "Seconds": 60, "Next": "Approvals"},
    "Approvals": {
      "Type": "Parallel", "ResultPath": "$.decisions", "Next": "Finalize",
      "Branches": [
        {"StartAt": "AskCEO", "States": {"AskCEO": {
          "Type": "Task", "Resource": "arn:aws:states:::lambda:invoke.waitForTaskToken",
          "Parameters": {"FunctionName": "${NotifyFunctionArn}", "Payload": {"approver": "ceo", "token.$": "$$.Task.Token"}},
          "End": true}}},
        {"StartAt": "AskCFO", "States": {"AskCFO": {
          "Type": "Task", "Resource": "arn:aws:states:::lambda:invoke.waitForTaskToken",
          "Parameters": {"FunctionName": "${NotifyFunctionArn}", "Payload": {"approver": "cfo", "token.$": "$$.Task.Token"}},
          "End": true}}}
      ]
    },
    "Finalize": {"Type": "Task", "Resource": "${FinalizeFunctionArn}", "End": true}
  }
}`

// approvalFixture counts handler calls across engines and hands out the
// tokens the Notify handler receives, as the approval e-mails would.
type approvalFixture struct {
	mu     sync.Mutex
	calls  map[string]int
	tokens chan notification
}

type notification struct {
	Approver string `json:"approver"`
	Token    string `json:"token"`
}

func newApprovalFixture() *approvalFixture {
	return &approvalFixture{calls: map[string]int{}, tokens: make(chan notification, 10)}
}

func (f *approvalFixture) count(name string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls[name]
}

// register installs the handlers and the state machine on an engine.
func (f *approvalFixture) register(t *testing.T, e *Engine) string {
	t.Helper()
	record := func(name string) {
		f.mu.Lock()
		defer f.mu.Unlock()
		f.calls[name]++
	}
	e.RegisterHandler(functionArn("Prepare"), func(_ context.Context, in json.RawMessage) (json.RawMessage, error) {
		record("Prepare")
		return json.RawMessage(`{"ready":true}`), nil
	})
	e.RegisterHandler(functionArn("Notify"), func(_ context.Context, in json.RawMessage) (json.RawMessage, error) {
		var n notification
		if err := json.Unmarshal(in, &n); err != nil {
			return nil, err
		}
		record("Notify/" + n.Approver)
		f.tokens <- n
		return json.RawMessage(`{"sent":true}`), nil
	})
	e.RegisterHandler(functionArn("Finalize"), func(_ context.Context, in json.RawMessage) (json.RawMessage, error) {
		record("Finalize")
		return in, nil
	})
	arn, err := e.RegisterStateMachine("Approval", []byte(approvalDefinition), map[string]string{
		"PrepareFunctionArn":  functionArn("Prepare"),
		"NotifyFunctionArn":   functionArn("Notify"),
		"FinalizeFunctionArn": functionArn("Finalize"),
	})
	if err != nil {
		t.Fatal(err)
	}
	return arn
}

// receive waits for the next notification.
func (f *approvalFixture) receive(t *testing.T) notification {
	t.Helper()
	select {
	case n := <-f.tokens:
		return n
	case <-time.After(5 * time.Second):
		t.Fatal("no notification arrived")
		return notification{}
	}
}

func start(t *testing.T, e *Engine, arn, name, input string) string {
	t.Helper()
	out, err := e.StartExecution(context.Background(), &sfn.StartExecutionInput{
		StateMachineArn: aws.String(arn), Name: aws.String(name), Input: aws.String(input),
	})
	if err != nil {
		t.Fatalf("StartExecution: %v", err)
	}
	return *out.ExecutionArn
}

func waitFor(t *testing.T, e *Engine, executionArn string) ExecutionRecord {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	rec, err := e.Wait(ctx, executionArn)
	if err != nil {
		t.Fatalf("Wait: %v", err)
	}
	return rec
}

func sendSuccess(e *Engine, token, output string) error {
	_, err := e.SendTaskSuccess(context.Background(), &sfn.SendTaskSuccessInput{TaskToken: aws.String(token), Output: aws.String(output)})
	return err
}

func describe(t *testing.T, e *Engine, executionArn string) *sfn.DescribeExecutionOutput {
	t.Helper()
	out, err := e.DescribeExecution(context.Background(), &sfn.DescribeExecutionInput{ExecutionArn: aws.String(executionArn)})
	if err != nil {
		t.Fatalf("DescribeExecution: %v", err)
	}
	return out
}

// TestRestartResumesWaitingTokens crashes an engine while two callback
// tasks of a Parallel wait, resumes on a new engine and completes both
// original tokens: one while no engine runs the execution, one afterwards.
func TestRestartResumesWaitingTokens(t *testing.T) {
	store := NewMemoryStore()
	clock := NewFakeClock(goldenStart)
	stop := clock.StartAutoAdvance()
	defer stop()
	fixture := newApprovalFixture()

	engineA := newTestEngine(t, clock, store)
	arn := fixture.register(t, engineA)
	execArn := start(t, engineA, arn, "submission-1-rev-1", `{"submission":"s-1"}`)
	tokens := map[string]string{}
	for range 2 {
		n := fixture.receive(t)
		tokens[n.Approver] = n.Token
	}
	if err := engineA.Close(); err != nil {
		t.Fatal(err)
	}
	if got := describe(t, engineA, execArn).Status; got != sfntypes.ExecutionStatusRunning {
		t.Fatalf("after the crash the execution is %s, want RUNNING", got)
	}

	engineB := newTestEngine(t, clock, store)
	fixture.register(t, engineB)
	// The CEO decides while nothing runs the execution: the outcome is
	// recorded and the replay picks it up.
	if err := sendSuccess(engineB, tokens["ceo"], `{"approved":true,"by":"ceo"}`); err != nil {
		t.Fatalf("SendTaskSuccess before Resume: %v", err)
	}
	resumed, err := engineB.Resume(context.Background())
	if err != nil || resumed != 1 {
		t.Fatalf("Resume = %d, %v; want 1 execution", resumed, err)
	}
	if again, _ := engineB.Resume(context.Background()); again != 0 {
		t.Errorf("a second Resume restarted %d executions, want 0", again)
	}
	if err := sendSuccess(engineB, tokens["cfo"], `{"approved":true,"by":"cfo"}`); err != nil {
		t.Fatalf("SendTaskSuccess after Resume: %v", err)
	}
	rec := waitFor(t, engineB, execArn)
	if rec.Status != StatusSucceeded {
		t.Fatalf("status %s (%s: %s), want SUCCEEDED", rec.Status, rec.Error, rec.Cause)
	}
	want := map[string]any{
		"submission": "s-1",
		"prepared":   map[string]any{"ready": true},
		"decisions":  []any{map[string]any{"approved": true, "by": "ceo"}, map[string]any{"approved": true, "by": "cfo"}},
	}
	if diff := cmp.Diff(want, decodeForTest(t, rec.Output)); diff != "" {
		t.Errorf("output (-want +got):\n%s", diff)
	}
	for name, want := range map[string]int{"Prepare": 1, "Notify/ceo": 1, "Notify/cfo": 1, "Finalize": 1} {
		if got := fixture.count(name); got != want {
			t.Errorf("%s ran %d times, want %d", name, got, want)
		}
	}
	var timedOut *sfntypes.TaskTimedOut
	if err := sendSuccess(engineB, tokens["cfo"], `{}`); !errors.As(err, &timedOut) {
		t.Errorf("completing a token twice: got %v, want TaskTimedOut", err)
	}
}

// TestRestartKeepsDeadlines checks that a resumed callback task times out
// at its original deadline and that a resumed Wait keeps its wake-up time.
func TestRestartKeepsDeadlines(t *testing.T) {
	const definition = `{
      "StartAt": "Pause",
      "States": {
        "Pause": {"Type": "Wait", "Seconds": 600, "Next": "Ask"},
        "Ask": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke.waitForTaskToken", "TimeoutSeconds": 3600,
                "Parameters": {"FunctionName": "Notify", "Payload": {"approver": "ceo", "token.$": "$$.Task.Token"}},
                "Catch": [{"ErrorEquals": ["States.Timeout"], "ResultPath": "$.error", "Next": "Expired"}], "End": true},
        "Expired": {"Type": "Pass", "Parameters": {"error.$": "$.error.Error", "at.$": "$$.State.EnteredTime"}, "End": true}
      }
    }`
	store := NewMemoryStore()
	clock := NewFakeClock(goldenStart)
	fixture := newApprovalFixture()
	setup := func() (*Engine, string) {
		e := newTestEngine(t, clock, store)
		fixture.register(t, e)
		arn, err := e.RegisterStateMachine("Deadline", []byte(definition), nil)
		if err != nil {
			t.Fatal(err)
		}
		return e, arn
	}
	engineA, arn := setup()
	execArn := start(t, engineA, arn, "deadline", `{}`)
	awaitTimers(t, clock, 1)
	clock.Advance(300 * time.Second)
	engineA.Close() // crash halfway through the Wait

	engineB, _ := setup()
	if n, err := engineB.Resume(context.Background()); n != 1 || err != nil {
		t.Fatalf("Resume = %d, %v", n, err)
	}
	awaitTimers(t, clock, 1)
	clock.Advance(300 * time.Second) // the original wake-up time, not 600s after the restart
	fixture.receive(t)
	awaitTimers(t, clock, 1)
	clock.Advance(1800 * time.Second)
	engineB.Close() // crash again while the task waits

	engineC, _ := setup()
	if n, err := engineC.Resume(context.Background()); n != 1 || err != nil {
		t.Fatalf("Resume = %d, %v", n, err)
	}
	awaitTimers(t, clock, 1)
	clock.Advance(1800 * time.Second) // 3600s after the task started
	rec := waitFor(t, engineC, execArn)
	want := map[string]any{"error": ErrorTimeout, "at": "2024-01-01T01:10:00.000Z"}
	if diff := cmp.Diff(want, decodeForTest(t, rec.Output)); diff != "" {
		t.Errorf("output (-want +got):\n%s", diff)
	}
	if got := fixture.count("Notify/ceo"); got != 1 {
		t.Errorf("Notify ran %d times, want 1", got)
	}
}

// awaitTimers waits until the engine has scheduled n timers on the clock.
func awaitTimers(t *testing.T, clock *FakeClock, n int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for clock.PendingTimers() < n {
		if time.Now().After(deadline) {
			t.Fatalf("only %d timers pending, want %d", clock.PendingTimers(), n)
		}
		time.Sleep(time.Millisecond)
	}
}

// TestResumeReinvokesInterruptedHandler documents at-least-once delivery:
// a handler cut off by a crash runs again after the restart.
func TestResumeReinvokesInterruptedHandler(t *testing.T) {
	store := NewMemoryStore()
	clock := NewFakeClock(goldenStart)
	var calls atomic.Int32
	entered := make(chan struct{}, 1)
	setup := func() (*Engine, string) {
		e := newTestEngine(t, clock, store)
		e.RegisterHandler(functionArn("Work"), func(ctx context.Context, in json.RawMessage) (json.RawMessage, error) {
			if calls.Add(1) == 1 {
				entered <- struct{}{}
				<-ctx.Done() // the process dies while this call runs
				return nil, ctx.Err()
			}
			return json.RawMessage(`"done"`), nil
		})
		arn, err := e.RegisterStateMachine("Interrupted", []byte(`{"StartAt":"Work","States":{"Work":{"Type":"Task","Resource":"`+functionArn("Work")+`","End":true}}}`), nil)
		if err != nil {
			t.Fatal(err)
		}
		return e, arn
	}
	engineA, arn := setup()
	execArn := start(t, engineA, arn, "interrupted", `{}`)
	<-entered
	engineA.Close()
	engineB, _ := setup()
	if _, err := engineB.Resume(context.Background()); err != nil {
		t.Fatal(err)
	}
	rec := waitFor(t, engineB, execArn)
	if rec.Status != StatusSucceeded || rec.Output != `"done"` {
		t.Fatalf("got %s %s, want SUCCEEDED \"done\"", rec.Status, rec.Output)
	}
	if got := calls.Load(); got != 2 {
		t.Errorf("handler ran %d times, want 2 (at-least-once across a crash)", got)
	}
}

// TestConcurrentSendTaskSuccess races many completions of one token: exactly
// one wins and decides the output.
func TestConcurrentSendTaskSuccess(t *testing.T) {
	clock := NewFakeClock(goldenStart)
	fixture := newApprovalFixture()
	e := newTestEngine(t, clock, NewMemoryStore())
	fixture.register(t, e)
	arn, err := e.RegisterStateMachine("Race", []byte(`{"StartAt":"Ask","States":{"Ask":{
      "Type":"Task","Resource":"arn:aws:states:::lambda:invoke.waitForTaskToken",
      "Parameters":{"FunctionName":"Notify","Payload":{"approver":"ceo","token.$":"$$.Task.Token"}},"End":true}}}`), nil)
	if err != nil {
		t.Fatal(err)
	}
	execArn := start(t, e, arn, "race", `{}`)
	token := fixture.receive(t).Token

	const senders = 32
	errs := make([]error, senders)
	var wg sync.WaitGroup
	for i := range senders {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = sendSuccess(e, token, fmt.Sprintf(`{"winner":%d}`, i))
		}()
	}
	wg.Wait()
	winner := -1
	for i, err := range errs {
		var timedOut *sfntypes.TaskTimedOut
		switch {
		case err == nil && winner >= 0:
			t.Errorf("senders %d and %d both succeeded", winner, i)
		case err == nil:
			winner = i
		case !errors.As(err, &timedOut):
			t.Errorf("sender %d: got %v, want TaskTimedOut", i, err)
		}
	}
	if winner < 0 {
		t.Fatal("no sender succeeded")
	}
	rec := waitFor(t, e, execArn)
	if want := fmt.Sprintf(`{"winner":%d}`, winner); rec.Output != want {
		t.Errorf("output %s, want the winner's %s", rec.Output, want)
	}
}

// TestAbandonedBranchTokenIsRejected checks that the token of a task whose
// Parallel branch was cancelled no longer completes anything.
func TestAbandonedBranchTokenIsRejected(t *testing.T) {
	clock := NewFakeClock(goldenStart)
	stop := clock.StartAutoAdvance()
	defer stop()
	fixture := newApprovalFixture()
	e := newTestEngine(t, clock, NewMemoryStore())
	fixture.register(t, e)
	arn, err := e.RegisterStateMachine("Abandon", []byte(`{"StartAt":"Both","States":{
      "Both":{"Type":"Parallel","Branches":[
        {"StartAt":"Ask","States":{"Ask":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke.waitForTaskToken",
          "Parameters":{"FunctionName":"Notify","Payload":{"approver":"first","token.$":"$$.Task.Token"}},"End":true}}},
        {"StartAt":"Later","States":{"Later":{"Type":"Wait","Seconds":10,"Next":"Stop"},"Stop":{"Type":"Fail","Error":"Withdrawn"}}}],
        "Catch":[{"ErrorEquals":["Withdrawn"],"Next":"AskAgain"}],"End":true},
      "AskAgain":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke.waitForTaskToken",
        "Parameters":{"FunctionName":"Notify","Payload":{"approver":"second","token.$":"$$.Task.Token"}},"End":true}}}`), nil)
	if err != nil {
		t.Fatal(err)
	}
	execArn := start(t, e, arn, "abandon", `{}`)
	first := fixture.receive(t)
	second := fixture.receive(t)
	if first.Approver != "first" || second.Approver != "second" {
		t.Fatalf("notifications %+v, %+v", first, second)
	}
	var timedOut *sfntypes.TaskTimedOut
	if err := sendSuccess(e, first.Token, `{}`); !errors.As(err, &timedOut) {
		t.Errorf("token of the cancelled branch: got %v, want TaskTimedOut", err)
	}
	if err := sendSuccess(e, second.Token, `"second"`); err != nil {
		t.Fatal(err)
	}
	if rec := waitFor(t, e, execArn); rec.Output != `"second"` {
		t.Errorf("output %s", rec.Output)
	}
	if err := sendSuccess(e, second.Token, `{}`); !errors.As(err, &timedOut) {
		t.Errorf("token of a finished execution: got %v, want TaskTimedOut", err)
	}
}

// TestAPIErrors checks the Step Functions error types the engine returns.
func TestAPIErrors(t *testing.T) {
	clock := NewFakeClock(goldenStart)
	fixture := newApprovalFixture()
	e := newTestEngine(t, clock, NewMemoryStore())
	arn := fixture.register(t, e)
	ctx := context.Background()
	wellFormedUnknown := strings.Repeat("A", 43)

	tests := []struct {
		name string
		call func() error
		is   func(error) bool
	}{
		{"unknown state machine", func() error {
			_, err := e.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: aws.String(e.StateMachineArn("Nope"))})
			return err
		}, isError[*sfntypes.StateMachineDoesNotExist]},
		{"invalid execution name", func() error {
			_, err := e.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: aws.String(arn), Name: aws.String("has space")})
			return err
		}, isError[*sfntypes.InvalidName]},
		{"invalid execution input", func() error {
			_, err := e.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: aws.String(arn), Input: aws.String("{not json")})
			return err
		}, isError[*sfntypes.InvalidExecutionInput]},
		{"malformed token", func() error { return sendSuccess(e, "not-a-token", `{}`) }, isError[*sfntypes.InvalidToken]},
		{"unknown token", func() error { return sendSuccess(e, wellFormedUnknown, `{}`) }, isError[*sfntypes.TaskDoesNotExist]},
		{"invalid task output", func() error { return sendSuccess(e, wellFormedUnknown, `{oops`) }, isError[*sfntypes.InvalidOutput]},
		{"failure with unknown token", func() error {
			_, err := e.SendTaskFailure(ctx, &sfn.SendTaskFailureInput{TaskToken: aws.String(wellFormedUnknown), Error: aws.String("X")})
			return err
		}, isError[*sfntypes.TaskDoesNotExist]},
		{"heartbeat with unknown token", func() error {
			_, err := e.SendTaskHeartbeat(ctx, &sfn.SendTaskHeartbeatInput{TaskToken: aws.String(wellFormedUnknown)})
			return err
		}, isError[*sfntypes.TaskDoesNotExist]},
		{"describe unknown execution", func() error {
			_, err := e.DescribeExecution(ctx, &sfn.DescribeExecutionInput{ExecutionArn: aws.String(e.ExecutionArn("Approval", "nope"))})
			return err
		}, isError[*sfntypes.ExecutionDoesNotExist]},
		{"start after close", func() error {
			closed := newTestEngine(t, clock, NewMemoryStore())
			closedArn := fixture.register(t, closed)
			closed.Close()
			_, err := closed.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: aws.String(closedArn)})
			return err
		}, func(err error) bool { return errors.Is(err, errEngineClosed) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.call(); !tt.is(err) {
				t.Errorf("got %T %v", err, err)
			}
		})
	}
}

// isError reports whether err is, or wraps, an error of type T.
func isError[T error](err error) bool {
	var target T
	return errors.As(err, &target)
}

// TestStartExecutionIsIdempotent checks Step Functions' rules for reusing
// an execution name.
func TestStartExecutionIsIdempotent(t *testing.T) {
	clock := NewFakeClock(goldenStart)
	stop := clock.StartAutoAdvance()
	defer stop()
	fixture := newApprovalFixture()
	e := newTestEngine(t, clock, NewMemoryStore())
	arn := fixture.register(t, e)

	first := start(t, e, arn, "submission-7", `{"n":1}`)
	if again := start(t, e, arn, "submission-7", `{"n":1}`); again != first {
		t.Errorf("same name and input gave %s, want %s", again, first)
	}
	var exists *sfntypes.ExecutionAlreadyExists
	_, err := e.StartExecution(context.Background(), &sfn.StartExecutionInput{
		StateMachineArn: aws.String(arn), Name: aws.String("submission-7"), Input: aws.String(`{"n":2}`),
	})
	if !errors.As(err, &exists) {
		t.Errorf("same name, other input: got %v, want ExecutionAlreadyExists", err)
	}
	for range 2 {
		n := fixture.receive(t)
		if err := sendSuccess(e, n.Token, `{}`); err != nil {
			t.Fatal(err)
		}
	}
	waitFor(t, e, first)
	_, err = e.StartExecution(context.Background(), &sfn.StartExecutionInput{
		StateMachineArn: aws.String(arn), Name: aws.String("submission-7"), Input: aws.String(`{"n":1}`),
	})
	if !errors.As(err, &exists) {
		t.Errorf("name of a finished execution: got %v, want ExecutionAlreadyExists", err)
	}
	if got := fixture.count("Prepare"); got != 1 {
		t.Errorf("Prepare ran %d times, want 1", got)
	}

	generated, err := e.StartExecution(context.Background(), &sfn.StartExecutionInput{StateMachineArn: aws.String(arn)})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(*generated.ExecutionArn, "arn:aws:states:us-east-1:123456789012:execution:Approval:") {
		t.Errorf("generated execution ARN %s", *generated.ExecutionArn)
	}
}

// TestDescribeExecution checks the fields of a finished execution.
func TestDescribeExecution(t *testing.T) {
	clock := NewFakeClock(goldenStart)
	stop := clock.StartAutoAdvance()
	defer stop()
	e := newTestEngine(t, clock, NewMemoryStore())
	arn, err := e.RegisterStateMachine("Describe", []byte(`{"StartAt":"W","States":{
      "W":{"Type":"Wait","Seconds":5,"Next":"F"},"F":{"Type":"Fail","Error":"Rejected","Cause":"too expensive"}}}`), nil)
	if err != nil {
		t.Fatal(err)
	}
	execArn := start(t, e, arn, "describe-me", `{"a":1}`)
	waitFor(t, e, execArn)
	got := describe(t, e, execArn)
	want := &sfn.DescribeExecutionOutput{
		ExecutionArn:    aws.String(execArn),
		StateMachineArn: aws.String(arn),
		Name:            aws.String("describe-me"),
		Status:          sfntypes.ExecutionStatusFailed,
		StartDate:       aws.Time(goldenStart),
		StopDate:        aws.Time(goldenStart.Add(5 * time.Second)),
		Input:           aws.String(`{"a":1}`),
		InputDetails:    &sfntypes.CloudWatchEventsExecutionDataDetails{Included: true},
		Error:           aws.String("Rejected"),
		Cause:           aws.String("too expensive"),
		RedriveCount:    aws.Int32(0),
	}
	opts := cmp.Options{
		cmp.Comparer(func(a, b time.Time) bool { return a.Equal(b) }),
		cmpopts.IgnoreFields(sfn.DescribeExecutionOutput{}, "ResultMetadata"),
		cmpopts.IgnoreUnexported(sfn.DescribeExecutionOutput{}, sfntypes.CloudWatchEventsExecutionDataDetails{}),
	}
	if diff := cmp.Diff(want, got, opts...); diff != "" {
		t.Errorf("DescribeExecution (-want +got):\n%s", diff)
	}
}

// TestHeartbeatAfterCompletion checks heartbeats for a finished task.
func TestHeartbeatAfterCompletion(t *testing.T) {
	clock := NewFakeClock(goldenStart)
	fixture := newApprovalFixture()
	e := newTestEngine(t, clock, NewMemoryStore())
	arn := fixture.register(t, e)
	execArn := start(t, e, arn, "heartbeat", `{}`)
	stop := clock.StartAutoAdvance()
	defer stop()
	n := fixture.receive(t)
	if _, err := e.SendTaskHeartbeat(context.Background(), &sfn.SendTaskHeartbeatInput{TaskToken: aws.String(n.Token)}); err != nil {
		t.Fatalf("heartbeat of a waiting task: %v", err)
	}
	if err := sendSuccess(e, n.Token, `{}`); err != nil {
		t.Fatal(err)
	}
	_, err := e.SendTaskHeartbeat(context.Background(), &sfn.SendTaskHeartbeatInput{TaskToken: aws.String(n.Token)})
	var timedOut *sfntypes.TaskTimedOut
	if !errors.As(err, &timedOut) {
		t.Errorf("heartbeat of a completed task: got %v, want TaskTimedOut", err)
	}
	m := fixture.receive(t)
	if err := sendSuccess(e, m.Token, `{}`); err != nil {
		t.Fatal(err)
	}
	waitFor(t, e, execArn)
}

// flakyStore fails AppendHistory while broken is set, like an unreachable database.
type flakyStore struct {
	*MemoryStore
	broken atomic.Bool
}

func (s *flakyStore) AppendHistory(ctx context.Context, arn string, ev HistoryEvent) error {
	if s.broken.Load() {
		return errors.New("store unavailable")
	}
	return s.MemoryStore.AppendHistory(ctx, arn, ev)
}

// TestStoreFailureLeavesExecutionRunning checks that an execution the store
// cannot record stops but stays RUNNING, and continues on Resume.
func TestStoreFailureLeavesExecutionRunning(t *testing.T) {
	store := &flakyStore{MemoryStore: NewMemoryStore()}
	clock := NewFakeClock(goldenStart)
	e := newTestEngine(t, clock, store)
	var calls atomic.Int32
	e.RegisterHandler(functionArn("Work"), func(context.Context, json.RawMessage) (json.RawMessage, error) {
		calls.Add(1)
		return json.RawMessage(`"ok"`), nil
	})
	arn, err := e.RegisterStateMachine("Fragile", []byte(`{"StartAt":"Work","States":{"Work":{"Type":"Task","Resource":"`+functionArn("Work")+`","End":true}}}`), nil)
	if err != nil {
		t.Fatal(err)
	}
	store.broken.Store(true)
	execArn := start(t, e, arn, "fragile", `{}`)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	rec, err := e.Wait(ctx, execArn)
	if err == nil || rec.Status != StatusRunning {
		t.Fatalf("Wait = %s, %v; want RUNNING and an error", rec.Status, err)
	}
	store.broken.Store(false)
	if n, err := e.Resume(context.Background()); n != 1 || err != nil {
		t.Fatalf("Resume = %d, %v", n, err)
	}
	if rec := waitFor(t, e, execArn); rec.Status != StatusSucceeded {
		t.Fatalf("status %s after Resume", rec.Status)
	}
	if got := calls.Load(); got != 2 {
		t.Errorf("handler ran %d times, want 2 (its first result could not be recorded)", got)
	}
}

// TestRegisterReplacesDefinitionForNewExecutionsOnly checks that a running
// execution keeps the definition it started with.
func TestRegisterReplacesDefinitionForNewExecutionsOnly(t *testing.T) {
	store := NewMemoryStore()
	clock := NewFakeClock(goldenStart)
	fixture := newApprovalFixture()
	e := newTestEngine(t, clock, store)
	arn := fixture.register(t, e)
	execArn := start(t, e, arn, "old-definition", `{}`)
	stop := clock.StartAutoAdvance()
	defer stop()
	tokens := []notification{fixture.receive(t), fixture.receive(t)}
	if _, err := e.RegisterStateMachine("Approval", []byte(`{"StartAt":"Done","States":{"Done":{"Type":"Succeed"}}}`), nil); err != nil {
		t.Fatal(err)
	}
	for _, n := range tokens {
		if err := sendSuccess(e, n.Token, `{}`); err != nil {
			t.Fatal(err)
		}
	}
	if rec := waitFor(t, e, execArn); fixture.count("Finalize") != 1 || rec.Status != StatusSucceeded {
		t.Errorf("the running execution did not keep its definition: %s, Finalize ran %d times", rec.Status, fixture.count("Finalize"))
	}
}
