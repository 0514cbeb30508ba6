package asl

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	sfntypes "github.com/aws/aws-sdk-go-v2/service/sfn/types"
)

// Handler runs a Task state's work: it receives the task input as JSON and
// returns the task output as JSON. A returned *StatesError is reported with
// its name and cause as they are. Another error that has an ErrorName()
// string method (found with errors.As) is reported under that name, so Retry
// and Catch can match it; any other error under its Go type name, as the
// Lambda Go runtime does. Those two get a Lambda-style cause,
// {"errorMessage": ..., "errorType": ...}. A panic becomes Lambda.Unknown.
// A handler must return when ctx is cancelled (task timeout, failed sibling
// branch, Close); it may run again after a crash, so it must be idempotent.
type Handler func(ctx context.Context, input json.RawMessage) (json.RawMessage, error)

// StepFunctions is the part of the AWS Step Functions API the application
// uses. Both *sfn.Client and *Engine implement it, so the same code runs on
// AWS and on the local stack.
type StepFunctions interface {
	StartExecution(ctx context.Context, params *sfn.StartExecutionInput, optFns ...func(*sfn.Options)) (*sfn.StartExecutionOutput, error)
	SendTaskSuccess(ctx context.Context, params *sfn.SendTaskSuccessInput, optFns ...func(*sfn.Options)) (*sfn.SendTaskSuccessOutput, error)
	SendTaskFailure(ctx context.Context, params *sfn.SendTaskFailureInput, optFns ...func(*sfn.Options)) (*sfn.SendTaskFailureOutput, error)
	SendTaskHeartbeat(ctx context.Context, params *sfn.SendTaskHeartbeatInput, optFns ...func(*sfn.Options)) (*sfn.SendTaskHeartbeatOutput, error)
	DescribeExecution(ctx context.Context, params *sfn.DescribeExecutionInput, optFns ...func(*sfn.Options)) (*sfn.DescribeExecutionOutput, error)
}

var (
	_ StepFunctions = (*sfn.Client)(nil)
	_ StepFunctions = (*Engine)(nil)
)

// Engine runs state machines locally. Executions run asynchronously on
// goroutines and are persisted in an ExecutionStore, so a new Engine on the
// same store can Resume them after a restart.
type Engine struct {
	store   ExecutionStore
	clock   Clock
	act     activityTracker
	region  string
	account string
	logger  *slog.Logger

	randMu sync.Mutex
	random io.Reader

	// root is cancelled by Close; every execution runs under it.
	root context.Context
	stop context.CancelCauseFunc
	wg   sync.WaitGroup

	mu       sync.Mutex
	closed   bool
	machines map[string]*registeredMachine
	handlers map[string]Handler
	live     map[string]*execution
	// invoker, when set, runs every Lambda task through the Invoke API.
	invoker LambdaInvoker
	// s3 serves Distributed Map ItemReaders and ResultWriters.
	s3                S3
	mapRunConcurrency int
	historyLimit      int64
	payloadLimit      int64
	stats             statsStore
	mapRuns           mapRuns
}

// registeredMachine is a state machine known under an ARN.
type registeredMachine struct {
	arn        string
	name       string
	definition string
	machine    *stateMachine
	// child marks the machine of a Distributed Map's child executions; it
	// cannot be started by StartExecution.
	child bool
}

// Option configures an Engine.
type Option func(*Engine)

// WithStore persists executions in store instead of a fresh MemoryStore.
func WithStore(store ExecutionStore) Option { return func(e *Engine) { e.store = store } }

// WithClock replaces the wall clock, typically with a FakeClock in tests.
func WithClock(clock Clock) Option { return func(e *Engine) { e.clock = clock } }

// WithRegion sets the region used in ARNs (default us-east-1).
func WithRegion(region string) Option { return func(e *Engine) { e.region = region } }

// WithAccount sets the account ID used in ARNs (default 123456789012).
func WithAccount(account string) Option { return func(e *Engine) { e.account = account } }

// WithLogger sets where the engine reports problems it cannot return to a
// caller, such as a store failure in a running execution.
func WithLogger(logger *slog.Logger) Option { return func(e *Engine) { e.logger = logger } }

// WithRandom replaces crypto/rand as the source of execution secrets and
// generated execution names. Tests pass a seeded source to get stable
// tokens; production code should not use this option.
func WithRandom(r io.Reader) Option { return func(e *Engine) { e.random = r } }

