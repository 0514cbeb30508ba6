// Package lambdaservice is the local Lambda: it runs every function as its
// built bootstrap under Amazon's runtime interface emulator (aws-lambda-rie),
// one invocation at a time per process as on Lambda, with a pool of processes
// per function, and serves the Lambda Invoke API (synchronous and Event) so
// Step Functions, the scheduler and the API gateway front call functions the
// way AWS does.
package lambdaservice

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// Payload limits of Lambda: a synchronous request or response carries at
// most 6 MB, an Event invocation 256 KB.
const (
	MaxSyncPayload  = 6 * 1024 * 1024
	MaxAsyncPayload = 256 * 1024
)

// Function is one function the service runs.
type Function struct {
	// Name is the function's name (its folder under functions/).
	Name string
	// Bootstrap is the built executable.
	Bootstrap string
	// Env is the function's environment: the template's variables plus the
	// local overlay (endpoints, credentials).
	Env map[string]string
	// Timeout and MemoryMB are the template's Timeout and MemorySize.
	Timeout  time.Duration
	MemoryMB int
	// Concurrency caps the processes, like reserved concurrency; further
	// invocations wait for a free one.
	Concurrency int
	// MaxRetryAttempts is how often an Event invocation that failed is retried
	// (Lambda's default 2).
	MaxRetryAttempts int
}

// Options tune the service.
type Options struct {
	// RIE is the aws-lambda-rie executable.
	RIE string
	// Log receives the service's own messages; Output each function's output
	// (the runtime's START/END/REPORT lines and the function's logs).
	Log    *slog.Logger
	Output io.Writer
	// RetryDelays are the waits before an Event invocation's retries (Lambda
	// waits about 1 and then 2 minutes); the last one repeats.
	RetryDelays []time.Duration
	// DeadLetter receives an Event invocation that failed every attempt (the
	// template's dead-letter settings); nil logs it only.
	DeadLetter func(DeadLetter)
}

// DeadLetter is an Event invocation that failed every attempt.
type DeadLetter struct {
	Function string          `json:"function"`
	Payload  json.RawMessage `json:"payload"`
	Error    string          `json:"error"`
	Attempts int             `json:"attempts"`
	At       time.Time       `json:"at"`
}

// Result is the outcome of one synchronous invocation.
type Result struct {
	// Payload is the function's response, or its error report.
	Payload []byte
	// FunctionError is "Unhandled" when the function failed, as Lambda's
	// X-Amz-Function-Error header says.
	FunctionError string
	// RequestID identifies the invocation in the function's output.
	RequestID string
}

// Service runs the functions.
type Service struct {
	opts  Options
	pools map[string]*pool

	mu       sync.Mutex
	closed   bool
	inflight int
	inits    map[string][]time.Duration
	dead     []DeadLetter
	asyncs   sync.WaitGroup
	stopping chan struct{}
}

