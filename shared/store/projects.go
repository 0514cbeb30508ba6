package store

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	ddb "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"productgov/shared/audit"
	"productgov/shared/partner"
	"productgov/shared/period"
	"productgov/shared/problem"
	"productgov/shared/settlement"
)

// Support-project keys:
//
//	pk PROJECT#<id>  sk PROJECT                   the project (its record in doc)
//	gsi1 PROJECTS / <id>                           every project
//	gsi2 PROJECTS#PARTNER#<partnerId> / <id>       a partner's projects (the settlement pages them)
//	pk PROJECT#<id>  sk SCORE#<year>#<reviewer>    one reviewer's form of a year's review, write-once
//	pk PROJECT#<id>  sk QUARTER#<YYYY-Qn>          the quarter input
func projectPK(id string) string { return "PROJECT#" + id }

const (
	skProject = "PROJECT"
	skScore   = "SCORE#"
	skQuarter = "QUARTER#"
)

func (s *Store) projectPut(p settlement.Project, cond string, vals map[string]ddb.AttributeValue) (ddbWrite, error) {
	doc, err := json.Marshal(p)
	if err != nil {
		return ddbWrite{}, fmt.Errorf("store: marshal project: %w", err)
	}
	return s.putItem(docItem{keys: keys{PK: projectPK(p.ID), SK: skProject, GSI1PK: "PROJECTS", GSI1SK: p.ID,
		GSI2PK: "PROJECTS#PARTNER#" + p.PartnerID, GSI2SK: p.ID}, Type: "project", Ver: p.Version, Doc: string(doc)}, cond, vals)
}

// CreateProject writes a new support project with its audit entry.
func (s *Store) CreateProject(ctx context.Context, m audit.Meta, p settlement.Project) error {
	p.Version = 1
	put, err := s.projectPut(p, condNew, nil)
	if err != nil {
		return err
	}
	aud, err := s.auditPut(m, audit.Entity("project", p.ID), "project.create", nil, p)
	if err != nil {
		return err
	}
	err = s.transact(ctx, []ddbWrite{put, aud})
	if cancelledAt(err, 0) {
		return problem.Conflict("project %s already exists", p.ID)
	}
	if err != nil {
		return fmt.Errorf("store: create project %s: %w", p.ID, err)
	}
	return nil
}

// GetProject reads a support project; not_found when absent.
func (s *Store) GetProject(ctx context.Context, id string) (settlement.Project, error) {
	var it docItem
	ok, err := s.get(ctx, projectPK(id), skProject, &it)
	if err != nil {
		return settlement.Project{}, fmt.Errorf("store: get project %s: %w", id, err)
	}
	if !ok {
		return settlement.Project{}, problem.NotFound("support project", id)
	}
	return decodeProject(it)
}

func decodeProject(it docItem) (settlement.Project, error) {
	var p settlement.Project
	if err := json.Unmarshal([]byte(it.Doc), &p); err != nil {
		return p, fmt.Errorf("store: project %s: %w", it.PK, err)
	}
	p.Version = it.Ver
	return p, nil
}

// UpdateProject applies fn to the current project and writes it only if
// nobody changed it meanwhile, re-applying fn on a clash. fn returns the
// audit action; ErrNoChange writes nothing.
func (s *Store) UpdateProject(ctx context.Context, m audit.Meta, id string, fn func(*settlement.Project) (string, error)) (settlement.Project, error) {
	for attempt := 0; ; attempt++ {
		before, err := s.GetProject(ctx, id)
		if err != nil {
			return settlement.Project{}, err
		}
		var after settlement.Project
		b, _ := json.Marshal(before)
		if err := json.Unmarshal(b, &after); err != nil {
			return settlement.Project{}, err
		}
		action, err := fn(&after)
		if err == ErrNoChange {
			return before, nil
		}
		if err != nil {
			return settlement.Project{}, err
		}
		after.ID, after.PartnerID, after.Version, after.UpdatedAt = before.ID, before.PartnerID, before.Version+1, m.At.UTC()
		put, err := s.projectPut(after, condVersion, versionIs(before.Version))
		if err != nil {
			return settlement.Project{}, err
		}
		aud, err := s.auditPut(m, audit.Entity("project", id), action, before, after)
		if err != nil {
			return settlement.Project{}, err
		}
		err = s.transact(ctx, []ddbWrite{put, aud})
		if err == nil {
			return after, nil
		}
		if !isConditionFailure(err) || attempt >= maxUpdateAttempts {
			return settlement.Project{}, fmt.Errorf("store: update project %s: %w", id, err)
		}
		if err := backoff(ctx, attempt); err != nil {
			return settlement.Project{}, err
		}
	}
}

