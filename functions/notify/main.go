// Command notify is the approval workflow's mail task Lambda
// (request_decision, remind; SPEC 2.4).
package main

import (
	"productgov/shared/system"
	"productgov/shared/task"
)

func main() { system.StartTaskLambda(task.Notify) }
