package asl

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	sfntypes "github.com/aws/aws-sdk-go-v2/service/sfn/types"

	"productgov/infra/s3local"
)

func TestMain(m *testing.M) { os.Exit(s3local.RunTests(m)) }

// dmapEngine returns an engine on the wall clock whose ItemReaders and
// ResultWriters use the local S3 server, and a fresh bucket on it.
func dmapEngine(t testing.TB, opts ...Option) (*Engine, *s3.Client, string) {
	t.Helper()
	client, bucket := s3local.NewTestBucket(t)
	opts = append([]Option{
		WithStore(NewMemoryStore()),
		WithS3(client),
		WithRandom(rand.NewChaCha8([32]byte{2})),
		WithLogger(slog.New(slog.NewTextHandler(testWriter{t}, nil))),
	}, opts...)
	e := NewEngine(opts...)
	t.Cleanup(func() { e.Close() })
	return e, client, bucket
}

func putObject(t testing.TB, client *s3.Client, bucket, key, body string) {
	t.Helper()
	if _, err := client.PutObject(context.Background(), &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(key), Body: strings.NewReader(body)}); err != nil {
		t.Fatal(err)
	}
}

func getObject(t *testing.T, client *s3.Client, bucket, key string) string {
	t.Helper()
	out, err := client.GetObject(context.Background(), &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
	if err != nil {
		t.Fatalf("get s3://%s/%s: %v", bucket, key, err)
	}
	defer out.Body.Close()
	b, _ := io.ReadAll(out.Body)
	return string(b)
}

// runDefinition registers a definition (with ${Bucket} substituted), runs
// it on an input and returns its final record.
func runDefinition(t *testing.T, e *Engine, bucket, definition, input string) ExecutionRecord {
	t.Helper()
	arn, err := e.RegisterStateMachine("Parent", []byte(definition), map[string]string{"Bucket": bucket})
	if err != nil {
		t.Fatalf("register: %v", err)
	}
	out, err := e.StartExecution(context.Background(), &sfn.StartExecutionInput{StateMachineArn: aws.String(arn), Input: aws.String(input)})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	rec, err := e.Wait(ctx, *out.ExecutionArn)
	if err != nil {
		t.Fatal(err)
	}
	return rec
}

// distributed wraps Map fields around a processor that returns its input,
// so the Map's result shows what each child received.
func distributed(fields string) string {
	return `{"StartAt":"Map","States":{"Map":{"Type":"Map",` + fields + `,
	  "ItemProcessor":{"ProcessorConfig":{"Mode":"DISTRIBUTED","ExecutionType":"STANDARD"},
	    "StartAt":"Echo","States":{"Echo":{"Type":"Pass","End":true}}},"End":true}}}`
}

// compactJSON rewrites JSON as the engine writes it: no spaces, members
// in the order written.
func compactJSON(t *testing.T, s string) string {
	t.Helper()
	v, err := decodeJSON([]byte(s))
	if err != nil {
		t.Fatal(err)
	}
	return mustEncodeJSON(v)
}

func TestItemReaders(t *testing.T) {
	e, client, bucket := dmapEngine(t)
	putObject(t, client, bucket, "in/items.json", `[{"id":1},{"id":2},{"id":3}]`)
	putObject(t, client, bucket, "in/items.jsonl", "{\"id\":1}\n\n{\"id\":2}\n")
	putObject(t, client, bucket, "in/items.csv", "id,name\n1,云桌面\n2,\"a,b\"\n")
	putObject(t, client, bucket, "in/noheader.csv", "1,x\n2,y\n")
	putObject(t, client, bucket, "in/object.json", `{"id":1}`)
	putObject(t, client, bucket, "list/a", "aaa")
	putObject(t, client, bucket, "list/b", "bb")
	getReader := func(key, config string) string {
		return `"ItemReader":{"Resource":"arn:aws:states:::s3:getObject","ReaderConfig":` + config + `,
		  "Parameters":{"Bucket":"${Bucket}","Key.$":"States.Format('in/{}', $.file)"}}`
	}
	tests := []struct {
		name, fields, input string
		want                string // output; or the error name when it starts with "States."
	}{
		{"json", getReader("items.json", `{"InputType":"JSON"}`), `{"file":"items.json"}`, `[{"id":1},{"id":2},{"id":3}]`},
		{"json max items", getReader("items.json", `{"InputType":"JSON","MaxItems":2}`), `{"file":"items.json"}`, `[{"id":1},{"id":2}]`},
		{"json max items path", getReader("items.json", `{"InputType":"JSON","MaxItemsPath":"$.n"}`), `{"file":"items.json","n":1}`, `[{"id":1}]`},
		{"jsonl", getReader("items.jsonl", `{"InputType":"JSONL"}`), `{"file":"items.jsonl"}`, `[{"id":1},{"id":2}]`},
		{"csv first row", getReader("items.csv", `{"InputType":"CSV","CSVHeaderLocation":"FIRST_ROW"}`), `{"file":"items.csv"}`,
			`[{"id":"1","name":"云桌面"},{"id":"2","name":"a,b"}]`},
		{"csv given", getReader("noheader.csv", `{"InputType":"CSV","CSVHeaderLocation":"GIVEN","CSVHeaders":["n","v"]}`), `{"file":"noheader.csv"}`,
			`[{"n":"1","v":"x"},{"n":"2","v":"y"}]`},
		{"item selector", getReader("items.json", `{"InputType":"JSON"}`) + `,"ItemSelector":{"i.$":"$$.Map.Item.Index","v.$":"$$.Map.Item.Value.id","f.$":"$.file"}`,
			`{"file":"items.json"}`, `[{"i":0,"v":1,"f":"items.json"},{"i":1,"v":2,"f":"items.json"},{"i":2,"v":3,"f":"items.json"}]`},
		{"not an array", getReader("object.json", `{"InputType":"JSON"}`), `{"file":"object.json"}`, ErrorItemReaderFailed},
		{"missing object", getReader("nothing.json", `{"InputType":"JSON"}`), `{"file":"nothing.json"}`, ErrorItemReaderFailed},
		{"items path without reader", `"ItemsPath":"$.xs"`, `{"xs":[1,2]}`, `[1,2]`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := runDefinition(t, e, bucket, distributed(tt.fields), tt.input)
			if strings.HasPrefix(tt.want, "States.") {
				if rec.Status != StatusFailed || rec.Error != tt.want {
					t.Fatalf("got %s %s %s, want FAILED %s", rec.Status, rec.Error, rec.Cause, tt.want)
				}
				return
			}
			if rec.Status != StatusSucceeded || rec.Output != compactJSON(t, tt.want) {
				t.Fatalf("got %s %s %s %s\nwant %s", rec.Status, rec.Output, rec.Error, rec.Cause, tt.want)
			}
		})
	}
	t.Run("listObjectsV2", func(t *testing.T) {
		rec := runDefinition(t, e, bucket, distributed(`"ItemReader":{"Resource":"arn:aws:states:::s3:listObjectsV2",
		  "Parameters":{"Bucket":"${Bucket}","Prefix":"list/"}}`), `{}`)
		if rec.Status != StatusSucceeded {
			t.Fatalf("%s %s %s", rec.Status, rec.Error, rec.Cause)
		}
		var got []struct {
			Etag, Key, StorageClass string
			LastModified, Size      int64
		}
		if err := json.Unmarshal([]byte(rec.Output), &got); err != nil {
			t.Fatal(err)
		}
		if len(got) != 2 || got[0].Key != "list/a" || got[0].Size != 3 || got[1].Key != "list/b" || got[1].Size != 2 {
			t.Fatalf("items: %s", rec.Output)
		}
		for _, o := range got {
			if !strings.HasPrefix(o.Etag, `"`) || o.StorageClass != "STANDARD" || time.Since(time.Unix(o.LastModified, 0)) > time.Hour {
				t.Errorf("item %+v: want a quoted Etag, STANDARD and LastModified in epoch seconds", o)
			}
		}
	})
}

