package awslocal

import (
	"context"
	"net/http"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	sfntypes "github.com/aws/aws-sdk-go-v2/service/sfn/types"
)

// StepFunctionsAPI is what the local engine offers (infra/asl.Engine).
type StepFunctionsAPI interface {
	StartExecution(ctx context.Context, params *sfn.StartExecutionInput, optFns ...func(*sfn.Options)) (*sfn.StartExecutionOutput, error)
	DescribeExecution(ctx context.Context, params *sfn.DescribeExecutionInput, optFns ...func(*sfn.Options)) (*sfn.DescribeExecutionOutput, error)
	SendTaskSuccess(ctx context.Context, params *sfn.SendTaskSuccessInput, optFns ...func(*sfn.Options)) (*sfn.SendTaskSuccessOutput, error)
	SendTaskFailure(ctx context.Context, params *sfn.SendTaskFailureInput, optFns ...func(*sfn.Options)) (*sfn.SendTaskFailureOutput, error)
	SendTaskHeartbeat(ctx context.Context, params *sfn.SendTaskHeartbeatInput, optFns ...func(*sfn.Options)) (*sfn.SendTaskHeartbeatOutput, error)
	StopExecution(ctx context.Context, params *sfn.StopExecutionInput, optFns ...func(*sfn.Options)) (*sfn.StopExecutionOutput, error)
	ListExecutions(ctx context.Context, params *sfn.ListExecutionsInput, optFns ...func(*sfn.Options)) (*sfn.ListExecutionsOutput, error)
	GetExecutionHistory(ctx context.Context, params *sfn.GetExecutionHistoryInput, optFns ...func(*sfn.Options)) (*sfn.GetExecutionHistoryOutput, error)
	DescribeMapRun(ctx context.Context, params *sfn.DescribeMapRunInput, optFns ...func(*sfn.Options)) (*sfn.DescribeMapRunOutput, error)
	ListMapRuns(ctx context.Context, params *sfn.ListMapRunsInput, optFns ...func(*sfn.Options)) (*sfn.ListMapRunsOutput, error)
}

// StepFunctions serves the Step Functions API (AWS JSON 1.0) on an engine.
type StepFunctions struct {
	Engine StepFunctionsAPI
}

// request carries the members of every served operation's input, named as on
// the wire.
type sfnRequest struct {
	StateMachineArn string  `json:"stateMachineArn"`
	ExecutionArn    string  `json:"executionArn"`
	Name            string  `json:"name"`
	Input           *string `json:"input"`
	TaskToken       string  `json:"taskToken"`
	Output          string  `json:"output"`
	Error           string  `json:"error"`
	Cause           string  `json:"cause"`
	StatusFilter    string  `json:"statusFilter"`
	MaxResults      int32   `json:"maxResults"`
	NextToken       string  `json:"nextToken"`
	ReverseOrder    bool    `json:"reverseOrder"`
	MapRunArn       string  `json:"mapRunArn"`
}

