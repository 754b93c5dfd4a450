package ports

import (
	"context"
	"time"

	"github.com/rlhf-eval/rlhf-eval/internal/domain"
)

// JobProgress is an increment of a job's counters.
type JobProgress struct {
	Done, Failed, Cached, Tokens int64
	Cost                         float64
}

// JobQuery selects a page of jobs, newest first. Nil filters are off.
type JobQuery struct {
	EvaluationID *domain.ID
	Kind         *string
	Status       *domain.JobStatus
	After        *domain.ID
	Limit        int
}

// JobStore keeps background jobs: the row users see (status, counters, outcome)
// and, in the same write, the queue entry a worker picks up.
type JobStore interface {
	// EnqueueJob inserts the job row and its queue entry; on transaction-bound stores
	// both commit or roll back with the transaction.
	EnqueueJob(ctx context.Context, j domain.Job) error
	// EnqueueJobOnce enqueues j unless a job of its kind for its evaluation is
	// queued or running already; then it enqueues nothing and returns that job
	// and false. Concurrent calls for the same kind and evaluation enqueue one.
	EnqueueJobOnce(ctx context.Context, j domain.Job) (domain.Job, bool, error)
	GetJob(ctx context.Context, id domain.ID) (domain.Job, error)
	ListJobs(ctx context.Context, q JobQuery) ([]domain.Job, error)
	// SetJobTotal records how many items the job has to do.
	SetJobTotal(ctx context.Context, id domain.ID, total int64) error
	// AddJobProgress adds p to the job's counters.
	AddJobProgress(ctx context.Context, id domain.ID, p JobProgress) error
	// AdvanceJobCheckpoint moves the job's checkpoint (where its runner resumes
	// after a restart) from one value to the next, or fails with domain.ErrConflict
	// when it no longer is from: another attempt got there first. A runner calls it
	// in the transaction of the work the step stands for, so the work and the step
	// commit together, once.
	AdvanceJobCheckpoint(ctx context.Context, id domain.ID, from, to string) error
	// CancelJob asks for the job to stop: a queued job is cancelled at once, a
	// running one when its runner sees its context cancelled. Cancelling a finished
	// job changes nothing. It returns the job as it stands after the request.
	CancelJob(ctx context.Context, id domain.ID) (domain.Job, error)
	// DeleteFinishedJobs deletes up to limit finished jobs (succeeded, failed or
	// cancelled) that finished before before, in id order from after on (the zero
	// ID: from the first), and returns the ids it deleted. A queued or running job
	// is never deleted, nor a job that judgments or pending scores still name.
	DeleteFinishedJobs(ctx context.Context, before time.Time, after domain.ID, limit int) ([]domain.ID, error)
}

// MaintenanceStore does the bulk writes of the built-in jobs: purging a deleted
// evaluation and rescoring one.
type MaintenanceStore interface {
	// MarkEvaluationDeleted hides the evaluation from every lookup at once and frees
	// its name; its rows stay until PurgeEvaluation removes them.
	MarkEvaluationDeleted(ctx context.Context, id domain.ID, at time.Time) error
	// CountEvaluationRows counts the responses and the comparisons of an evaluation.
	CountEvaluationRows(ctx context.Context, id domain.ID) (responses, comparisons int64, err error)
	// PurgeEvaluation deletes up to limit rows of a deleted evaluation (comparisons
	// first, then responses with their scores) and reports how many. When none
	// remain it deletes the evaluation itself, with its rollups, and reports done.
	// An evaluation not marked deleted is domain.ErrNotFound.
	PurgeEvaluation(ctx context.Context, id domain.ID, limit int) (deleted int64, done bool, err error)
	// ReplaceScores deletes the stored scores of the given responses, but those of
	// judges and of the scorers named in keep, and stores the responses' Scores
	// instead. Rollups are not touched: RebuildRollups follows.
	ReplaceScores(ctx context.Context, evaluationID domain.ID, rs []domain.Response, keep []string) error
	// LockEvaluation waits for the ingests in flight into the evaluation and holds
	// new ones off until the transaction of a transaction-bound store ends.
	LockEvaluation(ctx context.Context, id domain.ID) error
	// RebuildRollups recomputes the evaluation's rollups from its stored scores. It
	// waits for ingests in flight and holds new ones off until it commits, so the
	// rollups are exact.
	RebuildRollups(ctx context.Context, evaluationID domain.ID) error
}
