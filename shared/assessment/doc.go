// Package assessment holds the monthly product assessment (SPEC 3, P§19), the
// commercial-eligibility check (P§18), the overdue flags of SPEC 1 (trial use,
// P§17(一); construction plan, P§11) and the run report that sums a month up.
//
// Everything here is a pure function of explicit inputs and a Rules value (the
// assessment part of the versioned policy document): no clock, no store. The
// caller loads the tracks recorded after M-1 and the month's figures, calls
// Assess, and saves the Result with its policy version. Because a run for M
// reads only what was recorded after M-1 (and ignores any record of M itself),
// re-running a month gives the same Result and never advances a phase twice.
package assessment