// New returns a service for the functions; processes start on first use.
func New(functions []Function, opts Options) (*Service, error) {
	if opts.RIE == "" {
		return nil, errors.New("lambdaservice: no aws-lambda-rie executable")
	}
	if opts.Log == nil {
		opts.Log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if opts.Output == nil {
		opts.Output = io.Discard
	}
	if len(opts.RetryDelays) == 0 {
		opts.RetryDelays = []time.Duration{time.Minute, 2 * time.Minute}
	}
	s := &Service{opts: opts, pools: map[string]*pool{}, inits: map[string][]time.Duration{}, stopping: make(chan struct{})}
	for _, f := range functions {
		if f.Concurrency <= 0 {
			f.Concurrency = 1
		}
		if f.Timeout <= 0 {
			f.Timeout = 3 * time.Second
		}
		if f.MemoryMB <= 0 {
			f.MemoryMB = 128
		}
		if _, err := os.Stat(f.Bootstrap); err != nil {
			return nil, fmt.Errorf("lambdaservice: %s: %w", f.Name, err)
		}
		s.pools[f.Name] = &pool{svc: s, fn: f, slots: make(chan struct{}, f.Concurrency)}
	}
	return s, nil
}

// Functions lists the function names, sorted.
func (s *Service) Functions() []string {
	var names []string
	for n := range s.pools {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// Invoke runs one synchronous invocation of the function (a name, or an ARN
// ending in function:NAME). A function error is a Result with FunctionError
// set, not an error; the error return is for what Lambda itself would
// refuse (unknown function, payload too large) or could not do.
func (s *Service) Invoke(ctx context.Context, function string, payload []byte) (Result, error) {
	p, err := s.pool(function)
	if err != nil {
		return Result{}, err
	}
	if len(payload) > MaxSyncPayload {
		return Result{}, tooLarge(MaxSyncPayload)
	}
	return p.invoke(ctx, payload)
}

// InvokeAsync queues an Event invocation and returns at once; a failed one is
// retried MaxRetryAttempts times, then goes to the dead letters.
func (s *Service) InvokeAsync(function string, payload []byte) (string, error) {
	p, err := s.pool(function)
	if err != nil {
		return "", err
	}
	if len(payload) > MaxAsyncPayload {
		return "", tooLarge(MaxAsyncPayload)
	}
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return "", &ServiceError{Status: http.StatusServiceUnavailable, Code: "ServiceException", Message: "the local Lambda is stopping"}
	}
	s.asyncs.Add(1)
	s.inflight++
	s.mu.Unlock()
	requestID := newRequestID()
	go func() {
		defer s.asyncs.Done()
		defer func() { s.mu.Lock(); s.inflight--; s.mu.Unlock() }()
		s.runAsync(p, payload)
	}()
	return requestID, nil
}

func (s *Service) runAsync(p *pool, payload []byte) {
	attempts := 1 + max(p.fn.MaxRetryAttempts, 0)
	var last string
	for i := 0; i < attempts; i++ {
		if i > 0 {
			delay := s.opts.RetryDelays[min(i-1, len(s.opts.RetryDelays)-1)]
			select {
			case <-time.After(delay):
			case <-s.stopping:
				return
			}
		}
		res, err := p.invoke(context.Background(), payload)
		switch {
		case err != nil:
			last = err.Error()
		case res.FunctionError != "":
			last = string(res.Payload)
		default:
			return
		}
		s.opts.Log.Warn("event invocation failed", "function", p.fn.Name, "attempt", i+1, "of", attempts, "error", last)
	}
	dl := DeadLetter{Function: p.fn.Name, Payload: append(json.RawMessage(nil), payload...), Error: last, Attempts: attempts, At: time.Now().UTC()}
	s.mu.Lock()
	s.dead = append(s.dead, dl)
	s.mu.Unlock()
	s.opts.Log.Error("event invocation failed every attempt", "function", p.fn.Name, "attempts", attempts, "error", last)
	if s.opts.DeadLetter != nil {
		s.opts.DeadLetter(dl)
	}
}

// Settle waits until no Event invocation is queued, running or waiting for a
// retry (for tests and tools that fire a schedule and read its effect).
func (s *Service) Settle(ctx context.Context) error {
	for {
		s.mu.Lock()
		n := s.inflight
		s.mu.Unlock()
		if n == 0 {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(10 * time.Millisecond):
		}
	}
}

// DeadLetters lists the Event invocations that failed every attempt.
func (s *Service) DeadLetters() []DeadLetter {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]DeadLetter(nil), s.dead...)
}

// InitDurations lists the init durations the runtime reported for the
// function's cold starts.
func (s *Service) InitDurations(function string) []time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]time.Duration(nil), s.inits[function]...)
}

// Running reports how many invocations of the function are being answered.
func (s *Service) Running(function string) int {
	p, err := s.pool(function)
	if err != nil {
		return 0
	}
	return int(p.running.Load())
}