// NewEngine returns a running Engine. Call Close to stop it.
func NewEngine(opts ...Option) *Engine {
	e := &Engine{
		region:   "us-east-1",
		account:  "123456789012",
		machines: map[string]*registeredMachine{},
		handlers: map[string]Handler{},
		live:     map[string]*execution{},

		mapRunConcurrency: DefaultMapRunConcurrency,
		historyLimit:      DefaultHistoryLimit,
		payloadLimit:      DefaultPayloadLimit,
	}
	for _, opt := range opts {
		opt(e)
	}
	if e.store == nil {
		e.store = NewMemoryStore()
	}
	if e.clock == nil {
		e.clock = SystemClock()
	}
	if e.logger == nil {
		e.logger = slog.Default()
	}
	if e.random == nil {
		e.random = rand.Reader
	}
	e.act = trackerOf(e.clock)
	e.root, e.stop = context.WithCancelCause(context.Background())
	return e
}

// StateMachineArn returns the ARN a state machine of that name gets.
func (e *Engine) StateMachineArn(name string) string {
	return fmt.Sprintf("arn:aws:states:%s:%s:stateMachine:%s", e.region, e.account, name)
}

// ExecutionArn returns the ARN of an execution of a state machine.
func (e *Engine) ExecutionArn(stateMachineName, executionName string) string {
	return fmt.Sprintf("arn:aws:states:%s:%s:execution:%s:%s", e.region, e.account, stateMachineName, executionName)
}

// RegisterStateMachine replaces every ${Key} in the definition with its
// substitution, validates the result and makes it startable under the
// returned ARN. Registering a name again replaces the definition for new
// executions; running ones keep the definition they started with.
func (e *Engine) RegisterStateMachine(name string, definition []byte, substitutions map[string]string) (string, error) {
	if err := validateName(name); err != nil {
		return "", fmt.Errorf("asl: state machine name %q: %w", name, err)
	}
	text, err := substitute(string(definition), substitutions)
	if err != nil {
		return "", err
	}
	m, err := parseDefinition([]byte(text))
	if err != nil {
		return "", err
	}
	arn := e.StateMachineArn(name)
	e.mu.Lock()
	defer e.mu.Unlock()
	e.machines[arn] = &registeredMachine{arn: arn, name: name, definition: text, machine: m}
	return arn, nil
}

// ValidateDefinition checks a definition (after substitution) the way
// RegisterStateMachine does, without registering it.
func ValidateDefinition(definition []byte) error {
	_, err := parseDefinition(definition)
	return err
}

// RegisterHandler makes h run the Task states whose resource is arn. For
// Lambda, arn is the function ARN; tasks may then name the function by ARN,
// partial ARN or name, with or without a version or alias. Any other
// resource ARN (without .waitForTaskToken) is matched exactly.
func (e *Engine) RegisterHandler(arn string, h Handler) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.handlers[arn] = h
}

// StartExecution starts an execution and returns at once. Starting again
// with the same name and input while the first is running returns the same
// execution, as Step Functions does; a different input, or a finished
// execution of that name, gives *types.ExecutionAlreadyExists.
func (e *Engine) StartExecution(ctx context.Context, params *sfn.StartExecutionInput, _ ...func(*sfn.Options)) (*sfn.StartExecutionOutput, error) {
	if params == nil || params.StateMachineArn == nil {
		return nil, &sfntypes.InvalidArn{Message: aws.String("stateMachineArn is required")}
	}
	e.mu.Lock()
	closed := e.closed
	rm := e.machines[*params.StateMachineArn]
	e.mu.Unlock()
	if closed {
		return nil, errEngineClosed
	}
	if rm == nil || rm.child {
		return nil, &sfntypes.StateMachineDoesNotExist{Message: aws.String("State Machine Does Not Exist: '" + *params.StateMachineArn + "'")}
	}
	name := aws.ToString(params.Name)
	if name == "" {
		name = e.newUUID()
	} else if err := validateName(name); err != nil {
		return nil, &sfntypes.InvalidName{Message: aws.String(fmt.Sprintf("Invalid Name: '%s': %v", name, err))}
	}
	input := "{}"
	if params.Input != nil {
		input = *params.Input
	}
	if _, err := decodeJSON([]byte(input)); err != nil {
		return nil, &sfntypes.InvalidExecutionInput{Message: aws.String("Invalid execution input: " + err.Error())}
	}
	secret := make([]byte, 32)
	if err := e.readRandom(secret); err != nil {
		return nil, fmt.Errorf("asl: start execution: %w", err)
	}
	rec := ExecutionRecord{
		ExecutionArn:    e.ExecutionArn(rm.name, name),
		StateMachineArn: rm.arn,
		Name:            name,
		Definition:      rm.definition,
		Input:           input,
		Secret:          base64.StdEncoding.EncodeToString(secret),
		Status:          StatusRunning,
		StartDate:       e.now(),
	}
	err := e.store.CreateExecution(ctx, rec)
	if errors.Is(err, ErrExecutionExists) {
		existing, getErr := e.store.GetExecution(ctx, rec.ExecutionArn)
		if getErr != nil {
			return nil, fmt.Errorf("asl: start execution %s: %w", rec.ExecutionArn, getErr)
		}
		if existing.Status == StatusRunning && existing.Input == input && existing.StateMachineArn == rm.arn {
			return &sfn.StartExecutionOutput{ExecutionArn: aws.String(existing.ExecutionArn), StartDate: aws.Time(existing.StartDate)}, nil
		}
		return nil, &sfntypes.ExecutionAlreadyExists{Message: aws.String("Execution Already Exists: '" + rec.ExecutionArn + "'")}
	}
	if err != nil {
		return nil, fmt.Errorf("asl: start execution %s: %w", rec.ExecutionArn, err)
	}
	e.launch(rec, rm.machine, false)
	return &sfn.StartExecutionOutput{ExecutionArn: aws.String(rec.ExecutionArn), StartDate: aws.Time(rec.StartDate)}, nil
}

