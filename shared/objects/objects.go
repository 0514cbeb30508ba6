// Package objects keeps what is too large for a table item or a Step
// Functions payload in the work bucket (S3): the jobs' work lists and
// reports, settlement exports, and figure files uploaded through presigned
// URLs. It is an adapter: the use cases see the Bucket type's methods only.
package objects

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"

	"productgov/shared/problem"
)

// Bucket is the work bucket.
type Bucket struct {
	client  *s3.Client
	presign *s3.PresignClient
	name    string
}

// New returns the bucket named name through client.
func New(client *s3.Client, name string) *Bucket {
	return &Bucket{client: client, presign: s3.NewPresignClient(client), name: name}
}

// Name is the bucket's name (what an ItemReader's Bucket names).
func (b *Bucket) Name() string { return b.name }

// Put writes an object whole.
func (b *Bucket) Put(ctx context.Context, key, contentType string, body []byte) error {
	_, err := b.client.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(b.name), Key: aws.String(key),
		Body: bytes.NewReader(body), ContentLength: aws.Int64(int64(len(body))), ContentType: aws.String(contentType)})
	if err != nil {
		return fmt.Errorf("objects: put s3://%s/%s: %w", b.name, key, err)
	}
	return nil
}

// PutFile writes an object from a seekable body of known size (a temporary
// file): a large export is never held in memory twice.
func (b *Bucket) PutFile(ctx context.Context, key, contentType string, body io.ReadSeeker, size int64) error {
	_, err := b.client.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(b.name), Key: aws.String(key),
		Body: body, ContentLength: aws.Int64(size), ContentType: aws.String(contentType)})
	if err != nil {
		return fmt.Errorf("objects: put s3://%s/%s: %w", b.name, key, err)
	}
	return nil
}

// Open reads an object as a stream, with its size; a missing object is
// not_found.
func (b *Bucket) Open(ctx context.Context, key string) (io.ReadCloser, int64, error) {
	out, err := b.client.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(b.name), Key: aws.String(key)})
	if err != nil {
		if isNotFound(err) {
			return nil, 0, problem.NotFound("object", key)
		}
		return nil, 0, fmt.Errorf("objects: get s3://%s/%s: %w", b.name, key, err)
	}
	return out.Body, aws.ToInt64(out.ContentLength), nil
}

// Get reads a whole object of at most limit bytes; a larger one is refused
// rather than read into memory.
func (b *Bucket) Get(ctx context.Context, key string, limit int64) ([]byte, error) {
	body, size, err := b.Open(ctx, key)
	if err != nil {
		return nil, err
	}
	defer body.Close()
	if size > limit {
		return nil, problem.InvalidField("upload", fmt.Sprintf("is %d bytes, more than %d", size, limit))
	}
	data, err := io.ReadAll(io.LimitReader(body, limit+1))
	if err != nil {
		return nil, fmt.Errorf("objects: read s3://%s/%s: %w", b.name, key, err)
	}
	if int64(len(data)) > limit {
		return nil, problem.InvalidField("upload", fmt.Sprintf("is more than %d bytes", limit))
	}
	return data, nil
}

// Size is an object's size in bytes; a missing object is not_found.
func (b *Bucket) Size(ctx context.Context, key string) (int64, error) {
	out, err := b.client.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(b.name), Key: aws.String(key)})
	if err != nil {
		if isNotFound(err) {
			return 0, problem.NotFound("object", key)
		}
		return 0, fmt.Errorf("objects: head s3://%s/%s: %w", b.name, key, err)
	}
	return aws.ToInt64(out.ContentLength), nil
}

// DownloadURL is a presigned GET of an object valid for ttl; the browser
// saves it under filename.
func (b *Bucket) DownloadURL(ctx context.Context, key, filename string, ttl time.Duration) (string, error) {
	in := &s3.GetObjectInput{Bucket: aws.String(b.name), Key: aws.String(key)}
	if filename != "" {
		in.ResponseContentDisposition = aws.String("attachment; filename*=UTF-8''" + url.PathEscape(filename))
	}
	req, err := b.presign.PresignGetObject(ctx, in, s3.WithPresignExpires(ttl))
	if err != nil {
		return "", fmt.Errorf("objects: presign get %s: %w", key, err)
	}
	return req.URL, nil
}

// UploadURL is a presigned PUT of an object valid for ttl: the client sends
// the file straight to the bucket, past the 6 MB a synchronous Lambda call
// carries.
func (b *Bucket) UploadURL(ctx context.Context, key, contentType string, ttl time.Duration) (string, error) {
	req, err := b.presign.PresignPutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(b.name), Key: aws.String(key),
		ContentType: aws.String(contentType)}, s3.WithPresignExpires(ttl))
	if err != nil {
		return "", fmt.Errorf("objects: presign put %s: %w", key, err)
	}
	return req.URL, nil
}

func isNotFound(err error) bool {
	var nsk *s3types.NoSuchKey
	var nf *s3types.NotFound
	var api smithy.APIError
	if errors.As(err, &nsk) || errors.As(err, &nf) {
		return true
	}
	return errors.As(err, &api) && (api.ErrorCode() == "NoSuchKey" || api.ErrorCode() == "NotFound")
}

// PathStyleEnv asks for path-style addressing (the SDK reads no standard
// variable for it).
const PathStyleEnv = "AWS_S3_USE_PATH_STYLE"

// NewClient returns an S3 client on an AWS configuration already loaded (a
// Lambda loads one for all its clients). With an endpoint given, or with
// AWS_S3_USE_PATH_STYLE=true (the local stack sets it beside
// AWS_ENDPOINT_URL_S3), addressing is path-style: a loopback address has no
// bucket subdomains.
func NewClient(cfg aws.Config, endpoint string) *s3.Client {
	return s3.NewFromConfig(cfg, func(o *s3.Options) {
		if endpoint != "" {
			o.BaseEndpoint = aws.String(endpoint)
		}
		o.UsePathStyle = endpoint != "" || os.Getenv(PathStyleEnv) == "true"
	})
}
