package app

import (
	"context"
	"errors"
	"fmt"

	"github.com/rlhf-eval/rlhf-eval/internal/domain"
	"github.com/rlhf-eval/rlhf-eval/internal/ports"
)

// Default batch sizes of the built-in jobs: each batch is one transaction.
const (
	DefaultPurgeBatch   = 5000
	DefaultRescoreBatch = 500
)

// PurgeRunner removes a deleted evaluation in batches: comparisons, then
// responses with their scores, then the evaluation row with its rollups. Each
// batch commits with the job's progress, so a restarted purge goes on from what
// is left and counts every row once.
type PurgeRunner struct {
	d     Deps
	batch int
}

// NewPurgeRunner returns the purge runner; batch <= 0 means DefaultPurgeBatch.
func NewPurgeRunner(d Deps, batch int) (*PurgeRunner, error) {
	if err := d.check(); err != nil {
		return nil, err
	}
	if batch <= 0 {
		batch = DefaultPurgeBatch
	}
	return &PurgeRunner{d: d, batch: batch}, nil
}

// Kind is "purge_evaluation".
func (r *PurgeRunner) Kind() string { return KindPurgeEvaluation }

// Run purges the job's evaluation.
func (r *PurgeRunner) Run(ctx context.Context, job domain.Job) (map[string]any, error) {
	if job.EvaluationID == nil {
		return nil, errors.New("the job names no evaluation")
	}
	id := *job.EvaluationID
	if job.Total == 0 && job.Done == 0 {
		responses, comparisons, err := r.d.Stores.Maintenance.CountEvaluationRows(ctx, id)
		if err != nil {
			return nil, err
		}
		if err := r.d.Stores.Jobs.SetJobTotal(ctx, job.ID, responses+comparisons); err != nil {
			return nil, err
		}
	}
	for {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		var finished bool
		err := r.d.Tx.InTx(ctx, func(ctx context.Context, s ports.Stores) error {
			n, done, err := s.Maintenance.PurgeEvaluation(ctx, id, r.batch)
			if err != nil {
				return err
			}
			finished = done
			return s.Jobs.AddJobProgress(ctx, job.ID, ports.JobProgress{Done: n})
		})
		if errors.Is(err, domain.ErrNotFound) {
			// Gone already: an earlier attempt deleted the evaluation row and died
			// before recording the outcome.
			finished, err = true, nil
		}
		if err != nil {
			return nil, fmt.Errorf("purge evaluation %s: %w", id, err)
		}
		if finished {
			break
		}
	}
	final, err := r.d.Stores.Jobs.GetJob(ctx, job.ID)
	if err != nil {
		return nil, err
	}
	return map[string]any{"deleted_rows": final.Done}, nil
}

// RescoreRunner scores every response of an evaluation again with its current
// scorers, after its scorers changed. The change itself waited for ingests in
// flight (see UpdateAndRescore), so the responses stored with the old scorers are
// all visible to it; responses ingested since are scored with the new ones on
// ingest, and again here if the walk reaches them. (One gap remains: an ingest
// that had read the old scorers but written nothing when the change committed
// stores its responses with them, and the walk misses those it has passed when
// they commit; changing the scorers again rescores them.) It walks the responses
// in id order; each
// batch's new scores, the job's progress and its checkpoint (the last response id
// done) commit in one transaction, so a restarted rescore resumes after the last
// batch committed and rescores each response once. At the end it rebuilds the
// evaluation's summary rollups from the stored scores, exactly.
type RescoreRunner struct {
	d     Deps
	batch int
}

// NewRescoreRunner returns the rescore runner; batch <= 0 means
// DefaultRescoreBatch.
func NewRescoreRunner(d Deps, batch int) (*RescoreRunner, error) {
	if err := d.check(); err != nil {
		return nil, err
	}
	if batch <= 0 {
		batch = DefaultRescoreBatch
	}
	return &RescoreRunner{d: d, batch: batch}, nil
}

// Kind is "rescore".
func (r *RescoreRunner) Kind() string { return KindRescore }

// Run rescores the job's evaluation.
func (r *RescoreRunner) Run(ctx context.Context, job domain.Job) (map[string]any, error) {
	if job.EvaluationID == nil {
		return nil, errors.New("the job names no evaluation")
	}
	e, err := r.d.Stores.Evaluations.GetEvaluation(ctx, *job.EvaluationID)
	if err != nil {
		return nil, wrapNotFound(err, "evaluation %s", *job.EvaluationID)
	}
	set, err := r.d.Registry.Build(e.Scorers)
	if err != nil {
		return nil, fmt.Errorf("build the scorers of evaluation %q: %w", e.Name, err)
	}
	// Scorers that run later are not run by a rescore; their scores stay.
	var keep []string
	for _, b := range set.Later() {
		keep = append(keep, b.Config.Name)
	}
	total, done := job.Total, job.Done
	if total == 0 && job.Checkpoint == "" {
		responses, _, err := r.d.Stores.Maintenance.CountEvaluationRows(ctx, e.ID)
		if err != nil {
			return nil, err
		}
		if err := r.d.Stores.Jobs.SetJobTotal(ctx, job.ID, responses); err != nil {
			return nil, err
		}
		total = responses
	}
	checkpoint := job.Checkpoint
	for {
		q := ports.ResponseQuery{EvaluationID: e.ID, Limit: r.batch}
		if checkpoint != "" {
			after, err := domain.ParseID(checkpoint)
			if err != nil {
				return nil, fmt.Errorf("bad checkpoint %q: %w", checkpoint, err)
			}
			q.After = &after
		}
		rs, err := r.d.Stores.Responses.ListResponses(ctx, q)
		if err != nil {
			return nil, err
		}
		if len(rs) == 0 {
			break
		}
		items := rs
		for i := range items {
			items[i].Scores = nil // the stored ones; an empty scorer set leaves none
		}
		if err := (&Responses{d: r.d}).score(ctx, set, items, r.d.now()); err != nil {
			return nil, err
		}
		next := items[len(items)-1].ID.String()
		err = r.d.Tx.InTx(ctx, func(ctx context.Context, s ports.Stores) error {
			if err := s.Jobs.AdvanceJobCheckpoint(ctx, job.ID, checkpoint, next); err != nil {
				return err
			}
			if err := s.Maintenance.ReplaceScores(ctx, e.ID, items, keep); err != nil {
				return err
			}
			if err := s.Jobs.AddJobProgress(ctx, job.ID, ports.JobProgress{Done: int64(len(items))}); err != nil {
				return err
			}
			if n := done + int64(len(items)); n > total {
				// Responses ingested since the count are rescored too.
				return s.Jobs.SetJobTotal(ctx, job.ID, n)
			}
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("rescore evaluation %q: %w", e.Name, err)
		}
		checkpoint = next
		done += int64(len(items))
		total = max(total, done)
	}
	if err := r.d.Stores.Maintenance.RebuildRollups(ctx, e.ID); err != nil {
		return nil, fmt.Errorf("rebuild the rollups of evaluation %q: %w", e.Name, err)
	}
	names := make([]string, 0, len(e.Scorers))
	for _, sc := range e.Scorers {
		names = append(names, sc.Name)
	}
	final, err := r.d.Stores.Jobs.GetJob(ctx, job.ID)
	if err != nil {
		return nil, err
	}
	return map[string]any{"rescored_responses": final.Done, "scorers": names}, nil
}
