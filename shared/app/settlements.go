package app

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"

	"productgov/shared/directory"
	"productgov/shared/id"
	"productgov/shared/money"
	"productgov/shared/partner"
	"productgov/shared/period"
	"productgov/shared/policy"
	"productgov/shared/problem"
	"productgov/shared/product"
	"productgov/shared/settlement"
	"productgov/shared/store"
)

// Settlement jobs: a quarter's settlement, the January annual clearing (the
// revenue mode's Q4, S§17), and the monthly accruals (S§17).
const (
	JobQuarter  = "quarter"
	JobClearing = "clearing"
	JobAccrual  = "accrual"
	// JobSI is a month's SI settlement of cooperative products (P§20).
	JobSI = "si"
)

// Run kinds of the settlement jobs' run records.
const (
	runKindSettlement = "settlement"
	runKindAccrual    = "accrual"
	runKindSI         = "si_settlement"
)

// SettlementPlan is what the settlement job's first step decides: the job,
// its period (a quarter, or a month for accruals), the policy version and the
// support partners the Map settles one by one.
type SettlementPlan struct {
	Job           string `json:"job"`
	Period        string `json:"period"`
	PolicyVersion string `json:"policyVersion"`
	// Partners are the work list; the Distributed Map's ItemReader reads them
	// from Work (a JSON array of partner ids), so the execution's payload does
	// not grow with the partners.
	Partners []string `json:"-"`
	// PartnerCount is len(Partners).
	PartnerCount int `json:"partners"`
	// Segments are the SI settlement's work list instead (JobSI): the stage
	// shards of the products it pages through; SegmentCount is their count.
	Segments     []AssessmentSegment `json:"-"`
	SegmentCount int                 `json:"segments"`
	Work         ObjectRef           `json:"work"`
	// Run numbers this run of the period.
	Run int `json:"run"`
}

// settlementPeriod resolves a job's period: given, or for a scheduled run the
// quarter (or, for accruals, the month) before at in Shanghai; the annual
// clearing of year Y is the settlement of Y-Q4 (S§17: in January, for the year before).
func settlementPeriod(job, given string, at time.Time) (string, string, error) {
	now := period.MonthOf(at.In(period.Shanghai))
	switch job {
	case JobQuarter:
		if given == "" {
			return runKindSettlement, now.Quarter().Add(-1).String(), nil
		}
		q, err := period.ParseQuarter(given)
		if err != nil {
			return "", "", problem.InvalidField("quarter", err.Error())
		}
		return runKindSettlement, q.String(), nil
	case JobClearing:
		year := now.Year - 1
		if given != "" {
			y, err := strconv.Atoi(given)
			if err != nil || y < 1900 || y > 9999 {
				return "", "", problem.InvalidField("year", "must be a year such as 2026")
			}
			year = y
		}
		return runKindSettlement, period.Quarter{Year: year, Q: 4}.String(), nil
	case JobAccrual:
		if given == "" {
			return runKindAccrual, now.Add(-1).String(), nil
		}
		m, err := period.ParseMonth(given)
		if err != nil {
			return "", "", problem.InvalidField("month", err.Error())
		}
		return runKindAccrual, m.String(), nil
	case JobSI:
		if given == "" {
			return runKindSI, now.Add(-1).String(), nil
		}
		m, err := period.ParseMonth(given)
		if err != nil {
			return "", "", problem.InvalidField("month", err.Error())
		}
		return runKindSI, m.String(), nil
	}
	return "", "", problem.InvalidField("job", "must be quarter, clearing, accrual or si")
}

func periodLastDay(kind, p string) period.Date {
	if kind == runKindAccrual || kind == runKindSI {
		m, _ := period.ParseMonth(p)
		return m.Last()
	}
	q, _ := period.ParseQuarter(p)
	return q.Months()[2].Last()
}

// PlanSettlement starts a settlement job's run: it resolves the period and
// the policy version (the one the period's first run used, else the one in
// force on its last day, SPEC 7), records the run and writes its work list
// to the work bucket: the support partners, or for the SI settlement the
// stage shards of the products.
func (s *Service) PlanSettlement(ctx context.Context, job, given string, at time.Time) (SettlementPlan, error) {
	kind, p, err := settlementPeriod(job, given, at)
	if err != nil {
		return SettlementPlan{}, err
	}
	var pol policy.Document
	run := store.Run{Kind: kind, Period: p, Status: "running", StartedAt: s.Now().UTC()}
	prev, err := s.AssessStore.GetRun(ctx, kind, p)
	switch {
	case err == nil:
		run.Runs = prev.Runs
		d, ok, err := s.policyByVersion(ctx, prev.PolicyVersion)
		if err != nil {
			return SettlementPlan{}, err
		}
		if ok {
			pol = d
		}
	case problem.CodeOf(err) != problem.CodeNotFound:
		return SettlementPlan{}, err
	}
	if pol.Version == "" {
		if pol, err = s.PolicyOn(ctx, periodLastDay(kind, p)); err != nil {
			return SettlementPlan{}, err
		}
	}
	run.PolicyVersion = pol.Version
	run.Runs++
	if err := s.AssessStore.PutRun(ctx, s.meta(ctx, system), run); err != nil {
		return SettlementPlan{}, err
	}
	plan := SettlementPlan{Job: job, Period: p, PolicyVersion: pol.Version, Partners: []string{}, Run: run.Runs}
	bucket, err := s.objects()
	if err != nil {
		return SettlementPlan{}, err
	}
	var work []byte
	if job == JobSI {
		// P§20: the cooperative products of the stages that earn revenue,
		// a stage shard to a child of the Map.
		for _, st := range siStages {
			for shard := range s.AssessStore.Shards() {
				plan.Segments = append(plan.Segments, AssessmentSegment{Stage: st, Shard: shard})
			}
		}
		plan.SegmentCount = len(plan.Segments)
		work, _ = json.Marshal(plan.Segments)
		plan.Work = ObjectRef{Bucket: bucket.Name(), Key: runObjectKey(kind, p, run.Runs, "segments.json")}
	} else {
		partners, err := s.PartnerStore.PartnersOfKind(ctx, partner.KindSupport)
		if err != nil {
			return SettlementPlan{}, err
		}
		for _, pt := range partners {
			plan.Partners = append(plan.Partners, pt.ID)
		}
		sort.Strings(plan.Partners)
		plan.PartnerCount = len(plan.Partners)
		work, _ = json.Marshal(plan.Partners)
		plan.Work = ObjectRef{Bucket: bucket.Name(), Key: runObjectKey(kind, p, run.Runs, "partners.json")}
	}
	if err := bucket.Put(ctx, plan.Work.Key, "application/json", work); err != nil {
		return SettlementPlan{}, err
	}
	return plan, nil
}

