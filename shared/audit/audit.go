// Package audit defines the append-only audit trail's entry (SPEC 6): every
// change records who made it, when, to which entity, and the before and after.
package audit

import (
	"encoding/json"
	"time"
)

// Entry is one change. Before is null for a creation.
type Entry struct {
	Entity    string          `json:"entity"`
	At        time.Time       `json:"at"`
	Actor     string          `json:"actor"`
	Action    string          `json:"action"`
	RequestID string          `json:"requestId"`
	Before    json.RawMessage `json:"before"`
	After     json.RawMessage `json:"after"`
}

// Entity names an entity in the trail, e.g. Entity("product", "prd_1") = "product/prd_1".
func Entity(kind, id string) string { return kind + "/" + id }

// Meta says who makes a change, when, and under which request; the audit entry
// written with the change records it.
type Meta struct {
	Actor     string
	RequestID string
	At        time.Time
}
