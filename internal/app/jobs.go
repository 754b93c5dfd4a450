package app

import (
	"context"

	"github.com/rlhf-eval/rlhf-eval/internal/domain"
)

// JobRunner does one kind of job. Run may be called again for the same job after a
// crash or restart; it must skip items already done (as the store records them) and
// never repeat one. It returns the job's report, or an error that fails the job.
// ctx is cancelled when the job is cancelled.
type JobRunner interface {
	Kind() string
	Run(ctx context.Context, job domain.Job) (report map[string]any, err error)
}
