// Package identity turns a request's bearer token into a directory.Person (SPEC 6).
// Locally it verifies HS256 tokens signed with the configured key; on AWS the API
// Gateway JWT authorizer has already verified the token and the claims arrive
// with the request, so they are read from there.
package identity

import (
	"errors"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"productgov/shared/directory"
	"productgov/shared/problem"
)

// Claims are the token's claims the system reads.
type Claims struct {
	Name  string   `json:"name"`
	Email string   `json:"email"`
	Roles []string `json:"roles"`
	jwt.RegisteredClaims
}

// Issuer signs and verifies local tokens.
type Issuer struct {
	key      []byte
	issuer   string
	audience string
	ttl      time.Duration
	now      func() time.Time
}

// NewIssuer returns an Issuer with the signing key (at least 32 bytes).
func NewIssuer(key []byte, issuer string, ttl time.Duration, now func() time.Time) (*Issuer, error) {
	if len(key) < 32 {
		return nil, errors.New("identity: signing key must be at least 32 bytes")
	}
	return &Issuer{key: key, issuer: issuer, ttl: ttl, now: now}, nil
}

// WithAudience returns a copy of the issuer whose tokens carry aud, which
// the HTTP API's JWT authorizer requires (its JwtAudience), and whose Verify
// requires it.
func (i *Issuer) WithAudience(aud string) *Issuer {
	c := *i
	c.audience = aud
	return &c
}

// Sign returns a token for the person (POST /dev/token).
func (i *Issuer) Sign(p directory.Person) (string, error) {
	now := i.now()
	roles := make([]string, len(p.Roles))
	for k, r := range p.Roles {
		roles[k] = string(r)
	}
	c := Claims{Name: p.Name, Email: p.Email, Roles: roles, RegisteredClaims: jwt.RegisteredClaims{
		Subject: p.Sub, Issuer: i.issuer, IssuedAt: jwt.NewNumericDate(now), ExpiresAt: jwt.NewNumericDate(now.Add(i.ttl)),
	}}
	if i.audience != "" {
		c.Audience = jwt.ClaimStrings{i.audience}
	}
	return jwt.NewWithClaims(jwt.SigningMethodHS256, c).SignedString(i.key)
}

// Verify checks a bearer token's signature, issuer and expiry.
func (i *Issuer) Verify(token string) (directory.Person, error) {
	var c Claims
	opts := []jwt.ParserOption{jwt.WithValidMethods([]string{"HS256"}), jwt.WithIssuer(i.issuer), jwt.WithExpirationRequired(),
		jwt.WithTimeFunc(i.now)}
	if i.audience != "" {
		opts = append(opts, jwt.WithAudience(i.audience))
	}
	_, err := jwt.ParseWithClaims(token, &c, func(t *jwt.Token) (any, error) { return i.key, nil }, opts...)
	if err != nil {
		return directory.Person{}, problem.Unauthorized("invalid token: %s", shortReason(err))
	}
	return personFrom(c.Subject, c.Name, c.Email, c.Roles)
}

func shortReason(err error) string {
	switch {
	case errors.Is(err, jwt.ErrTokenExpired):
		return "expired"
	case errors.Is(err, jwt.ErrTokenSignatureInvalid):
		return "bad signature"
	case errors.Is(err, jwt.ErrTokenMalformed):
		return "malformed"
	case errors.Is(err, jwt.ErrTokenInvalidIssuer):
		return "wrong issuer"
	default:
		return "not accepted"
	}
}

func personFrom(sub, name, email string, roles []string) (directory.Person, error) {
	if !directory.ValidSub(sub) {
		return directory.Person{}, problem.Unauthorized("token has no valid subject")
	}
	p := directory.Person{Sub: sub, Name: name, Email: email}
	for _, r := range roles {
		if directory.ValidRole(directory.Role(r)) {
			p.Roles = append(p.Roles, directory.Role(r))
		}
	}
	return p, nil
}

// FromGatewayClaims builds the person from claims the API Gateway JWT authorizer
// verified. Roles come as a JSON-ish list ("[a b]") or comma-separated text.
func FromGatewayClaims(claims map[string]string) (directory.Person, error) {
	raw := strings.Trim(claims["roles"], "[]")
	var roles []string
	for _, r := range strings.FieldsFunc(raw, func(c rune) bool { return c == ',' || c == ' ' || c == '"' }) {
		roles = append(roles, r)
	}
	return personFrom(claims["sub"], claims["name"], claims["email"], roles)
}

// BearerToken extracts the token from an Authorization header.
func BearerToken(header string) (string, error) {
	scheme, tok, ok := strings.Cut(strings.TrimSpace(header), " ")
	if header == "" {
		return "", problem.Unauthorized("missing Authorization header")
	}
	if !ok || !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(tok) == "" {
		return "", problem.Unauthorized("Authorization header must be Bearer <token>")
	}
	return strings.TrimSpace(tok), nil
}
