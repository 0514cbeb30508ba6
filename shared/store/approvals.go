package store

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddb "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"productgov/shared/audit"
	"productgov/shared/mail"
	"productgov/shared/problem"
)

// Approval link keys: pk APPROVAL#<id>, sk APPROVAL; while the link waits it is
// also in gsi1 APPROVALS#WAITING / <remindAt>#<id>, so the reminder job finds
// the links due with one Query. ttl lets DynamoDB drop links long expired.
type approvalItem struct {
	keys
	Type         string `dynamodbav:"type"`
	ID           string `dynamodbav:"id"`
	Kind         string `dynamodbav:"kind,omitempty"`
	Role         string `dynamodbav:"role,omitempty"`
	SubmissionID string `dynamodbav:"submissionId"`
	Revision     int    `dynamodbav:"revision"`
	Step         string `dynamodbav:"step"`
	Approver     string `dynamodbav:"approver"`
	Email        string `dynamodbav:"email"`
	Token        string `dynamodbav:"token"`
	Status       string `dynamodbav:"status"`
	CreatedAt    string `dynamodbav:"createdAt"`
	ExpiresAt    string `dynamodbav:"expiresAt"`
	RemindAt     string `dynamodbav:"remindAt"`
	Reminded     bool   `dynamodbav:"reminded"`
	Decision     string `dynamodbav:"decision,omitempty"`
	Comment      string `dynamodbav:"comment,omitempty"`
	MinutesRef   string `dynamodbav:"minutesRef,omitempty"`
	DecidedAt    string `dynamodbav:"decidedAt,omitempty"`
	TTL          int64  `dynamodbav:"ttl"`
}

// Approval is an email approval link's server-side record (SPEC 2.4): the
// task token it releases never appears in the link.
type Approval struct {
	ID string
	// Kind is what the link decides: a submission's step (empty), or a staged
	// partner approval: ApprovalKindProject (S§11) or ApprovalKindRefund (S§20).
	Kind string
	// Role is the role the approver decides for in a staged approval.
	Role string
	// SubmissionID is the submission, or for a staged approval the project or partner.
	SubmissionID string
	Revision     int
	Step         string
	Approver     string
	Email        string
	Token        string
	// Status is waiting, deciding (claimed by one POST), used, superseded or
	// expired; unassigned while nobody eligible holds the step's role (SPEC
	// 2.3): such a record keeps the step's task token until AssignApproval.
	Status     string
	CreatedAt  time.Time
	ExpiresAt  time.Time
	RemindAt   time.Time
	Reminded   bool
	Decision   string
	Comment    string
	MinutesRef string
	// DecidedAt is when the decision was claimed (deciding) or made (used).
	DecidedAt time.Time
}

// Kinds of staged partner approvals decided through links.
const (
	ApprovalKindProject = "project"
	ApprovalKindRefund  = "refund"
)

// Approval statuses.
const (
	ApprovalWaiting    = "waiting"
	ApprovalDeciding   = "deciding"
	ApprovalUsed       = "used"
	ApprovalSuperseded = "superseded"
	ApprovalExpired    = "expired"
	// ApprovalUnassigned holds a started step's task token while nobody
	// eligible holds its role; it is in gsi1 APPROVALS#UNASSIGNED / <role>#<id>.
	ApprovalUnassigned = "unassigned"
)

const (
	approvalsWaiting    = "APPROVALS#WAITING"
	approvalsDeciding   = "APPROVALS#DECIDING"
	approvalsUnassigned = "APPROVALS#UNASSIGNED"
)

// keepExpiredLinks is how long an expired link's record stays, so its page
// can still say it expired rather than that it never existed.
const keepExpiredLinks = 90 * 24 * time.Hour

func ts(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }

func parseTS(s string) time.Time { t, _ := time.Parse(time.RFC3339Nano, s); return t }