func (s *StepFunctions) serve(w http.ResponseWriter, r *http.Request, op string) {
	var in sfnRequest
	if err := readJSON(r, &in); err != nil {
		writeError(w, "1.0", http.StatusBadRequest, "SerializationException", err.Error())
		return
	}
	ctx := r.Context()
	var out any
	var err error
	switch op {
	case "StartExecution":
		var res *sfn.StartExecutionOutput
		res, err = s.Engine.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: aws.String(in.StateMachineArn), Name: optional(in.Name), Input: in.Input})
		if err == nil {
			out = map[string]any{"executionArn": aws.ToString(res.ExecutionArn), "startDate": epoch(res.StartDate)}
		}
	case "DescribeExecution":
		var res *sfn.DescribeExecutionOutput
		res, err = s.Engine.DescribeExecution(ctx, &sfn.DescribeExecutionInput{ExecutionArn: aws.String(in.ExecutionArn)})
		if err == nil {
			out = describeJSON(res)
		}
	case "SendTaskSuccess":
		_, err = s.Engine.SendTaskSuccess(ctx, &sfn.SendTaskSuccessInput{TaskToken: aws.String(in.TaskToken), Output: aws.String(in.Output)})
		out = map[string]any{}
	case "SendTaskFailure":
		_, err = s.Engine.SendTaskFailure(ctx, &sfn.SendTaskFailureInput{TaskToken: aws.String(in.TaskToken), Error: optional(in.Error), Cause: optional(in.Cause)})
		out = map[string]any{}
	case "SendTaskHeartbeat":
		_, err = s.Engine.SendTaskHeartbeat(ctx, &sfn.SendTaskHeartbeatInput{TaskToken: aws.String(in.TaskToken)})
		out = map[string]any{}
	case "StopExecution":
		var res *sfn.StopExecutionOutput
		res, err = s.Engine.StopExecution(ctx, &sfn.StopExecutionInput{ExecutionArn: aws.String(in.ExecutionArn), Error: optional(in.Error), Cause: optional(in.Cause)})
		if err == nil {
			out = map[string]any{"stopDate": epoch(res.StopDate)}
		}
	case "ListExecutions":
		var res *sfn.ListExecutionsOutput
		res, err = s.Engine.ListExecutions(ctx, &sfn.ListExecutionsInput{StateMachineArn: optional(in.StateMachineArn), MapRunArn: optional(in.MapRunArn),
			StatusFilter: sfntypes.ExecutionStatus(in.StatusFilter), MaxResults: in.MaxResults, NextToken: optional(in.NextToken)})
		if err == nil {
			out = listJSON(res)
		}
	case "GetExecutionHistory":
		var res *sfn.GetExecutionHistoryOutput
		res, err = s.Engine.GetExecutionHistory(ctx, &sfn.GetExecutionHistoryInput{ExecutionArn: aws.String(in.ExecutionArn),
			MaxResults: in.MaxResults, NextToken: optional(in.NextToken), ReverseOrder: in.ReverseOrder})
		if err == nil {
			out = historyJSON(res)
		}
	case "DescribeMapRun":
		var res *sfn.DescribeMapRunOutput
		res, err = s.Engine.DescribeMapRun(ctx, &sfn.DescribeMapRunInput{MapRunArn: aws.String(in.MapRunArn)})
		if err == nil {
			out = mapRunJSON(res)
		}
	case "ListMapRuns":
		var res *sfn.ListMapRunsOutput
		res, err = s.Engine.ListMapRuns(ctx, &sfn.ListMapRunsInput{ExecutionArn: aws.String(in.ExecutionArn), MaxResults: in.MaxResults, NextToken: optional(in.NextToken)})
		if err == nil {
			out = mapRunsJSON(res)
		}
	default:
		writeError(w, "1.0", http.StatusBadRequest, "UnknownOperationException", "the local Step Functions does not serve "+op)
		return
	}
	if err != nil {
		writeAPIError(w, "1.0", err)
		return
	}
	writeJSON(w, "1.0", out)
}

func optional(s string) *string {
	if s == "" {
		return nil
	}
	return aws.String(s)
}

// epoch renders a timestamp as AWS JSON does: seconds since the epoch.
func epoch(t *time.Time) any {
	if t == nil {
		return nil
	}
	return float64(t.UnixMilli()) / 1000
}

func describeJSON(d *sfn.DescribeExecutionOutput) map[string]any {
	m := map[string]any{
		"executionArn": aws.ToString(d.ExecutionArn), "stateMachineArn": aws.ToString(d.StateMachineArn),
		"name": aws.ToString(d.Name), "status": string(d.Status), "startDate": epoch(d.StartDate),
		"input": aws.ToString(d.Input), "inputDetails": map[string]bool{"included": true}, "redriveCount": 0,
	}
	if d.StopDate != nil {
		m["stopDate"] = epoch(d.StopDate)
	}
	if d.Output != nil {
		m["output"] = *d.Output
		m["outputDetails"] = map[string]bool{"included": true}
	}
	if d.Error != nil {
		m["error"] = *d.Error
	}
	if d.Cause != nil {
		m["cause"] = *d.Cause
	}
	return m
}

func listJSON(l *sfn.ListExecutionsOutput) map[string]any {
	items := make([]map[string]any, 0, len(l.Executions))
	for _, e := range l.Executions {
		it := map[string]any{"executionArn": aws.ToString(e.ExecutionArn), "stateMachineArn": aws.ToString(e.StateMachineArn),
			"name": aws.ToString(e.Name), "status": string(e.Status), "startDate": epoch(e.StartDate)}
		if e.StopDate != nil {
			it["stopDate"] = epoch(e.StopDate)
		}
		if e.MapRunArn != nil {
			it["mapRunArn"] = *e.MapRunArn
		}
		items = append(items, it)
	}
	m := map[string]any{"executions": items}
	if l.NextToken != nil {
		m["nextToken"] = *l.NextToken
	}
	return m
}

