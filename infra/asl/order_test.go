package asl

import (
	"testing"
)

// TestExecutionKeepsMemberOrderAndNumbers runs definitions through the
// engine and compares the execution output as text: object members keep the
// order they were written in (as on Step Functions) and numbers pass through
// unchanged, however large or precise.
func TestExecutionKeepsMemberOrderAndNumbers(t *testing.T) {
	pass := func(fields string) string {
		return `{"StartAt":"S","States":{"S":{"Type":"Pass",` + fields + `"End":true}}}`
	}
	tests := []struct {
		name       string
		definition string
		input      string
		want       string
	}{
		{
			name:       "Pass keeps the input",
			definition: pass(``),
			input:      `{"z":1,"a":{"y":2,"b":[{"q":1,"c":2}]},"m":null}`,
			want:       `{"z":1,"a":{"y":2,"b":[{"q":1,"c":2}]},"m":null}`,
		},
		{
			name:       "large and precise numbers",
			definition: pass(``),
			input:      `{"big":123456789012345678901234567890,"dec":0.1000000000000000055511151231257827,"one":1.0,"exp":1E+2,"neg":-98765432109876543210}`,
			want:       `{"big":123456789012345678901234567890,"dec":0.1000000000000000055511151231257827,"one":1.0,"exp":1E+2,"neg":-98765432109876543210}`,
		},
		{
			name:       "InputPath and OutputPath",
			definition: pass(`"InputPath":"$.in","OutputPath":"$.out",`),
			input:      `{"in":{"out":{"z":123456789012345678901234567890,"a":0.30000000000000000001}}}`,
			want:       `{"z":123456789012345678901234567890,"a":0.30000000000000000001}`,
		},
		{
			name:       "Parameters in the order written",
			definition: pass(`"Parameters":{"z.$":"$.b","y":"lit","x.$":"$.a","w":{"v":1,"u":2}},`),
			input:      `{"a":1.50,"b":{"k2":2,"k1":1}}`,
			want:       `{"z":{"k2":2,"k1":1},"y":"lit","x":1.50,"w":{"v":1,"u":2}}`,
		},
		{
			name:       "Result in the order written",
			definition: pass(`"Result":{"z":1,"a":99999999999999999999.5},"ResultPath":"$.r",`),
			input:      `{"k":1}`,
			want:       `{"k":1,"r":{"z":1,"a":99999999999999999999.5}}`,
		},
		{
			name:       "ResultPath replaces a member in place and appends a new one",
			definition: `{"StartAt":"A","States":{"A":{"Type":"Pass","Result":"x","ResultPath":"$.b","Next":"B"},"B":{"Type":"Pass","Result":"y","ResultPath":"$.n.m","End":true}}}`,
			input:      `{"c":1,"b":2,"a":3}`,
			want:       `{"c":1,"b":"x","a":3,"n":{"m":"y"}}`,
		},
		{
			name: "Task result, ResultSelector and the handler's input",
			definition: `{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"${EchoFunctionArn}",
				"Parameters":{"z.$":"$.z","a.$":"$.a"},"ResultSelector":{"second.$":"$.a","first.$":"$.z"},"ResultPath":"$.r","End":true}}}`,
			input: `{"a":123456789012345678901234567890,"z":{"y":1,"x":2.0}}`,
			want:  `{"a":123456789012345678901234567890,"z":{"y":1,"x":2.0},"r":{"second":123456789012345678901234567890,"first":{"y":1,"x":2.0}}}`,
		},
		{
			name: "Map results and ItemSelector",
			definition: `{"StartAt":"M","States":{"M":{"Type":"Map","ItemsPath":"$.items",
				"ItemSelector":{"v.$":"$$.Map.Item.Value","i.$":"$$.Map.Item.Index"},
				"ItemProcessor":{"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}},"End":true}}}`,
			input: `{"items":[{"z":1,"a":2},{"y":10000000000000000000000}]}`,
			want:  `[{"v":{"z":1,"a":2},"i":0},{"v":{"y":10000000000000000000000},"i":1}]`,
		},
		{
			name: "Parallel results",
			definition: `{"StartAt":"P","States":{"P":{"Type":"Parallel","End":true,"Branches":[
				{"StartAt":"B1","States":{"B1":{"Type":"Pass","End":true}}},
				{"StartAt":"B2","States":{"B2":{"Type":"Pass","Result":{"q":1,"p":2},"End":true}}}]}}}`,
			input: `{"s":1,"r":2}`,
			want:  `[{"s":1,"r":2},{"q":1,"p":2}]`,
		},
		{
			name:       "the context object in the documented order",
			definition: pass(`"Parameters":{"sm.$":"$$.StateMachine","state.$":"$$.State"},`),
			input:      `{}`,
			want:       `{"sm":{"Id":"arn:aws:states:us-east-1:123456789012:stateMachine:Golden","Name":"Golden"},"state":{"EnteredTime":"2024-01-01T00:00:00.000Z","Name":"S","RetryCount":0}}`,
		},
		{
			name: "the error output of a Catch",
			definition: `{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"${FailFunctionArn}","Parameters":{"error":"E","cause":"C"},
				"Catch":[{"ErrorEquals":["States.ALL"],"ResultPath":"$.err","Next":"D"}],"End":true},"D":{"Type":"Succeed"}}}`,
			input: `{"z":1}`,
			want:  `{"z":1,"err":{"Error":"E","Cause":"C"}}`,
		},
		{
			name:       "intrinsics keep order and numbers",
			definition: pass(`"Parameters":{"s.$":"States.JsonToString($.o)","m.$":"States.JsonMerge($.o, $.p, false)","j.$":"States.StringToJson('{\"y\":1.0,\"x\":2}')","a.$":"States.Array($.o.n, 1.50)","f.$":"States.Format('{}', $.o)"},`),
			input:      `{"o":{"z":1,"n":123456789012345678901234567890,"a":2},"p":{"b":3,"z":4}}`,
			want:       `{"s":"{\"z\":1,\"n\":123456789012345678901234567890,\"a\":2}","m":{"z":4,"n":123456789012345678901234567890,"a":2,"b":3},"j":{"y":1.0,"x":2},"a":[123456789012345678901234567890,1.50],"f":"{z=1, n=123456789012345678901234567890, a=2}"}`,
		},
		{
			name:       "wildcards in member order, filters on written numbers",
			definition: pass(`"Parameters":{"all.$":"$.o.*","big.$":"$.list[?(@.n > 1)].id"},`),
			input:      `{"o":{"z":1,"a":2,"m":3},"list":[{"id":"a","n":1.0},{"id":"b","n":2.50},{"id":"c","n":10000000000000000000000}]}`,
			want:       `{"all":[1,2,3],"big":["b","c"]}`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := runGoldenDefinition(t, []byte(tt.definition), tt.input)
			if got.Status != StatusSucceeded {
				t.Fatalf("status %s (%s: %s)", got.Status, got.Error, got.Cause)
			}
			if got.rawOutput != tt.want {
				t.Errorf("output\n got %s\nwant %s", got.rawOutput, tt.want)
			}
		})
	}
}
