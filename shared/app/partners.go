package app

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"productgov/shared/audit"
	"productgov/shared/directory"
	"productgov/shared/id"
	"productgov/shared/money"
	"productgov/shared/partner"
	"productgov/shared/period"
	"productgov/shared/problem"
	"productgov/shared/settlement"
	"productgov/shared/store"
)

// PartnerStore is the partner, support-project and settlement part of the
// store (SPEC 4).
type PartnerStore interface {
	CreatePartner(ctx context.Context, m audit.Meta, p partner.Partner) error
	GetPartner(ctx context.Context, id string) (partner.Partner, error)
	UpdatePartner(ctx context.Context, m audit.Meta, id string, fn func(*partner.Partner) (store.PartnerChange, error)) (partner.Partner, error)
	PartnersNamed(ctx context.Context, name string) ([]partner.Partner, error)
	PartnersOfKind(ctx context.Context, kind string) ([]partner.Partner, error)
	PartnersPage(ctx context.Context, kind, cursor string, limit int32) ([]partner.Partner, string, error)
	ActivePartnerCount(ctx context.Context) (int, error)
	Ledger(ctx context.Context, partnerID string) ([]partner.LedgerRecord, error)
	AddPenalty(ctx context.Context, m audit.Meta, r partner.PenaltyRecord) error
	Penalties(ctx context.Context, partnerID, prefix string) ([]partner.PenaltyRecord, error)
	AddStaffChange(ctx context.Context, m audit.Meta, r partner.StaffChangeRecord) error
	StaffChanges(ctx context.Context, partnerID, prefix string) ([]partner.StaffChangeRecord, error)
	Round(ctx context.Context, partnerID string, q period.Quarter) (settlement.RoundSummary, bool, error)
	RoundBefore(ctx context.Context, partnerID string, q period.Quarter) (settlement.RoundSummary, bool, error)

	CreateProject(ctx context.Context, m audit.Meta, p settlement.Project) error
	GetProject(ctx context.Context, id string) (settlement.Project, error)
	UpdateProject(ctx context.Context, m audit.Meta, id string, fn func(*settlement.Project) (string, error)) (settlement.Project, error)
	ProjectsOfPartner(ctx context.Context, partnerID string) ([]settlement.Project, error)
	AddScoreForm(ctx context.Context, m audit.Meta, r partner.ScoreFormRecord) error
	ScoreForms(ctx context.Context, projectID string, year int) ([]partner.ScoreFormRecord, error)
	PutQuarterEntry(ctx context.Context, m audit.Meta, e settlement.QuarterEntry) (settlement.QuarterEntry, error)
	QuarterEntries(ctx context.Context, ks []store.QuarterEntryKey) (map[store.QuarterEntryKey]settlement.QuarterEntry, error)

	PutStatement(ctx context.Context, m audit.Meta, before *settlement.StatementRecord, after settlement.StatementRecord) (settlement.StatementRecord, error)
	GetStatement(ctx context.Context, q period.Quarter, projectID string) (settlement.StatementRecord, error)
	UpdateStatement(ctx context.Context, m audit.Meta, q period.Quarter, projectID string, fn func(*settlement.StatementRecord) (string, error)) (settlement.StatementRecord, error)
	Statements(ctx context.Context, q period.Quarter) ([]settlement.StatementRecord, error)
	StatementsPage(ctx context.Context, q period.Quarter, cursor string, limit int32) ([]settlement.StatementRecord, string, error)
	MonthAccrualsPage(ctx context.Context, month period.Month, cursor string, limit int32) ([]settlement.AccrualRecord, string, error)
	MonthSIStatementsPage(ctx context.Context, month period.Month, cursor string, limit int32) ([]settlement.SIStatement, string, error)
	PartnerStatements(ctx context.Context, partnerID, prefix string) ([]settlement.StatementRecord, error)
	StatementsByKey(ctx context.Context, ks []store.StatementKey) (map[store.StatementKey]settlement.StatementRecord, error)
	PutAccruals(ctx context.Context, m audit.Meta, month period.Month, recs []settlement.AccrualRecord) error
	Accruals(ctx context.Context, ks []store.AccrualKey) (map[store.AccrualKey]settlement.AccrualRecord, error)
	MonthAccruals(ctx context.Context, month period.Month) ([]settlement.AccrualRecord, error)

	PutSIStatement(ctx context.Context, m audit.Meta, before *settlement.SIStatement, after settlement.SIStatement) (settlement.SIStatement, error)
	GetSIStatement(ctx context.Context, month period.Month, productID string) (settlement.SIStatement, error)
	UpdateSIStatement(ctx context.Context, m audit.Meta, month period.Month, productID string, fn func(*settlement.SIStatement) (string, error)) (settlement.SIStatement, error)
}

