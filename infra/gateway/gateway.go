// Package gateway does locally what API Gateway's HTTP API does for this
// template: it matches the routes of template.yaml, checks JWTs as the
// template's authorizers do (issuer, audience, expiry; the token from the
// header or query parameter the authorizer names), turns each request into a
// payload format 2.0 event with the verified claims in
// requestContext.authorizer.jwt, invokes the API function through the Lambda
// service, and turns its answer back into an HTTP response, with API
// Gateway's own answers for what it refuses (401, 404, 413, 500, 503).
package gateway

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/aws/aws-lambda-go/events"
	"github.com/golang-jwt/jwt/v5"

	"productgov/infra/lambdaservice"
)

// Limits of an HTTP API: a request body of at most 10 MB, an integration
// answer within 30 s.
const (
	MaxBody            = 10 * 1024 * 1024
	IntegrationTimeout = 30 * time.Second
)

// Invoker runs the API function synchronously.
type Invoker interface {
	Invoke(ctx context.Context, function string, payload []byte) (lambdaservice.Result, error)
}

// Front serves the HTTP API.
type Front struct {
	API API
	// Function is the name the API function has in the Lambda service.
	Function string
	Lambda   Invoker
	// Key verifies the local identity provider's tokens (HS256).
	Key []byte
	// Local, when set, serves paths under /dev/ (the local stack's own tools:
	// dev tokens, the outbox); AWS has no such paths.
	Local http.Handler
	// Now is the clock for token expiry; nil means time.Now.
	Now func() time.Time
	// Log receives why an integration failed (nil discards it), as API
	// Gateway's access and execution logs would show.
	Log *slog.Logger
}

// ServeHTTP implements http.Handler.
func (f *Front) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	requestID := newRequestID()
	w.Header().Set("Apigw-Requestid", requestID)
	if f.Local != nil && strings.HasPrefix(r.URL.Path, "/dev/") {
		f.Local.ServeHTTP(w, r)
		return
	}
	route, params, ok := f.match(r.Method, r.URL.Path)
	if !ok {
		gatewayError(w, http.StatusNotFound, "Not Found")
		return
	}
	var claims map[string]string
	var scopes []string
	if route.Authorizer != "" {
		var err error
		claims, scopes, err = f.authorize(f.API.Authorizers[route.Authorizer], r)
		if err != nil {
			w.Header().Set("Www-Authenticate", `Bearer error="invalid_token", error_description="`+err.Error()+`"`)
			gatewayError(w, http.StatusUnauthorized, "Unauthorized")
			return
		}
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, MaxBody+1))
	if err != nil {
		gatewayError(w, http.StatusBadRequest, "Bad Request")
		return
	}
	if len(body) > MaxBody {
		gatewayError(w, http.StatusRequestEntityTooLarge, "Request Entity Too Large")
		return
	}
	event := f.event(r, route, params, body, requestID, claims, scopes)
	payload, err := json.Marshal(event)
	if err != nil {
		gatewayError(w, http.StatusInternalServerError, "Internal Server Error")
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), IntegrationTimeout)
	defer cancel()
	res, err := f.Lambda.Invoke(ctx, f.Function, payload)
	var se *lambdaservice.ServiceError
	switch {
	case errors.As(err, &se) && se.Status == http.StatusRequestEntityTooLarge:
		gatewayError(w, http.StatusRequestEntityTooLarge, "Request Entity Too Large")
		return
	case err != nil && ctx.Err() != nil:
		gatewayError(w, http.StatusServiceUnavailable, "Service Unavailable")
		return
	case err != nil, res.FunctionError != "":
		if f.Log != nil {
			f.Log.Error("gateway: the API function failed", "requestId", requestID, "route", route.Key(), "err", err, "functionError", string(res.Payload))
		}
		gatewayError(w, http.StatusInternalServerError, "Internal Server Error")
		return
	}
	writeResponse(w, res.Payload)
}

