package lambdaservice

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
)

// Environment variables that hand prebuilt artifacts to the local stack and
// the tests (`make test` builds them once for every test binary).
const (
	// BootstrapsEnv names a folder with <function>/bootstrap for this machine.
	BootstrapsEnv = "PRODUCTGOV_BOOTSTRAPS"
	// RIEEnv names the aws-lambda-rie executable.
	RIEEnv = "PRODUCTGOV_RIE"
)

// riePackage is Amazon's runtime interface emulator, pinned as a tool in go.mod.
const riePackage = "github.com/aws/aws-lambda-runtime-interface-emulator/cmd/aws-lambda-rie"

// Artifacts returns the folder of the functions' bootstraps and the runtime
// emulator, taking them from BootstrapsEnv and RIEEnv when set, and otherwise
// building them under root/build/host: the bootstraps with `make bootstraps`,
// the recipe `sam build` runs (build-<LogicalId>), for this architecture; the
// emulator from the version go.mod pins. Concurrent callers (test binaries
// running in parallel) take turns through a lock file.
func Artifacts(ctx context.Context, root string) (bootstraps, rie string, err error) {
	bootstraps, rie = os.Getenv(BootstrapsEnv), os.Getenv(RIEEnv)
	if bootstraps != "" && rie != "" {
		return bootstraps, rie, nil
	}
	dir := filepath.Join(root, "build", "host")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", "", err
	}
	lock, err := os.OpenFile(filepath.Join(dir, ".lock"), os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return "", "", err
	}
	defer lock.Close()
	if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX); err != nil {
		return "", "", err
	}
	defer syscall.Flock(int(lock.Fd()), syscall.LOCK_UN)
	if bootstraps == "" {
		bootstraps = filepath.Join(dir, "functions")
		if err := run(ctx, root, "make", "-s", "bootstraps", "OUT="+bootstraps); err != nil {
			return "", "", err
		}
	}
	if rie == "" {
		rie = filepath.Join(dir, "aws-lambda-rie")
		if err := run(ctx, root, "go", "build", "-o", rie, riePackage); err != nil {
			return "", "", err
		}
	}
	return bootstraps, rie, nil
}

func run(ctx context.Context, dir, name string, args ...string) error {
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("lambdaservice: %s %v: %w\n%s", name, args, err, out)
	}
	return nil
}
