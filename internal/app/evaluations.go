package app

import (
	"bytes"
	"context"
	"errors"
	"slices"
	"time"

	"github.com/rlhf-eval/rlhf-eval/internal/domain"
	"github.com/rlhf-eval/rlhf-eval/internal/ports"
)

// Evaluations is the evaluation use case.
type Evaluations struct{ d Deps }

// NewEvaluations returns the evaluation use case.
func NewEvaluations(d Deps) (*Evaluations, error) {
	if err := d.check(); err != nil {
		return nil, err
	}
	return &Evaluations{d: d}, nil
}

// EvaluationInput creates an evaluation.
type EvaluationInput struct {
	Name        string
	Description string
	Scorers     []domain.ScorerConfig
	Metadata    map[string]any
}

// Create validates in, including every scorer config against the registry, and
// stores a new evaluation. A taken name is domain.ErrConflict.
func (u *Evaluations) Create(ctx context.Context, in EvaluationInput) (domain.Evaluation, error) {
	var errs []error
	errs = append(errs, domain.ValidateEvaluationName(in.Name), domain.ValidateDescription(in.Description), domain.ValidateMetadata("metadata", in.Metadata))
	scorers, err := u.d.Registry.Normalize(in.Scorers)
	errs = append(errs, domain.PrefixField("scorers", err))
	if err == nil {
		errs = append(errs, checkLaterScorers(ctx, u.d, scorers))
	}
	if err := errors.Join(errs...); err != nil {
		return domain.Evaluation{}, err
	}
	now := u.d.now()
	e := domain.Evaluation{
		ID: u.d.IDs.NewID(), Name: in.Name, Description: in.Description,
		Scorers: scorers, Metadata: in.Metadata, CreatedAt: now, UpdatedAt: now,
	}
	if e.Metadata == nil {
		e.Metadata = map[string]any{}
	}
	if err := u.d.Stores.Evaluations.CreateEvaluation(ctx, e); err != nil {
		return domain.Evaluation{}, err
	}
	return e, nil
}

// Get finds an evaluation by id or name.
func (u *Evaluations) Get(ctx context.Context, ref string) (domain.Evaluation, error) {
	return resolveEvaluation(ctx, u.d.Stores.Evaluations, ref)
}

// EvaluationPatch changes some fields of an evaluation; nil fields stay as they are.
type EvaluationPatch struct {
	Name        *string
	Description *string
	Scorers     *[]domain.ScorerConfig
	Metadata    *map[string]any
}

// Update applies a patch in one transaction. Changing the scorers starts a rescore
// job (see UpdateAndRescore); stored scores change as it goes.
func (u *Evaluations) Update(ctx context.Context, ref string, p EvaluationPatch) (domain.Evaluation, error) {
	e, _, err := u.UpdateAndRescore(ctx, ref, p)
	return e, err
}

