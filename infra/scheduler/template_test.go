package scheduler

import (
	"strings"
	"testing"
	"time"

	"productgov"
)

// scheduledTemplate declares schedules the way template.yaml will: Globals,
// short tags (!Ref, !GetAtt, !Sub) around them, a function and a state
// machine with ScheduleV2 events, and one disabled schedule.
const scheduledTemplate = `
AWSTemplateFormatVersion: "2010-09-09"
Transform: AWS::Serverless-2016-10-31
Parameters:
  StageName: {Type: String, Default: prod}
Globals:
  Function:
    Runtime: provided.al2023
    Architectures: [arm64]
    Handler: bootstrap
    Environment:
      Variables:
        TABLE_NAME: !Ref Table
Resources:
  Table:
    Type: AWS::DynamoDB::Table
    Properties:
      BillingMode: PAY_PER_REQUEST
  AccrualFunction:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: functions/accrual/
      Policies:
        - Statement:
            - Effect: Allow
              Action: [dynamodb:Query]
              Resource: [!GetAtt Table.Arn, !Sub "${Table.Arn}/index/*"]
      Events:
        Api:
          Type: HttpApi
          Properties: {ApiId: !Ref HttpApi, Path: /accruals, Method: POST}
        MonthlyAccrual:
          Type: ScheduleV2
          Properties:
            ScheduleExpression: cron(0 1 1 * ? *)
            ScheduleExpressionTimezone: Asia/Shanghai
            Input: '{"job":"accrual"}'
            RoleArn: !GetAtt SchedulerRole.Arn
            RetryPolicy:
              MaximumRetryAttempts: 3
              MaximumEventAgeInSeconds: 3600
            DeadLetterConfig:
              Type: SQS
  MonthlyAssessmentStateMachine:
    Type: AWS::Serverless::StateMachine
    Properties:
      DefinitionUri: statemachines/monthly-assessment.asl.json
      DefinitionSubstitutions:
        AssessFunctionArn: !GetAtt AssessFunction.Arn
      Events:
        Monthly:
          Type: ScheduleV2
          Properties:
            ScheduleExpression: "cron(0 2 1 * ? *)"
            ScheduleExpressionTimezone: Asia/Shanghai
        Rehearsal:
          Type: ScheduleV2
          Properties:
            ScheduleExpression: cron(0 2 15 * ? *)
            ScheduleExpressionTimezone: Asia/Shanghai
            State: DISABLED
            Input: |
              {"rehearsal": true}
  QuarterlySettlementStateMachine:
    Type: AWS::Serverless::StateMachine
    Properties:
      DefinitionUri: ./statemachines/quarterly-settlement.asl.json
      Events:
        Quarterly:
          Type: ScheduleV2
          Properties:
            ScheduleExpression: cron(0 3 5 1,4,7,10 ? *)
  OldStyleFunction:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: functions/old
      Events:
        Nightly:
          Type: Schedule
          Properties: {Schedule: rate(1 day)}
Outputs:
  TableName:
    Value: !Ref Table
`

