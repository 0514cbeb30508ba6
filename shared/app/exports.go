package app

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"path"
	"strings"
	"time"

	"productgov/shared/id"
	"productgov/shared/problem"
)

// RunExport returns a download URL of an export of one run of a job (kind,
// period, run), writing it to the work bucket with build on the first
// request: a run's exports never change, so each is built once. build
// writes to a temporary file, so an export's size is not held in memory.
func (s *Service) RunExport(ctx context.Context, kind, p string, run int, name, filename string, build func(w io.Writer) error) (string, error) {
	bucket, err := s.objects()
	if err != nil {
		return "", err
	}
	key := runObjectKey(kind, p, run, name)
	if _, err := bucket.Size(ctx, key); problem.CodeOf(err) == problem.CodeNotFound {
		if err := putBuilt(ctx, bucket, key, contentTypeOf(name), build); err != nil {
			return "", err
		}
	} else if err != nil {
		return "", err
	}
	return bucket.DownloadURL(ctx, key, filename, ExportLinkTTL)
}

// ExportLink writes an export of records that still change (statements
// move through confirm and approve) to the work bucket's tmp/ (expired after
// 7 days) and returns its download URL: built anew on each request, so the
// download shows the records as they are, and never held whole in memory.
func (s *Service) ExportLink(ctx context.Context, kind, p, filename string, build func(w io.Writer) error) (string, error) {
	bucket, err := s.objects()
	if err != nil {
		return "", err
	}
	// The key stays ASCII; the download names the file (Content-Disposition).
	key := fmt.Sprintf("tmp/exports/%s/%s/%s%s", kind, p, id.New("export"), path.Ext(filename))
	if err := putBuilt(ctx, bucket, key, contentTypeOf(filename), build); err != nil {
		return "", err
	}
	return bucket.DownloadURL(ctx, key, filename, ExportLinkTTL)
}

// putBuilt writes what build writes to a temporary file, then the file to
// the bucket.
func putBuilt(ctx context.Context, bucket ObjectStore, key, contentType string, build func(w io.Writer) error) error {
	f, err := os.CreateTemp("", "export-*")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name())
	defer f.Close()
	w := bufio.NewWriterSize(f, 64<<10)
	if err := build(w); err != nil {
		return err
	}
	if err := w.Flush(); err != nil {
		return err
	}
	size, err := f.Seek(0, io.SeekCurrent)
	if err != nil {
		return err
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return err
	}
	return bucket.PutFile(ctx, key, contentType, f, size)
}

// ExportLinkTTL is how long a download link works: long enough to start the
// download, short enough that a forwarded link soon stops working.
const ExportLinkTTL = 5 * time.Minute

func contentTypeOf(name string) string {
	switch {
	case strings.HasSuffix(name, ".xlsx"):
		return "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
	case strings.HasSuffix(name, ".json"):
		return "application/json"
	case strings.HasSuffix(name, ".csv"):
		return "text/csv"
	}
	return "application/octet-stream"
}
