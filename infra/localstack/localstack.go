// Package localstack assembles the whole system on this machine the way it
// runs on AWS: every function runs as its built bootstrap under the Lambda
// runtime interface emulator (infra/lambdaservice); the ASL engine runs the
// real statemachines/*.asl.json and invokes their tasks through the Lambda
// Invoke API; the functions reach Step Functions, SES and SSM through the
// real SDK at a local endpoint (infra/awslocal) and DynamoDB Local through
// theirs; an API gateway front (infra/gateway) checks tokens and invokes the
// API function with payload 2.0 events; and the scheduler fires the
// template's schedules through the same invoke path. Executions persist in
// the table, so a restart resumes them. Both `make run` and the end-to-end
// tests use it; nothing of the project's own code runs in this process on the
// request path.
package localstack

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sfn"

	"productgov"
	"productgov/infra/asl"
	"productgov/infra/aslstore"
	"productgov/infra/awslocal"
	"productgov/infra/dynamolocal"
	"productgov/infra/gateway"
	"productgov/infra/lambdaservice"
	"productgov/infra/s3local"
	"productgov/infra/scheduler"
	"productgov/shared/api"
	"productgov/shared/config"
	"productgov/shared/objects"
	"productgov/shared/system"
)

// Region and Account name local ARNs.
const (
	Region  = "us-east-1"
	Account = "000000000000"
)

// Audience is the JWT audience the local HTTP API accepts (the template's
// JwtAudience parameter locally); local tokens carry it.
const Audience = "productgov-local"

// MailFrom is the local value of the template's MailFromIdentity.
const MailFrom = "productgov@localhost"

// FunctionArn is a function folder's local ARN.
func FunctionArn(folder string) string {
	return fmt.Sprintf("arn:aws:lambda:%s:%s:function:%s", Region, Account, folder)
}

// Stack is the assembled local system.
type Stack struct {
	// System is assembled in this process on the same table for the local
	// stack's own tools only: demo data, dev tokens, the outbox page, and
	// tests that seed records. Its workflow goes through the local Step
	// Functions endpoint like the functions' does.
	*system.System
	Engine *asl.Engine
	Lambda *lambdaservice.Service
	// Gateway is the HTTP API as API Gateway serves it.
	Gateway *gateway.Front
	// AWSEndpoint is the URL of the local Step Functions, SES, SSM and Lambda APIs.
	AWSEndpoint string
	// MachineArns maps state machine logical ids to their local ARNs.
	MachineArns map[string]string
	// FunctionEnv is each function's environment (by folder), as its
	// bootstrap gets it.
	FunctionEnv map[string]map[string]string
	// S3 is a client of the local S3 server, S3Endpoint its URL, and
	// Buckets maps the template's bucket logical ids to their local names.
	S3         *s3.Client
	S3Endpoint string
	Buckets    map[string]string

	// s3server is the S3 server New started, if it started one.
	s3server *s3local.Instance

	awsServer *http.Server
	log       *slog.Logger
}

// Options configure the stack.
type Options struct {
	// EngineOptions tune the engine; tests pass a fake clock.
	EngineOptions []asl.Option
	Log           *slog.Logger
	// FunctionOutput receives the functions' own output (nil discards it).
	FunctionOutput io.Writer
	// RetryDelays are the waits before an Event invocation's retries
	// (default 1 s, 2 s locally).
	RetryDelays []time.Duration
	// FunctionDynamoEndpoint, when set, is the DynamoDB endpoint the
	// functions use instead of cfg's (the bench puts a counting proxy there).
	FunctionDynamoEndpoint string
	// EngineDynamo, when set, wraps the engine's DynamoDB client (the bench
	// counts the engine's own requests).
	EngineDynamo func(*dynamodb.Client) *dynamodb.Client
	// S3Endpoint is a running S3-compatible server (infra/s3local); empty
	// starts one in memory for this stack, stopped by Close.
	S3Endpoint string
}