// TestFromTemplate reads every ScheduleV2 event of a template, and nothing else.
func TestFromTemplate(t *testing.T) {
	entries, err := FromTemplate([]byte(scheduledTemplate))
	if err != nil {
		t.Fatal(err)
	}
	want := []Entry{
		{
			Name: "AccrualFunction/MonthlyAccrual", ResourceID: "AccrualFunction", ResourceType: ResourceFunction,
			FunctionFolder: "accrual", Expression: "cron(0 1 1 * ? *)", Timezone: "Asia/Shanghai",
			Input: `{"job":"accrual"}`, State: StateEnabled, MaxRetryAttempts: 3, DeadLetter: true,
		},
		{
			Name: "MonthlyAssessmentStateMachine/Monthly", ResourceID: "MonthlyAssessmentStateMachine",
			ResourceType: ResourceStateMachine, DefinitionFile: "statemachines/monthly-assessment.asl.json",
			Expression: "cron(0 2 1 * ? *)", Timezone: "Asia/Shanghai", Input: "{}", State: StateEnabled, MaxRetryAttempts: 185,
		},
		{
			Name: "MonthlyAssessmentStateMachine/Rehearsal", ResourceID: "MonthlyAssessmentStateMachine",
			ResourceType: ResourceStateMachine, DefinitionFile: "statemachines/monthly-assessment.asl.json",
			Expression: "cron(0 2 15 * ? *)", Timezone: "Asia/Shanghai", Input: "{\"rehearsal\": true}\n", State: StateDisabled, MaxRetryAttempts: 185,
		},
		{
			// No ScheduleExpressionTimezone: UTC, as on AWS.
			Name: "QuarterlySettlementStateMachine/Quarterly", ResourceID: "QuarterlySettlementStateMachine",
			ResourceType: ResourceStateMachine, DefinitionFile: "statemachines/quarterly-settlement.asl.json",
			Expression: "cron(0 3 5 1,4,7,10 ? *)", Timezone: "UTC", Input: "{}", State: StateEnabled, MaxRetryAttempts: 185,
		},
	}
	if len(entries) != len(want) {
		t.Fatalf("got %d entries; want %d: %+v", len(entries), len(want), entries)
	}
	for i, got := range entries {
		if got.Schedule == nil || got.Schedule.String() != got.Expression {
			t.Errorf("entry %d (%s): Schedule %v does not hold %q", i, got.Name, got.Schedule, got.Expression)
		}
		got.Schedule = nil
		if got != want[i] {
			t.Errorf("entry %d:\n got  %+v\n want %+v", i, got, want[i])
		}
	}
	if entries[2].Enabled() || !entries[1].Enabled() {
		t.Errorf("Enabled: Rehearsal %v, Monthly %v; want false, true", entries[2].Enabled(), entries[1].Enabled())
	}

	// The schedules are parsed in their time zones.
	after := mustTime(t, "2026-11-22T00:00:00Z")
	for _, c := range []struct {
		entry int
		want  string
	}{
		{1, "2026-11-30T18:00:00Z"}, // Dec 1 02:00 in Shanghai
		{3, "2027-01-05T03:00:00Z"}, // Jan 5 03:00 in UTC
	} {
		if got, _ := entries[c.entry].Schedule.Next(after); !got.Equal(mustTime(t, c.want)) {
			t.Errorf("%s: next after %s = %s; want %s", entries[c.entry].Name, after, got.UTC(), c.want)
		}
	}
}

// TestFromTemplateGlobalCodeURI checks that a function without a CodeUri of
// its own takes the one in Globals.
func TestFromTemplateGlobalCodeURI(t *testing.T) {
	const template = `
Globals:
  Function:
    CodeUri: functions/jobs/
Resources:
  JobsFunction:
    Type: AWS::Serverless::Function
    Properties:
      Events:
        Hourly:
          Type: ScheduleV2
          Properties: {ScheduleExpression: rate(1 hour), ScheduleExpressionTimezone: Asia/Shanghai}
`
	entries, err := FromTemplate([]byte(template))
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 || entries[0].FunctionFolder != "jobs" {
		t.Fatalf("entries = %+v; want one for folder jobs", entries)
	}
}

// TestFromTemplateRepository checks that the repository's own template.yaml
// reads cleanly and that each schedule it declares can be fired.
func TestFromTemplateRepository(t *testing.T) {
	entries, err := FromTemplate(productgov.Template)
	if err != nil {
		t.Fatalf("template.yaml: %v", err)
	}
	for _, e := range entries {
		if _, ok := e.Schedule.Next(time.Now()); !ok && e.Enabled() {
			t.Errorf("template.yaml: %s: %s never fires again", e.Name, e.Expression)
		}
	}
	t.Logf("template.yaml declares %d schedules", len(entries))
}