func TestItemBatcher(t *testing.T) {
	e, _, bucket := dmapEngine(t)
	items := `{"xs":["aaaa","bbbb","cccc","dddd","eeee"],"run":"r1"}`
	tests := []struct{ name, batcher, want string }{
		{"max items", `{"MaxItemsPerBatch":2}`, `[{"Items":["aaaa","bbbb"]},{"Items":["cccc","dddd"]},{"Items":["eeee"]}]`},
		{"max items path", `{"MaxItemsPerBatchPath":"$.n"}`, `[{"Items":["aaaa","bbbb","cccc"]},{"Items":["dddd","eeee"]}]`},
		{"batch input", `{"MaxItemsPerBatch":3,"BatchInput":{"run.$":"$.run"}}`,
			`[{"BatchInput":{"run":"r1"},"Items":["aaaa","bbbb","cccc"]},{"BatchInput":{"run":"r1"},"Items":["dddd","eeee"]}]`},
		// {"Items":[]} is 12 bytes, each item 6 and a comma: 12+6+1+6 = 25 fits two, not three.
		{"max bytes at the boundary", `{"MaxInputBytesPerBatch":25}`, `[{"Items":["aaaa","bbbb"]},{"Items":["cccc","dddd"]},{"Items":["eeee"]}]`},
		{"max bytes one short", `{"MaxInputBytesPerBatch":24}`, `[{"Items":["aaaa"]},{"Items":["bbbb"]},{"Items":["cccc"]},{"Items":["dddd"]},{"Items":["eeee"]}]`},
		{"both limits", `{"MaxInputBytesPerBatch":1000,"MaxItemsPerBatch":4}`, `[{"Items":["aaaa","bbbb","cccc","dddd"]},{"Items":["eeee"]}]`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			input := strings.Replace(items, `"run"`, `"n":3,"run"`, 1)
			rec := runDefinition(t, e, bucket, distributed(`"ItemsPath":"$.xs","ItemBatcher":`+tt.batcher), input)
			if rec.Status != StatusSucceeded || rec.Output != compactJSON(t, tt.want) {
				t.Fatalf("got %s %s %s\nwant %s", rec.Status, rec.Output, rec.Cause, tt.want)
			}
		})
	}
	t.Run("item larger than a batch", func(t *testing.T) {
		rec := runDefinition(t, e, bucket, distributed(`"ItemsPath":"$.xs","ItemBatcher":{"MaxInputBytesPerBatch":15}`), items)
		if rec.Status != StatusFailed || rec.Error != ErrorRuntime {
			t.Fatalf("got %s %s", rec.Status, rec.Error)
		}
	})
}

