package api

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net/http"
	"time"

	"productgov/shared/problem"
	"productgov/shared/store"
)

// IdempotencyStore keeps the answers to requests sent with an
// Idempotency-Key (the store implements it).
type IdempotencyStore interface {
	ClaimIdempotent(ctx context.Context, key, requestHash string, now time.Time, stale, keep time.Duration) (store.IdempotentCall, bool, error)
	FinishIdempotent(ctx context.Context, key string, status int, contentType string, body []byte) error
	ReleaseIdempotent(ctx context.Context, key string) error
}

const (
	idempotencyHeader = "Idempotency-Key"
	// idempotencyKeep is how long a key's answer is kept (24 h).
	idempotencyKeep = 24 * time.Hour
	// idempotencyStale is when a claim whose request never answered (its
	// process died) may be taken over by a repeat.
	idempotencyStale = 2 * importBudget
	// maxKeptAnswer bounds the answer kept for a key (a DynamoDB item holds
	// 400 KB); creating routes answer far less.
	maxKeptAnswer = 300 << 10
)

// idempotent runs a POST sent with an Idempotency-Key at most once per caller
// and key: a repeat with the same request gets the first answer again
// (Idempotent-Replayed: true), one with another request 409, and one while
// the first is still running 409. Answers of 5xx are not kept, so a retry
// after an outage runs the request.
func (s *Server) idempotent(w http.ResponseWriter, r *http.Request, caller string, run func(http.ResponseWriter, *http.Request)) error {
	key := r.Header.Get(idempotencyHeader)
	if len(key) > 64 || !printableASCII(key) {
		return problem.InvalidField(idempotencyHeader, "must be 1 to 64 printable ASCII characters")
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxUpload+1<<20))
	if err != nil {
		return problem.InvalidField("body", "could not be read")
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	sum := sha256.Sum256(append([]byte(r.Method+" "+r.URL.RequestURI()+"\n"), body...))
	hash := hex.EncodeToString(sum[:])
	scoped := caller + "#" + key
	earlier, claimed, err := s.Idempotency.ClaimIdempotent(r.Context(), scoped, hash, time.Now(), idempotencyStale, idempotencyKeep)
	if err != nil {
		return err
	}
	if !claimed {
		switch {
		case earlier.RequestHash != hash:
			return problem.Conflict("the Idempotency-Key %q was used for another request; use a new key", key)
		case !earlier.Done:
			return problem.Conflict("a request with the Idempotency-Key %q is still being processed", key)
		}
		w.Header().Set("Content-Type", earlier.ContentType)
		w.Header().Set("Idempotent-Replayed", "true")
		w.WriteHeader(earlier.Status)
		_, _ = w.Write(earlier.Body)
		return nil
	}
	rec := &answerRecorder{ResponseWriter: w, status: http.StatusOK}
	run(rec, r)
	// The answer is kept even if the caller went away meanwhile.
	ctx := context.WithoutCancel(r.Context())
	if rec.status >= 500 || rec.body.Len() > maxKeptAnswer {
		return s.Idempotency.ReleaseIdempotent(ctx, scoped)
	}
	return s.Idempotency.FinishIdempotent(ctx, scoped, rec.status, rec.Header().Get("Content-Type"), rec.body.Bytes())
}

func printableASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x21 || s[i] > 0x7e {
			return false
		}
	}
	return s != ""
}

// answerRecorder passes an answer on and keeps a copy.
type answerRecorder struct {
	http.ResponseWriter
	status int
	body   bytes.Buffer
}

func (a *answerRecorder) WriteHeader(code int) {
	a.status = code
	a.ResponseWriter.WriteHeader(code)
}

func (a *answerRecorder) Write(b []byte) (int, error) {
	if a.body.Len() <= maxKeptAnswer {
		a.body.Write(b)
	}
	return a.ResponseWriter.Write(b)
}