// fromPartnerRule turns a partner or settlement rule's error into the
// system's vocabulary: field errors are invalid input, refusals conflicts,
// except a declared relation (P§24), which forbids the person.
func fromPartnerRule(err error, what string) error {
	if err == nil {
		return nil
	}
	var fe partner.FieldErrors
	if errors.As(err, &fe) {
		return problem.Invalid("invalid "+what, map[string]string(fe))
	}
	var rf partner.Refusal
	if errors.As(err, &rf) {
		if rf.Rule == "P§24" {
			return problem.Forbidden("%s refused: %s (%s)", what, rf.Reason, rf.Rule)
		}
		return problem.Conflict("%s refused: %s (%s)", what, rf.Reason, rf.Rule)
	}
	return err
}

// Roles of SPEC 6 that act on partners.
var (
	partnerManagers = []directory.Role{directory.RoleInnovation, directory.RoleAdmin} // S§3: 产品创新部 manages partners
	depositKeepers  = []directory.Role{directory.RoleFinance, directory.RoleAdmin}    // S§3, S§20: 财务部 keeps the deposit
)

// PartnerApplication is a partner's application: its kind, name and, for a
// support partner, the intake facts (SPEC 4.1).
type PartnerApplication struct {
	Kind  string
	Name  string
	Facts *partner.IntakeFacts
}

// CreatePartner records a partner. A support partner is screened against every
// intake standard (S§8) and the re-entry ban (S§21), each failure named with
// its article; an si partner (P§2) waits for its qualification review
// (P§15(三)). Product innovation and admins apply partners.
func (s *Service) CreatePartner(ctx context.Context, caller directory.Person, a PartnerApplication) (partner.Partner, error) {
	if err := require(caller, "recording a partner", partnerManagers...); err != nil {
		return partner.Partner{}, err
	}
	pol, err := s.Policy(ctx)
	if err != nil {
		return partner.Partner{}, err
	}
	now := s.Now()
	p := partner.Partner{ID: id.New("ptn"), Kind: a.Kind, Name: strings.TrimSpace(a.Name), AnnualScores: []partner.AnnualAssessment{},
		PolicyVersion: pol.Version, CreatedBy: caller.Sub, CreatedAt: now.UTC(), UpdatedAt: now.UTC()}
	switch a.Kind {
	case partner.KindSI:
		// P§15(三): a new SI partner's qualification is reviewed before any
		// cooperative product with it is introduced.
		p.Status = partner.StatusPendingReview
	case partner.KindSupport:
		if a.Facts == nil {
			return partner.Partner{}, problem.InvalidField("facts", "are required for a support partner")
		}
		last, err := s.lastExit(ctx, p.Name)
		if err != nil {
			return partner.Partner{}, err
		}
		sc, err := partner.Screen(*a.Facts, last, period.DateOf(now), pol.Partner.Intake)
		if err != nil {
			return partner.Partner{}, fromPartnerRule(err, "intake facts")
		}
		facts := *a.Facts
		p.Facts, p.Screening = &facts, &sc
		p.Status = partner.StatusIneligible
		if sc.Eligible {
			p.Status = partner.StatusApplied
		}
	default:
		return partner.Partner{}, problem.InvalidField("kind", "must be si or support")
	}
	if err := s.PartnerStore.CreatePartner(ctx, s.meta(ctx, caller), p); err != nil {
		return partner.Partner{}, err
	}
	p.Version = 1
	return p, nil
}

// lastExit is the latest exit of an earlier partner with the same name: the
// applicant's history the S§21 re-entry ban looks at.
func (s *Service) lastExit(ctx context.Context, name string) (*partner.Exit, error) {
	earlier, err := s.PartnerStore.PartnersNamed(ctx, name)
	if err != nil {
		return nil, err
	}
	var last *partner.Exit
	for _, e := range earlier {
		if e.Exit != nil && (last == nil || e.Exit.Date.After(last.Date)) {
			x := *e.Exit
			last = &x
		}
	}
	return last, nil
}

