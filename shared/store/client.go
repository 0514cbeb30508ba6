package store

import (
	"context"
	"fmt"
	"net"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/feature/ec2/imds"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
)

// NewClient returns a DynamoDB client. With an endpoint (DynamoDB Local) it uses
// dummy credentials and skips response checksum validation, which DynamoDB Local
// does not always satisfy; without one it uses the Lambda's own credentials.
func NewClient(ctx context.Context, endpoint, region string) (*dynamodb.Client, error) {
	cfg, err := LocalConfig(ctx, endpoint, region)
	if err != nil {
		return nil, err
	}
	return NewClientFromConfig(cfg, endpoint), nil
}

// LocalConfig loads an AWS configuration for a client outside Lambda: with
// an endpoint (a local server) it signs with dummy credentials and checks
// checksums only where an operation requires them.
func LocalConfig(ctx context.Context, endpoint, region string) (aws.Config, error) {
	if region == "" {
		region = "us-east-1"
	}
	opts := []func(*awsconfig.LoadOptions) error{awsconfig.WithRegion(region)}
	if endpoint != "" {
		opts = append(opts,
			awsconfig.WithCredentialsProvider(credentials.NewStaticCredentialsProvider("local", "local", "")),
			awsconfig.WithResponseChecksumValidation(aws.ResponseChecksumValidationWhenRequired),
			awsconfig.WithRequestChecksumCalculation(aws.RequestChecksumCalculationWhenRequired),
			awsconfig.WithEC2IMDSClientEnableState(imds.ClientDisabled),
		)
	}
	cfg, err := awsconfig.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return aws.Config{}, fmt.Errorf("store: aws config: %w", err)
	}
	return cfg, nil
}

// NewClientFromConfig returns a DynamoDB client on an AWS configuration
// already loaded (a Lambda loads one for all its clients), at endpoint when
// one is given. A database that does not answer costs seconds, not minutes:
// each attempt is bounded (connect 2 s, answer 5 s) and so are the waits
// between the 5 attempts (at most 1 s), and callers bound the whole.
func NewClientFromConfig(cfg aws.Config, endpoint string) *dynamodb.Client {
	return dynamodb.NewFromConfig(cfg, func(o *dynamodb.Options) {
		if endpoint != "" {
			o.BaseEndpoint = aws.String(endpoint)
		}
		o.HTTPClient = awshttp.NewBuildableClient().WithTimeout(attemptTimeout).
			WithDialerOptions(func(d *net.Dialer) { d.Timeout = connectTimeout })
		o.Retryer = retry.NewStandard(func(so *retry.StandardOptions) {
			so.MaxAttempts = 5
			so.MaxBackoff = time.Second
		})
	})
}

// Bounds of one DynamoDB request attempt.
const (
	connectTimeout = 2 * time.Second
	attemptTimeout = 5 * time.Second
)