// SendTaskSuccess completes the callback task that was given the token.
// Only the first completion of a token counts; later ones (and completions
// after a timeout) get *types.TaskTimedOut.
func (e *Engine) SendTaskSuccess(ctx context.Context, params *sfn.SendTaskSuccessInput, _ ...func(*sfn.Options)) (*sfn.SendTaskSuccessOutput, error) {
	if params == nil {
		params = &sfn.SendTaskSuccessInput{}
	}
	output := aws.ToString(params.Output)
	if _, err := decodeJSON([]byte(output)); err != nil {
		return nil, &sfntypes.InvalidOutput{Message: aws.String("Invalid output: " + err.Error())}
	}
	if int64(len(output)) > e.payloadLimit {
		// The API's own limit on output, the payload quota.
		return nil, &sfntypes.InvalidOutput{Message: aws.String(fmt.Sprintf("Invalid output: %d bytes, more than %d", len(output), e.payloadLimit))}
	}
	err := e.completeTask(ctx, aws.ToString(params.TaskToken), HistoryEvent{Kind: EventTaskSucceeded, Output: output})
	if err != nil {
		return nil, err
	}
	return &sfn.SendTaskSuccessOutput{}, nil
}

// SendTaskFailure fails the callback task that was given the token with the
// error name and cause, which its Retry and Catch fields then see.
func (e *Engine) SendTaskFailure(ctx context.Context, params *sfn.SendTaskFailureInput, _ ...func(*sfn.Options)) (*sfn.SendTaskFailureOutput, error) {
	if params == nil {
		params = &sfn.SendTaskFailureInput{}
	}
	ev := HistoryEvent{Kind: EventTaskFailed, Error: aws.ToString(params.Error), Cause: aws.ToString(params.Cause)}
	if err := e.completeTask(ctx, aws.ToString(params.TaskToken), ev); err != nil {
		return nil, err
	}
	return &sfn.SendTaskFailureOutput{}, nil
}

// SendTaskHeartbeat tells a callback task with HeartbeatSeconds that its
// worker is still alive.
func (e *Engine) SendTaskHeartbeat(ctx context.Context, params *sfn.SendTaskHeartbeatInput, _ ...func(*sfn.Options)) (*sfn.SendTaskHeartbeatOutput, error) {
	if params == nil {
		params = &sfn.SendTaskHeartbeatInput{}
	}
	tok, rec, err := e.openTask(ctx, aws.ToString(params.TaskToken))
	if err != nil {
		return nil, err
	}
	if ex := e.liveExecution(rec.ExecutionArn); ex != nil {
		if !ex.heartbeat(tok.StepKey) {
			return nil, taskTimedOut(tok.Token)
		}
	}
	return &sfn.SendTaskHeartbeatOutput{}, nil
}

