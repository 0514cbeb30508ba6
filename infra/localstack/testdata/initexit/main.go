// Command initexit is a task function that dies at init, as the task
// functions once did ("no authenticator for mode aws"). The bootstrap test
// builds it to prove its check catches that.
package main

import (
	"context"
	"log/slog"
	"os"

	"productgov/shared/config"
	"productgov/shared/system"
)

func main() {
	log := slog.New(slog.NewJSONHandler(os.Stderr, nil))
	cfg, err := config.FromEnv()
	if err != nil {
		log.Error("configuration", "err", err)
		os.Exit(1)
	}
	if _, err := system.NewAWS(context.Background(), cfg, log); err == nil {
		log.Error("startup", "err", "system: no authenticator for mode aws")
		os.Exit(1)
	}
}
