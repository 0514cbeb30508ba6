package app

import (
	"context"
	"encoding/json"
	"time"

	"productgov/shared/decision"
	"productgov/shared/directory"
	"productgov/shared/money"
	"productgov/shared/partner"
	"productgov/shared/period"
	"productgov/shared/problem"
	"productgov/shared/product"
	"productgov/shared/settlement"
	"productgov/shared/store"
)

// siAgreementKeepers record a cooperative product's SI agreement: 集团客户部,
// which runs cooperative products (P§5(一), P§15), and admins.
var siAgreementKeepers = []directory.Role{directory.RoleGroupCustomer, directory.RoleAdmin}

// SIAgreementInput is a cooperative product's SI agreement as sent.
type SIAgreementInput struct {
	Share     *money.Rate
	StartDate *period.Date
	EndDate   *period.Date
}

// SetSIAgreement records a cooperative product's settlement terms with its SI
// (P§20): the SI's share of the product's recorded revenue and the
// agreement's days.
func (s *Service) SetSIAgreement(ctx context.Context, caller directory.Person, productID string, in SIAgreementInput) (product.Product, error) {
	if err := require(caller, "recording an SI agreement", siAgreementKeepers...); err != nil {
		return product.Product{}, err
	}
	now := s.Now()
	return s.Products.UpdateProduct(ctx, s.meta(ctx, caller), productID, func(p *product.Product) (product.Change, error) {
		if err := p.SetSIAgreement(in.Share, in.StartDate, in.EndDate, caller.Sub, now); err != nil {
			return product.Change{}, err
		}
		return product.Change{Action: "product.si_agreement"}, nil
	})
}

// siStages are the stages whose cooperative products earn revenue an SI
// shares: (trial) commercial use, a stopped trial, and the exit until delisted.
var siStages = []product.Stage{product.StageTrialCommercial, product.StageTrialSuspended, product.StageCommercial, product.StageExiting}

// SIRunResult is what a month's SI settlement did (P§20): the run record's
// summary, and each page's tally.
type SIRunResult struct {
	Month      period.Month `json:"month"`
	Statements int          `json:"statements"`
	Written    int          `json:"written"`
	Held       int          `json:"held"`
	// Pending lists the first products whose statement waits for data;
	// PendingCount counts them all.
	Pending      []PendingProduct `json:"pending"`
	PendingCount int              `json:"pendingCount"`
	// Final counts statements already approved, which a run leaves alone.
	Final         int    `json:"final"`
	PolicyVersion string `json:"policyVersion"`
}

// add counts a page's tally into the run's.
func (r *SIRunResult) add(page SIRunResult) {
	r.Statements += page.Statements
	r.Written += page.Written
	r.Held += page.Held
	r.Final += page.Final
	r.PendingCount += page.PendingCount
	for _, p := range page.Pending {
		if len(r.Pending) < summaryListHead {
			r.Pending = append(r.Pending, p)
		}
	}
}

// PendingProduct is a product whose statement waits for data.
type PendingProduct struct {
	ProductID string   `json:"productId"`
	Missing   []string `json:"missing"`
}

// siRunners start a month's SI settlement: finance (P§5(三): 审核相关结算资料)
// and admins.
var siRunners = []directory.Role{directory.RoleFinance, directory.RoleAdmin}

// StartSISettlement settles a past month with the SIs of cooperative
// products (P§20) as a job of the settlement state machine: its Distributed
// Map pages each stage shard of the products in a child execution, so a
// national portfolio is never one API call's work. Follow the run at
// SISettlementRun.
func (s *Service) StartSISettlement(ctx context.Context, caller directory.Person, month string) (string, error) {
	if err := require(caller, "running the SI settlement", siRunners...); err != nil {
		return "", err
	}
	m, err := period.ParseMonth(month)
	if err != nil {
		return "", problem.InvalidField("month", err.Error())
	}
	if !m.Before(period.MonthOf(s.Now())) {
		return "", problem.InvalidField("month", "must be a past month: its revenue is not complete")
	}
	return s.startSettlementJob(ctx, JobSI, m.String())
}

