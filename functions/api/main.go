// Command api is the HTTP API Lambda: API Gateway HTTP API → shared/api router.
package main

import (
	"context"
	"log/slog"
	"net/http"
	"os"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/awslabs/aws-lambda-go-api-proxy/core"
	"github.com/awslabs/aws-lambda-go-api-proxy/httpadapter"

	"productgov/shared/api"
	"productgov/shared/config"
	"productgov/shared/directory"
	"productgov/shared/identity"
	"productgov/shared/metrics"
	"productgov/shared/problem"
	"productgov/shared/system"
)

func main() {
	log := slog.New(slog.NewJSONHandler(os.Stderr, nil))
	cfg, err := config.FromEnv()
	if err != nil {
		log.Error("configuration", "err", err)
		os.Exit(1)
	}
	sys, err := system.NewAWS(context.Background(), cfg, log)
	if err != nil {
		log.Error("startup", "err", err)
		os.Exit(1)
	}
	srv := &api.Server{App: sys.App, Auth: gatewayClaims, Health: sys.Store.Ping, Idempotency: sys.Store, Metrics: metrics.NewEmitter(nil), Log: log}
	lambda.Start(httpadapter.NewV2(srv.Handler()).ProxyWithContext)
}

// gatewayClaims reads the caller from the claims the API Gateway JWT
// authorizer verified before invoking the function.
func gatewayClaims(r *http.Request) (directory.Person, error) {
	rc, ok := core.GetAPIGatewayV2ContextFromContext(r.Context())
	if !ok || rc.Authorizer == nil || rc.Authorizer.JWT == nil {
		return directory.Person{}, problem.Unauthorized("no verified token")
	}
	return identity.FromGatewayClaims(rc.Authorizer.JWT.Claims)
}
