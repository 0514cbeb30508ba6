package asl

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/google/go-cmp/cmp"
)

var update = flag.Bool("update", false, "rewrite the expected.json files of the golden tests")

// goldenStart is when every golden execution starts, in simulated time.
var goldenStart = time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)

// goldenExpectation is the content of a golden folder's expected.json.
type goldenExpectation struct {
	Status string `json:"status"`
	Output any    `json:"output,omitempty"`
	Error  string `json:"error,omitempty"`
	Cause  string `json:"cause,omitempty"`
	// Invocations lists the handler calls, sorted by time, then function,
	// then input, because branches run concurrently.
	Invocations []goldenInvocation `json:"invocations,omitempty"`
	// rawOutput is the execution output as the engine wrote it, for tests
	// of member order and number text.
	rawOutput string
}

type goldenInvocation struct {
	Function string `json:"function"`
	// At is the simulated time of the call, in seconds after the start.
	At    float64 `json:"at"`
	Input any     `json:"input"`
}

// TestGolden runs every testdata/golden/<name>/definition.asl.json on its
// input.json and compares the outcome with expected.json. Run with -update
// to rewrite the expectations, then review the diff.
func TestGolden(t *testing.T) {
	dirs, err := filepath.Glob(filepath.Join("testdata", "golden", "*"))
	if err != nil {
		t.Fatal(err)
	}
	if len(dirs) == 0 {
		t.Fatal("no golden tests found")
	}
	for _, dir := range dirs {
		t.Run(filepath.Base(dir), func(t *testing.T) {
			t.Parallel()
			got := runGolden(t, dir)
			path := filepath.Join(dir, "expected.json")
			if *update {
				writeJSONFile(t, path, got)
				return
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("read expectation (run with -update to create it): %v", err)
			}
			if diff := cmp.Diff(normalizeJSON(t, want), normalizeJSON(t, mustMarshal(t, got))); diff != "" {
				t.Errorf("outcome differs from %s (-want +got):\n%s", path, diff)
			}
		})
	}
}

// runGolden runs one golden folder on a fresh engine and simulated clock.
func runGolden(t *testing.T, dir string) goldenExpectation {
	t.Helper()
	definition, err := os.ReadFile(filepath.Join(dir, "definition.asl.json"))
	if err != nil {
		t.Fatal(err)
	}
	input, err := os.ReadFile(filepath.Join(dir, "input.json"))
	if err != nil {
		t.Fatal(err)
	}
	return runGoldenDefinition(t, definition, string(bytes.TrimSpace(input)))
}

