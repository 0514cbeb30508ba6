package asl

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// S3 is the part of the Amazon S3 API a Distributed Map uses: *s3.Client
// implements it (locally pointed at infra/s3local's server).
type S3 interface {
	GetObject(ctx context.Context, params *s3.GetObjectInput, optFns ...func(*s3.Options)) (*s3.GetObjectOutput, error)
	ListObjectsV2(ctx context.Context, params *s3.ListObjectsV2Input, optFns ...func(*s3.Options)) (*s3.ListObjectsV2Output, error)
	PutObject(ctx context.Context, params *s3.PutObjectInput, optFns ...func(*s3.Options)) (*s3.PutObjectOutput, error)
}

var _ S3 = (*s3.Client)(nil)

// WithS3 gives the engine the S3 client its ItemReaders and ResultWriters use.
func WithS3(client S3) Option { return func(e *Engine) { e.s3 = client } }

// readItems runs an ItemReader: s3:getObject parses one object as a JSON
// array, JSON Lines or CSV; s3:listObjectsV2 lists the objects under a
// prefix. Any failure to read or parse is States.ItemReaderFailed.
func (ex *execution) readItems(ctx context.Context, r *itemReader, env *evalEnv) ([]any, error) {
	fail := func(format string, args ...any) error {
		return newStatesError(ErrorItemReaderFailed, format, args...)
	}
	params, err := r.parameters.evaluate(env)
	if err != nil {
		return nil, err
	}
	bucket, _ := member(params, "Bucket")
	bucketName, _ := bucket.(string)
	if bucketName == "" {
		return nil, fail("the ItemReader's Parameters name no Bucket")
	}
	limit, err := maxItems(r, env)
	if err != nil {
		return nil, err
	}
	client := ex.engine.s3
	if client == nil {
		return nil, fail("no S3 client: the engine was created without asl.WithS3")
	}
	var items []any
	switch r.resource {
	case resourceS3ListObjectsV2:
		prefix, _ := member(params, "Prefix")
		prefixText, _ := prefix.(string)
		p := s3.NewListObjectsV2Paginator(client, &s3.ListObjectsV2Input{Bucket: aws.String(bucketName), Prefix: aws.String(prefixText)})
		for p.HasMorePages() && int64(len(items)) < limit {
			page, err := p.NextPage(ctx)
			if err != nil {
				return nil, fail("listObjectsV2 s3://%s/%s: %v", bucketName, prefixText, err)
			}
			for _, o := range page.Contents {
				class := string(o.StorageClass)
				if class == "" {
					class = "STANDARD"
				}
				// Members in the order AWS writes them.
				items = append(items, objectOf(
					"Etag", aws.ToString(o.ETag),
					"LastModified", aws.ToTime(o.LastModified).Unix(),
					"Key", aws.ToString(o.Key),
					"Size", aws.ToInt64(o.Size),
					"StorageClass", class,
				))
			}
		}
	default:
		keyValue, _ := member(params, "Key")
		key, _ := keyValue.(string)
		if key == "" {
			return nil, fail("the ItemReader's Parameters name no Key")
		}
		out, err := client.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucketName), Key: aws.String(key)})
		if err != nil {
			return nil, fail("getObject s3://%s/%s: %v", bucketName, key, err)
		}
		body, err := io.ReadAll(out.Body)
		out.Body.Close()
		if err != nil {
			return nil, fail("getObject s3://%s/%s: %v", bucketName, key, err)
		}
		if items, err = parseItems(r, body); err != nil {
			return nil, fail("s3://%s/%s: %v", bucketName, key, err)
		}
	}
	if int64(len(items)) > limit {
		items = items[:limit]
	}
	return items, nil
}

// readerItemsLimit is where Step Functions stops reading items, whatever
// MaxItems says.
const readerItemsLimit = 100000000

// maxItems evaluates MaxItems(Path): 0 reads every item (up to
// readerItemsLimit). A path selecting a non-integer is States.Runtime, a
// negative one States.ItemReaderFailed, as recorded on AWS.
func maxItems(r *itemReader, env *evalEnv) (int64, error) {
	n := r.maxItems
	if r.maxItemsPath != nil {
		v, found, err := r.maxItemsPath.lookup(env)
		if err != nil {
			return 0, err
		}
		var ok bool
		if n, ok = toInteger(v); !found || !ok {
			return 0, newStatesError(ErrorRuntime, "The MaxItemsPath field refers to value %s which is not a valid integer: %s", mustEncodeJSON(v), r.maxItemsPath.text)
		}
		if n < 0 {
			return 0, newStatesError(ErrorItemReaderFailed, "field MaxItems must be positive")
		}
	}
	if n == 0 || n > readerItemsLimit {
		n = readerItemsLimit
	}
	return n, nil
}

