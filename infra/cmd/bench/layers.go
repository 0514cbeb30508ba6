package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddb "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"productgov/shared/audit"
	"productgov/shared/id"
	"productgov/shared/product"
	"productgov/shared/store"
)

// layer does the three measured operations one way. A create's input is built
// by prepareCreates before the run is timed, so a row times only the call.
type layer interface {
	// name labels the layer's rows.
	name() string
	// prepareCreates builds the inputs of n creates; create(ctx, i) sends the i-th.
	prepareCreates(n int) error
	// create writes a new product and returns its id.
	create(ctx context.Context, i int) (string, error)
	// get reads one product.
	get(ctx context.Context, id string) error
	// list reads the first page of listLevel's products, listLimit long.
	list(ctx context.Context) error
}

// The listing every layer reads: one page of a level's products (gsi2).
const (
	listLevel = product.LevelCity
	listLimit = 50
)

// draft is the i-th product a layer creates: the same fields and sizes in
// every layer, the levels in turn, so every layer fills the listed level alike.
func draft(i int) product.Draft {
	return product.Draft{
		Name:      fmt.Sprintf("bench product %07d", i),
		Level:     product.Levels[i%len(product.Levels)],
		Mode:      product.ModeSelfBuilt,
		Customers: int64(100 + i%900),
	}
}

// apiLayer calls the API over HTTP with a keep-alive client.
type apiLayer struct {
	client *http.Client
	base   string
	token  string
	bodies [][]byte
}

// newHTTPClient keeps one idle connection per worker, so every request
// reuses a connection, and never goes through a proxy.
func newHTTPClient(workers int) *http.Client {
	return &http.Client{
		Timeout: 30 * time.Second,
		Transport: &http.Transport{
			Proxy:               nil,
			DialContext:         (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
			MaxIdleConns:        workers,
			MaxIdleConnsPerHost: workers,
			IdleConnTimeout:     90 * time.Second,
		},
	}
}

func (a *apiLayer) name() string { return "API over HTTP" }

func (a *apiLayer) prepareCreates(n int) error {
	a.bodies = make([][]byte, n)
	for i := range n {
		d := draft(i)
		b, err := json.Marshal(map[string]any{"name": d.Name, "level": d.Level, "mode": d.Mode, "customers": d.Customers})
		if err != nil {
			return err
		}
		a.bodies[i] = b
	}
	return nil
}

func (a *apiLayer) create(ctx context.Context, i int) (string, error) {
	h, err := a.do(ctx, http.MethodPost, "/products", a.bodies[i], http.StatusCreated)
	if err != nil {
		return "", err
	}
	created, ok := strings.CutPrefix(h.Get("Location"), "/products/")
	if !ok || created == "" {
		return "", fmt.Errorf("POST /products: no product in Location %q", h.Get("Location"))
	}
	return created, nil
}

func (a *apiLayer) get(ctx context.Context, id string) error {
	_, err := a.do(ctx, http.MethodGet, "/products/"+url.PathEscape(id), nil, http.StatusOK)
	return err
}

func (a *apiLayer) list(ctx context.Context) error {
	_, err := a.do(ctx, http.MethodGet, fmt.Sprintf("/products?level=%s&limit=%d", listLevel, listLimit), nil, http.StatusOK)
	return err
}

// do sends one request and reads the whole response, so the connection is
// reused; a status other than want is an error.
func (a *apiLayer) do(ctx context.Context, method, path string, body []byte, want int) (http.Header, error) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, a.base+path, rd)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", "Bearer "+a.token)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	res, err := a.client.Do(req)
	if err != nil {
		return nil, err
	}
	defer res.Body.Close()
	if res.StatusCode != want {
		msg, _ := io.ReadAll(io.LimitReader(res.Body, 300))
		return nil, fmt.Errorf("%s %s: %s: %s", method, path, res.Status, bytes.TrimSpace(msg))
	}
	if _, err := io.Copy(io.Discard, res.Body); err != nil {
		return nil, fmt.Errorf("%s %s: read response: %w", method, path, err)
	}
	return res.Header, nil
}

// storeLayer calls the store's methods directly, as the use cases do.
type storeLayer struct {
	st *store.Store
	// policyVersion is cited by each first stage-history entry.
	policyVersion string
	creates       []storeCreate
}

// storeCreate is one CreateProduct call's arguments.
type storeCreate struct {
	meta  audit.Meta
	p     product.Product
	first product.StageChange
}

