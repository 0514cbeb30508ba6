package settlement

import (
	"fmt"
	"strings"
	"time"

	"productgov/shared/money"
	"productgov/shared/partner"
	"productgov/shared/period"
)

// SI statement statuses (P§20).
const (
	// SIStatusDraft waits for finance's approval.
	SIStatusDraft = "draft"
	// SIStatusHeld is held: the product is in the exit phase and its exit
	// decision is not made yet (P§20: 在产品考核评定后…根据考核情况进行结算).
	SIStatusHeld = "held"
	// SIStatusApproved was approved by finance and is final.
	SIStatusApproved = "approved"
)

// SIAssessment is the monthly assessment result (P§19) a statement carries.
type SIAssessment struct {
	Result     string `json:"result"`
	PhaseAfter string `json:"phaseAfter"`
	Rule       string `json:"rule"`
	Reason     string `json:"reason"`
}

// SIInput is what a cooperative product's monthly SI settlement takes (P§20).
type SIInput struct {
	ProductID   string       `json:"productId"`
	ProductName string       `json:"productName"`
	PartnerID   string       `json:"partnerId"`
	Month       period.Month `json:"month"`
	// Revenue is the month's recorded revenue of the product (P§19: 以系统出具的结算数据为准).
	Revenue money.Amount `json:"revenue"`
	// Share is the SI's share from the cooperation agreement.
	Share money.Rate `json:"share"`
	// Assessment is the month's assessment result; nil when the month was not assessed.
	Assessment *SIAssessment `json:"assessment,omitempty"`
	// ExitPhase is true when the product is in the exit phase (P§19), and
	// ExitDecided when its exit decision was made since.
	ExitPhase   bool `json:"exitPhase"`
	ExitDecided bool `json:"exitDecided"`
}

// SIStatement is a cooperative product's monthly settlement with its SI (P§20).
type SIStatement struct {
	ProductID   string        `json:"productId"`
	ProductName string        `json:"productName"`
	PartnerID   string        `json:"partnerId"`
	Month       period.Month  `json:"month"`
	Revenue     money.Amount  `json:"revenue"`
	Share       money.Rate    `json:"share"`
	Fee         money.Amount  `json:"fee"`
	Assessment  *SIAssessment `json:"assessment"`
	Status      string        `json:"status"`
	// Held says why the statement is held, when it is.
	Held          string                `json:"held,omitempty"`
	Rule          string                `json:"rule"`
	Reason        string                `json:"reason"`
	Acts          []partner.ApprovalAct `json:"acts"`
	PolicyVersion string                `json:"policyVersion"`
	ComputedAt    time.Time             `json:"computedAt"`
	Version       int64                 `json:"version"`
}

// SettleSI computes a cooperative product's monthly SI statement (P§20): fee
// = the month's recorded revenue × the SI's share from the agreement, rounded
// half-up once to the fen, with the month's assessment result on it. A
// product in the exit phase whose exit decision is not made yet has its
// statement held (P§20: settled 在产品考核评定后, according to the assessment).
func SettleSI(in SIInput) (SIStatement, error) {
	errs := FieldErrors{}
	if strings.TrimSpace(in.ProductID) == "" {
		errs["productId"] = "is required"
	}
	if in.Month.IsZero() {
		errs["month"] = "is required"
	}
	if in.Revenue < 0 {
		errs["revenue"] = "must not be negative"
	}
	if why := checkRate(in.Share); why != "" {
		errs["share"] = why
	}
	if len(errs) > 0 {
		return SIStatement{}, errs
	}
	st := SIStatement{ProductID: in.ProductID, ProductName: in.ProductName, PartnerID: in.PartnerID, Month: in.Month,
		Revenue: in.Revenue, Share: in.Share, Fee: in.Revenue.MulRate(in.Share), Assessment: in.Assessment,
		Status: SIStatusDraft, Rule: "P§20", Acts: []partner.ApprovalAct{}}
	assessed := "the month was not assessed"
	if in.Assessment != nil {
		assessed = fmt.Sprintf("assessment %s, phase %s (%s)", in.Assessment.Result, in.Assessment.PhaseAfter, in.Assessment.Rule)
	}
	st.Reason = fmt.Sprintf("recorded revenue %s × SI share %s = %s; %s", in.Revenue, in.Share, st.Fee, assessed)
	if in.ExitPhase && !in.ExitDecided {
		st.Status = SIStatusHeld
		st.Held = "the product is in the exit phase: its SI statements are held until the exit decision (P§19, P§20)"
		st.Reason += "; held until the exit decision"
	}
	return st, nil
}

// ApproveSI is finance's approval of an SI statement (P§5(三): 财务部审核相关结算
// 资料、付款): only a draft is approved; a held statement waits for the exit
// decision, an approved one is final.
func ApproveSI(status string) (string, error) {
	switch status {
	case SIStatusDraft:
		return SIStatusApproved, nil
	case SIStatusHeld:
		return "", Refusal{Rule: "P§20", Reason: "the statement is held until the product's exit decision"}
	}
	return "", Refusal{Rule: "P§20", Reason: fmt.Sprintf("the statement is %s: only a draft is approved", status)}
}
