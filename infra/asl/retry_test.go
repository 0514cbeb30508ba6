package asl

import (
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// TestRetrierCounting checks how retriers count attempts and grow their
// intervals. The Sequence function raises the listed errors in turn, then
// succeeds; the test compares when it was called and how the state ended.
func TestRetrierCounting(t *testing.T) {
	tests := []struct {
		name    string
		retry   string
		errors  []string
		wantAt  []float64
		wantOut string
	}{
		{
			// The specification's "complex retry scenario": the fourth error
			// would match the first retrier again, which has used its two
			// attempts, so the Catch applies.
			name: "specification example",
			retry: `[{"ErrorEquals":["ErrorA","ErrorB"],"IntervalSeconds":1,"BackoffRate":2.0,"MaxAttempts":2},
			         {"ErrorEquals":["ErrorC"],"IntervalSeconds":5}]`,
			errors:  []string{"ErrorA", "ErrorB", "ErrorC", "ErrorB"},
			wantAt:  []float64{0, 1, 3, 8},
			wantOut: `{"Cause":"call 4","Error":"ErrorB"}`,
		},
		{
			name:    "attempts count across the names of one retrier",
			retry:   `[{"ErrorEquals":["A","B","C","D"],"IntervalSeconds":1,"BackoffRate":1,"MaxAttempts":2}]`,
			errors:  []string{"A", "B", "C", "D"},
			wantAt:  []float64{0, 1, 2},
			wantOut: `{"Cause":"call 3","Error":"C"}`,
		},
		{
			name:    "the same name repeated",
			retry:   `[{"ErrorEquals":["A"],"IntervalSeconds":1,"BackoffRate":1,"MaxAttempts":2}]`,
			errors:  []string{"A", "A", "A"},
			wantAt:  []float64{0, 1, 2},
			wantOut: `{"Cause":"call 3","Error":"A"}`,
		},
		{
			name:    "backoff grows across names",
			retry:   `[{"ErrorEquals":["A","B"],"IntervalSeconds":2,"BackoffRate":3,"MaxAttempts":3}]`,
			errors:  []string{"A", "B", "A"},
			wantAt:  []float64{0, 2, 8, 26},
			wantOut: `{"calls":4}`,
		},
		{
			name:    "MaxDelaySeconds caps the grown interval",
			retry:   `[{"ErrorEquals":["A","B"],"IntervalSeconds":2,"BackoffRate":3,"MaxAttempts":3,"MaxDelaySeconds":5}]`,
			errors:  []string{"A", "B", "A"},
			wantAt:  []float64{0, 2, 7, 12},
			wantOut: `{"calls":4}`,
		},
		{
			name:    "each retrier has its own count and interval",
			retry:   `[{"ErrorEquals":["A"],"IntervalSeconds":1,"MaxAttempts":2},{"ErrorEquals":["States.ALL"],"IntervalSeconds":10,"MaxAttempts":1}]`,
			errors:  []string{"A", "B", "A"},
			wantAt:  []float64{0, 1, 11, 13},
			wantOut: `{"calls":4}`,
		},
		{
			name:    "an exhausted retrier does not fall through to a later one",
			retry:   `[{"ErrorEquals":["A"],"MaxAttempts":0},{"ErrorEquals":["States.ALL"],"MaxAttempts":3}]`,
			errors:  []string{"A"},
			wantAt:  []float64{0},
			wantOut: `{"Cause":"call 1","Error":"A"}`,
		},
		{
			name:    "States.TaskFailed and a name in one retrier share the count",
			retry:   `[{"ErrorEquals":["A","States.TaskFailed"],"IntervalSeconds":1,"BackoffRate":1,"MaxAttempts":2}]`,
			errors:  []string{"A", "B", "C"},
			wantAt:  []float64{0, 1, 2},
			wantOut: `{"Cause":"call 3","Error":"C"}`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			params, _ := json.Marshal(map[string]any{"errors": tt.errors})
			definition := fmt.Sprintf(`{"StartAt":"Call","States":{
			  "Call":{"Type":"Task","Resource":"${SequenceFunctionArn}","Parameters":%s,"Retry":%s,
			          "Catch":[{"ErrorEquals":["States.ALL"],"Next":"Caught"}],"End":true},
			  "Caught":{"Type":"Pass","End":true}}}`, params, tt.retry)
			got := runGoldenDefinition(t, []byte(definition), `{}`)
			if got.Status != StatusSucceeded {
				t.Fatalf("status %s (%s: %s)", got.Status, got.Error, got.Cause)
			}
			var at []float64
			for _, c := range got.Invocations {
				at = append(at, c.At)
			}
			if diff := cmp.Diff(tt.wantAt, at); diff != "" {
				t.Errorf("call times (-want +got):\n%s", diff)
			}
			if out := string(mustMarshal(t, got.Output)); out != tt.wantOut {
				t.Errorf("output %s, want %s", out, tt.wantOut)
			}
		})
	}
}

// TestRetryDelayGrowsWithoutOverflow checks the backoff formula and that a
// steep backoff saturates instead of overflowing into a negative (that is,
// immediate) delay.
func TestRetryDelayGrowsWithoutOverflow(t *testing.T) {
	ex := &execution{secret: []byte("secret")}
	tests := []struct {
		r     retrier
		retry int64
		want  time.Duration
	}{
		{retrier{interval: 1, backoffRate: 2}, 1, time.Second},
		{retrier{interval: 1, backoffRate: 2}, 4, 8 * time.Second},
		{retrier{interval: 3, backoffRate: 1.5}, 3, 6750 * time.Millisecond},
		{retrier{interval: 2, backoffRate: 3, maxDelay: 5}, 3, 5 * time.Second},
		{retrier{interval: 99999999, backoffRate: 10}, 6, maxRetryWait},
		{retrier{interval: 99999999, backoffRate: 10, maxDelay: 31622401}, 6, 31622401 * time.Second},
	}
	for _, tt := range tests {
		if got := ex.retryDelay(tt.r, tt.retry, "A#1@0"); got != tt.want {
			t.Errorf("retryDelay(%+v, %d) = %v, want %v", tt.r, tt.retry, got, tt.want)
		}
	}
	var last time.Duration
	for retry := int64(1); retry <= 40; retry++ {
		d := ex.retryDelay(retrier{interval: 99999999, backoffRate: 10}, retry, "A#1@0")
		if d <= 0 || d < last {
			t.Fatalf("retry %d waits %v after %v", retry, d, last)
		}
		last = d
	}
	jittered := ex.retryDelay(retrier{interval: 99999999, backoffRate: 10, fullJitter: true}, 30, "A#1@0")
	if jittered < 0 || jittered > maxRetryWait {
		t.Errorf("full jitter gave %v", jittered)
	}
}
