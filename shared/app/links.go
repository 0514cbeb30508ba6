package app

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"time"
)

// LinkSigner signs approval links (SPEC 2.4): a link is bound to one approval
// id, approver, submission revision, step and expiry, so none of these can be
// changed without the signature failing.
type LinkSigner struct {
	key []byte
}

// NewLinkSigner returns a signer with the key (at least 32 bytes), which comes
// from configuration locally and from SSM/Secrets Manager by name on AWS.
func NewLinkSigner(key []byte) (LinkSigner, error) {
	if len(key) < 32 {
		return LinkSigner{}, fmt.Errorf("app: link signing key must be at least 32 bytes")
	}
	return LinkSigner{key: key}, nil
}

// LinkClaims are the facts a link's signature covers.
type LinkClaims struct {
	ApprovalID   string
	Approver     string
	SubmissionID string
	Revision     int
	Step         string
	ExpiresAt    time.Time
}

func (c LinkClaims) canonical() string {
	return fmt.Sprintf("v1|%s|%s|%s|%d|%s|%d", c.ApprovalID, c.Approver, c.SubmissionID, c.Revision, c.Step, c.ExpiresAt.Unix())
}

// Sign returns the signature for the link's query string.
func (l LinkSigner) Sign(c LinkClaims) string {
	mac := hmac.New(sha256.New, l.key)
	mac.Write([]byte(c.canonical()))
	return base64.RawURLEncoding.EncodeToString(mac.Sum(nil))
}

// Valid reports whether sig signs exactly these claims, in constant time.
func (l LinkSigner) Valid(c LinkClaims, sig string) bool {
	got, err := base64.RawURLEncoding.DecodeString(sig)
	if err != nil || len(l.key) == 0 {
		return false
	}
	mac := hmac.New(sha256.New, l.key)
	mac.Write([]byte(c.canonical()))
	return hmac.Equal(got, mac.Sum(nil))
}
