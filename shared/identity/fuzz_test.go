package identity

import (
	"testing"
	"time"

	"productgov/shared/directory"
	"productgov/shared/problem"
)

// A bearer token, whatever its bytes, is verified or refused as
// unauthorized; it never panics and never verifies unless signed.
func FuzzVerify(f *testing.F) {
	iss, err := NewIssuer([]byte("fuzz-signing-key-0123456789abcdef0123"), "fuzz", time.Hour, time.Now)
	if err != nil {
		f.Fatal(err)
	}
	iss = iss.WithAudience("aud")
	good, err := iss.Sign(directory.Person{Sub: "pm1", Roles: []directory.Role{directory.RoleProductManager}})
	if err != nil {
		f.Fatal(err)
	}
	for _, seed := range []string{good, good[:len(good)-2] + "AA", "", "a.b.c", "eyJhbGciOiJub25lIn0.e30.", good + "."} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, token string) {
		p, err := iss.Verify(token)
		if err != nil {
			if problem.CodeOf(err) != problem.CodeUnauthorized {
				t.Fatalf("refusal %v is not unauthorized", err)
			}
			return
		}
		if token != good || p.Sub != "pm1" {
			t.Fatalf("verified a token it did not sign: %q", token)
		}
	})
}

// Claims from API Gateway, whatever they hold, make a person or an
// unauthorized refusal.
func FuzzGatewayClaims(f *testing.F) {
	f.Add("pm1", "[product_manager admin]", "名字")
	f.Add("", "", "")
	f.Add("a b", "[\"x\",\"admin\"]", "\x00")
	f.Fuzz(func(t *testing.T, sub, roles, name string) {
		p, err := FromGatewayClaims(map[string]string{"sub": sub, "roles": roles, "name": name})
		if err != nil {
			if problem.CodeOf(err) != problem.CodeUnauthorized {
				t.Fatalf("refusal %v is not unauthorized", err)
			}
			return
		}
		for _, r := range p.Roles {
			if !directory.ValidRole(r) {
				t.Fatalf("unknown role %q accepted", r)
			}
		}
	})
}