// New assembles the stack on cfg's table (cfg is the local configuration:
// DynamoDB Local's endpoint, the table, the dev-token and link-signing keys,
// and PublicBaseURL, where the caller serves Gateway), creating the table
// from template.yaml if needed, starting the local AWS endpoint, registering
// every state machine and resuming executions that were running when the
// stack last stopped.
func New(ctx context.Context, cfg config.Config, opts Options) (*Stack, error) {
	log := opts.Log
	if log == nil {
		log = slog.Default()
	}
	root, err := dynamolocal.RepoRoot()
	if err != nil {
		return nil, err
	}
	bootstraps, rie, err := lambdaservice.Artifacts(ctx, root)
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	endpoint := "http://" + ln.Addr().String()
	st := &Stack{AWSEndpoint: endpoint, MachineArns: map[string]string{}, FunctionEnv: map[string]map[string]string{}, log: log}
	ok := false
	defer func() {
		if !ok {
			_ = ln.Close()
			st.Close()
		}
	}()

	awsCfg := aws.Config{Region: Region, Credentials: credentials.NewStaticCredentialsProvider("local", "local", "")}
	sfnClient := sfn.NewFromConfig(awsCfg, func(o *sfn.Options) { o.BaseEndpoint = aws.String(endpoint) })
	tools, err := system.New(ctx, cfg, system.Options{LinkKey: cfg.LinkKey, Workflow: sfnClient}, log)
	if err != nil {
		return nil, err
	}
	st.System = tools
	if err := dynamolocal.EnsureTable(ctx, tools.Store.Client(), cfg.TableName); err != nil {
		return nil, err
	}
	if err := tools.App.EnsureDefaultPolicy(ctx); err != nil {
		return nil, err
	}
	if err := st.startS3(ctx, cfg.TableName, opts.S3Endpoint); err != nil {
		return nil, err
	}
	// The tools' use cases (seeding, the benchmark's direct path) reach the
	// same work bucket as the functions.
	tools.App.Objects = objects.New(st.S3, st.Buckets["WorkBucket"])

	invoker := lambda.NewFromConfig(awsCfg, func(o *lambda.Options) {
		o.BaseEndpoint = aws.String(endpoint)
		o.RetryMaxAttempts = 1 // Step Functions' own Retry decides
	})
	engineDB := tools.Store.Client()
	if opts.EngineDynamo != nil {
		engineDB = opts.EngineDynamo(engineDB)
	}
	engineOpts := append([]asl.Option{asl.WithStore(aslstore.New(engineDB, cfg.TableName)),
		asl.WithRegion(Region), asl.WithAccount(Account), asl.WithLogger(log), asl.WithLambdaInvoker(invoker), asl.WithS3(st.S3)}, opts.EngineOptions...)
	st.Engine = asl.NewEngine(engineOpts...)
	machines, err := Machines(productgov.Template)
	if err != nil {
		return nil, err
	}
	concurrency := map[string]int{}
	for _, m := range machines {
		def, err := os.ReadFile(filepath.Join(root, m.DefinitionFile))
		if err != nil {
			return nil, fmt.Errorf("localstack: %s: %w", m.LogicalID, err)
		}
		subs := map[string]string{}
		for k, folder := range m.Substitutions {
			subs[k] = FunctionArn(folder)
			concurrency[folder] = max(concurrency[folder], mapConcurrency(def))
		}
		arn, err := st.Engine.RegisterStateMachine(m.LogicalID, def, subs)
		if err != nil {
			return nil, fmt.Errorf("localstack: register %s: %w", m.LogicalID, err)
		}
		st.MachineArns[m.LogicalID] = arn
	}
	tools.App.ApprovalMachineArn = st.MachineArns["ApprovalStateMachine"]
	tools.App.AssessmentMachineArn = st.MachineArns["MonthlyAssessmentStateMachine"]
	tools.App.SettlementMachineArn = st.MachineArns["QuarterlySettlementStateMachine"]

	params := map[string]string{
		"Table": cfg.TableName, "StageName": "local", "JwtIssuer": cfg.JWTIssuer, "JwtAudience": Audience,
		"LinkSigningKeyParameter": "/productgov/link-signing-key", "MailFromIdentity": MailFrom,
		"PublicBaseUrl": cfg.PublicBaseURL, "AlarmTopicArn": "", "KeyShards": strconv.Itoa(tools.Store.Shards()),
		"ConsoleClientId": "",
	}
	for id, arn := range st.MachineArns {
		params[id] = arn
	}
	for id, name := range st.Buckets {
		params[id] = name
	}
	specs, err := Functions(productgov.Template, func(ref string) (string, bool) {
		if fn, ok := strings.CutSuffix(ref, ".Arn"); ok {
			ref = fn
		}
		v, ok := params[ref]
		return v, ok
	})
	if err != nil {
		return nil, err
	}
	overlay := map[string]string{
		"AWS_REGION": Region, "AWS_DEFAULT_REGION": Region,
		"AWS_ACCESS_KEY_ID": "local", "AWS_SECRET_ACCESS_KEY": "local",
		"AWS_EC2_METADATA_DISABLED":        "true",
		"AWS_RESPONSE_CHECKSUM_VALIDATION": "when_required",
		"AWS_REQUEST_CHECKSUM_CALCULATION": "when_required",
		"AWS_ENDPOINT_URL_DYNAMODB":        cmp.Or(opts.FunctionDynamoEndpoint, cfg.DynamoEndpoint),
		"AWS_ENDPOINT_URL_SFN":             endpoint,
		"AWS_ENDPOINT_URL_SESV2":           endpoint,
		"AWS_ENDPOINT_URL_SSM":             endpoint,
		"AWS_ENDPOINT_URL_LAMBDA":          endpoint,
		"AWS_ENDPOINT_URL_S3":              st.S3Endpoint,
		s3local.PathStyleEnv:               "true",
	}
	var functions []lambdaservice.Function
	apiFolder := ""
	for _, spec := range specs {
		env := map[string]string{}
		for k, v := range spec.Env {
			env[k] = v
		}
		for k, v := range overlay {
			env[k] = v
		}
		st.FunctionEnv[spec.Folder] = env
		n := concurrency[spec.Folder] + 1
		if spec.LogicalID == "ApiFunction" {
			apiFolder, n = spec.Folder, 16
		}
		functions = append(functions, lambdaservice.Function{Name: spec.Folder, Env: env,
			Bootstrap: filepath.Join(bootstraps, spec.Folder, "bootstrap"),
			Timeout:   spec.Timeout, MemoryMB: spec.MemoryMB, Concurrency: n, MaxRetryAttempts: 2})
	}
	retryDelays := opts.RetryDelays
	if len(retryDelays) == 0 {
		retryDelays = []time.Duration{time.Second, 2 * time.Second}
	}
	if st.Lambda, err = lambdaservice.New(functions, lambdaservice.Options{RIE: rie, Log: log, Output: opts.FunctionOutput, RetryDelays: retryDelays}); err != nil {
		return nil, err
	}
	st.awsServer = &http.Server{ReadHeaderTimeout: 10 * time.Second, Handler: &awslocal.Server{
		StepFunctions: &awslocal.StepFunctions{Engine: st.Engine},
		Parameters:    awslocal.NewParameters(map[string]string{params["LinkSigningKeyParameter"]: string(cfg.LinkKey)}),
		Mail:          &awslocal.Mail{Outbox: tools.Store},
		Lambda:        st.Lambda,
	}}
	go func() { _ = st.awsServer.Serve(ln) }()

	routes, err := gateway.FromTemplate(productgov.Template, params)
	if err != nil {
		return nil, err
	}
	if tools.Issuer == nil {
		return nil, errors.New("localstack: the configuration must be local mode (dev tokens need a signing key)")
	}
	tools.Issuer = tools.Issuer.WithAudience(Audience)
	devAPI := &api.Server{App: tools.App, Auth: api.BearerAuthenticator(tools.Issuer), Local: true, Issuer: tools.Issuer, Health: tools.Store.Ping, Log: log}
	st.Gateway = &gateway.Front{API: routes, Function: apiFolder, Lambda: st.Lambda, Key: cfg.JWTKey, Local: devOnly(devAPI.Handler()), Log: log}
	if _, err := st.Engine.Resume(ctx); err != nil {
		return nil, fmt.Errorf("localstack: resume executions: %w", err)
	}
	ok = true
	return st, nil
}

