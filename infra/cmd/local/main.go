// Command local runs the whole system on this machine (make run): DynamoDB
// Local with its data under var/, the table from template.yaml, every function
// as its built bootstrap under the Lambda runtime emulator, the state machines
// on the local engine, demo data, and the HTTP API (as API Gateway serves it)
// on 127.0.0.1. Ctrl-C stops every child process.
package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"productgov/infra/dynamolocal"
	"productgov/infra/localstack"
	"productgov/infra/s3local"
	"productgov/infra/scheduler"
	"productgov/infra/seed"
	"productgov/shared/config"
	"productgov/shared/directory"
	"productgov/shared/system"
)

func main() {
	port := flag.Int("port", envInt("PORT", 8080), "HTTP port on 127.0.0.1")
	dataDir := flag.String("data", "var/dynamodb", "DynamoDB Local data folder")
	flag.Parse()
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	if err := run(*port, *dataDir, log); err != nil {
		log.Error("local stack stopped", "err", err)
		os.Exit(1)
	}
}

func run(port int, dataDir string, log *slog.Logger) error {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Setenv("AWS_EC2_METADATA_DISABLED", "true")

	root, err := dynamolocal.RepoRoot()
	if err != nil {
		return err
	}
	if !filepath.IsAbs(dataDir) {
		dataDir = filepath.Join(root, dataDir)
	}
	fmt.Println("starting DynamoDB Local (data in " + dataDir + ") …")
	ddb, err := dynamolocal.Start(ctx, dynamolocal.Options{DataDir: dataDir})
	if err != nil {
		return err
	}
	defer func() { ddb.Stop() }() // the instance running at the end, after any restart

	secret, err := localSecret(filepath.Join(root, "var", "jwt-secret"))
	if err != nil {
		return err
	}
	linkKey, err := localSecret(filepath.Join(root, "var", "link-signing-key"))
	if err != nil {
		return err
	}
	env := map[string]string{
		"APP_MODE": "local", "TABLE_NAME": "productgov", "DYNAMODB_ENDPOINT": ddb.Endpoint,
		"JWT_SECRET": secret, "LINK_SIGNING_KEY": linkKey, "PORT": fmt.Sprint(port),
	}
	cfg, err := config.FromLookup(func(k string) (string, bool) { v, ok := env[k]; return v, ok })
	if err != nil {
		return err
	}
	fmt.Println("building the functions' bootstraps and starting the local AWS services …")
	// The S3 server keeps its objects beside DynamoDB Local's data.
	s3dir := filepath.Join(filepath.Dir(dataDir), "s3")
	fmt.Println("starting the S3 server (gofakes3, data in " + s3dir + ") …")
	objects, err := s3local.Start(ctx, s3local.Options{DataDir: s3dir})
	if err != nil {
		return err
	}
	defer objects.Stop()
	stack, err := localstack.New(ctx, cfg, localstack.Options{Log: log, FunctionOutput: functionLog(root), S3Endpoint: objects.Endpoint})
	if err != nil {
		return err
	}
	defer stack.Close()
	sys := stack.System
	go func() {
		if err := stack.RunScheduler(ctx, scheduler.SystemClock(), log); err != nil {
			log.Error("scheduler", "err", err)
		}
	}()
	seeded, err := seed.Run(ctx, sys.Store, sys.App, time.Now())
	if err != nil {
		return fmt.Errorf("seed: %w", err)
	}
	// A table kept in var/ from before the products' owner index gets it.
	if n, err := sys.Store.IndexOwners(ctx); err != nil {
		return fmt.Errorf("index the products' owners: %w", err)
	} else if n > 0 {
		log.Info("indexed the owners of products written before the owner index", "products", n)
	}

	ln, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", port))
	if err != nil {
		return fmt.Errorf("listen on 127.0.0.1:%d: %w (set PORT to use another)", port, err)
	}
	srv := &http.Server{Handler: stack.Gateway, ReadHeaderTimeout: 10 * time.Second}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()

	printWelcome(cfg, sys, seeded)

	for {
		select {
		case <-ctx.Done():
			fmt.Println("\nstopping …")
		case err := <-errc:
			return err
		case <-ddb.Done():
			// The database died: the functions answer 503 meanwhile; start it
			// again on the same port and data, and they recover by themselves.
			log.Error("DynamoDB Local exited; starting it again")
			if ddb, err = restartDynamo(ctx, ddb, dataDir); err != nil {
				return fmt.Errorf("restart DynamoDB Local: %w", err)
			}
			log.Info("DynamoDB Local is back", "endpoint", ddb.Endpoint)
			continue
		}
		break
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = srv.Shutdown(shutdownCtx)
	return nil
}

func printWelcome(cfg config.Config, sys *system.System, seeded bool) {
	base := cfg.PublicBaseURL
	var b strings.Builder
	fmt.Fprintf(&b, "\nproductgov is running on %s\n", base)
	if seeded {
		b.WriteString("  demo data seeded (products, 12 months of figures, people of every role)\n")
	}
	fmt.Fprintf(&b, "  console:   %s/console  (sign in as any demo person)\n", base)
	fmt.Fprintf(&b, "  health:    %s/healthz\n", base)
	fmt.Fprintf(&b, "  products:  curl -H \"Authorization: Bearer $TOKEN_ADMIN\" %s/products\n", base)
	fmt.Fprintf(&b, "  policy:    curl -H \"Authorization: Bearer $TOKEN_ADMIN\" %s/policy\n", base)
	fmt.Fprintf(&b, "  mail:      %s/dev/outbox.html  (approval emails with their links)\n", base)
	b.WriteString("  functions: their output is in var/functions.log\n")
	b.WriteString("\ndev tokens (valid 12 hours; export the lines you need):\n")
	for _, u := range seed.Users {
		tok, err := sys.Issuer.Sign(directory.Person{Sub: u.Sub, Name: u.Name, Email: u.Sub + "@demo.productgov.local", Roles: u.Roles})
		if err != nil {
			continue
		}
		fmt.Fprintf(&b, "export TOKEN_%s=%s\n", envName(u.Sub), tok)
	}
	b.WriteString("\nCtrl-C stops everything.\n")
	fmt.Print(b.String())
}

func envName(sub string) string {
	return strings.ToUpper(strings.NewReplacer(".", "_", "-", "_", "@", "_").Replace(sub))
}

// restartDynamo starts DynamoDB Local again on the port the functions know.
func restartDynamo(ctx context.Context, old *dynamolocal.Instance, dataDir string) (*dynamolocal.Instance, error) {
	u, err := url.Parse(old.Endpoint)
	if err != nil {
		return nil, err
	}
	port, err := strconv.Atoi(u.Port())
	if err != nil {
		return nil, err
	}
	var last error
	for attempt := 0; attempt < 10; attempt++ {
		inst, err := dynamolocal.Start(ctx, dynamolocal.Options{DataDir: dataDir, Port: port})
		if err == nil {
			return inst, nil
		}
		last = err
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(time.Second): // the port may still be held a moment
		}
	}
	return nil, last
}

// functionLog is where the functions' output goes (the runtime's START/END/
// REPORT lines and their JSON logs), so the terminal stays readable.
func functionLog(root string) io.Writer {
	f, err := os.OpenFile(filepath.Join(root, "var", "functions.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return os.Stderr
	}
	return f
}

// localSecret keeps one random signing key per checkout under var/, so dev
// tokens survive restarts.
func localSecret(path string) (string, error) {
	if b, err := os.ReadFile(path); err == nil && len(strings.TrimSpace(string(b))) >= 32 {
		return strings.TrimSpace(string(b)), nil
	}
	buf := make([]byte, 32)
	if _, err := rand.Read(buf); err != nil {
		return "", err
	}
	s := hex.EncodeToString(buf)
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return "", err
	}
	return s, os.WriteFile(path, []byte(s+"\n"), 0o600)
}

func envInt(k string, def int) int {
	var n int
	if _, err := fmt.Sscan(os.Getenv(k), &n); err == nil && n > 0 {
		return n
	}
	return def
}