// TestFromTemplateErrors checks that a broken schedule is reported with the
// resource and event at fault, and that every problem is reported at once.
func TestFromTemplateErrors(t *testing.T) {
	const head = "Resources:\n"
	function := func(codeURI, properties string) string {
		return `  JobFunction:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: ` + codeURI + `
      Events:
        Job:
          Type: ScheduleV2
          Properties:
` + properties
	}
	tests := []struct {
		name     string
		template string
		want     []string
	}{
		{"not YAML", "Resources: [", []string{"scheduler: template: yaml:"}},
		{"no Resources", "Outputs: {}\n", []string{"no Resources mapping"}},
		{"bad cron", head + function("functions/job/", "            ScheduleExpression: cron(0 0 ? * 8 *)\n"),
			[]string{"JobFunction/Job: ScheduleExpression: cron(0 0 ? * 8 *): day-of-week: 8 is out of range 1-7"}},
		{"no expression", head + function("functions/job/", "            State: ENABLED\n"),
			[]string{"JobFunction/Job: ScheduleExpression is missing"}},
		{"expression through !Sub", head + function("functions/job/", "            ScheduleExpression: !Sub 'cron(0 ${H} * * ? *)'\n"),
			[]string{"JobFunction/Job: ScheduleExpression uses !Sub, which is not resolved locally"}},
		{"bad time zone", head + function("functions/job/", "            ScheduleExpression: rate(1 day)\n            ScheduleExpressionTimezone: Asia/Peking\n"),
			[]string{`JobFunction/Job: ScheduleExpression: time zone "Asia/Peking"`}},
		{"bad state", head + function("functions/job/", "            ScheduleExpression: rate(1 day)\n            State: PAUSED\n"),
			[]string{`JobFunction/Job: State is "PAUSED"; want ENABLED or DISABLED`}},
		{"input not JSON", head + function("functions/job/", "            ScheduleExpression: rate(1 day)\n            Input: not json\n"),
			[]string{`JobFunction/Job: Input is not JSON: "not json"`}},
		{"input as a mapping", head + function("functions/job/", "            ScheduleExpression: rate(1 day)\n            Input: {a: 1}\n"),
			[]string{"JobFunction/Job: Input is not a string"}},
		{"no properties", head + "  JobFunction:\n    Type: AWS::Serverless::Function\n    Properties:\n      CodeUri: functions/job/\n      Events:\n        Job: {Type: ScheduleV2}\n",
			[]string{"JobFunction/Job: ScheduleV2 event has no Properties"}},
		{"code elsewhere", head + function("s3://bucket/job.zip", "            ScheduleExpression: rate(1 day)\n"),
			[]string{`JobFunction: CodeUri "s3://bucket/job.zip" is not of the form functions/<name>/`}},
		{"state machine without a file", head + `  Flow:
    Type: AWS::Serverless::StateMachine
    Properties:
      Definition: {StartAt: A, States: {A: {Type: Succeed}}}
      Events:
        Nightly:
          Type: ScheduleV2
          Properties: {ScheduleExpression: "cron(0 0 * * ? *)"}
`, []string{"Flow: DefinitionUri is not a plain path"}},
		{"every problem at once", head + function("functions/job/", "            ScheduleExpression: cron(0 0 * * * *)\n") + `        Other:
          Type: ScheduleV2
          Properties: {ScheduleExpression: rate(1 minutes)}
`, []string{"JobFunction/Job: ScheduleExpression: cron(0 0 * * * *): day-of-month (*) and day-of-week (*) are both set",
			`JobFunction/Other: ScheduleExpression: rate(1 minutes): unit "minutes" must be singular`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			entries, err := FromTemplate([]byte(tt.template))
			if err == nil {
				t.Fatalf("FromTemplate succeeded with %+v; want errors containing %q", entries, tt.want)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
		})
	}
}