// Kill ends every process of the function at once with SIGKILL, as a crash
// or an out-of-memory kill would (fault tests); invocations in flight fail
// with Runtime.ExitError and later ones start fresh processes.
func (s *Service) Kill(function string) (int, error) {
	p, err := s.pool(function)
	if err != nil {
		return 0, err
	}
	p.mu.Lock()
	all := append([]*instance(nil), p.all...)
	p.mu.Unlock()
	n := 0
	for _, inst := range all {
		if inst.alive() {
			_ = syscall.Kill(-inst.cmd.Process.Pid, syscall.SIGKILL)
			n++
		}
	}
	return n, nil
}

// Close stops queued retries and every process.
func (s *Service) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	close(s.stopping)
	s.mu.Unlock()
	s.asyncs.Wait()
	for _, p := range s.pools {
		p.close()
	}
	return nil
}

func (s *Service) pool(function string) (*pool, error) {
	name := FunctionName(function)
	p, ok := s.pools[name]
	if !ok {
		return nil, &ServiceError{Status: http.StatusNotFound, Code: "ResourceNotFoundException", Message: "Function not found: " + function}
	}
	return p, nil
}

// FunctionName extracts NAME from "arn:aws:lambda:r:a:function:NAME[:q]",
// "a:function:NAME[:q]" or "NAME[:q]".
func FunctionName(function string) string {
	parts := strings.Split(function, ":")
	for i, p := range parts {
		if p == "function" && i+1 < len(parts) {
			return parts[i+1]
		}
	}
	return parts[0]
}

// tooLarge is Lambda's refusal of a payload over limit bytes.
func tooLarge(limit int) *ServiceError {
	return &ServiceError{Status: http.StatusRequestEntityTooLarge, Code: "RequestTooLargeException",
		Message: fmt.Sprintf("Request must be smaller than %d bytes for the InvokeFunction operation", limit)}
}

// ServiceError is a refusal of the Lambda service itself.
type ServiceError struct {
	Status  int
	Code    string
	Message string
}

// Error describes the refusal.
func (e *ServiceError) Error() string { return e.Code + ": " + e.Message }

