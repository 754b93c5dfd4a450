package app

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"

	"github.com/rlhf-eval/rlhf-eval/internal/domain"
	"github.com/rlhf-eval/rlhf-eval/internal/judging"
	"github.com/rlhf-eval/rlhf-eval/internal/ports"
)

// Judges is the judge-configuration use case: every configuration posted under a
// name is kept as a version of it.
type Judges struct{ d Deps }

// NewJudges returns the judge use case.
func NewJudges(d Deps) (*Judges, error) {
	if err := d.check(); err != nil {
		return nil, err
	}
	if d.Stores.Judges == nil || d.Stores.Judgments == nil {
		return nil, fmt.Errorf("app: no judge store")
	}
	return &Judges{d: d}, nil
}

// Create validates a judge configuration (JSON) and stores it as the next version
// of its name; an identical configuration returns the version that has it, with
// created false.
func (u *Judges) Create(ctx context.Context, config []byte) (j domain.Judge, created bool, err error) {
	cfg, err := judging.DecodeConfig(config)
	if err != nil {
		return domain.Judge{}, false, err
	}
	canon, err := cfg.Canonical()
	if err != nil {
		return domain.Judge{}, false, fmt.Errorf("canonical form of judge %q: %w", cfg.Name, err)
	}
	sum := sha256.Sum256(canon)
	return u.d.Stores.Judges.PutJudge(ctx, domain.Judge{
		Name: cfg.Name, Kind: string(cfg.Kind), Config: canon, ConfigHash: hex.EncodeToString(sum[:]), CreatedAt: u.d.now(),
	})
}

// Get returns a judge's version, or its latest when version is 0.
func (u *Judges) Get(ctx context.Context, name string, version int) (domain.Judge, error) {
	if version < 0 {
		return domain.Judge{}, domain.Invalid("version", "must be a positive integer; got %d", version)
	}
	j, err := u.d.Stores.Judges.GetJudge(ctx, name, version)
	if err != nil {
		if version > 0 {
			return domain.Judge{}, wrapNotFound(err, "judge %q version %d", name, version)
		}
		return domain.Judge{}, wrapNotFound(err, "judge %q", name)
	}
	return j, nil
}

// List returns a page of judges (each at its latest version), by name.
func (u *Judges) List(ctx context.Context, cursorText string, limit int) (domain.Page[domain.Judge], error) {
	var page domain.Page[domain.Judge]
	limit, err := pageLimit(limit)
	if err != nil {
		return page, err
	}
	list := listKey("judges", domain.ID{}, "name")
	c, _, err := decodeCursor(cursorText, list)
	if err != nil {
		return page, err
	}
	var after *string
	if c != nil {
		after = &c.Key
	}
	items, err := u.d.Stores.Judges.ListJudges(ctx, after, limit+1)
	if err != nil {
		return page, err
	}
	if len(items) > limit {
		items = items[:limit]
		page.Next = encodeCursor(list, items[limit-1].Name, domain.ID{})
	}
	page.Items = items
	return page, nil
}

// judgeConfig decodes a stored judge's configuration.
func judgeConfig(j domain.Judge) (judging.Config, error) {
	cfg, err := judging.DecodeConfig(j.Config)
	if err != nil {
		return judging.Config{}, fmt.Errorf("judge %q version %d has an invalid stored configuration: %w", j.Name, j.Version, err)
	}
	return cfg, nil
}

// Judgments reads the judgments behind judge-made comparisons and scores.
type Judgments struct{ d Deps }

// ListJudgmentsInput selects a page of an evaluation's judgments. Comparison and
// Response take an id or external id; Job a job id; Judge a judge name.
type ListJudgmentsInput struct {
	Comparison, Response, Job, Judge *string
	Cursor                           string
	Limit                            int
}

// List returns a page of an evaluation's judgments, oldest first.
func (u *Judgments) List(ctx context.Context, evalRef string, in ListJudgmentsInput) (domain.Page[domain.Judgment], error) {
	var page domain.Page[domain.Judgment]
	limit, err := pageLimit(in.Limit)
	if err != nil {
		return page, err
	}
	e, err := resolveEvaluation(ctx, u.d.Stores.Evaluations, evalRef)
	if err != nil {
		return page, err
	}
	q := ports.JudgmentQuery{EvaluationID: e.ID, JudgeName: in.Judge, Limit: limit + 1}
	if in.Comparison != nil {
		s := u.d.Stores.Comparisons
		c, err := lookupByRef(ctx, e, "comparison", *in.Comparison, s.GetComparisons, s.GetComparisonsByExternalID)
		if err != nil {
			return page, asFilterError("comparison", err)
		}
		q.ComparisonID = &c.ID
	}
	if in.Response != nil {
		s := u.d.Stores.Responses
		r, err := lookupByRef(ctx, e, "response", *in.Response, s.GetResponses, s.GetResponsesByExternalID)
		if err != nil {
			return page, asFilterError("response", err)
		}
		q.ResponseID = &r.ID
	}
	if in.Job != nil {
		id, err := domain.ParseID(*in.Job)
		if err != nil {
			return page, domain.Invalid("job", "must be a job id; got %q", *in.Job)
		}
		q.JobID = &id
	}
	list := listKey("judgments", e.ID, "", in.Comparison, in.Response, in.Job, in.Judge)
	c, after, err := decodeCursor(in.Cursor, list)
	if err != nil {
		return page, err
	}
	var start *domain.ID
	if c != nil {
		start = &after
	}
	// A judgment holds the messages sent and the raw reply: pages are bounded by
	// bytes as well as rows.
	return fetchPage(limit, u.d.Limits.orDefault().MaxPageBytes, list, start, func(j domain.Judgment) domain.ID { return j.ID }, judgmentSize,
		func(after *domain.ID, n int) ([]domain.Judgment, error) {
			q.After, q.Limit = after, n
			return u.d.Stores.Judgments.ListJudgments(ctx, q)
		})
}

// asFilterError turns a filter's unknown reference into a field error.
func asFilterError(field string, err error) error {
	if errors.Is(err, domain.ErrNotFound) {
		return domain.Invalid(field, "%v", err)
	}
	return err
}

// judgeServices builds the judge use cases when d has their stores.
func judgeServices(d Deps) (*Judges, *JudgeRuns, *Judgments) {
	if d.Stores.Judges == nil || d.Stores.Judgments == nil || d.Stores.Jobs == nil {
		return nil, nil, nil
	}
	return &Judges{d: d}, &JudgeRuns{d: d}, &Judgments{d: d}
}
