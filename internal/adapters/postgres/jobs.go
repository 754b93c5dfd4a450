package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"

	"github.com/rlhf-eval/rlhf-eval/internal/adapters/postgres/internal/dbsqlc"
	"github.com/rlhf-eval/rlhf-eval/internal/domain"
	"github.com/rlhf-eval/rlhf-eval/internal/ports"
)

// riverKind is the one River job kind for every job of ours: the queue entry only
// names the row in the jobs table, whose kind selects the runner. Runners are
// registered with the worker, not with River, so a process that only enqueues
// (an API process with no workers) needs to know nothing about them.
const riverKind = "rlhf_eval_job"

// jobArgs is the payload of a queue entry.
type jobArgs struct {
	JobID string `json:"job_id"`
	// JobKind is informational (River's UI and logs); the row decides.
	JobKind string `json:"job_kind"`
}

func (jobArgs) Kind() string { return riverKind }

// queueMaxAttempts bounds how often River retries a queue entry whose worker
// returned an error without recording an outcome (the database was unreachable),
// or was rescued after its worker died. A runner's own failure ends the job at once.
const queueMaxAttempts = 25

// inserter is a River client for transactional inserts and cancels only: it has no
// pool (riverpgxv5 allows that), so it never starts, and costs a few microseconds
// to build. It is built per call so that stores stay plain values.
func inserter() (*river.Client[pgx.Tx], error) {
	c, err := river.NewClient(riverpgxv5.New(nil), &river.Config{})
	if err != nil {
		return nil, fmt.Errorf("river client: %w", err)
	}
	return c, nil
}

// JobStore stores background jobs and their queue entries.
type JobStore struct {
	db dbtx
	q  *dbsqlc.Queries
}

var _ ports.JobStore = (*JobStore)(nil)

// EnqueueJob inserts the River queue entry and the jobs row in one transaction (a
// savepoint when the store is bound to a transaction already), so a worker never
// sees an entry without its row, and a rolled-back caller leaves neither.
func (s *JobStore) EnqueueJob(ctx context.Context, j domain.Job) error {
	if j.Kind == "" || len(j.Kind) > domain.MaxJobKindLen {
		return domain.Invalid("kind", "must be 1 to %d characters", domain.MaxJobKindLen)
	}
	params, err := marshalObject(j.Params)
	if err != nil {
		return fmt.Errorf("encode job params: %w", err)
	}
	client, err := inserter()
	if err != nil {
		return err
	}
	return inTx(ctx, s.db, func(tx pgx.Tx) error {
		res, err := client.InsertTx(ctx, tx, jobArgs{JobID: j.ID.String(), JobKind: j.Kind}, &river.InsertOpts{MaxAttempts: queueMaxAttempts})
		if err != nil {
			return fmt.Errorf("enqueue job %s: %w", j.ID, translate(err))
		}
		riverID := res.Job.ID
		err = dbsqlc.New(tx).InsertJob(ctx, dbsqlc.InsertJobParams{
			ID: pgID(j.ID), Kind: j.Kind, EvaluationID: optID(j.EvaluationID), Params: params,
			RiverJobID: &riverID, CreatedAt: j.CreatedAt,
		})
		return translate(err)
	})
}

// EnqueueJobOnce enqueues j unless a job of its kind for its evaluation is active,
// under a lock per kind and evaluation so that concurrent calls enqueue one.
func (s *JobStore) EnqueueJobOnce(ctx context.Context, j domain.Job) (domain.Job, bool, error) {
	if j.EvaluationID == nil {
		return domain.Job{}, false, domain.Invalid("evaluation_id", "a job enqueued once per evaluation needs one")
	}
	out, added := j, false
	err := inTx(ctx, s.db, func(tx pgx.Tx) error {
		q := dbsqlc.New(tx)
		ev := pgID(*j.EvaluationID)
		if err := q.LockJobKindOfEvaluation(ctx, dbsqlc.LockJobKindOfEvaluationParams{EvaluationID: ev, Kind: j.Kind}); err != nil {
			return translate(err)
		}
		rows, err := q.ActiveJobOfKind(ctx, dbsqlc.ActiveJobOfKindParams{EvaluationID: ev, Kind: j.Kind})
		if err != nil {
			return translate(err)
		}
		if len(rows) > 0 {
			out, err = toJob(rows[0])
			return err
		}
		added = true
		return (&JobStore{db: tx, q: q}).EnqueueJob(ctx, j)
	})
	if err != nil {
		return domain.Job{}, false, err
	}
	return out, added, nil
}

// GetJob finds a job by id.
func (s *JobStore) GetJob(ctx context.Context, id domain.ID) (domain.Job, error) {
	row, err := s.q.GetJob(ctx, pgID(id))
	if err != nil {
		return domain.Job{}, translate(err)
	}
	return toJob(row)
}

