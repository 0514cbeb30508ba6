package system

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"os"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambda/messages"

	"productgov/shared/app"
	"productgov/shared/config"
	"productgov/shared/task"
)

// StartTaskLambda is the whole main of a Step Functions task Lambda: it reads
// the configuration, assembles the system and serves the handler that
// handlerOf builds;
// problems are logged as JSON and end the process.
func StartTaskLambda(handlerOf func(*app.Service) task.Handler) {
	log := slog.New(slog.NewJSONHandler(os.Stderr, nil))
	cfg, err := config.FromEnv()
	if err != nil {
		log.Error("configuration", "err", err)
		os.Exit(1)
	}
	sys, err := NewAWS(context.Background(), cfg, log)
	if err != nil {
		log.Error("startup", "err", err)
		os.Exit(1)
	}
	lambda.Start(LambdaHandler(handlerOf(sys.App), log))
}

// LambdaHandler adapts a task handler to the Lambda Go runtime so that a named
// error reaches Step Functions under its name (Task.Transient, Task.Invalid):
// the runtime reports a plain error under its Go type name, which no Retry or
// Catch in the state machines matches.
func LambdaHandler(h task.Handler, log *slog.Logger) func(context.Context, json.RawMessage) (json.RawMessage, error) {
	return func(ctx context.Context, event json.RawMessage) (json.RawMessage, error) {
		out, err := h(ctx, event)
		if err == nil {
			return out, nil
		}
		log.Error("task failed", "err", err)
		return nil, LambdaError(err)
	}
}

// LambdaError is err as the Lambda runtime should report it: under its
// ErrorName when it (or an error it wraps) has one.
func LambdaError(err error) error {
	var named interface{ ErrorName() string }
	if errors.As(err, &named) && named.ErrorName() != "" {
		return messages.InvokeResponse_Error{Type: named.ErrorName(), Message: err.Error()}
	}
	return err
}
