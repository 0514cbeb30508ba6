package lambdalocal

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"
)

// fakeFunction speaks the Runtime API from the test, as a bootstrap would.
type fakeFunction struct {
	t    *testing.T
	base string
}

func newRuntime(t *testing.T, cfg Config) (*Runtime, fakeFunction) {
	t.Helper()
	r, err := Start(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = r.Close() })
	if !strings.HasPrefix(r.Addr(), "127.0.0.1:") {
		t.Errorf("Addr %s is not on 127.0.0.1", r.Addr())
	}
	return r, fakeFunction{t, "http://" + r.Addr() + "/2018-06-01/runtime"}
}

// next takes the next event.
func (f fakeFunction) next() (id string, h http.Header, payload []byte) {
	res, err := http.Get(f.base + "/invocation/next")
	if err != nil {
		f.t.Errorf("next: %v", err)
		return "", nil, nil
	}
	defer res.Body.Close()
	payload, _ = io.ReadAll(res.Body)
	if res.StatusCode != http.StatusOK {
		f.t.Errorf("next: status %d: %s", res.StatusCode, payload)
	}
	return res.Header.Get("Lambda-Runtime-Aws-Request-Id"), res.Header, payload
}

// post sends body to path and returns the status.
func (f fakeFunction) post(path, body string, header http.Header) int {
	req, err := http.NewRequest(http.MethodPost, f.base+path, strings.NewReader(body))
	if err != nil {
		f.t.Fatal(err)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		f.t.Errorf("post %s: %v", path, err)
		return 0
	}
	_, _ = io.Copy(io.Discard, res.Body)
	res.Body.Close()
	return res.StatusCode
}

type invoked struct {
	body []byte
	err  error
}

// invokeAsync invokes in the background, as a caller waiting on the function.
func invokeAsync(ctx context.Context, r *Runtime, payload string) <-chan invoked {
	ch := make(chan invoked, 1)
	go func() {
		b, err := r.Invoke(ctx, []byte(payload))
		ch <- invoked{b, err}
	}()
	return ch
}

// TestInvokeHandsTheEventOverAndReturnsTheAnswer plays the bootstrap's loop
// (next, answer, next…) and checks the headers aws-lambda-go reads.
func TestInvokeHandsTheEventOverAndReturnsTheAnswer(t *testing.T) {
	r, fn := newRuntime(t, Config{Name: "Echo", Timeout: 5 * time.Second})
	uuid := regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)
	seen := map[string]bool{}
	for i := range 3 { // the function loops: next, answer, next…
		payload := `{"n":` + strconv.Itoa(i) + `}`
		res := invokeAsync(t.Context(), r, payload)
		id, h, got := fn.next()
		if string(got) != payload {
			t.Errorf("event %d: function got %s, want %s", i, got, payload)
		}
		if !uuid.MatchString(id) || seen[id] {
			t.Errorf("event %d: request id %q is not a fresh UUID", i, id)
		}
		seen[id] = true
		ms, err := strconv.ParseInt(h.Get("Lambda-Runtime-Deadline-Ms"), 10, 64)
		if left := time.Until(time.UnixMilli(ms)); err != nil || left <= 4*time.Second || left > 5*time.Second {
			t.Errorf("event %d: Lambda-Runtime-Deadline-Ms %q is not 5 s ahead (timeout)", i, h.Get("Lambda-Runtime-Deadline-Ms"))
		}
		if arn := h.Get("Lambda-Runtime-Invoked-Function-Arn"); arn != r.FunctionARN() || !strings.HasSuffix(arn, ":function:Echo") {
			t.Errorf("event %d: Lambda-Runtime-Invoked-Function-Arn %q, want %s", i, arn, r.FunctionARN())
		}
		if tr := h.Get("Lambda-Runtime-Trace-Id"); !strings.HasPrefix(tr, "Root=1-") {
			t.Errorf("event %d: Lambda-Runtime-Trace-Id %q is not an X-Ray header", i, tr)
		}
		if st := fn.post("/invocation/"+id+"/response", `{"echo":`+payload+`}`, nil); st != http.StatusAccepted {
			t.Errorf("event %d: response: status %d, want 202", i, st)
		}
		if out := <-res; out.err != nil || string(out.body) != `{"echo":`+payload+`}` {
			t.Errorf("event %d: Invoke = %s, %v", i, out.body, out.err)
		}
	}
}

// TestFunctionErrors checks invocation and init error reports, and answers to
// ids nobody waits for.
func TestFunctionErrors(t *testing.T) {
	r, fn := newRuntime(t, Config{})
	res := invokeAsync(t.Context(), r, `{}`)
	id, _, _ := fn.next()
	report := `{"errorMessage":"no such product","errorType":"NotFound","stackTrace":[]}`
	if st := fn.post("/invocation/"+id+"/error", report, http.Header{"Lambda-Runtime-Function-Error-Type": {"NotFound"}}); st != http.StatusAccepted {
		t.Errorf("error: status %d, want 202", st)
	}
	out := <-res
	var fe *FunctionError
	if !errors.As(out.err, &fe) || fe.Init || fe.Type != "NotFound" || fe.Message != "no such product" || string(fe.Payload) != report {
		t.Fatalf("Invoke = %s, %#v; want a FunctionError NotFound: no such product", out.body, out.err)
	}

	// The answer to an id nobody waits for is refused, as on AWS.
	for _, path := range []string{"/invocation/nope/response", "/invocation/" + id + "/response", "/invocation/nope/error"} {
		if st := fn.post(path, `{}`, nil); st != http.StatusBadRequest {
			t.Errorf("%s: status %d, want 400", path, st)
		}
	}

	// An init error ends the environment: waiting and later invocations fail with it.
	waiting := invokeAsync(t.Context(), r, `{}`)
	time.Sleep(50 * time.Millisecond) // let it queue
	if st := fn.post("/init/error", `{"errorMessage":"TABLE_NAME is required","errorType":"Runtime.ConfigError"}`, nil); st != http.StatusAccepted {
		t.Errorf("init/error: status %d, want 202", st)
	}
	for i, out := range []invoked{<-waiting, <-invokeAsync(t.Context(), r, `{}`)} {
		if !errors.As(out.err, &fe) || !fe.Init || fe.Type != "Runtime.ConfigError" || fe.Message != "TABLE_NAME is required" {
			t.Errorf("invocation %d after init error: %v; want the init FunctionError", i, out.err)
		}
	}
}