func (s *storeLayer) name() string { return "store method" }

// prepareCreates builds what the create use case hands the store (see
// app.Service.CreateProduct), with ids and request ids of the same form.
func (s *storeLayer) prepareCreates(n int) error {
	now := time.Now()
	s.creates = make([]storeCreate, n)
	for i := range n {
		p := product.New(id.New("prd"), draft(i), benchSub, now)
		s.creates[i] = storeCreate{
			meta: audit.Meta{Actor: benchSub, RequestID: id.New("req"), At: now},
			p:    p,
			first: product.StageChange{ProductID: p.ID, To: p.Stage, At: now.UTC(), By: benchSub,
				Reason: "created at demand (P§10)", PolicyVersion: s.policyVersion},
		}
	}
	return nil
}

func (s *storeLayer) create(ctx context.Context, i int) (string, error) {
	c := s.creates[i]
	return c.p.ID, s.st.CreateProduct(ctx, c.meta, c.p, c.first)
}

func (s *storeLayer) get(ctx context.Context, id string) error {
	_, err := s.st.GetProduct(ctx, id)
	return err
}

func (s *storeLayer) list(ctx context.Context) error {
	_, _, err := s.st.ListProducts(ctx, product.Filter{Level: listLevel}, "", listLimit)
	return err
}

// rawLayer sends hand-built SDK requests, the least any layer above must do:
// the floor. Its keys mirror the store's layout (shared/store/products.go).
type rawLayer struct {
	db    *dynamodb.Client
	table string
	// templates hold, per level, the three items the store wrote for one
	// product: the product, its first stage change and the audit entry.
	templates [][3]map[string]ddb.AttributeValue
	// templateIDs are the templates' product ids.
	templateIDs []string
	creates     []*dynamodb.TransactWriteItemsInput
	createIDs   []string
}

// newRawLayer writes one product of every level through the store and keeps
// the items it wrote as templates, so the floor's creates write the same
// attributes with the same sizes.
func newRawLayer(ctx context.Context, st *store.Store, via *storeLayer) (*rawLayer, error) {
	r := &rawLayer{db: st.Client(), table: st.Table()}
	if err := via.prepareCreates(len(product.Levels)); err != nil {
		return nil, err
	}
	for i := range product.Levels {
		pid, err := via.create(ctx, i)
		if err != nil {
			return nil, fmt.Errorf("template product: %w", err)
		}
		items, err := r.itemsOf(ctx, pid)
		if err != nil {
			return nil, err
		}
		r.templates = append(r.templates, items)
		r.templateIDs = append(r.templateIDs, pid)
	}
	return r, nil
}

// itemsOf reads the product, stage-history and audit items of a new product.
func (r *rawLayer) itemsOf(ctx context.Context, pid string) ([3]map[string]ddb.AttributeValue, error) {
	var items [3]map[string]ddb.AttributeValue
	own, err := r.partition(ctx, "PRODUCT#"+pid)
	if err != nil {
		return items, err
	}
	for _, it := range own {
		sk, _ := it["sk"].(*ddb.AttributeValueMemberS)
		switch {
		case sk == nil:
		case sk.Value == "PRODUCT":
			items[0] = it
		case strings.HasPrefix(sk.Value, "STAGE#"):
			items[1] = it
		}
	}
	trail, err := r.partition(ctx, "AUDIT#"+audit.Entity("product", pid))
	if err != nil {
		return items, err
	}
	if len(trail) == 1 {
		items[2] = trail[0]
	}
	if len(own) != 2 || items[0] == nil || items[1] == nil || items[2] == nil {
		return items, fmt.Errorf("template product %s: want a product, a stage change and an audit entry; got %d + %d items", pid, len(own), len(trail))
	}
	return items, nil
}

// partition reads every item under a partition key (a few, here).
func (r *rawLayer) partition(ctx context.Context, pk string) ([]map[string]ddb.AttributeValue, error) {
	res, err := r.db.Query(ctx, &dynamodb.QueryInput{
		TableName:                 aws.String(r.table),
		KeyConditionExpression:    aws.String("pk = :pk"),
		ExpressionAttributeValues: map[string]ddb.AttributeValue{":pk": str(pk)},
		ConsistentRead:            aws.Bool(true),
	})
	if err != nil {
		return nil, fmt.Errorf("query %s: %w", pk, err)
	}
	return res.Items, nil
}

