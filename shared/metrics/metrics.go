// Package metrics writes CloudWatch metrics as log lines in the Embedded
// Metric Format (EMF): on Lambda, CloudWatch Logs turns each line into
// metrics with no API call on the request path; locally the lines are just
// logs. Namespace productgov.
package metrics

import (
	"encoding/json"
	"io"
	"os"
	"sort"
	"sync"
	"time"
)

// Namespace is the CloudWatch namespace of every metric.
const Namespace = "productgov"

// Unit is a CloudWatch unit.
type Unit string

// Units in use.
const (
	Count        Unit = "Count"
	Milliseconds Unit = "Milliseconds"
)

// Metric is one named value.
type Metric struct {
	Name  string
	Unit  Unit
	Value float64
}

// Emitter writes EMF lines.
type Emitter struct {
	mu  sync.Mutex
	out io.Writer
	now func() time.Time
}

// NewEmitter writes to out (nil: standard output, which Lambda sends to
// CloudWatch Logs).
func NewEmitter(out io.Writer) *Emitter {
	if out == nil {
		out = os.Stdout
	}
	return &Emitter{out: out, now: time.Now}
}

// Emit writes the metrics with the dimensions (each a name and its value)
// and the extra properties (searchable in the logs, not metrics).
func (e *Emitter) Emit(dimensions map[string]string, properties map[string]any, ms ...Metric) {
	if e == nil || len(ms) == 0 {
		return
	}
	names := make([]string, 0, len(dimensions))
	for k := range dimensions {
		names = append(names, k)
	}
	sort.Strings(names)
	defs := make([]map[string]string, len(ms))
	line := map[string]any{}
	for k, v := range properties {
		line[k] = v
	}
	for k, v := range dimensions {
		line[k] = v
	}
	for i, m := range ms {
		defs[i] = map[string]string{"Name": m.Name, "Unit": string(m.Unit)}
		line[m.Name] = m.Value
	}
	line["_aws"] = map[string]any{
		"Timestamp": e.now().UnixMilli(),
		"CloudWatchMetrics": []map[string]any{{
			"Namespace": Namespace, "Dimensions": [][]string{names}, "Metrics": defs,
		}},
	}
	b, err := json.Marshal(line)
	if err != nil {
		return
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	_, _ = e.out.Write(append(b, '\n'))
}
