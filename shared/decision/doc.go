// Package decision holds the rules of product decisions (SPEC 2, P§7–P§9,
// P§21, P annex flows): what each submission type must contain, which level
// decides it, how the group and cross-department reviews count votes, which
// approval steps each level takes and who approves them, the exit checklist,
// the reminder and expiry figures, and what an approved decision does to the
// product's stage.
//
// The package is pure: it never reads the clock, the network or a store.
// Every figure and table lives in Rules (DefaultRules gives SPEC's defaults),
// and every result names the article that decided it.
package decision
