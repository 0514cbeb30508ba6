// Package lambdalocal runs a Lambda function's bootstrap on this machine: it
// serves the AWS Lambda Runtime API (the HTTP endpoint a provided.al2023
// bootstrap polls for events and answers) on a random 127.0.0.1 port, starts
// the bootstrap as a child process pointed at it, and invokes it.
//
// One Runtime is one execution environment: one bootstrap process at a time,
// one invocation at a time, as on AWS. See
// https://docs.aws.amazon.com/lambda/latest/dg/runtimes-api.html.
package lambdalocal

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// DefaultTimeout bounds an invocation when Config.Timeout is zero: the
// Timeout every function has in template.yaml.
const DefaultTimeout = 29 * time.Second

// MaxResponseSize is the largest answer a function may give to a synchronous
// invocation, as on AWS (6 MB).
const MaxResponseSize = 6 << 20

// maxErrorSize bounds an error report read from the function.
const maxErrorSize = 1 << 20

// Config describes the function a Runtime serves.
type Config struct {
	// Name is the function's name: AWS_LAMBDA_FUNCTION_NAME and the last part
	// of the invoked function ARN. Empty means "function".
	Name string
	// Timeout bounds each invocation, counted from when the function receives
	// the event (its Lambda-Runtime-Deadline-Ms). Zero means DefaultTimeout.
	Timeout time.Duration
}

// Runtime is the Lambda Runtime API for one function, served on 127.0.0.1.
type Runtime struct {
	cfg   Config
	ln    net.Listener
	srv   *http.Server
	queue chan *invocation

	mu       sync.Mutex
	inflight map[string]*invocation
	proc     *Process
	down     chan struct{} // closed once the runtime can answer no more
	downErr  error
}

type invocation struct {
	id       string
	payload  []byte
	deadline time.Time
	received chan struct{} // closed when the function has taken the event
	done     chan result   // buffered: the answer never waits for a reader
}

type result struct {
	body []byte
	err  error
}

// FunctionError is an error the function reported: from an invocation (POST
// …/invocation/{id}/error), or from its initialisation (POST …/init/error).
type FunctionError struct {
	// Init is true for an initialisation error.
	Init bool
	// Type and Message are the report's errorType and errorMessage.
	Type, Message string
	// Payload is the report as the function sent it.
	Payload []byte
}

// Error says what the function reported.
func (e *FunctionError) Error() string {
	phase := "invocation"
	if e.Init {
		phase = "init"
	}
	return fmt.Sprintf("lambdalocal: function %s error %s: %s", phase, e.Type, e.Message)
}

// ErrClosed is returned by Invoke once the Runtime is closed.
var ErrClosed = errors.New("lambdalocal: runtime closed")

// Start serves the Runtime API on a random 127.0.0.1 port.
func Start(cfg Config) (*Runtime, error) {
	if cfg.Name == "" {
		cfg.Name = "function"
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = DefaultTimeout
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("lambdalocal: listen: %w", err)
	}
	r := &Runtime{
		cfg:      cfg,
		ln:       ln,
		queue:    make(chan *invocation),
		inflight: map[string]*invocation{},
		down:     make(chan struct{}),
	}
	mux := http.NewServeMux()
	const base = "/2018-06-01/runtime"
	mux.HandleFunc("GET "+base+"/invocation/next", r.next)
	mux.HandleFunc("POST "+base+"/invocation/{id}/response", r.response)
	mux.HandleFunc("POST "+base+"/invocation/{id}/error", r.invocationError)
	mux.HandleFunc("POST "+base+"/init/error", r.initError)
	r.srv = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = r.srv.Serve(ln) }()
	return r, nil
}

// Addr is the Runtime API's host:port, the value of AWS_LAMBDA_RUNTIME_API.
func (r *Runtime) Addr() string { return r.ln.Addr().String() }

// FunctionARN is the ARN the function is told it was invoked as.
func (r *Runtime) FunctionARN() string {
	return "arn:aws:lambda:us-east-1:000000000000:function:" + r.cfg.Name
}