// startS3 connects to the S3 server at endpoint, or starts one, and creates
// the template's buckets under their local names.
func (s *Stack) startS3(ctx context.Context, table, endpoint string) error {
	if endpoint == "" {
		inst, err := s3local.Start(ctx, s3local.Options{})
		if err != nil {
			return err
		}
		s.s3server, endpoint = inst, inst.Endpoint
	}
	s.S3Endpoint, s.S3 = endpoint, s3local.NewClient(endpoint)
	ids, err := Buckets(productgov.Template)
	if err != nil {
		return err
	}
	s.Buckets = map[string]string{}
	for _, id := range ids {
		name := BucketName(table, id)
		if err := s3local.EnsureBucket(ctx, s.S3, name); err != nil {
			return err
		}
		s.Buckets[id] = name
	}
	return nil
}

// devOnly serves the local stack's own tools (dev tokens, the outbox) and
// nothing else of the in-process API.
func devOnly(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !strings.HasPrefix(r.URL.Path, "/dev/") {
			http.NotFound(w, r)
			return
		}
		h.ServeHTTP(w, r)
	})
}

// mapConcurrency is the widest fan-out of a definition's Map states
// (MaxConcurrency 0, unlimited, counts as 8, or as the engine's
// DefaultMapRunConcurrency for a Distributed Map), at least 1.
func mapConcurrency(definition []byte) int {
	var doc any
	if json.Unmarshal(definition, &doc) != nil {
		return 1
	}
	widest := 1
	var walk func(v any)
	walk = func(v any) {
		switch x := v.(type) {
		case map[string]any:
			if x["Type"] == "Map" {
				n, _ := x["MaxConcurrency"].(float64)
				processor, _ := x["ItemProcessor"].(map[string]any)
				config, _ := processor["ProcessorConfig"].(map[string]any)
				switch {
				case n == 0 && config["Mode"] == "DISTRIBUTED":
					n = asl.DefaultMapRunConcurrency
				case n == 0:
					n = 8
				}
				widest = max(widest, int(n))
			}
			for _, c := range x {
				walk(c)
			}
		case []any:
			for _, c := range x {
				walk(c)
			}
		}
	}
	walk(doc)
	return widest
}

