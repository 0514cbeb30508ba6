package api_test

import (
	"sync"
	"testing"

	"productgov/infra/localstack/stacktest"
	"productgov/shared/directory"
)

// A create sent again with the same Idempotency-Key gets the first answer and
// creates nothing more; the key with another body is refused; ten at once
// create one product.
func TestIdempotencyKeyCreatesOnce(t *testing.T) {
	e := stacktest.New(t)
	pm := e.Token("pm1", directory.RoleProductManager)
	body := map[string]any{"name": "幂等产品", "level": "city", "mode": "self_built"}
	first := e.Do("POST", "/products", pm, body, "Idempotency-Key", "create-1")
	again := e.Do("POST", "/products", pm, body, "Idempotency-Key", "create-1")
	if first.Status != 201 || again.Status != 201 || again.Header.Get("Idempotent-Replayed") != "true" ||
		first.Map(t)["id"] != again.Map(t)["id"] {
		t.Fatalf("repeat: %d %s / %d %s", first.Status, first.Body, again.Status, again.Body)
	}
	other := e.Do("POST", "/products", pm, map[string]any{"name": "别的", "level": "city", "mode": "self_built"}, "Idempotency-Key", "create-1")
	if other.Status != 409 {
		t.Fatalf("the key with another body: %d %s", other.Status, other.Body)
	}
	// Keys belong to their caller: another person's same key is another request.
	if res := e.Do("POST", "/products", e.Token("pm2", directory.RoleProductManager), body, "Idempotency-Key", "create-1"); res.Status != 201 || res.Map(t)["id"] == first.Map(t)["id"] {
		t.Fatalf("another caller's key: %d %s", res.Status, res.Body)
	}
	if res := e.Do("POST", "/products", pm, body, "Idempotency-Key", "bad key with spaces"); res.Status != 400 {
		t.Fatalf("a malformed key: %d", res.Status)
	}

	var wg sync.WaitGroup
	var mu sync.Mutex
	ids := map[any]int{}
	for range 10 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			res := e.Do("POST", "/products", pm, map[string]any{"name": "并发幂等", "level": "city", "mode": "self_built"}, "Idempotency-Key", "create-2")
			mu.Lock()
			defer mu.Unlock()
			switch res.Status {
			case 201:
				ids[res.Map(t)["id"]]++
			case 409:
			default:
				t.Errorf("concurrent repeat: %d %s", res.Status, res.Body)
			}
		}()
	}
	wg.Wait()
	if len(ids) != 1 {
		t.Fatalf("ten requests with one key made %d products: %v", len(ids), ids)
	}
	n := 0
	for _, p := range e.Do("GET", "/products?limit=200", pm, nil).Map(t)["items"].([]any) {
		if p.(map[string]any)["name"] == "并发幂等" {
			n++
		}
	}
	if n != 1 {
		t.Fatalf("%d products named 并发幂等", n)
	}
}
