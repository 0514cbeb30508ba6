// Command withdynamo starts one in-memory DynamoDB Local and one in-memory
// local S3 server on random loopback ports, runs the command after "--" with
// DYNAMODB_ENDPOINT and S3_ENDPOINT set to them, and stops them afterwards,
// so a whole test run shares a single JVM and a single S3 server.
package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"syscall"
	"time"

	"productgov/infra/dynamolocal"
	"productgov/infra/s3local"
)

func main() {
	args := os.Args[1:]
	if len(args) > 0 && args[0] == "--" {
		args = args[1:]
	}
	if len(args) == 0 {
		fmt.Fprintln(os.Stderr, "usage: withdynamo -- command [args...]")
		os.Exit(2)
	}
	os.Exit(run(args))
}

func run(args []string) int {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	inst, err := dynamolocal.Start(ctx, dynamolocal.Options{})
	cancel()
	if err != nil {
		fmt.Fprintln(os.Stderr, "withdynamo:", err)
		return 1
	}
	defer inst.Stop()
	fmt.Fprintln(os.Stderr, "withdynamo: DynamoDB Local at", inst.Endpoint)
	ctx, cancel = context.WithTimeout(context.Background(), 3*time.Minute)
	s3inst, err := s3local.Start(ctx, s3local.Options{})
	cancel()
	if err != nil {
		fmt.Fprintln(os.Stderr, "withdynamo:", err)
		return 1
	}
	defer s3inst.Stop()
	fmt.Fprintln(os.Stderr, "withdynamo: S3 (gofakes3) at", s3inst.Endpoint)

	cmd := exec.Command(args[0], args[1:]...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	cmd.Env = append(os.Environ(), dynamolocal.EndpointEnv+"="+inst.Endpoint,
		s3local.EndpointEnv+"="+s3inst.Endpoint, "AWS_EC2_METADATA_DISABLED=true")
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
	if err := cmd.Start(); err != nil {
		fmt.Fprintln(os.Stderr, "withdynamo:", err)
		return 1
	}
	go func() {
		for s := range sig {
			_ = cmd.Process.Signal(s)
		}
	}()
	if err := cmd.Wait(); err != nil {
		if ee, ok := err.(*exec.ExitError); ok {
			return ee.ExitCode()
		}
		return 1
	}
	return 0
}