// PendingProject is a project whose settlement waits for data.
type PendingProject struct {
	ProjectID string   `json:"projectId"`
	Missing   []string `json:"missing"`
}

// RoundResult is what settling one partner's quarter reports to the job.
type RoundResult struct {
	PartnerID  string `json:"partnerId"`
	Statements int    `json:"statements"`
	Written    int    `json:"written"`
	// Pending lists the first MaxPendingListed projects whose figures are
	// missing, PendingCount counts them all: a partner result travels in a
	// batch of 25 through a Step Functions payload (256 KiB).
	Pending      []PendingProject `json:"pending"`
	PendingCount int              `json:"pendingCount"`
	// Locked is true when a statement of the partner's quarter was already
	// confirmed: the quarter is final and the run leaves it.
	Locked      bool         `json:"locked"`
	FromDeposit money.Amount `json:"fromDeposit"`
	// Failed is true when the partner's quarter could not be settled; Error
	// says why. The other partners of the run are settled all the same, and
	// the run ends failed, naming this partner (issue 9).
	Failed bool   `json:"failed,omitempty"`
	Error  string `json:"error,omitempty"`
}

// MaxPendingListed bounds the pending projects a partner's result lists.
const MaxPendingListed = 10

// partnerAttempts bounds how often one partner's settlement or accrual is
// tried within its task before it is reported failed.
const partnerAttempts = 3

// partnerFailure turns the error of one partner's settlement into what its
// result says: a rule's or a record's own message, or, for an internal fault,
// a note that it was logged (users never see internals). The error is logged.
func (s *Service) partnerFailure(job, p, partnerID string, err error) string {
	if s.Log != nil {
		s.Log.Error("settlement job: partner failed", "job", job, "period", p, "partner", partnerID, "err", err)
	}
	switch problem.CodeOf(err) {
	case problem.CodeInvalid, problem.CodeNotFound, problem.CodeConflict, problem.CodeForbidden:
		if text := err.Error(); len(text) > MaxPartnerError {
			// Whole in the log; a batch's payload is bounded. Cut on a character.
			return strings.ToValidUTF8(text[:MaxPartnerError-3], "") + "..."
		}
		return err.Error()
	}
	return "internal error while settling the partner (logged); the other partners are settled and a re-run retries it"
}

// MaxPartnerError bounds the bytes of a partner result's error text.
const MaxPartnerError = 512

// errRecompute asks for the round to be computed again: something it was
// computed from changed while it was written.
var errRecompute = errors.New("app: settlement inputs changed; recompute")

// SettlePartner settles one support partner's quarter (S§15–S§18, S-A3, S-A5):
// each project in scope gets its statement (revenue mode: revenue × rate with
// the workload floor; guarantee mode: Σ base × share; a revenue-mode Q4: the
// annual clearing), then the partner's fines and staff-change charges run
// through the waterfall over its statements in project order, then the
// deposit, and what is left is carried to the next quarter (S§20). The
// accruals of the quarter are reversed (S§17). The run is keyed by its
// quarter: a re-run writes nothing when nothing changed, and the deposit is
// drawn on once, by the posting keyed with the quarter. A partner whose
// projects lack data is left pending; one whose statements were confirmed is
// left as it is.
func (s *Service) SettlePartner(ctx context.Context, q period.Quarter, version, partnerID string) (RoundResult, error) {
	pol, ok, err := s.policyByVersion(ctx, version)
	if err != nil {
		return RoundResult{}, err
	}
	if !ok {
		return RoundResult{}, fmt.Errorf("app: policy version %s not found", version)
	}
	// One partner's failure never stops the others (issue 9): what still
	// fails after the retries is reported in the partner's result, and the
	// run's finish names it.
	var last error
	for attempt, faults := 0, 0; attempt < 8 && faults < partnerAttempts; attempt++ {
		res, err := s.settleRound(ctx, q, pol, partnerID)
		if err == nil {
			res.PendingCount, res.Pending = len(res.Pending), res.Pending[:min(len(res.Pending), MaxPendingListed)]
			return res, nil
		}
		last = err
		if errors.Is(err, errRecompute) || problem.CodeOf(err) == problem.CodeConflict {
			continue
		}
		faults++
		if problem.CodeOf(err) == problem.CodeInvalid || problem.CodeOf(err) == problem.CodeNotFound {
			break // the same input fails the same way
		}
	}
	return RoundResult{PartnerID: partnerID, Pending: []PendingProject{}, Failed: true,
		Error: s.partnerFailure(JobQuarter, q.String(), partnerID, last)}, nil
}

// roundInputs is everything a partner's quarter is computed from.
type roundInputs struct {
	partner   partner.Partner
	projects  []settlement.Project
	entries   map[store.QuarterEntryKey]settlement.QuarterEntry
	revenue   map[product.FigureKey]int64
	prior     map[store.StatementKey]settlement.StatementRecord
	accruals  map[store.AccrualKey]settlement.AccrualRecord
	existing  map[string]settlement.StatementRecord
	charges   []settlement.Deduction
	carried   settlement.RoundSummary
	round     settlement.RoundSummary
	hasRound  bool
	available money.Amount
}