// failingProcessor fails the items whose "fail" member is true.
func failingProcessor(fields string) string {
	return `{"StartAt":"Map","States":{"Map":{"Type":"Map","ItemsPath":"$.items","MaxConcurrency":1,` + fields + `
	  "ItemProcessor":{"ProcessorConfig":{"Mode":"DISTRIBUTED","ExecutionType":"EXPRESS"},"StartAt":"Check","States":{
	    "Check":{"Type":"Choice","Choices":[{"Variable":"$.fail","BooleanEquals":true,"Next":"Boom"}],"Default":"Ok"},
	    "Boom":{"Type":"Fail","Error":"ItemFailed","Cause":"bad item"},
	    "Ok":{"Type":"Pass","Result":"ok","End":true}}},"End":true}}}`
}

// items returns n items of which the first failed fail.
func items(n, failed int) string {
	var b strings.Builder
	b.WriteString(`{"items":[`)
	for i := range n {
		if i > 0 {
			b.WriteString(",")
		}
		fmt.Fprintf(&b, `{"i":%d,"fail":%t}`, i, i < failed)
	}
	b.WriteString(`],"tolerated":2,"percent":20}`)
	return b.String()
}

func TestToleratedFailures(t *testing.T) {
	e, _, bucket := dmapEngine(t)
	tests := []struct {
		name, fields string
		n, failed    int
		succeeds     bool
	}{
		{"no tolerance, no failure", ``, 10, 0, true},
		{"no tolerance, one failure", ``, 10, 1, false},
		{"count at the limit", `"ToleratedFailureCount":2,`, 10, 2, true},
		{"count beyond", `"ToleratedFailureCount":2,`, 10, 3, false},
		{"count path", `"ToleratedFailureCountPath":"$.tolerated",`, 10, 2, true},
		{"percentage at the limit", `"ToleratedFailurePercentage":20,`, 10, 2, true},
		{"percentage beyond", `"ToleratedFailurePercentage":20,`, 10, 3, false},
		{"percentage path", `"ToleratedFailurePercentagePath":"$.percent",`, 10, 3, false},
		{"everything tolerated", `"ToleratedFailurePercentage":100,`, 4, 4, true},
		{"both set, count decides", `"ToleratedFailurePercentage":50,"ToleratedFailureCount":1,`, 10, 2, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := runDefinition(t, e, bucket, failingProcessor(tt.fields), items(tt.n, tt.failed))
			if tt.succeeds {
				if rec.Status != StatusSucceeded {
					t.Fatalf("got %s %s %s, want SUCCEEDED", rec.Status, rec.Error, rec.Cause)
				}
				var out []any
				_ = json.Unmarshal([]byte(rec.Output), &out)
				if len(out) != tt.n {
					t.Fatalf("output %s: want %d results", rec.Output, tt.n)
				}
				return
			}
			if rec.Status != StatusFailed || rec.Error != ErrorExceedToleratedFailureThreshold {
				t.Fatalf("got %s %s %s, want FAILED %s", rec.Status, rec.Error, rec.Cause, ErrorExceedToleratedFailureThreshold)
			}
		})
	}
}

