package lambdalocal

import (
	"bytes"
	"context"
	"crypto/rand"
	"debug/elf"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
)

// buildDir holds the bootstraps the tests build, shared by the tests of one run.
var buildDir string

// TestMain gives the run one build folder and removes it afterwards.
func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "lambdalocal-build-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	buildDir = dir
	code := m.Run()
	_ = os.RemoveAll(dir)
	os.Exit(code)
}

// makeBuild is `make build`'s command line, read from the Makefile.
type makeBuild struct {
	env   []string // CGO_ENABLED=…, GOOS=…
	flags []string // between `go build` and `-o`
	archs []string
}

// readMakeBuild reads the build target of the Makefile, and holds it to the
// design: every functions/* folder, linux, arm64 and amd64, CGO off,
// -tags lambda.norpc -trimpath.
func readMakeBuild(t *testing.T, root string) makeBuild {
	t.Helper()
	text, err := os.ReadFile(filepath.Join(root, "Makefile"))
	if err != nil {
		t.Fatal(err)
	}
	mk := string(text)
	variable := func(name string) string {
		m := regexp.MustCompile(`(?m)^` + name + `\s*[:?]?=\s*(.*?)\s*$`).FindStringSubmatch(mk)
		if m == nil {
			t.Fatalf("Makefile: no %s variable", name)
		}
		return m[1]
	}
	if got, want := variable("FUNCTIONS"), "$(notdir $(wildcard functions/*))"; got != want {
		t.Errorf("Makefile: FUNCTIONS is %q; want %q, so that make build builds every folder in functions/", got, want)
	}
	var b makeBuild
	b.archs = strings.Fields(variable("ARCHS"))
	for _, a := range []string{"arm64", "amd64"} {
		if !slices.Contains(b.archs, a) {
			t.Errorf("Makefile: ARCHS is %v; it must include %s", b.archs, a)
		}
	}
	m := regexp.MustCompile(`(?m)^build:.*\n((?:\t.*\n)+)`).FindStringSubmatch(mk)
	if m == nil {
		t.Fatal("Makefile: no build target with a recipe")
	}
	recipe := strings.ReplaceAll(m[1], "\\\n", " ")
	cmd := regexp.MustCompile(`(CGO_ENABLED=\S+)\s+(GOOS=\S+)\s+GOARCH=\$\$a\s+\$\(GO\)\s+build\s+(.*?)\s+-o\s+(\S+)\s+(\S+?);?\s`).FindStringSubmatch(recipe)
	if cmd == nil {
		t.Fatalf("Makefile: the build recipe has no `CGO_ENABLED=… GOOS=… GOARCH=$$a $(GO) build … -o … ./functions/$$f`:\n%s", recipe)
	}
	b.env = []string{cmd[1], cmd[2]}
	if cmd[1] != "CGO_ENABLED=0" || cmd[2] != "GOOS=linux" {
		t.Errorf("Makefile: make build runs with %s %s; want CGO_ENABLED=0 GOOS=linux", cmd[1], cmd[2])
	}
	if cmd[5] != "./functions/$$f" {
		t.Errorf("Makefile: make build builds %s; want ./functions/$$f", cmd[5])
	}
	b.flags = shellWords(t, cmd[3])
	for _, want := range [][]string{{"-tags", "lambda.norpc"}, {"-trimpath"}} {
		if !containsRun(b.flags, want) {
			t.Errorf("Makefile: make build's flags %q lack %q", b.flags, strings.Join(want, " "))
		}
	}
	return b
}

// shellWords splits s as the shell would, for the quoting a Makefile recipe uses.
func shellWords(t *testing.T, s string) []string {
	t.Helper()
	var words []string
	var w strings.Builder
	in, quote := false, rune(0)
	for _, c := range s {
		switch {
		case quote != 0 && c == quote:
			quote = 0
		case quote != 0:
			w.WriteRune(c)
		case c == '\'' || c == '"':
			quote, in = c, true
		case c == ' ' || c == '\t':
			if in {
				words = append(words, w.String())
				w.Reset()
				in = false
			}
		default:
			if c == '$' {
				t.Fatalf("Makefile: make build's flags %q use a variable; the test cannot expand it", s)
			}
			w.WriteRune(c)
			in = true
		}
	}
	if quote != 0 {
		t.Fatalf("Makefile: unbalanced quote in %q", s)
	}
	if in {
		words = append(words, w.String())
	}
	return words
}

func containsRun(list, run []string) bool {
	for i := range list {
		if i+len(run) <= len(list) && slices.Equal(list[i:i+len(run)], run) {
			return true
		}
	}
	return false
}