// monthsIn lists the months of from..to that the project's contract covers.
func monthsIn(p settlement.Project, months []period.Month) []period.Month {
	var out []period.Month
	for _, m := range months {
		if !m.Last().Before(p.StartDate) && !m.First().After(p.EndDate) {
			out = append(out, m)
		}
	}
	return out
}

func yearMonths(y int) []period.Month {
	out := make([]period.Month, 12)
	for i := range out {
		out[i] = period.Month{Year: y, Month: time.Month(i + 1)}
	}
	return out
}

func (s *Service) loadRound(ctx context.Context, q period.Quarter, partnerID string) (roundInputs, error) {
	in := roundInputs{existing: map[string]settlement.StatementRecord{}}
	var err error
	if in.partner, err = s.PartnerStore.GetPartner(ctx, partnerID); err != nil {
		return in, err
	}
	all, err := s.PartnerStore.ProjectsOfPartner(ctx, partnerID)
	if err != nil {
		return in, err
	}
	qMonths := q.Months()
	for _, p := range all {
		if p.Status == settlement.ProjectApproved && len(monthsIn(p, qMonths[:])) > 0 {
			in.projects = append(in.projects, p)
		}
	}
	sort.Slice(in.projects, func(i, j int) bool { return in.projects[i].ID < in.projects[j].ID })
	var entryKeys []store.QuarterEntryKey
	var figKeys []product.FigureKey
	var priorKeys []store.StatementKey
	var accKeys []store.AccrualKey
	for _, p := range in.projects {
		entryKeys = append(entryKeys, store.QuarterEntryKey{ProjectID: p.ID, Quarter: q})
		months := monthsIn(p, qMonths[:])
		if clearing(p, q) {
			months = monthsIn(p, yearMonths(q.Year))
			for k := 1; k <= 3; k++ {
				priorKeys = append(priorKeys, store.StatementKey{Quarter: period.Quarter{Year: q.Year, Q: k}, ProjectID: p.ID})
			}
			priorKeys = append(priorKeys, store.StatementKey{Quarter: period.Quarter{Year: q.Year - 1, Q: 4}, ProjectID: p.ID})
		}
		if p.Mode == partner.ModeRevenue {
			for _, m := range months {
				figKeys = append(figKeys, product.FigureKey{ProductID: p.ProductID, Month: m})
			}
		}
		for _, m := range qMonths {
			accKeys = append(accKeys, store.AccrualKey{Month: m, ProjectID: p.ID})
		}
	}
	if in.entries, err = s.PartnerStore.QuarterEntries(ctx, entryKeys); err != nil {
		return in, err
	}
	if in.revenue, err = s.AssessStore.BatchFigures(ctx, product.KindRevenue, uniqueFigureKeys(figKeys)); err != nil {
		return in, err
	}
	if in.prior, err = s.PartnerStore.StatementsByKey(ctx, priorKeys); err != nil {
		return in, err
	}
	if in.accruals, err = s.PartnerStore.Accruals(ctx, accKeys); err != nil {
		return in, err
	}
	current, err := s.PartnerStore.PartnerStatements(ctx, partnerID, q.String()+"#")
	if err != nil {
		return in, err
	}
	for _, st := range current {
		in.existing[st.ProjectID] = st
	}
	pens, err := s.PartnerStore.Penalties(ctx, partnerID, q.String())
	if err != nil {
		return in, err
	}
	for _, p := range pens {
		if p.Charge.Total > 0 {
			in.charges = append(in.charges, settlement.Deduction{Kind: settlement.DeductionPenalty, Reference: p.ID,
				Amount: p.Charge.Total, Rule: p.Charge.Rule})
		}
	}
	staff, err := s.PartnerStore.StaffChanges(ctx, partnerID, q.String())
	if err != nil {
		return in, err
	}
	for _, c := range staff {
		if c.Charge.Penalised && c.Charge.Charge > 0 {
			in.charges = append(in.charges, settlement.Deduction{Kind: settlement.DeductionStaffChange, Reference: c.ID,
				Amount: c.Charge.Charge, Rule: c.Charge.Rule})
		}
	}
	if in.carried, _, err = s.PartnerStore.RoundBefore(ctx, partnerID, q); err != nil {
		return in, err
	}
	if in.round, in.hasRound, err = s.PartnerStore.Round(ctx, partnerID, q); err != nil {
		return in, err
	}
	in.available = in.partner.DepositBalance + in.round.FromDeposit
	return in, nil
}

// clearing tells whether a project's quarter is settled by the annual
// clearing: the revenue mode's Q4 (S§17).
func clearing(p settlement.Project, q period.Quarter) bool {
	return p.Mode == partner.ModeRevenue && q.Q == 4
}

