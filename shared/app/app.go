// Package app holds the use cases: each loads what it needs, asks a rule
// package to decide, and saves the result through the small interfaces below,
// which the DynamoDB store implements.
package app

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"time"

	"productgov/shared/audit"
	"productgov/shared/directory"
	"productgov/shared/mail"
	"productgov/shared/period"
	"productgov/shared/policy"
	"productgov/shared/problem"
	"productgov/shared/product"
)

// Products is the product part of the store.
type Products interface {
	CreateProduct(ctx context.Context, m audit.Meta, p product.Product, first product.StageChange) error
	GetProduct(ctx context.Context, id string) (product.Product, error)
	UpdateProduct(ctx context.Context, m audit.Meta, id string, fn func(*product.Product) (product.Change, error)) (product.Product, error)
	UpdateReadProduct(ctx context.Context, m audit.Meta, read product.Product, fn func(*product.Product) (product.Change, error)) (product.Product, error)
	ListProducts(ctx context.Context, f product.Filter, cursor string, limit int32) ([]product.Product, string, error)
	StageHistory(ctx context.Context, id string) ([]product.StageChange, error)
	ProductsExist(ctx context.Context, ids []string) (map[string]bool, error)
	ProductNames(ctx context.Context, ids []string) (map[string]string, error)
}

// Figures is the monthly revenue and quality part of the store.
type Figures interface {
	PutFigure(ctx context.Context, m audit.Meta, kind product.FigureKind, f product.Figure) error
	ImportFigures(ctx context.Context, m audit.Meta, kind product.FigureKind, importID, fileName string, figs []product.Figure) error
	Figures(ctx context.Context, kind product.FigureKind, productID string, from, to period.Month) ([]product.Figure, error)
}

// Users is the directory part of the store.
type Users interface {
	GetUser(ctx context.Context, sub string) (directory.User, error)
	PutUser(ctx context.Context, m audit.Meta, u directory.User) (directory.User, error)
	UsersWithRole(ctx context.Context, role directory.Role) ([]directory.User, error)
}

// Policies is the policy part of the store.
type Policies interface {
	PutPolicy(ctx context.Context, m audit.Meta, d policy.Document) error
	PolicyHistory(ctx context.Context) (policy.History, error)
}

// AuditTrail reads the audit trail.
type AuditTrail interface {
	Audit(ctx context.Context, entity, cursor string, limit int32) ([]audit.Entry, string, error)
}

// ExitNotices is the store of natural-exit notices waiting for their date.
type ExitNotices interface {
	PutExitNotice(ctx context.Context, productID string, date period.Date) error
	DueExitNotices(ctx context.Context, today period.Date) ([]string, error)
	DeleteExitNotice(ctx context.Context, productID string) error
}

// Partners answers whether a partner exists (SPEC 4.1: a cooperative product's
// partnerId must name an existing partner).
type Partners interface {
	PartnerExists(ctx context.Context, id string) (bool, error)
}

// ObjectStore is the work bucket (S3; package objects): what is too large
// for a table item or a Step Functions payload.
type ObjectStore interface {
	Name() string
	Put(ctx context.Context, key, contentType string, body []byte) error
	PutFile(ctx context.Context, key, contentType string, body io.ReadSeeker, size int64) error
	Open(ctx context.Context, key string) (io.ReadCloser, int64, error)
	Get(ctx context.Context, key string, limit int64) ([]byte, error)
	Size(ctx context.Context, key string) (int64, error)
	DownloadURL(ctx context.Context, key, filename string, ttl time.Duration) (string, error)
	UploadURL(ctx context.Context, key, contentType string, ttl time.Duration) (string, error)
}

// ObjectRef names an object of the work bucket, as an ItemReader or a
// ResultWriter names it.
type ObjectRef struct {
	Bucket string `json:"bucket"`
	Key    string `json:"key"`
}

// objects returns the work bucket, or an error naming what is missing.
func (s *Service) objects() (ObjectStore, error) {
	if s.Objects == nil {
		return nil, fmt.Errorf("app: no work bucket is configured (WORK_BUCKET)")
	}
	return s.Objects, nil
}

