package bench

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddb "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// fakeDynamo answers every call with an empty result of the right shape;
// the first Query fails with a 500, which the SDK retries.
func fakeDynamo(t *testing.T) *dynamodb.Client {
	var failedOnce atomic.Bool
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		op := strings.TrimPrefix(r.Header.Get("X-Amz-Target"), "DynamoDB_20120810.")
		w.Header().Set("Content-Type", "application/x-amz-json-1.0")
		switch op {
		case "Query":
			if failedOnce.CompareAndSwap(false, true) {
				w.WriteHeader(http.StatusInternalServerError)
				_, _ = io.WriteString(w, `{"__type":"com.amazonaws.dynamodb.v20120810#InternalServerError","message":"try again"}`)
				return
			}
			_, _ = io.WriteString(w, `{"Count":2,"ScannedCount":2,"Items":[{"pk":{"S":"a"}},{"pk":{"S":"b"}}]}`)
		case "BatchGetItem":
			_, _ = io.WriteString(w, `{"Responses":{},"UnprocessedKeys":{}}`)
		default:
			_, _ = io.WriteString(w, `{}`)
		}
	}))
	t.Cleanup(srv.Close)
	return dynamodb.New(dynamodb.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(srv.URL),
		Credentials:  credentials.NewStaticCredentialsProvider("x", "y", ""),
	})
}

func TestRequestCounterCountsCallsAttemptsAndItems(t *testing.T) {
	ctx := context.Background()
	c := NewRequestCounter()
	db := c.Client(fakeDynamo(t))
	if _, err := db.Query(ctx, &dynamodb.QueryInput{TableName: aws.String("t"), IndexName: aws.String("gsi1"),
		KeyConditionExpression: aws.String("pk = :p")}); err != nil {
		t.Fatal(err)
	}
	keys := []map[string]ddb.AttributeValue{{"pk": &ddb.AttributeValueMemberS{Value: "a"}}, {"pk": &ddb.AttributeValueMemberS{Value: "b"}}}
	before := c.Snapshot()
	if _, err := db.BatchGetItem(ctx, &dynamodb.BatchGetItemInput{RequestItems: map[string]ddb.KeysAndAttributes{"t": {Keys: keys}}}); err != nil {
		t.Fatal(err)
	}
	got := c.Snapshot()
	if want := (OpCount{Calls: 1, Attempts: 2, Items: 2}); got["Query gsi1"] != want {
		t.Errorf("Query gsi1 = %+v, want %+v", got["Query gsi1"], want)
	}
	if want := (OpCount{Calls: 1, Attempts: 1, Items: 2}); got["BatchGetItem"] != want {
		t.Errorf("BatchGetItem = %+v, want %+v", got["BatchGetItem"], want)
	}
	if got.Attempts() != 3 {
		t.Errorf("Attempts = %d, want 3", got.Attempts())
	}
	diff := got.Sub(before)
	if len(diff) != 1 || diff["BatchGetItem"].Calls != 1 {
		t.Errorf("Sub = %+v, want only the BatchGetItem", diff)
	}
	if sum := diff.Add(before); sum["Query gsi1"] != got["Query gsi1"] || sum["BatchGetItem"] != got["BatchGetItem"] {
		t.Errorf("Add = %+v, want %+v", sum, got)
	}
	// The original client counts nothing.
	plain := fakeDynamo(t)
	if _, err := plain.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String("t"), Key: keys[0]}); err != nil {
		t.Fatal(err)
	}
	if c.Snapshot().Attempts() != 3 {
		t.Error("a client without the middleware was counted")
	}
}

func TestParseProcStatus(t *testing.T) {
	m, err := parseProcStatus([]byte("Name:\tjava\nVmHWM:\t  2048 kB\nVmRSS:\t  1024 kB\nThreads:\t9\n"))
	if err != nil {
		t.Fatal(err)
	}
	if m.RSS != 1024<<10 || m.PeakRSS != 2048<<10 {
		t.Errorf("got %+v", m)
	}
	if _, err := parseProcStatus([]byte("Name:\tx\n")); err == nil {
		t.Error("want an error without VmRSS")
	}
}

func TestFindChildAndReadProcMemory(t *testing.T) {
	cmd := exec.Command("sleep", "37.5")
	if err := cmd.Start(); err != nil {
		t.Skip("no sleep command:", err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	pid, err := FindChild("sleep", "37.5")
	if err != nil {
		t.Fatal(err)
	}
	if pid != cmd.Process.Pid {
		t.Errorf("pid %d, want %d", pid, cmd.Process.Pid)
	}
	if m, err := ReadProcMemory(pid); err != nil || m.RSS == 0 || m.PeakRSS < m.RSS {
		t.Errorf("memory %+v, %v", m, err)
	}
	if _, err := FindChild("sleep", "36.5"); err == nil {
		t.Error("found a child that does not exist")
	}
}