// CreateApproval stores a new waiting link, or, when a.Status is
// ApprovalUnassigned, a step's token waiting for an eligible approver.
func (s *Store) CreateApproval(ctx context.Context, m audit.Meta, a Approval) error {
	it := approvalItem{
		keys: keys{PK: "APPROVAL#" + a.ID, SK: "APPROVAL", GSI1PK: approvalsWaiting, GSI1SK: ts(a.RemindAt) + "#" + a.ID},
		Type: "approval", ID: a.ID, Kind: a.Kind, Role: a.Role, SubmissionID: a.SubmissionID, Revision: a.Revision, Step: a.Step, Approver: a.Approver,
		Email: a.Email, Token: a.Token, Status: ApprovalWaiting, CreatedAt: ts(a.CreatedAt), ExpiresAt: ts(a.ExpiresAt),
		RemindAt: ts(a.RemindAt), TTL: a.ExpiresAt.Add(keepExpiredLinks).Unix(),
	}
	if a.Status == ApprovalUnassigned {
		it.Status, it.GSI1PK, it.GSI1SK = ApprovalUnassigned, approvalsUnassigned, a.Role+"#"+a.ID
	}
	put, err := s.putItem(it, condNew, nil)
	if err != nil {
		return err
	}
	entity := audit.Entity("submission", a.SubmissionID)
	switch a.Kind {
	case ApprovalKindProject:
		entity = audit.Entity("project", a.SubmissionID)
	case ApprovalKindRefund:
		entity = audit.Entity("partner", a.SubmissionID)
	}
	aud, err := s.auditPut(m, entity, "approval.link", nil,
		map[string]any{"approvalId": a.ID, "step": a.Step, "approver": a.Approver, "revision": a.Revision, "expiresAt": a.ExpiresAt})
	if err != nil {
		return err
	}
	if err := s.transact(ctx, []ddbWrite{put, aud}); err != nil {
		return fmt.Errorf("store: create approval %s: %w", a.ID, err)
	}
	return nil
}

func (it approvalItem) approval() Approval {
	return Approval{ID: it.ID, Kind: it.Kind, Role: it.Role, SubmissionID: it.SubmissionID, Revision: it.Revision, Step: it.Step, Approver: it.Approver,
		Email: it.Email, Token: it.Token, Status: it.Status, CreatedAt: parseTS(it.CreatedAt), ExpiresAt: parseTS(it.ExpiresAt),
		RemindAt: parseTS(it.RemindAt), Reminded: it.Reminded, Decision: it.Decision, Comment: it.Comment,
		MinutesRef: it.MinutesRef, DecidedAt: parseTS(it.DecidedAt)}
}

// GetApproval reads a link's record; not_found when absent.
func (s *Store) GetApproval(ctx context.Context, id string) (Approval, error) {
	var it approvalItem
	ok, err := s.get(ctx, "APPROVAL#"+id, "APPROVAL", &it)
	if err != nil {
		return Approval{}, fmt.Errorf("store: get approval %s: %w", id, err)
	}
	if !ok {
		return Approval{}, problem.NotFound("approval", id)
	}
	return it.approval(), nil
}

// TransitionApproval moves a link from one status to another only if it is in
// from: this conditional write is what makes a link single-use, so two
// simultaneous POSTs yield one decision. It returns conflict when the link
// was not in from. decision and comment are recorded when given.
func (s *Store) TransitionApproval(ctx context.Context, id, from, to, decision, comment string, at time.Time) error {
	set := "SET #status = :to"
	values := map[string]ddb.AttributeValue{
		":from": &ddb.AttributeValueMemberS{Value: from},
		":to":   &ddb.AttributeValueMemberS{Value: to},
	}
	names := map[string]string{"#status": "status"}
	if decision != "" {
		names["#comment"] = "comment"
		set += ", decision = :d, #comment = :c, decidedAt = :at"
		values[":d"] = &ddb.AttributeValueMemberS{Value: decision}
		values[":c"] = &ddb.AttributeValueMemberS{Value: comment}
		values[":at"] = &ddb.AttributeValueMemberS{Value: ts(at)}
	}
	update := set
	if to != ApprovalWaiting {
		update += " REMOVE gsi1pk, gsi1sk"
	}
	_, err := s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                 aws.String(s.table),
		Key:                       keyOf("APPROVAL#"+id, "APPROVAL"),
		ConditionExpression:       aws.String("#status = :from"),
		UpdateExpression:          aws.String(update),
		ExpressionAttributeNames:  names,
		ExpressionAttributeValues: values,
	})
	if isConditionFailure(err) {
		return problem.Conflict("approval %s is not %s", id, from)
	}
	if err != nil {
		return fmt.Errorf("store: approval %s %s→%s: %w", id, from, to, err)
	}
	return nil
}

