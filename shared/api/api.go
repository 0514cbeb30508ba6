// Package api serves the HTTP contract of SPEC 8 with net/http: routes, JSON
// in and out, the one table from error code to HTTP status, and identity.
package api

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"runtime/debug"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/aws/aws-lambda-go/lambdacontext"

	"productgov/shared/app"
	"productgov/shared/directory"
	"productgov/shared/id"
	"productgov/shared/identity"
	"productgov/shared/metrics"
	"productgov/shared/money"
	"productgov/shared/problem"
)

// Authenticator returns the caller of a request, or an unauthorized error.
type Authenticator func(r *http.Request) (directory.Person, error)

// BearerAuthenticator verifies the request's bearer token with the local issuer.
func BearerAuthenticator(iss *identity.Issuer) Authenticator {
	return func(r *http.Request) (directory.Person, error) {
		header := r.Header.Get("Authorization")
		// Pages and exports opened in a browser may carry the token in the
		// query (RFC 6750 §2.3), since a link cannot set a header.
		if q := r.URL.Query().Get("access_token"); header == "" && q != "" && r.Method == http.MethodGet && isDocument(r.URL.Path) {
			header = "Bearer " + q
		}
		tok, err := identity.BearerToken(header)
		if err != nil {
			return directory.Person{}, err
		}
		return iss.Verify(tok)
	}
}

// Server is the HTTP API.
type Server struct {
	App *app.Service
	// Auth identifies callers of authenticated routes.
	Auth Authenticator
	// Local enables the /dev/* routes; elsewhere they answer 404.
	Local bool
	// Issuer signs dev tokens (local mode only).
	Issuer *identity.Issuer
	// Health checks the store for /healthz.
	Health func(ctx context.Context) error
	// Idempotency keeps answers to POSTs sent with an Idempotency-Key; nil
	// ignores the header.
	Idempotency IdempotencyStore
	// Metrics receives each request's latency by route (EMF); nil drops it.
	Metrics *metrics.Emitter
	Log     *slog.Logger

	mux *http.ServeMux
}

// Handler returns the router with its middleware.
func (s *Server) Handler() http.Handler {
	if s.Log == nil {
		s.Log = slog.Default()
	}
	s.mux = http.NewServeMux()
	s.routes()
	return s.middleware(s.mux)
}

// Route is one route of the API, listed so that openapi.yaml can be checked
// against the router.
type Route struct {
	Method, Pattern string
	// Public routes need no bearer token.
	Public bool
}

// routeTable is filled by routes() and read by Routes().
var routeTable []Route

func (s *Server) handle(method, pattern string, public bool, h func(w http.ResponseWriter, r *http.Request, caller directory.Person) error) {
	routeTable = appendRoute(routeTable, Route{method, pattern, public})
	s.mux.HandleFunc(method+" "+pattern, func(w http.ResponseWriter, r *http.Request) {
		var caller directory.Person
		if !public {
			var err error
			caller, err = s.Auth(r)
			if err != nil {
				s.writeError(w, r, err)
				return
			}
			if who, ok := r.Context().Value(callerNoteKey{}).(*callerNote); ok {
				who.sub = caller.Sub
			}
		}
		if method == http.MethodPost && !public && s.Idempotency != nil && r.Header.Get(idempotencyHeader) != "" {
			err := s.idempotent(w, r, caller.Sub, func(w http.ResponseWriter, r *http.Request) {
				if err := h(w, r, caller); err != nil {
					s.writeError(w, r, err)
				}
			})
			if err != nil {
				s.writeError(w, r, err)
			}
			return
		}
		if err := h(w, r, caller); err != nil {
			s.writeError(w, r, err)
		}
	})
}

func appendRoute(rs []Route, r Route) []Route {
	for _, x := range rs {
		if x == r {
			return rs
		}
	}
	return append(rs, r)
}

// Routes lists every route the router serves.
func Routes() []Route {
	s := &Server{mux: http.NewServeMux()}
	s.routes()
	return append([]Route(nil), routeTable...)
}

const requestIDHeader = "X-Request-Id"

// callerNote carries who made a request from the route (after the token is
// checked) back to the request's log line.
type callerNote struct{ sub string }

type callerNoteKey struct{}