func (r *rawLayer) name() string { return "raw SDK (floor)" }

// prepareCreates clones the i-th level's template with a fresh product id of
// the same length into one TransactWriteItems of three conditional Puts, as
// the store sends.
func (r *rawLayer) prepareCreates(n int) error {
	r.creates = make([]*dynamodb.TransactWriteItemsInput, n)
	r.createIDs = make([]string, n)
	for i := range n {
		k := i % len(r.templates)
		pid := id.New("prd")
		in := &dynamodb.TransactWriteItemsInput{}
		for _, item := range r.templates[k] {
			in.TransactItems = append(in.TransactItems, ddb.TransactWriteItem{Put: &ddb.Put{
				TableName:           aws.String(r.table),
				Item:                replaceInStrings(item, r.templateIDs[k], pid),
				ConditionExpression: aws.String("attribute_not_exists(pk)"),
			}})
		}
		r.creates[i], r.createIDs[i] = in, pid
	}
	return nil
}

func (r *rawLayer) create(ctx context.Context, i int) (string, error) {
	_, err := r.db.TransactWriteItems(ctx, r.creates[i])
	return r.createIDs[i], err
}

func (r *rawLayer) get(ctx context.Context, pid string) error {
	res, err := r.db.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(r.table), Key: productKey(pid), ConsistentRead: aws.Bool(true)})
	if err == nil && res.Item == nil {
		err = fmt.Errorf("product %s not found", pid)
	}
	return err
}

func (r *rawLayer) list(ctx context.Context) error {
	_, err := r.listPage(ctx)
	return err
}

// listPage queries the first page of the listed level on gsi2, as the store does.
func (r *rawLayer) listPage(ctx context.Context) (int, error) {
	res, err := r.db.Query(ctx, &dynamodb.QueryInput{
		TableName:                 aws.String(r.table),
		IndexName:                 aws.String(store.IndexGSI2),
		KeyConditionExpression:    aws.String("#pk = :pk"),
		ExpressionAttributeNames:  map[string]string{"#pk": "gsi2pk"},
		ExpressionAttributeValues: map[string]ddb.AttributeValue{":pk": str("LEVEL#" + string(listLevel))},
		ScanIndexForward:          aws.Bool(true),
		Limit:                     aws.Int32(listLimit),
	})
	if err != nil {
		return 0, err
	}
	return len(res.Items), nil
}

// templateSizes returns the approximate sizes of the listed level's template
// items (product, stage change, audit entry) as DynamoDB counts them.
func (r *rawLayer) templateSizes() [3]int {
	var out [3]int
	for i, item := range r.templates[indexOfLevel(listLevel)] {
		out[i] = itemSize(item)
	}
	return out
}

func indexOfLevel(l product.Level) int {
	for i, x := range product.Levels {
		if x == l {
			return i
		}
	}
	return 0
}

func productKey(pid string) map[string]ddb.AttributeValue {
	return map[string]ddb.AttributeValue{"pk": str("PRODUCT#" + pid), "sk": str("PRODUCT")}
}

func str(s string) *ddb.AttributeValueMemberS { return &ddb.AttributeValueMemberS{Value: s} }

// replaceInStrings copies an item, replacing from with to in every string
// attribute; other values are shared, as requests only read them.
func replaceInStrings(item map[string]ddb.AttributeValue, from, to string) map[string]ddb.AttributeValue {
	out := make(map[string]ddb.AttributeValue, len(item))
	for k, v := range item {
		if s, ok := v.(*ddb.AttributeValueMemberS); ok && strings.Contains(s.Value, from) {
			v = str(strings.ReplaceAll(s.Value, from, to))
		}
		out[k] = v
	}
	return out
}

// itemSize approximates an item's size as DynamoDB bills it: attribute names
// plus values (strings and sets by length, numbers by digits, booleans 1).
func itemSize(item map[string]ddb.AttributeValue) int {
	n := 0
	for k, v := range item {
		n += len(k)
		switch v := v.(type) {
		case *ddb.AttributeValueMemberS:
			n += len(v.Value)
		case *ddb.AttributeValueMemberN:
			n += len(v.Value)
		case *ddb.AttributeValueMemberBOOL:
			n++
		case *ddb.AttributeValueMemberSS:
			for _, s := range v.Value {
				n += len(s)
			}
		}
	}
	return n
}
