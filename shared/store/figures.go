package store

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddb "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"productgov/shared/audit"
	"productgov/shared/money"
	"productgov/shared/period"
	"productgov/shared/product"
)

// product.Figure keys: pk PRODUCT#<id>, sk REVENUE#<YYYY-MM> or QUALITY#<YYYY-MM>, so
// one Query reads a product's figures for a range of months in order.
const (
	skRevenue = "REVENUE#"
	skQuality = "QUALITY#"
)

func prefixOf(k product.FigureKind) string {
	if k == product.KindQuality {
		return skQuality
	}
	return skRevenue
}

// figureItem holds one month's figure; Value is fen for revenue and
// hundredths of a point for quality.
type figureItem struct {
	keys
	Type      string `dynamodbav:"type"`
	Ver       int64  `dynamodbav:"ver"`
	ProductID string `dynamodbav:"productId"`
	Month     string `dynamodbav:"month"`
	Value     int64  `dynamodbav:"value"`
	ImportID  string `dynamodbav:"importId,omitempty"`
	UpdatedBy string `dynamodbav:"updatedBy"`
	UpdatedAt string `dynamodbav:"updatedAt"`
}

func (s *Store) figureItem(kind product.FigureKind, f product.Figure, m audit.Meta, importID string, ver int64) figureItem {
	return figureItem{
		keys: keys{PK: productPK(f.ProductID), SK: prefixOf(kind) + f.Month.String()},
		Type: string(kind), Ver: ver, ProductID: f.ProductID, Month: f.Month.String(), Value: f.Value,
		ImportID: importID, UpdatedBy: m.Actor, UpdatedAt: m.At.UTC().Format(time.RFC3339Nano),
	}
}

// PutFigure sets one month's figure, replacing any earlier value, with its
// audit entry (before and after) in the same transaction.
func (s *Store) PutFigure(ctx context.Context, m audit.Meta, kind product.FigureKind, f product.Figure) error {
	for attempt := 0; ; attempt++ {
		var old figureItem
		found, err := s.get(ctx, productPK(f.ProductID), prefixOf(kind)+f.Month.String(), &old)
		if err != nil {
			return fmt.Errorf("store: get %s %s %s: %w", kind, f.ProductID, f.Month, err)
		}
		cond, vals := condNew, map[string]ddb.AttributeValue(nil)
		var before any
		if found {
			cond, vals = condVersion, versionIs(old.Ver)
			before = figureView(kind, old)
		}
		it := s.figureItem(kind, f, m, "", old.Ver+1)
		put, err := s.putItem(it, cond, vals)
		if err != nil {
			return err
		}
		aud, err := s.auditPut(m, audit.Entity("product", f.ProductID), "product."+string(kind)+".put", before, figureView(kind, it))
		if err != nil {
			return err
		}
		err = s.transact(ctx, []ddb.TransactWriteItem{put, aud})
		if err == nil {
			return nil
		}
		if !isConditionFailure(err) || attempt >= maxUpdateAttempts {
			return fmt.Errorf("store: put %s %s %s: %w", kind, f.ProductID, f.Month, err)
		}
		if err := backoff(ctx, attempt); err != nil {
			return err
		}
	}
}

// figureView is how a figure appears in the audit trail and the API.
func figureView(kind product.FigureKind, it figureItem) map[string]string {
	v := map[string]string{"productId": it.ProductID, "month": it.Month}
	if kind == product.KindQuality {
		v["score"] = product.Score(it.Value).String()
	} else {
		v["amount"] = money.Amount(it.Value).String()
	}
	return v
}