type archBuild struct {
	once sync.Once
	dir  string
	err  error
}

var archBuilds sync.Map // GOARCH → *archBuild

// buildFunctions builds every folder in functions/ for arch with make build's
// environment and flags, once per test run, and returns the folder holding
// <function>/bootstrap, as make build lays out build/<arch>/. It runs one go
// command for all functions (make build runs one per function; the compile
// and link flags are the same), so their links run side by side.
func buildFunctions(t *testing.T, arch string) string {
	t.Helper()
	root := repoRoot(t)
	mb := readMakeBuild(t, root)
	v, _ := archBuilds.LoadOrStore(arch, &archBuild{})
	b := v.(*archBuild)
	b.once.Do(func() { b.dir, b.err = goBuild(t, root, mb, arch) })
	if b.err != nil {
		t.Fatal(b.err)
	}
	return b.dir
}

func goBuild(t *testing.T, root string, mb makeBuild, arch string) (string, error) {
	fns, err := functionFolders(root)
	if err != nil {
		return "", err
	}
	dir := filepath.Join(buildDir, arch)
	out := filepath.Join(dir, ".bin") + string(filepath.Separator)
	args := append([]string{"build"}, mb.flags...)
	args = append(args, "-o", out)
	for _, fn := range fns {
		args = append(args, "./functions/"+fn)
	}
	// Stop the build before the test binary's own timeout would orphan it.
	ctx := context.Background()
	if d, ok := t.Deadline(); ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithDeadline(ctx, d.Add(-time.Until(d)/10))
		defer cancel()
	}
	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.Cancel = func() error { return cmd.Process.Signal(os.Interrupt) }
	cmd.WaitDelay = 10 * time.Second
	cmd.Dir = root
	cmd.Env = append(append(os.Environ(), mb.env...), "GOARCH="+arch)
	line := strings.Join(mb.env, " ") + " GOARCH=" + arch + " go " + strings.Join(args, " ")
	start := time.Now()
	if log, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("%s: %v\n%s", line, err, log)
	}
	t.Logf("%s: %s", line, time.Since(start).Round(time.Millisecond))
	for _, fn := range fns {
		if err := os.MkdirAll(filepath.Join(dir, fn), 0o755); err != nil {
			return "", err
		}
		if err := os.Rename(filepath.Join(out, fn), filepath.Join(dir, fn, "bootstrap")); err != nil {
			return "", fmt.Errorf("%s built no %s: %w", line, fn, err)
		}
	}
	return dir, nil
}

// functionFolders lists functions/*: one folder per Lambda.
func functionFolders(root string) ([]string, error) {
	entries, err := os.ReadDir(filepath.Join(root, "functions"))
	if err != nil {
		return nil, err
	}
	var fns []string
	for _, e := range entries {
		if e.IsDir() {
			fns = append(fns, e.Name())
		}
	}
	if len(fns) == 0 {
		return nil, fmt.Errorf("%s has no folders", filepath.Join(root, "functions"))
	}
	return fns, nil
}

// TestMakeBuildBuildsEveryFunction builds every folder in functions/ for each
// of the Makefile's ARCHS with make build's environment and flags, and checks
// each result is a static linux executable for its architecture, as
// provided.al2023 runs.
func TestMakeBuildBuildsEveryFunction(t *testing.T) {
	t.Parallel()
	root := repoRoot(t)
	mb := readMakeBuild(t, root)
	machines := map[string]elf.Machine{"arm64": elf.EM_AARCH64, "amd64": elf.EM_X86_64}
	fns, err := functionFolders(root)
	if err != nil {
		t.Fatal(err)
	}
	for _, arch := range mb.archs {
		t.Run(arch, func(t *testing.T) {
			t.Parallel()
			dir := buildFunctions(t, arch)
			for _, fn := range fns {
				f, err := elf.Open(filepath.Join(dir, fn, "bootstrap"))
				if err != nil {
					t.Errorf("%s: the bootstrap is not an ELF executable: %v", fn, err)
					continue
				}
				if want, ok := machines[arch]; ok && f.Machine != want {
					t.Errorf("%s: the bootstrap is for %s; want %s", fn, f.Machine, want)
				}
				if f.Type != elf.ET_EXEC {
					t.Errorf("%s: the bootstrap is ELF type %s; want a static executable (ET_EXEC)", fn, f.Type)
				}
				for _, p := range f.Progs {
					if p.Type == elf.PT_INTERP {
						t.Errorf("%s: the bootstrap asks for a dynamic loader; CGO must be off", fn)
					}
				}
				f.Close()
			}
		})
	}
}