// DescribeExecution reports an execution's status, input and outcome.
func (e *Engine) DescribeExecution(ctx context.Context, params *sfn.DescribeExecutionInput, _ ...func(*sfn.Options)) (*sfn.DescribeExecutionOutput, error) {
	if params == nil {
		params = &sfn.DescribeExecutionInput{}
	}
	rec, err := e.executionRecord(ctx, params.ExecutionArn)
	if err != nil {
		return nil, err
	}
	out := &sfn.DescribeExecutionOutput{
		ExecutionArn:    aws.String(rec.ExecutionArn),
		StateMachineArn: aws.String(rec.StateMachineArn),
		Name:            aws.String(rec.Name),
		Status:          sfntypes.ExecutionStatus(rec.Status),
		StartDate:       aws.Time(rec.StartDate),
		Input:           aws.String(rec.Input),
		InputDetails:    &sfntypes.CloudWatchEventsExecutionDataDetails{Included: true},
		RedriveCount:    aws.Int32(0),
	}
	if !rec.StopDate.IsZero() {
		out.StopDate = aws.Time(rec.StopDate)
	}
	if rec.Status == StatusSucceeded {
		out.Output = aws.String(rec.Output)
		out.OutputDetails = &sfntypes.CloudWatchEventsExecutionDataDetails{Included: true}
	}
	if rec.Error != "" {
		out.Error = aws.String(rec.Error)
	}
	if rec.Cause != "" {
		out.Cause = aws.String(rec.Cause)
	}
	return out, nil
}

// Wait blocks until the execution, running in this engine, finishes, and
// returns its final record. It is meant for tests and tools.
func (e *Engine) Wait(ctx context.Context, executionArn string) (ExecutionRecord, error) {
	ex := e.liveExecution(executionArn)
	if ex != nil {
		select {
		case <-ex.done:
		case <-ctx.Done():
			return ExecutionRecord{}, ctx.Err()
		}
	}
	rec, err := e.store.GetExecution(ctx, executionArn)
	if err != nil {
		return ExecutionRecord{}, fmt.Errorf("asl: wait for %s: %w", executionArn, err)
	}
	if rec.Status == StatusRunning {
		if ex != nil && ex.stopErr != nil {
			return rec, fmt.Errorf("asl: execution %s stopped: %w", executionArn, ex.stopErr)
		}
		return rec, fmt.Errorf("asl: execution %s is not running in this engine; call Resume", executionArn)
	}
	return rec, nil
}

// Resume restarts every RUNNING execution in the store that this engine is
// not already running, replaying each from its history: recorded task
// results are reused, waiting tasks wait again for the same tokens and Wait
// states keep their wake-up times. It returns how many executions it resumed.
func (e *Engine) Resume(ctx context.Context) (int, error) {
	records, err := e.store.ListRunning(ctx)
	if err != nil {
		return 0, fmt.Errorf("asl: resume: %w", err)
	}
	resumed := 0
	for _, rec := range records {
		if e.liveExecution(rec.ExecutionArn) != nil || rec.ParentArn != "" {
			// A Map Run's children are resumed by their parent's replay.
			continue
		}
		m, err := parseDefinition([]byte(rec.Definition))
		if err != nil {
			// Only a store edited by hand gets here; fail the execution
			// rather than retry it on every start.
			e.finish(rec.ExecutionArn, ExecutionOutcome{
				Status: StatusFailed, Error: ErrorRuntime, Cause: "cannot resume: " + err.Error(), StopDate: e.now(),
			})
			continue
		}
		if e.launch(rec, m, true) {
			resumed++
		}
	}
	return resumed, nil
}

// Close stops every execution without finishing it (they stay RUNNING in the
// store, ready for Resume) and waits for their goroutines. Handlers are
// asked to stop through their context.
func (e *Engine) Close() error {
	e.mu.Lock()
	e.closed = true
	e.mu.Unlock()
	e.stop(errEngineClosed)
	e.wg.Wait()
	return nil
}

// completeTask records a callback task's outcome: the store's
// compare-and-set lets exactly one outcome per token win.
func (e *Engine) completeTask(ctx context.Context, token string, ev HistoryEvent) error {
	tok, rec, err := e.openTask(ctx, token)
	if err != nil {
		return err
	}
	ev.Key = tok.StepKey + ":result"
	ev.Time = e.now()
	err = e.store.AppendHistory(ctx, rec.ExecutionArn, ev)
	if errors.Is(err, ErrDuplicateEvent) {
		return taskTimedOut(token)
	}
	if err != nil {
		return fmt.Errorf("asl: complete task: %w", err)
	}
	if ex := e.liveExecution(rec.ExecutionArn); ex != nil {
		ex.deliver(ev)
	}
	return nil
}