// ImportFigures writes a validated file's figures with batched writes and one
// audit entry for the import. The caller validates every line first, so the
// only way a write can fail part-way is the store itself; the writes are
// idempotent upserts and the import can simply be sent again.
func (s *Store) ImportFigures(ctx context.Context, m audit.Meta, kind product.FigureKind, importID, fileName string, figs []product.Figure) error {
	var reqs []ddb.WriteRequest
	for _, f := range figs {
		av, err := attributevalue.MarshalMap(s.figureItem(kind, f, m, importID, 1))
		if err != nil {
			return fmt.Errorf("store: marshal figure: %w", err)
		}
		reqs = append(reqs, ddb.WriteRequest{PutRequest: &ddb.PutRequest{Item: av}})
	}
	if err := s.batchWrite(ctx, reqs); err != nil {
		return fmt.Errorf("store: import %s: %w", importID, err)
	}
	aud, err := s.auditPut(m, audit.Entity("import", importID), "import."+string(kind), nil,
		map[string]any{"file": fileName, "rows": len(figs), "kind": kind})
	if err != nil {
		return err
	}
	return s.transact(ctx, []ddb.TransactWriteItem{aud})
}

// batchWrite sends writes 25 at a time, retrying what DynamoDB leaves unprocessed.
func (s *Store) batchWrite(ctx context.Context, reqs []ddb.WriteRequest) error {
	for start := 0; start < len(reqs); start += 25 {
		pending := map[string][]ddb.WriteRequest{s.table: reqs[start:min(start+25, len(reqs))]}
		for attempt := 0; len(pending) > 0; attempt++ {
			res, err := s.db.BatchWriteItem(ctx, &dynamodb.BatchWriteItemInput{RequestItems: pending})
			if err != nil {
				return err
			}
			pending = res.UnprocessedItems
			if len(pending) > 0 {
				if err := backoff(ctx, attempt); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// Figures reads one product's figures of a kind for the months from..to inclusive.
func (s *Store) Figures(ctx context.Context, kind product.FigureKind, productID string, from, to period.Month) ([]product.Figure, error) {
	res, err := s.db.Query(ctx, &dynamodb.QueryInput{
		TableName:              aws.String(s.table),
		KeyConditionExpression: aws.String("pk = :pk AND sk BETWEEN :from AND :to"),
		ExpressionAttributeValues: map[string]ddb.AttributeValue{
			":pk":   &ddb.AttributeValueMemberS{Value: productPK(productID)},
			":from": &ddb.AttributeValueMemberS{Value: prefixOf(kind) + from.String()},
			":to":   &ddb.AttributeValueMemberS{Value: prefixOf(kind) + to.String()},
		},
	})
	if err != nil {
		return nil, fmt.Errorf("store: figures %s %s: %w", kind, productID, err)
	}
	out := make([]product.Figure, 0, len(res.Items))
	for _, raw := range res.Items {
		var it figureItem
		if err := attributevalue.UnmarshalMap(raw, &it); err != nil {
			return nil, fmt.Errorf("store: figure unmarshal: %w", err)
		}
		mo, _ := period.ParseMonth(it.Month)
		out = append(out, product.Figure{ProductID: it.ProductID, Month: mo, Value: it.Value})
	}
	return out, nil
}

// BatchFigures reads many product-month figures of a kind with BatchGetItem,
// 100 keys per call; missing figures are simply absent from the result.
func (s *Store) BatchFigures(ctx context.Context, kind product.FigureKind, ks []product.FigureKey) (map[product.FigureKey]int64, error) {
	out := make(map[product.FigureKey]int64, len(ks))
	for start := 0; start < len(ks); start += 100 {
		var keysAV []map[string]ddb.AttributeValue
		for _, k := range ks[start:min(start+100, len(ks))] {
			keysAV = append(keysAV, keyOf(productPK(k.ProductID), prefixOf(kind)+k.Month.String()))
		}
		err := s.batchGet(ctx, keysAV, "productId, #m, #v", map[string]string{"#m": "month", "#v": "value"}, func(raw map[string]ddb.AttributeValue) {
			pid, _ := raw["productId"].(*ddb.AttributeValueMemberS)
			mo, _ := raw["month"].(*ddb.AttributeValueMemberS)
			v, _ := raw["value"].(*ddb.AttributeValueMemberN)
			if pid == nil || mo == nil || v == nil {
				return
			}
			month, _ := period.ParseMonth(mo.Value)
			n, _ := strconv.ParseInt(v.Value, 10, 64)
			out[product.FigureKey{ProductID: pid.Value, Month: month}] = n
		})
		if err != nil {
			return nil, fmt.Errorf("store: batch figures: %w", err)
		}
	}
	return out, nil
}
