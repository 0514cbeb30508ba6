// Command submissions is the approval workflow's submission task Lambda
// (await_review, advance, expire_step, finish; SPEC 2.2-2.5).
package main

import (
	"productgov/shared/system"
	"productgov/shared/task"
)

func main() { system.StartTaskLambda(task.Submissions) }
