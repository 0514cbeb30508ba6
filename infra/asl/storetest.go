package asl

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// TestExecutionStore checks that an ExecutionStore keeps the contract the
// engine relies on. Call it from a test of every implementation; newStore
// must return an empty store (or one where the ARNs used here are unused).
func TestExecutionStore(t *testing.T, newStore func(t *testing.T) ExecutionStore) {
	t.Helper()
	ctx := context.Background()
	// Times are compared at the millisecond precision the contract requires.
	start := time.Date(2024, 5, 6, 7, 8, 9, 123_000_000, time.UTC)
	record := func(name string) ExecutionRecord {
		return ExecutionRecord{
			ExecutionArn:    "arn:aws:states:us-east-1:123456789012:execution:StoreTest:" + name,
			StateMachineArn: "arn:aws:states:us-east-1:123456789012:stateMachine:StoreTest",
			Name:            name,
			Definition:      `{"StartAt":"A","States":{"A":{"Type":"Succeed"}}}`,
			Input:           `{"name":"` + name + `","unicode":"审批"}`,
			Secret:          "c2VjcmV0",
			Status:          StatusRunning,
			StartDate:       start,
		}
	}
	create := func(t *testing.T, s ExecutionStore, rec ExecutionRecord) {
		t.Helper()
		if err := s.CreateExecution(ctx, rec); err != nil {
			t.Fatalf("CreateExecution(%s): %v", rec.Name, err)
		}
	}
	sameTime := cmp.Comparer(func(a, b time.Time) bool { return a.Equal(b) })

	t.Run("CreateAndGet", func(t *testing.T) {
		s := newStore(t)
		want := record("create-get")
		// A Distributed Map's child keeps its parent and Map Run, which
		// decide that Resume leaves it to its parent.
		want.ParentArn = "arn:aws:states:us-east-1:123456789012:execution:StoreTest:parent"
		want.MapRunArn = "arn:aws:states:us-east-1:123456789012:mapRun:StoreTest/Map:0f1c8e0a-6d1b-4c4e-9e59-2f0c1d7a9b3e"
		create(t, s, want)
		got, err := s.GetExecution(ctx, want.ExecutionArn)
		if err != nil {
			t.Fatalf("GetExecution: %v", err)
		}
		if diff := cmp.Diff(want, got, sameTime); diff != "" {
			t.Errorf("GetExecution returned a different record (-want +got):\n%s", diff)
		}
	})

	t.Run("CreateTwice", func(t *testing.T) {
		s := newStore(t)
		first := record("create-twice")
		create(t, s, first)
		second := first
		second.Input = `{"different":true}`
		if err := s.CreateExecution(ctx, second); !errors.Is(err, ErrExecutionExists) {
			t.Fatalf("second CreateExecution: got %v, want ErrExecutionExists", err)
		}
		got, err := s.GetExecution(ctx, first.ExecutionArn)
		if err != nil {
			t.Fatal(err)
		}
		if got.Input != first.Input {
			t.Errorf("the failed create changed the record: input %s", got.Input)
		}
	})

	t.Run("GetUnknown", func(t *testing.T) {
		s := newStore(t)
		if _, err := s.GetExecution(ctx, record("unknown").ExecutionArn); !errors.Is(err, ErrExecutionNotFound) {
			t.Fatalf("got %v, want ErrExecutionNotFound", err)
		}
	})

	t.Run("FinishOnce", func(t *testing.T) {
		s := newStore(t)
		rec := record("finish")
		create(t, s, rec)
		outcome := ExecutionOutcome{Status: StatusFailed, Output: "", Error: "Rejected", Cause: "no budget", StopDate: start.Add(time.Hour)}
		if err := s.FinishExecution(ctx, rec.ExecutionArn, outcome); err != nil {
			t.Fatalf("FinishExecution: %v", err)
		}
		got, err := s.GetExecution(ctx, rec.ExecutionArn)
		if err != nil {
			t.Fatal(err)
		}
		want := rec
		want.Status, want.Error, want.Cause, want.StopDate = StatusFailed, "Rejected", "no budget", start.Add(time.Hour)
		if diff := cmp.Diff(want, got, sameTime); diff != "" {
			t.Errorf("finished record (-want +got):\n%s", diff)
		}
		again := ExecutionOutcome{Status: StatusSucceeded, Output: "{}", StopDate: start.Add(2 * time.Hour)}
		if err := s.FinishExecution(ctx, rec.ExecutionArn, again); !errors.Is(err, ErrExecutionFinished) {
			t.Fatalf("second FinishExecution: got %v, want ErrExecutionFinished", err)
		}
		if got, _ := s.GetExecution(ctx, rec.ExecutionArn); got.Status != StatusFailed {
			t.Errorf("second FinishExecution changed the status to %s", got.Status)
		}
		if err := s.FinishExecution(ctx, record("never-created").ExecutionArn, outcome); !errors.Is(err, ErrExecutionNotFound) {
			t.Fatalf("FinishExecution of an unknown execution: got %v, want ErrExecutionNotFound", err)
		}
	})

	t.Run("FinishWithOutput", func(t *testing.T) {
		s := newStore(t)
		rec := record("finish-output")
		create(t, s, rec)
		outcome := ExecutionOutcome{Status: StatusSucceeded, Output: `{"approved":true,"by":"总经理"}`, StopDate: start.Add(time.Minute)}
		if err := s.FinishExecution(ctx, rec.ExecutionArn, outcome); err != nil {
			t.Fatal(err)
		}
		got, err := s.GetExecution(ctx, rec.ExecutionArn)
		if err != nil {
			t.Fatal(err)
		}
		if got.Status != StatusSucceeded || got.Output != outcome.Output || !got.StopDate.Equal(outcome.StopDate) {
			t.Errorf("got status %s output %s stop %v", got.Status, got.Output, got.StopDate)
		}
	})

	t.Run("ListRunning", func(t *testing.T) {
		s := newStore(t)
		running := []ExecutionRecord{record("running-1"), record("running-2")}
		for _, rec := range running {
			create(t, s, rec)
		}
		done := record("done")
		create(t, s, done)
		if err := s.FinishExecution(ctx, done.ExecutionArn, ExecutionOutcome{Status: StatusSucceeded, Output: "{}", StopDate: start}); err != nil {
			t.Fatal(err)
		}
		got, err := s.ListRunning(ctx)
		if err != nil {
			t.Fatalf("ListRunning: %v", err)
		}
		var arns []string
		for _, rec := range got {
			if rec.Status != StatusRunning {
				t.Errorf("ListRunning returned %s with status %s", rec.Name, rec.Status)
			}
			arns = append(arns, rec.ExecutionArn)
		}
		sort.Strings(arns)
		want := []string{running[0].ExecutionArn, running[1].ExecutionArn}
		if diff := cmp.Diff(want, arns); diff != "" {
			t.Errorf("ListRunning (-want +got):\n%s", diff)
		}
		for _, rec := range got {
			if rec.Definition == "" || rec.Input == "" || rec.Secret == "" {
				t.Errorf("ListRunning returned %s without the fields a resume needs", rec.Name)
			}
		}
	})

	t.Run("History", func(t *testing.T) {
		s := newStore(t)
		rec := record("history")
		create(t, s, rec)
		other := record("history-other")
		create(t, s, other)
		events := []HistoryEvent{
			{Key: "Approve#1@0:started", Kind: EventTaskStarted, Time: start},
			{Key: "Approve#1@0:result", Kind: EventTaskSucceeded, Time: start.Add(time.Second), Output: `{"ok":true}`},
			{Key: "Fan#1@0/[1]/Check#1@0:result", Kind: EventTaskFailed, Time: start.Add(2 * time.Second), Error: "Rejected", Cause: "原因"},
		}
		for _, ev := range events {
			if err := s.AppendHistory(ctx, rec.ExecutionArn, ev); err != nil {
				t.Fatalf("AppendHistory(%s): %v", ev.Key, err)
			}
		}
		if err := s.AppendHistory(ctx, other.ExecutionArn, HistoryEvent{Key: "Approve#1@0:result", Kind: EventTaskFailed, Time: start}); err != nil {
			t.Fatalf("the same key in another execution: %v", err)
		}
		got, err := s.History(ctx, rec.ExecutionArn)
		if err != nil {
			t.Fatalf("History: %v", err)
		}
		sort.Slice(got, func(i, j int) bool { return got[i].Key < got[j].Key })
		want := append([]HistoryEvent(nil), events...)
		sort.Slice(want, func(i, j int) bool { return want[i].Key < want[j].Key })
		if diff := cmp.Diff(want, got, sameTime); diff != "" {
			t.Errorf("History (-want +got):\n%s", diff)
		}
		empty, err := s.History(ctx, record("history-none").ExecutionArn)
		if err != nil || len(empty) != 0 {
			t.Errorf("History of an execution without events: %v, %v", empty, err)
		}
	})

	t.Run("AppendIsCompareAndSet", func(t *testing.T) {
		s := newStore(t)
		rec := record("cas")
		create(t, s, rec)
		first := HistoryEvent{Key: "Wait#1@0:result", Kind: EventTaskSucceeded, Time: start, Output: `"first"`}
		if err := s.AppendHistory(ctx, rec.ExecutionArn, first); err != nil {
			t.Fatal(err)
		}
		second := HistoryEvent{Key: first.Key, Kind: EventTaskFailed, Time: start.Add(time.Second), Error: "States.Timeout"}
		if err := s.AppendHistory(ctx, rec.ExecutionArn, second); !errors.Is(err, ErrDuplicateEvent) {
			t.Fatalf("duplicate AppendHistory: got %v, want ErrDuplicateEvent", err)
		}
		got, err := s.History(ctx, rec.ExecutionArn)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 1 || got[0].Kind != EventTaskSucceeded || got[0].Output != `"first"` {
			t.Errorf("the duplicate changed the history: %+v", got)
		}
	})

	t.Run("ConcurrentAppendOneWinner", func(t *testing.T) {
		s := newStore(t)
		rec := record("race")
		create(t, s, rec)
		const writers = 16
		var wg sync.WaitGroup
		results := make([]error, writers)
		for i := range writers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				results[i] = s.AppendHistory(ctx, rec.ExecutionArn, HistoryEvent{
					Key: "Approve#1@0:result", Kind: EventTaskSucceeded, Time: start, Output: fmt.Sprintf(`{"writer":%d}`, i),
				})
			}()
		}
		wg.Wait()
		winners := 0
		for i, err := range results {
			switch {
			case err == nil:
				winners++
			case !errors.Is(err, ErrDuplicateEvent):
				t.Errorf("writer %d: got %v, want nil or ErrDuplicateEvent", i, err)
			}
		}
		if winners != 1 {
			t.Errorf("%d writers won, want exactly 1", winners)
		}
	})

	t.Run("Tokens", func(t *testing.T) {
		s := newStore(t)
		tok := TaskTokenRecord{Token: "dG9rZW4tMQ", ExecutionArn: record("tokens").ExecutionArn, StepKey: "Approve#1@0"}
		if err := s.PutToken(ctx, tok); err != nil {
			t.Fatalf("PutToken: %v", err)
		}
		if err := s.PutToken(ctx, tok); err != nil {
			t.Fatalf("PutToken of the same mapping again: %v", err)
		}
		got, err := s.LookupToken(ctx, tok.Token)
		if err != nil {
			t.Fatalf("LookupToken: %v", err)
		}
		if got != tok {
			t.Errorf("LookupToken = %+v, want %+v", got, tok)
		}
		if _, err := s.LookupToken(ctx, "dW5rbm93bg"); !errors.Is(err, ErrTokenNotFound) {
			t.Errorf("LookupToken of an unknown token: got %v, want ErrTokenNotFound", err)
		}
	})
}