// ServeHTTP serves the Invoke API: POST /2015-03-31/functions/{name}/invocations
// with X-Amz-Invocation-Type RequestResponse (default), Event or DryRun.
func (s *Service) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rest, ok := strings.CutPrefix(r.URL.EscapedPath(), "/2015-03-31/functions/")
	escaped, found := strings.CutSuffix(rest, "/invocations")
	if !ok || !found || r.Method != http.MethodPost {
		writeServiceError(w, &ServiceError{Status: http.StatusNotFound, Code: "UnknownOperationException", Message: "the local Lambda serves only Invoke"})
		return
	}
	function, err := url.PathUnescape(escaped)
	if err != nil {
		writeServiceError(w, &ServiceError{Status: http.StatusBadRequest, Code: "InvalidParameterValueException", Message: "bad function name"})
		return
	}
	payload, err := io.ReadAll(io.LimitReader(r.Body, MaxSyncPayload+1))
	if err != nil {
		writeServiceError(w, &ServiceError{Status: http.StatusBadRequest, Code: "InvalidRequestContentException", Message: err.Error()})
		return
	}
	if len(payload) == 0 {
		payload = []byte("{}")
	}
	if len(payload) > MaxSyncPayload {
		writeServiceError(w, tooLarge(MaxSyncPayload))
		return
	}
	if !json.Valid(payload) {
		writeServiceError(w, &ServiceError{Status: http.StatusBadRequest, Code: "InvalidRequestContentException", Message: "Could not parse request body into json"})
		return
	}
	switch r.Header.Get("X-Amz-Invocation-Type") {
	case "Event":
		requestID, err := s.InvokeAsync(function, payload)
		if err != nil {
			writeServiceError(w, err)
			return
		}
		w.Header().Set("X-Amzn-Requestid", requestID)
		w.WriteHeader(http.StatusAccepted)
	case "DryRun":
		if _, err := s.pool(function); err != nil {
			writeServiceError(w, err)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	default:
		res, err := s.Invoke(r.Context(), function, payload)
		if err != nil {
			writeServiceError(w, err)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("X-Amz-Executed-Version", "$LATEST")
		w.Header().Set("X-Amzn-Requestid", res.RequestID)
		if res.FunctionError != "" {
			w.Header().Set("X-Amz-Function-Error", res.FunctionError)
		}
		_, _ = w.Write(res.Payload)
	}
}

func writeServiceError(w http.ResponseWriter, err error) {
	var se *ServiceError
	if !errors.As(err, &se) {
		se = &ServiceError{Status: http.StatusInternalServerError, Code: "ServiceException", Message: err.Error()}
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Amzn-ErrorType", se.Code)
	w.WriteHeader(se.Status)
	_ = json.NewEncoder(w).Encode(map[string]string{"Type": "User", "message": se.Message})
}

// pool holds one function's processes.
type pool struct {
	svc   *Service
	fn    Function
	slots chan struct{}
	// running counts invocations being answered now.
	running atomic.Int64

	mu     sync.Mutex
	idle   []*instance
	all    []*instance
	closed bool
}

func (p *pool) invoke(ctx context.Context, payload []byte) (Result, error) {
	select {
	case p.slots <- struct{}{}:
	case <-ctx.Done():
		return Result{}, ctx.Err()
	}
	defer func() { <-p.slots }()
	inst, err := p.take()
	if err != nil {
		return Result{}, &ServiceError{Status: http.StatusInternalServerError, Code: "ServiceException", Message: err.Error()}
	}
	p.running.Add(1)
	res, err := inst.invoke(ctx, payload, p.fn.Timeout)
	p.running.Add(-1)
	p.give(inst)
	return res, err
}

// take returns an idle process, or starts one.
func (p *pool) take() (*instance, error) {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return nil, errors.New("the local Lambda is stopping")
	}
	for len(p.idle) > 0 {
		inst := p.idle[len(p.idle)-1]
		p.idle = p.idle[:len(p.idle)-1]
		if inst.alive() {
			p.mu.Unlock()
			return inst, nil
		}
	}
	p.mu.Unlock()
	inst, err := p.start()
	if err != nil {
		return nil, err
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		inst.stop()
		return nil, errors.New("the local Lambda is stopping")
	}
	p.all = append(p.all, inst)
	return inst, nil
}

func (p *pool) give(inst *instance) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if inst.alive() && !p.closed {
		p.idle = append(p.idle, inst)
	}
}

func (p *pool) close() {
	p.mu.Lock()
	p.closed = true
	all := p.all
	p.all, p.idle = nil, nil
	p.mu.Unlock()
	for _, inst := range all {
		inst.stop()
	}
}

// start runs a new emulator process for the function and waits until it
// accepts invocations. Ports are picked free just before; a clash is retried.
func (p *pool) start() (*instance, error) {
	var lastErr error
	for try := 0; try < 3; try++ {
		inst, err := p.startOnce()
		if err == nil {
			return inst, nil
		}
		lastErr = err
	}
	return nil, fmt.Errorf("lambdaservice: start %s: %w", p.fn.Name, lastErr)
}