func TestResultWriter(t *testing.T) {
	e, client, bucket := dmapEngine(t)
	def := failingProcessor(`"ToleratedFailureCount":1,"ResultPath":"$.written",
	  "ResultWriter":{"Resource":"arn:aws:states:::s3:putObject","Parameters":{"Bucket":"${Bucket}","Prefix.$":"States.Format('runs/{}', $.run)"}},`)
	input := strings.Replace(items(3, 1), `"tolerated"`, `"run":"2026-11","tolerated"`, 1)
	rec := runDefinition(t, e, bucket, def, input)
	if rec.Status != StatusSucceeded {
		t.Fatalf("%s %s %s", rec.Status, rec.Error, rec.Cause)
	}
	var out struct {
		Written struct {
			MapRunArn           string
			ResultWriterDetails struct{ Bucket, Key string }
		}
	}
	if err := json.Unmarshal([]byte(rec.Output), &out); err != nil {
		t.Fatal(err)
	}
	w := out.Written
	runID := w.MapRunArn[strings.LastIndex(w.MapRunArn, ":")+1:]
	if !strings.HasPrefix(w.MapRunArn, "arn:aws:states:us-east-1:123456789012:mapRun:Parent/Map:") ||
		w.ResultWriterDetails.Bucket != bucket || w.ResultWriterDetails.Key != "runs/2026-11/"+runID+"/manifest.json" {
		t.Fatalf("result: %s", rec.Output)
	}
	var manifest struct {
		DestinationBucket string
		MapRunArn         string
		ResultFiles       map[string][]struct {
			Key  string
			Size int64
		}
	}
	if err := json.Unmarshal([]byte(getObject(t, client, bucket, w.ResultWriterDetails.Key)), &manifest); err != nil {
		t.Fatal(err)
	}
	if manifest.DestinationBucket != bucket || manifest.MapRunArn != w.MapRunArn || len(manifest.ResultFiles["PENDING"]) != 0 {
		t.Fatalf("manifest: %+v", manifest)
	}
	type entry struct {
		ExecutionArn, Name, Input, Output, Error, Cause, Status, StateMachineArn, StartDate, StopDate string
	}
	for status, want := range map[string]int{"SUCCEEDED": 2, "FAILED": 1} {
		files := manifest.ResultFiles[status]
		if len(files) != 1 || files[0].Key != "runs/2026-11/"+runID+"/"+status+"_0.json" {
			t.Fatalf("%s files: %+v", status, files)
		}
		body := getObject(t, client, bucket, files[0].Key)
		if int64(len(body)) != files[0].Size {
			t.Errorf("%s: size %d, manifest says %d", status, len(body), files[0].Size)
		}
		var entries []entry
		if err := json.Unmarshal([]byte(body), &entries); err != nil {
			t.Fatal(err)
		}
		if len(entries) != want {
			t.Fatalf("%s: %d entries, want %d: %s", status, len(entries), want, body)
		}
		for _, en := range entries {
			if en.Status != status || en.StateMachineArn != "arn:aws:states:us-east-1:123456789012:stateMachine:Parent/Map" ||
				!strings.HasPrefix(en.ExecutionArn, "arn:aws:states:us-east-1:123456789012:execution:Parent/Map:") || en.StopDate == "" {
				t.Errorf("%s entry %+v", status, en)
			}
			if status == "SUCCEEDED" && en.Output != `"ok"` || status == "FAILED" && (en.Error != "ItemFailed" || en.Cause != "bad item") {
				t.Errorf("%s entry %+v", status, en)
			}
		}
	}
}