// PartnerView is a partner with its deposit ledger and what it still owes.
type PartnerView struct {
	partner.Partner
	Ledger []partner.LedgerRecord `json:"ledger"`
	// Owed is what settlements could not recover yet (carried forward).
	Owed money.Amount `json:"owed"`
}

// partnerReaders are who read partner, project and settlement records: the
// departments that work them, the executives who approve them and the
// auditor (SPEC 6: any signed-in person reads products and submissions only).
var partnerReaders = []directory.Role{directory.RoleAdmin, directory.RoleMarketing, directory.RoleFinance,
	directory.RoleInnovation, directory.RoleAuditor, directory.RoleDeputyGM, directory.RoleVP, directory.RoleGM}

// CheckPartnerReader refuses a caller who may not read partner, project and
// settlement records.
func CheckPartnerReader(caller directory.Person) error {
	return require(caller, "reading partner, project and settlement records", partnerReaders...)
}

// GetPartner reads a partner with its ledger (callers: CheckPartnerReader).
func (s *Service) GetPartner(ctx context.Context, pid string) (PartnerView, error) {
	p, err := s.PartnerStore.GetPartner(ctx, pid)
	if err != nil {
		return PartnerView{}, err
	}
	ledger, err := s.PartnerStore.Ledger(ctx, pid)
	if err != nil {
		return PartnerView{}, err
	}
	if ledger == nil {
		ledger = []partner.LedgerRecord{}
	}
	owed, err := s.owed(ctx, pid)
	if err != nil {
		return PartnerView{}, err
	}
	return PartnerView{Partner: p, Ledger: ledger, Owed: owed}, nil
}

// owed is what the partner's latest settlement carried forward.
func (s *Service) owed(ctx context.Context, pid string) (money.Amount, error) {
	far := period.Quarter{Year: 9999, Q: 4}
	r, ok, err := s.PartnerStore.RoundBefore(ctx, pid, far)
	if err != nil || !ok {
		return 0, err
	}
	return r.CarriedCharges + r.CarriedRecovery, nil
}

func (s *Service) supportPartner(ctx context.Context, pid string) (partner.Partner, error) {
	p, err := s.PartnerStore.GetPartner(ctx, pid)
	if err != nil {
		return p, err
	}
	if p.Kind != partner.KindSupport {
		return p, problem.Conflict("partner %s is of kind %s: deposits, agreements, penalties and settlements concern support partners (seed 003)", pid, p.Kind)
	}
	return p, nil
}

// DepositPosting is a receipt or a deduction on a partner's deposit.
type DepositPosting struct {
	Kind      string // partner.PostingReceipt or partner.PostingDeduction
	Amount    money.Amount
	Reference string
	Reason    string
	Date      *period.Date
}

