package api_test

import (
	"testing"

	"productgov/infra/localstack/stacktest"
	"productgov/shared/directory"
)

// The console's queue and dashboard (issue 12): a reviewer sees what waits
// for their vote and nothing else; the dashboard names what waits.
func TestReviewQueueAndDashboard(t *testing.T) {
	e := stacktest.New(t)
	tokens := people(t, e, nil)
	pid := createProduct(t, e, tokens["pm2"], map[string]any{"name": "队列产品", "level": "city", "mode": "self_built"})["id"].(string)
	res := e.Do("POST", "/submissions", tokens["pm2"], demandContent(pid, "100000.00"))
	if res.Status != 201 {
		t.Fatalf("submit: %d %s", res.Status, res.Body)
	}
	sub := res.Map(t)["id"].(string)
	if st := vote(t, e, tokens["rev2"], sub, "group", "approve"); st != 201 {
		t.Fatalf("rev2: %d", st)
	}
	queued := func(tok string) (bool, int) {
		t.Helper()
		res := e.Do("GET", "/review-queue", tok, nil)
		if res.Status != 200 {
			t.Fatalf("queue: %d %s", res.Status, res.Body)
		}
		for _, it := range res.Map(t)["items"].([]any) {
			m := it.(map[string]any)
			if m["submission"].(map[string]any)["id"] == sub {
				return true, int(m["votes"].(float64))
			}
		}
		return false, 0
	}
	tests := []struct {
		name string
		who  string
		want bool
	}{
		{"a reviewer who has not voted", "rev1", true},
		{"a reviewer who voted", "rev2", false},
		{"the applicant, also a reviewer", "pm2", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in, votes := queued(tokens[tt.who])
			if in != tt.want {
				t.Fatalf("in %s's queue: %v, want %v", tt.who, in, tt.want)
			}
			if in && votes != 1 {
				t.Errorf("votes so far %d, want 1", votes)
			}
		})
	}
	d := e.Do("GET", "/dashboard", e.Token("guest"), nil).Map(t)
	waiting := d["waiting"].([]any)
	if len(waiting) != 1 || waiting[0].(map[string]any)["productName"] != "队列产品" || waiting[0].(map[string]any)["status"] != "group_review" {
		t.Fatalf("waiting %v", waiting)
	}
	if n := d["portfolio"].(map[string]any)["demand"].(map[string]any)[""]; n != float64(1) {
		t.Errorf("portfolio %v", d["portfolio"])
	}
	if e.Do("GET", "/review-queue", e.Token("aud1", directory.RoleAuditor), nil).Status != 403 {
		t.Error("the auditor has a review queue")
	}
}
