// Package config reads the environment into a Config, collecting every problem
// at once so a misconfigured deployment says everything that is wrong.
package config

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
)

// Mode says where the system runs: on AWS, or on the local stack.
type Mode string

// Modes.
const (
	ModeAWS   Mode = "aws"
	ModeLocal Mode = "local"
)

// Config is everything a function needs from its environment.
type Config struct {
	Mode Mode
	// TableName is the single DynamoDB table.
	TableName string
	// DynamoEndpoint is DynamoDB Local's URL (local mode only).
	DynamoEndpoint string
	Region         string
	// JWTKey signs and verifies local tokens (local mode only; AWS uses the
	// API Gateway JWT authorizer).
	JWTKey    []byte
	JWTIssuer string
	// Port is the local HTTP port.
	Port int
	// PublicBaseURL is where approval links in emails point.
	PublicBaseURL string
	// ApprovalMachineArn is the approval state machine (the API starts it).
	ApprovalMachineArn string
	// AssessmentMachineArn is the monthly assessment state machine.
	AssessmentMachineArn string
	// SettlementMachineArn is the quarterly settlement state machine.
	SettlementMachineArn string
	// MailFrom is the SES identity emails are sent from (AWS).
	MailFrom string
	// LinkKeyParam names the SSM SecureString holding the link-signing key (AWS).
	LinkKeyParam string
	// LinkKey signs approval links (local mode; on AWS read from LinkKeyParam).
	LinkKey []byte
	// WorkBucket is the S3 bucket of the jobs' work lists and reports, exports
	// and uploads (WORK_BUCKET).
	WorkBucket string
	// S3Endpoint is the local S3 server's URL (local mode only; the functions
	// reach it through AWS_ENDPOINT_URL_S3 as on AWS).
	S3Endpoint string
	// KeyShards is how many shards the store spreads its hot keys over
	// (KEY_SHARDS, default store's 16). It may grow, never shrink, for a
	// table already written.
	KeyShards int
}

// DefaultKeyShards is KEY_SHARDS when unset (the store's DefaultShards; the
// config package stays free of the store).
const DefaultKeyShards = 16

// MaxKeyShards bounds KEY_SHARDS (the store's MaxShards).
const MaxKeyShards = 100

// Local reports whether the system runs on the local stack.
func (c Config) Local() bool { return c.Mode == ModeLocal }

// FromEnv reads the configuration from environment variables.
func FromEnv() (Config, error) { return FromLookup(os.LookupEnv) }

// FromLookup reads the configuration through a lookup function (tests pass a map).
func FromLookup(lookup func(string) (string, bool)) (Config, error) {
	get := func(k string) string { v, _ := lookup(k); return strings.TrimSpace(v) }
	var problems []string
	c := Config{
		Mode:           Mode(get("APP_MODE")),
		TableName:      get("TABLE_NAME"),
		DynamoEndpoint: get("DYNAMODB_ENDPOINT"),
		Region:         get("AWS_REGION"),
		JWTIssuer:      get("JWT_ISSUER"),
		PublicBaseURL:  strings.TrimRight(get("PUBLIC_BASE_URL"), "/"),
		Port:           8080,

		ApprovalMachineArn:   get("APPROVAL_STATE_MACHINE_ARN"),
		AssessmentMachineArn: get("ASSESSMENT_STATE_MACHINE_ARN"),
		SettlementMachineArn: get("SETTLEMENT_STATE_MACHINE_ARN"),
		MailFrom:             get("MAIL_FROM"),
		LinkKeyParam:         get("LINK_SIGNING_KEY_PARAM"),
		WorkBucket:           get("WORK_BUCKET"),
		S3Endpoint:           get("S3_ENDPOINT"),
	}
	if c.Mode == "" {
		c.Mode = ModeAWS
	}
	if c.Mode != ModeAWS && c.Mode != ModeLocal {
		problems = append(problems, fmt.Sprintf("APP_MODE must be aws or local, not %q", c.Mode))
	}
	if c.TableName == "" {
		problems = append(problems, "TABLE_NAME is required")
	}
	if c.Region == "" {
		c.Region = "us-east-1"
	}
	if c.JWTIssuer == "" {
		c.JWTIssuer = "productgov-local"
	}
	c.KeyShards = DefaultKeyShards
	if v := get("KEY_SHARDS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > MaxKeyShards {
			problems = append(problems, fmt.Sprintf("KEY_SHARDS must be a whole number from 1 to %d, not %q", MaxKeyShards, v))
		}
		c.KeyShards = n
	}
	if p := get("PORT"); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil || n <= 0 || n > 65535 {
			problems = append(problems, fmt.Sprintf("PORT must be a port number, not %q", p))
		}
		c.Port = n
	}
	if c.Mode == ModeLocal {
		if c.DynamoEndpoint == "" {
			problems = append(problems, "DYNAMODB_ENDPOINT is required in local mode")
		}
		key := get("JWT_SECRET")
		if len(key) < 32 {
			problems = append(problems, "JWT_SECRET of at least 32 characters is required in local mode")
		}
		c.JWTKey = []byte(key)
		link := get("LINK_SIGNING_KEY")
		if len(link) < 32 {
			problems = append(problems, "LINK_SIGNING_KEY of at least 32 characters is required in local mode")
		}
		c.LinkKey = []byte(link)
		if c.PublicBaseURL == "" {
			c.PublicBaseURL = fmt.Sprintf("http://127.0.0.1:%d", c.Port)
		}
	}
	if c.Mode == ModeAWS {
		if c.DynamoEndpoint != "" {
			problems = append(problems, "DYNAMODB_ENDPOINT must not be set on AWS")
		}
		if c.MailFrom == "" {
			problems = append(problems, "MAIL_FROM is required on AWS")
		}
		if c.LinkKeyParam == "" {
			problems = append(problems, "LINK_SIGNING_KEY_PARAM is required on AWS")
		}
		if c.PublicBaseURL == "" {
			problems = append(problems, "PUBLIC_BASE_URL is required on AWS")
		}
		if c.WorkBucket == "" {
			problems = append(problems, "WORK_BUCKET is required on AWS")
		}
	}
	if len(problems) > 0 {
		return c, errors.New("config: " + strings.Join(problems, "; "))
	}
	return c, nil
}