// ClaimApproval moves a waiting link to deciding with the decision made on
// its page (conditional: one claim per link), and lists it under deciding by
// when, so a decision cut off by a crash can be found and completed.
func (s *Store) ClaimApproval(ctx context.Context, id, decision, comment, minutesRef string, at time.Time) error {
	_, err := s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:           aws.String(s.table),
		Key:                 keyOf("APPROVAL#"+id, "APPROVAL"),
		ConditionExpression: aws.String("#status = :waiting"),
		UpdateExpression: aws.String("SET #status = :deciding, decision = :d, #comment = :c, minutesRef = :m, decidedAt = :at, " +
			"gsi1pk = :gpk, gsi1sk = :gsk"),
		ExpressionAttributeNames: map[string]string{"#status": "status", "#comment": "comment"},
		ExpressionAttributeValues: map[string]ddb.AttributeValue{
			":waiting": &ddb.AttributeValueMemberS{Value: ApprovalWaiting}, ":deciding": &ddb.AttributeValueMemberS{Value: ApprovalDeciding},
			":d": &ddb.AttributeValueMemberS{Value: decision}, ":c": &ddb.AttributeValueMemberS{Value: comment},
			":m": &ddb.AttributeValueMemberS{Value: minutesRef}, ":at": &ddb.AttributeValueMemberS{Value: ts(at)},
			":gpk": &ddb.AttributeValueMemberS{Value: approvalsDeciding}, ":gsk": &ddb.AttributeValueMemberS{Value: ts(at) + "#" + id},
		},
	})
	if isConditionFailure(err) {
		return problem.Conflict("approval %s is not waiting", id)
	}
	if err != nil {
		return fmt.Errorf("store: claim approval %s: %w", id, err)
	}
	return nil
}

// ReclaimApproval takes over a decision that has been deciding since
// claimedAt (its claimer stopped): conditional on that very claim, so one
// recoverer completes it.
func (s *Store) ReclaimApproval(ctx context.Context, id string, claimedAt, at time.Time) error {
	_, err := s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                aws.String(s.table),
		Key:                      keyOf("APPROVAL#"+id, "APPROVAL"),
		ConditionExpression:      aws.String("#status = :deciding AND decidedAt = :was"),
		UpdateExpression:         aws.String("SET decidedAt = :at, gsi1sk = :gsk"),
		ExpressionAttributeNames: map[string]string{"#status": "status"},
		ExpressionAttributeValues: map[string]ddb.AttributeValue{
			":deciding": &ddb.AttributeValueMemberS{Value: ApprovalDeciding}, ":was": &ddb.AttributeValueMemberS{Value: ts(claimedAt)},
			":at": &ddb.AttributeValueMemberS{Value: ts(at)}, ":gsk": &ddb.AttributeValueMemberS{Value: ts(at) + "#" + id},
		},
	})
	if isConditionFailure(err) {
		return problem.Conflict("approval %s is no longer the same claim", id)
	}
	if err != nil {
		return fmt.Errorf("store: reclaim approval %s: %w", id, err)
	}
	return nil
}

// StalledApprovals lists links claimed (deciding) before the time given: their
// decision was cut off and waits to be completed.
func (s *Store) StalledApprovals(ctx context.Context, before time.Time, limit int32) ([]Approval, error) {
	return s.approvalsListed(ctx, approvalsDeciding, "gsi1sk < :bound", ts(before), limit)
}

