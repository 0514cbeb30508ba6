package store

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	ddb "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"productgov/shared/audit"
	"productgov/shared/decision"
	"productgov/shared/problem"
)

// Submission keys:
//
//	pk SUB#<id>  sk SUBMISSION          the submission (its JSON in doc)
//	pk SUB#<id>  sk VOTE#<rev>#<stage>#<voter>   one vote, write-once
//	gsi1 SUBS#PRODUCT#<productId> / <createdAt>#<id>   a product's submissions
//	gsi2 SUBS#<shard> / <createdAt>#<id>                all submissions, by time
//
// The time listing is sharded by submission id: a national assessment run
// opens thousands of exit submissions from its parallel child executions,
// which on one key would throttle that index partition. Listing all merges
// the shards newest first (mergeNewest).
func submissionPK(id string) string { return "SUB#" + id }

const skSubmission = "SUBMISSION"

type submissionItem struct {
	keys
	Type         string            `dynamodbav:"type"`
	Ver          int64             `dynamodbav:"ver"`
	ID           string            `dynamodbav:"id"`
	SubType      string            `dynamodbav:"subType"`
	Status       string            `dynamodbav:"status"`
	Applicant    string            `dynamodbav:"applicant,omitempty"`
	Doc          string            `dynamodbav:"doc"`
	ReviewTokens map[string]string `dynamodbav:"reviewTokens"`
	ApprovalIDs  []string          `dynamodbav:"approvalIds"`
}

func (st *Store) toSubmissionItem(s decision.Submission) (submissionItem, error) {
	doc, err := json.Marshal(s)
	if err != nil {
		return submissionItem{}, fmt.Errorf("store: marshal submission: %w", err)
	}
	created := s.CreatedAt.UTC().Format(time.RFC3339Nano) + "#" + s.ID
	it := submissionItem{
		keys: keys{PK: submissionPK(s.ID), SK: skSubmission, GSI2PK: shardKey(subsKey, ShardOf(s.ID, st.Shards())), GSI2SK: created},
		Type: "submission", Ver: s.Version, ID: s.ID, SubType: string(s.Type), Status: string(s.Status), Applicant: s.Applicant, Doc: string(doc),
		ReviewTokens: map[string]string{},
	}
	if s.ProductID != "" {
		it.GSI1PK, it.GSI1SK = "SUBS#PRODUCT#"+s.ProductID, created
	}
	for k, v := range s.ReviewTokens {
		it.ReviewTokens[string(k)] = v
	}
	for _, st := range s.Steps {
		it.ApprovalIDs = append(it.ApprovalIDs, st.ApprovalID)
	}
	return it, nil
}

func (it submissionItem) submission() (decision.Submission, error) {
	var s decision.Submission
	if err := json.Unmarshal([]byte(it.Doc), &s); err != nil {
		return s, fmt.Errorf("store: submission %s: %w", it.ID, err)
	}
	s.Version = it.Ver
	s.ReviewTokens = map[decision.ReviewStage]string{}
	for k, v := range it.ReviewTokens {
		s.ReviewTokens[decision.ReviewStage(k)] = v
	}
	for i := range s.Steps {
		if i < len(it.ApprovalIDs) {
			s.Steps[i].ApprovalID = it.ApprovalIDs[i]
		}
	}
	return s, nil
}

// CreateSubmission writes a new submission with its audit entry.
func (s *Store) CreateSubmission(ctx context.Context, m audit.Meta, sub decision.Submission) error {
	sub.Version = 1
	it, err := s.toSubmissionItem(sub)
	if err != nil {
		return err
	}
	put, err := s.putItem(it, condNew, nil)
	if err != nil {
		return err
	}
	aud, err := s.auditPut(m, audit.Entity("submission", sub.ID), "submission.create", nil, sub)
	if err != nil {
		return err
	}
	err = s.transact(ctx, []ddbWrite{put, aud})
	if cancelledAt(err, 0) {
		return problem.Conflict("submission %s already exists", sub.ID)
	}
	if err != nil {
		return fmt.Errorf("store: create submission %s: %w", sub.ID, err)
	}
	return nil
}

