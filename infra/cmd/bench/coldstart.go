package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"productgov/infra/dynamolocal"
	"productgov/infra/lambdaservice"
)

// coldStarts is how many fresh processes each function is started in.
const coldStarts = 15

// runColdStart measures each function's cold start: the init duration the
// runtime emulator reports (from the bootstrap's start until it asks for its
// first event, which is where our init runs) over coldStarts fresh processes,
// against a hello-world aws-lambda-go bootstrap built with the same flags.
func runColdStart(ctx context.Context, first bool) error {
	if !first {
		fmt.Println()
	}
	progress("cold start: starting DynamoDB Local and the stack …")
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	s, err := startStack(ctx, log)
	if err != nil {
		return err
	}
	defer s.close()
	root, err := dynamolocal.RepoRoot()
	if err != nil {
		return err
	}
	bootstraps, rie, err := lambdaservice.Artifacts(ctx, root)
	if err != nil {
		return err
	}
	hello := filepath.Join(os.TempDir(), fmt.Sprintf("productgov-hello-%d", os.Getpid()), "bootstrap")
	defer os.RemoveAll(filepath.Dir(hello))
	cmd := exec.CommandContext(ctx, "go", "build", "-tags", "lambda.norpc", "-trimpath", "-ldflags=-s -w", "-o", hello, "./infra/bench/testdata/hello")
	cmd.Dir, cmd.Env = root, append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("build hello: %v\n%s", err, out)
	}
	measure := func(name, bootstrap string, env map[string]string) (time.Duration, error) {
		var inits []time.Duration
		for range coldStarts {
			svc, err := lambdaservice.New([]lambdaservice.Function{{Name: name, Bootstrap: bootstrap, Env: env, Timeout: 30 * time.Second}},
				lambdaservice.Options{RIE: rie})
			if err != nil {
				return 0, err
			}
			// An action no handler has: the answer comes without touching AWS.
			_, err = svc.Invoke(ctx, name, []byte(`{"action":"bench_cold_start"}`))
			time.Sleep(20 * time.Millisecond) // the report line follows the answer
			d := svc.InitDurations(name)
			svc.Close()
			if err != nil {
				return 0, err
			}
			if len(d) != 1 {
				return 0, fmt.Errorf("%s: the runtime reported %d init durations", name, len(d))
			}
			inits = append(inits, d[0])
		}
		slices.Sort(inits)
		return inits[len(inits)/2], nil
	}
	base, err := measure("hello", hello, nil)
	if err != nil {
		return err
	}
	var b strings.Builder
	fmt.Fprintf(&b, "== cold start (init duration reported by the runtime emulator, median of %d fresh processes) ==\n", coldStarts)
	fmt.Fprintf(&b, "%-12s %10s %8s\n", "function", "init", "× hello")
	fmt.Fprintf(&b, "%-12s %9.2fms %8s\n", "hello", base.Seconds()*1000, "1.00")
	for _, fn := range s.local.Lambda.Functions() {
		d, err := measure(fn, filepath.Join(bootstraps, fn, "bootstrap"), s.local.FunctionEnv[fn])
		if err != nil {
			return err
		}
		fmt.Fprintf(&b, "%-12s %9.2fms %8.2f\n", fn, d.Seconds()*1000, float64(d)/float64(base))
	}
	fmt.Print(b.String())
	return nil
}