// projectStatement computes one project's statement with the ledger input the
// waterfall hands it, or lists what is missing.
func projectStatement(in roundInputs, p settlement.Project, q period.Quarter, ledger settlement.DeductionInput, rules settlement.Rules) (settlement.Statement, []string, error) {
	var missing []string
	entry, hasEntry := in.entries[store.QuarterEntryKey{ProjectID: p.ID, Quarter: q}]
	if !hasEntry {
		missing = append(missing, "quarter input "+q.String())
	}
	revenueOf := func(months []period.Month) money.Amount {
		var sum money.Amount
		for _, m := range months {
			v, ok := in.revenue[product.FigureKey{ProductID: p.ProductID, Month: m}]
			if !ok {
				missing = append(missing, "revenue "+m.String()+" of product "+p.ProductID)
			}
			sum += money.Amount(v)
		}
		return sum
	}
	qMonths := q.Months()
	var rate money.Rate
	if p.ContributionRate != nil {
		rate = *p.ContributionRate
	}
	var workload settlement.Quantity
	if hasEntry && entry.Workload != nil {
		workload = *entry.Workload
	}
	switch {
	case clearing(p, q):
		annual := revenueOf(monthsIn(p, yearMonths(q.Year)))
		if len(missing) > 0 {
			return settlement.Statement{}, missing, nil
		}
		var settled money.Amount
		for k := 1; k <= 3; k++ {
			if st, ok := in.prior[store.StatementKey{Quarter: period.Quarter{Year: q.Year, Q: k}, ProjectID: p.ID}]; ok {
				settled += st.Fee
			}
		}
		var last *settlement.YearFigures
		if st, ok := in.prior[store.StatementKey{Quarter: period.Quarter{Year: q.Year - 1, Q: 4}, ProjectID: p.ID}]; ok && st.Clearing != nil {
			last = &settlement.YearFigures{Revenue: st.Clearing.AnnualRevenue, Fee: st.Clearing.AnnualFee}
		} else if p.LastYear != nil && p.LastYear.Year == q.Year-1 {
			last = &settlement.YearFigures{Revenue: p.LastYear.Revenue, Fee: p.LastYear.Fee}
		}
		st, err := settlement.SettleAnnualClearing(settlement.ClearingInput{ProjectID: p.ID, Year: q.Year, AnnualRevenue: annual,
			Rate: rate, LastYear: last, SettledQ1toQ3: settled, Q4Workload: workload, MinWorkload: p.MinWorkload, Ledger: ledger})
		return st, nil, err
	case p.Mode == partner.ModeRevenue:
		revenue := revenueOf(monthsIn(p, qMonths[:]))
		if len(missing) > 0 {
			return settlement.Statement{}, missing, nil
		}
		st, err := settlement.SettleQuarter(settlement.QuarterInput{ProjectID: p.ID, Quarter: q, BenefitType: p.BenefitType,
			Revenue: revenue, Rate: rate, Workload: workload, MinWorkload: p.MinWorkload, Ledger: ledger}, rules)
		return st, nil, err
	default:
		if len(missing) > 0 {
			return settlement.Statement{}, missing, nil
		}
		prices := map[string]money.Amount{}
		sheets := map[string]string{}
		for _, it := range p.Items {
			prices[it.Name], sheets[it.Name] = it.UnitPrice, it.Sheet
		}
		items := make([]settlement.GuaranteeItem, len(entry.Items))
		for i, it := range entry.Items {
			items[i] = settlement.GuaranteeItem{Name: it.Name, Workload: it.Workload, UnitPrice: prices[it.Name],
				Score: it.Score, Sheet: sheets[it.Name]}
		}
		st, err := settlement.SettleQuarter(settlement.QuarterInput{ProjectID: p.ID, Quarter: q, BenefitType: p.BenefitType,
			Items: items, SheetScores: entry.SheetScores, Ledger: ledger}, rules)
		return st, nil, err
	}
}

// sameStatement compares two statements' computed content, leaving out when,
// by whom and how far they were approved.
func sameStatement(a, b settlement.StatementRecord) bool {
	strip := func(r settlement.StatementRecord) string {
		r.Version, r.ComputedAt, r.Acts, r.Status = 0, time.Time{}, nil, ""
		b, _ := json.Marshal(r)
		return string(b)
	}
	return strip(a) == strip(b)
}

func sameRound(a, b settlement.RoundSummary) bool {
	strip := func(r settlement.RoundSummary) string {
		r.Version, r.ComputedAt = 0, time.Time{}
		b, _ := json.Marshal(r)
		return string(b)
	}
	return strip(a) == strip(b)
}