// GetSubmission reads a submission; not_found when absent.
func (s *Store) GetSubmission(ctx context.Context, id string) (decision.Submission, error) {
	var it submissionItem
	ok, err := s.get(ctx, submissionPK(id), skSubmission, &it)
	if err != nil {
		return decision.Submission{}, fmt.Errorf("store: get submission %s: %w", id, err)
	}
	if !ok {
		return decision.Submission{}, problem.NotFound("submission", id)
	}
	return it.submission()
}

// UpdateSubmission applies fn to the current submission and writes it only if
// nobody changed it meanwhile, re-applying fn on a clash. fn returns the audit
// action; ErrNoChange from fn writes nothing.
func (s *Store) UpdateSubmission(ctx context.Context, m audit.Meta, id string, fn func(*decision.Submission) (string, error)) (decision.Submission, error) {
	for attempt := 0; ; attempt++ {
		before, err := s.GetSubmission(ctx, id)
		if err != nil {
			return decision.Submission{}, err
		}
		after, err := copySubmission(before)
		if err != nil {
			return decision.Submission{}, err
		}
		action, err := fn(&after)
		if err == ErrNoChange {
			return before, nil
		}
		if err != nil {
			return decision.Submission{}, err
		}
		after.ID, after.Version, after.UpdatedAt = before.ID, before.Version+1, m.At.UTC()
		it, err := s.toSubmissionItem(after)
		if err != nil {
			return decision.Submission{}, err
		}
		put, err := s.putItem(it, condVersion, versionIs(before.Version))
		if err != nil {
			return decision.Submission{}, err
		}
		aud, err := s.auditPut(m, audit.Entity("submission", id), action, before, after)
		if err != nil {
			return decision.Submission{}, err
		}
		err = s.transact(ctx, []ddbWrite{put, aud})
		if err == nil {
			return after, nil
		}
		if !isConditionFailure(err) || attempt >= maxUpdateAttempts {
			return decision.Submission{}, fmt.Errorf("store: update submission %s: %w", id, err)
		}
		if err := backoff(ctx, attempt); err != nil {
			return decision.Submission{}, err
		}
	}
}

// ErrNoChange, returned by an update function, ends the update without a write.
var ErrNoChange = fmt.Errorf("store: no change")

func copySubmission(s decision.Submission) (decision.Submission, error) {
	b, err := json.Marshal(s)
	if err != nil {
		return s, err
	}
	var out decision.Submission
	if err := json.Unmarshal(b, &out); err != nil {
		return s, err
	}
	out.Version = s.Version
	out.ReviewTokens = map[decision.ReviewStage]string{}
	for k, v := range s.ReviewTokens {
		out.ReviewTokens[k] = v
	}
	for i := range out.Steps {
		out.Steps[i].ApprovalID = s.Steps[i].ApprovalID
	}
	return out, nil
}

// SubmissionFilter selects submissions; empty fields match all.
type SubmissionFilter struct {
	ProductID string
	Type      decision.SubmissionType
	Status    decision.Status
	// Applicant narrows to one person's submissions (a product manager's own).
	Applicant string
}

// subsKey is the gsi2 partition (before its shard) of every submission.
const subsKey = "SUBS"