// PostDeposit records a receipt of the deposit (S§8.6(1), S§20) or a
// deduction from it (S§20: a breach charge no settlement could cover); finance
// keeps the ledger. The balance never goes negative: a deduction larger than
// the balance is refused, and concurrent postings are serialised by the
// partner's version, each judged against the balance the one before left. A
// posting's reference keys it: the same reference twice is a conflict.
func (s *Service) PostDeposit(ctx context.Context, caller directory.Person, pid string, d DepositPosting) (partner.LedgerRecord, error) {
	if err := require(caller, "posting to the deposit", depositKeepers...); err != nil {
		return partner.LedgerRecord{}, err
	}
	if d.Kind == partner.PostingDeduction && strings.TrimSpace(d.Reference) == "" {
		return partner.LedgerRecord{}, problem.InvalidField("reference", "is required for a deduction: it keys the posting, so it is taken once")
	}
	if d.Kind != partner.PostingReceipt && d.Kind != partner.PostingDeduction {
		return partner.LedgerRecord{}, problem.InvalidField("kind", "must be receipt or deduction (a refund goes through its approval)")
	}
	pol, err := s.Policy(ctx)
	if err != nil {
		return partner.LedgerRecord{}, err
	}
	if _, err := s.supportPartner(ctx, pid); err != nil {
		return partner.LedgerRecord{}, err
	}
	now := s.Now()
	day := period.DateOf(now)
	if d.Date != nil {
		day = *d.Date
	}
	ref := strings.TrimSpace(d.Reference)
	if ref == "" {
		ref = id.New("rcpt")
	}
	var rec partner.LedgerRecord
	_, err = s.PartnerStore.UpdatePartner(ctx, s.meta(ctx, caller), pid, func(p *partner.Partner) (store.PartnerChange, error) {
		if d.Kind == partner.PostingReceipt && p.Status != partner.StatusApplied && p.Status != partner.StatusActive {
			return store.PartnerChange{}, problem.Conflict("partner %s is %s: a deposit is received from an applied or active partner (S§20)", pid, p.Status)
		}
		if d.Kind == partner.PostingReceipt {
			// S§8.6(1), S§20: one sum, before the agreement is signed.
			if err := partner.CheckDepositReceipt(*p, d.Amount, pol.Partner.Deposit); err != nil {
				return store.PartnerChange{}, fromPartnerRule(err, "deposit receipt")
			}
			paid := day
			p.DepositPaidOn = &paid
		}
		e, err := partner.ApplyPosting(partner.DepositAccount{Balance: p.DepositBalance},
			partner.Posting{Kind: d.Kind, Amount: d.Amount, Date: day, Reference: ref}, pol.Partner.Deposit)
		if err != nil {
			return store.PartnerChange{}, fromPartnerRule(err, "deposit "+d.Kind)
		}
		if d.Reason != "" {
			e.Reason += ": " + d.Reason
		}
		p.DepositBalance = e.BalanceAfter
		rec = partner.LedgerRecord{PartnerID: pid, Key: d.Kind + "/" + ref, Entry: e, By: caller.Sub, At: now.UTC()}
		return store.PartnerChange{Action: "partner.deposit." + d.Kind, Posting: &rec}, nil
	})
	return rec, err
}

// ActivateAgreement makes a partner's agreement active (S§7, S§8.6, S§20): the
// screening passed, the whole deposit was received, and at most five support
// partners are active (above three with a warning). The limit holds under
// concurrent activations: the active count is moved in the same transaction,
// on condition.
func (s *Service) ActivateAgreement(ctx context.Context, caller directory.Person, pid string, start *period.Date) (partner.Partner, error) {
	if err := require(caller, "activating an agreement", partnerManagers...); err != nil {
		return partner.Partner{}, err
	}
	if start == nil {
		return partner.Partner{}, problem.InvalidField("startDate", "is required")
	}
	pol, err := s.Policy(ctx)
	if err != nil {
		return partner.Partner{}, err
	}
	if _, err := s.supportPartner(ctx, pid); err != nil {
		return partner.Partner{}, err
	}
	p, err := s.PartnerStore.UpdatePartner(ctx, s.meta(ctx, caller), pid, func(p *partner.Partner) (store.PartnerChange, error) {
		if p.Status != partner.StatusApplied {
			return store.PartnerChange{}, problem.Conflict("partner %s is %s: only an applied partner's agreement becomes active", pid, p.Status)
		}
		active, err := s.PartnerStore.ActivePartnerCount(ctx)
		if err != nil {
			return store.PartnerChange{}, err
		}
		var sc partner.Screening
		if p.Screening != nil {
			sc = *p.Screening
		}
		a, err := partner.Activate(partner.ActivationInput{Screening: sc, DepositBalance: p.DepositBalance,
			DepositPaidOn: p.DepositPaidOn, Calendar: pol.Calendar.Calendar(), ActivePartners: active, StartDate: *start}, pol.Partner)
		if err != nil {
			return store.PartnerChange{}, fromPartnerRule(err, "agreement")
		}
		if !a.Allowed {
			parts := make([]string, len(a.Refusals))
			for i, r := range a.Refusals {
				parts[i] = fmt.Sprintf("%s: %s (%s)", r.Criterion, r.Reason, r.Article)
			}
			return store.PartnerChange{}, problem.Conflict("the agreement cannot become active: %s", strings.Join(parts, "; "))
		}
		excl := partner.ExclusivityOf(*a.Agreement)
		p.Agreement, p.Exclusivity, p.ActivationWarnings = a.Agreement, &excl, a.Warnings
		p.Status, p.Counted = partner.StatusActive, true
		return store.PartnerChange{Action: "partner.agreement", CountDelta: 1, MaxActive: pol.Partner.Intake.MaxActivePartners}, nil
	})
	if errors.Is(err, store.ErrActiveLimit) {
		return partner.Partner{}, problem.Conflict("the agreement cannot become active: %d support partners are active already; at most %d (S§7)",
			pol.Partner.Intake.MaxActivePartners, pol.Partner.Intake.MaxActivePartners)
	}
	return p, err
}