// TestChildExecutions: each item runs as a child execution with its own
// history, listed under the Map Run, and the parent's history and event
// count stay the same whatever the number of items.
func TestChildExecutions(t *testing.T) {
	e, _, bucket := dmapEngine(t)
	parentEvents := map[int]int{}
	parentStats := map[int]int64{}
	for _, n := range []int{3, 30} {
		rec := runDefinition(t, e, bucket, failingProcessor(`"ResultPath":null,`), items(n, 0))
		if rec.Status != StatusSucceeded {
			t.Fatalf("%d items: %s %s %s", n, rec.Status, rec.Error, rec.Cause)
		}
		h, err := e.GetExecutionHistory(context.Background(), &sfn.GetExecutionHistoryInput{ExecutionArn: aws.String(rec.ExecutionArn)})
		if err != nil {
			t.Fatal(err)
		}
		parentEvents[n] = len(h.Events)
		stats, ok := e.ExecutionStats(rec.ExecutionArn)
		if !ok {
			t.Fatal("no stats for the parent")
		}
		parentStats[n] = stats.HistoryEvents
		// ExecutionStarted; MapStateEntered, MapStateStarted, MapRunStarted,
		// MapRunSucceeded, MapStateSucceeded, MapStateExited; ExecutionSucceeded.
		if stats.HistoryEvents != 8 {
			t.Errorf("%d items: parent counts %d events, want 8", n, stats.HistoryEvents)
		}
	}
	if parentEvents[3] != parentEvents[30] || parentStats[3] != parentStats[30] {
		t.Errorf("the parent's history grows with the items: %v %v", parentEvents, parentStats)
	}
	list, err := e.ListExecutions(context.Background(), &sfn.ListExecutionsInput{StateMachineArn: aws.String(e.StateMachineArn("Parent/Map"))})
	if err != nil {
		t.Fatal(err)
	}
	if len(list.Executions) != 33 {
		t.Fatalf("children listed: %d, want 33", len(list.Executions))
	}
	child := list.Executions[0]
	run, err := e.ListExecutions(context.Background(), &sfn.ListExecutionsInput{MapRunArn: child.MapRunArn})
	if err != nil {
		t.Fatal(err)
	}
	if n := len(run.Executions); n != 3 && n != 30 {
		t.Errorf("children of one Map Run: %d", n)
	}
	h, err := e.GetExecutionHistory(context.Background(), &sfn.GetExecutionHistoryInput{ExecutionArn: child.ExecutionArn})
	if err != nil {
		t.Fatal(err)
	}
	if first, last := h.Events[0].Type, h.Events[len(h.Events)-1].Type; first != "ExecutionStarted" || last != "ExecutionSucceeded" {
		t.Errorf("child history from %s to %s", first, last)
	}
	stats, _ := e.ExecutionStats(*child.ExecutionArn)
	// ExecutionStarted, Choice entered/exited, Pass entered/exited, ExecutionSucceeded.
	if stats.HistoryEvents != 6 {
		t.Errorf("child counts %d events, want 6", stats.HistoryEvents)
	}
	if _, err := e.StartExecution(context.Background(), &sfn.StartExecutionInput{StateMachineArn: child.StateMachineArn}); err == nil {
		t.Error("a Map Run's child machine can be started directly")
	}
}