func (p *pool) startOnce() (*instance, error) {
	addrs, err := freeAddrs(2)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(p.svc.opts.RIE, "--runtime-interface-emulator-address", addrs[0], "--runtime-api-address", addrs[1], p.fn.Bootstrap)
	cmd.Dir = filepath.Dir(p.fn.Bootstrap)
	cmd.Env = p.environment()
	out := &lineWriter{svc: p.svc, fn: p.fn.Name}
	cmd.Stdout, cmd.Stderr = out, out
	// Its own process group, so stopping it ends the bootstrap too.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	// Pdeathsig fires when the forking thread exits, not the process: pin the
	// fork to a thread that lives on.
	runtime.LockOSThread()
	err = cmd.Start()
	runtime.UnlockOSThread()
	if err != nil {
		return nil, err
	}
	inst := &instance{addr: addrs[0], cmd: cmd, done: make(chan struct{})}
	go func() { _ = cmd.Wait(); close(inst.done) }()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if !inst.alive() {
			return nil, fmt.Errorf("the runtime emulator exited at start (a port taken meanwhile?): %v", cmd.ProcessState)
		}
		// The port was free when picked, but another process may have taken it
		// since: only a listener that this emulator owns will do.
		if ours, err := listensOn(cmd.Process.Pid, addrs[0]); err != nil || ours {
			if err != nil {
				inst.stop()
				return nil, err
			}
			return inst, nil
		}
		time.Sleep(10 * time.Millisecond)
	}
	inst.stop()
	return nil, errors.New("the runtime emulator did not listen within 10s")
}

// environment is what Lambda sets for the function plus the function's own
// variables; nothing is inherited from this process but PATH.
func (p *pool) environment() []string {
	env := []string{
		"PATH=" + os.Getenv("PATH"),
		"AWS_LAMBDA_FUNCTION_NAME=" + p.fn.Name,
		"AWS_LAMBDA_FUNCTION_VERSION=$LATEST",
		"AWS_LAMBDA_FUNCTION_TIMEOUT=" + strconv.Itoa(int(p.fn.Timeout/time.Second)),
		"AWS_LAMBDA_FUNCTION_MEMORY_SIZE=" + strconv.Itoa(p.fn.MemoryMB),
		"AWS_LAMBDA_LOG_GROUP_NAME=/aws/lambda/" + p.fn.Name,
		"AWS_LAMBDA_LOG_STREAM_NAME=local",
		"LOG_LEVEL=info", // for the runtime's INIT REPORT lines; its other info lines are dropped
		"TZ=:UTC",
	}
	keys := make([]string, 0, len(p.fn.Env))
	for k := range p.fn.Env {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		env = append(env, k+"="+p.fn.Env[k])
	}
	return env
}

// instance is one emulator process with its bootstrap.
type instance struct {
	addr string
	cmd  *exec.Cmd
	done chan struct{}
}

func (i *instance) alive() bool {
	select {
	case <-i.done:
		return false
	default:
		return true
	}
}

func (i *instance) stop() {
	if i.cmd.Process != nil {
		_ = syscall.Kill(-i.cmd.Process.Pid, syscall.SIGKILL)
	}
	<-i.done
}

// timedOut is what the emulator answers when the function ran out of time.
var timedOut = regexp.MustCompile(`^Task timed out after [0-9.]+ seconds$`)

