package main

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"runtime"
	"strings"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddb "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/sfn"

	"productgov/infra/asl"
	"productgov/infra/bench"
	"productgov/shared/app"
	"productgov/shared/assessment"
	"productgov/shared/id"
	"productgov/shared/period"
	"productgov/shared/policy"
	"productgov/shared/product"
	"productgov/shared/store"
)

// Who ran an assessment run.
const (
	runFirst  = "first"  // the system, first month (no results of the month before)
	runFloor  = "floor"  // hand-built SDK requests
	runSystem = "system" // app.Service, as the state machine's tasks call it
	runSFN    = "sfn"    // the state machine on the local ASL engine, its tasks in the built bootstrap
)

// assessRun is one measured run of one month.
type assessRun struct {
	who      string
	month    period.Month
	products int
	took     time.Duration
	// reqs are the requests of the use cases (or of the floor).
	reqs bench.RequestCounts
	// engineReqs are the ASL engine's own requests (execution history), sfn only.
	engineReqs bench.RequestCounts
	// heapBase is HeapAlloc after a GC before the run; heapPeak the largest sampled during it.
	heapBase, heapPeak uint64
	// missingPrev counts products whose result of the month before the floor did not find.
	missingPrev int64
}

// measurer runs the system, the floor and the state machine on the stack,
// each through a DynamoDB client that counts its requests.
type measurer struct {
	// counter counts the use cases' and the floor's requests (they never run at once).
	counter *bench.RequestCounter
	// functionCounter counts the functions' requests (the state machine's
	// tasks run in the assessment bootstrap).
	functionCounter *bench.RequestCounter
	// engineCounter counts the ASL engine's own store requests.
	engineCounter *bench.RequestCounter
	// svc is the system's app.Service on a counting store.
	svc *app.Service
	// plain is the system's app.Service as assembled, for unmeasured reads.
	plain *app.Service
	db    *dynamodb.Client
	table string
	rules assessment.Rules
	// mapConcurrency is the Map state's MaxConcurrency.
	mapConcurrency int
	// shards is the store's shard count (the keys the floor writes).
	shards int
	// segments are the plan's segments, from the first system run.
	segments   []app.AssessmentSegment
	engine     *asl.Engine
	machineArn string
}

// newMeasurer wraps the stack's DynamoDB client in a counting copy for a
// copy of the system's app.Service (every store-backed part on the counted
// store) and the floor; the state machine runs on the stack's own engine,
// which invokes the built assessment bootstrap, whose requests the stack's
// proxy counts.
func newMeasurer(s *stack, pol policy.Document, log *slog.Logger) (*measurer, error) {
	conc, err := mapConcurrency()
	if err != nil {
		return nil, err
	}
	base, table := s.sys.Store.Client(), s.sys.Store.Table()
	m := &measurer{counter: bench.NewRequestCounter(), functionCounter: s.functionRequests, engineCounter: s.engineRequests, plain: s.sys.App,
		table: table, rules: pol.Assessment, mapConcurrency: conc,
		engine: s.local.Engine, machineArn: s.local.MachineArns["MonthlyAssessmentStateMachine"]}
	m.db = m.counter.Client(base)
	st := store.New(m.db, table).WithShards(s.sys.Store.Shards())
	m.shards = st.Shards()
	svc := *s.sys.App
	svc.Products, svc.Figures, svc.Users, svc.Policies, svc.Audit, svc.Partners = st, st, st, st, st, st
	svc.Submissions, svc.Approvals, svc.AssessStore = st, st, st
	m.svc = &svc
	if m.machineArn == "" {
		return nil, fmt.Errorf("template.yaml has no MonthlyAssessmentStateMachine")
	}
	return m, nil
}

func (m *measurer) close() {}

// measureAll runs the first month, then the rounds (floor, then system, each
// month), then the state machine's month (floor, then the engine).
func (m *measurer) measureAll(ctx context.Context, o assessOptions, d *dataset) ([]assessRun, error) {
	var runs []assessRun
	do := func(who string, month period.Month) error {
		f := map[string]func(context.Context, period.Month) (int, error){
			runFirst: m.system, runSystem: m.system, runFloor: m.floor, runSFN: m.stateMachine,
		}[who]
		r, err := m.measure(ctx, who, month, f)
		if err != nil {
			return fmt.Errorf("assessment %s, %s: %w", who, month, err)
		}
		if r.products != len(d.specs) {
			return fmt.Errorf("assessment %s, %s: assessed %d products, want %d", who, month, r.products, len(d.specs))
		}
		progress(fmt.Sprintf("assessment: %-6s %s: %d products in %6.2fs, %d requests", who, month, r.products, r.took.Seconds(), r.reqs.Attempts()))
		runs = append(runs, r)
		return nil
	}
	if err := do(runFirst, d.assessed[0]); err != nil {
		return nil, err
	}
	for k := 1; k <= o.rounds; k++ {
		if err := do(runFloor, d.assessed[k]); err != nil {
			return nil, err
		}
		if err := do(runSystem, d.assessed[k]); err != nil {
			return nil, err
		}
	}
	if o.sfn {
		month := d.assessed[len(d.assessed)-1]
		if err := do(runFloor, month); err != nil {
			return nil, err
		}
		if err := do(runSFN, month); err != nil {
			return nil, err
		}
	}
	return runs, nil
}