// runGoldenDefinition runs a definition on an input with the golden
// functions, a fresh engine and a simulated clock.
func runGoldenDefinition(t *testing.T, definition []byte, input string, opts ...Option) goldenExpectation {
	t.Helper()
	clock := NewFakeClock(goldenStart)
	engine := newTestEngine(t, clock, NewMemoryStore(), opts...)
	handlers := newGoldenHandlers(engine, clock)
	handlers.register()
	arn, err := engine.RegisterStateMachine("Golden", definition, goldenSubstitutions())
	if err != nil {
		t.Fatalf("register: %v", err)
	}
	stop := clock.StartAutoAdvance()
	defer stop()
	started, err := engine.StartExecution(context.Background(), &sfn.StartExecutionInput{
		StateMachineArn: aws.String(arn),
		Name:            aws.String("golden"),
		Input:           aws.String(input),
	})
	if err != nil {
		t.Fatalf("start: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	rec, err := engine.Wait(ctx, *started.ExecutionArn)
	if err != nil {
		t.Fatalf("wait: %v", err)
	}
	got := goldenExpectation{Status: rec.Status, Error: rec.Error, Cause: rec.Cause, Invocations: handlers.sortedCalls()}
	if rec.Status == StatusSucceeded {
		got.Output = decodeForTest(t, rec.Output)
		got.rawOutput = rec.Output
	}
	return got
}

// newTestEngine returns an engine with reproducible secrets that logs to the test.
func newTestEngine(t *testing.T, clock Clock, store ExecutionStore, opts ...Option) *Engine {
	t.Helper()
	engine := NewEngine(append([]Option{
		WithClock(clock),
		WithStore(store),
		WithRandom(rand.NewChaCha8([32]byte{1})),
		WithLogger(slog.New(slog.NewTextHandler(testWriter{t}, nil))),
	}, opts...)...)
	t.Cleanup(func() { engine.Close() })
	return engine
}

type testWriter struct{ t testing.TB }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(string(bytes.TrimSpace(p)))
	return len(p), nil
}

// goldenFunctions are the Lambda functions golden definitions can call,
// through ${<Name>FunctionArn} substitutions.
var goldenFunctions = []string{"Echo", "Fail", "Flaky", "Sequence", "Sleep", "Callback", "Panic", "PlainError"}

func functionArn(name string) string {
	return "arn:aws:lambda:us-east-1:123456789012:function:" + name
}

func goldenSubstitutions() map[string]string {
	subs := map[string]string{"MissingFunctionArn": functionArn("Missing")}
	for _, name := range goldenFunctions {
		subs[name+"FunctionArn"] = functionArn(name)
	}
	return subs
}

// goldenHandlers implements the golden functions and records their calls.
type goldenHandlers struct {
	engine *Engine
	clock  *FakeClock

	mu    sync.Mutex
	calls []goldenInvocation
	count map[string]int
}

func newGoldenHandlers(engine *Engine, clock *FakeClock) *goldenHandlers {
	return &goldenHandlers{engine: engine, clock: clock, count: map[string]int{}}
}

func (g *goldenHandlers) register() {
	handlers := map[string]Handler{
		// Echo returns its input.
		"Echo": func(_ context.Context, in json.RawMessage) (json.RawMessage, error) { return in, nil },
		// Fail raises {"error", "cause"} as a named error.
		"Fail": func(_ context.Context, in json.RawMessage) (json.RawMessage, error) {
			var req struct{ Error, Cause string }
			json.Unmarshal(in, &req)
			return nil, &StatesError{Name: req.Error, Cause: req.Cause}
		},
		// Flaky fails with TransientError until it has been called
		// "failures" times for its "key".
		"Flaky": func(_ context.Context, in json.RawMessage) (json.RawMessage, error) {
			var req struct {
				Key      string
				Failures int
			}
			json.Unmarshal(in, &req)
			n := g.bump("Flaky/" + req.Key)
			if n <= req.Failures {
				return nil, transientError{attempt: n}
			}
			return json.Marshal(map[string]any{"attempts": n})
		},
		// Sequence raises the n-th error name of "errors" on its n-th call,
		// then succeeds.
		"Sequence": func(_ context.Context, in json.RawMessage) (json.RawMessage, error) {
			var req struct{ Errors []string }
			json.Unmarshal(in, &req)
			n := g.bump("Sequence")
			if n <= len(req.Errors) {
				return nil, &StatesError{Name: req.Errors[n-1], Cause: fmt.Sprintf("call %d", n)}
			}
			return json.Marshal(map[string]any{"calls": n})
		},
		// Sleep takes "seconds" of simulated time and returns its input.
		"Sleep": func(ctx context.Context, in json.RawMessage) (json.RawMessage, error) {
			var req struct{ Seconds float64 }
			json.Unmarshal(in, &req)
			if err := g.clock.Sleep(ctx, time.Duration(req.Seconds*float64(time.Second))); err != nil {
				return nil, err
			}
			return in, nil
		},
		// Callback completes its "token" as "action" says.
		"Callback": g.callback,
		"Panic": func(context.Context, json.RawMessage) (json.RawMessage, error) {
			panic("something went badly wrong")
		},
		// PlainError returns an error without a name.
		"PlainError": func(context.Context, json.RawMessage) (json.RawMessage, error) {
			return nil, errors.New("plain failure")
		},
	}
	for _, name := range goldenFunctions {
		h := handlers[name]
		fn := name
		g.engine.RegisterHandler(functionArn(fn), func(ctx context.Context, in json.RawMessage) (json.RawMessage, error) {
			g.recordCall(fn, in)
			return h(ctx, in)
		})
	}
}

// callback implements the Callback function. Actions:
// "success" and "failure" complete the token at once; "later" completes it
// after "delay" seconds; "heartbeat" sends "beats" heartbeats every
// "interval" seconds and then succeeds; "none" does nothing.
func (g *goldenHandlers) callback(ctx context.Context, in json.RawMessage) (json.RawMessage, error) {
	var req struct {
		Token    string
		Action   string
		Output   json.RawMessage
		Error    string
		Cause    string
		Delay    float64
		Beats    int
		Interval float64
	}
	if err := json.Unmarshal(in, &req); err != nil {
		return nil, err
	}
	if len(req.Output) == 0 {
		req.Output = json.RawMessage(`{}`)
	}
	succeed := func() error {
		_, err := g.engine.SendTaskSuccess(context.Background(), &sfn.SendTaskSuccessInput{TaskToken: aws.String(req.Token), Output: aws.String(string(req.Output))})
		return err
	}
	seconds := func(s float64) time.Duration { return time.Duration(s * float64(time.Second)) }
	switch req.Action {
	case "success":
		if err := succeed(); err != nil {
			return nil, err
		}
	case "failure":
		_, err := g.engine.SendTaskFailure(ctx, &sfn.SendTaskFailureInput{TaskToken: aws.String(req.Token), Error: aws.String(req.Error), Cause: aws.String(req.Cause)})
		if err != nil {
			return nil, err
		}
	case "later":
		g.clock.Go(func() {
			if g.clock.Sleep(context.Background(), seconds(req.Delay)) == nil {
				succeed()
			}
		})
	case "heartbeat":
		g.clock.Go(func() {
			for range req.Beats {
				if g.clock.Sleep(context.Background(), seconds(req.Interval)) != nil {
					return
				}
				g.engine.SendTaskHeartbeat(context.Background(), &sfn.SendTaskHeartbeatInput{TaskToken: aws.String(req.Token)})
			}
			if g.clock.Sleep(context.Background(), seconds(req.Interval)) == nil {
				succeed()
			}
		})
	case "none":
	default:
		return nil, fmt.Errorf("unknown callback action %q", req.Action)
	}
	return json.RawMessage(`{"ignored":true}`), nil
}

// transientError is a named error the way the application's task package
// declares them.
type transientError struct{ attempt int }

func (e transientError) Error() string     { return fmt.Sprintf("attempt %d failed", e.attempt) }
func (e transientError) ErrorName() string { return "TransientError" }

func (g *goldenHandlers) bump(key string) int {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.count[key]++
	return g.count[key]
}

func (g *goldenHandlers) recordCall(function string, in json.RawMessage) {
	var input any
	json.Unmarshal(in, &input)
	at := g.clock.Now().Sub(goldenStart).Seconds()
	g.mu.Lock()
	defer g.mu.Unlock()
	g.calls = append(g.calls, goldenInvocation{Function: function, At: at, Input: input})
}

func (g *goldenHandlers) sortedCalls() []goldenInvocation {
	g.mu.Lock()
	defer g.mu.Unlock()
	calls := append([]goldenInvocation(nil), g.calls...)
	key := func(c goldenInvocation) string { b, _ := json.Marshal(c.Input); return c.Function + "\x00" + string(b) }
	sort.SliceStable(calls, func(i, j int) bool {
		if calls[i].At != calls[j].At {
			return calls[i].At < calls[j].At
		}
		return key(calls[i]) < key(calls[j])
	})
	return calls
}

func decodeForTest(t *testing.T, s string) any {
	t.Helper()
	var v any
	if err := json.Unmarshal([]byte(s), &v); err != nil {
		t.Fatalf("decode %q: %v", s, err)
	}
	return v
}

func mustMarshal(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// normalizeJSON decodes JSON for a structural comparison.
func normalizeJSON(t *testing.T, b []byte) any {
	t.Helper()
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatalf("decode JSON: %v", err)
	}
	return v
}

func writeJSONFile(t *testing.T, path string, v any) {
	t.Helper()
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}