// invoke sends one invocation to the emulator and reads its answer the way
// Lambda reports it: the emulator does not pass the function-error header on,
// so an error report is recognised by its shape.
func (i *instance) invoke(ctx context.Context, payload []byte, timeout time.Duration) (Result, error) {
	requestID := newRequestID()
	ctx, cancel := context.WithTimeout(ctx, timeout+10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, "http://"+i.addr+"/2015-03-31/functions/function/invocations", bytes.NewReader(payload))
	if err != nil {
		return Result{}, err
	}
	req.Header.Set("X-Amzn-RequestId", requestID)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		// A process that died answers with a broken connection; the process
		// is reaped a moment later.
		select {
		case <-i.done:
		case <-time.After(2 * time.Second):
		}
		if !i.alive() {
			return Result{RequestID: requestID, FunctionError: "Unhandled", Payload: errorReport("Runtime.ExitError",
				fmt.Sprintf("RequestId: %s Error: Runtime exited: %v", requestID, i.cmd.ProcessState))}, nil
		}
		return Result{}, err
	}
	defer res.Body.Close()
	body, err := io.ReadAll(io.LimitReader(res.Body, MaxSyncPayload+1))
	if err != nil {
		return Result{}, err
	}
	out := Result{RequestID: requestID, Payload: body}
	switch {
	case len(body) > MaxSyncPayload:
		out.FunctionError, out.Payload = "Unhandled", errorReport("Function.ResponseSizeTooLarge",
			fmt.Sprintf("Response payload size exceeded maximum allowed payload size (%d bytes).", MaxSyncPayload))
	case timedOut.Match(bytes.TrimSpace(body)):
		out.FunctionError, out.Payload = "Unhandled", errorReport("Sandbox.Timedout",
			fmt.Sprintf("RequestId: %s Error: %s", requestID, bytes.TrimSpace(body)))
	case isErrorReport(body):
		out.FunctionError = "Unhandled"
	case res.StatusCode == http.StatusBadGateway && len(bytes.TrimSpace(body)) == 0:
		// The emulator says nothing more when the runtime died during init.
		out.FunctionError, out.Payload = "Unhandled", errorReport("Runtime.ExitError",
			fmt.Sprintf("RequestId: %s Error: Runtime exited during init without a report", requestID))
	case res.StatusCode != http.StatusOK:
		out.FunctionError, out.Payload = "Unhandled", errorReport("Lambda.Unknown",
			fmt.Sprintf("RequestId: %s Error: the runtime answered %d: %s", requestID, res.StatusCode, bytes.TrimSpace(body)))
	}
	return out, nil
}

// isErrorReport recognises the runtime's error report: an object with an
// errorType and nothing but errorMessage and stackTrace besides.
func isErrorReport(body []byte) bool {
	var m map[string]json.RawMessage
	if json.Unmarshal(body, &m) != nil {
		return false
	}
	if _, ok := m["errorType"]; !ok {
		return false
	}
	for k := range m {
		if k != "errorType" && k != "errorMessage" && k != "stackTrace" {
			return false
		}
	}
	return true
}

func errorReport(errorType, message string) []byte {
	b, _ := json.Marshal(map[string]string{"errorType": errorType, "errorMessage": message})
	return b
}

// newRequestID is a random UUID, as Lambda's request ids are.
func newRequestID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
}

// listensOn reports whether process pid holds a listening TCP socket on
// addr (host:port), from /proc: its socket inodes against the kernel's table
// of listening sockets.
func listensOn(pid int, addr string) (bool, error) {
	_, portText, err := net.SplitHostPort(addr)
	if err != nil {
		return false, err
	}
	port, err := strconv.Atoi(portText)
	if err != nil {
		return false, err
	}
	listening := map[string]bool{}
	for _, table := range []string{"/proc/net/tcp", "/proc/net/tcp6"} {
		b, err := os.ReadFile(table)
		if err != nil {
			continue
		}
		for _, line := range strings.Split(string(b), "\n")[1:] {
			f := strings.Fields(line)
			// sl local_address rem_address st ... inode (field 9); st 0A is LISTEN.
			if len(f) < 10 || f[3] != "0A" {
				continue
			}
			if i := strings.LastIndexByte(f[1], ':'); i >= 0 {
				if p, err := strconv.ParseInt(f[1][i+1:], 16, 32); err == nil && int(p) == port {
					listening[f[9]] = true
				}
			}
		}
	}
	if len(listening) == 0 {
		return false, nil
	}
	fds, err := os.ReadDir(fmt.Sprintf("/proc/%d/fd", pid))
	if err != nil {
		return false, nil // not started yet, or gone; the caller checks again
	}
	for _, fd := range fds {
		target, err := os.Readlink(fmt.Sprintf("/proc/%d/fd/%s", pid, fd.Name()))
		if err == nil && strings.HasPrefix(target, "socket:[") && listening[strings.Trim(target[len("socket:"):], "[]")] {
			return true, nil
		}
	}
	return false, nil
}