// Invoke hands payload to the function as its next event and waits for the
// answer, as a synchronous (RequestResponse) invocation does. It waits for the
// function to ask for an event, so invocations made while one runs queue up.
// An error the function reports is a *FunctionError; a function that does not
// answer within the timeout, or a process that exits, fails the call; ctx
// bounds the whole wait.
func (r *Runtime) Invoke(ctx context.Context, payload []byte) ([]byte, error) {
	inv := &invocation{
		id:       newRequestID(),
		payload:  payload,
		received: make(chan struct{}),
		done:     make(chan result, 1),
	}
	select {
	case r.queue <- inv:
	case <-ctx.Done():
		return nil, fmt.Errorf("lambdalocal: invoke: waiting for the function to take the event: %w", ctx.Err())
	case <-r.down:
		return nil, r.Err()
	}
	<-inv.received
	timeout := time.NewTimer(time.Until(inv.deadline) + time.Second)
	defer timeout.Stop()
	select {
	case res := <-inv.done:
		return res.body, res.err
	case <-timeout.C:
		return nil, fmt.Errorf("lambdalocal: invoke %s: no answer within the function's timeout of %s", inv.id, r.cfg.Timeout)
	case <-ctx.Done():
		return nil, fmt.Errorf("lambdalocal: invoke %s: %w", inv.id, ctx.Err())
	case <-r.down:
		select { // an answer given just before the process exited still counts
		case res := <-inv.done:
			return res.body, res.err
		default:
			return nil, fmt.Errorf("lambdalocal: invoke %s: %w", inv.id, r.Err())
		}
	}
}

// Err is why the Runtime no longer answers (the process exited, reported an
// init error, or the Runtime was closed), or nil while it does.
func (r *Runtime) Err() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.downErr
}

// fail takes the Runtime down for good: every waiting Invoke returns err.
func (r *Runtime) fail(err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.downErr == nil {
		r.downErr = err
		close(r.down)
	}
}

// Close stops the function's process, if one runs, and the Runtime API.
func (r *Runtime) Close() error {
	r.mu.Lock()
	p := r.proc
	r.mu.Unlock()
	var err error
	if p != nil {
		err = p.Stop()
	}
	r.fail(ErrClosed)
	return errors.Join(err, r.srv.Close())
}

// next serves GET /runtime/invocation/next: it blocks until an event is
// queued, then sends it with the headers aws-lambda-go reads.
func (r *Runtime) next(w http.ResponseWriter, req *http.Request) {
	var inv *invocation
	select {
	case inv = <-r.queue:
	case <-req.Context().Done():
		return
	case <-r.down:
		writeAPIError(w, http.StatusInternalServerError, "Runtime.Down", r.Err().Error())
		return
	}
	inv.deadline = time.Now().Add(r.cfg.Timeout)
	r.mu.Lock()
	r.inflight[inv.id] = inv
	r.mu.Unlock()
	close(inv.received)

	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Lambda-Runtime-Aws-Request-Id", inv.id)
	h.Set("Lambda-Runtime-Deadline-Ms", strconv.FormatInt(inv.deadline.UnixMilli(), 10))
	h.Set("Lambda-Runtime-Invoked-Function-Arn", r.FunctionARN())
	h.Set("Lambda-Runtime-Trace-Id", newTraceID())
	h.Set("Content-Length", strconv.Itoa(len(inv.payload)))
	w.WriteHeader(http.StatusOK)
	if _, err := w.Write(inv.payload); err != nil {
		if inv := r.take(inv.id); inv != nil {
			inv.done <- result{err: fmt.Errorf("lambdalocal: sending event %s to the function: %w", inv.id, err)}
		}
	}
}

// take removes and returns the invocation the function answers, or nil.
func (r *Runtime) take(id string) *invocation {
	r.mu.Lock()
	defer r.mu.Unlock()
	inv := r.inflight[id]
	delete(r.inflight, id)
	return inv
}