// ListSubmissions lists submissions newest first through an index (a
// product's, or all, merged over the shards); type, status and applicant
// narrow the page with a filter, so a page may hold fewer than limit.
func (s *Store) ListSubmissions(ctx context.Context, f SubmissionFilter, cursor string, limit int32) ([]decision.Submission, string, error) {
	var filters []string
	values := map[string]ddb.AttributeValue{}
	names := map[string]string{}
	if f.Type != "" {
		filters = append(filters, "#st = :st")
		names["#st"] = "subType"
		values[":st"] = &ddb.AttributeValueMemberS{Value: string(f.Type)}
	}
	if f.Status != "" {
		filters = append(filters, "#status = :status")
		names["#status"] = "status"
		values[":status"] = &ddb.AttributeValueMemberS{Value: string(f.Status)}
	}
	if f.Applicant != "" {
		filters = append(filters, "#applicant = :applicant")
		names["#applicant"] = "applicant"
		values[":applicant"] = &ddb.AttributeValueMemberS{Value: f.Applicant}
	}
	filter := strings.Join(filters, " AND ")
	var p page
	var err error
	if f.ProductID != "" {
		p, err = s.queryFiltered(ctx, IndexGSI1, "gsi1pk", "SUBS#PRODUCT#"+f.ProductID, filter, names, values, cursor, limit, false)
	} else {
		p, err = s.mergeNewest(ctx, s.shardKeys(subsKey), filter, names, values, cursor, limit)
	}
	if err != nil {
		return nil, "", err
	}
	out := make([]decision.Submission, 0, len(p.items))
	for _, raw := range p.items {
		var it submissionItem
		if err := attributevalue.UnmarshalMap(raw, &it); err != nil {
			return nil, "", fmt.Errorf("store: submission unmarshal: %w", err)
		}
		sub, err := it.submission()
		if err != nil {
			return nil, "", err
		}
		out = append(out, sub)
	}
	return out, p.cursor, nil
}

// mergeNewest reads up to limit submissions newest first across the gsi2
// shards pks: each shard is read from where the last page left it, and the
// shards' heads are merged by sort key. The cursor keeps, per shard, the sort
// key of the last item handed out ("" for none yet, "-" when the shard is
// done); an item fetched but not handed out is read again next page.
func (s *Store) mergeNewest(ctx context.Context, pks []string, filter string, names map[string]string, values map[string]ddb.AttributeValue, cursor string, limit int32) (page, error) {
	last := make([]string, len(pks))
	if cursor != "" {
		raw, err := base64.RawURLEncoding.DecodeString(cursor)
		if err != nil || json.Unmarshal(raw, &last) != nil || len(last) != len(pks) {
			return page{}, problem.InvalidField("cursor", "is not a cursor this API returned")
		}
	}
	type shard struct {
		buf   []map[string]ddb.AttributeValue
		start string
		done  bool
	}
	shards := make([]shard, len(pks))
	for i := range shards {
		shards[i] = shard{start: last[i], done: last[i] == "-"}
	}
	sortKey := func(item map[string]ddb.AttributeValue) string {
		v, _ := item["gsi2sk"].(*ddb.AttributeValueMemberS)
		if v == nil {
			return ""
		}
		return v.Value
	}
	fill := func(i int) error {
		sh := &shards[i]
		for len(sh.buf) == 0 && !sh.done {
			in := queryInput(s.table, IndexGSI2, "#pk = :pk", copyNames(names, "#pk", "gsi2pk"), copyValues(values, ":pk", pks[i]), limit, false)
			if filter != "" {
				in.FilterExpression = aws.String(filter)
			}
			if sh.start != "" {
				id := sh.start[strings.LastIndex(sh.start, "#")+1:]
				in.ExclusiveStartKey = map[string]ddb.AttributeValue{
					"pk": &ddb.AttributeValueMemberS{Value: submissionPK(id)}, "sk": &ddb.AttributeValueMemberS{Value: skSubmission},
					"gsi2pk": &ddb.AttributeValueMemberS{Value: pks[i]}, "gsi2sk": &ddb.AttributeValueMemberS{Value: sh.start}}
			}
			res, err := s.db.Query(ctx, in)
			if err != nil {
				return fmt.Errorf("store: query %s: %w", pks[i], err)
			}
			sh.buf = res.Items
			if len(res.LastEvaluatedKey) == 0 {
				sh.done = true
			} else if len(res.Items) == 0 {
				sh.start = sortKey(res.LastEvaluatedKey) // every item evaluated was filtered out
			}
		}
		return nil
	}
	var out page
	for int32(len(out.items)) < limit {
		best := -1
		for i := range shards {
			if err := fill(i); err != nil {
				return page{}, err
			}
			if len(shards[i].buf) > 0 && (best < 0 || sortKey(shards[i].buf[0]) > sortKey(shards[best].buf[0])) {
				best = i
			}
		}
		if best < 0 {
			break
		}
		head := shards[best].buf[0]
		shards[best].buf = shards[best].buf[1:]
		shards[best].start = sortKey(head)
		out.items = append(out.items, head)
	}
	more := false
	for i := range shards {
		if err := fill(i); err != nil {
			return page{}, err
		}
		if shards[i].done && len(shards[i].buf) == 0 {
			last[i] = "-"
		} else {
			last[i], more = shards[i].start, true
		}
	}
	if more {
		b, _ := json.Marshal(last)
		out.cursor = base64.RawURLEncoding.EncodeToString(b)
	}
	return out, nil
}

