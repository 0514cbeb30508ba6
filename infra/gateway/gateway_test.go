package gateway_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/golang-jwt/jwt/v5"

	"productgov"
	"productgov/infra/gateway"
	"productgov/infra/lambdaservice"
)

var key = []byte("gateway-test-signing-key-0123456789abcdef")

// echo answers with the event it got, as the API function's response.
type echo struct {
	last events.APIGatewayV2HTTPRequest
}

func (e *echo) Invoke(_ context.Context, _ string, payload []byte) (lambdaservice.Result, error) {
	if err := json.Unmarshal(payload, &e.last); err != nil {
		return lambdaservice.Result{}, err
	}
	body, _ := json.Marshal(map[string]any{"route": e.last.RouteKey, "params": e.last.PathParameters})
	res, _ := json.Marshal(events.APIGatewayV2HTTPResponse{StatusCode: 201, Body: string(body),
		Headers: map[string]string{"Content-Type": "application/json"}, Cookies: []string{"a=1"}})
	return lambdaservice.Result{Payload: res}, nil
}

func token(t *testing.T, claims jwt.MapClaims) string {
	t.Helper()
	s, err := jwt.NewWithClaims(jwt.SigningMethodHS256, claims).SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestFrontDoesWhatTheHTTPAPIDoes(t *testing.T) {
	api, err := gateway.FromTemplate(productgov.Template, map[string]string{"JwtIssuer": "iss-local", "JwtAudience": "aud-local"})
	if err != nil {
		t.Fatal(err)
	}
	fn := &echo{}
	srv := httptest.NewServer(&gateway.Front{API: api, Function: "api", Lambda: fn, Key: key})
	t.Cleanup(srv.Close)
	now := time.Now()
	good := token(t, jwt.MapClaims{"sub": "pm1", "iss": "iss-local", "aud": "aud-local", "exp": now.Add(time.Hour).Unix(), "roles": []string{"product_manager", "admin"}})
	wrongAud := token(t, jwt.MapClaims{"sub": "pm1", "iss": "iss-local", "aud": "other", "exp": now.Add(time.Hour).Unix()})
	wrongIss := token(t, jwt.MapClaims{"sub": "pm1", "iss": "elsewhere", "aud": "aud-local", "exp": now.Add(time.Hour).Unix()})
	expired := token(t, jwt.MapClaims{"sub": "pm1", "iss": "iss-local", "aud": "aud-local", "exp": now.Add(-time.Minute).Unix()})
	noExpiry := token(t, jwt.MapClaims{"sub": "pm1", "iss": "iss-local", "aud": "aud-local"})

	tests := []struct {
		name, method, path, header string
		status                     int
		route                      string
	}{
		{"health needs no token", "GET", "/healthz", "", 201, "GET /healthz"},
		{"approval page needs no token", "GET", "/approvals/abc123", "", 201, "GET /approvals/{id}"},
		{"approval post needs no token", "POST", "/approvals/abc123", "", 201, "POST /approvals/{id}"},
		{"api without token", "GET", "/products", "", 401, ""},
		{"api with token", "GET", "/products", "Bearer " + good, 201, "ANY /{proxy+}"},
		{"token without Bearer", "GET", "/products", good, 201, "ANY /{proxy+}"},
		{"wrong audience", "GET", "/products", "Bearer " + wrongAud, 401, ""},
		{"wrong issuer", "GET", "/products", "Bearer " + wrongIss, 401, ""},
		{"expired", "GET", "/products", "Bearer " + expired, 401, ""},
		{"no expiry", "GET", "/products", "Bearer " + noExpiry, 401, ""},
		{"forged", "GET", "/products", "Bearer " + good[:len(good)-3] + "AAA", 401, ""},
		{"page with query token", "GET", "/products/p1/page.html?access_token=" + good, "", 201, "GET /products/{id}/page.html"},
		{"page with header only", "GET", "/products/p1/page.html", "Bearer " + good, 401, ""},
		{"greedy route for a deep path", "POST", "/submissions/s1/votes", "Bearer " + good, 201, "ANY /{proxy+}"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, _ := http.NewRequest(tt.method, srv.URL+tt.path, nil)
			if tt.header != "" {
				req.Header.Set("Authorization", tt.header)
			}
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer res.Body.Close()
			var body map[string]any
			_ = json.NewDecoder(res.Body).Decode(&body)
			if res.StatusCode != tt.status {
				t.Fatalf("status %d, want %d (%v)", res.StatusCode, tt.status, body)
			}
			if tt.status == 401 && body["message"] != "Unauthorized" {
				t.Fatalf("401 body %v", body)
			}
			if tt.route != "" && body["route"] != tt.route {
				t.Fatalf("route %v, want %s", body["route"], tt.route)
			}
			if res.Header.Get("Apigw-Requestid") == "" {
				t.Fatal("no request id")
			}
		})
	}

	// The event carries the claims as API Gateway passes them, the body, and
	// the response's cookies come back.
	req, _ := http.NewRequest("POST", srv.URL+"/products?x=1&x=2", strings.NewReader(`{"name":"云"}`))
	req.Header.Set("Authorization", "Bearer "+good)
	req.Header.Set("Content-Type", "application/json")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	ev := fn.last
	claims := ev.RequestContext.Authorizer.JWT.Claims
	if claims["sub"] != "pm1" || claims["roles"] != "[product_manager admin]" || ev.Body != `{"name":"云"}` || ev.IsBase64Encoded ||
		ev.QueryStringParameters["x"] != "1,2" || ev.RawQueryString != "x=1&x=2" || ev.Version != "2.0" || ev.RequestContext.HTTP.Method != "POST" {
		t.Fatalf("event: %+v", ev)
	}
	if res.Header.Get("Set-Cookie") != "a=1" {
		t.Fatalf("cookies: %v", res.Header)
	}

	// A binary upload arrives base64-encoded; a body over 10 MB is refused.
	req, _ = http.NewRequest("POST", srv.URL+"/imports/revenue", bytes.NewReader([]byte{0x50, 0x4b, 0x03, 0x04, 0xff}))
	req.Header.Set("Authorization", "Bearer "+good)
	req.Header.Set("Content-Type", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
	if res, err = http.DefaultClient.Do(req); err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if !fn.last.IsBase64Encoded || fn.last.Body != "UEsDBP8=" {
		t.Fatalf("binary body: %q %v", fn.last.Body, fn.last.IsBase64Encoded)
	}
	req, _ = http.NewRequest("POST", srv.URL+"/imports/revenue", bytes.NewReader(make([]byte, gateway.MaxBody+1)))
	req.Header.Set("Authorization", "Bearer "+good)
	if res, err = http.DefaultClient.Do(req); err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 413 {
		t.Fatalf("oversized body: %d", res.StatusCode)
	}
}