func (s *Service) settleRound(ctx context.Context, q period.Quarter, pol policy.Document, partnerID string) (RoundResult, error) {
	res := RoundResult{PartnerID: partnerID, Pending: []PendingProject{}}
	in, err := s.loadRound(ctx, q, partnerID)
	if err != nil {
		return res, err
	}
	if in.partner.Kind != partner.KindSupport {
		return res, nil
	}
	for _, st := range in.existing {
		if st.Locked() {
			res.Locked = true
			res.Statements = len(in.existing)
			res.FromDeposit = in.round.FromDeposit
			return res, nil
		}
	}
	// S§20: the fee pays first; the first statement takes the quarter's
	// charges and what the partner's previous quarter carried; each next
	// statement takes what the one before could not cover; only the last draws
	// on the deposit.
	now := s.Now().UTC()
	// A first pass finds each fee and what is missing; statements with a
	// negative fee (an overpaid year, S§17) then go first, so that every
	// positive fee of the quarter can recover it.
	negative := map[string]bool{}
	for _, p := range in.projects {
		st, missing, err := projectStatement(in, p, q, settlement.DeductionInput{}, pol.Settlement)
		if err != nil {
			return res, fmt.Errorf("app: settle %s %s: %w", p.ID, q, err)
		}
		if len(missing) > 0 {
			res.Pending = append(res.Pending, PendingProject{ProjectID: p.ID, Missing: missing})
		}
		negative[p.ID] = st.Fee < 0
	}
	if len(res.Pending) > 0 {
		return res, nil // SPEC 3's rule for missing data, applied here: nothing changes until every figure is in
	}
	sort.SliceStable(in.projects, func(i, j int) bool {
		return negative[in.projects[i].ID] && !negative[in.projects[j].ID]
	})
	var records []settlement.StatementRecord
	charges, recovery := in.carried.CarriedCharges, in.carried.CarriedRecovery
	for i, p := range in.projects {
		ledger := settlement.DeductionInput{CarriedCharges: charges, CarriedRecovery: recovery}
		if i == 0 {
			ledger.Deductions = in.charges
		}
		if i == len(in.projects)-1 {
			ledger.DepositBalance = in.available
		}
		st, missing, err := projectStatement(in, p, q, ledger, pol.Settlement)
		if err != nil {
			return res, fmt.Errorf("app: settle %s %s: %w", p.ID, q, err)
		}
		if len(missing) > 0 {
			return res, fmt.Errorf("app: settle %s %s: inputs went missing: %v", p.ID, q, missing)
		}
		charges, recovery = st.Ledger.CarriedCharges, st.Ledger.CarriedRecovery
		rec := settlement.StatementRecord{Statement: st, PartnerID: partnerID, PartnerName: in.partner.Name,
			ProductID: p.ProductID, ProductName: p.ProductName, Acts: []partner.ApprovalAct{}, PolicyVersion: pol.Version, ComputedAt: now}
		var accs []settlement.Accrual
		for _, m := range q.Months() {
			if a, ok := in.accruals[store.AccrualKey{Month: m, ProjectID: p.ID}]; ok {
				accs = append(accs, a.Accrual)
			}
		}
		if len(accs) > 0 {
			rev, err := settlement.ReverseAccruals(q, accs)
			if err != nil {
				return res, fmt.Errorf("app: reverse accruals %s %s: %w", p.ID, q, err)
			}
			rec.Reversal = &rev
		}
		records = append(records, rec)
	}
	sum := settlement.RoundSummary{PartnerID: partnerID, Quarter: q, Deductions: in.charges,
		CarriedInCharges: in.carried.CarriedCharges, CarriedInRecovery: in.carried.CarriedRecovery,
		DepositAvailable: in.available, ProjectIDs: []string{}, PolicyVersion: pol.Version, ComputedAt: now, Rule: "S§20"}
	if sum.Deductions == nil {
		sum.Deductions = []settlement.Deduction{}
	}
	for _, r := range records {
		sum.ProjectIDs = append(sum.ProjectIDs, r.ProjectID)
	}
	if len(records) > 0 {
		last := records[len(records)-1].Ledger
		sum.FromDeposit, sum.CarriedCharges, sum.CarriedRecovery = last.FromDeposit, last.CarriedCharges, last.CarriedRecovery
	} else {
		l, err := settlement.ApplyDeductions(0, settlement.DeductionInput{Deductions: in.charges, CarriedCharges: in.carried.CarriedCharges,
			CarriedRecovery: in.carried.CarriedRecovery, DepositBalance: in.available})
		if err != nil {
			return res, fmt.Errorf("app: deductions of %s %s: %w", partnerID, q, err)
		}
		sum.Ledger = &l
		sum.FromDeposit, sum.CarriedCharges, sum.CarriedRecovery = l.FromDeposit, l.CarriedCharges, l.CarriedRecovery
	}
	sum.Reason = fmt.Sprintf("%d statement(s); charges %s and carried %s / %s; %s from the deposit; %s / %s carried forward",
		len(records), money.Sum(deductionAmounts(in.charges)...), in.carried.CarriedCharges, in.carried.CarriedRecovery,
		sum.FromDeposit, sum.CarriedCharges, sum.CarriedRecovery)
	res.Statements, res.FromDeposit = len(records), sum.FromDeposit
	if len(records) == 0 && len(in.charges) == 0 && in.carried.CarriedCharges == 0 && in.carried.CarriedRecovery == 0 && !in.hasRound {
		return res, nil // nothing to settle for this partner
	}

	m := s.meta(ctx, system)
	for _, r := range records {
		old, had := in.existing[r.ProjectID]
		if had && old.Status == settlement.StatusDraft && sameStatement(old, r) {
			continue
		}
		var before *settlement.StatementRecord
		if had {
			before = &old
		}
		if _, err := s.PartnerStore.PutStatement(ctx, m, before, r); err != nil {
			return res, err
		}
		res.Written++
	}
	if in.hasRound && sameRound(in.round, sum) {
		return res, nil
	}
	oldDraw := in.round.FromDeposit
	_, err = s.PartnerStore.UpdatePartner(ctx, m, partnerID, func(p *partner.Partner) (store.PartnerChange, error) {
		available := p.DepositBalance + oldDraw
		if available != in.available {
			return store.PartnerChange{}, errRecompute // a posting landed since the round was read
		}
		ch := store.PartnerChange{Action: "partner.settlement." + q.String(), Round: &sum, RoundVersion: in.round.Version}
		if sum.FromDeposit != oldDraw {
			e := partner.LedgerEntry{Posting: partner.Posting{Kind: partner.PostingDeduction, Amount: sum.FromDeposit,
				Date: q.Months()[2].Last(), Reference: "settlement/" + q.String()}, BalanceBefore: available,
				BalanceAfter: available - sum.FromDeposit, Rule: "S§20"}
			if sum.FromDeposit > 0 {
				var err error
				e, err = partner.ApplyPosting(partner.DepositAccount{Balance: available}, e.Posting, pol.Partner.Deposit)
				if err != nil {
					return store.PartnerChange{}, fromPartnerRule(err, "settlement deduction")
				}
			} else {
				e.Reason = "the recomputed settlement draws nothing on the deposit"
			}
			e.Reason += fmt.Sprintf(" (the %s settlement; %s drawn before this computation)", q, oldDraw)
			p.DepositBalance = e.BalanceAfter
			ch.Posting = &partner.LedgerRecord{PartnerID: partnerID, Key: "settlement/" + q.String(), Entry: e, By: system.Sub, At: now}
			ch.ReplacePosting = true
		}
		return ch, nil
	})
	return res, err
}

// uniqueFigureKeys drops repeated keys (two projects may support one product):
// a batched read refuses duplicates.
func uniqueFigureKeys(ks []product.FigureKey) []product.FigureKey {
	seen := map[product.FigureKey]bool{}
	out := make([]product.FigureKey, 0, len(ks))
	for _, k := range ks {
		if !seen[k] {
			seen[k] = true
			out = append(out, k)
		}
	}
	return out
}

func deductionAmounts(ds []settlement.Deduction) []money.Amount {
	out := make([]money.Amount, len(ds))
	for i, d := range ds {
		out[i] = d.Amount
	}
	return out
}

