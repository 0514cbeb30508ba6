package app

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"strings"
	"time"

	"productgov/shared/directory"
	"productgov/shared/id"
	"productgov/shared/money"
	"productgov/shared/period"
	"productgov/shared/problem"
	"productgov/shared/product"
)

// figureWriters may set monthly figures: the settlement system's data is
// imported by admins (SPEC 6).
var figureWriters = []directory.Role{directory.RoleAdmin}

// PutRevenue sets a product's revenue for a month (SPEC 5).
func (s *Service) PutRevenue(ctx context.Context, caller directory.Person, productID string, month period.Month, amount money.Amount) error {
	if err := require(caller, "setting revenue", figureWriters...); err != nil {
		return err
	}
	if amount < 0 {
		return problem.InvalidField("amount", "must not be negative")
	}
	return s.putFigure(ctx, caller, product.KindRevenue, product.Figure{ProductID: productID, Month: month, Value: int64(amount)})
}

// PutQuality sets a cooperative product's quality score for a month (P§19).
func (s *Service) PutQuality(ctx context.Context, caller directory.Person, productID string, month period.Month, score product.Score) error {
	if err := require(caller, "setting quality scores", figureWriters...); err != nil {
		return err
	}
	return s.putFigure(ctx, caller, product.KindQuality, product.Figure{ProductID: productID, Month: month, Value: int64(score)})
}

func (s *Service) putFigure(ctx context.Context, caller directory.Person, kind product.FigureKind, f product.Figure) error {
	if _, err := s.Products.GetProduct(ctx, f.ProductID); err != nil {
		return err
	}
	return s.Figures.PutFigure(ctx, s.meta(ctx, caller), kind, f)
}

// maxImportRows bounds one file; a province's portfolio of tens of thousands
// of products fits.
const maxImportRows = 200_000

// maxReportedLines bounds how many bad lines one response lists.
const maxReportedLines = 500

// ImportResult tells what an import wrote.
type ImportResult struct {
	ImportID string `json:"importId"`
	Rows     int    `json:"rows"`
}

// ImportFigures takes the rows of an imported file, `product_id,month,value`
// (a header row is allowed), and writes all of them or none: every bad line is
// reported with its number, and nothing is written unless every line is good.
// Reading the file's format (CSV, XLSX) is the caller's part.
func (s *Service) ImportFigures(ctx context.Context, caller directory.Person, kind product.FigureKind, fileName string, rows [][]string) (ImportResult, error) {
	if err := require(caller, "importing figures", figureWriters...); err != nil {
		return ImportResult{}, err
	}
	bad := problem.Fields{}
	report := func(line int, why string) {
		if len(bad) < maxReportedLines {
			bad.Add(fmt.Sprintf("line %d", line), why)
		}
	}
	type parsed struct {
		line int
		fig  product.Figure
	}
	var figs []parsed
	seen := map[product.FigureKey]int{}
	for i, row := range rows {
		line := i + 1
		if i == 0 && len(row) > 0 && strings.EqualFold(strings.TrimSpace(strings.TrimPrefix(row[0], "\ufeff")), "product_id") {
			continue // header
		}
		if len(row) == 0 || (len(row) == 1 && strings.TrimSpace(row[0]) == "") {
			continue // blank line
		}
		f, why := parseFigureRow(kind, row)
		if why != "" {
			report(line, why)
			continue
		}
		k := product.FigureKey{ProductID: f.ProductID, Month: f.Month}
		if first, dup := seen[k]; dup {
			report(line, fmt.Sprintf("repeats product %s month %s of line %d", f.ProductID, f.Month, first))
			continue
		}
		seen[k] = line
		figs = append(figs, parsed{line, f})
	}
	if len(figs) == 0 && len(bad) == 0 {
		return ImportResult{}, problem.InvalidField("file", "has no data rows")
	}
	if len(figs)+len(bad) > maxImportRows {
		return ImportResult{}, problem.InvalidField("file", fmt.Sprintf("has more than %d rows", maxImportRows))
	}
	ids := make([]string, 0, len(figs))
	for _, p := range figs {
		ids = append(ids, p.fig.ProductID)
	}
	exist, err := s.Products.ProductsExist(ctx, ids)
	if err != nil {
		return ImportResult{}, err
	}
	out := make([]product.Figure, 0, len(figs))
	for _, p := range figs {
		if !exist[p.fig.ProductID] {
			report(p.line, fmt.Sprintf("product %s does not exist", p.fig.ProductID))
			continue
		}
		out = append(out, p.fig)
	}
	if len(bad) > 0 {
		return ImportResult{}, problem.Invalid(fmt.Sprintf("import refused: %d bad line(s), nothing was written", len(bad)), bad)
	}
	importID := id.New("imp")
	if err := s.Figures.ImportFigures(ctx, s.meta(ctx, caller), kind, importID, fileName, out); err != nil {
		return ImportResult{}, err
	}
	return ImportResult{ImportID: importID, Rows: len(out)}, nil
}