func copyNames(m map[string]string, k, v string) map[string]string {
	out := map[string]string{k: v}
	for a, b := range m {
		out[a] = b
	}
	return out
}

func copyValues(m map[string]ddb.AttributeValue, k, v string) map[string]ddb.AttributeValue {
	out := map[string]ddb.AttributeValue{k: &ddb.AttributeValueMemberS{Value: v}}
	for a, b := range m {
		out[a] = b
	}
	return out
}

// Vote is a recorded review vote.
type Vote struct {
	decision.Vote
	Revision int                  `json:"revision"`
	Stage    decision.ReviewStage `json:"stage"`
	At       time.Time            `json:"at"`
}

type voteItem struct {
	keys
	Type     string `dynamodbav:"type"`
	Voter    string `dynamodbav:"voter"`
	Verdict  string `dynamodbav:"verdict"`
	Comment  string `dynamodbav:"comment"`
	Dept     string `dynamodbav:"dept,omitempty"`
	Revision int    `dynamodbav:"revision"`
	Stage    string `dynamodbav:"stage"`
	At       string `dynamodbav:"at"`
}

func votePrefix(rev int, stage decision.ReviewStage) string {
	return fmt.Sprintf("VOTE#%04d#%s#", rev, stage)
}

// Votes lists the votes of one stage of one revision, in voter order. The
// read is strongly consistent: a vote just acknowledged is always in it.
func (s *Store) Votes(ctx context.Context, submissionID string, rev int, stage decision.ReviewStage) ([]Vote, error) {
	var out []Vote
	cursor := ""
	for {
		in := queryInput(s.table, "", "#pk = :pk AND begins_with(#sk, :prefix)", map[string]string{"#pk": "pk", "#sk": "sk"},
			map[string]ddb.AttributeValue{":pk": &ddb.AttributeValueMemberS{Value: submissionPK(submissionID)},
				":prefix": &ddb.AttributeValueMemberS{Value: votePrefix(rev, stage)}}, 100, true)
		in.ConsistentRead = aws.Bool(true)
		p, err := s.runQuery(ctx, in, cursor)
		if err != nil {
			return nil, err
		}
		for _, raw := range p.items {
			var it voteItem
			if err := attributevalue.UnmarshalMap(raw, &it); err != nil {
				return nil, fmt.Errorf("store: vote unmarshal: %w", err)
			}
			at, _ := time.Parse(time.RFC3339Nano, it.At)
			out = append(out, Vote{Vote: decision.Vote{Voter: it.Voter, Verdict: decision.Verdict(it.Verdict), Comment: it.Comment, Dept: it.Dept},
				Revision: it.Revision, Stage: decision.ReviewStage(it.Stage), At: at})
		}
		if p.cursor == "" {
			return out, nil
		}
		cursor = p.cursor
	}
}