// SISettlementRun reads a month's SI settlement run record.
func (s *Service) SISettlementRun(ctx context.Context, m period.Month) (store.Run, error) {
	return s.AssessStore.GetRun(ctx, runKindSI, m.String())
}

// SettleSIPage settles one page of a stage shard's products with their SIs
// (P§20): each cooperative product with an SI agreement in force that month
// gets its statement, recorded revenue × the SI's share, with the month's
// assessment result; an exit-phase product's statement is held until its
// exit decision. Keyed by month and product: a re-run rewrites drafts and
// held statements only when they changed and leaves approved ones. The
// page's tally is kept under the run, keyed by its cursor, so a retried page
// replaces it.
func (s *Service) SettleSIPage(ctx context.Context, m period.Month, version string, seg AssessmentSegment, cursor string, run int) (PageResult, error) {
	products, next, err := s.AssessStore.ProductsInShard(ctx, seg.Stage, "", seg.Shard, cursor, AssessPageSize)
	if err != nil {
		return PageResult{}, err
	}
	tally := SIRunResult{Month: m, Pending: []PendingProduct{}, PolicyVersion: version}
	if err := s.settleSIPage(ctx, s.meta(ctx, system), m, version, products, &tally); err != nil {
		return PageResult{}, err
	}
	doc, err := json.Marshal(tally)
	if err != nil {
		return PageResult{}, err
	}
	key := seg.tallyPrefix() + cursor
	if err := s.AssessStore.PutJobPage(ctx, runKindSI, m.String(), store.PageTally{Run: run, Shard: seg.Shard, Key: key, Doc: doc}); err != nil {
		return PageResult{}, err
	}
	return PageResult{Cursor: next, Done: next == "", Assessed: len(products)}, nil
}

// finishSISettlement records a month's SI settlement run as done, its
// summary added up from the pages' tallies one at a time.
func (s *Service) finishSISettlement(ctx context.Context, p string) (store.Run, error) {
	run, err := s.AssessStore.GetRun(ctx, runKindSI, p)
	if err != nil {
		return run, err
	}
	m, err := period.ParseMonth(p)
	if err != nil {
		return run, err
	}
	sum := SIRunResult{Month: m, Pending: []PendingProduct{}, PolicyVersion: run.PolicyVersion}
	err = s.AssessStore.EachJobPage(ctx, runKindSI, p, run.Runs, func(doc []byte) error {
		var page SIRunResult
		if err := json.Unmarshal(doc, &page); err != nil {
			return err
		}
		sum.add(page)
		return nil
	})
	if err != nil {
		return run, err
	}
	now := s.Now().UTC()
	run.Status, run.FinishedAt, run.Error, run.Cause, run.Failures = "succeeded", &now, "", "", nil
	run.Summary, _ = json.Marshal(sum)
	return run, s.AssessStore.PutRun(ctx, s.meta(ctx, system), run)
}

