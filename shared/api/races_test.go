package api_test

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"productgov/infra/localstack/stacktest"
	"productgov/shared/directory"
)

// storedVotes counts the votes stored for a submission: each has its audit
// entry, written in the vote's own transaction.
func storedVotes(t *testing.T, e *stacktest.Env, subID string) map[string]int {
	t.Helper()
	admin := e.Token("admin", directory.RoleAdmin)
	out := map[string]int{}
	cursor := ""
	for {
		res := e.Do("GET", "/audit?entity=submission/"+subID+"&limit=100&cursor="+cursor, admin, nil)
		if res.Status != 200 {
			t.Fatalf("audit: %d %s", res.Status, res.Body)
		}
		var page struct {
			Items []struct {
				Action string         `json:"action"`
				Actor  string         `json:"actor"`
				After  map[string]any `json:"after"`
			} `json:"items"`
			NextCursor string `json:"nextCursor"`
		}
		res.JSON(t, &page)
		for _, it := range page.Items {
			if it.Action == "submission.vote" {
				out[it.Actor]++
			}
		}
		if page.NextCursor == "" {
			return out
		}
		cursor = page.NextCursor
	}
}

// Every vote answered 2xx is stored and counted, whatever races it: the
// seven reviewers each send their approval three times at once.
func TestConcurrentVotesAreAllStored(t *testing.T) {
	e := stacktest.New(t)
	tokens := people(t, e, nil)
	pm := tokens["pm1"]
	pid := createProduct(t, e, pm, map[string]any{"name": "并发评审", "level": "city", "mode": "self_built"})["id"].(string)
	id := e.Do("POST", "/submissions", pm, demandContent(pid, "100000.00")).Map(t)["id"].(string)
	var mu sync.Mutex
	accepted := map[string]int{}
	var wg sync.WaitGroup
	for i := 1; i <= 7; i++ {
		for range 3 {
			wg.Add(1)
			go func(sub string) {
				defer wg.Done()
				st := vote(t, e, tokens[sub], id, "group", "approve")
				if st/100 == 2 {
					mu.Lock()
					accepted[sub]++
					mu.Unlock()
				} else if st != 409 {
					t.Errorf("%s: status %d, want 201 or 409", sub, st)
				}
			}(fmt.Sprintf("rev%d", i))
		}
	}
	wg.Wait()
	stored := storedVotes(t, e, id)
	for sub, n := range accepted {
		if n != 1 || stored[sub] != 1 {
			t.Errorf("%s: %d votes acknowledged, %d stored; want one of each", sub, n, stored[sub])
		}
	}
	for sub, n := range stored {
		if accepted[sub] != n {
			t.Errorf("%s: %d votes stored but %d acknowledged", sub, n, accepted[sub])
		}
	}
	if len(accepted) == 0 {
		t.Fatal("no vote was accepted")
	}
}

// An accepted reject ends the submission even while approvals race it, and
// a vote answered 2xx is always stored (10 trials).
func TestAcceptedRejectEndsTheSubmission(t *testing.T) {
	e := stacktest.New(t)
	tokens := people(t, e, nil)
	pm := tokens["pm1"]
	rejectsWon := 0
	for trial := range 10 {
		pid := createProduct(t, e, pm, map[string]any{"name": fmt.Sprintf("竞态%d", trial), "level": "city", "mode": "self_built"})["id"].(string)
		id := e.Do("POST", "/submissions", pm, demandContent(pid, "100000.00")).Map(t)["id"].(string)
		statuses := map[string]int{}
		var mu sync.Mutex
		var wg sync.WaitGroup
		for i := 1; i <= 6; i++ {
			wg.Add(1)
			go func(sub, verdict string) {
				defer wg.Done()
				st := vote(t, e, tokens[sub], id, "group", verdict)
				mu.Lock()
				statuses[sub] = st
				mu.Unlock()
			}(fmt.Sprintf("rev%d", i), map[bool]string{true: "reject", false: "approve"}[i == 6])
		}
		wg.Wait()
		stored := storedVotes(t, e, id)
		for sub, st := range statuses {
			if (st/100 == 2) != (stored[sub] == 1) {
				t.Errorf("trial %d: %s answered %d but %d votes stored", trial, sub, st, stored[sub])
			}
		}
		if statuses["rev6"] == 201 {
			rejectsWon++
			// Give the workflow time to move on, if it wrongly would.
			time.Sleep(300 * time.Millisecond)
			if st := submission(t, e, pm, id)["status"]; st != "rejected" {
				t.Fatalf("trial %d: the reject was accepted (201) but the submission is %v", trial, st)
			}
		} else if statuses["rev6"] != 409 {
			t.Fatalf("trial %d: reject answered %d", trial, statuses["rev6"])
		}
	}
	t.Logf("the reject won %d of 10 races", rejectsWon)
}
