// Package scheduler is the local stack's stand-in for Amazon EventBridge
// Scheduler: it reads the ScheduleV2 events declared in template.yaml
// (FromTemplate), understands their schedule expressions the way AWS does
// (ParseExpression: cron with its six fields, "?", a year field and SUN=1;
// rate; at), and fires each enabled schedule at its times (Runner).
//
// Local and deployed behaviour differ on purpose in two ways, both documented
// where they apply: a rate schedule first fires one interval after the Runner
// starts (AWS fires one as soon as the schedule is created), and fire times
// that pass while the local stack is not running are never replayed.
//
// StartDate, EndDate, FlexibleTimeWindow, RetryPolicy and DeadLetterConfig of
// a ScheduleV2 event are not modelled: locally every schedule is open-ended
// and fires at its exact time, once.
package scheduler
