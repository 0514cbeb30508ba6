// Command assessment is the monthly assessment task Lambda
// (plan, page, open_exits, report; SPEC 3).
package main

import (
	"productgov/shared/system"
	"productgov/shared/task"
)

func main() { system.StartTaskLambda(task.Assessment) }
