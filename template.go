// Package productgov carries the files every part of the system reads from the
// repository root, so that each has exactly one source.
package productgov

import _ "embed"

// Template is template.yaml, the SAM template. The local stack creates its table
// and fires its schedules from this same text, so local and AWS cannot drift.
//
//go:embed template.yaml
var Template []byte
