package system

import (
	"context"
	"log/slog"
	"os"

	"github.com/aws/aws-lambda-go/lambda"

	"productgov/shared/app"
	"productgov/shared/config"
	"productgov/shared/task"
)

// StartTaskLambda is the whole main of a Step Functions task Lambda: it reads
// the configuration, assembles the system and serves the handler that
// handlerOf builds; problems are logged as JSON and end the process.
func StartTaskLambda(handlerOf func(*app.Service) task.Handler) {
	log := slog.New(slog.NewJSONHandler(os.Stderr, nil))
	cfg, err := config.FromEnv()
	if err != nil {
		log.Error("configuration", "err", err)
		os.Exit(1)
	}
	sys, err := NewAWS(context.Background(), cfg, nil, log)
	if err != nil {
		log.Error("startup", "err", err)
		os.Exit(1)
	}
	lambda.Start(handlerOf(sys.App))
}
