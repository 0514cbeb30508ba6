package app

import (
	"context"
	"productgov/shared/id"
	"strings"

	"productgov/shared/directory"
	"productgov/shared/period"
	"productgov/shared/policy"
	"productgov/shared/problem"
	"productgov/shared/product"
	"productgov/shared/reason"
)

// CreateProduct creates a product at demand (product managers), or registers
// an existing one at any stage (admins, SPEC 1). (A repeated request is
// answered once by the API's Idempotency-Key.)
func (s *Service) CreateProduct(ctx context.Context, caller directory.Person, d product.Draft, registering bool) (product.Product, error) {
	if registering {
		if err := require(caller, "registering an existing product", directory.RoleAdmin); err != nil {
			return product.Product{}, err
		}
	} else if err := require(caller, "creating a product", directory.RoleProductManager, directory.RoleAdmin); err != nil {
		return product.Product{}, err
	}
	if err := d.Validate(registering); err != nil {
		return product.Product{}, err
	}
	if d.Mode == product.ModeCooperative {
		ok, err := s.Partners.PartnerExists(ctx, d.PartnerID)
		if err != nil {
			return product.Product{}, err
		}
		if !ok {
			return product.Product{}, problem.InvalidField("partnerId", "names no existing partner")
		}
	}
	pol, err := s.Policy(ctx)
	if err != nil {
		return product.Product{}, err
	}
	newID := id.New("prd")
	now := s.Now()
	p := product.New(newID, d, caller.Sub, now)
	why, cause := "created at demand (P§10)", reason.New("created_at_demand")
	if registering {
		why, cause = "registered existing product by admin (SPEC 1)", reason.New("registered_existing", "stage", string(p.Stage))
	}
	first := product.StageChange{ProductID: newID, To: p.Stage, At: now.UTC(), By: caller.Sub, Reason: why, Cause: cause, PolicyVersion: pol.Version}
	if err := s.Products.CreateProduct(ctx, s.meta(ctx, caller), p, first); err != nil {
		return product.Product{}, err
	}
	p.Version = 1
	return p, nil
}

// GetProduct reads one product; any signed-in person may.
func (s *Service) GetProduct(ctx context.Context, id string) (product.Product, error) {
	// The product and the policy its flags need are read at once: a read
	// costs one round trip, not two.
	type read struct {
		pol policy.Document
		err error
	}
	polc := make(chan read, 1)
	go func() {
		pol, err := s.Policy(ctx)
		polc <- read{pol, err}
	}()
	p, err := s.Products.GetProduct(ctx, id)
	pr := <-polc
	if err != nil {
		return p, err
	}
	if pr.err != nil {
		return p, pr.err
	}
	return withFlags(p, period.DateOf(s.Now()), pr.pol), nil
}

// ProductPatch changes a product's attributes; nil fields stay as they are.
type ProductPatch struct {
	Name        *string
	Customers   *int64
	Strategic   *bool
	HadSpend    *bool
	ExemptUntil *period.Month
}

// UpdateProduct changes attributes that are facts about the product, not
// decisions (stages move only through decisions, SPEC 1). Concurrent patches
// all land: the store re-applies each on a version clash.
func (s *Service) UpdateProduct(ctx context.Context, caller directory.Person, id string, patch ProductPatch) (product.Product, error) {
	if err := require(caller, "updating a product", directory.RoleProductManager, directory.RoleAdmin); err != nil {
		return product.Product{}, err
	}
	f := problem.Fields{}
	if patch.Name != nil && strings.TrimSpace(*patch.Name) == "" {
		f.Add("name", "must not be empty")
	}
	if patch.Customers != nil && *patch.Customers < 0 {
		f.Add("customers", "must not be negative")
	}
	admin := caller.Has(directory.RoleAdmin)
	if patch.ExemptUntil != nil && !admin {
		f.Add("exemptUntil", "only an admin may extend the exemption (P§19)")
	}
	if patch.Strategic != nil && !admin {
		// The strategic list is policy: it changes routing and waives P§18.
		return product.Product{}, problem.Forbidden("only an admin sets strategic: the strategic list is policy (P§18)")
	}
	if err := f.Err("invalid product update"); err != nil {
		return product.Product{}, err
	}
	return s.Products.UpdateProduct(ctx, s.meta(ctx, caller), id, func(p *product.Product) (product.Change, error) {
		if err := mayManage(caller, *p); err != nil {
			return product.Change{}, err
		}
		if patch.Name != nil {
			p.Name = strings.TrimSpace(*patch.Name)
		}
		if patch.Customers != nil {
			p.Customers = *patch.Customers
		}
		if patch.Strategic != nil {
			p.Strategic = *patch.Strategic
		}
		if patch.HadSpend != nil {
			p.HadSpend = *patch.HadSpend
		}
		if patch.ExemptUntil != nil {
			m := *patch.ExemptUntil
			p.ExemptUntil = &m
		}
		return product.Change{Action: "product.update"}, nil
	})
}

// mayManage lets a product's own manager (the product manager who created
// it) or an admin change its data; other product managers may not (SPEC 6).
func mayManage(caller directory.Person, p product.Product) error {
	if caller.Has(directory.RoleAdmin) || p.CreatedBy == caller.Sub {
		return nil
	}
	return problem.Forbidden("product %s is managed by %s: only its manager or an admin changes it", p.ID, p.CreatedBy)
}

// StageHistory lists a product's stage changes.
func (s *Service) StageHistory(ctx context.Context, id string) ([]product.StageChange, error) {
	if _, err := s.Products.GetProduct(ctx, id); err != nil {
		return nil, err
	}
	return s.Products.StageHistory(ctx, id)
}

// ListProducts lists products a page at a time, validating the filter.
func (s *Service) ListProducts(ctx context.Context, f product.Filter, cursor string, limit int32) ([]product.Product, string, error) {
	fields := problem.Fields{}
	if f.Stage != "" && !product.ValidStage(f.Stage) {
		fields.Add("stage", "is not a known stage")
	}
	if f.Level != "" && !product.ValidLevel(f.Level) {
		fields.Add("level", "must be one of hq, province, city")
	}
	if limit <= 0 || limit > 200 {
		fields.Add("limit", "must be between 1 and 200")
	}
	if f.CreatedBy != "" && (f.Stage != "" || f.Level != "") {
		fields.Add("createdBy", "cannot be combined with stage or level")
	}
	if err := fields.Err("invalid listing"); err != nil {
		return nil, "", err
	}
	items, next, err := s.Products.ListProducts(ctx, f, cursor, limit)
	if err != nil {
		return nil, "", err
	}
	items, err = s.flagged(ctx, items...)
	return items, next, err
}

// ProductNames returns the names of the products with the ids (those that
// exist), read in batches: pages name what they list.
func (s *Service) ProductNames(ctx context.Context, ids []string) (map[string]string, error) {
	return s.Products.ProductNames(ctx, ids)
}