// lockedQuarter refuses a charge for a quarter whose settlement of the partner
// was already confirmed: it could no longer be deducted there.
func (s *Service) lockedQuarter(ctx context.Context, pid string, q period.Quarter) error {
	sts, err := s.PartnerStore.PartnerStatements(ctx, pid, q.String()+"#")
	if err != nil {
		return err
	}
	for _, st := range sts {
		if st.Locked() {
			return problem.Conflict("the %s settlement of partner %s is already %s: record the charge in a later quarter", q, pid, st.Status)
		}
	}
	return nil
}

// AddPenalty records a penalty (S§19): the fine must lie in its category's
// range, bounds included; it is deducted in its quarter's settlement.
func (s *Service) AddPenalty(ctx context.Context, caller directory.Person, pid string, pen partner.Penalty) (partner.PenaltyRecord, error) {
	if err := require(caller, "recording a penalty", partnerManagers...); err != nil {
		return partner.PenaltyRecord{}, err
	}
	pol, err := s.Policy(ctx)
	if err != nil {
		return partner.PenaltyRecord{}, err
	}
	if _, err := s.supportPartner(ctx, pid); err != nil {
		return partner.PenaltyRecord{}, err
	}
	charge, err := partner.AssessPenalty(pen, pol.Partner.Penalties)
	if err != nil {
		return partner.PenaltyRecord{}, fromPartnerRule(err, "penalty")
	}
	if err := s.lockedQuarter(ctx, pid, pen.Quarter); err != nil {
		return partner.PenaltyRecord{}, err
	}
	rec := partner.PenaltyRecord{ID: id.New("pen"), PartnerID: pid, Penalty: pen, Charge: charge,
		PolicyVersion: pol.Version, By: caller.Sub, At: s.Now().UTC()}
	return rec, s.PartnerStore.AddPenalty(ctx, s.meta(ctx, caller), rec)
}

// AddStaffChange records a core-staff change (S§21): within two years of
// joining (not at the company's request) or without three months' notice it
// costs its charge, deducted in the quarter of the change, and points off the
// partner's annual score.
func (s *Service) AddStaffChange(ctx context.Context, caller directory.Person, pid string, c partner.StaffChange) (partner.StaffChangeRecord, error) {
	if err := require(caller, "recording a staff change", partnerManagers...); err != nil {
		return partner.StaffChangeRecord{}, err
	}
	pol, err := s.Policy(ctx)
	if err != nil {
		return partner.StaffChangeRecord{}, err
	}
	if _, err := s.supportPartner(ctx, pid); err != nil {
		return partner.StaffChangeRecord{}, err
	}
	charge, err := partner.AssessStaffChange(c, pol.Partner.Penalties)
	if err != nil {
		return partner.StaffChangeRecord{}, fromPartnerRule(err, "staff change")
	}
	q := c.ChangedOn.MonthOf().Quarter()
	if charge.Penalised {
		if err := s.lockedQuarter(ctx, pid, q); err != nil {
			return partner.StaffChangeRecord{}, err
		}
	}
	rec := partner.StaffChangeRecord{ID: id.New("stf"), PartnerID: pid, Change: c, Charge: charge, Quarter: q,
		PolicyVersion: pol.Version, By: caller.Sub, At: s.Now().UTC()}
	return rec, s.PartnerStore.AddStaffChange(ctx, s.meta(ctx, caller), rec)
}

// PartnerCharges lists a partner's penalties and staff changes.
func (s *Service) PartnerCharges(ctx context.Context, pid string) ([]partner.PenaltyRecord, []partner.StaffChangeRecord, error) {
	pens, err := s.PartnerStore.Penalties(ctx, pid, "")
	if err != nil {
		return nil, nil, err
	}
	staff, err := s.PartnerStore.StaffChanges(ctx, pid, "")
	if pens == nil {
		pens = []partner.PenaltyRecord{}
	}
	if staff == nil {
		staff = []partner.StaffChangeRecord{}
	}
	return pens, staff, err
}

