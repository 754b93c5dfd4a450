package app

import (
	"bytes"
	"context"
	"fmt"
	"time"

	"github.com/rlhf-eval/rlhf-eval/internal/domain"
	"github.com/rlhf-eval/rlhf-eval/internal/ports"
)

// JobRunner does one kind of job. Run may be called again for the same job after a
// crash or restart; it must skip items already done (as the store records them) and
// never repeat one. It returns the job's report, or an error that fails the job.
// ctx is cancelled when the job is cancelled.
//
// The built-in runners keep that contract the same way: each step of work commits
// in one transaction together with the job's progress and its checkpoint
// (JobStore.AdvanceJobCheckpoint, a compare-and-set), and Run starts from the
// checkpoint it is given. A step is then either wholly done and recorded, or not
// done at all, and an attempt that lost the job to another cannot record a step.
type JobRunner interface {
	Kind() string
	Run(ctx context.Context, job domain.Job) (report map[string]any, err error)
}

// Kinds of the built-in jobs.
const (
	KindPurgeEvaluation = "purge_evaluation"
	KindRescore         = "rescore"
	KindPromptMeans     = "prompt_means"
)

// Jobs is the use case of reading and cancelling background jobs.
type Jobs struct{ d Deps }

// NewJobs returns the jobs use case.
func NewJobs(d Deps) (*Jobs, error) {
	if err := d.check(); err != nil {
		return nil, err
	}
	return &Jobs{d: d}, nil
}

// newJob returns a queued job of kind, created now.
func (d Deps) newJob(kind string, evaluation *domain.ID, params map[string]any) domain.Job {
	if params == nil {
		params = map[string]any{}
	}
	return domain.Job{
		ID: d.IDs.NewID(), Kind: kind, EvaluationID: evaluation, Status: domain.JobQueued,
		Params: params, CreatedAt: d.now(),
	}
}

// Get finds a job by id.
func (u *Jobs) Get(ctx context.Context, ref string) (domain.Job, error) {
	id, err := domain.ParseID(ref)
	if err != nil {
		return domain.Job{}, fmt.Errorf("job %q: %w", ref, domain.ErrNotFound)
	}
	j, err := u.d.Stores.Jobs.GetJob(ctx, id)
	return j, wrapNotFound(err, "job %q", ref)
}

// ListJobsInput selects a page of jobs; empty filters are off. Evaluation is an id
// (which finds the jobs of a deleted evaluation too) or the name of a live one.
type ListJobsInput struct {
	Evaluation string
	Kind       string
	Status     string
	Cursor     string
	Limit      int
}

// List returns a page of jobs, newest first.
func (u *Jobs) List(ctx context.Context, in ListJobsInput) (domain.Page[domain.Job], error) {
	var page domain.Page[domain.Job]
	limit, err := pageLimit(in.Limit)
	if err != nil {
		return page, err
	}
	q := ports.JobQuery{Limit: limit + 1}
	if in.Evaluation != "" {
		id, err := domain.ParseID(in.Evaluation)
		if err != nil {
			e, err := resolveEvaluation(ctx, u.d.Stores.Evaluations, in.Evaluation)
			if err != nil {
				return page, err
			}
			id = e.ID
		}
		q.EvaluationID = &id
	}
	if in.Kind != "" {
		if len(in.Kind) > domain.MaxJobKindLen {
			return page, domain.Invalid("kind", "must be at most %d characters", domain.MaxJobKindLen)
		}
		q.Kind = &in.Kind
	}
	if in.Status != "" {
		st, err := domain.ParseJobStatus(in.Status)
		if err != nil {
			return page, err
		}
		q.Status = &st
	}
	list := "jobs|" + in.Evaluation + "|" + in.Kind + "|" + in.Status
	c, after, err := decodeCursor(in.Cursor, list)
	if err != nil {
		return page, err
	}
	if c != nil {
		q.After = &after
	}
	items, err := u.d.Stores.Jobs.ListJobs(ctx, q)
	if err != nil {
		return page, err
	}
	if len(items) > limit {
		items = items[:limit]
		page.Next = encodeCursor(list, "", items[limit-1].ID)
	}
	page.Items = items
	return page, nil
}

// Cancel asks a job to stop and returns it as it then stands. A finished job is
// returned unchanged. A purge cannot be cancelled: its evaluation is deleted
// already, and only the purge removes its rows.
func (u *Jobs) Cancel(ctx context.Context, ref string) (domain.Job, error) {
	j, err := u.Get(ctx, ref)
	if err != nil {
		return domain.Job{}, err
	}
	if j.Kind == KindPurgeEvaluation && !j.Status.Final() {
		return domain.Job{}, fmt.Errorf("%w: a purge cannot be cancelled; its evaluation is deleted already", domain.ErrConflict)
	}
	return u.d.Stores.Jobs.CancelJob(ctx, j.ID)
}

// pruneBatch is how many finished jobs one statement of Prune deletes: small
// enough that a batch holds its row locks for milliseconds.
const pruneBatch = 1000

// Prune deletes the jobs that finished longer than retention ago, in batches of
// pruneBatch (each its own statement), and returns how many it deleted. Queued
// and running jobs stay, and so does a job that judgments or pending scores still
// name (a judge run's judgments keep their run; the job goes with them when
// their evaluation is purged). A retention of zero or less keeps every job. The
// workers run it periodically; running it twice at once is safe.
func (u *Jobs) Prune(ctx context.Context, retention time.Duration) (int64, error) {
	if retention <= 0 {
		return 0, nil
	}
	before := u.d.now().Add(-retention)
	var after domain.ID
	var deleted int64
	for {
		ids, err := u.d.Stores.Jobs.DeleteFinishedJobs(ctx, before, after, pruneBatch)
		deleted += int64(len(ids))
		if err != nil {
			return deleted, fmt.Errorf("prune jobs finished before %s: %w", before.Format(time.RFC3339), err)
		}
		if len(ids) < pruneBatch {
			return deleted, nil
		}
		for _, id := range ids {
			if bytes.Compare(id[:], after[:]) > 0 {
				after = id
			}
		}
	}
}

// cancelActiveJobs cancels the queued and running jobs of an evaluation, other
// than purges, on the transaction-bound stores s; kind, when not empty, narrows
// them to one kind.
func cancelActiveJobs(ctx context.Context, s ports.Stores, evaluation domain.ID, kind string) error {
	for _, st := range []domain.JobStatus{domain.JobQueued, domain.JobRunning} {
		q := ports.JobQuery{EvaluationID: &evaluation, Status: &st, Limit: domain.MaxPageSize}
		if kind != "" {
			q.Kind = &kind
		}
		for {
			jobs, err := s.Jobs.ListJobs(ctx, q)
			if err != nil {
				return err
			}
			for _, j := range jobs {
				if j.Kind == KindPurgeEvaluation {
					continue
				}
				if _, err := s.Jobs.CancelJob(ctx, j.ID); err != nil {
					return err
				}
			}
			if len(jobs) < q.Limit {
				break
			}
			last := jobs[len(jobs)-1].ID
			q.After = &last
		}
	}
	return nil
}