// TestResponseTooLarge checks the 6 MB limit on a synchronous answer.
func TestResponseTooLarge(t *testing.T) {
	r, fn := newRuntime(t, Config{})
	res := invokeAsync(t.Context(), r, `{}`)
	id, _, _ := fn.next()
	if st := fn.post("/invocation/"+id+"/response", strings.Repeat("x", MaxResponseSize+1), nil); st != http.StatusRequestEntityTooLarge {
		t.Errorf("status %d, want 413", st)
	}
	var fe *FunctionError
	if out := <-res; !errors.As(out.err, &fe) || fe.Type != "Function.ResponseSizeTooLarge" {
		t.Errorf("Invoke error %v; want Function.ResponseSizeTooLarge", out.err)
	}
}

// TestInvokeGivesUp checks that Invoke returns when nothing will answer.
func TestInvokeGivesUp(t *testing.T) {
	t.Run("nobody takes the event", func(t *testing.T) {
		r, _ := newRuntime(t, Config{})
		ctx, cancel := context.WithTimeout(t.Context(), 100*time.Millisecond)
		defer cancel()
		if _, err := r.Invoke(ctx, []byte(`{}`)); !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("Invoke error %v; want context.DeadlineExceeded", err)
		}
	})
	t.Run("the function does not answer in time", func(t *testing.T) {
		r, fn := newRuntime(t, Config{Timeout: 100 * time.Millisecond})
		res := invokeAsync(t.Context(), r, `{}`)
		fn.next()
		select {
		case out := <-res:
			if out.err == nil || !strings.Contains(out.err.Error(), "timeout of 100ms") {
				t.Errorf("Invoke error %v; want the function's timeout", out.err)
			}
		case <-time.After(5 * time.Second):
			t.Fatal("Invoke still waits 5 s after the function's 100 ms timeout")
		}
	})
	t.Run("closed", func(t *testing.T) {
		r, _ := newRuntime(t, Config{})
		if err := r.Close(); err != nil {
			t.Fatal(err)
		}
		if _, err := r.Invoke(t.Context(), []byte(`{}`)); !errors.Is(err, ErrClosed) {
			t.Errorf("Invoke error %v; want ErrClosed", err)
		}
	})
}

// script writes an executable shell script to stand in for a bootstrap.
func script(t *testing.T, body string) string {
	t.Helper()
	if runtime.GOOS == "windows" {
		t.Skip("bootstraps are Unix executables")
	}
	p := filepath.Join(t.TempDir(), "bootstrap")
	if err := os.WriteFile(p, []byte("#!/bin/sh\n"+body+"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestProcess runs shell scripts as bootstraps: their environment, a crash,
// and a stop.
func TestProcess(t *testing.T) {
	t.Run("sees the runtime API and its environment", func(t *testing.T) {
		r, _ := newRuntime(t, Config{Name: "Env"})
		var out bytes.Buffer
		p, err := r.Run(Function{
			Bootstrap: script(t, `echo "$AWS_LAMBDA_RUNTIME_API $AWS_LAMBDA_FUNCTION_NAME $EXTRA ${HOME:-nohome}"`),
			Env:       []string{"EXTRA=yes"},
			Stdout:    &out,
		})
		if err != nil {
			t.Fatal(err)
		}
		<-p.Done()
		if want := r.Addr() + " Env yes nohome\n"; out.String() != want {
			t.Errorf("the process printed %q, want %q", out.String(), want)
		}
		if _, err := r.Run(Function{Bootstrap: "/bin/true"}); err == nil {
			t.Error("a second Run on one Runtime succeeded")
		}
	})
	t.Run("a crash fails the waiting invocation", func(t *testing.T) {
		r, _ := newRuntime(t, Config{})
		res := invokeAsync(t.Context(), r, `{}`)
		if _, err := r.Run(Function{Bootstrap: script(t, "sleep 0.2; exit 3")}); err != nil {
			t.Fatal(err)
		}
		select {
		case out := <-res:
			if out.err == nil || !strings.Contains(out.err.Error(), "exit status 3") {
				t.Errorf("Invoke error %v; want the process's exit status 3", out.err)
			}
		case <-time.After(5 * time.Second):
			t.Fatal("Invoke still waits 5 s after the process exited")
		}
	})
	t.Run("stops on SIGTERM", func(t *testing.T) {
		r, _ := newRuntime(t, Config{})
		p, err := r.Run(Function{Bootstrap: script(t, "exec sleep 60")})
		if err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		if err := p.Stop(); err != nil {
			t.Errorf("Stop: %v", err)
		}
		if d := time.Since(start); d >= StopGrace {
			t.Errorf("Stop took %s; the process should end on SIGTERM", d)
		}
		if _, err := r.Invoke(t.Context(), []byte(`{}`)); !errors.Is(err, ErrStopped) {
			t.Errorf("Invoke after Stop: %v; want ErrStopped", err)
		}
	})
}