// MarkReminded records that a waiting link's reminder went out, once.
func (s *Store) MarkReminded(ctx context.Context, id string) error {
	_, err := s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                 aws.String(s.table),
		Key:                       keyOf("APPROVAL#"+id, "APPROVAL"),
		ConditionExpression:       aws.String("#status = :w AND reminded = :f"),
		UpdateExpression:          aws.String("SET reminded = :t REMOVE gsi1pk, gsi1sk"),
		ExpressionAttributeNames:  map[string]string{"#status": "status"},
		ExpressionAttributeValues: map[string]ddb.AttributeValue{":w": &ddb.AttributeValueMemberS{Value: ApprovalWaiting}, ":f": &ddb.AttributeValueMemberBOOL{Value: false}, ":t": &ddb.AttributeValueMemberBOOL{Value: true}},
	})
	if isConditionFailure(err) {
		return problem.Conflict("approval %s needs no reminder", id)
	}
	if err != nil {
		return fmt.Errorf("store: mark reminded %s: %w", id, err)
	}
	return nil
}

// ApprovalsDue lists waiting links whose reminder time has come.
func (s *Store) ApprovalsDue(ctx context.Context, now time.Time, limit int32) ([]Approval, error) {
	return s.approvalsListed(ctx, approvalsWaiting, "gsi1sk <= :bound", ts(now)+"#~", limit)
}

// approvalsListed reads the links listed under pk in gsi1 whose sort key
// meets cond (against :bound).
func (s *Store) approvalsListed(ctx context.Context, pk, cond, bound string, limit int32) ([]Approval, error) {
	res, err := s.db.Query(ctx, &dynamodb.QueryInput{
		TableName:              aws.String(s.table),
		IndexName:              aws.String(IndexGSI1),
		KeyConditionExpression: aws.String("gsi1pk = :pk AND " + cond),
		ExpressionAttributeValues: map[string]ddb.AttributeValue{
			":pk": &ddb.AttributeValueMemberS{Value: pk}, ":bound": &ddb.AttributeValueMemberS{Value: bound},
		},
		Limit: aws.Int32(limit),
	})
	if err != nil {
		return nil, fmt.Errorf("store: approvals %s: %w", pk, err)
	}
	out := make([]Approval, 0, len(res.Items))
	for _, raw := range res.Items {
		var it approvalItem
		if err := attributevalue.UnmarshalMap(raw, &it); err != nil {
			return nil, fmt.Errorf("store: approval unmarshal: %w", err)
		}
		out = append(out, it.approval())
	}
	return out, nil
}

// Outbox keys: pk OUTBOX, sk <sentAt>#<id>; newest first with a reverse Query.
type outboxItem struct {
	keys
	Type    string   `dynamodbav:"type"`
	ID      string   `dynamodbav:"id"`
	To      string   `dynamodbav:"to"`
	Subject string   `dynamodbav:"subject"`
	Text    string   `dynamodbav:"text"`
	HTML    string   `dynamodbav:"html"`
	Links   []string `dynamodbav:"links"`
	SentAt  string   `dynamodbav:"sentAt"`
	TTL     int64    `dynamodbav:"ttl"`
}

// Send stores a message in the local outbox (the store is the local mail.Sender).
func (s *Store) Send(ctx context.Context, m mail.Message) error {
	it := outboxItem{keys: keys{PK: "OUTBOX", SK: ts(m.SentAt) + "#" + m.ID}, Type: "mail", ID: m.ID, To: m.To,
		Subject: m.Subject, Text: m.Text, HTML: m.HTML, Links: m.Links, SentAt: ts(m.SentAt),
		TTL: m.SentAt.Add(keepExpiredLinks).Unix()}
	av, err := attributevalue.MarshalMap(it)
	if err != nil {
		return err
	}
	if _, err := s.db.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(s.table), Item: av}); err != nil {
		return fmt.Errorf("store: outbox: %w", err)
	}
	return nil
}