func TestMapRunAPIs(t *testing.T) {
	e, _, bucket := dmapEngine(t)
	// The processor reads $.fail, which a batch ({"Items":[…]}) lacks, so
	// every child fails (States.Runtime), and all of them are tolerated.
	rec := runDefinition(t, e, bucket, failingProcessor(`"ToleratedFailurePercentage":100,"ItemBatcher":{"MaxItemsPerBatch":2},`), items(5, 0))
	if rec.Status != StatusSucceeded {
		t.Fatalf("%s %s %s", rec.Status, rec.Error, rec.Cause)
	}
	ctx := context.Background()
	runs, err := e.ListMapRuns(ctx, &sfn.ListMapRunsInput{ExecutionArn: aws.String(rec.ExecutionArn)})
	if err != nil || len(runs.MapRuns) != 1 {
		t.Fatalf("list map runs: %+v %v", runs, err)
	}
	d, err := e.DescribeMapRun(ctx, &sfn.DescribeMapRunInput{MapRunArn: runs.MapRuns[0].MapRunArn})
	if err != nil {
		t.Fatal(err)
	}
	if d.Status != "SUCCEEDED" || d.ItemCounts.Total != 5 || d.ItemCounts.Succeeded != 0 || d.ItemCounts.Failed != 5 ||
		d.ExecutionCounts.Total != 3 || d.ExecutionCounts.Failed != 3 || d.MaxConcurrency != 1 || d.ToleratedFailurePercentage != 100 || d.StopDate == nil {
		t.Fatalf("describe: %+v items %+v executions %+v", d, *d.ItemCounts, *d.ExecutionCounts)
	}
}

