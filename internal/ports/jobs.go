package ports

import (
	"context"

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
	GetJob(ctx context.Context, id domain.ID) (domain.Job, error)
	ListJobs(ctx context.Context, q JobQuery) ([]domain.Job, error)
	// SetJobTotal records how many items the job has to do.
	SetJobTotal(ctx context.Context, id domain.ID, total int64) error
	// AddJobProgress adds p to the job's counters.
	AddJobProgress(ctx context.Context, id domain.ID, p JobProgress) error
	// SetJobCheckpoint records where the job's runner resumes after a restart. A
	// runner writes it in the transaction of the work it stands for.
	SetJobCheckpoint(ctx context.Context, id domain.ID, checkpoint string) error
	// CancelJob asks for the job to stop: a queued job is cancelled at once, a
	// running one when its runner sees its context cancelled. Cancelling a finished
	// job changes nothing. It returns the job as it stands after the request.
	CancelJob(ctx context.Context, id domain.ID) (domain.Job, error)
}
