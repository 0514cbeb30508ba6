package asl

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	sfntypes "github.com/aws/aws-sdk-go-v2/service/sfn/types"
)

func TestDataLimitExceeded(t *testing.T) {
	big := strings.Repeat("x", DefaultPayloadLimit) // with its quotes, 2 bytes over the quota
	e, _, bucket := dmapEngine(t)
	e.RegisterHandler(functionArn("Big"), func(_ context.Context, in json.RawMessage) (json.RawMessage, error) {
		return json.Marshal(big)
	})
	e.RegisterHandler(functionArn("Fits"), func(_ context.Context, in json.RawMessage) (json.RawMessage, error) {
		return json.Marshal(big[:DefaultPayloadLimit-2]) // exactly the quota
	})
	task := func(function, catch string) string {
		return `{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"` + functionArn(function) + `","ResultPath":null,` + catch + `"End":true},
		  "Caught":{"Type":"Pass","Result":"caught","End":true}}}`
	}
	tests := []struct {
		name, definition, input string
		status, errorName       string
	}{
		{"result at the quota", task("Fits", `"Catch":[{"ErrorEquals":["Other"],"Next":"Caught"}],`), `{}`, StatusSucceeded, ""},
		{"result over the quota", task("Big", `"Catch":[{"ErrorEquals":["Other"],"Next":"Caught"}],`), `{}`, StatusFailed, ErrorDataLimitExceeded},
		{"States.ALL does not catch it", task("Big", `"Catch":[{"ErrorEquals":["States.ALL"],"Next":"Caught"}],`), `{}`, StatusFailed, ErrorDataLimitExceeded},
		{"States.TaskFailed does not catch it", task("Big", `"Catch":[{"ErrorEquals":["States.TaskFailed"],"Next":"Caught"}],`), `{}`, StatusFailed, ErrorDataLimitExceeded},
		{"its name catches it", task("Big", `"Catch":[{"ErrorEquals":["States.DataLimitExceeded"],"Next":"Caught"}],`), `{}`, StatusSucceeded, ""},
		{"task input after Parameters", `{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"` + functionArn("Fits") +
			`","Parameters":{"a.$":"$.s","b.$":"$.s"},"End":true}}}`, `{"s":"` + big[:DefaultPayloadLimit/2] + `"}`, StatusFailed, ErrorDataLimitExceeded},
		{"Pass output", `{"StartAt":"P","States":{"P":{"Type":"Pass","Parameters":{"a.$":"$.s","b.$":"$.s"},"End":true}}}`,
			`{"s":"` + big[:DefaultPayloadLimit/2] + `"}`, StatusFailed, ErrorDataLimitExceeded},
		{"Distributed Map child input", `{"StartAt":"M","States":{"M":{"Type":"Map","ItemsPath":"$.xs","ItemProcessor":{
			"ProcessorConfig":{"Mode":"DISTRIBUTED","ExecutionType":"STANDARD"},"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}},"End":true}}}`,
			`{"xs":["a","` + big + `"]}`, StatusFailed, ErrorDataLimitExceeded},
		{"Map result", `{"StartAt":"M","States":{"M":{"Type":"Map","ItemProcessor":{"StartAt":"P","States":{"P":{"Type":"Pass","InputPath":"$$.Execution.Input.s","End":true}}},
			"ItemsPath":"$.xs","ResultPath":"$.r","Catch":[{"ErrorEquals":["States.DataLimitExceeded"],"ResultPath":"$.error","Next":"Caught"}],"End":true},
			"Caught":{"Type":"Pass","Parameters":{"error.$":"$.error.Error"},"End":true}}}`,
			`{"s":"` + big[:DefaultPayloadLimit/3] + `","xs":[1,2,3]}`, StatusSucceeded, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := runDefinition(t, e, bucket, tt.definition, tt.input)
			if rec.Status != tt.status || rec.Error != tt.errorName {
				t.Fatalf("got %s %s %.200s, want %s %s", rec.Status, rec.Error, rec.Cause, tt.status, tt.errorName)
			}
			stats, _ := e.ExecutionStats(rec.ExecutionArn)
			if stats.LargestPayloadBytes < DefaultPayloadLimit/2 {
				t.Errorf("largest payload %d", stats.LargestPayloadBytes)
			}
		})
	}
}