// parseItems reads the items of an object by its InputType.
func parseItems(r *itemReader, body []byte) ([]any, error) {
	switch r.inputType {
	case "JSON":
		v, err := decodeJSON(body)
		if err != nil {
			return nil, fmt.Errorf("invalid JSON: %v", err)
		}
		list, ok := v.([]any)
		if !ok {
			return nil, errors.New("Attempting to map over non-iterable node.")
		}
		return list, nil
	case "JSONL":
		var items []any
		for n, line := range strings.Split(string(body), "\n") {
			line = strings.TrimSpace(line)
			if line == "" {
				continue
			}
			v, err := decodeJSON([]byte(line))
			if err != nil {
				return nil, fmt.Errorf("line %d: invalid JSON: %v", n+1, err)
			}
			items = append(items, v)
		}
		return items, nil
	}
	cr := csv.NewReader(bytes.NewReader(body))
	cr.FieldsPerRecord = -1
	rows, err := cr.ReadAll()
	if err != nil {
		return nil, fmt.Errorf("invalid CSV: %v", err)
	}
	headers := r.csvHeaders
	if r.csvFromFile {
		if len(rows) == 0 {
			return nil, errors.New("the CSV object has no header row")
		}
		headers, rows = rows[0], rows[1:]
	}
	seen := map[string]bool{}
	for _, h := range headers {
		if seen[h] {
			return nil, errors.New("CSV headers cannot contain duplicates.")
		}
		seen[h] = true
	}
	// As on AWS, fields beyond the headers are dropped and missing ones
	// are empty strings.
	items := make([]any, 0, len(rows))
	for _, row := range rows {
		item := newObject(len(headers))
		for i, h := range headers {
			value := ""
			if i < len(row) {
				value = row[i]
			}
			item.set(h, value)
		}
		items = append(items, item)
	}
	return items, nil
}

// writeResults runs a ResultWriter: the children's records go to
// <Prefix>/<Map Run id>/SUCCEEDED_0.json, FAILED_0.json and PENDING_0.json
// (each only when it has entries) and manifest.json lists them; the Map's
// result then names the Map Run and the manifest.
func (ex *execution) writeResults(ctx context.Context, v *visit, env *evalEnv, run mapRun, outcomes []childOutcome) (any, error) {
	fail := func(format string, args ...any) error {
		return newStatesError(ErrorResultWriterFailed, format, args...)
	}
	params, err := v.state.dist.writer.parameters.evaluate(env)
	if err != nil {
		return nil, err
	}
	bucketValue, _ := member(params, "Bucket")
	bucket, _ := bucketValue.(string)
	prefixValue, _ := member(params, "Prefix")
	prefix, _ := prefixValue.(string)
	if bucket == "" {
		return nil, fail("the ResultWriter's Parameters name no Bucket")
	}
	client := ex.engine.s3
	if client == nil {
		return nil, fail("no S3 client: the engine was created without asl.WithS3")
	}
	base := keyOf(prefix, run.id)
	put := func(key string, body []byte) error {
		_, err := client.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(key),
			Body: bytes.NewReader(body), ContentType: aws.String("application/json")})
		if err != nil {
			return fail("putObject s3://%s/%s: %v", bucket, key, err)
		}
		return nil
	}
	results := collectResults(run, outcomes)
	files := objectOf("FAILED", []any{}, "PENDING", []any{}, "SUCCEEDED", []any{})
	for _, group := range []struct {
		status  string
		entries []any
	}{{"FAILED", results.failed}, {"PENDING", results.pending}, {"SUCCEEDED", results.succeeded}} {
		if len(group.entries) == 0 {
			continue
		}
		key := base + "/" + group.status + "_0.json"
		body := []byte(mustEncodeJSON(group.entries))
		if err := put(key, body); err != nil {
			return nil, err
		}
		files.set(group.status, []any{objectOf("Key", key, "Size", int64(len(body)))})
	}
	manifestKey := base + "/manifest.json"
	manifest := objectOf("DestinationBucket", bucket, "MapRunArn", run.arn, "ResultFiles", files)
	if err := put(manifestKey, []byte(mustEncodeJSON(manifest))); err != nil {
		return nil, err
	}
	return objectOf("MapRunArn", run.arn, "ResultWriterDetails", objectOf("Bucket", bucket, "Key", manifestKey)), nil
}