// AccrualResult is what accruing one partner's month reports to the job.
type AccrualResult struct {
	PartnerID string `json:"partnerId"`
	Accrued   int    `json:"accrued"`
	Written   int    `json:"written"`
	// Pending and PendingCount: as in RoundResult.
	Pending      []PendingProject `json:"pending"`
	PendingCount int              `json:"pendingCount"`
	// Failed and Error report a partner whose accruals could not be booked;
	// the others are booked all the same.
	Failed bool   `json:"failed,omitempty"`
	Error  string `json:"error,omitempty"`
}

// AccruePartner books the month's accruals of a partner's projects (S§17:
// 每月对当月运营支撑费用进行财务预列): revenue mode the month's revenue × rate,
// guarantee mode a third of the quarter's planned base. Keyed by month and
// project: a re-run writes only what changed.
func (s *Service) AccruePartner(ctx context.Context, month period.Month, version, partnerID string) (AccrualResult, error) {
	// The accrual rules (S§17) have no figures of their own; the record
	// names the version the run planned with.
	if _, ok, err := s.policyByVersion(ctx, version); err != nil || !ok {
		if err == nil {
			err = fmt.Errorf("app: policy version %s not found", version)
		}
		return AccrualResult{PartnerID: partnerID, Pending: []PendingProject{}}, err
	}
	var last error
	for attempt := 0; attempt < partnerAttempts; attempt++ {
		res, err := s.accruePartner(ctx, month, version, partnerID)
		if err == nil {
			res.PendingCount, res.Pending = len(res.Pending), res.Pending[:min(len(res.Pending), MaxPendingListed)]
			return res, nil
		}
		last = err
		if c := problem.CodeOf(err); c == problem.CodeInvalid || c == problem.CodeNotFound {
			break
		}
	}
	return AccrualResult{PartnerID: partnerID, Pending: []PendingProject{}, Failed: true,
		Error: s.partnerFailure(JobAccrual, month.String(), partnerID, last)}, nil
}

func (s *Service) accruePartner(ctx context.Context, month period.Month, version, partnerID string) (AccrualResult, error) {
	res := AccrualResult{PartnerID: partnerID, Pending: []PendingProject{}}
	all, err := s.PartnerStore.ProjectsOfPartner(ctx, partnerID)
	if err != nil {
		return res, err
	}
	var projects []settlement.Project
	var figKeys []product.FigureKey
	var accKeys []store.AccrualKey
	for _, p := range all {
		if p.Status != settlement.ProjectApproved || len(monthsIn(p, []period.Month{month})) == 0 {
			continue
		}
		projects = append(projects, p)
		if p.Mode == partner.ModeRevenue {
			figKeys = append(figKeys, product.FigureKey{ProductID: p.ProductID, Month: month})
		}
		accKeys = append(accKeys, store.AccrualKey{Month: month, ProjectID: p.ID})
	}
	revenue, err := s.AssessStore.BatchFigures(ctx, product.KindRevenue, uniqueFigureKeys(figKeys))
	if err != nil {
		return res, err
	}
	existing, err := s.PartnerStore.Accruals(ctx, accKeys)
	if err != nil {
		return res, err
	}
	var changed []settlement.AccrualRecord
	for _, p := range projects {
		var a settlement.Accrual
		switch p.Mode {
		case partner.ModeRevenue:
			v, ok := revenue[product.FigureKey{ProductID: p.ProductID, Month: month}]
			if !ok {
				res.Pending = append(res.Pending, PendingProject{ProjectID: p.ID, Missing: []string{"revenue " + month.String() + " of product " + p.ProductID}})
				continue
			}
			var rate money.Rate
			if p.ContributionRate != nil {
				rate = *p.ContributionRate
			}
			a, err = settlement.RevenueAccrual(p.ID, month, money.Amount(v), rate)
		default:
			plan := make([]settlement.PlannedItem, len(p.Items))
			for i, it := range p.Items {
				plan[i] = settlement.PlannedItem{Name: it.Name, Workload: it.PlannedWorkload, UnitPrice: it.UnitPrice}
			}
			a, err = settlement.GuaranteeAccrual(p.ID, month, plan)
		}
		if err != nil {
			return res, fmt.Errorf("app: accrue %s %s: %w", p.ID, month, err)
		}
		res.Accrued++
		rec := settlement.AccrualRecord{Accrual: a, PartnerID: partnerID, PolicyVersion: version}
		if old, ok := existing[store.AccrualKey{Month: month, ProjectID: p.ID}]; ok && mustEqualJSON(old, rec) {
			continue
		}
		changed = append(changed, rec)
	}
	res.Written = len(changed)
	return res, s.PartnerStore.PutAccruals(ctx, s.meta(ctx, system), month, changed)
}

func mustEqualJSON(a, b any) bool {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return string(x) == string(y)
}

