package localstack_test

import (
	"io"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"productgov/infra/dynamolocal"
	"productgov/infra/localstack"
	"productgov/infra/localstack/stacktest"
	"productgov/shared/directory"
)

// faultyLink stands between the functions and DynamoDB Local: it passes
// traffic, holds connections without an answer (a database that hangs), or
// refuses them (a database that is gone).
type faultyLink struct {
	ln     net.Listener
	target string
	mu     sync.Mutex
	mode   string
	conns  []net.Conn
}

func newFaultyLink(t *testing.T, target string) *faultyLink {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	f := &faultyLink{ln: ln, target: strings.TrimPrefix(target, "http://"), mode: "pass"}
	go f.serve()
	t.Cleanup(func() { ln.Close(); f.set("refuse") })
	return f
}

func (f *faultyLink) url() string { return "http://" + f.ln.Addr().String() }

// set changes the mode and cuts every connection open so far.
func (f *faultyLink) set(mode string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.mode = mode
	for _, c := range f.conns {
		c.Close()
	}
	f.conns = nil
}

func (f *faultyLink) serve() {
	for {
		c, err := f.ln.Accept()
		if err != nil {
			return
		}
		f.mu.Lock()
		mode := f.mode
		if mode == "refuse" {
			f.mu.Unlock()
			c.Close()
			continue
		}
		f.conns = append(f.conns, c)
		f.mu.Unlock()
		if mode == "hang" {
			go io.Copy(io.Discard, c) // read the request, never answer
			continue
		}
		up, err := net.Dial("tcp", f.target)
		if err != nil {
			c.Close()
			continue
		}
		f.mu.Lock()
		f.conns = append(f.conns, up)
		f.mu.Unlock()
		go func() { io.Copy(up, c); up.Close() }()
		go func() { io.Copy(c, up); c.Close() }()
	}
}

// While the database hangs or is gone, the API answers 503 with its request
// id within seconds and changes nothing; when it is back, the same running
// functions serve again.
func TestAPIAnswersWithinBoundsWhileTheDatabaseIsDown(t *testing.T) {
	link := newFaultyLink(t, dynamolocal.Endpoint(t))
	e := stacktest.New(t, localstack.Options{FunctionDynamoEndpoint: link.url()})
	admin := e.Token("admin", directory.RoleAdmin)
	created := e.Do("POST", "/products", admin, map[string]any{"name": "云专线", "level": "city", "mode": "self_built"})
	if created.Status != 201 {
		t.Fatalf("create: %d %s", created.Status, created.Body)
	}
	pid := created.Map(t)["id"].(string)

	for _, mode := range []string{"hang", "refuse"} {
		t.Run(mode, func(t *testing.T) {
			link.set(mode)
			var wg sync.WaitGroup
			for _, req := range []struct{ method, path string }{
				{"GET", "/healthz"}, {"GET", "/products/" + pid}, {"POST", "/products"},
			} {
				wg.Add(1)
				go func() {
					defer wg.Done()
					start := time.Now()
					var body any
					if req.method == "POST" {
						body = map[string]any{"name": "不应写入", "level": "city", "mode": "self_built"}
					}
					res := e.Do(req.method, req.path, admin, body)
					took := time.Since(start)
					if res.Status != 503 || took > 15*time.Second {
						t.Errorf("%s %s: %d after %s, want 503 within 15 s: %s", req.method, req.path, res.Status, took.Round(time.Millisecond), res.Body)
						return
					}
					if req.path == "/healthz" {
						return
					}
					var er struct {
						Error struct{ Code, RequestID string }
					}
					res.JSON(t, &er)
					if er.Error.Code != "unavailable" || er.Error.RequestID == "" || er.Error.RequestID != res.Header.Get("X-Request-Id") {
						t.Errorf("%s %s: error %+v, header id %q", req.method, req.path, er.Error, res.Header.Get("X-Request-Id"))
					}
				}()
			}
			wg.Wait()
		})
	}

	link.set("pass")
	if res := e.Do("GET", "/products/"+pid, admin, nil); res.Status != 200 {
		t.Fatalf("after the database is back: %d %s", res.Status, res.Body)
	}
	list := e.Do("GET", "/products", admin, nil).Map(t)["items"].([]any)
	if len(list) != 1 {
		t.Fatalf("%d products after the outage, want only the one created before", len(list))
	}
}