// TestAPIFunction runs the api function's bootstrap, built as make build
// builds it, under the local Runtime API in AWS mode, and sends it API Gateway
// HTTP API (payload 2.0) events. Its start reads the link-signing key from SSM
// by name (a fake SSM answers); the store is unreachable (the DynamoDB
// endpoint is a closed loopback port), which is what /healthz must report.
func TestAPIFunction(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("the bootstrap is a linux executable")
	}
	t.Parallel()
	bin := filepath.Join(buildFunctions(t, runtime.GOARCH), "api", "bootstrap")
	const keyParam = "/productgov/link-signing-key"
	table := "productgov-lambdalocal-" + randomHex(6)
	aws := newFakeAWS(t, map[string]cannedAnswer{
		"AmazonSSM.GetParameter": {200, `{"Parameter":{"Name":"` + keyParam + `","Type":"SecureString","Value":"` + randomHex(32) + `","Version":1}}`},
		// Not retryable, so the store's health check fails at once.
		"DynamoDB_20120810.DescribeTable": {400, `{"__type":"com.amazonaws.dynamodb.v20120810#ResourceNotFoundException","message":"Requested resource not found"}`},
	})

	r, err := Start(Config{Name: "ApiFunction", Timeout: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	var logs syncBuffer
	_, err = r.Run(Function{
		Bootstrap: bin,
		Env: []string{
			"APP_MODE=aws",
			"TABLE_NAME=" + table,
			"PUBLIC_BASE_URL=https://api.example.test",
			"MAIL_FROM=approvals@example.test",
			"LINK_SIGNING_KEY_PARAM=" + keyParam,
			"AWS_REGION=us-east-1",
			"AWS_ACCESS_KEY_ID=test",
			"AWS_SECRET_ACCESS_KEY=test",
			"AWS_EC2_METADATA_DISABLED=true",
			// Service-specific endpoints, honoured by aws-sdk-go-v2 config
			// v1.29.14 with dynamodb v1.43.1 and ssm v1.58.2: the calls this
			// test expects reach the fake, and nothing reaches AWS.
			"AWS_ENDPOINT_URL_DYNAMODB=" + aws.URL,
			"AWS_ENDPOINT_URL_SSM=" + aws.URL,
		},
		Stdout: &logs,
		Stderr: &logs,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := r.Close(); err != nil {
			t.Errorf("stopping the function: %v", err)
		}
		if t.Failed() {
			t.Logf("function output:\n%s", logs.String())
		}
	})

	tests := []struct {
		name, method, path, routeKey string
		status                       int
		body                         string // JSON, compared as values; "" skips
		errorCode                    string // the API error's code; "" skips
		header                       map[string]string
	}{
		{
			name: "health without a store", method: "GET", path: "/healthz", routeKey: "GET /healthz",
			status: 503, body: `{"status":"unavailable"}`,
			header: map[string]string{"Content-Type": "application/json; charset=utf-8"},
		},
		{
			name: "products without the authorizer's claims", method: "GET", path: "/products", routeKey: "ANY /{proxy+}",
			status: 401, errorCode: "unauthorized",
			header: map[string]string{"WWW-Authenticate": `Bearer realm="productgov"`},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
			defer cancel()
			raw, err := r.Invoke(ctx, gatewayEvent(t, tt.method, tt.path, tt.routeKey))
			if err != nil {
				t.Fatalf("Invoke: %v", err)
			}
			var res events.APIGatewayV2HTTPResponse
			dec := json.NewDecoder(bytes.NewReader(raw))
			dec.DisallowUnknownFields()
			if err := dec.Decode(&res); err != nil {
				t.Fatalf("the answer is not an APIGatewayV2HTTPResponse: %v\n%s", err, raw)
			}
			body := []byte(res.Body)
			if res.IsBase64Encoded {
				if body, err = base64.StdEncoding.DecodeString(res.Body); err != nil {
					t.Fatalf("isBase64Encoded, but the body is not base64: %v", err)
				}
			}
			if res.StatusCode != tt.status {
				t.Errorf("statusCode %d, want %d; body %s", res.StatusCode, tt.status, body)
			}
			if tt.body != "" && !jsonEqual(body, []byte(tt.body)) {
				t.Errorf("body %s, want %s", body, tt.body)
			}
			if tt.errorCode != "" {
				var e struct {
					Error struct{ Code, Message string }
				}
				if err := json.Unmarshal(body, &e); err != nil || e.Error.Code != tt.errorCode || e.Error.Message == "" {
					t.Errorf("body %s; want an API error with code %q and a message", body, tt.errorCode)
				}
			}
			for k, want := range tt.header {
				if got := headerValue(res, k); got != want {
					t.Errorf("header %s is %q, want %q (headers %v %v)", k, got, want, res.Headers, res.MultiValueHeaders)
				}
			}
		})
	}

	// The link-signing key, if read yet, was read by name and decrypted; the
	// health check asked for our table.
	for _, got := range aws.requests("AmazonSSM.GetParameter") {
		if got["Name"] != keyParam || got["WithDecryption"] != true {
			t.Errorf("ssm:GetParameter call %v; want Name %s, WithDecryption true", got, keyParam)
		}
	}
	if got := aws.requests("DynamoDB_20120810.DescribeTable"); len(got) != 1 || got[0]["TableName"] != table {
		t.Errorf("dynamodb:DescribeTable calls %v; want one for %s (from GET /healthz)", got, table)
	}
}

