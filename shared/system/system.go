// Package system assembles the parts (config → clients → store → use cases →
// HTTP) once, for every entry point: the Lambda functions and the local stack.
package system

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"productgov/shared/api"
	"productgov/shared/app"
	"productgov/shared/config"
	"productgov/shared/identity"
	"productgov/shared/store"
)

// System is the assembled application.
type System struct {
	Config config.Config
	Store  *store.Store
	App    *app.Service
	API    *api.Server
	Issuer *identity.Issuer
}

// New assembles the system. auth identifies API callers; nil means the local
// bearer-token check with the configured key.
func New(ctx context.Context, cfg config.Config, auth api.Authenticator, log *slog.Logger) (*System, error) {
	db, err := store.NewClient(ctx, cfg.DynamoEndpoint, cfg.Region)
	if err != nil {
		return nil, err
	}
	st := store.New(db, cfg.TableName)
	svc := &app.Service{Products: st, Figures: st, Users: st, Policies: st, Audit: st, Partners: st, Now: time.Now}
	sys := &System{Config: cfg, Store: st, App: svc}
	if cfg.Local() {
		iss, err := identity.NewIssuer(cfg.JWTKey, cfg.JWTIssuer, 12*time.Hour, time.Now)
		if err != nil {
			return nil, fmt.Errorf("system: %w", err)
		}
		sys.Issuer = iss
		if auth == nil {
			auth = api.BearerAuthenticator(iss)
		}
	}
	if auth == nil {
		return nil, fmt.Errorf("system: no authenticator for mode %s", cfg.Mode)
	}
	sys.API = &api.Server{App: svc, Auth: auth, Local: cfg.Local(), Issuer: sys.Issuer, Health: st.Ping, Log: log}
	return sys, nil
}
