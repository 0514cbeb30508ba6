package store

import (
	"context"
	"fmt"
	"hash/fnv"
	"strconv"
	"strings"

	"productgov/shared/problem"
)

// DefaultShards is how many partitions a hot listing key is spread over when
// the configuration does not say (KEY_SHARDS).
//
// A key written by every product in one run (the products of a stage, a
// month's results) would put all of a national run's writes on one
// partition, whose ceiling is 1,000 write units a second; spread over 16 the
// hottest takes 1/16 of them.
const DefaultShards = 16

// MaxShards bounds KEY_SHARDS: a listing that walks every shard issues one
// Query per shard at least.
const MaxShards = 100

// WithShards sets how many shards the hot keys are spread over. The count may
// grow but never shrink for a table already written: an item keeps the shard
// it was written under, and listings walk shards 0..n-1, so every shard below
// the old count is still read after a growth.
func (s *Store) WithShards(n int) *Store {
	if n < 1 || n > MaxShards {
		panic(fmt.Sprintf("store: %d shards is outside 1..%d", n, MaxShards))
	}
	s.shards = n
	return s
}

// Shards is the number of shards hot keys are spread over.
func (s *Store) Shards() int {
	if s.shards == 0 {
		return DefaultShards
	}
	return s.shards
}

// ShardOf is the shard an id's items are written under: FNV-1a of the id, so
// ids spread evenly and every process agrees without a lookup.
func ShardOf(id string, shards int) int {
	h := fnv.New32a()
	h.Write([]byte(id))
	return int(h.Sum32() % uint32(shards))
}

// shardKey names shard n of a key: "STAGE#commercial#07".
func shardKey(key string, shard int) string { return fmt.Sprintf("%s#%02d", key, shard) }

// shardKeys names every shard of a key, in order.
func (s *Store) shardKeys(key string) []string {
	out := make([]string, s.Shards())
	for i := range out {
		out[i] = shardKey(key, i)
	}
	return out
}

// partitions is a listing that reads index partitions one after another:
// the shards of a key, or the shards of several keys.
type partitions struct {
	index, pkAttr string
	pks           []string
	// skAttr and prefix narrow every partition to sort keys beginning with prefix.
	skAttr, prefix string
}

// walk reads up to limit items across the partitions in order from the
// cursor "<partition>.<cursor within it>", and returns the next cursor ("" at
// the end).
func (s *Store) walk(ctx context.Context, p partitions, cursor string, limit int32) (page, error) {
	at, inner := 0, ""
	if cursor != "" {
		i, rest, ok := strings.Cut(cursor, ".")
		n, err := strconv.Atoi(i)
		if !ok || err != nil || n < 0 || n >= len(p.pks) {
			return page{}, problem.InvalidField("cursor", "is not a cursor this API returned")
		}
		at, inner = n, rest
	}
	var out page
	for at < len(p.pks) {
		got, err := s.queryPage(ctx, p.index, p.pkAttr, p.pks[at], p.skAttr, p.prefix, inner, limit-int32(len(out.items)), true)
		if err != nil {
			return page{}, err
		}
		out.items = append(out.items, got.items...)
		if got.cursor != "" {
			out.cursor = fmt.Sprintf("%d.%s", at, got.cursor)
			return out, nil
		}
		at, inner = at+1, ""
		if int32(len(out.items)) >= limit {
			if at < len(p.pks) {
				out.cursor = fmt.Sprintf("%d.", at)
			}
			return out, nil
		}
	}
	return out, nil
}