func (s *Server) middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		// The id is always made here; a client's own is only logged beside it.
		rid, clientID := id.New("req"), r.Header.Get(requestIDHeader)
		if len(clientID) > 64 || !utf8.ValidString(clientID) {
			clientID = ""
		}
		w.Header().Set(requestIDHeader, rid)
		ctx, cancel := context.WithTimeout(app.WithRequestID(r.Context(), rid), budgetOf(r))
		defer cancel()
		r = r.WithContext(ctx)
		who := &callerNote{}
		r = r.WithContext(context.WithValue(r.Context(), callerNoteKey{}, who))
		rec := &statusRecorder{ResponseWriter: w, status: 200}
		defer func() {
			if v := recover(); v != nil {
				s.Log.Error("panic", "requestId", rid, "panic", v, "stack", string(debug.Stack()))
				s.writeError(rec, r, errors.New("panic"))
			}
			took := time.Since(start)
			attrs := []any{"method", r.Method, "path", r.URL.Path, "route", r.Pattern, "status", rec.status,
				"ms", took.Milliseconds(), "requestId", rid, "clientRequestId", clientID, "sub", who.sub}
			if lc, ok := lambdacontext.FromContext(r.Context()); ok {
				attrs = append(attrs, "lambdaRequestId", lc.AwsRequestID)
			}
			// One line per request, for operators; the latency also as a metric.
			s.Log.Info("request", attrs...)
			s.Metrics.Emit(map[string]string{"Route": r.Pattern}, map[string]any{"requestId": rid, "status": rec.status},
				metrics.Metric{Name: "Latency", Unit: metrics.Milliseconds, Value: float64(took.Microseconds()) / 1000})
		}()
		next.ServeHTTP(rec, r)
	})
}

type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (s *statusRecorder) WriteHeader(code int) {
	s.status = code
	s.ResponseWriter.WriteHeader(code)
}

// statusOf is the one table from error code to HTTP status (SPEC 8).
var statusOf = map[problem.Code]int{
	problem.CodeInvalid:      http.StatusBadRequest,
	problem.CodeNotFound:     http.StatusNotFound,
	problem.CodeConflict:     http.StatusConflict,
	problem.CodeForbidden:    http.StatusForbidden,
	problem.CodeUnauthorized: http.StatusUnauthorized,
	problem.CodeInternal:     http.StatusInternalServerError,
	problem.CodeUnavailable:  http.StatusServiceUnavailable,
}

// requestBudget bounds a request's work, well inside Lambda's and API
// Gateway's limits, so a database that does not answer gets a 503 in seconds
// instead of a hang.
const requestBudget = 10 * time.Second

// importBudget bounds a figures import, whose file may hold up to 32 MiB of
// rows to check and write: still inside API Gateway's 30 s.
const importBudget = 25 * time.Second

// budgetOf is the time a request may take.
func budgetOf(r *http.Request) time.Duration {
	if strings.HasPrefix(r.URL.Path, "/imports/") {
		return importBudget
	}
	return requestBudget
}

type errorBody struct {
	Error errorDetail `json:"error"`
}

type errorDetail struct {
	Code    problem.Code      `json:"code"`
	Message string            `json:"message"`
	Fields  map[string]string `json:"fields,omitempty"`
	// RequestID is the request's id, to quote when asking about it.
	RequestID string `json:"requestId"`
}

// writeError answers with the error's code; internal errors are logged and
// their details never shown.
func (s *Server) writeError(w http.ResponseWriter, r *http.Request, err error) {
	p := problem.As(err)
	if (p == nil || p.Code == problem.CodeInternal) && unavailable(err) {
		s.Log.Error("database unavailable", "requestId", app.RequestID(r.Context()), "method", r.Method,
			"path", r.URL.Path, "err", err)
		p = &problem.Error{Code: problem.CodeUnavailable, Message: "the database did not answer in time; nothing was changed, retry later (request id " + app.RequestID(r.Context()) + ")"}
	}
	if p == nil || p.Code == problem.CodeInternal {
		s.Log.Error("internal error", "requestId", app.RequestID(r.Context()), "method", r.Method,
			"path", r.URL.Path, "err", err)
		p = &problem.Error{Code: problem.CodeInternal, Message: "internal error; quote request id " + app.RequestID(r.Context())}
	}
	if p.Code == problem.CodeUnauthorized {
		w.Header().Set("WWW-Authenticate", `Bearer realm="productgov"`)
	}
	if p.Code == problem.CodeUnavailable {
		w.Header().Set("Retry-After", "5")
	}
	writeJSON(w, statusOf[p.Code], errorBody{Error: errorDetail{Code: p.Code, Message: p.Message, Fields: p.Fields, RequestID: app.RequestID(r.Context())}})
}

// unavailable reports an error that says a dependency did not answer: the
// request's budget ran out, or the connection failed or timed out.
func unavailable(err error) bool {
	var netErr net.Error
	return errors.Is(err, context.DeadlineExceeded) || errors.As(err, &netErr)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
}

// notFound answers like an unknown route, so /dev/* outside local mode looks absent.
func notFound() error { return &problem.Error{Code: problem.CodeNotFound, Message: "no such route"} }

func queryLimit(r *http.Request) (int32, error) {
	v := r.URL.Query().Get("limit")
	if v == "" {
		return 50, nil
	}
	var n int32
	for _, c := range v {
		if c < '0' || c > '9' || n > 1000 {
			return 0, problem.InvalidField("limit", "must be a whole number between 1 and 200")
		}
		n = n*10 + int32(c-'0')
	}
	return n, nil
}

type appPatch = app.ProductPatch

func moneyString(fen int64) string { return money.Amount(fen).String() }

// isDocument reports whether a path is a page or an export people open.
func isDocument(path string) bool {
	return strings.HasSuffix(path, ".html") || strings.HasSuffix(path, ".xlsx")
}