// measure times one run and takes its requests and peak heap.
func (m *measurer) measure(ctx context.Context, who string, month period.Month, f func(context.Context, period.Month) (int, error)) (assessRun, error) {
	r := assessRun{who: who, month: month}
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	r.heapBase = ms.HeapAlloc
	before, engineBefore := m.counter.Snapshot().Add(m.functionCounter.Snapshot()), m.engineCounter.Snapshot()
	missingBefore := floorMissing.Load()
	heap := bench.StartHeapMonitor(25 * time.Millisecond)
	start := time.Now()
	n, err := f(ctx, month)
	r.took = time.Since(start)
	r.heapPeak = heap.Stop().PeakAlloc
	r.products = n
	r.reqs, r.engineReqs = m.counter.Snapshot().Add(m.functionCounter.Snapshot()).Sub(before), m.engineCounter.Snapshot().Sub(engineBefore)
	r.missingPrev = floorMissing.Load() - missingBefore
	return r, err
}

// system runs a month as the state machine's tasks do: PlanAssessment, then
// every segment page by page with AssessPage until done, at most
// mapConcurrency segments at once (the Map state's MaxConcurrency), in order.
func (m *measurer) system(ctx context.Context, month period.Month) (int, error) {
	plan, err := m.svc.PlanAssessment(ctx, month.String(), time.Now())
	if err != nil {
		return 0, err
	}
	m.segments = plan.Segments
	var n atomic.Int64
	_, err = bench.Run(ctx, len(plan.Segments), m.mapConcurrency, func(ctx context.Context, i int) error {
		cursor := ""
		for {
			res, err := m.svc.AssessPage(ctx, plan.Month, plan.PolicyVersion, plan.Segments[i], cursor, plan.Run)
			if err != nil {
				return err
			}
			n.Add(int64(res.Assessed))
			if res.Done {
				return nil
			}
			cursor = res.Cursor
		}
	})
	return int(n.Load()), err
}

// stateMachine runs a month through the engine: StartExecution, then Wait;
// it returns the report's total.
func (m *measurer) stateMachine(ctx context.Context, month period.Month) (int, error) {
	in, _ := json.Marshal(map[string]string{"month": month.String(), "scheduledTime": ""})
	out, err := m.engine.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: aws.String(m.machineArn),
		Name: aws.String("bench-assess-" + month.String() + "-" + id.Random(8)), Input: aws.String(string(in))})
	if err != nil {
		return 0, err
	}
	rec, err := m.engine.Wait(ctx, aws.ToString(out.ExecutionArn))
	if err != nil {
		return 0, err
	}
	if rec.Status != asl.StatusSucceeded {
		return 0, fmt.Errorf("execution %s: %s: %s", rec.Status, rec.Error, rec.Cause)
	}
	var res struct {
		Report struct {
			Total int `json:"total"`
		} `json:"report"`
	}
	if err := json.Unmarshal([]byte(rec.Output), &res); err != nil {
		return 0, fmt.Errorf("execution output %s: %w", rec.Output, err)
	}
	return res.Report.Total, nil
}

// floorMissing counts products whose result of the month before the floor did not find.
var floorMissing atomic.Int64

// floor issues the assessment's reads and writes directly, as few as the
// data allows, in the same shape as the system (the plan's segments, at most
// mapConcurrency at once, pages of 100 in order): per page one Query of gsi1;
// BatchGetItem of 100 keys at a time over every key the page needs — the
// revenue of M-2..M (M-11..M for trial-commercial products past the P§18
// limit), the quality of M for cooperative products and the result of M-1 —
// mixed in the same calls; then the results in BatchWriteItem of 25. A result
// item is the store's (assessmentItem: pk ASSESS#<M>#<shard>, sk the product id, type,
// productId, month, doc) and its doc is last month's, so it has a real size;
// the system's run of the month then overwrites it. No rule runs and no
// product is updated.
func (m *measurer) floor(ctx context.Context, month period.Month) (int, error) {
	var n atomic.Int64
	_, err := bench.Run(ctx, len(m.segments), m.mapConcurrency, func(ctx context.Context, i int) error {
		seg := m.segments[i]
		var start map[string]ddb.AttributeValue
		for {
			res, err := m.db.Query(ctx, &dynamodb.QueryInput{
				TableName:                aws.String(m.table),
				IndexName:                aws.String(store.IndexGSI1),
				KeyConditionExpression:   aws.String("#pk = :pk"),
				ExpressionAttributeNames: map[string]string{"#pk": "gsi1pk"},
				ExpressionAttributeValues: map[string]ddb.AttributeValue{
					":pk": str(store.StageShardKey(seg.Stage, seg.Shard))},
				ScanIndexForward:  aws.Bool(true),
				Limit:             aws.Int32(100),
				ExclusiveStartKey: start,
			})
			if err != nil {
				return err
			}
			if len(res.Items) > 0 {
				if err := m.floorPage(ctx, month, res.Items); err != nil {
					return err
				}
				n.Add(int64(len(res.Items)))
			}
			if len(res.LastEvaluatedKey) == 0 {
				return nil
			}
			start = res.LastEvaluatedKey
		}
	})
	return int(n.Load()), err
}

