package store

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	ddb "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"productgov/shared/audit"
	"productgov/shared/directory"
	"productgov/shared/problem"
)

// User keys: pk USER#<sub>, sk USER; and one role item per role held,
// pk ROLE#<role>, sk USER#<sub>, so approvers are found by role with a Query.
type userItem struct {
	keys
	Type            string   `dynamodbav:"type"`
	Ver             int64    `dynamodbav:"ver"`
	Sub             string   `dynamodbav:"sub"`
	Name            string   `dynamodbav:"name"`
	Email           string   `dynamodbav:"email"`
	Roles           []string `dynamodbav:"roles"`
	Dept            string   `dynamodbav:"dept"`
	RelatedPartners []string `dynamodbav:"relatedPartners"`
	UpdatedAt       string   `dynamodbav:"updatedAt"`
}

type roleItem struct {
	keys
	Type string `dynamodbav:"type"`
	Sub  string `dynamodbav:"sub"`
	Role string `dynamodbav:"role"`
}

func (it userItem) user() directory.User {
	u := directory.User{Sub: it.Sub, Name: it.Name, Email: it.Email, Dept: it.Dept,
		RelatedPartners: it.RelatedPartners, Version: it.Ver}
	for _, r := range it.Roles {
		u.Roles = append(u.Roles, directory.Role(r))
	}
	if u.RelatedPartners == nil {
		u.RelatedPartners = []string{}
	}
	u.UpdatedAt, _ = time.Parse(time.RFC3339Nano, it.UpdatedAt)
	return u
}

// GetUser reads a directory entry; not_found when absent.
func (s *Store) GetUser(ctx context.Context, sub string) (directory.User, error) {
	var it userItem
	ok, err := s.get(ctx, "USER#"+sub, "USER", &it)
	if err != nil {
		return directory.User{}, fmt.Errorf("store: get user %s: %w", sub, err)
	}
	if !ok {
		return directory.User{}, problem.NotFound("user", sub)
	}
	return it.user(), nil
}

// PutUser creates or replaces a directory entry, keeping its role items in
// step, with the audit entry, in one transaction guarded by the version.
func (s *Store) PutUser(ctx context.Context, m audit.Meta, u directory.User) (directory.User, error) {
	for attempt := 0; ; attempt++ {
		var old userItem
		found, err := s.get(ctx, "USER#"+u.Sub, "USER", &old)
		if err != nil {
			return directory.User{}, fmt.Errorf("store: get user %s: %w", u.Sub, err)
		}
		it := userItem{keys: keys{PK: "USER#" + u.Sub, SK: "USER"}, Type: "user", Ver: old.Ver + 1, Sub: u.Sub,
			Name: u.Name, Email: u.Email, Dept: u.Dept, RelatedPartners: u.RelatedPartners,
			UpdatedAt: m.At.UTC().Format(time.RFC3339Nano)}
		if it.RelatedPartners == nil {
			it.RelatedPartners = []string{}
		}
		newRoles := map[string]bool{}
		for _, r := range u.Roles {
			if !newRoles[string(r)] {
				it.Roles = append(it.Roles, string(r))
			}
			newRoles[string(r)] = true
		}
		cond, vals := condNew, map[string]ddb.AttributeValue(nil)
		var before any
		if found {
			cond, vals = condVersion, versionIs(old.Ver)
			before = old.user()
		}
		put, err := s.putItem(it, cond, vals)
		if err != nil {
			return directory.User{}, err
		}
		items := []ddb.TransactWriteItem{put}
		for r := range newRoles {
			ri, err := s.putItem(roleItem{keys: keys{PK: "ROLE#" + r, SK: "USER#" + u.Sub}, Type: "role", Sub: u.Sub, Role: r}, "", nil)
			if err != nil {
				return directory.User{}, err
			}
			items = append(items, ri)
		}
		for _, r := range old.Roles {
			if !newRoles[r] {
				items = append(items, ddb.TransactWriteItem{Delete: &ddb.Delete{TableName: &s.table, Key: keyOf("ROLE#"+r, "USER#"+u.Sub)}})
			}
		}
		after := it.user()
		aud, err := s.auditPut(m, audit.Entity("user", u.Sub), "user.put", before, after)
		if err != nil {
			return directory.User{}, err
		}
		items = append(items, aud)
		err = s.transact(ctx, items)
		if err == nil {
			return after, nil
		}
		if !isConditionFailure(err) || attempt >= maxUpdateAttempts {
			return directory.User{}, fmt.Errorf("store: put user %s: %w", u.Sub, err)
		}
		if err := backoff(ctx, attempt); err != nil {
			return directory.User{}, err
		}
	}
}

// UsersWithRole lists the subjects holding a role, in subject order.
func (s *Store) UsersWithRole(ctx context.Context, role directory.Role) ([]directory.User, error) {
	var out []directory.User
	cursor := ""
	for {
		p, err := s.queryPage(ctx, "", "pk", "ROLE#"+string(role), "", "", cursor, 100, true)
		if err != nil {
			return nil, err
		}
		for _, raw := range p.items {
			var ri roleItem
			if err := attributevalue.UnmarshalMap(raw, &ri); err != nil {
				return nil, fmt.Errorf("store: role unmarshal: %w", err)
			}
			u, err := s.GetUser(ctx, ri.Sub)
			if err != nil {
				return nil, err
			}
			out = append(out, u)
		}
		if p.cursor == "" {
			return out, nil
		}
		cursor = p.cursor
	}
}