// match finds the most specific route, as API Gateway does: literal path
// segments before {variables} before a greedy {proxy+}, and a route for the
// method before ANY.
func (f *Front) match(method, path string) (Route, map[string]string, bool) {
	var best Route
	var bestParams map[string]string
	bestScore := -1
	for _, r := range f.API.Routes {
		if r.Method != "ANY" && r.Method != method {
			continue
		}
		params, score, ok := matchPath(r.Path, path)
		if !ok {
			continue
		}
		score *= 2
		if r.Method != "ANY" {
			score++
		}
		if score > bestScore {
			best, bestParams, bestScore = r, params, score
		}
	}
	return best, bestParams, bestScore >= 0
}

// matchPath matches a route path template against a request path and scores
// the match: more literal segments score higher, a greedy variable lowest.
func matchPath(template, path string) (map[string]string, int, bool) {
	ts := strings.Split(strings.Trim(template, "/"), "/")
	ps := strings.Split(strings.Trim(path, "/"), "/")
	params := map[string]string{}
	score := 1000
	for i, t := range ts {
		if strings.HasPrefix(t, "{") && strings.HasSuffix(t, "+}") {
			if i >= len(ps) || ps[i] == "" {
				return nil, 0, false
			}
			params[strings.TrimSuffix(strings.TrimPrefix(t, "{"), "+}")] = strings.Join(ps[i:], "/")
			return params, i, true
		}
		if i >= len(ps) {
			return nil, 0, false
		}
		if strings.HasPrefix(t, "{") && strings.HasSuffix(t, "}") {
			if ps[i] == "" {
				return nil, 0, false
			}
			params[strings.Trim(t, "{}")] = ps[i]
			score--
			continue
		}
		if t != ps[i] {
			return nil, 0, false
		}
	}
	if len(ps) != len(ts) {
		return nil, 0, false
	}
	return params, score, true
}

// authorize checks the token as a JWT authorizer does and returns the claims
// as API Gateway passes them: every value as text, lists as "[a b]".
func (f *Front) authorize(az Authorizer, r *http.Request) (map[string]string, []string, error) {
	var token string
	if az.Header != "" {
		token = strings.TrimSpace(r.Header.Get(az.Header))
		if scheme, rest, ok := strings.Cut(token, " "); ok && strings.EqualFold(scheme, "Bearer") {
			token = strings.TrimSpace(rest)
		}
	} else {
		token = r.URL.Query().Get(az.Query)
	}
	if token == "" {
		return nil, nil, errors.New("no token")
	}
	now := time.Now
	if f.Now != nil {
		now = f.Now
	}
	opts := []jwt.ParserOption{jwt.WithValidMethods([]string{"HS256"}), jwt.WithExpirationRequired(), jwt.WithTimeFunc(now)}
	if az.Issuer != "" {
		opts = append(opts, jwt.WithIssuer(az.Issuer))
	}
	var raw jwt.MapClaims
	if _, err := jwt.ParseWithClaims(token, &raw, func(*jwt.Token) (any, error) { return f.Key, nil }, opts...); err != nil {
		return nil, nil, errors.New("the token is not valid")
	}
	if len(az.Audience) > 0 && !audienceMatches(raw, az.Audience) {
		return nil, nil, errors.New("the token is not for this audience")
	}
	claims := map[string]string{}
	for k, v := range raw {
		claims[k] = claimText(v)
	}
	var scopes []string
	if s, ok := raw["scope"].(string); ok {
		scopes = strings.Fields(s)
	}
	return claims, scopes, nil
}

// audienceMatches accepts a token whose aud (or client_id) is one of the
// authorizer's audiences.
func audienceMatches(c jwt.MapClaims, audiences []string) bool {
	got, _ := c.GetAudience()
	if id, ok := c["client_id"].(string); ok {
		got = append(got, id)
	}
	for _, a := range got {
		for _, want := range audiences {
			if a == strings.TrimSpace(want) {
				return true
			}
		}
	}
	return false
}

func claimText(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case []any:
		parts := make([]string, len(x))
		for i, e := range x {
			parts[i] = claimText(e)
		}
		return "[" + strings.Join(parts, " ") + "]"
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	default:
		b, _ := json.Marshal(x)
		return string(b)
	}
}