// openTask finds the step and the execution a token belongs to and checks
// that the execution is still running.
func (e *Engine) openTask(ctx context.Context, token string) (TaskTokenRecord, ExecutionRecord, error) {
	if !validTokenSyntax(token) {
		return TaskTokenRecord{}, ExecutionRecord{}, &sfntypes.InvalidToken{Message: aws.String("Invalid Token: '" + token + "'")}
	}
	tok, err := e.store.LookupToken(ctx, token)
	if errors.Is(err, ErrTokenNotFound) {
		return TaskTokenRecord{}, ExecutionRecord{}, &sfntypes.TaskDoesNotExist{Message: aws.String("Task does not exist: '" + token + "'")}
	}
	if err != nil {
		return TaskTokenRecord{}, ExecutionRecord{}, fmt.Errorf("asl: look up task token: %w", err)
	}
	rec, err := e.store.GetExecution(ctx, tok.ExecutionArn)
	if err != nil {
		return TaskTokenRecord{}, ExecutionRecord{}, fmt.Errorf("asl: look up execution of task token: %w", err)
	}
	if rec.Status != StatusRunning {
		return TaskTokenRecord{}, ExecutionRecord{}, taskTimedOut(token)
	}
	return tok, rec, nil
}

func taskTimedOut(token string) error {
	return &sfntypes.TaskTimedOut{Message: aws.String("Task Timed Out: the task of token '" + token + "' has already completed or timed out")}
}

func (e *Engine) liveExecution(arn string) *execution {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.live[arn]
}

// launch starts the goroutine of an execution; it reports false if the
// execution is already running here or the engine is closed.
func (e *Engine) launch(rec ExecutionRecord, m *stateMachine, resumed bool) bool {
	ex := &execution{
		engine:  e,
		rec:     rec,
		machine: m,
		events:  map[string]HistoryEvent{},
		waiters: map[string]*wakeup{},
		beats:   map[string]time.Time{},
		done:    make(chan struct{}),
	}
	if resumed {
		ex.resumedAt = e.now()
	}
	e.mu.Lock()
	if e.closed || e.live[rec.ExecutionArn] != nil {
		e.mu.Unlock()
		return false
	}
	// Registered before the history is loaded, so a task completion that
	// arrives meanwhile is either in the loaded history or delivered live.
	e.live[rec.ExecutionArn] = ex
	e.wg.Add(1)
	e.mu.Unlock()
	e.act.busy()
	go func() {
		defer e.wg.Done()
		defer e.act.idle()
		defer func() {
			e.mu.Lock()
			delete(e.live, rec.ExecutionArn)
			e.mu.Unlock()
			close(ex.done)
		}()
		ex.run(resumed)
	}()
	return true
}

// finish records an execution's outcome, tolerating a concurrent finish.
func (e *Engine) finish(arn string, outcome ExecutionOutcome) {
	err := e.store.FinishExecution(context.Background(), arn, outcome)
	if err != nil && !errors.Is(err, ErrExecutionFinished) {
		e.logger.Error("asl: cannot record the end of an execution", "execution", arn, "status", outcome.Status, "error", err)
	}
}

// now is the clock's time at the millisecond precision Step Functions uses.
func (e *Engine) now() time.Time {
	return e.clock.Now().UTC().Truncate(time.Millisecond)
}

func (e *Engine) readRandom(b []byte) error {
	e.randMu.Lock()
	defer e.randMu.Unlock()
	_, err := io.ReadFull(e.random, b)
	return err
}

// newUUID returns a random version 4 UUID for a generated execution name.
func (e *Engine) newUUID() string {
	var b [16]byte
	if err := e.readRandom(b[:]); err != nil {
		// crypto/rand does not fail on supported platforms.
		panic(fmt.Sprintf("asl: reading random bytes: %v", err))
	}
	return formatUUID(b)
}

func formatUUID(b [16]byte) string {
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	const hexDigits = "0123456789abcdef"
	out := make([]byte, 0, 36)
	for i, c := range b {
		if i == 4 || i == 6 || i == 8 || i == 10 {
			out = append(out, '-')
		}
		out = append(out, hexDigits[c>>4], hexDigits[c&0x0f])
	}
	return string(out)
}

// validateName applies the Step Functions rules for state machine and
// execution names: 1 to 80 characters, no whitespace, brackets, wildcards,
// punctuation with special meaning, or control characters.
func validateName(name string) error {
	if name == "" || utf8.RuneCountInString(name) > 80 {
		return errors.New("must have 1 to 80 characters")
	}
	for _, r := range name {
		if unicode.IsSpace(r) || unicode.IsControl(r) || strings.ContainsRune("<>{}[]?*\"#%\\^|~`$&,;:/", r) {
			return fmt.Errorf("must not contain %q", r)
		}
	}
	return nil
}