// Schedules returns the ScheduleV2 events of template.yaml.
func (s *Stack) Schedules() ([]scheduler.Entry, error) {
	return scheduler.FromTemplate(productgov.Template)
}

// Fire does what EventBridge Scheduler does when a schedule comes due: it
// starts the state machine, or invokes the function asynchronously (Event),
// with the event's Input; a target that cannot be reached is retried as the
// schedule's RetryPolicy allows, then dead-lettered when the schedule has a
// DeadLetterConfig.
func (s *Stack) Fire(ctx context.Context, e scheduler.Entry, at time.Time) error {
	input := schedulerInput(e.Input, at)
	var fire func() error
	switch e.ResourceType {
	case scheduler.ResourceStateMachine:
		arn, ok := s.MachineArns[e.ResourceID]
		if !ok {
			return fmt.Errorf("localstack: schedule %s targets unknown state machine %s", e.Name, e.ResourceID)
		}
		name := strings.NewReplacer("/", "-", ":", "").Replace(e.Name) + "-" + at.UTC().Format("20060102T150405Z")
		fire = func() error {
			_, err := s.Engine.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: aws.String(arn),
				Name: aws.String(name), Input: aws.String(input)})
			return err
		}
	case scheduler.ResourceFunction:
		fire = func() error {
			_, err := s.Lambda.InvokeAsync(e.FunctionFolder, []byte(input))
			return err
		}
	default:
		return fmt.Errorf("localstack: schedule %s has unknown target type %s", e.Name, e.ResourceType)
	}
	var err error
	for attempt := 0; attempt <= e.MaxRetryAttempts; attempt++ {
		if err = fire(); err == nil || ctx.Err() != nil {
			return err
		}
		var exists interface{ ErrorCode() string }
		if errors.As(err, &exists) && exists.ErrorCode() == "ExecutionAlreadyExists" {
			return nil // fired before: running it twice changes nothing
		}
		s.log.Warn("schedule target failed", "schedule", e.Name, "attempt", attempt+1, "err", err)
		select {
		case <-time.After(time.Duration(attempt+1) * time.Second):
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	if e.DeadLetter {
		s.log.Error("schedule event dead-lettered", "schedule", e.Name, "input", input, "err", err)
	}
	return err
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

// Close stops the engine (executions stay persisted and resume on the next
// New), the functions' processes and the local AWS endpoint.
func (s *Stack) Close() error {
	var errs []error
	if s.Engine != nil {
		errs = append(errs, s.Engine.Close())
	}
	if s.Lambda != nil {
		errs = append(errs, s.Lambda.Close())
	}
	if s.awsServer != nil {
		errs = append(errs, s.awsServer.Close())
	}
	if s.s3server != nil {
		s.s3server.Stop()
	}
	return errors.Join(errs...)
}

// schedulerInput fills the context attributes EventBridge Scheduler replaces
// in a target's Input.
func schedulerInput(input string, at time.Time) string {
	return strings.ReplaceAll(input, "<aws.scheduler.scheduled-time>", at.UTC().Format(time.RFC3339))
}