// directoryEntry reads the caller's directory entry; a person not in the
// directory has no department and no declared relations.
func (s *Service) directoryEntry(ctx context.Context, sub string) (directory.User, bool, error) {
	u, err := s.Users.GetUser(ctx, sub)
	if problem.CodeOf(err) == problem.CodeNotFound {
		return directory.User{Sub: sub}, false, nil
	}
	return u, err == nil, err
}

// notRelated refuses a person who declared a relation with the partner (P§24,
// SPEC 6): they take no part in reviews, scores and approvals about it.
func (s *Service) notRelated(ctx context.Context, sub, pid, what string) error {
	u, _, err := s.directoryEntry(ctx, sub)
	if err != nil {
		return err
	}
	if u.RelatedTo(pid) {
		return problem.Forbidden("%s declared a relation with partner %s and takes no part in %s (P§24)", sub, pid, what)
	}
	return nil
}

func roleNames(p directory.Person) []string {
	out := make([]string, len(p.Roles))
	for i, r := range p.Roles {
		out[i] = string(r)
	}
	return out
}

// RequestRefund asks for the deposit balance back after the partnership ended
// (S§20): refundable three months after termination when nothing is owed;
// product innovation and finance review, the deputy GM approves.
func (s *Service) RequestRefund(ctx context.Context, caller directory.Person, pid, receipt, commitmentLetter string) (partner.Partner, error) {
	if err := require(caller, "requesting a deposit refund", directory.RoleInnovation, directory.RoleFinance, directory.RoleAdmin); err != nil {
		return partner.Partner{}, err
	}
	if receipt == "" {
		receipt = partner.ReceiptProvided
	}
	if err := partner.CheckRefundProof(receipt, commitmentLetter); err != nil {
		return partner.Partner{}, fromPartnerRule(err, "refund request")
	}
	pol, err := s.Policy(ctx)
	if err != nil {
		return partner.Partner{}, err
	}
	owed, err := s.owed(ctx, pid)
	if err != nil {
		return partner.Partner{}, err
	}
	now := s.Now()
	requested, err := s.PartnerStore.UpdatePartner(ctx, s.meta(ctx, caller), pid, func(p *partner.Partner) (store.PartnerChange, error) {
		if p.Refund != nil && p.Refund.Approval.Status != partner.ApprovalRejected {
			return store.PartnerChange{}, problem.Conflict("a refund of partner %s is already %s", pid, p.Refund.Approval.Status)
		}
		if _, err := refundEntry(*p, owed, now, pol.Partner.Deposit); err != nil {
			return store.PartnerChange{}, err
		}
		p.Refund = &partner.RefundRequest{Amount: p.DepositBalance, RequestedBy: caller.Sub, RequestedAt: now.UTC(),
			Receipt: receipt, CommitmentLetter: strings.TrimSpace(commitmentLetter),
			Approval: partner.NewApproval(partner.DepositRefundPlan(pol.Partner.Deposit))}
		return store.PartnerChange{Action: "partner.refund.request"}, nil
	})
	if err != nil {
		return requested, err
	}
	return requested, s.mailStage(ctx, store.ApprovalKindRefund, pid)
}

func refundEntry(p partner.Partner, owed money.Amount, now time.Time, r partner.DepositRules) (partner.LedgerEntry, error) {
	acct := partner.DepositAccount{Balance: p.DepositBalance, Owed: owed}
	if p.TerminatedOn != nil {
		acct.TerminatedOn = *p.TerminatedOn
	}
	if p.DepositBalance == 0 {
		return partner.LedgerEntry{}, problem.Conflict("partner %s has no deposit balance to refund", p.ID)
	}
	day := period.DateOf(now)
	e, err := partner.ApplyPosting(acct, partner.Posting{Kind: partner.PostingRefund, Amount: p.DepositBalance, Date: day, Reference: "refund"}, r)
	return e, fromPartnerRule(err, "deposit refund")
}

// DecideRefund records a decision on the refund by a person acting for an
// awaited role (S§20); the final approval posts the refund to the ledger.
func (s *Service) DecideRefund(ctx context.Context, caller directory.Person, pid, decision, comment string) (partner.Partner, error) {
	return s.decideRefund(ctx, caller, pid, decision, comment, false)
}

