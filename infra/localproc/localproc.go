// Package localproc runs the local stack's stand-ins for AWS services
// (DynamoDB Local, the S3 server) as child processes on loopback ports: in
// their own process group, killed with the process that started them,
// waited for until they answer, and stopped with SIGTERM, then SIGKILL.
package localproc

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"os/exec"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Options describe a service process.
type Options struct {
	// Name prefixes error messages, e.g. "dynamolocal: java".
	Name string
	// Path, Args and Dir are the command, its arguments and its folder.
	Path string
	Args []string
	Dir  string
	// Log receives the process's output; nil discards it.
	Log io.Writer
	// Ready reports whether the service answers; Start polls it.
	Ready func(ctx context.Context) bool
	// Timeout bounds the wait for Ready.
	Timeout time.Duration
	// Poll is the wait between two Ready calls.
	Poll time.Duration
}

// Process is a running service.
type Process struct {
	cmd      *exec.Cmd
	done     chan struct{}
	stopOnce sync.Once
}

// Start launches the process and waits until Ready reports true. Its
// output's last lines explain a process that exits or never gets ready.
func Start(ctx context.Context, o Options) (*Process, error) {
	cmd := exec.Command(o.Path, o.Args...)
	cmd.Dir = o.Dir
	// The service must not outlive a test binary or the runner that started it.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	logw := o.Log
	if logw == nil {
		logw = io.Discard
	}
	// exec copies the output through lines, and Wait returns only after
	// the copy has read everything, so an early exit's message always holds
	// its last words. WaitDelay bounds that wait when a grandchild keeps
	// the pipe open after the process itself has gone.
	var tail tailBuffer
	lines := &lineWriter{tail: &tail, log: logw}
	cmd.Stdout = lines
	cmd.Stderr = lines
	cmd.WaitDelay = 2 * time.Second
	// Pdeathsig fires when the forking thread exits; pin it for the fork.
	runtime.LockOSThread()
	err := cmd.Start()
	runtime.UnlockOSThread()
	if err != nil {
		return nil, fmt.Errorf("%s: start: %w", o.Name, err)
	}
	p := &Process{cmd: cmd, done: make(chan struct{})}
	go func() { _ = cmd.Wait(); lines.flush(); close(p.done) }()

	deadline := time.Now().Add(o.Timeout)
	for {
		if o.Ready(ctx) {
			return p, nil
		}
		select {
		case <-p.done:
			return nil, fmt.Errorf("%s exited early: %s", o.Name, tail.String())
		case <-ctx.Done():
			p.Stop()
			return nil, ctx.Err()
		case <-time.After(o.Poll):
		}
		if time.Now().After(deadline) {
			p.Stop()
			return nil, fmt.Errorf("%s: not ready after %s: %s", o.Name, o.Timeout, tail.String())
		}
	}
}

// Stop ends the process group and waits for the process.
func (p *Process) Stop() {
	p.stopOnce.Do(func() {
		if p.cmd.Process != nil {
			_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGTERM)
			select {
			case <-p.done:
			case <-time.After(5 * time.Second):
				_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
				<-p.done
			}
		}
	})
}

// Done is closed when the process has exited.
func (p *Process) Done() <-chan struct{} { return p.done }

// FreePort returns a loopback port nothing listens on at the moment.
func FreePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// lineWriter splits a process's output into lines for the log and the tail.
// exec calls Write from one goroutine, so it needs no lock of its own.
type lineWriter struct {
	tail    *tailBuffer
	log     io.Writer
	partial []byte
}

func (w *lineWriter) Write(b []byte) (int, error) {
	w.partial = append(w.partial, b...)
	for {
		i := bytes.IndexByte(w.partial, '\n')
		if i < 0 {
			return len(b), nil
		}
		w.line(string(w.partial[:i]))
		w.partial = w.partial[i+1:]
	}
}

// flush passes on a last line that had no newline.
func (w *lineWriter) flush() {
	if len(w.partial) > 0 {
		w.line(string(w.partial))
		w.partial = nil
	}
}

func (w *lineWriter) line(s string) {
	w.tail.add(s)
	fmt.Fprintln(w.log, s)
}

// tailBuffer keeps the last lines of a process's output.
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