// event builds the payload format 2.0 event of a request.
func (f *Front) event(r *http.Request, route Route, params map[string]string, body []byte, requestID string,
	claims map[string]string, scopes []string) events.APIGatewayV2HTTPRequest {
	now := time.Now().UTC()
	headers := map[string]string{}
	var cookies []string
	for k, vs := range r.Header {
		if strings.EqualFold(k, "Cookie") {
			for _, v := range vs {
				for _, c := range strings.Split(v, ";") {
					if c = strings.TrimSpace(c); c != "" {
						cookies = append(cookies, c)
					}
				}
			}
			continue
		}
		headers[strings.ToLower(k)] = strings.Join(vs, ",")
	}
	headers["host"] = r.Host
	if len(body) > 0 {
		headers["content-length"] = strconv.Itoa(len(body))
	}
	var query map[string]string
	if q := r.URL.Query(); len(q) > 0 {
		query = map[string]string{}
		for k, vs := range q {
			query[k] = strings.Join(vs, ",")
		}
	}
	sourceIP, _, _ := net.SplitHostPort(r.RemoteAddr)
	ev := events.APIGatewayV2HTTPRequest{
		Version: "2.0", RouteKey: route.Key(), RawPath: r.URL.EscapedPath(), RawQueryString: r.URL.RawQuery,
		Cookies: cookies, Headers: headers, QueryStringParameters: query,
		RequestContext: events.APIGatewayV2HTTPRequestContext{
			RouteKey: route.Key(), AccountID: "000000000000", Stage: "$default", RequestID: requestID,
			APIID: "local", DomainName: r.Host, DomainPrefix: strings.Split(r.Host, ".")[0],
			Time: now.Format("02/Jan/2006:15:04:05 -0700"), TimeEpoch: now.UnixMilli(),
			HTTP: events.APIGatewayV2HTTPRequestContextHTTPDescription{Method: r.Method, Path: r.URL.Path,
				Protocol: r.Proto, SourceIP: sourceIP, UserAgent: r.UserAgent()},
		},
	}
	if len(params) > 0 {
		ev.PathParameters = params
	}
	if claims != nil {
		ev.RequestContext.Authorizer = &events.APIGatewayV2HTTPRequestContextAuthorizerDescription{
			JWT: &events.APIGatewayV2HTTPRequestContextAuthorizerJWTDescription{Claims: claims, Scopes: scopes}}
	}
	if len(body) > 0 {
		if isText(r.Header.Get("Content-Type")) && utf8.Valid(body) {
			ev.Body = string(body)
		} else {
			ev.Body, ev.IsBase64Encoded = base64.StdEncoding.EncodeToString(body), true
		}
	}
	return ev
}

// isText reports content types API Gateway passes as text.
func isText(contentType string) bool {
	mt, _, _ := mime.ParseMediaType(contentType)
	return strings.HasPrefix(mt, "text/") || mt == "application/json" || mt == "application/x-www-form-urlencoded" ||
		strings.HasSuffix(mt, "+json") || mt == "application/xml"
}

// writeResponse turns the function's answer into the HTTP response, as
// payload format 2.0 does: a JSON object with statusCode is the response; any
// other JSON is a 200 with that JSON as body.
func writeResponse(w http.ResponseWriter, payload []byte) {
	var res events.APIGatewayV2HTTPResponse
	var probe map[string]json.RawMessage
	if json.Unmarshal(payload, &probe) != nil || probe["statusCode"] == nil || json.Unmarshal(payload, &res) != nil {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(payload)
		return
	}
	for k, v := range res.Headers {
		w.Header().Set(k, v)
	}
	for k, vs := range res.MultiValueHeaders {
		for _, v := range vs {
			w.Header().Add(k, v)
		}
	}
	for _, c := range res.Cookies {
		w.Header().Add("Set-Cookie", c)
	}
	body := []byte(res.Body)
	if res.IsBase64Encoded {
		var err error
		if body, err = base64.StdEncoding.DecodeString(res.Body); err != nil {
			gatewayError(w, http.StatusInternalServerError, "Internal Server Error")
			return
		}
	}
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(res.StatusCode)
	_, _ = w.Write(body)
}

// gatewayError answers as API Gateway does when it refuses a request itself.
func gatewayError(w http.ResponseWriter, status int, message string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = fmt.Fprintf(w, "{\"message\":%q}", message)
}

func newRequestID() string {
	var b [12]byte
	_, _ = io.ReadFull(rand.Reader, b[:])
	return strings.TrimRight(base64.RawURLEncoding.EncodeToString(b[:]), "=")
}