func (s *Service) settleSIPage(ctx context.Context, meta auditMeta, m period.Month, version string, page []product.Product, res *SIRunResult) error {
	var due []product.Product
	var keys []product.FigureKey
	var ids []string
	for _, p := range page {
		if p.Mode == product.ModeCooperative && p.SIAgreement != nil && p.SIAgreement.Covers(m) {
			due = append(due, p)
			keys = append(keys, product.FigureKey{ProductID: p.ID, Month: m})
			ids = append(ids, p.ID)
		}
	}
	if len(due) == 0 {
		return nil
	}
	revenue, err := s.AssessStore.BatchFigures(ctx, product.KindRevenue, keys)
	if err != nil {
		return err
	}
	assessed, err := s.AssessStore.AssessmentDocs(ctx, m, ids)
	if err != nil {
		return err
	}
	now := s.Now().UTC()
	for _, p := range due {
		v, ok := revenue[product.FigureKey{ProductID: p.ID, Month: m}]
		if !ok {
			res.Pending = append(res.Pending, PendingProduct{ProductID: p.ID, Missing: []string{"revenue " + m.String()}})
			res.PendingCount++
			continue
		}
		in := settlement.SIInput{ProductID: p.ID, ProductName: p.Name, PartnerID: p.PartnerID, Month: m,
			Revenue: money.Amount(v), Share: p.SIAgreement.Share, ExitPhase: p.Phase == product.PhaseExit}
		if doc, ok := assessed[p.ID]; ok {
			var r AssessmentRecord
			if err := json.Unmarshal(doc, &r); err != nil {
				return err
			}
			in.Assessment = &settlement.SIAssessment{Result: string(r.Result.Result), PhaseAfter: string(r.PhaseAfter), Rule: r.Rule, Reason: r.Reason}
			in.ExitPhase = in.ExitPhase || r.PhaseAfter == "exit"
		}
		if in.ExitPhase {
			if in.ExitDecided, err = s.exitDecided(ctx, p); err != nil {
				return err
			}
		}
		st, err := settlement.SettleSI(in)
		if err != nil {
			return fromPartnerRule(err, "SI statement of "+p.ID)
		}
		st.PolicyVersion, st.ComputedAt = version, now
		res.Statements++
		if st.Status == settlement.SIStatusHeld {
			res.Held++
		}
		old, err := s.PartnerStore.GetSIStatement(ctx, m, p.ID)
		var before *settlement.SIStatement
		switch {
		case err == nil:
			if old.Status == settlement.SIStatusApproved {
				res.Final++
				continue
			}
			if sameSI(old, st) {
				continue
			}
			before = &old
		case problem.CodeOf(err) != problem.CodeNotFound:
			return err
		}
		if _, err := s.PartnerStore.PutSIStatement(ctx, meta, before, st); err != nil {
			return err
		}
		res.Written++
	}
	return nil
}

// sameSI compares two SI statements' computed content.
func sameSI(a, b settlement.SIStatement) bool {
	strip := func(x settlement.SIStatement) string {
		x.Version, x.ComputedAt, x.Acts = 0, time.Time{}, nil
		return mustJSONString(x)
	}
	return strip(a) == strip(b)
}

func mustJSONString(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// exitDecided tells whether the exit decision of a product in the exit phase
// was made: an approved exit is recorded on the product, or its latest exit
// submission ended otherwise (rejected, expired or closed).
func (s *Service) exitDecided(ctx context.Context, p product.Product) (bool, error) {
	if p.Exit != nil {
		return true, nil
	}
	subs, _, err := s.Submissions.ListSubmissions(ctx, store.SubmissionFilter{ProductID: p.ID, Type: decision.TypeExit}, "", 1)
	if err != nil || len(subs) == 0 {
		return false, err
	}
	switch subs[0].Status {
	case decision.StatusApproved, decision.StatusRejected, decision.StatusExpired, decision.StatusClosed:
		return true, nil
	}
	return false, nil
}

// SIStatementsPage reads one page of a month's SI statements, in product order.
func (s *Service) SIStatementsPage(ctx context.Context, m period.Month, cursor string, limit int32) ([]settlement.SIStatement, string, error) {
	return s.PartnerStore.MonthSIStatementsPage(ctx, m, cursor, limit)
}

// ApproveSIStatement is finance's approval of an SI statement (P§20, P§5(三));
// a held statement waits for the exit decision. A person related to the SI
// may not approve (P§24).
func (s *Service) ApproveSIStatement(ctx context.Context, caller directory.Person, m period.Month, productID, comment string) (settlement.SIStatement, error) {
	if err := require(caller, "approving an SI statement", directory.RoleFinance); err != nil {
		return settlement.SIStatement{}, err
	}
	st, err := s.PartnerStore.GetSIStatement(ctx, m, productID)
	if err != nil {
		return st, err
	}
	if err := s.notRelated(ctx, caller.Sub, st.PartnerID, "the SI statement's approval"); err != nil {
		return st, err
	}
	now := s.Now().UTC()
	return s.PartnerStore.UpdateSIStatement(ctx, s.meta(ctx, caller), m, productID, func(x *settlement.SIStatement) (string, error) {
		next, err := settlement.ApproveSI(x.Status)
		if err != nil {
			return "", fromPartnerRule(err, "SI statement approval")
		}
		x.Status = next
		x.Acts = append(x.Acts, partner.ApprovalAct{Step: "approve", Role: string(directory.RoleFinance), By: caller.Sub,
			Decision: "approve", Comment: comment, At: now})
		return "si_statement.approve", nil
	})
}
