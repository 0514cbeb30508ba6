// Command assessment is the monthly assessment task Lambda
// (plan, page, open_exits, report; SPEC 3).
package main

import (
	"context"
	"log/slog"
	"os"

	"github.com/aws/aws-lambda-go/lambda"

	"productgov/shared/config"
	"productgov/shared/system"
	"productgov/shared/task"
)

func main() {
	log := slog.New(slog.NewJSONHandler(os.Stderr, nil))
	cfg, err := config.FromEnv()
	if err != nil {
		log.Error("configuration", "err", err)
		os.Exit(1)
	}
	sys, err := system.NewAWS(context.Background(), cfg, nil, log)
	if err != nil {
		log.Error("startup", "err", err)
		os.Exit(1)
	}
	lambda.Start(task.Assessment(sys.App))
}
