package bench

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httputil"
	"net/url"
	"strings"
)

// CountingProxy forwards DynamoDB requests to an endpoint and counts them by
// the same labels as RequestCounter, so requests made by other processes (the
// functions' bootstraps) are counted like the in-process clients'. A proxy
// sees HTTP requests only, so each one counts as a call and an attempt.
type CountingProxy struct {
	counter *RequestCounter
	proxy   *httputil.ReverseProxy
}

// NewCountingProxy returns a proxy to target that counts into counter.
func NewCountingProxy(target string, counter *RequestCounter) (*CountingProxy, error) {
	u, err := url.Parse(target)
	if err != nil {
		return nil, err
	}
	return &CountingProxy{counter: counter, proxy: httputil.NewSingleHostReverseProxy(u)}, nil
}

// ServeHTTP implements http.Handler.
func (p *CountingProxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	op := strings.TrimPrefix(r.Header.Get("X-Amz-Target"), "DynamoDB_20120810.")
	var in struct {
		IndexName     string
		RequestItems  map[string]json.RawMessage
		TransactItems []json.RawMessage
	}
	_ = json.Unmarshal(body, &in)
	label, items := op, int64(0)
	switch op {
	case "Query":
		label = "Query table"
		if in.IndexName != "" {
			label = "Query " + in.IndexName
		}
	case "BatchGetItem":
		for _, raw := range in.RequestItems {
			var ka struct{ Keys []json.RawMessage }
			_ = json.Unmarshal(raw, &ka)
			items += int64(len(ka.Keys))
		}
	case "BatchWriteItem":
		for _, raw := range in.RequestItems {
			var ws []json.RawMessage
			_ = json.Unmarshal(raw, &ws)
			items += int64(len(ws))
		}
	case "TransactWriteItems":
		items = int64(len(in.TransactItems))
	}
	p.counter.add(label, OpCount{Calls: 1, Attempts: 1, Items: items})
	p.proxy.ServeHTTP(w, r)
}
