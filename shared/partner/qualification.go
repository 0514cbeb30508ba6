package partner

import (
	"fmt"
	"strings"
	"time"
)

// Qualification review results of an si partner (P§15(三)).
const (
	QualificationPassed = "passed"
	QualificationFailed = "failed"
)

// Qualification is the recorded SI qualification review of a product
// cooperation partner (P§15(三): 对于新的合作伙伴在申请产品合作时，需首先对 SI
// 合作资质进行审核，审核通过后开展合作产品引入评审).
type Qualification struct {
	Result  string    `json:"result"`
	Comment string    `json:"comment,omitempty"`
	By      string    `json:"by"`
	At      time.Time `json:"at"`
	Rule    string    `json:"rule"`
	Reason  string    `json:"reason"`
}

// ReviewQualification records an si partner's qualification review (P§15(三)):
// passed makes it active, so its cooperative products can be introduced;
// failed leaves it unqualified (a later review may pass it). A failed review
// needs a comment saying why. It returns the partner's next status.
func ReviewQualification(p Partner, result, comment, by string, at time.Time) (string, Qualification, error) {
	errs := FieldErrors{}
	if result != QualificationPassed && result != QualificationFailed {
		errs["result"] = "must be passed or failed"
	}
	if result == QualificationFailed && strings.TrimSpace(comment) == "" {
		errs["comment"] = "is required when the review fails: the partner must learn why (P§15(三))"
	}
	if err := errs.errOrNil(); err != nil {
		return "", Qualification{}, err
	}
	if p.Kind != KindSI {
		return "", Qualification{}, Refusal{Rule: "P§15(三)", Reason: fmt.Sprintf("partner %s is of kind %s: the qualification review is for si partners; support partners are screened at intake (S§8)", p.ID, p.Kind)}
	}
	if p.Status != StatusPendingReview && p.Status != StatusUnqualified {
		return "", Qualification{}, Refusal{Rule: "P§15(三)", Reason: fmt.Sprintf("partner %s is %s: only a partner pending its review (or one that failed it) is reviewed", p.ID, p.Status)}
	}
	q := Qualification{Result: result, Comment: strings.TrimSpace(comment), By: by, At: at.UTC(), Rule: "P§15(三)"}
	if result == QualificationPassed {
		q.Reason = "the SI qualification review passed: the partner's cooperative products may be introduced"
		return StatusActive, q, nil
	}
	q.Reason = "the SI qualification review failed: no cooperative product of the partner is introduced until a review passes"
	return StatusUnqualified, q, nil
}

// CheckQualified refuses the introduction of a cooperative product with an si
// partner that has not passed its qualification review (P§15(三)). Partners of
// other kinds, and si partners registered from the existing portfolio, pass.
func CheckQualified(p Partner) error {
	if p.Kind != KindSI || p.Status == StatusActive {
		return nil
	}
	return Refusal{Rule: "P§15(三)", Reason: fmt.Sprintf(
		"the SI partner %s (%s) is %s: its qualification review must pass before a cooperative product with it is introduced", p.ID, p.Name, p.Status)}
}
