// Package system assembles the parts (config → clients → store → use cases)
// once, for every entry point: the Lambda functions and the local stack. The
// HTTP API is put on top by the entry points that serve HTTP, so the task
// functions do not carry it.
package system

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/aws-sdk-go-v2/service/ssm"

	"productgov/shared/app"
	"productgov/shared/config"
	"productgov/shared/identity"
	"productgov/shared/mail"
	"productgov/shared/objects"
	"productgov/shared/store"
)

// System is the assembled application.
type System struct {
	Config config.Config
	Store  *store.Store
	App    *app.Service
	// Issuer signs and verifies local tokens (local mode only).
	Issuer *identity.Issuer
}

// Options are the parts that differ between AWS and the local stack.
type Options struct {
	// DynamoDB is the table's client; nil builds one from cfg.
	DynamoDB *dynamodb.Client
	// Workflow runs the state machines: Step Functions, or the local engine.
	Workflow app.Workflow
	// Mail sends email: SES, or the local outbox (the store).
	Mail mail.Sender
	// LinkKey signs approval links; LinkKeyLoader, when set, loads it on first use instead.
	LinkKey       []byte
	LinkKeyLoader func() ([]byte, error)
	// Objects is the work bucket; nil builds a client from cfg (the local
	// S3 server in local mode) when cfg names a bucket.
	Objects *objects.Bucket
}

// New assembles the system.
func New(ctx context.Context, cfg config.Config, opts Options, log *slog.Logger) (*System, error) {
	db := opts.DynamoDB
	if db == nil {
		var err error
		if db, err = store.NewClient(ctx, cfg.DynamoEndpoint, cfg.Region); err != nil {
			return nil, err
		}
	}
	st := store.New(db, cfg.TableName)
	bucket := opts.Objects
	if bucket == nil && cfg.WorkBucket != "" {
		awsCfg, err := store.LocalConfig(ctx, cfg.S3Endpoint, cfg.Region)
		if err != nil {
			return nil, err
		}
		bucket = objects.New(objects.NewClient(awsCfg, cfg.S3Endpoint), cfg.WorkBucket)
	}
	if cfg.KeyShards > 0 {
		st.WithShards(cfg.KeyShards)
	}
	var links app.LinkSigner
	if opts.LinkKeyLoader != nil {
		links = app.NewLinkSignerFrom(opts.LinkKeyLoader)
	} else {
		var err error
		if links, err = app.NewLinkSigner(opts.LinkKey); err != nil {
			return nil, err
		}
	}
	svc := &app.Service{Products: st, Figures: st, Users: st, Policies: st, Audit: st, Partners: st,
		Submissions: st, Approvals: st, Workflow: opts.Workflow, Mail: opts.Mail, Links: links,
		ApprovalMachineArn: cfg.ApprovalMachineArn, ExitNotices: st, PartnerStore: st, AssessStore: st, AssessmentMachineArn: cfg.AssessmentMachineArn, SettlementMachineArn: cfg.SettlementMachineArn, BaseURL: cfg.PublicBaseURL, Log: log, Now: time.Now}
	if bucket != nil {
		svc.Objects = bucket
	}
	if opts.Mail == nil {
		// Locally mail goes to the outbox in the store, which a person reads.
		svc.Mail, svc.OutboxReader = st, st
	}
	sys := &System{Config: cfg, Store: st, App: svc}
	if cfg.Local() {
		iss, err := identity.NewIssuer(cfg.JWTKey, cfg.JWTIssuer, 12*time.Hour, time.Now)
		if err != nil {
			return nil, fmt.Errorf("system: %w", err)
		}
		sys.Issuer = iss
	}
	return sys, nil
}

// NewAWS assembles the system inside a Lambda: DynamoDB, Step Functions and
// SES from one AWS configuration (endpoints, credentials and region from the
// environment, as Lambda sets them), and the link-signing key read from SSM
// by name (never configured by value) on first use.
func NewAWS(ctx context.Context, cfg config.Config, log *slog.Logger) (*System, error) {
	awsCfg, err := awsconfig.LoadDefaultConfig(ctx, awsconfig.WithRegion(cfg.Region))
	if err != nil {
		return nil, fmt.Errorf("system: aws config: %w", err)
	}
	params := ssm.NewFromConfig(awsCfg)
	loadKey := func() ([]byte, error) {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		out, err := params.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String(cfg.LinkKeyParam), WithDecryption: aws.Bool(true)})
		if err != nil {
			return nil, fmt.Errorf("system: read link-signing key %s: %w", cfg.LinkKeyParam, err)
		}
		return []byte(aws.ToString(out.Parameter.Value)), nil
	}
	return New(ctx, cfg, Options{
		DynamoDB:      store.NewClientFromConfig(awsCfg, ""),
		Workflow:      sfn.NewFromConfig(awsCfg),
		Mail:          mail.SES{Client: sesv2.NewFromConfig(awsCfg), From: cfg.MailFrom},
		LinkKeyLoader: loadKey,
		Objects:       objects.New(objects.NewClient(awsCfg, ""), cfg.WorkBucket),
	}, log)
}