func historyJSON(h *sfn.GetExecutionHistoryOutput) map[string]any {
	events := make([]map[string]any, 0, len(h.Events))
	for _, e := range h.Events {
		ev := map[string]any{"id": e.Id, "previousEventId": e.PreviousEventId, "timestamp": epoch(e.Timestamp), "type": string(e.Type)}
		switch {
		case e.ExecutionStartedEventDetails != nil:
			ev["executionStartedEventDetails"] = map[string]any{"input": aws.ToString(e.ExecutionStartedEventDetails.Input)}
		case e.TaskStartedEventDetails != nil:
			ev["taskStartedEventDetails"] = map[string]any{"resource": aws.ToString(e.TaskStartedEventDetails.Resource), "resourceType": aws.ToString(e.TaskStartedEventDetails.ResourceType)}
		case e.TaskSucceededEventDetails != nil:
			d := e.TaskSucceededEventDetails
			ev["taskSucceededEventDetails"] = map[string]any{"resource": aws.ToString(d.Resource), "resourceType": aws.ToString(d.ResourceType), "output": aws.ToString(d.Output)}
		case e.TaskFailedEventDetails != nil:
			d := e.TaskFailedEventDetails
			ev["taskFailedEventDetails"] = map[string]any{"resource": aws.ToString(d.Resource), "resourceType": aws.ToString(d.ResourceType), "error": aws.ToString(d.Error), "cause": aws.ToString(d.Cause)}
		case e.StateEnteredEventDetails != nil:
			ev["stateEnteredEventDetails"] = map[string]any{"name": aws.ToString(e.StateEnteredEventDetails.Name)}
		case e.ExecutionSucceededEventDetails != nil:
			ev["executionSucceededEventDetails"] = map[string]any{"output": aws.ToString(e.ExecutionSucceededEventDetails.Output)}
		case e.ExecutionFailedEventDetails != nil:
			d := e.ExecutionFailedEventDetails
			ev["executionFailedEventDetails"] = map[string]any{"error": aws.ToString(d.Error), "cause": aws.ToString(d.Cause)}
		case e.ExecutionTimedOutEventDetails != nil:
			d := e.ExecutionTimedOutEventDetails
			ev["executionTimedOutEventDetails"] = map[string]any{"error": aws.ToString(d.Error), "cause": aws.ToString(d.Cause)}
		case e.ExecutionAbortedEventDetails != nil:
			d := e.ExecutionAbortedEventDetails
			ev["executionAbortedEventDetails"] = map[string]any{"error": aws.ToString(d.Error), "cause": aws.ToString(d.Cause)}
		}
		events = append(events, ev)
	}
	m := map[string]any{"events": events}
	if h.NextToken != nil {
		m["nextToken"] = *h.NextToken
	}
	return m
}

func mapRunJSON(d *sfn.DescribeMapRunOutput) map[string]any {
	m := map[string]any{
		"mapRunArn": aws.ToString(d.MapRunArn), "executionArn": aws.ToString(d.ExecutionArn), "status": string(d.Status),
		"startDate": epoch(d.StartDate), "maxConcurrency": d.MaxConcurrency, "redriveCount": 0,
		"toleratedFailurePercentage": d.ToleratedFailurePercentage, "toleratedFailureCount": d.ToleratedFailureCount,
	}
	if c := d.ItemCounts; c != nil {
		m["itemCounts"] = map[string]int64{"pending": c.Pending, "running": c.Running, "succeeded": c.Succeeded, "failed": c.Failed,
			"timedOut": c.TimedOut, "aborted": c.Aborted, "total": c.Total, "resultsWritten": c.ResultsWritten}
	}
	if c := d.ExecutionCounts; c != nil {
		m["executionCounts"] = map[string]int64{"pending": c.Pending, "running": c.Running, "succeeded": c.Succeeded, "failed": c.Failed,
			"timedOut": c.TimedOut, "aborted": c.Aborted, "total": c.Total, "resultsWritten": c.ResultsWritten}
	}
	if d.StopDate != nil {
		m["stopDate"] = epoch(d.StopDate)
	}
	return m
}

func mapRunsJSON(l *sfn.ListMapRunsOutput) map[string]any {
	items := make([]map[string]any, 0, len(l.MapRuns))
	for _, r := range l.MapRuns {
		it := map[string]any{"executionArn": aws.ToString(r.ExecutionArn), "mapRunArn": aws.ToString(r.MapRunArn),
			"stateMachineArn": aws.ToString(r.StateMachineArn), "startDate": epoch(r.StartDate)}
		if r.StopDate != nil {
			it["stopDate"] = epoch(r.StopDate)
		}
		items = append(items, it)
	}
	m := map[string]any{"mapRuns": items}
	if l.NextToken != nil {
		m["nextToken"] = *l.NextToken
	}
	return m
}
