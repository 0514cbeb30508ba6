// Package bench measures operations: Run calls one n times on concurrent
// workers and records every latency; a Result reports throughput and latency
// percentiles; HeapMonitor tracks the process's peak heap; RequestCounter
// counts a DynamoDB client's requests by operation; ReadProcMemory reads
// another process's resident memory; Table prints rows as an aligned Markdown
// table. Every row of a benchmark goes through the same recorder, so rows
// compare like with like.
package bench

import (
	"context"
	"fmt"
	"math"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// Result is the outcome of one measured run.
type Result struct {
	// Ops is the number of operations that completed.
	Ops int
	// Elapsed is the wall time of the whole run, from the first operation's
	// start to the last one's end.
	Elapsed time.Duration
	// latencies holds every operation's duration, ascending.
	latencies []time.Duration
}

// Run calls op(ctx, i) once for every i in [0, n), from workers concurrent
// goroutines that each take the next i as soon as they finish the last, and
// times every call. It stops at the first error and returns it, naming the
// operation; the context passed to op is cancelled then.
func Run(ctx context.Context, n, workers int, op func(ctx context.Context, i int) error) (Result, error) {
	if n < 0 || workers < 1 {
		return Result{}, fmt.Errorf("bench: run %d operations on %d workers: need n ≥ 0 and workers ≥ 1", n, workers)
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		next     atomic.Int64
		errOnce  sync.Once
		firstErr error
		wg       sync.WaitGroup
	)
	perWorker := make([][]time.Duration, workers)
	start := time.Now()
	for w := range workers {
		wg.Go(func() {
			lat := make([]time.Duration, 0, n/workers+1)
			for ctx.Err() == nil {
				i := int(next.Add(1) - 1)
				if i >= n {
					break
				}
				t0 := time.Now()
				err := op(ctx, i)
				d := time.Since(t0)
				if err != nil {
					errOnce.Do(func() { firstErr = fmt.Errorf("operation %d: %w", i, err); cancel() })
					break
				}
				lat = append(lat, d)
			}
			perWorker[w] = lat
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	if firstErr != nil {
		return Result{}, firstErr
	}
	var all []time.Duration
	for _, lat := range perWorker {
		all = append(all, lat...)
	}
	if len(all) < n {
		return Result{}, fmt.Errorf("bench: stopped after %d of %d operations: %w", len(all), n, context.Cause(ctx))
	}
	return newResult(all, elapsed), nil
}

// newResult sorts the latencies into a Result.
func newResult(latencies []time.Duration, elapsed time.Duration) Result {
	slices.Sort(latencies)
	return Result{Ops: len(latencies), Elapsed: elapsed, latencies: latencies}
}

// PerSecond is the throughput: operations completed per second of wall time.
func (r Result) PerSecond() float64 {
	if r.Elapsed <= 0 {
		return 0
	}
	return float64(r.Ops) / r.Elapsed.Seconds()
}

// PerOp is the wall time per operation (Elapsed / Ops), the inverse of the
// throughput; with concurrent workers it is smaller than any one latency.
func (r Result) PerOp() time.Duration {
	if r.Ops == 0 {
		return 0
	}
	return r.Elapsed / time.Duration(r.Ops)
}

// Percentile returns the latency at or below which p percent (0–100) of the
// operations finished, by the nearest-rank method; 0 for an empty run.
func (r Result) Percentile(p float64) time.Duration {
	if len(r.latencies) == 0 {
		return 0
	}
	rank := int(math.Ceil(p / 100 * float64(len(r.latencies))))
	rank = min(max(rank, 1), len(r.latencies))
	return r.latencies[rank-1]
}

// Merge combines runs of one operation done in turns with other work into a
// single result: their operations and latencies, and their elapsed times
// added up.
func Merge(runs ...Result) Result {
	var all []time.Duration
	var elapsed time.Duration
	for _, r := range runs {
		all = append(all, r.latencies...)
		elapsed += r.Elapsed
	}
	return newResult(all, elapsed)
}
