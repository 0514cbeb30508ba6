package settlement

import (
	"encoding/json"
	"time"

	"productgov/shared/money"
	"productgov/shared/partner"
	"productgov/shared/period"
)

// Project statuses (SPEC 4.2).
const (
	ProjectInReview  = "review"     // collecting the departments' score forms
	ProjectApproving = "approving"  // review passed; the S§11 approval runs
	ProjectNotNeeded = "not_needed" // the review scored below the pass mark
	ProjectApproved  = "approved"   // settled each quarter
	ProjectRejected  = "rejected"   // the approval rejected it
)

// PlannedWorkItem is a guarantee project's work item with its price and the
// quarter's planned workload the monthly accrual books (S§17).
type PlannedWorkItem struct {
	Name            string       `json:"name"`
	UnitPrice       money.Amount `json:"unitPrice"`
	PlannedWorkload Quantity     `json:"plannedWorkload"`
	// Sheet names the S-A3 sheet scored as a whole the item is on
	// (SheetContentMaintenance, 表二); empty for an item scored on its own (表三–六).
	Sheet string `json:"sheet,omitempty"`
}

// Project is a support project: a partner supporting a product (SPEC 4.2).
type Project struct {
	ID          string       `json:"id"`
	PartnerID   string       `json:"partnerId"`
	ProductID   string       `json:"productId"`
	ProductName string       `json:"productName"`
	Mode        partner.Mode `json:"mode"`
	BenefitType string       `json:"benefitType"`
	ContentType string       `json:"contentType"`
	// ContributionRate, MinWorkload and AnnualTarget are the revenue mode's terms.
	ContributionRate *money.Rate       `json:"contributionRate"`
	MinWorkload      Quantity          `json:"minWorkload"`
	AnnualTarget     money.Amount      `json:"annualTarget"`
	Items            []PlannedWorkItem `json:"items"`
	Status           string            `json:"status"`
	// ReviewYear is the year of the review that admitted the project.
	ReviewYear int                    `json:"reviewYear"`
	Approval   *partner.ApprovalState `json:"approval,omitempty"`
	// Registered is true for an existing contract an admin migrated (already approved).
	Registered bool        `json:"registered"`
	StartDate  period.Date `json:"startDate"`
	// EndDate is the contract's last day; each automatic renewal adds a year (S§14).
	EndDate  period.Date     `json:"endDate"`
	Renewals []RenewalRecord `json:"renewals"`
	// LastYear holds the revenue and fee of the year before the project was
	// registered (S-A5 上年度业务收入, 上年度支撑费用), for the first clearing's decline rule.
	LastYear      *LastYearFigures `json:"lastYear,omitempty"`
	PolicyVersion string           `json:"policyVersion"`
	Version       int64            `json:"version"`
	CreatedBy     string           `json:"createdBy"`
	CreatedAt     time.Time        `json:"createdAt"`
	UpdatedAt     time.Time        `json:"updatedAt"`
}

// RenewalRecord is an automatic renewal of a project contract (S§14).
type RenewalRecord struct {
	Year    int             `json:"year"`
	Renewal partner.Renewal `json:"renewal"`
	// EndDate is the contract's last day after the renewal.
	EndDate       period.Date `json:"endDate"`
	PolicyVersion string      `json:"policyVersion"`
	By            string      `json:"by"`
	At            time.Time   `json:"at"`
}

// LastYearFigures are a registered project's revenue and fee of its previous year.
type LastYearFigures struct {
	Year    int          `json:"year"`
	Revenue money.Amount `json:"revenue"`
	Fee     money.Amount `json:"fee"`
}

// QuarterItem is a guarantee work item's quarter: its workload and, for an
// item scored on its own (表三–六), its score (SPEC 4.3). An item on a sheet
// scored as a whole (Sheet set, S-A3 表二) has no score of its own: the
// entry's SheetScores holds the sheet's, and its JSON leaves score out.
type QuarterItem struct {
	Name     string        `json:"name"`
	Workload Quantity      `json:"workload"`
	Score    partner.Score `json:"score"`
	Sheet    string        `json:"sheet,omitempty"`
}

