package domain

import "time"

// JobStatus is where a background job stands.
type JobStatus string

// Job statuses. A job is queued until a worker takes it, running while a worker
// holds it, and then ends in one of the three final states.
const (
	JobQueued    JobStatus = "queued"
	JobRunning   JobStatus = "running"
	JobSucceeded JobStatus = "succeeded"
	JobFailed    JobStatus = "failed"
	JobCancelled JobStatus = "cancelled"
)

// JobStatuses lists every status, in lifecycle order.
var JobStatuses = []JobStatus{JobQueued, JobRunning, JobSucceeded, JobFailed, JobCancelled}

// Final reports whether s is an end state: succeeded, failed or cancelled.
func (s JobStatus) Final() bool {
	return s == JobSucceeded || s == JobFailed || s == JobCancelled
}

// ParseJobStatus checks that s names a status.
func ParseJobStatus(s string) (JobStatus, error) {
	for _, st := range JobStatuses {
		if string(st) == s {
			return st, nil
		}
	}
	return "", Invalid("status", "%q is not one of queued, running, succeeded, failed, cancelled", s)
}

// Job is one piece of background work (a judge run, a rescore, the purge of a
// deleted evaluation) with the progress and outcome users see. Kind selects the
// runner; Params is its kind-specific input and Report its kind-specific result.
type Job struct {
	ID           ID
	Kind         string
	EvaluationID *ID
	Status       JobStatus
	Params       map[string]any
	// Total is the number of items the job has to do, once the runner knows it;
	// Done, Failed and Cached count items finished so far (Cached: answered from a
	// cache, a subset of Done).
	Total, Done, Failed, Cached int64
	Tokens                      int64
	Cost                        float64
	Error                       string
	Report                      map[string]any
	// Checkpoint is where a restartable runner resumes (its own encoding), written
	// in the same transaction as the work it stands for.
	Checkpoint            string
	CreatedAt             time.Time
	StartedAt, FinishedAt *time.Time
}

// MaxJobKindLen bounds a job kind.
const MaxJobKindLen = 64
