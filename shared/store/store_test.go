package store_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddb "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"productgov/infra/dynamolocal"
	"productgov/shared/audit"
	"productgov/shared/decision"
	"productgov/shared/problem"
	"productgov/shared/product"
	"productgov/shared/store"
)

func TestMain(m *testing.M) { os.Exit(dynamolocal.RunTests(m)) }

func newStore(t *testing.T) *store.Store {
	t.Helper()
	client, table := dynamolocal.NewTestTable(t)
	return store.New(client, table)
}

func meta() audit.Meta { return audit.Meta{Actor: "test", RequestID: "t", At: time.Now()} }

func create(t *testing.T, st *store.Store, id string, stage product.Stage, level product.Level) product.Product {
	t.Helper()
	p := product.New(id, product.Draft{Name: id, Level: level, Mode: product.ModeSelfBuilt, Stage: stage}, "test", time.Now())
	first := product.StageChange{ProductID: id, To: stage, At: time.Now(), By: "test", Reason: "test", PolicyVersion: "v"}
	if err := st.CreateProduct(context.Background(), meta(), p, first); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestCreateIsConditional(t *testing.T) {
	st := newStore(t)
	create(t, st, "p1", product.StageDemand, product.LevelCity)
	p := product.New("p1", product.Draft{Name: "again", Level: product.LevelCity, Mode: product.ModeSelfBuilt}, "x", time.Now())
	err := st.CreateProduct(context.Background(), meta(), p, product.StageChange{ProductID: "p1", To: product.StageDemand, At: time.Now()})
	if problem.CodeOf(err) != problem.CodeConflict {
		t.Fatalf("second create: %v", err)
	}
	got, err := st.GetProduct(context.Background(), "p1")
	if err != nil || got.Name != "p1" || got.Version != 1 {
		t.Fatalf("product after a refused create: %+v %v", got, err)
	}
}

// Concurrent updates never lose a write: each re-reads and re-applies on a clash.
func TestConcurrentUpdatesAllLand(t *testing.T) {
	st := newStore(t)
	create(t, st, "p1", product.StageDemand, product.LevelCity)
	const n = 12
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := st.UpdateProduct(context.Background(), meta(), "p1", func(p *product.Product) (product.Change, error) {
				p.Customers++
				return product.Change{Action: "test.increment"}, nil
			})
			if err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	got, _ := st.GetProduct(context.Background(), "p1")
	if got.Customers != n || got.Version != n+1 {
		t.Fatalf("customers %d version %d, want %d and %d", got.Customers, got.Version, n, n+1)
	}
}

// Listings page through the indexes with opaque cursors, each item once.
func TestListPagesThroughIndexes(t *testing.T) {
	st := newStore(t)
	for i := 0; i < 7; i++ {
		create(t, st, fmt.Sprintf("c%d", i), product.StageCommercial, product.LevelCity)
	}
	create(t, st, "h1", product.StageCommercial, product.LevelHQ)
	create(t, st, "d1", product.StageDemand, product.LevelCity)
	tests := []struct {
		name   string
		filter product.Filter
		want   int
	}{
		{"stage and level", product.Filter{Stage: product.StageCommercial, Level: product.LevelCity}, 7},
		{"stage", product.Filter{Stage: product.StageCommercial}, 8},
		{"level", product.Filter{Level: product.LevelCity}, 8},
		{"all", product.Filter{}, 9},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			seen := map[string]bool{}
			cursor := ""
			for pages := 0; ; pages++ {
				items, next, err := st.ListProducts(context.Background(), tt.filter, cursor, 3)
				if err != nil {
					t.Fatal(err)
				}
				for _, p := range items {
					if seen[p.ID] {
						t.Fatalf("%s listed twice", p.ID)
					}
					seen[p.ID] = true
				}
				if next == "" {
					break
				}
				if pages > 10 {
					t.Fatal("the cursor never ends")
				}
				cursor = next
			}
			if len(seen) != tt.want {
				t.Fatalf("listed %d, want %d", len(seen), tt.want)
			}
		})
	}
	if _, _, err := st.ListProducts(context.Background(), product.Filter{}, "garbage", 3); problem.CodeOf(err) != problem.CodeInvalid {
		t.Fatalf("a bad cursor: %v", err)
	}
}

