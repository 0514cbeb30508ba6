// Command wronghandler is the settlement function as it once shipped: wired
// to the assessment's handler. The bootstrap test builds it to prove its
// check catches that.
package main

import (
	"productgov/shared/system"
	"productgov/shared/task"
)

func main() { system.StartTaskLambda(task.Assessment) }