// fakeAWS answers AWS JSON-protocol calls (X-Amz-Target) with canned
// answers, records them, and answers anything else with an error the test
// reports.
type fakeAWS struct {
	*httptest.Server
	mu    sync.Mutex
	calls map[string][]string // target → request bodies
}

type cannedAnswer struct {
	status int
	body   string
}

func newFakeAWS(t *testing.T, answers map[string]cannedAnswer) *fakeAWS {
	t.Helper()
	f := &fakeAWS{calls: map[string][]string{}}
	f.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		target := req.Header.Get("X-Amz-Target")
		body, _ := io.ReadAll(req.Body)
		f.mu.Lock()
		f.calls[target] = append(f.calls[target], string(body))
		f.mu.Unlock()
		w.Header().Set("Content-Type", req.Header.Get("Content-Type"))
		a, ok := answers[target]
		if !ok {
			t.Errorf("fake AWS: unexpected call %s %s", target, body)
			a = cannedAnswer{http.StatusBadRequest, `{"__type":"UnknownOperationException","message":"not faked"}`}
		}
		w.WriteHeader(a.status)
		_, _ = io.WriteString(w, a.body)
	}))
	t.Cleanup(f.Close)
	return f
}

// requests returns the bodies of the calls made to target, decoded.
func (f *fakeAWS) requests(target string) []map[string]any {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []map[string]any
	for _, b := range f.calls[target] {
		var m map[string]any
		_ = json.Unmarshal([]byte(b), &m)
		out = append(out, m)
	}
	return out
}

// gatewayEvent is what API Gateway's HTTP API sends the function for a request
// on its $default stage, without an authorizer's context.
func gatewayEvent(t *testing.T, method, path, routeKey string) []byte {
	t.Helper()
	now := time.Now()
	ev := events.APIGatewayV2HTTPRequest{
		Version:        "2.0",
		RouteKey:       routeKey,
		RawPath:        path,
		RawQueryString: "",
		Headers: map[string]string{
			"accept":     "application/json",
			"host":       "abc123.execute-api.us-east-1.amazonaws.com",
			"user-agent": "lambdalocal-test",
		},
		RequestContext: events.APIGatewayV2HTTPRequestContext{
			RouteKey:     routeKey,
			AccountID:    "000000000000",
			Stage:        "$default",
			RequestID:    "req-" + randomHex(4),
			APIID:        "abc123",
			DomainName:   "abc123.execute-api.us-east-1.amazonaws.com",
			DomainPrefix: "abc123",
			Time:         now.UTC().Format("02/Jan/2006:15:04:05 -0700"),
			TimeEpoch:    now.UnixMilli(),
			HTTP: events.APIGatewayV2HTTPRequestContextHTTPDescription{
				Method:    method,
				Path:      path,
				Protocol:  "HTTP/1.1",
				SourceIP:  "127.0.0.1",
				UserAgent: "lambdalocal-test",
			},
		},
	}
	b, err := json.Marshal(ev)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func headerValue(res events.APIGatewayV2HTTPResponse, key string) string {
	for k, v := range res.Headers {
		if strings.EqualFold(k, key) {
			return v
		}
	}
	for k, v := range res.MultiValueHeaders {
		if strings.EqualFold(k, key) && len(v) > 0 {
			return strings.Join(v, ",")
		}
	}
	return ""
}

func jsonEqual(a, b []byte) bool {
	var x, y any
	if json.Unmarshal(a, &x) != nil || json.Unmarshal(b, &y) != nil {
		return false
	}
	xa, _ := json.Marshal(x)
	ya, _ := json.Marshal(y)
	return bytes.Equal(xa, ya)
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// syncBuffer collects a process's output safely across goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// repoRoot walks up from the test's folder to the one holding go.mod.
func repoRoot(t *testing.T) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("no go.mod above the test's folder")
		}
		dir = parent
	}
}
