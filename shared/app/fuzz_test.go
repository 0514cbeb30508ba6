package app

import (
	"testing"
	"time"
)

// A link's signature, whatever the query string holds, is valid only for
// the claims it was made for.
func FuzzLinkSignature(f *testing.F) {
	signer, err := NewLinkSigner([]byte("fuzz-link-signing-key-0123456789abcdef"))
	if err != nil {
		f.Fatal(err)
	}
	claims := LinkClaims{ApprovalID: "ap1", Approver: "vp1", SubmissionID: "sub1", Revision: 1, Step: "vp",
		ExpiresAt: time.Date(2026, 12, 10, 0, 0, 0, 0, time.UTC)}
	good, err := signer.Sign(claims)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(good, "ap1", 1)
	f.Add(good+"=", "ap1", 1)
	f.Add("", "ap2", 2)
	f.Add("%%%", "ap1", -1)
	f.Fuzz(func(t *testing.T, sig, approvalID string, revision int) {
		c := claims
		c.ApprovalID, c.Revision = approvalID, revision
		if signer.Valid(c, sig) && (sig != good || approvalID != "ap1" || revision != 1) {
			t.Fatalf("signature %q valid for approval %q revision %d", sig, approvalID, revision)
		}
	})
}
