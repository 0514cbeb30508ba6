package partner

import (
	"errors"
	"testing"
	"time"
)

// P§15(三): an si partner's qualification review passes before its
// cooperative products are introduced.
func TestReviewQualification(t *testing.T) {
	at := time.Date(2026, 5, 1, 9, 0, 0, 0, time.UTC)
	si := func(status string) Partner { return Partner{ID: "ptn_1", Kind: KindSI, Name: "集成", Status: status} }
	tests := []struct {
		name, result, comment string
		p                     Partner
		want                  string // next status; "" expects an error
		field                 string // the field named, for FieldErrors
	}{
		{"pending, passed", QualificationPassed, "", si(StatusPendingReview), StatusActive, ""},
		{"pending, failed with why", QualificationFailed, "系统集成资质过期", si(StatusPendingReview), StatusUnqualified, ""},
		{"failed, reviewed again, passed", QualificationPassed, "资质已更新", si(StatusUnqualified), StatusActive, ""},
		{"failed without a comment", QualificationFailed, " ", si(StatusPendingReview), "", "comment"},
		{"unknown result", "maybe", "", si(StatusPendingReview), "", "result"},
		{"already active", QualificationPassed, "", si(StatusActive), "", ""},
		{"a support partner", QualificationPassed, "", Partner{ID: "ptn_2", Kind: KindSupport, Status: StatusApplied}, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			next, q, err := ReviewQualification(tt.p, tt.result, tt.comment, "gc1", at)
			if tt.want != "" {
				if err != nil || next != tt.want || q.Result != tt.result || q.Rule != "P§15(三)" || q.By != "gc1" || q.Reason == "" {
					t.Fatalf("got %s %+v %v; want %s", next, q, err, tt.want)
				}
				return
			}
			var fe FieldErrors
			var rf Refusal
			switch {
			case tt.field != "" && (!errors.As(err, &fe) || fe[tt.field] == ""):
				t.Fatalf("err = %v; want a field error on %s", err, tt.field)
			case tt.field == "" && (!errors.As(err, &rf) || rf.Rule != "P§15(三)"):
				t.Fatalf("err = %v; want a P§15(三) refusal", err)
			}
		})
	}
}

func TestCheckQualified(t *testing.T) {
	for _, tt := range []struct {
		p  Partner
		ok bool
	}{
		{Partner{Kind: KindSI, Status: StatusActive}, true},
		{Partner{Kind: KindSI, Status: StatusPendingReview}, false},
		{Partner{Kind: KindSI, Status: StatusUnqualified}, false},
		{Partner{Kind: KindSupport, Status: StatusApplied}, true},
	} {
		err := CheckQualified(tt.p)
		var rf Refusal
		if (err == nil) != tt.ok || (err != nil && (!errors.As(err, &rf) || rf.Rule != "P§15(三)")) {
			t.Errorf("%s %s: err = %v", tt.p.Kind, tt.p.Status, err)
		}
	}
}
