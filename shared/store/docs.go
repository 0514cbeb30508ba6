package store

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	ddb "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"productgov/shared/audit"
	"productgov/shared/period"
	"productgov/shared/problem"
	"productgov/shared/settlement"
)

// docItem is a record kept as JSON in doc, with its version; the partner,
// project and settlement records use it beside their key attributes.
type docItem struct {
	keys
	Type string `dynamodbav:"type"`
	Ver  int64  `dynamodbav:"ver"`
	Doc  string `dynamodbav:"doc"`
}

// createDoc writes a new record once with its audit entry; a second write of
// the same key is a conflict.
func (s *Store) createDoc(ctx context.Context, m audit.Meta, pk, sk, typ, entity, action string, v any) error {
	doc, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("store: marshal %s: %w", typ, err)
	}
	put, err := s.putItem(docItem{keys: keys{PK: pk, SK: sk}, Type: typ, Ver: 1, Doc: string(doc)}, condNew, nil)
	if err != nil {
		return err
	}
	aud, err := s.auditPut(m, entity, action, nil, v)
	if err != nil {
		return err
	}
	err = s.transact(ctx, []ddbWrite{put, aud})
	if cancelledAt(err, 0) {
		return problem.Conflict("%s %s already exists", typ, sk)
	}
	if err != nil {
		return fmt.Errorf("store: create %s %s %s: %w", typ, pk, sk, err)
	}
	return nil
}

// eachDoc hands fn the doc of every item of partition pk whose sort key
// begins with prefix, in sort-key order, page by page.
func (s *Store) eachDoc(ctx context.Context, pk, prefix string, fn func(doc string) error) error {
	return s.eachItem(ctx, "", "pk", pk, "sk", prefix, func(it docItem) error { return fn(it.Doc) })
}

// eachItem queries every page of a partition (of the table or an index),
// optionally narrowed to sort keys beginning with prefix, and hands each
// record to fn.
func (s *Store) eachItem(ctx context.Context, index, pkAttr, pk, skAttr, prefix string, fn func(docItem) error) error {
	cursor := ""
	for {
		p, err := s.queryPage(ctx, index, pkAttr, pk, skAttr, prefix, cursor, 200, true)
		if err != nil {
			return err
		}
		for _, raw := range p.items {
			var it docItem
			if err := attributevalue.UnmarshalMap(raw, &it); err != nil {
				return fmt.Errorf("store: unmarshal %s: %w", pk, err)
			}
			if err := fn(it); err != nil {
				return fmt.Errorf("store: decode %s %s: %w", pk, it.SK, err)
			}
		}
		if p.cursor == "" {
			return nil
		}
		cursor = p.cursor
	}
}

// docsOf reads every JSON record under a partition's sort-key prefix.
func docsOf[T any](ctx context.Context, s *Store, pk, prefix string) ([]T, error) {
	var out []T
	err := s.eachDoc(ctx, pk, prefix, func(doc string) error {
		var r T
		if err := json.Unmarshal([]byte(doc), &r); err != nil {
			return err
		}
		out = append(out, r)
		return nil
	})
	return out, err
}

// batchDocs reads many records by key with BatchGetItem and hands each found
// item's sort key, doc and version to fn.
func (s *Store) batchDocs(ctx context.Context, ks [][2]string, fn func(pk, sk, doc string, ver int64) error) error {
	for start := 0; start < len(ks); start += 100 {
		var avs []map[string]ddb.AttributeValue
		seen := map[[2]string]bool{}
		for _, k := range ks[start:min(start+100, len(ks))] {
			if seen[k] {
				continue
			}
			seen[k] = true
			avs = append(avs, keyOf(k[0], k[1]))
		}
		var ferr error
		err := s.batchGet(ctx, avs, "", nil, func(item map[string]ddb.AttributeValue) {
			var it docItem
			if err := attributevalue.UnmarshalMap(item, &it); err != nil {
				ferr = err
				return
			}
			if err := fn(it.PK, it.SK, it.Doc, it.Ver); err != nil && ferr == nil {
				ferr = err
			}
		})
		if err != nil {
			return fmt.Errorf("store: batch read: %w", err)
		}
		if ferr != nil {
			return ferr
		}
	}
	return nil
}

// docPage reads one page of a partition's records from the cursor, decodes
// each with decode, and returns the next cursor ("" after the last).
func docPage[T any](ctx context.Context, s *Store, pk, cursor string, limit int32, decode func(docItem) (T, error)) ([]T, string, error) {
	p, err := s.queryPage(ctx, "", "pk", pk, "", "", cursor, limit, true)
	if err != nil {
		return nil, "", err
	}
	out := make([]T, 0, len(p.items))
	for _, raw := range p.items {
		var it docItem
		if err := attributevalue.UnmarshalMap(raw, &it); err != nil {
			return nil, "", fmt.Errorf("store: unmarshal %s: %w", pk, err)
		}
		v, err := decode(it)
		if err != nil {
			return nil, "", fmt.Errorf("store: decode %s %s: %w", pk, it.SK, err)
		}
		out = append(out, v)
	}
	return out, p.cursor, nil
}

// StatementsPage lists one page of a quarter's statements in project order.
func (s *Store) StatementsPage(ctx context.Context, q period.Quarter, cursor string, limit int32) ([]settlement.StatementRecord, string, error) {
	return docPage(ctx, s, statementPK(q), cursor, limit, func(it docItem) (settlement.StatementRecord, error) {
		return decodeStatement(it.Doc, it.Ver)
	})
}

// MonthAccrualsPage lists one page of a month's accruals in project order.
func (s *Store) MonthAccrualsPage(ctx context.Context, month period.Month, cursor string, limit int32) ([]settlement.AccrualRecord, string, error) {
	return docPage(ctx, s, accrualPK(month), cursor, limit, func(it docItem) (settlement.AccrualRecord, error) {
		var r settlement.AccrualRecord
		return r, json.Unmarshal([]byte(it.Doc), &r)
	})
}

// MonthSIStatementsPage lists one page of a month's SI statements in product order.
func (s *Store) MonthSIStatementsPage(ctx context.Context, month period.Month, cursor string, limit int32) ([]settlement.SIStatement, string, error) {
	return docPage(ctx, s, siStatementPK(month), cursor, limit, func(it docItem) (settlement.SIStatement, error) {
		return decodeSIStatement(it.Doc, it.Ver)
	})
}