// ProjectsOfPartner lists a partner's projects in id order, every page.
func (s *Store) ProjectsOfPartner(ctx context.Context, partnerID string) ([]settlement.Project, error) {
	var out []settlement.Project
	cursor := ""
	for {
		p, err := s.queryPage(ctx, IndexGSI2, "gsi2pk", "PROJECTS#PARTNER#"+partnerID, "", "", cursor, 200, true)
		if err != nil {
			return nil, err
		}
		for _, raw := range p.items {
			var it docItem
			if err := attributevalue.UnmarshalMap(raw, &it); err != nil {
				return nil, fmt.Errorf("store: project unmarshal: %w", err)
			}
			pr, err := decodeProject(it)
			if err != nil {
				return nil, err
			}
			out = append(out, pr)
		}
		if p.cursor == "" {
			return out, nil
		}
		cursor = p.cursor
	}
}

// AddScoreForm records one reviewer's form once (S§11: one form per reviewer
// and review); a second form is a conflict.
func (s *Store) AddScoreForm(ctx context.Context, m audit.Meta, r partner.ScoreFormRecord) error {
	err := s.createDoc(ctx, m, projectPK(r.ProjectID), fmt.Sprintf("%s%04d#%s", skScore, r.Year, r.ReviewerID), "score_form",
		audit.Entity("project", r.ProjectID), "project.score", r)
	if problem.CodeOf(err) == problem.CodeConflict {
		return problem.Conflict("%s has already filled a form for the %d review of project %s (S§11)", r.ReviewerID, r.Year, r.ProjectID)
	}
	return err
}

// ScoreForms lists the forms of a project's review of a year, in reviewer order.
func (s *Store) ScoreForms(ctx context.Context, projectID string, year int) ([]partner.ScoreFormRecord, error) {
	var out []partner.ScoreFormRecord
	err := s.eachDoc(ctx, projectPK(projectID), fmt.Sprintf("%s%04d#", skScore, year), func(doc string) error {
		var r partner.ScoreFormRecord
		if err := json.Unmarshal([]byte(doc), &r); err != nil {
			return err
		}
		out = append(out, r)
		return nil
	})
	return out, err
}

// PutQuarterEntry sets a project's quarter input, replacing an earlier one,
// with its audit entry (before and after).
func (s *Store) PutQuarterEntry(ctx context.Context, m audit.Meta, e settlement.QuarterEntry) (settlement.QuarterEntry, error) {
	for attempt := 0; ; attempt++ {
		var old docItem
		found, err := s.get(ctx, projectPK(e.ProjectID), skQuarter+e.Quarter.String(), &old)
		if err != nil {
			return e, fmt.Errorf("store: get quarter %s %s: %w", e.ProjectID, e.Quarter, err)
		}
		cond, vals := condNew, map[string]ddb.AttributeValue(nil)
		var before any
		if found {
			cond, vals = condVersion, versionIs(old.Ver)
			before = json.RawMessage(old.Doc)
		}
		e.Version = old.Ver + 1
		doc, err := json.Marshal(e)
		if err != nil {
			return e, err
		}
		put, err := s.putItem(docItem{keys: keys{PK: projectPK(e.ProjectID), SK: skQuarter + e.Quarter.String()},
			Type: "quarter", Ver: e.Version, Doc: string(doc)}, cond, vals)
		if err != nil {
			return e, err
		}
		aud, err := s.auditPut(m, audit.Entity("project", e.ProjectID), "project.quarter."+e.Quarter.String(), before, e)
		if err != nil {
			return e, err
		}
		err = s.transact(ctx, []ddbWrite{put, aud})
		if err == nil {
			return e, nil
		}
		if !isConditionFailure(err) || attempt >= maxUpdateAttempts {
			return e, fmt.Errorf("store: put quarter %s %s: %w", e.ProjectID, e.Quarter, err)
		}
		if err := backoff(ctx, attempt); err != nil {
			return e, err
		}
	}
}

// QuarterEntryKey names one project's quarter.
type QuarterEntryKey struct {
	ProjectID string
	Quarter   period.Quarter
}

// QuarterEntries reads many projects' quarter inputs with batched reads;
// missing ones are absent.
func (s *Store) QuarterEntries(ctx context.Context, ks []QuarterEntryKey) (map[QuarterEntryKey]settlement.QuarterEntry, error) {
	out := map[QuarterEntryKey]settlement.QuarterEntry{}
	keys := make([][2]string, len(ks))
	for i, k := range ks {
		keys[i] = [2]string{projectPK(k.ProjectID), skQuarter + k.Quarter.String()}
	}
	err := s.batchDocs(ctx, keys, func(_, _, doc string, ver int64) error {
		var e settlement.QuarterEntry
		if err := json.Unmarshal([]byte(doc), &e); err != nil {
			return err
		}
		e.Version = ver
		out[QuarterEntryKey{e.ProjectID, e.Quarter}] = e
		return nil
	})
	return out, err
}