// CastVote writes a review vote and what it decides in one transaction: it
// reads the submission and the stage's votes, lets decide check the voter
// against them and change the submission (the stage's result, once decided),
// and writes the vote (once per voter), the submission (always, with its
// version checked and bumped, so votes on one submission are serialized) and
// their audit entries together. A concurrent vote makes it read and decide
// again, so every acknowledged vote is stored and counted, and a decided
// stage takes no further vote. decide returns the vote to write and the
// audit action of the submission's change ("" when the vote decides nothing).
func (s *Store) CastVote(ctx context.Context, m audit.Meta, id string, stage decision.ReviewStage,
	decide func(sub *decision.Submission, votes []Vote) (Vote, string, error)) (decision.Submission, error) {
	for attempt := 0; ; attempt++ {
		before, err := s.GetSubmission(ctx, id)
		if err != nil {
			return decision.Submission{}, err
		}
		votes, err := s.Votes(ctx, id, before.Revision, stage)
		if err != nil {
			return decision.Submission{}, err
		}
		after, err := copySubmission(before)
		if err != nil {
			return decision.Submission{}, err
		}
		v, action, err := decide(&after, votes)
		if err != nil {
			return decision.Submission{}, err
		}
		after.ID, after.Version, after.UpdatedAt = before.ID, before.Version+1, m.At.UTC()
		voteWrite, err := s.putItem(voteItem{
			keys: keys{PK: submissionPK(id), SK: votePrefix(v.Revision, v.Stage) + v.Voter},
			Type: "vote", Voter: v.Voter, Verdict: string(v.Verdict), Comment: v.Comment, Dept: v.Dept, Revision: v.Revision,
			Stage: string(v.Stage), At: v.At.UTC().Format(time.RFC3339Nano),
		}, condNew, nil)
		if err != nil {
			return decision.Submission{}, err
		}
		it, err := s.toSubmissionItem(after)
		if err != nil {
			return decision.Submission{}, err
		}
		subWrite, err := s.putItem(it, condVersion, versionIs(before.Version))
		if err != nil {
			return decision.Submission{}, err
		}
		voteAudit, err := s.auditPut(m, audit.Entity("submission", id), "submission.vote", nil, v)
		if err != nil {
			return decision.Submission{}, err
		}
		writes := []ddbWrite{voteWrite, subWrite, voteAudit}
		if action != "" {
			subAudit, err := s.auditPut(m, audit.Entity("submission", id), action, before, after)
			if err != nil {
				return decision.Submission{}, err
			}
			writes = append(writes, subAudit)
		}
		err = s.transact(ctx, writes)
		switch {
		case err == nil:
			return after, nil
		case cancelledAt(err, 0):
			return decision.Submission{}, problem.Conflict("%s already voted in the %s review of revision %d", v.Voter, v.Stage, v.Revision)
		case !cancelledAt(err, 1) || attempt >= maxUpdateAttempts:
			return decision.Submission{}, fmt.Errorf("store: cast vote on %s: %w", id, err)
		}
		if err := backoff(ctx, attempt); err != nil {
			return decision.Submission{}, err
		}
	}
}

// queryFiltered is queryPage with a filter expression over the page.
func (s *Store) queryFiltered(ctx context.Context, index, pkAttr, pk, filter string, names map[string]string, values map[string]ddb.AttributeValue, cursor string, limit int32, forward bool) (page, error) {
	if filter == "" {
		return s.queryPage(ctx, index, pkAttr, pk, "", "", cursor, limit, forward)
	}
	names["#pk"] = pkAttr
	values[":pk"] = &ddb.AttributeValueMemberS{Value: pk}
	in := queryInput(s.table, index, "#pk = :pk", names, values, limit, forward)
	in.FilterExpression = aws.String(filter)
	return s.runQuery(ctx, in, cursor)
}