// UpdateAndRescore applies a patch in one transaction. When the patch changes the
// scorers, the same transaction cancels the evaluation's unfinished rescore jobs
// and enqueues a new one, returned here, which rescores every stored response with
// the new scorers; responses ingested from now on are scored with them on ingest.
func (u *Evaluations) UpdateAndRescore(ctx context.Context, ref string, p EvaluationPatch) (domain.Evaluation, *domain.Job, error) {
	defer u.d.lookups.Changed() // once the change is committed (or not made)
	var errs []error
	if p.Name != nil {
		errs = append(errs, domain.ValidateEvaluationName(*p.Name))
	}
	if p.Description != nil {
		errs = append(errs, domain.ValidateDescription(*p.Description))
	}
	if p.Metadata != nil {
		errs = append(errs, domain.ValidateMetadata("metadata", *p.Metadata))
	}
	var scorers []domain.ScorerConfig
	if p.Scorers != nil {
		var err error
		scorers, err = u.d.Registry.Normalize(*p.Scorers)
		errs = append(errs, domain.PrefixField("scorers", err))
		if err == nil {
			errs = append(errs, checkLaterScorers(ctx, u.d, scorers))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return domain.Evaluation{}, nil, err
	}
	if p == (EvaluationPatch{}) {
		// Nothing to change: not even updated_at moves.
		e, err := resolveEvaluation(ctx, u.d.Stores.Evaluations, ref)
		return e, nil, err
	}
	var out domain.Evaluation
	var job *domain.Job
	err := u.d.Tx.InTx(ctx, func(ctx context.Context, s ports.Stores) error {
		e, err := resolveEvaluation(ctx, s.Evaluations, ref)
		if err != nil {
			return err
		}
		rescore := false
		if p.Name != nil {
			e.Name = *p.Name
		}
		if p.Description != nil {
			e.Description = *p.Description
		}
		if p.Scorers != nil {
			rescore = !sameScorers(e.Scorers, scorers)
			if rescore {
				// Ingests in flight finish with the old scorers before the change
				// commits, so the rescore that follows sees their responses.
				if err := s.Maintenance.LockEvaluation(ctx, e.ID); err != nil {
					return err
				}
			}
			e.Scorers = scorers
		}
		if p.Metadata != nil {
			e.Metadata = *p.Metadata
			if e.Metadata == nil {
				e.Metadata = map[string]any{}
			}
		}
		e.UpdatedAt = u.d.now()
		if err := s.Evaluations.UpdateEvaluation(ctx, e); err != nil {
			return err
		}
		if rescore {
			if err := cancelActiveJobs(ctx, s, e.ID, KindRescore); err != nil {
				return err
			}
			j := u.d.newJob(KindRescore, &e.ID, map[string]any{"evaluation": e.Name})
			if err := s.Jobs.EnqueueJob(ctx, j); err != nil {
				return err
			}
			job = &j
		}
		out = e
		return nil
	})
	if err != nil {
		return domain.Evaluation{}, nil, err
	}
	return out, job, nil
}

// sameScorers reports whether two scorer lists configure the same scorers in the
// same order.
func sameScorers(a, b []domain.ScorerConfig) bool {
	return slices.EqualFunc(a, b, func(x, y domain.ScorerConfig) bool {
		return x.Name == y.Name && x.Type == y.Type && bytes.Equal(x.Params, y.Params) &&
			equalBand(x.Pass, y.Pass)
	})
}

func equalBand(a, b *domain.PassBand) bool {
	if a == nil || b == nil {
		return a == b
	}
	return equalBound(a.Min, b.Min) && equalBound(a.Max, b.Max)
}

func equalBound(a, b *float64) bool {
	return (a == nil && b == nil) || (a != nil && b != nil && *a == *b)
}

// Delete deletes an evaluation: see StartDelete.
func (u *Evaluations) Delete(ctx context.Context, ref string) error {
	_, err := u.StartDelete(ctx, ref)
	return err
}

// StartDelete deletes an evaluation in one transaction: it is hidden from every
// lookup and its name is free again at once, its unfinished jobs are cancelled,
// and a purge job is enqueued (and returned) that removes its responses, scores
// and comparisons in the background.
func (u *Evaluations) StartDelete(ctx context.Context, ref string) (domain.Job, error) {
	defer u.d.lookups.Changed() // once the change is committed (or not made)
	var job domain.Job
	err := u.d.Tx.InTx(ctx, func(ctx context.Context, s ports.Stores) error {
		e, err := resolveEvaluation(ctx, s.Evaluations, ref)
		if err != nil {
			return err
		}
		if err := s.Maintenance.MarkEvaluationDeleted(ctx, e.ID, u.d.now()); err != nil {
			return wrapNotFound(err, "evaluation %q", ref)
		}
		if err := cancelActiveJobs(ctx, s, e.ID, ""); err != nil {
			return err
		}
		job = u.d.newJob(KindPurgeEvaluation, &e.ID, map[string]any{"evaluation": e.Name})
		return s.Jobs.EnqueueJob(ctx, job)
	})
	return job, err
}

// ListEvaluationsInput selects a page of evaluations.
type ListEvaluationsInput struct {
	Sort   string
	Cursor string
	Limit  int
}

// List returns a page of evaluations in the requested order.
func (u *Evaluations) List(ctx context.Context, in ListEvaluationsInput) (domain.Page[domain.Evaluation], error) {
	var page domain.Page[domain.Evaluation]
	sort := ports.EvaluationSort(in.Sort)
	if sort == "" {
		sort = ports.SortCreatedAsc
	}
	known := false
	for _, s := range ports.EvaluationSorts {
		known = known || s == sort
	}
	if !known {
		return page, domain.Invalid("sort", "must be one of created_at, -created_at, name, -name, updated_at, -updated_at; got %q", in.Sort)
	}
	limit, err := pageLimit(in.Limit)
	if err != nil {
		return page, err
	}
	c, id, err := decodeCursor(in.Cursor, "evaluations"+string(sort))
	if err != nil {
		return page, err
	}
	q := ports.EvaluationQuery{Sort: sort, Limit: limit + 1}
	if c != nil {
		q.After = &ports.Keyset{Key: c.Key, ID: id}
	}
	items, err := u.d.Stores.Evaluations.ListEvaluations(ctx, q)
	if err != nil {
		return page, err
	}
	if len(items) > limit {
		items = items[:limit]
		last := items[limit-1]
		var key string
		switch sort {
		case ports.SortNameAsc, ports.SortNameDesc:
			key = last.Name
		case ports.SortUpdatedAsc, ports.SortUpdatedDesc:
			key = last.UpdatedAt.Format(time.RFC3339Nano)
		default:
			key = last.CreatedAt.Format(time.RFC3339Nano)
		}
		page.Next = encodeCursor("evaluations"+string(sort), key, last.ID)
	}
	page.Items = items
	return page, nil
}