// FinishSettlement records a settlement job's run as ended with what the
// partners reported: succeeded, or failed naming every partner that failed
// (the others were settled all the same). results is the Map's: the
// ResultWriter's manifest in the work bucket (a Distributed Map), or the
// partners' results themselves. The partners' results go to the bucket; the
// run record keeps the counts, the failures and where the results are.
func (s *Service) FinishSettlement(ctx context.Context, job, p string, results json.RawMessage) (store.Run, error) {
	kind := runKindSettlement
	switch job {
	case JobAccrual:
		kind = runKindAccrual
	case JobSI:
		return s.finishSISettlement(ctx, p)
	}
	run, err := s.AssessStore.GetRun(ctx, kind, p)
	if err != nil {
		return run, err
	}
	if len(results) == 0 {
		results = json.RawMessage(`[]`)
	}
	if results, err = s.mapResults(ctx, results); err != nil {
		return run, err
	}
	now := s.Now().UTC()
	run.Status, run.FinishedAt, run.Error, run.Cause, run.Failures = "succeeded", &now, "", "", nil
	failures := partnerFailures(results)
	if len(failures) > 0 {
		// One partner's failure does not stop the others; the run says which
		// failed: the first summaryListHead in the record (an item holds 400
		// KB), every one in the results object.
		ids := make([]string, 0, min(len(failures), 20))
		for _, f := range failures[:min(len(failures), 20)] {
			ids = append(ids, f.PartnerID)
		}
		more := ""
		if len(failures) > len(ids) {
			more = fmt.Sprintf(" and %d more", len(failures)-len(ids))
		}
		run.Status, run.Error = store.RunFailed, "Settlement.PartnerFailed"
		run.Cause = fmt.Sprintf("%d partner(s) failed: %s%s", len(failures), strings.Join(ids, ", "), more)
		run.Failures = failures[:min(len(failures), summaryListHead)]
	}
	bucket, err := s.objects()
	if err != nil {
		return run, err
	}
	ref := ObjectRef{Bucket: bucket.Name(), Key: runObjectKey(kind, p, run.Runs, "results.json")}
	if err := bucket.Put(ctx, ref.Key, "application/json", results); err != nil {
		return run, err
	}
	var items []json.RawMessage
	_ = json.Unmarshal(results, &items)
	run.Summary, _ = json.Marshal(map[string]any{"partners": len(items), "failed": len(failures), "results": ref})
	return run, s.AssessStore.PutRun(ctx, s.meta(ctx, system), run)
}

// mapResults turns a Distributed Map's result ({"ResultWriterDetails":
// {"Bucket", "Key"}}: the manifest its ResultWriter wrote) into the
// partners' results, in the shape an inline Map gives them: each child
// execution's output is the array of its batch's results; a child that failed
// as a whole counts each partner of its batch as failed with its error.
// Anything else is returned as it is.
func (s *Service) mapResults(ctx context.Context, results json.RawMessage) (json.RawMessage, error) {
	var written struct {
		ResultWriterDetails *ObjectRef `json:"ResultWriterDetails"`
	}
	if json.Unmarshal(results, &written) != nil || written.ResultWriterDetails == nil {
		return results, nil
	}
	bucket, err := s.objects()
	if err != nil {
		return nil, err
	}
	var manifest struct {
		ResultFiles map[string][]struct {
			Key string `json:"Key"`
		} `json:"ResultFiles"`
	}
	raw, err := bucket.Get(ctx, written.ResultWriterDetails.Key, maxReportObject)
	if err != nil {
		return nil, err
	}
	if err := json.Unmarshal(raw, &manifest); err != nil {
		return nil, fmt.Errorf("app: map manifest %s: %w", written.ResultWriterDetails.Key, err)
	}
	out := []json.RawMessage{}
	for _, status := range []string{"SUCCEEDED", "FAILED", "PENDING"} {
		for _, f := range manifest.ResultFiles[status] {
			raw, err := bucket.Get(ctx, f.Key, maxReportObject)
			if err != nil {
				return nil, err
			}
			var entries []struct {
				Input  string `json:"Input"`
				Output string `json:"Output"`
				Error  string `json:"Error"`
				Cause  string `json:"Cause"`
			}
			if err := json.Unmarshal(raw, &entries); err != nil {
				return nil, fmt.Errorf("app: map results %s: %w", f.Key, err)
			}
			for _, e := range entries {
				if status == "SUCCEEDED" {
					var batch []json.RawMessage
					if err := json.Unmarshal([]byte(e.Output), &batch); err != nil {
						return nil, fmt.Errorf("app: a batch's output %.200s: %w", e.Output, err)
					}
					out = append(out, batch...)
					continue
				}
				var in struct {
					Items []string `json:"Items"`
				}
				_ = json.Unmarshal([]byte(e.Input), &in)
				for _, id := range in.Items {
					item, _ := json.Marshal(map[string]any{"partnerId": id, "error": JobError{Error: cmp.Or(e.Error, "States.Runtime"), Cause: e.Cause}})
					out = append(out, item)
				}
			}
		}
	}
	return json.Marshal(out)
}

// SettlementRun reads a quarter's settlement run record.
func (s *Service) SettlementRun(ctx context.Context, q period.Quarter) (store.Run, error) {
	return s.AssessStore.GetRun(ctx, runKindSettlement, q.String())
}

// AccrualRun reads a month's accrual run record.
func (s *Service) AccrualRun(ctx context.Context, m period.Month) (store.Run, error) {
	return s.AssessStore.GetRun(ctx, runKindAccrual, m.String())
}

// startSettlementJob starts one execution of the settlement state machine,
// the one the schedules start.
func (s *Service) startSettlementJob(ctx context.Context, job, p string) (string, error) {
	in, _ := json.Marshal(map[string]string{"job": job, "period": p, "scheduledTime": ""})
	out, err := s.Workflow.StartExecution(ctx, &sfn.StartExecutionInput{
		StateMachineArn: aws.String(s.SettlementMachineArn),
		Name:            aws.String(job + "-" + p + "-" + id.Random(8)),
		Input:           aws.String(string(in)),
	})
	if err != nil {
		return "", fmt.Errorf("app: start %s %s: %w", job, p, err)
	}
	return aws.ToString(out.ExecutionArn), nil
}

var jobRunners = []directory.Role{directory.RoleAdmin, directory.RoleInnovation} // S§15: 产品创新部发起结算

// StartSettlement settles a past quarter on demand (SPEC 8 POST
// /settlement-runs); Q4 includes the annual clearing of revenue-mode projects.
func (s *Service) StartSettlement(ctx context.Context, caller directory.Person, quarter string) (string, error) {
	if err := require(caller, "running a settlement", jobRunners...); err != nil {
		return "", err
	}
	q, err := period.ParseQuarter(quarter)
	if err != nil {
		return "", problem.InvalidField("quarter", err.Error())
	}
	if !q.Months()[2].Last().Before(period.DateOf(s.Now())) {
		return "", problem.InvalidField("quarter", "must be a past quarter: its revenue is not complete")
	}
	return s.startSettlementJob(ctx, JobQuarter, q.String())
}