// MarshalJSON leaves out the score of an item on a sheet scored as a whole.
func (q QuarterItem) MarshalJSON() ([]byte, error) {
	type plain QuarterItem
	if q.Sheet == "" {
		return json.Marshal(plain(q))
	}
	return json.Marshal(struct {
		Name     string   `json:"name"`
		Workload Quantity `json:"workload"`
		Sheet    string   `json:"sheet"`
	}{q.Name, q.Workload, q.Sheet})
}

// QuarterEntry is a project's quarter input (PUT /support-projects/{id}/quarters/{quarter}):
// the workload (revenue mode) or the work items (guarantee mode), and the
// quarter's service score, which is also the project's quarterly score (S-A6).
type QuarterEntry struct {
	ProjectID string         `json:"projectId"`
	Quarter   period.Quarter `json:"quarter"`
	Workload  *Quantity      `json:"workload,omitempty"`
	Items     []QuarterItem  `json:"items,omitempty"`
	// SheetScores are the one total score of each sheet scored as a whole
	// (S-A3 表二: SheetContentMaintenance), which sets its combined fee's share.
	SheetScores  map[string]partner.Score `json:"sheetScores,omitempty"`
	ServiceScore partner.Score            `json:"serviceScore"`
	Version      int64                    `json:"version"`
	By           string                   `json:"by"`
	At           time.Time                `json:"at"`
}

// StatementRecord is a stored statement: the S-A3 (or S-A5) statement with
// whom it concerns, the reversal of the period's accruals, its approval acts,
// and the policy version that computed it.
type StatementRecord struct {
	Statement
	PartnerID   string `json:"partnerId"`
	PartnerName string `json:"partnerName"`
	ProductID   string `json:"productId"`
	ProductName string `json:"productName"`
	// Reversal reverses the accruals of the quarter (S§17).
	Reversal      *Reversal             `json:"reversal,omitempty"`
	Acts          []partner.ApprovalAct `json:"acts"`
	PolicyVersion string                `json:"policyVersion"`
	Version       int64                 `json:"version"`
	ComputedAt    time.Time             `json:"computedAt"`
}

// Locked reports whether the statement was confirmed or approved: a re-run
// then leaves it, and its partner's quarter, as they are.
func (s StatementRecord) Locked() bool {
	return s.Status == StatusRevenueConfirmed || s.Status == StatusApproved
}

// RoundSummary is a partner's settlement of one quarter: the deductions
// waterfall over its statements (S§20, S§21), the draw on the deposit, and
// what was carried in and out. Its key is the partner and the quarter.
type RoundSummary struct {
	PartnerID string         `json:"partnerId"`
	Quarter   period.Quarter `json:"quarter"`
	// Deductions are the quarter's fines and staff-change charges.
	Deductions []Deduction `json:"deductions"`
	// CarriedInCharges and CarriedInRecovery come from the partner's previous quarter.
	CarriedInCharges  money.Amount `json:"carriedInCharges"`
	CarriedInRecovery money.Amount `json:"carriedInRecovery"`
	// DepositAvailable is the balance the waterfall could draw on.
	DepositAvailable money.Amount `json:"depositAvailable"`
	FromDeposit      money.Amount `json:"fromDeposit"`
	CarriedCharges   money.Amount `json:"carriedCharges"`
	CarriedRecovery  money.Amount `json:"carriedRecovery"`
	// ProjectIDs are the statements in waterfall order; the last draws on the deposit.
	ProjectIDs []string `json:"projectIds"`
	// Ledger is the waterfall when the partner had no statement in the quarter.
	Ledger        *DeductionResult `json:"ledger,omitempty"`
	PolicyVersion string           `json:"policyVersion"`
	Version       int64            `json:"version"`
	ComputedAt    time.Time        `json:"computedAt"`
	Rule          string           `json:"rule"`
	Reason        string           `json:"reason"`
}

// AccrualRecord is a stored monthly accrual (S§17) with the policy version.
type AccrualRecord struct {
	Accrual
	PartnerID     string `json:"partnerId"`
	PolicyVersion string `json:"policyVersion"`
}
