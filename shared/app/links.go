package app

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"productgov/shared/store"
	"sync"
	"time"
)

// LinkSigner signs approval links (SPEC 2.4): a link is bound to one approval
// id, approver, submission revision, step and expiry, so none of these can be
// changed without the signature failing.
type LinkSigner struct {
	load func() ([]byte, error)
	once *sync.Once
	key  *[]byte
	err  *error
}

// NewLinkSigner returns a signer with the key (at least 32 bytes), which comes
// from configuration locally.
func NewLinkSigner(key []byte) (LinkSigner, error) {
	if len(key) < 32 {
		return LinkSigner{}, fmt.Errorf("app: link signing key must be at least 32 bytes")
	}
	return NewLinkSignerFrom(func() ([]byte, error) { return key, nil }), nil
}

// NewLinkSignerFrom returns a signer whose key is loaded on first use, e.g.
// from SSM by name on AWS, so a function that never signs never reads it.
func NewLinkSignerFrom(load func() ([]byte, error)) LinkSigner {
	var key []byte
	var err error
	return LinkSigner{load: load, once: new(sync.Once), key: &key, err: &err}
}

func (l LinkSigner) secret() ([]byte, error) {
	if l.once == nil {
		return nil, fmt.Errorf("app: no link signing key configured")
	}
	l.once.Do(func() {
		k, err := l.load()
		if err == nil && len(k) < 32 {
			err = fmt.Errorf("app: link signing key must be at least 32 bytes")
		}
		*l.key, *l.err = k, err
	})
	return *l.key, *l.err
}

// LinkClaims are the facts a link's signature covers.
type LinkClaims struct {
	// Kind and Role name a staged partner approval's link; empty for a submission's step.
	Kind, Role   string
	ApprovalID   string
	Approver     string
	SubmissionID string
	Revision     int
	Step         string
	ExpiresAt    time.Time
}

func (c LinkClaims) canonical() string {
	return fmt.Sprintf("v1|%s|%s|%s|%s|%s|%d|%s|%d", c.Kind, c.Role, c.ApprovalID, c.Approver, c.SubmissionID, c.Revision, c.Step, c.ExpiresAt.Unix())
}

// Sign returns the signature for the link's query string.
func (l LinkSigner) Sign(c LinkClaims) (string, error) {
	key, err := l.secret()
	if err != nil {
		return "", err
	}
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(c.canonical()))
	return base64.RawURLEncoding.EncodeToString(mac.Sum(nil)), nil
}

// Valid reports whether sig signs exactly these claims, in constant time.
func (l LinkSigner) Valid(c LinkClaims, sig string) bool {
	got, err := base64.RawURLEncoding.DecodeString(sig)
	// Only the canonical text: the decoder skips CR and LF, so a signature
	// with line breaks in it would pass too (found by FuzzLinkSignature).
	if err != nil || base64.RawURLEncoding.EncodeToString(got) != sig {
		return false
	}
	key, err := l.secret()
	if err != nil {
		return false
	}
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(c.canonical()))
	return hmac.Equal(got, mac.Sum(nil))
}

// claimsOf are the claims a stored link's signature covers.
func claimsOf(a store.Approval) LinkClaims {
	return LinkClaims{Kind: a.Kind, Role: a.Role, ApprovalID: a.ID, Approver: a.Approver, SubmissionID: a.SubmissionID,
		Revision: a.Revision, Step: a.Step, ExpiresAt: a.ExpiresAt}
}
