package system

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"os"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambda/messages"
	"github.com/aws/aws-lambda-go/lambdacontext"

	"productgov/shared/app"
	"productgov/shared/config"
	"productgov/shared/metrics"
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
	sys, err := NewAWS(context.Background(), cfg, log)
	if err != nil {
		log.Error("startup", "err", err)
		os.Exit(1)
	}
	lambda.Start(LambdaHandler(handlerOf(sys.App), log, metrics.NewEmitter(nil)))
}

// LambdaHandler adapts a task handler to the Lambda Go runtime so that a named
// error reaches Step Functions under its name (Task.Transient, Task.Invalid):
// the runtime reports a plain error under its Go type name, which no Retry or
// Catch in the state machines matches. Every invocation is logged once, with
// the Lambda request id, the execution and the action, and the jobs' figures
// go out as metrics (EMF).
func LambdaHandler(h task.Handler, log *slog.Logger, m *metrics.Emitter) func(context.Context, json.RawMessage) (json.RawMessage, error) {
	return func(ctx context.Context, event json.RawMessage) (json.RawMessage, error) {
		start := time.Now()
		var ev struct {
			Action    string `json:"action"`
			Execution string `json:"execution"`
			Job       string `json:"job"`
		}
		_ = json.Unmarshal(event, &ev)
		attrs := []any{"action", ev.Action, "execution", ev.Execution}
		if lc, ok := lambdacontext.FromContext(ctx); ok {
			attrs = append(attrs, "lambdaRequestId", lc.AwsRequestID)
		}
		out, err := h(ctx, event)
		attrs = append(attrs, "ms", time.Since(start).Milliseconds())
		if err != nil {
			log.Error("task failed", append(attrs, "err", err)...)
			m.Emit(map[string]string{"Action": ev.Action}, map[string]any{"execution": ev.Execution}, metrics.Metric{Name: "TaskFailures", Unit: metrics.Count, Value: 1})
			return nil, LambdaError(err)
		}
		log.Info("task", attrs...)
		emitJobFigures(m, ev.Action, ev.Job, ev.Execution, out)
		return out, nil
	}
}

// emitJobFigures turns a job step's answer into its metrics: products
// assessed and exits opened (monthly assessment), statements written and
// partners failed (settlement), runs failed.
func emitJobFigures(m *metrics.Emitter, action, job, execution string, out json.RawMessage) {
	var v struct {
		Total     *float64 `json:"total"`
		Opened    *float64 `json:"opened"`
		Written   *float64 `json:"written"`
		Status    string   `json:"status"`
		Reminded  *float64 `json:"reminded"`
		Published *float64 `json:"published"`
	}
	if json.Unmarshal(out, &v) != nil {
		return
	}
	props := map[string]any{"execution": execution}
	var ms []metrics.Metric
	add := func(name string, p *float64) {
		if p != nil {
			ms = append(ms, metrics.Metric{Name: name, Unit: metrics.Count, Value: *p})
		}
	}
	switch action {
	case "report":
		add("ProductsAssessed", v.Total)
	case "open_exits":
		add("ExitsOpened", v.Opened)
	case "settle_partner", "accrue_partner":
		add("StatementsWritten", v.Written)
	case "remind":
		add("RemindersSent", v.Reminded)
	case "publish_exit_notices":
		add("ExitNoticesPublished", v.Published)
	}
	if v.Status == "failed" {
		ms = append(ms, metrics.Metric{Name: "RunsFailed", Unit: metrics.Count, Value: 1})
	}
	dims := map[string]string{"Action": action}
	if job != "" {
		dims["Job"] = job
	}
	m.Emit(dims, props, ms...)
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
