package objects_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"productgov/infra/s3local"
	"productgov/shared/objects"
	"productgov/shared/problem"
)

func TestMain(m *testing.M) { os.Exit(s3local.RunTests(m)) }

func TestObjects(t *testing.T) {
	ctx := context.Background()
	client, name := s3local.NewTestBucket(t)
	b := objects.New(client, name)
	if err := b.Put(ctx, "runs/a.json", "application/json", []byte(`[1,2,3]`)); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, key string
		limit     int64
		want      string
		code      problem.Code
	}{
		{"whole object", "runs/a.json", 100, "[1,2,3]", ""},
		{"at the limit", "runs/a.json", 7, "[1,2,3]", ""},
		{"over the limit", "runs/a.json", 6, "", problem.CodeInvalid},
		{"missing", "runs/none.json", 100, "", problem.CodeNotFound},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := b.Get(ctx, tc.key, tc.limit)
			if (tc.code == "" && err != nil) || (tc.code != "" && problem.CodeOf(err) != tc.code) {
				t.Fatalf("Get(%s, %d) error %v, want code %q", tc.key, tc.limit, err, tc.code)
			}
			if string(got) != tc.want {
				t.Fatalf("Get = %q, want %q", got, tc.want)
			}
		})
	}
	if n, err := b.Size(ctx, "runs/a.json"); err != nil || n != 7 {
		t.Fatalf("Size = %d, %v", n, err)
	}
	if _, err := b.Size(ctx, "runs/none.json"); problem.CodeOf(err) != problem.CodeNotFound {
		t.Fatalf("Size of a missing object: %v", err)
	}
}

// TestPresignedRoundTrip: a file goes up through an upload URL and comes down
// through a download URL, as a browser sends and fetches it.
func TestPresignedRoundTrip(t *testing.T) {
	ctx := context.Background()
	client, name := s3local.NewTestBucket(t)
	b := objects.New(client, name)
	up, err := b.UploadURL(ctx, "uploads/f.csv", "text/csv", 15*time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	body := strings.Repeat("P001,2026-01,100.00\n", 1000)
	req, _ := http.NewRequestWithContext(ctx, http.MethodPut, up, strings.NewReader(body))
	req.Header.Set("Content-Type", "text/csv")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Fatalf("PUT through the upload URL: %s", res.Status)
	}
	down, err := b.DownloadURL(ctx, "uploads/f.csv", "收入 2026-01.csv", time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	res, err = http.Get(down)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusOK || !bytes.Equal(got, []byte(body)) {
		t.Fatalf("GET through the download URL: %s, %d bytes", res.Status, len(got))
	}
}