// parseFigureRow reads one row; a non-empty reason means the row is bad.
func parseFigureRow(kind product.FigureKind, row []string) (product.Figure, string) {
	if len(row) != 3 {
		return product.Figure{}, fmt.Sprintf("has %d columns, want 3 (product_id,month,value)", len(row))
	}
	pid, ms, vs := strings.TrimSpace(row[0]), strings.TrimSpace(row[1]), strings.TrimSpace(row[2])
	if pid == "" {
		return product.Figure{}, "product_id is empty"
	}
	m, err := period.ParseMonth(ms)
	if err != nil {
		return product.Figure{}, fmt.Sprintf("month %q %v", ms, err)
	}
	if kind == product.KindQuality {
		sc, err := product.ParseScore(vs)
		if err != nil {
			return product.Figure{}, fmt.Sprintf("score %q %v", vs, err)
		}
		return product.Figure{ProductID: pid, Month: m, Value: int64(sc)}, ""
	}
	a, err := money.Parse(vs)
	if err != nil {
		return product.Figure{}, fmt.Sprintf("amount %q %v", vs, err)
	}
	if a < 0 {
		return product.Figure{}, fmt.Sprintf("amount %q must not be negative", vs)
	}
	return product.Figure{ProductID: pid, Month: m, Value: int64(a)}, ""
}

// RevenueTrend returns a product's revenue for the months from..to (missing months absent).
func (s *Service) RevenueTrend(ctx context.Context, productID string, from, to period.Month) ([]product.Figure, error) {
	if _, err := s.Products.GetProduct(ctx, productID); err != nil {
		return nil, err
	}
	return s.Figures.Figures(ctx, product.KindRevenue, productID, from, to)
}

// FigureUpload is a presigned upload of a figures file: the client PUTs the
// file to URL (with ContentType) before ExpiresAt, then names Upload in its
// import. A file goes to the bucket directly, past the 10 MB API Gateway
// and the 6 MB a synchronous Lambda call carry.
type FigureUpload struct {
	Upload      string    `json:"upload"`
	URL         string    `json:"url"`
	Method      string    `json:"method"`
	ContentType string    `json:"contentType"`
	ExpiresAt   time.Time `json:"expiresAt"`
	MaxBytes    int64     `json:"maxBytes"`
}

// MaxFigureFile bounds a figures file, uploaded either way.
const MaxFigureFile = 32 << 20

// figureUploadTTL is how long an upload URL works.
const figureUploadTTL = 15 * time.Minute

// figureContentTypes are the files an import reads.
var figureContentTypes = map[string]bool{"text/csv": true,
	"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": true}

// NewFigureUpload hands an importer a presigned upload URL. The object's key
// names the caller, so one person's upload cannot be imported by another;
// uploads live under tmp/, which the bucket expires after 7 days.
func (s *Service) NewFigureUpload(ctx context.Context, caller directory.Person, contentType string) (FigureUpload, error) {
	if err := require(caller, "importing figures", figureWriters...); err != nil {
		return FigureUpload{}, err
	}
	if !figureContentTypes[contentType] {
		return FigureUpload{}, problem.InvalidField("contentType", "must be text/csv or the XLSX type")
	}
	bucket, err := s.objects()
	if err != nil {
		return FigureUpload{}, err
	}
	up := FigureUpload{Upload: id.New("upl"), Method: http.MethodPut, ContentType: contentType,
		ExpiresAt: s.Now().UTC().Add(figureUploadTTL), MaxBytes: MaxFigureFile}
	if up.URL, err = bucket.UploadURL(ctx, uploadKey(caller, up.Upload), contentType, figureUploadTTL); err != nil {
		return FigureUpload{}, err
	}
	return up, nil
}

// UploadedFigureFile reads a file the caller uploaded through NewFigureUpload.
func (s *Service) UploadedFigureFile(ctx context.Context, caller directory.Person, upload string) ([]byte, error) {
	if err := require(caller, "importing figures", figureWriters...); err != nil {
		return nil, err
	}
	if !validUploadID(upload) {
		return nil, problem.InvalidField("upload", "is not an upload this API handed out")
	}
	bucket, err := s.objects()
	if err != nil {
		return nil, err
	}
	b, err := bucket.Get(ctx, uploadKey(caller, upload), MaxFigureFile)
	if problem.CodeOf(err) == problem.CodeNotFound {
		return nil, problem.InvalidField("upload", "no file was uploaded for it (or it expired)")
	}
	return b, err
}

func uploadKey(caller directory.Person, upload string) string {
	sum := sha256.Sum256([]byte(caller.Sub))
	return "tmp/uploads/" + hex.EncodeToString(sum[:8]) + "/" + upload
}

func validUploadID(v string) bool {
	if !strings.HasPrefix(v, "upl_") || len(v) > 64 {
		return false
	}
	for _, r := range v[4:] {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r >= 'A' && r <= 'Z') {
			return false
		}
	}
	return len(v) > 4
}