// handedOut are the ports this process gave an emulator, never given twice.
var (
	handedMu  sync.Mutex
	handedOut = map[string]bool{}
)

func freeAddrs(n int) ([]string, error) {
	var lns []net.Listener
	defer func() {
		for _, ln := range lns {
			ln.Close()
		}
	}()
	var out []string
	for i := 0; i < n; i++ {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		lns = append(lns, ln)
		addr := ln.Addr().String()
		handedMu.Lock()
		again := handedOut[addr]
		handedOut[addr] = true
		handedMu.Unlock()
		if again {
			i-- // the kernel gave it before; take another
			continue
		}
		out = append(out, addr)
	}
	return out, nil
}

// initReport finds the runtime's report of a cold start: how long the
// bootstrap took from its start until it asked for its first event.
var initReport = regexp.MustCompile(`INIT REPORT\(durationMs: ([0-9.]+)\)`)

// lineWriter passes a function's output on line by line, prefixed with the
// function's name, and notes the init durations it reports.
type lineWriter struct {
	svc *Service
	fn  string
	mu  sync.Mutex
	buf []byte
}

func (w *lineWriter) Write(b []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf = append(w.buf, b...)
	for {
		i := bytes.IndexByte(w.buf, '\n')
		if i < 0 {
			break
		}
		line := string(w.buf[:i])
		w.buf = w.buf[i+1:]
		if m := initReport.FindStringSubmatch(line); m != nil {
			if ms, err := strconv.ParseFloat(m[1], 64); err == nil {
				w.svc.mu.Lock()
				w.svc.inits[w.fn] = append(w.svc.inits[w.fn], time.Duration(ms*float64(time.Millisecond)))
				w.svc.mu.Unlock()
			}
		}
		if strings.Contains(line, "[INFO] (rapid)") {
			continue // the emulator's own chatter
		}
		fmt.Fprintf(w.svc.opts.Output, "[%s] %s\n", w.fn, line)
	}
	return len(b), nil
}

// PeakRSS reports, for each live process of the function, the largest
// resident set its bootstrap has had (VmHWM of the runtime emulator's child:
// the function's own code), by the bootstrap's pid. Linux only; the
// benchmark reads it to show that a function's memory does not grow with the
// work it is handed.
func (s *Service) PeakRSS(function string) (map[int]uint64, error) {
	p, err := s.pool(function)
	if err != nil {
		return nil, err
	}
	p.mu.Lock()
	all := append([]*instance(nil), p.all...)
	p.mu.Unlock()
	out := map[int]uint64{}
	for _, inst := range all {
		if !inst.alive() {
			continue
		}
		// The emulator forks its child from whichever of its threads runs:
		// each thread lists its own children.
		rie := inst.cmd.Process.Pid
		tasks, err := filepath.Glob(fmt.Sprintf("/proc/%d/task/*/children", rie))
		if err != nil {
			return nil, err
		}
		var children []string
		for _, t := range tasks {
			b, err := os.ReadFile(t)
			if err == nil {
				children = append(children, strings.Fields(string(b))...)
			}
		}
		for _, f := range children {
			pid, err := strconv.Atoi(f)
			if err != nil {
				continue
			}
			if peak, err := vmHWM(pid); err == nil {
				out[pid] = peak
			}
		}
	}
	return out, nil
}

// vmHWM reads a process's peak resident set size in bytes.
func vmHWM(pid int) (uint64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	for line := range strings.Lines(string(b)) {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			f := strings.Fields(v)
			if len(f) == 2 && f[1] == "kB" {
				n, err := strconv.ParseUint(f[0], 10, 64)
				return n << 10, err
			}
		}
	}
	return 0, fmt.Errorf("lambdaservice: no VmHWM for pid %d", pid)
}