// The audit trail holds every change with before and after, oldest first.
func TestAuditTrail(t *testing.T) {
	st := newStore(t)
	create(t, st, "p1", product.StageDemand, product.LevelCity)
	if _, err := st.UpdateProduct(context.Background(), meta(), "p1", func(p *product.Product) (product.Change, error) {
		p.Name = "renamed"
		return product.Change{Action: "product.rename"}, nil
	}); err != nil {
		t.Fatal(err)
	}
	trail, _, err := st.Audit(context.Background(), "product/p1", "", 10)
	if err != nil || len(trail) != 2 {
		t.Fatalf("trail %v %v", trail, err)
	}
	if trail[0].Action != "product.create" || string(trail[0].Before) != "null" || trail[1].Action != "product.rename" {
		t.Fatalf("trail %+v", trail)
	}
}

// Submissions are listed newest first across the shards of their time
// index, a page at a time, each once, and a status or applicant filter
// narrows them without losing or repeating any.
func TestSubmissionsMergeAcrossShards(t *testing.T) {
	st := newStore(t)
	ctx := context.Background()
	base := time.Date(2026, 11, 1, 9, 0, 0, 0, time.UTC)
	const n = 40
	for i := range n {
		status := decision.StatusGroupReview
		if i%3 == 0 {
			status = decision.StatusApproved
		}
		sub := decision.Submission{ID: fmt.Sprintf("sub_%03d", i), Type: decision.TypeDemand, Status: status,
			Applicant: fmt.Sprintf("pm%d", i%4), CreatedAt: base.Add(time.Duration(i) * time.Minute), Content: json.RawMessage(`{}`)}
		if err := st.CreateSubmission(ctx, meta(), sub); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		name   string
		filter store.SubmissionFilter
		limit  int32
		want   int
	}{
		{"all, 7 a page", store.SubmissionFilter{}, 7, n},
		{"all, one page", store.SubmissionFilter{}, 100, n},
		{"approved, 2 a page", store.SubmissionFilter{Status: decision.StatusApproved}, 2, (n + 2) / 3},
		{"one applicant's, 3 a page", store.SubmissionFilter{Applicant: "pm1"}, 3, n / 4},
		{"one applicant's approved", store.SubmissionFilter{Applicant: "pm0", Status: decision.StatusApproved}, 5, 4}, // i = 0, 12, 24, 36
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var got []string
			cursor := ""
			for pages := 0; ; pages++ {
				items, next, err := st.ListSubmissions(ctx, tc.filter, cursor, tc.limit)
				if err != nil {
					t.Fatal(err)
				}
				if int32(len(items)) > tc.limit || pages > n {
					t.Fatalf("page %d: %d items", pages, len(items))
				}
				for _, s := range items {
					got = append(got, s.ID)
				}
				if next == "" {
					break
				}
				cursor = next
			}
			if len(got) != tc.want {
				t.Fatalf("%d submissions listed, want %d: %v", len(got), tc.want, got)
			}
			for i := 1; i < len(got); i++ {
				if got[i] >= got[i-1] {
					t.Fatalf("not newest first at %d: %v", i, got)
				}
			}
		})
	}
}

// A product written before the owner index gets its entry from IndexOwners,
// once; a product manager's listing then finds it.
func TestIndexOwnersBackfills(t *testing.T) {
	ctx := context.Background()
	client, table := dynamolocal.NewTestTable(t)
	st := store.New(client, table)
	for _, id := range []string{"p1", "p2"} {
		p := product.New(id, product.Draft{Name: id, Level: product.LevelCity, Mode: product.ModeSelfBuilt}, "pm1", time.Now())
		if err := st.CreateProduct(ctx, meta(), p, product.StageChange{ProductID: id, To: p.Stage, At: time.Now()}); err != nil {
			t.Fatal(err)
		}
	}
	// p2 as a table from before the index holds it.
	if _, err := client.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: aws.String(table),
		Key:              map[string]ddb.AttributeValue{"pk": &ddb.AttributeValueMemberS{Value: "PRODUCT#p2"}, "sk": &ddb.AttributeValueMemberS{Value: "PRODUCT"}},
		UpdateExpression: aws.String("REMOVE gsi2pk, gsi2sk")}); err != nil {
		t.Fatal(err)
	}
	mine := func() int {
		items, _, err := st.ListProducts(ctx, product.Filter{CreatedBy: "pm1"}, "", 100)
		if err != nil {
			t.Fatal(err)
		}
		return len(items)
	}
	if n := mine(); n != 1 {
		t.Fatalf("before: %d of pm1's products listed, want 1", n)
	}
	for i, want := range []int{1, 0} {
		if n, err := st.IndexOwners(ctx); err != nil || n != want {
			t.Fatalf("pass %d indexed %d (%v), want %d", i+1, n, err, want)
		}
	}
	if n := mine(); n != 2 {
		t.Fatalf("after: %d of pm1's products listed, want 2", n)
	}
}