// StartAnnualClearing clears a past year on demand (SPEC 8 POST
// /annual-clearings, S§17): the settlement of its Q4, in which revenue-mode
// projects get their annual clearing.
func (s *Service) StartAnnualClearing(ctx context.Context, caller directory.Person, year int) (string, error) {
	if err := require(caller, "running the annual clearing", jobRunners...); err != nil {
		return "", err
	}
	if year < 1900 || year >= period.DateOf(s.Now()).Year {
		return "", problem.InvalidField("year", "must be a past year: it is cleared from the January after it (S§17)")
	}
	return s.startSettlementJob(ctx, JobClearing, strconv.Itoa(year))
}

// StartAccruals books a past month's accruals on demand.
func (s *Service) StartAccruals(ctx context.Context, caller directory.Person, month string) (string, error) {
	if err := require(caller, "running the accruals", jobRunners...); err != nil {
		return "", err
	}
	m, err := period.ParseMonth(month)
	if err != nil {
		return "", problem.InvalidField("month", err.Error())
	}
	if !m.Before(period.MonthOf(s.Now())) {
		return "", problem.InvalidField("month", "must be a past month")
	}
	return s.startSettlementJob(ctx, JobAccrual, m.String())
}

// QuarterSettlement is a quarter's statements with each partner's waterfall.
type QuarterSettlement struct {
	Quarter  period.Quarter               `json:"quarter"`
	Items    []settlement.StatementRecord `json:"items"`
	Partners []settlement.RoundSummary    `json:"partners"`
}

// AnnualClearingPage reads one page of a year's annual clearing statements
// (S-A5: the kind annual_clearing among its Q4 statements, in project order)
// and the cursor of the next; a page reads limit statements of the quarter,
// so it may hold fewer clearings, or none, and still name a next page.
func (s *Service) AnnualClearingPage(ctx context.Context, year int, cursor string, limit int32) ([]settlement.StatementRecord, string, error) {
	items, next, err := s.PartnerStore.StatementsPage(ctx, period.Quarter{Year: year, Q: 4}, cursor, limit)
	out := []settlement.StatementRecord{}
	for _, st := range items {
		if st.Kind == settlement.KindAnnualClearing {
			out = append(out, st)
		}
	}
	return out, next, err
}

// SettlementPage reads one page of a quarter's statements (in project
// order) with the settled rounds of the partners they belong to, and the
// cursor of the next page: a national quarter is read a page at a time.
func (s *Service) SettlementPage(ctx context.Context, q period.Quarter, cursor string, limit int32) (QuarterSettlement, string, error) {
	out := QuarterSettlement{Quarter: q, Items: []settlement.StatementRecord{}, Partners: []settlement.RoundSummary{}}
	items, next, err := s.PartnerStore.StatementsPage(ctx, q, cursor, limit)
	if err != nil {
		return out, "", err
	}
	out.Items = append(out.Items, items...)
	seen := map[string]bool{}
	for _, it := range items {
		if seen[it.PartnerID] {
			continue
		}
		seen[it.PartnerID] = true
		r, ok, err := s.PartnerStore.Round(ctx, it.PartnerID, q)
		if err != nil {
			return out, "", err
		}
		if ok {
			out.Partners = append(out.Partners, r)
		}
	}
	return out, next, nil
}

// MonthAccrualsPage reads one page of a month's accruals, in project order.
func (s *Service) MonthAccrualsPage(ctx context.Context, m period.Month, cursor string, limit int32) ([]settlement.AccrualRecord, string, error) {
	return s.PartnerStore.MonthAccrualsPage(ctx, m, cursor, limit)
}

// MonthAccruals reads a month's accruals.
func (s *Service) MonthAccruals(ctx context.Context, m period.Month) ([]settlement.AccrualRecord, error) {
	out, err := s.PartnerStore.MonthAccruals(ctx, m)
	if out == nil {
		out = []settlement.AccrualRecord{}
	}
	return out, err
}

// Statement steps of the approval (S§15, S§18).
const (
	StepConfirm = "confirm" // marketing confirms the revenue
	StepApprove = "approve" // finance approves
)

// DecideStatement moves a statement through its approval (S§15: 市场营销部确认收入
// 后, 进行结算; S§18): marketing confirms the revenue, then finance approves;
// either may return it for recomputation. The caller must hold the step's
// role and not be related to the partner (P§24).
func (s *Service) DecideStatement(ctx context.Context, caller directory.Person, q period.Quarter, projectID, step, decision, comment string) (settlement.StatementRecord, error) {
	st, err := s.PartnerStore.GetStatement(ctx, q, projectID)
	if err != nil {
		return st, err
	}
	pol, ok, err := s.policyByVersion(ctx, st.PolicyVersion)
	if err != nil {
		return st, err
	}
	if !ok {
		if pol, err = s.Policy(ctx); err != nil {
			return st, err
		}
	}
	role := pol.Settlement.ConfirmRole
	if step == StepApprove {
		role = pol.Settlement.ApproveRole
	}
	if err := require(caller, "the "+step+" step of a statement", directory.Role(role)); err != nil {
		return st, err
	}
	if err := s.notRelated(ctx, caller.Sub, st.PartnerID, "the statement's approval"); err != nil {
		return st, err
	}
	now := s.Now().UTC()
	return s.PartnerStore.UpdateStatement(ctx, s.meta(ctx, caller), q, projectID, func(x *settlement.StatementRecord) (string, error) {
		next, err := settlement.AdvanceStatement(x.Status, role, decision, pol.Settlement)
		if err != nil {
			return "", fromPartnerRule(err, "statement "+step)
		}
		x.Status = next
		x.Acts = append(x.Acts, partner.ApprovalAct{Step: step, Role: role, By: caller.Sub, Decision: decision, Comment: comment, At: now})
		return "statement." + step + "." + decision, nil
	})
}
