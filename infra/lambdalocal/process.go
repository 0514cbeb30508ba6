package lambdalocal

import (
	"errors"
	"fmt"
	"io"
	"os/exec"
	"path/filepath"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// StopGrace is how long Stop waits after SIGTERM before it kills the process.
const StopGrace = 2 * time.Second

// Function is a bootstrap to run under a Runtime.
type Function struct {
	// Bootstrap is the path of the executable (a `bootstrap` built for this
	// machine's GOOS and GOARCH).
	Bootstrap string
	// Env is KEY=VALUE pairs added after the variables Lambda sets, so they
	// override them. The process inherits nothing else from this one.
	Env []string
	// Stdout and Stderr receive the function's output (its logs); nil
	// discards it.
	Stdout, Stderr io.Writer
}

// Process is a running bootstrap.
type Process struct {
	cmd      *exec.Cmd
	stopping atomic.Bool
	stopOnce sync.Once
	done     chan struct{}
	err      error // from Wait, set before done closes
}

// ErrStopped is what Invoke returns once the process was stopped.
var ErrStopped = errors.New("lambdalocal: function process stopped")

// Run starts f's bootstrap as a child process with AWS_LAMBDA_RUNTIME_API
// pointing at r and the other variables Lambda sets, plus f.Env. The
// Runtime takes one process in its life; when it exits, r answers every
// Invoke with the reason.
func (r *Runtime) Run(f Function) (*Process, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.downErr != nil {
		return nil, r.downErr
	}
	if r.proc != nil {
		return nil, errors.New("lambdalocal: a process already runs under this runtime")
	}
	name := r.cfg.Name
	cmd := exec.Command(f.Bootstrap)
	cmd.Dir = filepath.Dir(f.Bootstrap)
	cmd.Env = append([]string{
		"AWS_LAMBDA_RUNTIME_API=" + r.Addr(),
		"AWS_LAMBDA_FUNCTION_NAME=" + name,
		"AWS_LAMBDA_FUNCTION_VERSION=$LATEST",
		"AWS_LAMBDA_FUNCTION_MEMORY_SIZE=256",
		"AWS_LAMBDA_INITIALIZATION_TYPE=on-demand",
		"AWS_LAMBDA_LOG_GROUP_NAME=/aws/lambda/" + name,
		"AWS_LAMBDA_LOG_STREAM_NAME=local",
		"LAMBDA_TASK_ROOT=" + cmd.Dir,
		"_HANDLER=bootstrap",
		"LANG=en_US.UTF-8",
		"TZ=:UTC",
		"PATH=/usr/local/bin:/usr/bin:/bin",
	}, f.Env...)
	cmd.Stdout, cmd.Stderr = f.Stdout, f.Stderr
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("lambdalocal: start %s: %w", f.Bootstrap, err)
	}
	p := &Process{cmd: cmd, done: make(chan struct{})}
	r.proc = p
	go func() {
		p.err = cmd.Wait()
		if p.stopping.Load() {
			r.fail(ErrStopped)
		} else {
			r.fail(fmt.Errorf("lambdalocal: function process exited: %v", p.err))
		}
		close(p.done)
	}()
	return p, nil
}

// Done is closed when the process has exited.
func (p *Process) Done() <-chan struct{} { return p.done }

// Stop ends the process: SIGTERM, then SIGKILL after StopGrace. It returns
// nil when the process ended on SIGTERM (or had exited cleanly), and otherwise
// says how it ended. Calling it again returns the same.
func (p *Process) Stop() error {
	p.stopOnce.Do(func() {
		select {
		case <-p.done:
			return // exited on its own: keep its own error
		default:
		}
		p.stopping.Store(true)
		if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
			_ = p.cmd.Process.Kill()
		}
		select {
		case <-p.done:
		case <-time.After(StopGrace):
			_ = p.cmd.Process.Kill()
			<-p.done
			p.err = fmt.Errorf("did not stop within %s of SIGTERM; killed", StopGrace)
			return
		}
		var exit *exec.ExitError
		if errors.As(p.err, &exit) {
			if ws, ok := exit.Sys().(syscall.WaitStatus); ok && ws.Signaled() && ws.Signal() == syscall.SIGTERM {
				p.err = nil
			}
		}
	})
	<-p.done
	if p.err != nil {
		return fmt.Errorf("lambdalocal: function process: %w", p.err)
	}
	return nil
}