// TestDistributedMapResumes: after a restart the parent's replay reads the
// children that finished (without running them again) and resumes the one
// that waits for a task token, which the token sent before the restart
// still completes.
func TestDistributedMapResumes(t *testing.T) {
	store := NewMemoryStore()
	client, bucket := s3local.NewTestBucket(t)
	def := `{"StartAt":"Map","States":{"Map":{"Type":"Map","ItemsPath":"$.items","ItemProcessor":{
	  "ProcessorConfig":{"Mode":"DISTRIBUTED","ExecutionType":"STANDARD"},"StartAt":"Waits","States":{
	    "Waits":{"Type":"Choice","Choices":[{"Variable":"$.wait","BooleanEquals":true,"Next":"Ask"}],"Default":"Done"},
	    "Ask":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke.waitForTaskToken",
	      "Parameters":{"FunctionName":"` + functionArn("Notify") + `","Payload":{"id.$":"$.id","token.$":"$$.Task.Token"}},"End":true},
	    "Done":{"Type":"Pass","Parameters":{"done.$":"$.id"},"End":true}}},"End":true}}}`
	calls := make(chan string, 10)
	newEngine := func() *Engine {
		e := NewEngine(WithStore(store), WithS3(client), WithLogger(slog.New(slog.NewTextHandler(testWriter{t}, nil))))
		e.RegisterHandler(functionArn("Notify"), func(_ context.Context, in json.RawMessage) (json.RawMessage, error) {
			var p struct{ Token string }
			_ = json.Unmarshal(in, &p)
			calls <- p.Token
			return json.RawMessage(`{}`), nil
		})
		if _, err := e.RegisterStateMachine("Parent", []byte(def), map[string]string{"Bucket": bucket}); err != nil {
			t.Fatal(err)
		}
		return e
	}
	first := newEngine()
	ctx := context.Background()
	started, err := first.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: aws.String(first.StateMachineArn("Parent")),
		Input: aws.String(`{"items":[{"id":"a","wait":false},{"id":"b","wait":true},{"id":"c","wait":false}]}`)})
	if err != nil {
		t.Fatal(err)
	}
	var token string
	select {
	case token = <-calls:
	case <-time.After(10 * time.Second):
		t.Fatal("no callback")
	}
	children := func(e *Engine) map[string]int {
		list, err := e.ListExecutions(ctx, &sfn.ListExecutionsInput{StateMachineArn: aws.String(e.StateMachineArn("Parent/Map"))})
		if err != nil {
			t.Fatal(err)
		}
		byStatus := map[string]int{}
		for _, x := range list.Executions {
			byStatus[string(x.Status)]++
		}
		return byStatus
	}
	for deadline := time.Now().Add(10 * time.Second); children(first)["SUCCEEDED"] < 2; {
		if time.Now().After(deadline) {
			t.Fatalf("children: %v", children(first))
		}
		time.Sleep(10 * time.Millisecond)
	}
	first.Close()

	second := newEngine()
	t.Cleanup(func() { second.Close() })
	n, err := second.Resume(ctx)
	if err != nil || n != 1 {
		t.Fatalf("resumed %d executions (%v), want only the parent", n, err)
	}
	if err := sendSuccess(second, token, `{"approved":"b"}`); err != nil {
		t.Fatal(err)
	}
	wctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	rec, err := second.Wait(wctx, *started.ExecutionArn)
	if err != nil || rec.Status != StatusSucceeded || rec.Output != `[{"done":"a"},{"approved":"b"},{"done":"c"}]` {
		t.Fatalf("%v %s %s %s", err, rec.Status, rec.Output, rec.Cause)
	}
	if got := children(second); got["SUCCEEDED"] != 3 || len(got) != 1 {
		t.Errorf("children after the restart: %v, want the same 3 SUCCEEDED", got)
	}
	select {
	case again := <-calls:
		t.Errorf("the callback handler ran again after the restart (token %s)", again)
	default:
	}
}

// TestStoppingTheParentAbortsItsChildren: StopExecution on the parent
// aborts the children that were running, as on AWS.
func TestStoppingTheParentAbortsItsChildren(t *testing.T) {
	e, _, bucket := dmapEngine(t)
	e.RegisterHandler(functionArn("Notify"), func(_ context.Context, in json.RawMessage) (json.RawMessage, error) {
		return json.RawMessage(`{}`), nil
	})
	arn, err := e.RegisterStateMachine("Parent", []byte(`{"StartAt":"Map","States":{"Map":{"Type":"Map","ItemsPath":"$.items","ItemProcessor":{
	  "ProcessorConfig":{"Mode":"DISTRIBUTED","ExecutionType":"STANDARD"},"StartAt":"Ask","States":{
	    "Ask":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke.waitForTaskToken",
	      "Parameters":{"FunctionName":"`+functionArn("Notify")+`","Payload":{"token.$":"$$.Task.Token"}},"End":true}}},"End":true}}}`), map[string]string{"Bucket": bucket})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	started, err := e.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: aws.String(arn), Input: aws.String(`{"items":[1,2]}`)})
	if err != nil {
		t.Fatal(err)
	}
	children := func(status string) int {
		list, err := e.ListExecutions(ctx, &sfn.ListExecutionsInput{StateMachineArn: aws.String(e.StateMachineArn("Parent/Map")), StatusFilter: sfntypes.ExecutionStatus(status)})
		if isError[*sfntypes.StateMachineDoesNotExist](err) {
			return 0 // the Map Run has not started yet
		}
		if err != nil {
			t.Fatal(err)
		}
		return len(list.Executions)
	}
	for deadline := time.Now().Add(10 * time.Second); children(StatusRunning) < 2; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the children did not start")
		}
	}
	if _, err := e.StopExecution(ctx, &sfn.StopExecutionInput{ExecutionArn: started.ExecutionArn}); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(10 * time.Second); children(StatusAborted) < 2; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("children: %d running, %d aborted", children(StatusRunning), children(StatusAborted))
		}
	}
}
