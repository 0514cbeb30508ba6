// Command settlement is the quarterly settlement task Lambda
// (plan, settle_partner, accrue_partner, finish; SPEC 4.3).
package main

import (
	"productgov/shared/system"
	"productgov/shared/task"
)

func main() { system.StartTaskLambda(task.Settlement) }
