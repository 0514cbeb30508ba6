package s3local

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
)

func TestMain(m *testing.M) { os.Exit(RunTests(m)) }

// TestObjectOperations covers what the application and the ASL engine call:
// put, get, head, paged listing and delete, through the SDK's client.
func TestObjectOperations(t *testing.T) {
	client, bucket := NewTestBucket(t)
	ctx := context.Background()
	for _, key := range []string{"runs/a.json", "runs/b.json", "other/c.json"} {
		if _, err := client.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(key), Body: strings.NewReader(`{"k":"` + key + `"}`)}); err != nil {
			t.Fatal(err)
		}
	}
	got, err := client.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String("runs/a.json")})
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(got.Body)
	if string(body) != `{"k":"runs/a.json"}` {
		t.Errorf("get: %s", body)
	}
	head, err := client.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String("runs/b.json")})
	if err != nil || aws.ToInt64(head.ContentLength) != int64(len(`{"k":"runs/b.json"}`)) {
		t.Errorf("head: %v %v", err, head)
	}
	var keys []string
	p := s3.NewListObjectsV2Paginator(client, &s3.ListObjectsV2Input{Bucket: aws.String(bucket), Prefix: aws.String("runs/"), MaxKeys: aws.Int32(1)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, o := range page.Contents {
			keys = append(keys, aws.ToString(o.Key))
		}
	}
	if strings.Join(keys, ",") != "runs/a.json,runs/b.json" {
		t.Errorf("list runs/ one a page: %v", keys)
	}
	if _, err := client.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(bucket), Key: aws.String("runs/a.json")}); err != nil {
		t.Fatal(err)
	}
	_, err = client.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String("runs/a.json")})
	var missing *s3types.NoSuchKey
	if !errors.As(err, &missing) {
		t.Errorf("get after delete: %v, want NoSuchKey", err)
	}
	// Creating the bucket again is harmless: make run does it at every start.
	if err := EnsureBucket(ctx, client, bucket); err != nil {
		t.Fatal(err)
	}
}

// TestPresignedURLs: a browser (or curl) uploads and downloads through URLs
// the SDK's presign client makes, without credentials of its own.
func TestPresignedURLs(t *testing.T) {
	client, bucket := NewTestBucket(t)
	ctx := context.Background()
	presign := s3.NewPresignClient(client)
	put, err := presign.PresignPutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String("uploads/figures.csv")}, s3.WithPresignExpires(time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest(http.MethodPut, put.URL, bytes.NewReader([]byte("product_id,month,value\n")))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("presigned PUT: %d", resp.StatusCode)
	}
	get, err := presign.PresignGetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String("uploads/figures.csv")}, s3.WithPresignExpires(time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	resp, err = http.Get(get.URL)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || string(body) != "product_id,month,value\n" {
		t.Fatalf("presigned GET: %d %q", resp.StatusCode, body)
	}
}
