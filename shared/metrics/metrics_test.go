package metrics

import (
	"bytes"
	"encoding/json"
	"testing"
	"time"
)

func TestEmitWritesEMF(t *testing.T) {
	var buf bytes.Buffer
	e := NewEmitter(&buf)
	e.now = func() time.Time { return time.UnixMilli(1700000000000) }
	e.Emit(map[string]string{"Route": "GET /products/{id}"}, map[string]any{"requestId": "req_1"}, Metric{"Latency", Milliseconds, 12})
	var line map[string]any
	if err := json.Unmarshal(buf.Bytes(), &line); err != nil {
		t.Fatal(err)
	}
	aws := line["_aws"].(map[string]any)
	cw := aws["CloudWatchMetrics"].([]any)[0].(map[string]any)
	if aws["Timestamp"].(float64) != 1700000000000 || cw["Namespace"] != Namespace || line["Latency"].(float64) != 12 ||
		line["Route"] != "GET /products/{id}" || line["requestId"] != "req_1" {
		t.Fatalf("line %s", buf.String())
	}
	dims := cw["Dimensions"].([]any)[0].([]any)
	metric := cw["Metrics"].([]any)[0].(map[string]any)
	if len(dims) != 1 || dims[0] != "Route" || metric["Name"] != "Latency" || metric["Unit"] != "Milliseconds" {
		t.Fatalf("definitions %v %v", dims, metric)
	}
	var nilEmitter *Emitter
	nilEmitter.Emit(nil, nil, Metric{"X", Count, 1}) // no panic
}
