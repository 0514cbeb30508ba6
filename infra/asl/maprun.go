package asl

import (
	"context"
	"sort"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	sfntypes "github.com/aws/aws-sdk-go-v2/service/sfn/types"
)

// mapRunInfo is what DescribeMapRun reports of a Map Run. It is kept in
// memory only: after a restart a Map Run is known again once its parent's
// replay reaches it.
type mapRunInfo struct {
	mu             sync.Mutex
	arn            string
	executionArn   string
	machineArn     string
	status         sfntypes.MapRunStatus
	start, stop    time.Time
	maxConcurrency int
	tolPercent     float64
	tolCount       int64
	items          sfntypes.MapRunItemCounts
	executions     sfntypes.MapRunExecutionCounts
}

// mapRuns indexes the Map Runs this engine has run.
type mapRuns struct {
	mu   sync.Mutex
	runs map[string]*mapRunInfo
}

// open registers a Map Run, or returns the one a replay registered before.
func (m *mapRuns) open(info *mapRunInfo) *mapRunInfo {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.runs == nil {
		m.runs = map[string]*mapRunInfo{}
	}
	if old := m.runs[info.arn]; old != nil {
		return old
	}
	m.runs[info.arn] = info
	return info
}

func (m *mapRuns) get(arn string) *mapRunInfo {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.runs[arn]
}

func (m *mapRuns) of(executionArn string) []*mapRunInfo {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []*mapRunInfo
	for _, r := range m.runs {
		if r.executionArn == executionArn {
			out = append(out, r)
		}
	}
	return out
}

// childStarted and childEnded keep the item and execution counts.
func (r *mapRunInfo) childStarted(items int64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.items.Pending -= items
	r.items.Running += items
	r.executions.Pending--
	r.executions.Running++
}

func (r *mapRunInfo) childEnded(items int64, succeeded bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.items.Running -= items
	r.executions.Running--
	if succeeded {
		r.items.Succeeded += items
		r.executions.Succeeded++
	} else {
		r.items.Failed += items
		r.executions.Failed++
	}
}

// end records how the Map Run ended and how many items and child
// executions its ResultWriter wrote.
func (r *mapRunInfo) end(status sfntypes.MapRunStatus, at time.Time, items, executions int64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.status, r.stop = status, at
	r.items.ResultsWritten, r.executions.ResultsWritten = items, executions
}

// DescribeMapRun reports a Map Run of a Distributed Map: its status and its
// item and child-execution counts.
func (e *Engine) DescribeMapRun(_ context.Context, params *sfn.DescribeMapRunInput, _ ...func(*sfn.Options)) (*sfn.DescribeMapRunOutput, error) {
	if params == nil || params.MapRunArn == nil {
		return nil, &sfntypes.InvalidArn{Message: aws.String("mapRunArn is required")}
	}
	r := e.mapRuns.get(*params.MapRunArn)
	if r == nil {
		return nil, &sfntypes.ResourceNotFound{Message: aws.String("Map Run Does Not Exist: '" + *params.MapRunArn + "'")}
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	items, executions := r.items, r.executions
	out := &sfn.DescribeMapRunOutput{
		MapRunArn: aws.String(r.arn), ExecutionArn: aws.String(r.executionArn), Status: r.status,
		StartDate: aws.Time(r.start), MaxConcurrency: int32(r.maxConcurrency), RedriveCount: aws.Int32(0),
		ItemCounts: &items, ExecutionCounts: &executions,
	}
	if r.tolPercent > 0 {
		out.ToleratedFailurePercentage = float32(r.tolPercent)
	}
	if r.tolCount > 0 {
		out.ToleratedFailureCount = r.tolCount
	}
	if !r.stop.IsZero() {
		out.StopDate = aws.Time(r.stop)
	}
	return out, nil
}

// ListMapRuns lists the Map Runs an execution started, oldest first.
func (e *Engine) ListMapRuns(ctx context.Context, params *sfn.ListMapRunsInput, _ ...func(*sfn.Options)) (*sfn.ListMapRunsOutput, error) {
	if params == nil || params.ExecutionArn == nil {
		return nil, &sfntypes.InvalidArn{Message: aws.String("executionArn is required")}
	}
	if _, err := e.executionRecord(ctx, params.ExecutionArn); err != nil {
		return nil, err
	}
	runs := e.mapRuns.of(*params.ExecutionArn)
	sort.Slice(runs, func(i, j int) bool {
		return runs[i].start.Before(runs[j].start) || runs[i].start.Equal(runs[j].start) && runs[i].arn < runs[j].arn
	})
	items := make([]sfntypes.MapRunListItem, 0, len(runs))
	for _, r := range runs {
		r.mu.Lock()
		it := sfntypes.MapRunListItem{ExecutionArn: aws.String(r.executionArn), MapRunArn: aws.String(r.arn),
			StateMachineArn: aws.String(r.machineArn), StartDate: aws.Time(r.start)}
		if !r.stop.IsZero() {
			it.StopDate = aws.Time(r.stop)
		}
		r.mu.Unlock()
		items = append(items, it)
	}
	start, end, next, err := pageBounds(len(items), params.NextToken, params.MaxResults)
	if err != nil {
		return nil, err
	}
	return &sfn.ListMapRunsOutput{MapRuns: items[start:end], NextToken: next}, nil
}