// response serves POST /runtime/invocation/{id}/response.
func (r *Runtime) response(w http.ResponseWriter, req *http.Request) {
	id := req.PathValue("id")
	body, readErr := io.ReadAll(io.LimitReader(req.Body, MaxResponseSize+1))
	inv := r.take(id)
	if inv == nil {
		writeAPIError(w, http.StatusBadRequest, "InvalidRequestID", "no invocation "+id+" is waiting for an answer")
		return
	}
	switch {
	case readErr != nil:
		inv.done <- result{err: fmt.Errorf("lambdalocal: reading the answer to %s: %w", id, readErr)}
		writeAPIError(w, http.StatusBadRequest, "InvalidRequest", readErr.Error())
	case len(body) > MaxResponseSize:
		msg := fmt.Sprintf("response is larger than %d bytes", MaxResponseSize)
		inv.done <- result{err: &FunctionError{Type: "Function.ResponseSizeTooLarge", Message: msg}}
		writeAPIError(w, http.StatusRequestEntityTooLarge, "RequestEntityTooLarge", msg)
	default:
		// A streamed answer that failed part way names the error in trailers.
		if typ := req.Trailer.Get("Lambda-Runtime-Function-Error-Type"); typ != "" {
			fe := &FunctionError{Type: typ, Message: "the response stream failed"}
			if b, err := base64.StdEncoding.DecodeString(req.Trailer.Get("Lambda-Runtime-Function-Error-Body")); err == nil {
				fe.Payload = b
				fe.Message = errorReport(b, typ).Message
			}
			inv.done <- result{err: fe}
		} else {
			inv.done <- result{body: body}
		}
		writeAccepted(w)
	}
}

// invocationError serves POST /runtime/invocation/{id}/error.
func (r *Runtime) invocationError(w http.ResponseWriter, req *http.Request) {
	id := req.PathValue("id")
	body, _ := io.ReadAll(io.LimitReader(req.Body, maxErrorSize))
	inv := r.take(id)
	if inv == nil {
		writeAPIError(w, http.StatusBadRequest, "InvalidRequestID", "no invocation "+id+" is waiting for an answer")
		return
	}
	inv.done <- result{err: errorReport(body, req.Header.Get("Lambda-Runtime-Function-Error-Type"))}
	writeAccepted(w)
}

// initError serves POST /runtime/init/error: the function could not start,
// so every invocation fails with its report.
func (r *Runtime) initError(w http.ResponseWriter, req *http.Request) {
	body, _ := io.ReadAll(io.LimitReader(req.Body, maxErrorSize))
	fe := errorReport(body, req.Header.Get("Lambda-Runtime-Function-Error-Type"))
	fe.Init = true
	r.fail(fe)
	writeAccepted(w)
}

// errorReport reads the runtime's error document
// {"errorMessage", "errorType", "stackTrace"}.
func errorReport(body []byte, headerType string) *FunctionError {
	var doc struct {
		Message string `json:"errorMessage"`
		Type    string `json:"errorType"`
	}
	fe := &FunctionError{Type: headerType, Payload: body}
	if err := json.Unmarshal(body, &doc); err == nil {
		fe.Message = doc.Message
		if fe.Type == "" {
			fe.Type = doc.Type
		}
	} else {
		fe.Message = string(body)
	}
	if fe.Type == "" {
		fe.Type = "Unhandled"
	}
	return fe
}

func writeAccepted(w http.ResponseWriter) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusAccepted)
	_, _ = io.WriteString(w, `{"status":"OK"}`)
}

func writeAPIError(w http.ResponseWriter, status int, typ, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]string{"errorType": typ, "errorMessage": msg})
}

// newRequestID returns a random UUID, the form of Lambda request ids.
func newRequestID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

// newTraceID returns an X-Ray trace header, unsampled.
func newTraceID() string {
	var b [20]byte
	_, _ = rand.Read(b[:])
	h := hex.EncodeToString(b[:])
	return fmt.Sprintf("Root=1-%08x-%s;Parent=%s;Sampled=0", time.Now().Unix(), h[:24], h[24:40])
}
