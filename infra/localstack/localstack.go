// Package localstack assembles the whole system on this machine: the system on
// DynamoDB Local, the ASL engine running the real statemachines/*.asl.json with
// the same task handlers the Lambdas use, persisted in the table so a restart
// resumes every execution. Both `make run` and the end-to-end tests use it.
package localstack

import (
	"context"
	"encoding/json"
	"strings"
	"time"

	"fmt"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"log/slog"
	"os"
	"path/filepath"

	"productgov"
	"productgov/infra/asl"
	"productgov/infra/aslstore"
	"productgov/infra/dynamolocal"
	"productgov/infra/scheduler"
	"productgov/shared/config"
	"productgov/shared/system"
	"productgov/shared/task"
)

// Region and Account name local ARNs.
const (
	Region  = "us-east-1"
	Account = "000000000000"
)

// FunctionArn is a function folder's local ARN.
func FunctionArn(folder string) string {
	return fmt.Sprintf("arn:aws:lambda:%s:%s:function:%s", Region, Account, folder)
}

// Stack is the assembled local system.
type Stack struct {
	*system.System
	Engine *asl.Engine
	// MachineArns maps state machine logical ids to their local ARNs.
	MachineArns map[string]string
	handlers    map[string]task.Handler
}

// Schedules returns the ScheduleV2 events of template.yaml.
func (s *Stack) Schedules() ([]scheduler.Entry, error) {
	return scheduler.FromTemplate(productgov.Template)
}

// Fire does what EventBridge Scheduler does when a schedule comes due: it
// starts the state machine, or invokes the function, with the event's Input.
func (s *Stack) Fire(ctx context.Context, e scheduler.Entry, at time.Time) error {
	switch e.ResourceType {
	case scheduler.ResourceStateMachine:
		arn, ok := s.MachineArns[e.ResourceID]
		if !ok {
			return fmt.Errorf("localstack: schedule %s targets unknown state machine %s", e.Name, e.ResourceID)
		}
		name := strings.NewReplacer("/", "-", ":", "").Replace(e.Name) + "-" + at.UTC().Format("20060102T150405Z")
		_, err := s.Engine.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: aws.String(arn),
			Name: aws.String(name), Input: aws.String(schedulerInput(e.Input, at))})
		return err
	case scheduler.ResourceFunction:
		h, ok := s.handlers[e.FunctionFolder]
		if !ok {
			return fmt.Errorf("localstack: schedule %s targets function %s, which has no local handler", e.Name, e.FunctionFolder)
		}
		_, err := h(ctx, json.RawMessage(schedulerInput(e.Input, at)))
		return err
	}
	return fmt.Errorf("localstack: schedule %s has unknown target type %s", e.Name, e.ResourceType)
}

// RunScheduler fires the template's schedules on the clock until ctx ends.
func (s *Stack) RunScheduler(ctx context.Context, clock scheduler.Clock, log *slog.Logger) error {
	entries, err := s.Schedules()
	if err != nil {
		return err
	}
	scheduler.NewRunner(entries, s.Fire, clock, log).Run(ctx)
	return nil
}

// Options tune the stack; tests pass a fake clock to the engine.
type Options struct {
	EngineOptions []asl.Option
	Log           *slog.Logger
}

// New assembles the stack on cfg's table (creating it from template.yaml if
// needed), registers every state machine, and resumes executions that were
// running when the stack last stopped.
func New(ctx context.Context, cfg config.Config, opts Options) (*Stack, error) {
	log := opts.Log
	if log == nil {
		log = slog.Default()
	}
	sys, err := system.New(ctx, cfg, system.Options{LinkKey: cfg.LinkKey}, log)
	if err != nil {
		return nil, err
	}
	if err := dynamolocal.EnsureTable(ctx, sys.Store.Client(), cfg.TableName); err != nil {
		return nil, err
	}
	if err := sys.App.EnsureDefaultPolicy(ctx); err != nil {
		return nil, err
	}
	engineOpts := append([]asl.Option{asl.WithStore(aslstore.New(sys.Store.Client(), cfg.TableName)),
		asl.WithRegion(Region), asl.WithAccount(Account), asl.WithLogger(log)}, opts.EngineOptions...)
	engine := asl.NewEngine(engineOpts...)
	handlers := map[string]task.Handler{
		"submissions": task.Submissions(sys.App),
		"notify":      task.Notify(sys.App),
		"assessment":  task.Assessment(sys.App),
		"settlement":  task.Settlement(sys.App),
	}
	for folder, h := range handlers {
		engine.RegisterHandler(FunctionArn(folder), asl.Handler(h))
	}
	sys.App.Workflow = engine
	st := &Stack{System: sys, Engine: engine, MachineArns: map[string]string{}}
	if err := st.registerMachines(); err != nil {
		engine.Close()
		return nil, err
	}
	sys.App.ApprovalMachineArn = st.MachineArns["ApprovalStateMachine"]
	sys.App.AssessmentMachineArn = st.MachineArns["MonthlyAssessmentStateMachine"]
	sys.App.SettlementMachineArn = st.MachineArns["QuarterlySettlementStateMachine"]
	st.handlers = handlers
	if _, err := engine.Resume(ctx); err != nil {
		engine.Close()
		return nil, fmt.Errorf("localstack: resume executions: %w", err)
	}
	return st, nil
}

func (s *Stack) registerMachines() error {
	machines, err := Machines(productgov.Template)
	if err != nil {
		return err
	}
	root, err := dynamolocal.RepoRoot()
	if err != nil {
		return err
	}
	for _, m := range machines {
		def, err := os.ReadFile(filepath.Join(root, m.DefinitionFile))
		if err != nil {
			return fmt.Errorf("localstack: %s: %w", m.LogicalID, err)
		}
		subs := map[string]string{}
		for k, folder := range m.Substitutions {
			subs[k] = FunctionArn(folder)
		}
		arn, err := s.Engine.RegisterStateMachine(m.LogicalID, def, subs)
		if err != nil {
			return fmt.Errorf("localstack: register %s: %w", m.LogicalID, err)
		}
		s.MachineArns[m.LogicalID] = arn
	}
	return nil
}

// Close stops the engine; executions stay persisted and resume on the next New.
func (s *Stack) Close() error { return s.Engine.Close() }

// schedulerInput fills the context attributes EventBridge Scheduler replaces
// in a target's Input.
func schedulerInput(input string, at time.Time) string {
	return strings.ReplaceAll(input, "<aws.scheduler.scheduled-time>", at.UTC().Format(time.RFC3339))
}