// decideRefund decides for a person acting through the API (viaLink false;
// executives may not) or through their emailed link; when a stage completes,
// the next stage's approvers get their links.
func (s *Service) decideRefund(ctx context.Context, caller directory.Person, pid, decision, comment string, viaLink bool) (partner.Partner, error) {
	if err := s.notRelated(ctx, caller.Sub, pid, "the refund approval"); err != nil {
		return partner.Partner{}, err
	}
	pol, err := s.Policy(ctx)
	if err != nil {
		return partner.Partner{}, err
	}
	owed, err := s.owed(ctx, pid)
	if err != nil {
		return partner.Partner{}, err
	}
	now := s.Now()
	stageBefore := -1
	decided, err := s.PartnerStore.UpdatePartner(ctx, s.meta(ctx, caller), pid, func(p *partner.Partner) (store.PartnerChange, error) {
		if p.Refund == nil {
			return store.PartnerChange{}, problem.Conflict("no refund of partner %s was requested", pid)
		}
		if p.Refund.RequestedBy == caller.Sub {
			return store.PartnerChange{}, problem.Forbidden("nobody approves their own proposal (SPEC 6): %s requested the refund of partner %s", caller.Sub, pid)
		}
		if !viaLink {
			if err := refuseExecutiveByAPI(caller, p.Refund.Approval); err != nil {
				return store.PartnerChange{}, err
			}
		}
		stageBefore = p.Refund.Approval.Stage
		next, err := p.Refund.Approval.Decide(roleNames(caller), caller.Sub, decision, comment, now)
		if err != nil {
			return store.PartnerChange{}, fromPartnerRule(err, "refund decision")
		}
		p.Refund.Approval = next
		ch := store.PartnerChange{Action: "partner.refund." + decision}
		if next.Status == partner.ApprovalApproved {
			e, err := refundEntry(*p, owed, now, pol.Partner.Deposit)
			if err != nil {
				return store.PartnerChange{}, err
			}
			p.DepositBalance = e.BalanceAfter
			p.Refund.Entry = &e
			ch.Posting = &partner.LedgerRecord{PartnerID: pid, Key: "refund", Entry: e, By: caller.Sub, At: now.UTC()}
		}
		return ch, nil
	})
	if err != nil {
		return decided, err
	}
	if r := decided.Refund; r != nil && r.Approval.Status == partner.ApprovalPending && r.Approval.Stage != stageBefore {
		return decided, s.mailStage(ctx, store.ApprovalKindRefund, pid)
	}
	return decided, nil
}

// qualificationReviewers record an si partner's qualification review: 集团客户部
// organises the product introduction (P§15), and admins.
var qualificationReviewers = []directory.Role{directory.RoleGroupCustomer, directory.RoleAdmin}

// ReviewQualification records an si partner's SI qualification review
// (P§15(三)); passed makes the partner active, failed unqualified. A person
// related to the partner may not review it (P§24).
func (s *Service) ReviewQualification(ctx context.Context, caller directory.Person, pid, result, comment string) (partner.Partner, error) {
	if err := require(caller, "reviewing an SI partner's qualification", qualificationReviewers...); err != nil {
		return partner.Partner{}, err
	}
	if err := s.notRelated(ctx, caller.Sub, pid, "the qualification review"); err != nil {
		return partner.Partner{}, err
	}
	now := s.Now()
	return s.PartnerStore.UpdatePartner(ctx, s.meta(ctx, caller), pid, func(p *partner.Partner) (store.PartnerChange, error) {
		next, q, err := partner.ReviewQualification(*p, result, comment, caller.Sub, now)
		if err != nil {
			return store.PartnerChange{}, fromPartnerRule(err, "qualification review")
		}
		p.Status, p.Qualification, p.UpdatedAt = next, &q, now.UTC()
		return store.PartnerChange{Action: "partner.qualification." + result}, nil
	})
}

// checkPartnerQualified refuses to introduce a cooperative product with an si
// partner whose qualification review has not passed (P§15(三)).
func (s *Service) checkPartnerQualified(ctx context.Context, pid, what string) error {
	if pid == "" {
		return nil
	}
	p, err := s.PartnerStore.GetPartner(ctx, pid)
	if problem.CodeOf(err) == problem.CodeNotFound {
		return problem.InvalidField("partnerId", "names no existing partner")
	}
	if err != nil {
		return err
	}
	return fromPartnerRule(partner.CheckQualified(p), what)
}
