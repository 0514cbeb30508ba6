package asl

import (
	"errors"
	"strings"
	"testing"
)

func TestDefinitionValidation(t *testing.T) {
	// states wraps state definitions into a machine starting at "A".
	states := func(body string) string { return `{"StartAt":"A","States":{` + body + `}}` }
	tests := []struct {
		name       string
		definition string
		// problem is a substring of the expected problem; "" means valid.
		problem string
	}{
		{"minimal", states(`"A":{"Type":"Succeed"}`), ""},
		{"every state type", `{"Comment":"all","TimeoutSeconds":60,"Version":"1.0","QueryLanguage":"JSONPath","StartAt":"P","States":{
			"P":{"Type":"Pass","Next":"T"},
			"T":{"Type":"Task","Resource":"arn:aws:lambda:us-east-1:1:function:f","TimeoutSecondsPath":"$.t","HeartbeatSeconds":5,
			     "Retry":[{"ErrorEquals":["A","B"],"JitterStrategy":"FULL","MaxDelaySeconds":9},{"ErrorEquals":["States.ALL"]}],
			     "Catch":[{"ErrorEquals":["States.ALL"],"Next":"F","ResultPath":null}],"Next":"C"},
			"C":{"Type":"Choice","Choices":[{"Not":{"Variable":"$.x","IsNull":true},"Next":"W"}],"Default":"F"},
			"W":{"Type":"Wait","TimestampPath":"$.when","Next":"L"},
			"L":{"Type":"Parallel","Branches":[{"StartAt":"S","States":{"S":{"Type":"Succeed"}}}],"Next":"M"},
			"M":{"Type":"Map","Label":"Pages","ItemsPath":"$.items","MaxConcurrencyPath":"$.n","ItemSelector":{"i.$":"$$.Map.Item.Index"},
			     "ItemProcessor":{"ProcessorConfig":{"Mode":"DISTRIBUTED","ExecutionType":"STANDARD"},"StartAt":"E","States":{"E":{"Type":"Pass","End":true}}},"End":true},
			"F":{"Type":"Fail","ErrorPath":"$.e","CausePath":"States.Format('{}', $.c)"}}}`, ""},
		{"not JSON", `{"StartAt":`, "not valid JSON"},
		{"not an object", `[]`, "must be a JSON object"},
		{"missing StartAt", `{"States":{"A":{"Type":"Succeed"}}}`, "StartAt is required"},
		{"StartAt names no state", `{"StartAt":"B","States":{"A":{"Type":"Succeed"}}}`, `StartAt "B" is not a state`},
		{"no states", `{"StartAt":"A","States":{}}`, "States must be a non-empty object"},
		{"unknown top-level field", `{"StartAt":"A","Extra":1,"States":{"A":{"Type":"Succeed"}}}`, `unknown field "Extra"`},
		{"JSONata", `{"QueryLanguage":"JSONata","StartAt":"A","States":{"A":{"Type":"Succeed"}}}`, "only the JSONPath query language"},
		{"variables", states(`"A":{"Type":"Pass","Assign":{"x":1},"End":true}`), "variables are not supported"},
		{"unknown state type", states(`"A":{"Type":"Sleep","End":true}`), `unknown state type "Sleep"`},
		{"missing Type", states(`"A":{"End":true}`), "Type is required"},
		{"missing Next and End", states(`"A":{"Type":"Pass"}`), "needs Next or \"End\": true"},
		{"both Next and End", states(`"A":{"Type":"Pass","Next":"B","End":true},"B":{"Type":"Succeed"}`), "both Next and End"},
		{"Next to nowhere", states(`"A":{"Type":"Pass","Next":"Nowhere"}`), `transition to "Nowhere"`},
		{"Default to nowhere", states(`"A":{"Type":"Choice","Choices":[{"Variable":"$.x","IsPresent":true,"Next":"B"}],"Default":"Gone"},"B":{"Type":"Succeed"}`), `transition to "Gone"`},
		{"Catch to nowhere", states(`"A":{"Type":"Task","Resource":"arn:aws:lambda:us-east-1:1:function:f","Catch":[{"ErrorEquals":["States.ALL"],"Next":"Gone"}],"End":true}`), `transition to "Gone"`},
		{"Next into a branch", `{"StartAt":"P","States":{"P":{"Type":"Parallel","Next":"Inner","Branches":[{"StartAt":"Inner","States":{"Inner":{"Type":"Succeed"}}}]}}}`, `transition to "Inner", which is not a state in this scope`},
		{"unreachable state", states(`"A":{"Type":"Succeed"},"Orphan":{"Type":"Succeed"}`), "not reachable"},
		{"no terminal state", states(`"A":{"Type":"Pass","Next":"B"},"B":{"Type":"Pass","Next":"A"}`), "no terminal state"},
		{"field of another state type", states(`"A":{"Type":"Pass","Resource":"arn:aws:lambda:us-east-1:1:function:f","End":true}`), `field "Resource" is not allowed in a Pass state`},
		{"End on a Choice", states(`"A":{"Type":"Choice","End":true,"Choices":[{"Variable":"$.x","IsPresent":true,"Next":"B"}]},"B":{"Type":"Succeed"}`), `field "End" is not allowed`},
		{"long state name", states(`"A":{"Type":"Pass","Next":"` + strings.Repeat("x", 81) + `"},"` + strings.Repeat("x", 81) + `":{"Type":"Succeed"}`), "1 to 80 characters"},
		{"choice rule without Next", states(`"A":{"Type":"Choice","Choices":[{"Variable":"$.x","IsPresent":true}],"Default":"B"},"B":{"Type":"Succeed"}`), "needs Next"},
		{"nested Next", states(`"A":{"Type":"Choice","Choices":[{"Not":{"Variable":"$.x","IsNull":true,"Next":"B"},"Next":"B"}]},"B":{"Type":"Succeed"}`), "must not have Next"},
		{"two operators", states(`"A":{"Type":"Choice","Choices":[{"Variable":"$.x","IsNull":true,"IsString":true,"Next":"B"}]},"B":{"Type":"Succeed"}`), "exactly one operator"},
		{"unknown operator", states(`"A":{"Type":"Choice","Choices":[{"Variable":"$.x","StringContains":"a","Next":"B"}]},"B":{"Type":"Succeed"}`), `unknown field "StringContains"`},
		{"IsNull needs a boolean", states(`"A":{"Type":"Choice","Choices":[{"Variable":"$.x","IsNull":"yes","Next":"B"}]},"B":{"Type":"Succeed"}`), "must be a boolean"},
		{"bad timestamp", states(`"A":{"Type":"Choice","Choices":[{"Variable":"$.x","TimestampEquals":"yesterday","Next":"B"}]},"B":{"Type":"Succeed"}`), "RFC 3339"},
		{"indefinite Variable", states(`"A":{"Type":"Choice","Choices":[{"Variable":"$.x[*]","IsPresent":true,"Next":"B"}]},"B":{"Type":"Succeed"}`), "reference path"},
		{"empty Choices", states(`"A":{"Type":"Choice","Choices":[]}`), "non-empty array"},
		{"States.ALL not last", states(`"A":{"Type":"Task","Resource":"arn:aws:lambda:us-east-1:1:function:f","Retry":[{"ErrorEquals":["States.ALL"]},{"ErrorEquals":["X"]}],"End":true}`), "States.ALL must appear alone"},
		{"States.ALL not alone", states(`"A":{"Type":"Task","Resource":"arn:aws:lambda:us-east-1:1:function:f","Catch":[{"ErrorEquals":["X","States.ALL"],"Next":"A"}],"End":true}`), "States.ALL must appear alone"},
		{"BackoffRate below 1", states(`"A":{"Type":"Task","Resource":"arn:aws:lambda:us-east-1:1:function:f","Retry":[{"ErrorEquals":["X"],"BackoffRate":0.5}],"End":true}`), "BackoffRate"},
		{"negative MaxAttempts", states(`"A":{"Type":"Task","Resource":"arn:aws:lambda:us-east-1:1:function:f","Retry":[{"ErrorEquals":["X"],"MaxAttempts":-1}],"End":true}`), "MaxAttempts"},
		{"IntervalSeconds too large", states(`"A":{"Type":"Task","Resource":"arn:aws:lambda:us-east-1:1:function:f","Retry":[{"ErrorEquals":["X"],"IntervalSeconds":100000000}],"End":true}`), "IntervalSeconds must be an integer from 1 to 99999999"},
		{"fractional IntervalSeconds", states(`"A":{"Type":"Task","Resource":"arn:aws:lambda:us-east-1:1:function:f","Retry":[{"ErrorEquals":["X"],"IntervalSeconds":1.5}],"End":true}`), "IntervalSeconds must be an integer"},
		{"MaxAttempts too large", states(`"A":{"Type":"Task","Resource":"arn:aws:lambda:us-east-1:1:function:f","Retry":[{"ErrorEquals":["X"],"MaxAttempts":100000000}],"End":true}`), "MaxAttempts must be an integer from 0 to 99999999"},
		{"largest retrier values", states(`"A":{"Type":"Task","Resource":"arn:aws:lambda:us-east-1:1:function:f","Retry":[{"ErrorEquals":["X"],"IntervalSeconds":99999999,"MaxAttempts":99999999,"MaxDelaySeconds":31622401,"BackoffRate":1}],"End":true}`), ""},
		{"zero MaxDelaySeconds", states(`"A":{"Type":"Task","Resource":"arn:aws:lambda:us-east-1:1:function:f","Retry":[{"ErrorEquals":["X"],"MaxDelaySeconds":0}],"End":true}`), "MaxDelaySeconds must be an integer from 1"},
		{"MaxDelaySeconds too large", states(`"A":{"Type":"Task","Resource":"arn:aws:lambda:us-east-1:1:function:f","Retry":[{"ErrorEquals":["X"],"MaxDelaySeconds":31622402}],"End":true}`), "MaxDelaySeconds must be an integer from 1 to 31622401"},
		{"BackoffRate not a number", states(`"A":{"Type":"Task","Resource":"arn:aws:lambda:us-east-1:1:function:f","Retry":[{"ErrorEquals":["X"],"BackoffRate":"2"}],"End":true}`), "BackoffRate"},
		{"States.ALL alone in a retrier that is not last", states(`"A":{"Type":"Task","Resource":"arn:aws:lambda:us-east-1:1:function:f","Retry":[{"ErrorEquals":["X"]},{"ErrorEquals":["States.ALL"]},{"ErrorEquals":["Y"]}],"End":true}`), "States.ALL must appear alone"},
		{"States.ALL in a catcher that is not last", states(`"A":{"Type":"Task","Resource":"arn:aws:lambda:us-east-1:1:function:f","Catch":[{"ErrorEquals":["States.ALL"],"Next":"B"},{"ErrorEquals":["X"],"Next":"B"}],"End":true},"B":{"Type":"Succeed"}`), "States.ALL must appear alone"},
		{"unknown JitterStrategy", states(`"A":{"Type":"Task","Resource":"arn:aws:lambda:us-east-1:1:function:f","Retry":[{"ErrorEquals":["X"],"JitterStrategy":"SOME"}],"End":true}`), "JitterStrategy"},
		{"empty ErrorEquals", states(`"A":{"Type":"Task","Resource":"arn:aws:lambda:us-east-1:1:function:f","Retry":[{"ErrorEquals":[]}],"End":true}`), "ErrorEquals must be a non-empty array"},
		{"Timeout and TimeoutPath", states(`"A":{"Type":"Task","Resource":"arn:aws:lambda:us-east-1:1:function:f","TimeoutSeconds":5,"TimeoutSecondsPath":"$.t","End":true}`), "mutually exclusive"},
		{"heartbeat not below timeout", states(`"A":{"Type":"Task","Resource":"arn:aws:lambda:us-east-1:1:function:f","TimeoutSeconds":5,"HeartbeatSeconds":5,"End":true}`), "HeartbeatSeconds must be smaller"},
		{"zero TimeoutSeconds", states(`"A":{"Type":"Task","Resource":"arn:aws:lambda:us-east-1:1:function:f","TimeoutSeconds":0,"End":true}`), "TimeoutSeconds must be an integer of at least 1"},
		{"missing Resource", states(`"A":{"Type":"Task","End":true}`), "Resource is required"},
		{"Resource not an ARN", states(`"A":{"Type":"Task","Resource":"myFunction","End":true}`), "is not an ARN"},
		{"sync integration", states(`"A":{"Type":"Task","Resource":"arn:aws:states:::states:startExecution.sync:2","End":true}`), ".sync integrations are not supported"},
		{"lambda:invoke without FunctionName", states(`"A":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","Parameters":{"Payload":{}},"End":true}`), "needs Parameters.FunctionName"},
		{"Wait with two durations", states(`"A":{"Type":"Wait","Seconds":5,"SecondsPath":"$.s","End":true}`), "exactly one of Seconds"},
		{"Wait without duration", states(`"A":{"Type":"Wait","End":true}`), "exactly one of Seconds"},
		{"negative Seconds", states(`"A":{"Type":"Wait","Seconds":-1,"End":true}`), "Seconds must be an integer of at least 0"},
		{"bad Wait timestamp", states(`"A":{"Type":"Wait","Timestamp":"2024-01-01 00:00:00","End":true}`), "not an RFC 3339 timestamp"},
		{"Parameters path without $", states(`"A":{"Type":"Pass","Parameters":{"x.$":"x"},"End":true}`), "must start with '$'"},
		{"Parameters path not a string", states(`"A":{"Type":"Pass","Parameters":{"x.$":5},"End":true}`), "must be a string path"},
		{"duplicate Parameters field", states(`"A":{"Type":"Pass","Parameters":{"x":1,"x.$":"$.y"},"End":true}`), `both produce "x"`},
		{"unknown intrinsic", states(`"A":{"Type":"Pass","Parameters":{"x.$":"States.Nope($.a)"},"End":true}`), "unknown intrinsic function States.Nope"},
		{"intrinsic arity", states(`"A":{"Type":"Pass","Parameters":{"x.$":"States.ArrayLength($.a, $.b)"},"End":true}`), "takes 1 arguments, got 2"},
		{"Format placeholders", states(`"A":{"Type":"Pass","Parameters":{"x.$":"States.Format('{} and {}', $.a)"},"End":true}`), "2 placeholders but 1 values"},
		{"bad escape", states(`"A":{"Type":"Pass","Parameters":{"x.$":"States.Format('\\n {}', $.a)"},"End":true}`), `invalid escape \n`},
		{"ResultSelector not an object", states(`"A":{"Type":"Task","Resource":"arn:aws:lambda:us-east-1:1:function:f","ResultSelector":"$","End":true}`), "ResultSelector must be an object"},
		{"indefinite ResultPath", states(`"A":{"Type":"Pass","ResultPath":"$.items[*]","End":true}`), "reference path"},
		{"ResultPath into the context", states(`"A":{"Type":"Pass","ResultPath":"$$.Execution","End":true}`), "context object"},
		{"bad InputPath", states(`"A":{"Type":"Pass","InputPath":"$.a[","End":true}`), "InputPath"},
		{"Map without processor", states(`"A":{"Type":"Map","End":true}`), "needs ItemProcessor"},
		{"inline Map with ItemReader", states(`"A":{"Type":"Map","ItemReader":{},"ItemProcessor":{"StartAt":"B","States":{"B":{"Type":"Succeed"}}},"End":true}`), "ItemReader needs ItemProcessor.ProcessorConfig.Mode DISTRIBUTED"},
		{"distributed without ExecutionType", states(`"A":{"Type":"Map","ItemProcessor":{"ProcessorConfig":{"Mode":"DISTRIBUTED"},"StartAt":"B","States":{"B":{"Type":"Succeed"}}},"End":true}`), "needs ExecutionType"},
		{"ItemReader resource", states(`"A":{"Type":"Map","ItemReader":{"Resource":"arn:aws:states:::dynamodb:scan","Parameters":{}},"ItemProcessor":{"ProcessorConfig":{"Mode":"DISTRIBUTED","ExecutionType":"STANDARD"},"StartAt":"B","States":{"B":{"Type":"Succeed"}}},"End":true}`), "is not supported"},
		{"ItemReader without InputType", states(`"A":{"Type":"Map","ItemReader":{"Resource":"arn:aws:states:::s3:getObject","Parameters":{"Bucket":"b","Key":"k"}},"ItemProcessor":{"ProcessorConfig":{"Mode":"DISTRIBUTED","ExecutionType":"STANDARD"},"StartAt":"B","States":{"B":{"Type":"Succeed"}}},"End":true}`), "InputType"},
		{"CSV without headers", states(`"A":{"Type":"Map","ItemReader":{"Resource":"arn:aws:states:::s3:getObject","ReaderConfig":{"InputType":"CSV","CSVHeaderLocation":"GIVEN"},"Parameters":{"Bucket":"b","Key":"k"}},"ItemProcessor":{"ProcessorConfig":{"Mode":"DISTRIBUTED","ExecutionType":"STANDARD"},"StartAt":"B","States":{"B":{"Type":"Succeed"}}},"End":true}`), "GIVEN needs CSVHeaders"},
		{"empty ItemBatcher", states(`"A":{"Type":"Map","ItemBatcher":{},"ItemProcessor":{"ProcessorConfig":{"Mode":"DISTRIBUTED","ExecutionType":"STANDARD"},"StartAt":"B","States":{"B":{"Type":"Succeed"}}},"End":true}`), "needs MaxItemsPerBatch"},
		{"batch bytes over 256 KiB", states(`"A":{"Type":"Map","ItemBatcher":{"MaxInputBytesPerBatch":262145},"ItemProcessor":{"ProcessorConfig":{"Mode":"DISTRIBUTED","ExecutionType":"STANDARD"},"StartAt":"B","States":{"B":{"Type":"Succeed"}}},"End":true}`), "MaxInputBytesPerBatch"},
		{"ResultWriter resource", states(`"A":{"Type":"Map","ResultWriter":{"Resource":"arn:aws:states:::s3:getObject","Parameters":{"Bucket":"b"}},"ItemProcessor":{"ProcessorConfig":{"Mode":"DISTRIBUTED","ExecutionType":"STANDARD"},"StartAt":"B","States":{"B":{"Type":"Succeed"}}},"End":true}`), "Resource must be arn:aws:states:::s3:putObject"},
		{"tolerated percentage", states(`"A":{"Type":"Map","ToleratedFailurePercentage":101,"ItemProcessor":{"ProcessorConfig":{"Mode":"DISTRIBUTED","ExecutionType":"STANDARD"},"StartAt":"B","States":{"B":{"Type":"Succeed"}}},"End":true}`), "from 0 to 100"},
		{"tolerated count and path", states(`"A":{"Type":"Map","ToleratedFailureCount":1,"ToleratedFailureCountPath":"$.n","ItemProcessor":{"ProcessorConfig":{"Mode":"DISTRIBUTED","ExecutionType":"STANDARD"},"StartAt":"B","States":{"B":{"Type":"Succeed"}}},"End":true}`), "mutually exclusive"},
		{"Map with both selectors", states(`"A":{"Type":"Map","Parameters":{},"ItemSelector":{},"ItemProcessor":{"StartAt":"B","States":{"B":{"Type":"Succeed"}}},"End":true}`), "mutually exclusive"},
		{"Map processor problem", states(`"A":{"Type":"Map","ItemProcessor":{"StartAt":"B","States":{"B":{"Type":"Pass"}}},"End":true}`), "A.ItemProcessor.States.B: a Pass state needs Next"},
		{"bad ProcessorConfig", states(`"A":{"Type":"Map","ItemProcessor":{"ProcessorConfig":{"Mode":"FAST"},"StartAt":"B","States":{"B":{"Type":"Succeed"}}},"End":true}`), "Mode must be INLINE or DISTRIBUTED"},
		{"empty Branches", states(`"A":{"Type":"Parallel","Branches":[],"End":true}`), "Branches must be a non-empty array"},
		{"branch problem", states(`"A":{"Type":"Parallel","Branches":[{"StartAt":"X","States":{"Y":{"Type":"Succeed"}}}],"End":true}`), `StartAt "X" is not a state`},
		{"Error and ErrorPath", states(`"A":{"Type":"Fail","Error":"E","ErrorPath":"$.e"}`), "Error and ErrorPath are mutually exclusive"},
		{"state name in a branch and at the top", `{"StartAt":"P","States":{"P":{"Type":"Parallel","Next":"Done","Branches":[{"StartAt":"Done","States":{"Done":{"Type":"Succeed"}}}]},"Done":{"Type":"Succeed"}}}`, `state name "Done" is not unique`},
		{"state name in two branches", `{"StartAt":"P","States":{"P":{"Type":"Parallel","End":true,"Branches":[{"StartAt":"Work","States":{"Work":{"Type":"Succeed"}}},{"StartAt":"Work","States":{"Work":{"Type":"Succeed"}}}]}}}`, `state name "Work" is not unique`},
		{"state name in a Map processor and at the top", states(`"A":{"Type":"Map","ItemProcessor":{"StartAt":"A","States":{"A":{"Type":"Succeed"}}},"End":true}`), `state name "A" is not unique`},
		{"state name in a legacy Iterator", states(`"A":{"Type":"Map","Iterator":{"StartAt":"I","States":{"I":{"Type":"Pass","Next":"B"},"B":{"Type":"Succeed"}}},"Next":"B"},"B":{"Type":"Succeed"}`), `state name "B" is not unique`},
		{"state name in a Map inside a branch", `{"StartAt":"P","States":{"P":{"Type":"Parallel","End":true,"Branches":[{"StartAt":"M","States":{"M":{"Type":"Map","End":true,"ItemProcessor":{"StartAt":"P","States":{"P":{"Type":"Succeed"}}}}}}]}}}`, `state name "P" is not unique`},
		{"state name written twice in one States object", states(`"A":{"Type":"Pass","Next":"B"},"B":{"Type":"Succeed"},"A":{"Type":"Succeed"}`), `States.A: state name "A" is not unique`},
		{"names unique across scopes", `{"StartAt":"P","States":{"P":{"Type":"Parallel","End":true,"Branches":[{"StartAt":"B1","States":{"B1":{"Type":"Succeed"}}},{"StartAt":"B2","States":{"B2":{"Type":"Map","End":true,"ItemProcessor":{"StartAt":"I","States":{"I":{"Type":"Succeed"}}}}}}]}}}`, ""},
		{"Version", `{"Version":"2.0","StartAt":"A","States":{"A":{"Type":"Succeed"}}}`, `Version must be "1.0"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := ValidateDefinition([]byte(tt.definition))
			if tt.problem == "" {
				if err != nil {
					t.Fatalf("valid definition rejected: %v", err)
				}
				return
			}
			var defErr *DefinitionError
			if !errors.As(err, &defErr) {
				t.Fatalf("got %v, want a DefinitionError mentioning %q", err, tt.problem)
			}
			if !strings.Contains(err.Error(), tt.problem) {
				t.Errorf("got %v\nwant a problem mentioning %q", err, tt.problem)
			}
		})
	}
}

func TestDefinitionValidationReportsEveryProblem(t *testing.T) {
	err := ValidateDefinition([]byte(`{"StartAt":"A","States":{
	  "A":{"Type":"Pass","Next":"Gone"},
	  "B":{"Type":"Wait","End":true},
	  "C":{"Type":"Sleep"}}}`))
	var defErr *DefinitionError
	if !errors.As(err, &defErr) {
		t.Fatalf("got %v", err)
	}
	for _, want := range []string{`transition to "Gone"`, "exactly one of Seconds", `unknown state type "Sleep"`, "not reachable"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("%v\ndoes not mention %q", err, want)
		}
	}
}

func TestRegisterStateMachineSubstitutions(t *testing.T) {
	e := NewEngine()
	defer e.Close()
	definition := []byte(`{"StartAt":"A","States":{"A":{"Type":"Task","Resource":"${WorkFunctionArn}","End":true}}}`)
	if _, err := e.RegisterStateMachine("Sub", definition, nil); err == nil || !strings.Contains(err.Error(), "no substitution for ${WorkFunctionArn}") {
		t.Errorf("missing substitution: got %v", err)
	}
	arn, err := e.RegisterStateMachine("Sub", definition, map[string]string{"WorkFunctionArn": functionArn("Work")})
	if err != nil {
		t.Fatal(err)
	}
	if arn != "arn:aws:states:us-east-1:123456789012:stateMachine:Sub" {
		t.Errorf("ARN %s", arn)
	}
	if _, err := e.RegisterStateMachine("bad name", definition, nil); err == nil {
		t.Error("a state machine name with a space was accepted")
	}
}