// Service runs the use cases.
type Service struct {
	Products    Products
	Figures     Figures
	Users       Users
	Policies    Policies
	Audit       AuditTrail
	Partners    Partners
	Submissions Submissions
	Approvals   Approvals
	Workflow    Workflow
	Mail        mail.Sender
	// OutboxReader reads the local outbox; nil outside local mode.
	OutboxReader interface {
		Outbox(ctx context.Context, limit int32) ([]mail.Message, error)
	}
	// Links signs and checks approval links.
	Links LinkSigner
	// ApprovalMachineArn is the approval state machine.
	ApprovalMachineArn string
	// ExitNotices keeps the natural exits waiting for their notice date.
	ExitNotices ExitNotices
	// PartnerStore is the partners' store (SPEC 4).
	PartnerStore PartnerStore
	// SettlementMachineArn is the quarterly settlement state machine.
	SettlementMachineArn string
	// AssessStore is the monthly assessment's store.
	AssessStore Assessments
	// AssessmentMachineArn is the monthly assessment state machine.
	AssessmentMachineArn string
	// Objects is the work bucket: the jobs' work lists and reports, exports
	// and uploads (nil where no bucket is configured: those use cases refuse).
	Objects ObjectStore
	// BaseURL is where links in emails point, e.g. https://api.example.com.
	BaseURL string
	Log     *slog.Logger
	// Now is the clock; tests fix it.
	Now func() time.Time
}

// policyVersions caches stored policy versions per store and name: a version,
// once stored, never changes, so each is read once per process.
var policyVersions sync.Map

type policyVersionKey struct {
	store   Policies
	version string
}

type requestIDKey struct{}

// WithRequestID returns a context carrying the request id the audit trail records.
func WithRequestID(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, requestIDKey{}, id)
}

// RequestID returns the context's request id, or "".
func RequestID(ctx context.Context) string {
	id, _ := ctx.Value(requestIDKey{}).(string)
	return id
}

func (s *Service) meta(ctx context.Context, caller directory.Person) audit.Meta {
	return audit.Meta{Actor: caller.Sub, RequestID: RequestID(ctx), At: s.Now()}
}

// require refuses callers who hold none of the roles.
func require(caller directory.Person, what string, roles ...directory.Role) error {
	if caller.Has(roles...) {
		return nil
	}
	names := make([]string, len(roles))
	for i, r := range roles {
		names[i] = string(r)
	}
	return problem.Forbidden("%s needs one of the roles %v", what, names)
}

// Policy returns the policy version in force today (GET /policy).
func (s *Service) Policy(ctx context.Context) (policy.Document, error) {
	return s.PolicyOn(ctx, period.DateOf(s.Now()))
}

// PolicyOn returns the policy version in force on a day.
func (s *Service) PolicyOn(ctx context.Context, day period.Date) (policy.Document, error) {
	h, err := s.Policies.PolicyHistory(ctx)
	if err != nil {
		return policy.Document{}, err
	}
	return h.InForce(day)
}

// EnsureDefaultPolicy stores the default policy when no version exists yet, so
// a fresh table is usable; it is idempotent.
func (s *Service) EnsureDefaultPolicy(ctx context.Context) error {
	h, err := s.Policies.PolicyHistory(ctx)
	if err != nil {
		return err
	}
	if len(h) > 0 {
		return nil
	}
	err = s.Policies.PutPolicy(ctx, audit.Meta{Actor: "system", RequestID: "bootstrap", At: s.Now()}, policy.Default())
	if problem.CodeOf(err) == problem.CodeConflict {
		return nil
	}
	return err
}

// AuditOf lists an entity's audit trail (auditors and admins).
func (s *Service) AuditOf(ctx context.Context, caller directory.Person, entity, cursor string, limit int32) ([]audit.Entry, string, error) {
	if err := require(caller, "reading the audit trail", directory.RoleAuditor, directory.RoleAdmin); err != nil {
		return nil, "", err
	}
	if entity == "" {
		return nil, "", problem.InvalidField("entity", "is required, e.g. product/prd_123")
	}
	return s.Audit.Audit(ctx, entity, cursor, limit)
}

func shanghai() *time.Location { return period.Shanghai }

// auditMeta is the audit trail's change metadata.
type auditMeta = audit.Meta
