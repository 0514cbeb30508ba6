// Package localstack assembles the whole system on this machine: the system on
// DynamoDB Local, the ASL engine running the real statemachines/*.asl.json with
// the same task handlers the Lambdas use, persisted in the table so a restart
// resumes every execution. Both `make run` and the end-to-end tests use it.
package localstack

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"

	"productgov"
	"productgov/infra/asl"
	"productgov/infra/aslstore"
	"productgov/infra/dynamolocal"
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
