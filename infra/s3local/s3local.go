// Package s3local runs a local S3-compatible server for the local stack and
// the tests: gofakes3 (github.com/johannesboyne/gofakes3, pinned below), as
// a separate process on a loopback port, as DynamoDB Local runs in
// infra/dynamolocal. The functions and the ASL engine reach it through the
// real aws-sdk-go-v2 S3 client with path-style addressing.
package s3local

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"

	"productgov/infra/dynamolocal"
	"productgov/infra/localproc"
)

// Package is the server's command and Version the release pinned for it (the
// Makefile's deps-go installs the same for make test and make run). It
// is installed with `go install Package@Version` into build/host rather than
// pinned as a tool in go.mod: its module requires aws-sdk-go-v2 v1.41 and
// smithy-go v1.24, and a tool line would move every function's SDK there.
const (
	Package = "github.com/johannesboyne/gofakes3/cmd/gofakes3"
	Version = "v1.2.0"
)

// Environment variables of the local S3 server.
const (
	// BinaryEnv names a prebuilt gofakes3 executable (`make test` builds one
	// for every test binary).
	BinaryEnv = "PRODUCTGOV_GOFAKES3"
	// EndpointEnv hands every test binary one shared server, as
	// DYNAMODB_ENDPOINT does for DynamoDB Local; unset, a binary starts its own.
	EndpointEnv = "S3_ENDPOINT"
	// PathStyleEnv tells the functions' S3 client to address buckets by path
	// (http://127.0.0.1:port/bucket/key): a loopback address has no
	// per-bucket host names. The SDK has no standard variable for this, so
	// the application reads this one (unset on AWS).
	PathStyleEnv = "AWS_S3_USE_PATH_STYLE"
)

// Credentials the local clients sign with; the server checks no signature.
const (
	AccessKeyID     = "local"
	SecretAccessKey = "local"
)

// Options choose how the server runs.
type Options struct {
	// DataDir keeps the objects on disk (make run); empty keeps them in memory (tests).
	DataDir string
	// Port to listen on; 0 picks a free loopback port.
	Port int
	// Log receives the server's own output; nil discards it.
	Log io.Writer
	// Binary is the gofakes3 executable; empty takes BinaryEnv or builds it.
	Binary string
}

// Instance is a running server.
type Instance struct {
	// Endpoint is the URL clients connect to, e.g. http://127.0.0.1:41234.
	Endpoint string
	*localproc.Process
}

// Binary returns the gofakes3 executable: BinaryEnv when set, otherwise
// root/build/host/gofakes3, installed at the pinned version when missing.
// Concurrent callers (test binaries in parallel) take turns through a lock file.
func Binary(ctx context.Context) (string, error) {
	if bin := os.Getenv(BinaryEnv); bin != "" {
		return bin, nil
	}
	root, err := dynamolocal.RepoRoot()
	if err != nil {
		return "", err
	}
	dir := filepath.Join(root, "build", "host")
	bin := filepath.Join(dir, "gofakes3")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	lock, err := os.OpenFile(filepath.Join(dir, ".gofakes3.lock"), os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return "", err
	}
	defer lock.Close()
	if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX); err != nil {
		return "", err
	}
	defer syscall.Flock(int(lock.Fd()), syscall.LOCK_UN)
	if _, err := os.Stat(bin); err == nil {
		return bin, nil
	}
	cmd := exec.CommandContext(ctx, "go", "install", Package+"@"+Version)
	// `go install pkg@version` builds outside this module, from the
	// module proxy; GOFLAGS such as -mod would not apply to it.
	cmd.Env = append(os.Environ(), "GOBIN="+dir, "GOFLAGS=")
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("s3local: go install %s@%s: %w\n%s", Package, Version, err, out)
	}
	return bin, nil
}

// Start launches the server and waits until it answers.
func Start(ctx context.Context, opts Options) (*Instance, error) {
	bin := opts.Binary
	if bin == "" {
		var err error
		if bin, err = Binary(ctx); err != nil {
			return nil, err
		}
	}
	port := opts.Port
	if port == 0 {
		var err error
		if port, err = localproc.FreePort(); err != nil {
			return nil, err
		}
	}
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	args := []string{"-host", addr, "-quiet"}
	if opts.DataDir != "" {
		if err := os.MkdirAll(opts.DataDir, 0o755); err != nil {
			return nil, fmt.Errorf("s3local: data dir: %w", err)
		}
		args = append(args, "-backend", "fs", "-fs.path", opts.DataDir, "-fs.create")
	} else {
		args = append(args, "-backend", "memory")
	}
	proc, err := localproc.Start(ctx, localproc.Options{
		Name: "s3local: gofakes3", Path: bin, Args: args, Log: opts.Log,
		Ready:   func(ctx context.Context) bool { return ready(ctx, "http://"+addr) },
		Timeout: 30 * time.Second, Poll: 50 * time.Millisecond,
	})
	if err != nil {
		return nil, err
	}
	return &Instance{Endpoint: "http://" + addr, Process: proc}, nil
}

// NewClient returns an S3 client for the local server: path-style, dummy
// credentials, and checksums only where an operation requires them (the
// SDK's default CRC32 trailers are newer than the server).
func NewClient(endpoint string) *s3.Client {
	return s3.New(s3.Options{
		Region:                     "us-east-1",
		BaseEndpoint:               aws.String(endpoint),
		UsePathStyle:               true,
		Credentials:                credentials.NewStaticCredentialsProvider(AccessKeyID, SecretAccessKey, ""),
		RequestChecksumCalculation: aws.RequestChecksumCalculationWhenRequired,
		ResponseChecksumValidation: aws.ResponseChecksumValidationWhenRequired,
	})
}

// EnsureBucket creates a bucket unless it exists, so `make run` can call it
// at every start.
func EnsureBucket(ctx context.Context, client *s3.Client, name string) error {
	_, err := client.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(name)})
	var owned *s3types.BucketAlreadyOwnedByYou
	var exists *s3types.BucketAlreadyExists
	if err == nil || errors.As(err, &owned) || errors.As(err, &exists) {
		return nil
	}
	return fmt.Errorf("s3local: create bucket %s: %w", name, err)
}

func ready(ctx context.Context, endpoint string) bool {
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, endpoint+"/", nil)
	c := http.Client{Timeout: time.Second}
	resp, err := c.Do(req)
	if err != nil {
		return false
	}
	resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}