// floorPage reads and writes what one page of products needs.
func (m *measurer) floorPage(ctx context.Context, month period.Month, products []map[string]ddb.AttributeValue) error {
	prev := make(map[string]string, len(products))
	ids := make([]string, len(products))
	keys := make([]map[string]ddb.AttributeValue, 0, len(products)*5)
	for i, it := range products {
		pid := attrS(it, "id")
		ids[i] = pid
		from := month.Add(1 - m.rules.RevenueWindowMonths)
		if m.trailingYear(it, month) {
			from = month.Add(1 - m.rules.CommercialRevenueMonths)
		}
		for mo := from; !mo.After(month); mo = mo.Add(1) {
			keys = append(keys, keyOf("PRODUCT#"+pid, "REVENUE#"+mo.String()))
		}
		if attrS(it, "mode") == string(product.ModeCooperative) {
			keys = append(keys, keyOf("PRODUCT#"+pid, "QUALITY#"+month.String()))
		}
		keys = append(keys, keyOf(store.AssessmentKey(month.Add(-1), pid), pid))
	}
	for start := 0; start < len(keys); start += 100 {
		ka := ddb.KeysAndAttributes{Keys: keys[start:min(start+100, len(keys))],
			ProjectionExpression: aws.String("pk, sk, #v, doc"), ExpressionAttributeNames: map[string]string{"#v": "value"}}
		err := batchGet(ctx, m.db, m.table, ka, func(item map[string]ddb.AttributeValue) {
			if doc := attrS(item, "doc"); doc != "" && strings.HasPrefix(attrS(item, "pk"), "ASSESS#") {
				prev[attrS(item, "sk")] = doc
			}
		})
		if err != nil {
			return err
		}
	}
	reqs := make([]ddb.WriteRequest, 0, len(ids))
	for _, pid := range ids {
		doc, ok := prev[pid]
		if !ok {
			floorMissing.Add(1)
			doc = strings.Repeat(" ", 1500)
		}
		reqs = append(reqs, ddb.WriteRequest{PutRequest: &ddb.PutRequest{Item: map[string]ddb.AttributeValue{
			"pk": str(store.AssessmentKey(month, pid)), "sk": str(pid), "type": str("assessment"),
			"productId": str(pid), "month": str(month.String()), "doc": str(doc),
		}}})
	}
	for start := 0; start < len(reqs); start += 25 {
		if err := batchWrite(ctx, m.db, m.table, reqs[start:min(start+25, len(reqs))]); err != nil {
			return err
		}
	}
	return nil
}

// trailingYear mirrors the use case's needsTrailingYear: a trial-commercial
// product whose trial commercial use (from the earlier of stage start and
// notice) passed the P§18 limit by the end of the month.
func (m *measurer) trailingYear(it map[string]ddb.AttributeValue, month period.Month) bool {
	if attrS(it, "stage") != string(product.StageTrialCommercial) {
		return false
	}
	since, err := period.ParseDate(attrS(it, "stageSince"))
	if err != nil {
		return false
	}
	if notice, err := period.ParseDate(attrS(it, "noticeDate")); err == nil && notice.Before(since) {
		since = notice
	}
	return month.Last().After(since.AddMonths(m.rules.TrialCommercialMaxMonths))
}

// resultCheck sums up the results the system wrote for a month.
type resultCheck struct {
	month  period.Month
	report assessment.RunReport
}

// checkResults reads the month's results (unmeasured) and sums them up.
func (m *measurer) checkResults(ctx context.Context, month period.Month) (resultCheck, error) {
	results, err := m.plain.MonthResults(ctx, month)
	if err != nil {
		return resultCheck{}, err
	}
	plain := make([]assessment.Result, len(results))
	for i, r := range results {
		plain[i] = r.Result
	}
	return resultCheck{month: month, report: assessment.Report(plain)}, nil
}

func attrS(item map[string]ddb.AttributeValue, name string) string {
	if s, ok := item[name].(*ddb.AttributeValueMemberS); ok {
		return s.Value
	}
	return ""
}

func keyOf(pk, sk string) map[string]ddb.AttributeValue {
	return map[string]ddb.AttributeValue{"pk": str(pk), "sk": str(sk)}
}