func TestHistoryLimit(t *testing.T) {
	// Each round of the loop is a Pass and a Choice: four events.
	loop := `{"StartAt":"Count","States":{
	  "Count":{"Type":"Pass","Parameters":{"n.$":"States.MathAdd($.n, 1)"},"Next":"More"},
	  "More":{"Type":"Choice","Choices":[{"Variable":"$.n","NumericLessThan":10,"Next":"Count"}],"Default":"Done"},
	  "Done":{"Type":"Succeed"}}}`
	tests := []struct {
		limit  int64
		status string
	}{
		// ExecutionStarted, 10 rounds of 4, Succeed's 2, ExecutionSucceeded.
		{44, StatusSucceeded},
		{43, StatusFailed},
		{20, StatusFailed},
	}
	for _, tt := range tests {
		e, _, bucket := dmapEngine(t, WithHistoryLimit(tt.limit))
		rec := runDefinition(t, e, bucket, loop, `{"n":0}`)
		if rec.Status != tt.status {
			t.Fatalf("limit %d: got %s %s %s, want %s", tt.limit, rec.Status, rec.Error, rec.Cause, tt.status)
		}
		stats, _ := e.ExecutionStats(rec.ExecutionArn)
		if tt.status == StatusSucceeded && stats.HistoryEvents != 44 {
			t.Errorf("counted %d events, want 44", stats.HistoryEvents)
		}
		if tt.status == StatusFailed && (rec.Error != ErrorRuntime || !strings.Contains(rec.Cause, "maximum number of history events")) {
			t.Errorf("limit %d: %s %s", tt.limit, rec.Error, rec.Cause)
		}
	}
}

// TestHistoryCount: the events counted for a Task, a retried Task and a
// Parallel are those Step Functions records.
func TestHistoryCount(t *testing.T) {
	e, _, bucket := dmapEngine(t)
	attempts := 0
	e.RegisterHandler(functionArn("Flaky"), func(_ context.Context, in json.RawMessage) (json.RawMessage, error) {
		attempts++
		if attempts == 1 {
			return nil, &StatesError{Name: "Transient"}
		}
		return in, nil
	})
	def := `{"StartAt":"T","States":{
	  "T":{"Type":"Task","Resource":"` + functionArn("Flaky") + `","Retry":[{"ErrorEquals":["Transient"],"IntervalSeconds":1}],"Next":"P"},
	  "P":{"Type":"Parallel","Branches":[{"StartAt":"A","States":{"A":{"Type":"Pass","End":true}}},{"StartAt":"B","States":{"B":{"Type":"Pass","End":true}}}],"End":true}}}`
	rec := runDefinition(t, e, bucket, def, `{}`)
	if rec.Status != StatusSucceeded {
		t.Fatalf("%s %s %s", rec.Status, rec.Error, rec.Cause)
	}
	stats, _ := e.ExecutionStats(rec.ExecutionArn)
	// ExecutionStarted 1; T entered/exited 2 and two attempts of scheduled,
	// started, failed/succeeded 6; P entered/exited 2, started/succeeded 2,
	// A and B 4; ExecutionSucceeded 1.
	if stats.HistoryEvents != 18 {
		t.Errorf("counted %d events, want 18", stats.HistoryEvents)
	}
}

// TestOversizedResultIsRecordedAsTheError: a task result over the quota is
// recorded as a failed task (never stored), and SendTaskSuccess refuses an
// output over it, as the Step Functions API does.
func TestOversizedResultIsRecordedAsTheError(t *testing.T) {
	e, _, bucket := dmapEngine(t)
	big := strings.Repeat("x", DefaultPayloadLimit)
	e.RegisterHandler(functionArn("Big"), func(_ context.Context, in json.RawMessage) (json.RawMessage, error) {
		return json.Marshal(big)
	})
	rec := runDefinition(t, e, bucket, `{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"`+functionArn("Big")+`","End":true}}}`, `{}`)
	h, err := e.GetExecutionHistory(context.Background(), &sfn.GetExecutionHistoryInput{ExecutionArn: aws.String(rec.ExecutionArn)})
	if err != nil {
		t.Fatal(err)
	}
	failed := false
	for _, ev := range h.Events {
		if ev.TaskSucceededEventDetails != nil {
			t.Errorf("the oversized result was stored: %d bytes", len(aws.ToString(ev.TaskSucceededEventDetails.Output)))
		}
		failed = failed || ev.TaskFailedEventDetails != nil && aws.ToString(ev.TaskFailedEventDetails.Error) == ErrorDataLimitExceeded
	}
	if !failed {
		t.Errorf("no TaskFailed %s in %+v", ErrorDataLimitExceeded, h.Events)
	}
	_, err = e.SendTaskSuccess(context.Background(), &sfn.SendTaskSuccessInput{TaskToken: aws.String("x"), Output: aws.String(`"` + big + `"`)})
	if !isError[*sfntypes.InvalidOutput](err) {
		t.Errorf("SendTaskSuccess with %d bytes: %v, want InvalidOutput", len(big)+2, err)
	}
}
