// Package asl runs Amazon States Language state machines (the JSONPath
// query language) locally, so the definitions deployed to AWS Step
// Functions can be run and tested on one machine.
//
// An Engine registers state machines from their definitions (with
// DefinitionSubstitutions applied) and runs their Lambda tasks through the
// Lambda Invoke API (WithLambdaInvoker: the local stack's built bootstraps,
// errors named by the runtime's errorType as Step Functions names them), or,
// in the engine's own tests, through Go handlers registered by function ARN.
// It implements the Step Functions API operations a client calls
// (StartExecution, DescribeExecution, SendTask*, StopExecution,
// ListExecutions, GetExecutionHistory), which infra/awslocal serves on the
// wire, so code written against *sfn.Client runs unchanged against it.
//
// # Supported language
//
// All eight state types; InputPath, Parameters (paths, the context object
// "$$" and every intrinsic function), ResultSelector, ResultPath and
// OutputPath in the specified order; every Choice operator; Retry (with
// MaxDelaySeconds and JitterStrategy) and Catch on Task, Parallel and Map;
// TimeoutSeconds(Path) on tasks and HeartbeatSeconds(Path) on callback
// tasks (a plain Lambda task cannot send heartbeats); a machine-level
// TimeoutSeconds. Tasks run a Lambda function given as the Resource, or
// through arn:aws:states:::lambda:invoke (whose result is wrapped like
// Lambda's Invoke response); either may end in ".waitForTaskToken".
//
// Not supported, and rejected when a definition is registered: JSONata and
// variables (QueryLanguage JSONata, Arguments, Output, Assign), ".sync"
// integrations and task Credentials. Other service integrations run only if
// a handler is registered for their exact resource ARN.
//
// # Distributed Map
//
// A Map whose ItemProcessor has ProcessorConfig Mode DISTRIBUTED runs a Map
// Run: each item, or each batch of the ItemBatcher ({"BatchInput": …,
// "Items": […]}, MaxItemsPerBatch(Path), MaxInputBytesPerBatch(Path)), is a
// child execution with its own record and history, of the state machine
// "<machine>/<Label or state name>", named by a UUID, listed by
// ListExecutions (also by MapRunArn) and described by DescribeMapRun and
// ListMapRuns; the parent's history grows by the Map Run's events only. At
// most MaxConcurrency(Path) children run at once, DefaultMapRunConcurrency
// when it is 0. Items come from ItemsPath or an ItemReader through the S3
// client given with WithS3: arn:aws:states:::s3:getObject (ReaderConfig
// InputType JSON, JSONL or CSV with CSVHeaderLocation FIRST_ROW or GIVEN
// and CSVHeaders; MaxItems(Path)) or arn:aws:states:::s3:listObjectsV2
// (items {Etag, LastModified in epoch seconds, Key, Size, StorageClass}); a
// failure to read is States.ItemReaderFailed. ItemSelector sees
// $$.Map.Item.Index and Value. Without a ResultWriter the result lists the
// children's outputs (a failed child's {"Error", "Cause"}); with one
// (arn:aws:states:::s3:putObject, Bucket and Prefix) the children's records
// go to <Prefix>/<Map Run id>/SUCCEEDED_0.json, FAILED_0.json and
// PENDING_0.json, listed by manifest.json, and the result is {"MapRunArn",
// "ResultWriterDetails": {"Bucket", "Key"}}; a failure to write is
// States.ResultWriterFailed. When more items fail than
// ToleratedFailureCount(Path) or ToleratedFailurePercentage(Path) allow
// (none, unless set) no further child starts and the Map fails with
// States.ExceedToleratedFailureThreshold. An EXPRESS processor runs like a
// STANDARD one here (its children are recorded and listed). After a
// restart the parent's replay finds its children by their reproducible
// ARNs: finished ones are read, running ones resumed.
//
// # Quotas
//
// A state's input after Parameters, a task's result, a state's output and
// the execution's output are limited to 256 KiB of JSON (WithPayloadLimit);
// beyond it the state fails with States.DataLimitExceeded, which States.ALL
// and States.TaskFailed do not match but an ErrorEquals naming it does. An
// execution's history is limited to 25,000 events (WithHistoryLimit),
// counted as Step Functions records them; the event beyond the limit fails
// the execution with States.Runtime. ExecutionStats reports both measures.
//
// As on Step Functions, object members keep the order they are written in
// (Parameters and other templates produce members in the template's order,
// ResultPath replaces a member in place or appends a new one), numbers pass
// through with the text they were written with, however large or precise,
// and indefinite paths return matches in document order.
//
// Errors follow Step Functions: a path that matches nothing is
// States.Runtime (never retried or caught), a failing intrinsic function is
// States.IntrinsicFailure, a missed heartbeat is States.HeartbeatTimeout
// (which "States.Timeout" in ErrorEquals also matches). Handler errors are
// named as described at Handler.
//
// # Persistence and replay
//
// Executions are persisted in an ExecutionStore and survive a restart:
// after one, Resume replays every RUNNING execution from its start. A
// replay is deterministic. Only steps whose outcome is not a function of the
// definition and the input are recorded as history events, each under a
// step key: task outcomes, the start of tasks with a deadline, that a
// callback handler ran, Wait and retry wake-up times, and the entered time
// of states that read $$.State.EnteredTime. Everything else, including task
// tokens, UUIDs and random numbers, derives from a random per-execution
// secret stored in the ExecutionRecord. So during a replay:
//
//   - a task with a recorded outcome is not invoked again;
//   - a callback task whose handler ran waits again for the same token, so
//     a link sent by e-mail days earlier still completes it;
//   - a Wait, a retry delay or a task timeout keeps its original deadline.
//
// A handler that was running when the process died is invoked again: tasks
// are delivered at least once, and handlers must be idempotent.
//
// A step key names one visit of one state: the state name (with "%", "/",
// "#", "@", ":", "[" and "]" percent-escaped), "#" and the visit count in
// its scope (loops revisit states), then "@" and the attempt number for
// Task, Parallel and Map states. States inside a Parallel branch or a Map
// item are prefixed with the key of that attempt and "/[index]/":
//
//	Approve#1@0                          first attempt of the first visit of Approve
//	Approvals#1@0/[1]/AskCFO#1@2         third attempt of AskCFO in branch 1
//	Pages#1@0/[12]/Assess#1@0            Assess for item 12 of the Map Pages
//
// An event key is a step key followed by ":" and the event's role, such as
// "Approve#1@0:result". The store's compare-and-set on event keys decides
// races: the first of SendTaskSuccess, SendTaskFailure or a timeout to
// record a task's ":result" wins, and later ones get *types.TaskTimedOut.
//
// A task token is the unpadded base64url encoding of
// HMAC-SHA256(secret, "task-token" ‖ 0 ‖ step key of the attempt): 43
// characters, identical on every replay, impossible to guess without the
// secret. The store maps each token to its execution and step key.
//
// One engine should run an execution at a time: a task completed through an
// engine that does not run its execution is recorded in the store and seen
// when the running engine next replays it, not at once.
//
// # Time
//
// All waiting goes through a Clock. Tests use a FakeClock, which can
// advance by itself whenever every goroutine of the engine is blocked, so
// Wait states, retry backoff and timeouts of hours or days take
// milliseconds and happen in a deterministic order.
package asl