// ListJobs returns a page of jobs, newest first.
func (s *JobStore) ListJobs(ctx context.Context, q ports.JobQuery) ([]domain.Job, error) {
	p := dbsqlc.ListJobsParams{EvaluationID: optID(q.EvaluationID), Kind: q.Kind, AfterID: optID(q.After), Lim: int32(q.Limit)}
	if q.Status != nil {
		st := string(*q.Status)
		p.Status = &st
	}
	rows, err := s.q.ListJobs(ctx, p)
	if err != nil {
		return nil, translate(err)
	}
	return mapRows(rows, toJob)
}

// SetJobTotal records how many items the job has to do.
func (s *JobStore) SetJobTotal(ctx context.Context, id domain.ID, total int64) error {
	return oneRow(s.q.SetJobTotal(ctx, dbsqlc.SetJobTotalParams{ID: pgID(id), Total: total}))
}

// AddJobProgress adds p to the job's counters.
func (s *JobStore) AddJobProgress(ctx context.Context, id domain.ID, p ports.JobProgress) error {
	return oneRow(s.q.AddJobProgress(ctx, dbsqlc.AddJobProgressParams{
		ID: pgID(id), Done: p.Done, Failed: p.Failed, Cached: p.Cached, Tokens: p.Tokens, Cost: p.Cost,
	}))
}

// AdvanceJobCheckpoint moves the checkpoint from one value to the next.
func (s *JobStore) AdvanceJobCheckpoint(ctx context.Context, id domain.ID, from, to string) error {
	n, err := s.q.AdvanceJobCheckpoint(ctx, dbsqlc.AdvanceJobCheckpointParams{ID: pgID(id), FromCheckpoint: from, Checkpoint: to})
	if err != nil {
		return translate(err)
	}
	if n == 0 {
		if _, err := s.GetJob(ctx, id); err != nil {
			return err
		}
		return fmt.Errorf("%w: job %s moved past checkpoint %q", domain.ErrConflict, id, from)
	}
	return nil
}

// CancelJob flags the job cancelled (a queued one ends at once) and cancels its
// River entry: River removes a queued entry and tells the worker running one,
// in whatever process, to cancel its context.
func (s *JobStore) CancelJob(ctx context.Context, id domain.ID) (domain.Job, error) {
	client, err := inserter()
	if err != nil {
		return domain.Job{}, err
	}
	var row dbsqlc.Job
	err = inTx(ctx, s.db, func(tx pgx.Tx) error {
		q := dbsqlc.New(tx)
		var qerr error
		row, qerr = q.CancelJob(ctx, pgID(id))
		if errors.Is(qerr, pgx.ErrNoRows) {
			// Missing, or finished already: report it as it stands.
			row, qerr = q.GetJob(ctx, pgID(id))
			return translate(qerr)
		}
		if qerr != nil {
			return translate(qerr)
		}
		if row.RiverJobID != nil {
			if _, err := client.JobCancelTx(ctx, tx, *row.RiverJobID); err != nil && !isRiverNotFound(err) {
				return fmt.Errorf("cancel queue entry of job %s: %w", id, translate(err))
			}
		}
		return nil
	})
	if err != nil {
		return domain.Job{}, err
	}
	return toJob(row)
}

// DeleteFinishedJobs deletes one batch of finished jobs for retention.
func (s *JobStore) DeleteFinishedJobs(ctx context.Context, before time.Time, after domain.ID, limit int) ([]domain.ID, error) {
	rows, err := s.q.DeleteFinishedJobs(ctx, dbsqlc.DeleteFinishedJobsParams{Before: before, AfterID: pgID(after), Lim: int32(limit)})
	if err != nil {
		return nil, translate(err)
	}
	ids := make([]domain.ID, len(rows))
	for i, r := range rows {
		ids[i] = domain.ID(r.Bytes)
	}
	return ids, nil
}

func isRiverNotFound(err error) bool {
	return errors.Is(err, river.ErrNotFound)
}

// oneRow turns an update's row count into domain.ErrNotFound when it hit nothing.
func oneRow(n int64, err error) error {
	if err != nil {
		return translate(err)
	}
	if n == 0 {
		return domain.ErrNotFound
	}
	return nil
}

func toJob(r dbsqlc.Job) (domain.Job, error) {
	params, err := unmarshalObject(r.Params)
	if err != nil {
		return domain.Job{}, err
	}
	j := domain.Job{
		ID: domain.ID(r.ID.Bytes), Kind: r.Kind, Status: domain.JobStatus(r.Status), Params: params,
		Total: r.Total, Done: r.Done, Failed: r.Failed, Cached: r.Cached, Tokens: r.Tokens, Cost: r.Cost,
		Error: r.Error, Checkpoint: r.Checkpoint, CreatedAt: r.CreatedAt, StartedAt: r.StartedAt, FinishedAt: r.FinishedAt,
	}
	if r.EvaluationID.Valid {
		id := domain.ID(r.EvaluationID.Bytes)
		j.EvaluationID = &id
	}
	if r.Report != nil {
		if err := json.Unmarshal(r.Report, &j.Report); err != nil {
			return domain.Job{}, fmt.Errorf("decode stored job report: %w", err)
		}
	}
	return j, nil
}