// Outbox lists sent messages, newest first.
func (s *Store) Outbox(ctx context.Context, limit int32) ([]mail.Message, error) {
	p, err := s.queryPage(ctx, "", "pk", "OUTBOX", "", "", "", limit, false)
	if err != nil {
		return nil, err
	}
	out := make([]mail.Message, 0, len(p.items))
	for _, raw := range p.items {
		var it outboxItem
		if err := attributevalue.UnmarshalMap(raw, &it); err != nil {
			return nil, fmt.Errorf("store: outbox unmarshal: %w", err)
		}
		if it.Links == nil {
			it.Links = []string{}
		}
		out = append(out, mail.Message{ID: it.ID, To: it.To, Subject: it.Subject, Text: it.Text, HTML: it.HTML,
			Links: it.Links, SentAt: parseTS(it.SentAt)})
	}
	return out, nil
}

// UnassignedApprovals lists the steps waiting for an eligible holder of role
// (SPEC 2.3), with one Query of gsi1.
func (s *Store) UnassignedApprovals(ctx context.Context, role string) ([]Approval, error) {
	var out []Approval
	cursor := ""
	for {
		p, err := s.queryPage(ctx, IndexGSI1, "gsi1pk", approvalsUnassigned, "gsi1sk", role+"#", cursor, 100, true)
		if err != nil {
			return nil, fmt.Errorf("store: unassigned approvals %s: %w", role, err)
		}
		for _, raw := range p.items {
			var it approvalItem
			if err := attributevalue.UnmarshalMap(raw, &it); err != nil {
				return nil, fmt.Errorf("store: approval unmarshal: %w", err)
			}
			out = append(out, it.approval())
		}
		if p.cursor == "" {
			return out, nil
		}
		cursor = p.cursor
	}
}

// AssignApproval gives an unassigned step's record its approver and makes it
// a waiting link, only if it is still unassigned (conflict otherwise), with
// its audit entry.
func (s *Store) AssignApproval(ctx context.Context, m audit.Meta, a Approval) error {
	up := &ddb.Update{
		TableName:           aws.String(s.table),
		Key:                 keyOf("APPROVAL#"+a.ID, "APPROVAL"),
		ConditionExpression: aws.String("#status = :from"),
		UpdateExpression: aws.String("SET #status = :to, approver = :approver, email = :email, createdAt = :created, " +
			"expiresAt = :expires, remindAt = :remind, gsi1pk = :gpk, gsi1sk = :gsk, #ttl = :ttl"),
		ExpressionAttributeNames: map[string]string{"#status": "status", "#ttl": "ttl"},
		ExpressionAttributeValues: map[string]ddb.AttributeValue{
			":from":     &ddb.AttributeValueMemberS{Value: ApprovalUnassigned},
			":to":       &ddb.AttributeValueMemberS{Value: ApprovalWaiting},
			":approver": &ddb.AttributeValueMemberS{Value: a.Approver},
			":email":    &ddb.AttributeValueMemberS{Value: a.Email},
			":created":  &ddb.AttributeValueMemberS{Value: ts(a.CreatedAt)},
			":expires":  &ddb.AttributeValueMemberS{Value: ts(a.ExpiresAt)},
			":remind":   &ddb.AttributeValueMemberS{Value: ts(a.RemindAt)},
			":gpk":      &ddb.AttributeValueMemberS{Value: approvalsWaiting},
			":gsk":      &ddb.AttributeValueMemberS{Value: ts(a.RemindAt) + "#" + a.ID},
			":ttl":      &ddb.AttributeValueMemberN{Value: fmt.Sprint(a.ExpiresAt.Add(keepExpiredLinks).Unix())},
		},
	}
	aud, err := s.auditPut(m, audit.Entity("submission", a.SubmissionID), "approval.assign", nil,
		map[string]any{"approvalId": a.ID, "step": a.Step, "approver": a.Approver, "revision": a.Revision, "expiresAt": a.ExpiresAt})
	if err != nil {
		return err
	}
	err = s.transact(ctx, []ddbWrite{{Update: up}, aud})
	if cancelledAt(err, 0) {
		return problem.Conflict("approval %s is not %s", a.ID, ApprovalUnassigned)
	}
	if err != nil {
		return fmt.Errorf("store: assign approval %s: %w", a.ID, err)
	}
	return nil
}
