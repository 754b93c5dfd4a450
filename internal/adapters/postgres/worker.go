package postgres

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"

	"github.com/rlhf-eval/rlhf-eval/internal/adapters/postgres/internal/dbsqlc"
	"github.com/rlhf-eval/rlhf-eval/internal/app"
	"github.com/rlhf-eval/rlhf-eval/internal/domain"
)

// WorkerConfig configures the job workers of one process.
type WorkerConfig struct {
	// Concurrency is how many jobs this process runs at once.
	Concurrency int
	// JobTimeout cancels a job's context after this long (River's job timeout); the
	// job then fails. Zero or less: no timeout.
	JobTimeout time.Duration
	// RescueAfter is when River gives up on a queue entry still marked running
	// (its worker died) and retries it; at least JobTimeout. The lease below
	// recovers a dead worker's job much sooner; this is River's own backstop.
	RescueAfter time.Duration
	// Lease is how long a worker holds a running job without renewing it; a
	// worker renews it every Lease/4, so a job whose worker died is taken over
	// within about one Lease. It also bounds how soon a cancel takes effect.
	Lease time.Duration
	// Periodic tasks run once per interval across all processes (River's leader
	// schedules them).
	Periodic []PeriodicTask
	Logger   *slog.Logger
}

// PeriodicTask is housekeeping run on an interval, such as sweeping expired
// Idempotency-Key records. Run must be safe to run twice.
type PeriodicTask struct {
	Name     string
	Interval time.Duration
	Run      func(ctx context.Context) error
}

// Default worker timings.
const (
	DefaultJobTimeout = 24 * time.Hour
	DefaultLease      = 30 * time.Second
)

// Worker runs jobs from the queue: River fetches the entries (several processes
// share them through River's row locking), and for each the worker claims the
// job's row, runs the runner of its kind and records the outcome.
type Worker struct {
	pool    *pgxpool.Pool
	client  *river.Client[pgx.Tx]
	runners map[string]app.JobRunner
	cfg     WorkerConfig
	log     *slog.Logger

	stop chan struct{}
	done sync.WaitGroup
}

// NewWorker builds a worker for runners on pool. Two runners of one kind are an
// error.
func NewWorker(pool *pgxpool.Pool, runners []app.JobRunner, cfg WorkerConfig) (*Worker, error) {
	if cfg.Concurrency < 1 {
		return nil, errors.New("worker: concurrency must be at least 1")
	}
	if cfg.Lease <= 0 {
		cfg.Lease = DefaultLease
	}
	if cfg.JobTimeout <= 0 {
		cfg.JobTimeout = -1 // River: no timeout
	}
	if cfg.RescueAfter <= 0 {
		cfg.RescueAfter = max(cfg.JobTimeout, 0) + time.Hour
	}
	if cfg.JobTimeout > 0 && cfg.RescueAfter < cfg.JobTimeout {
		return nil, fmt.Errorf("worker: the rescue time (%s) must be at least the job timeout (%s)", cfg.RescueAfter, cfg.JobTimeout)
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	w := &Worker{pool: pool, runners: map[string]app.JobRunner{}, cfg: cfg, log: cfg.Logger, stop: make(chan struct{})}
	for _, r := range runners {
		if _, dup := w.runners[r.Kind()]; dup {
			return nil, fmt.Errorf("worker: two runners of kind %q", r.Kind())
		}
		w.runners[r.Kind()] = r
	}
	workers := river.NewWorkers()
	if err := river.AddWorkerSafely(workers, &jobWorker{w: w}); err != nil {
		return nil, err
	}
	tasks := map[string]PeriodicTask{}
	var periodic []*river.PeriodicJob
	for _, t := range cfg.Periodic {
		if _, dup := tasks[t.Name]; dup || t.Interval <= 0 {
			return nil, fmt.Errorf("worker: periodic task %q: duplicate name or no interval", t.Name)
		}
		tasks[t.Name] = t
		periodic = append(periodic, river.NewPeriodicJob(river.PeriodicInterval(t.Interval),
			func() (river.JobArgs, *river.InsertOpts) {
				return periodicArgs{Task: t.Name}, &river.InsertOpts{MaxAttempts: 3}
			},
			&river.PeriodicJobOpts{RunOnStart: true, ID: t.Name}))
	}
	if err := river.AddWorkerSafely(workers, &periodicWorker{tasks: tasks}); err != nil {
		return nil, err
	}
	client, err := river.NewClient(riverpgxv5.New(pool), &river.Config{
		Queues:               map[string]river.QueueConfig{river.QueueDefault: {MaxWorkers: cfg.Concurrency}},
		Workers:              workers,
		PeriodicJobs:         periodic,
		JobTimeout:           cfg.JobTimeout,
		RescueStuckJobsAfter: cfg.RescueAfter,
		// River reports its routine (fetches, leadership, counts) at info; keep
		// the service's log to what needs a look.
		Logger: slog.New(warnAndAbove{cfg.Logger.Handler()}),
	})
	if err != nil {
		return nil, fmt.Errorf("worker: %w", err)
	}
	w.client = client
	return w, nil
}

// Start starts fetching and running jobs, and the recovery of jobs whose worker
// died. It returns at once; Stop ends it.
func (w *Worker) Start(ctx context.Context) error {
	if err := w.client.Start(context.WithoutCancel(ctx)); err != nil {
		return fmt.Errorf("start worker: %w", err)
	}
	w.done.Add(1)
	go w.recoverLoop(context.WithoutCancel(ctx))
	return nil
}

// Stop lets running jobs finish until ctx ends, then cancels them: a cancelled
// job's lease is released, so another worker resumes it at once.
func (w *Worker) Stop(ctx context.Context) error {
	close(w.stop)
	w.done.Wait()
	err := w.client.Stop(ctx)
	if err == nil {
		return nil
	}
	hard, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	if err := w.client.StopAndCancel(hard); err != nil {
		return fmt.Errorf("stop worker: %w", err)
	}
	return fmt.Errorf("stop worker: running jobs did not finish in time and were cancelled to be resumed elsewhere: %w", err)
}

// recoverLoop re-queues, every Lease, jobs whose lease lapsed. River's rescuer
// would retry their queue entries too, but only after RescueAfter, which must
// exceed the longest job; the lease is what lets a crash be recovered in seconds.
func (w *Worker) recoverLoop(ctx context.Context) {
	defer w.done.Done()
	t := time.NewTicker(w.cfg.Lease)
	defer t.Stop()
	for {
		if n, err := w.requeueLapsed(ctx); err != nil {
			w.log.Warn("requeue lapsed jobs", "error", err)
		} else if n > 0 {
			w.log.Info("requeued jobs whose worker stopped", "jobs", n)
		}
		select {
		case <-w.stop:
			return
		case <-t.C:
		}
	}
}

// requeueLapsed gives each running job whose lease lapsed a new queue entry. The
// rows are locked (SKIP LOCKED), so processes doing this at once split them.
func (w *Worker) requeueLapsed(ctx context.Context) (int, error) {
	n := 0
	err := inTx(ctx, w.pool, func(tx pgx.Tx) error {
		q := dbsqlc.New(tx)
		rows, err := q.LapsedJobs(ctx, 100)
		if err != nil {
			return translate(err)
		}
		for _, r := range rows {
			res, err := w.client.InsertTx(ctx, tx, jobArgs{JobID: domain.ID(r.ID.Bytes).String(), JobKind: r.Kind}, &river.InsertOpts{MaxAttempts: queueMaxAttempts})
			if err != nil {
				return fmt.Errorf("requeue job: %w", translate(err))
			}
			if err := q.RequeueJob(ctx, dbsqlc.RequeueJobParams{ID: r.ID, RiverJobID: &res.Job.ID}); err != nil {
				return translate(err)
			}
		}
		n = len(rows)
		return nil
	})
	return n, err
}

// errJobCancelled and errJobLost are the causes a running job's context is
// cancelled with: asked to stop, or taken over by another worker.
var (
	errJobCancelled = errors.New("job cancelled")
	errJobLost      = errors.New("job taken over by another worker")
)

// work runs one queue entry. It returns nil whenever the job's outcome is
// recorded (the job row, not River, says how it went), River's snooze when
// another worker holds the job, and an error only when the outcome could not be
// recorded or the worker is stopping, so that River tries again.
func (w *Worker) work(ctx context.Context, args jobArgs) error {
	id, err := domain.ParseID(args.JobID)
	if err != nil {
		w.log.Error("queue entry names no job", "job_id", args.JobID)
		return nil
	}
	q := dbsqlc.New(w.pool)
	row, err := q.ClaimJob(ctx, dbsqlc.ClaimJobParams{ID: pgID(id), LeaseSeconds: w.cfg.Lease.Seconds()})
	if errors.Is(err, pgx.ErrNoRows) {
		return w.notClaimed(ctx, q, id)
	}
	if err != nil {
		return fmt.Errorf("claim job %s: %w", id, translate(err))
	}
	job, err := toJob(row)
	if err != nil {
		return w.finish(ctx, q, row, domain.JobFailed, err.Error(), nil)
	}
	runner, ok := w.runners[job.Kind]
	if !ok {
		return w.finish(ctx, q, row, domain.JobFailed, fmt.Sprintf("no runner for job kind %q in this process", job.Kind), nil)
	}
	log := w.log.With("job", id.String(), "kind", job.Kind, "attempt", row.Attempts)
	log.Info("job started")

	runCtx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	beat := make(chan struct{})
	go func() {
		defer close(beat)
		w.heartbeat(runCtx, q, row, cancel)
	}()
	report, runErr := w.run(runCtx, runner, job)
	cancel(nil)
	<-beat

	cause := context.Cause(runCtx)
	switch {
	case errors.Is(cause, errJobLost):
		log.Warn("job taken over by another worker; its outcome is theirs to record")
		return nil
	case runErr == nil:
	case errors.Is(cause, errJobCancelled) || w.cancelRequested(ctx, id):
		log.Info("job cancelled")
		return w.finish(ctx, q, row, domain.JobCancelled, "cancelled", nil)
	case errors.Is(ctx.Err(), context.DeadlineExceeded):
		log.Warn("job timed out", "timeout", w.cfg.JobTimeout.String())
		return w.finish(ctx, q, row, domain.JobFailed, fmt.Sprintf("timed out after %s: %v", w.cfg.JobTimeout, runErr), nil)
	case ctx.Err() != nil:
		// The worker is stopping: let go, so another worker resumes the job.
		log.Info("job interrupted by shutdown; it resumes on the next attempt")
		return w.release(ctx, q, row, fmt.Errorf("job %s interrupted: %w", id, ctx.Err()))
	case errors.Is(runErr, domain.ErrUnavailable):
		// The database went away under the runner: not the job's fault. River
		// tries the entry again with backoff, and the job resumes from its
		// checkpoint.
		log.Warn("job interrupted by an unavailable database; it resumes on the next attempt", "error", runErr)
		return w.release(ctx, q, row, fmt.Errorf("job %s interrupted: %w", id, runErr))
	default:
		log.Info("job failed", "error", runErr)
		return w.finish(ctx, q, row, domain.JobFailed, runErr.Error(), nil)
	}
	log.Info("job succeeded")
	return w.finish(ctx, q, row, domain.JobSucceeded, "", report)
}

// release lets go of the job so that the next attempt takes it at once, and
// returns err for River to retry the entry.
func (w *Worker) release(ctx context.Context, q *dbsqlc.Queries, row dbsqlc.Job, err error) error {
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	if _, rerr := q.ReleaseJob(rctx, dbsqlc.ReleaseJobParams{ID: row.ID, Attempts: row.Attempts}); rerr != nil {
		w.log.Warn("release job", "job", domain.ID(row.ID.Bytes).String(), "error", rerr)
	}
	return err
}

// run calls the runner, turning a panic into the job's error.
func (w *Worker) run(ctx context.Context, r app.JobRunner, job domain.Job) (report map[string]any, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("runner panicked: %v", p)
		}
	}()
	return r.Run(ctx, job)
}

// heartbeat renews the lease every Lease/4 until ctx ends, and cancels the run
// when the job is cancelled or another worker took it over.
func (w *Worker) heartbeat(ctx context.Context, q *dbsqlc.Queries, row dbsqlc.Job, cancel context.CancelCauseFunc) {
	t := time.NewTicker(w.cfg.Lease / 4)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		stop, err := q.ExtendJobLease(ctx, dbsqlc.ExtendJobLeaseParams{ID: row.ID, Attempts: row.Attempts, LeaseSeconds: w.cfg.Lease.Seconds()})
		switch {
		case errors.Is(err, pgx.ErrNoRows):
			cancel(errJobLost)
			return
		case err != nil:
			// The lease outlasts a few missed renewals; keep trying.
			if ctx.Err() == nil {
				w.log.Warn("renew job lease", "job", domain.ID(row.ID.Bytes).String(), "error", err)
			}
		case stop:
			cancel(errJobCancelled)
			return
		}
	}
}

func (w *Worker) cancelRequested(ctx context.Context, id domain.ID) bool {
	row, err := dbsqlc.New(w.pool).GetJob(context.WithoutCancel(ctx), pgID(id))
	return err == nil && row.CancelRequestedAt != nil
}

// finish records the outcome of this attempt; a job another worker took over
// meanwhile is theirs, and nothing is written.
func (w *Worker) finish(ctx context.Context, q *dbsqlc.Queries, row dbsqlc.Job, st domain.JobStatus, msg string, report map[string]any) error {
	var rep []byte
	if report != nil {
		b, err := marshalObject(report)
		if err != nil {
			st, msg = domain.JobFailed, fmt.Sprintf("encode the job's report: %v", err)
		} else {
			rep = b
		}
	}
	fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	if _, err := q.FinishJob(fctx, dbsqlc.FinishJobParams{ID: row.ID, Attempts: row.Attempts, Status: string(st), Error: msg, Report: rep}); err != nil {
		return fmt.Errorf("record outcome of job %s: %w", domain.ID(row.ID.Bytes), translate(err))
	}
	return nil
}

// notClaimed handles an entry whose job could not be claimed: finished (nothing
// to do), cancelled while its worker was dead (record it), or held by a live
// worker (come back when its lease would have lapsed).
func (w *Worker) notClaimed(ctx context.Context, q *dbsqlc.Queries, id domain.ID) error {
	row, err := q.GetJob(ctx, pgID(id))
	if errors.Is(err, pgx.ErrNoRows) {
		w.log.Warn("queue entry of a job that does not exist", "job", id.String())
		return nil
	}
	if err != nil {
		return fmt.Errorf("read job %s: %w", id, translate(err))
	}
	if domain.JobStatus(row.Status).Final() {
		return nil
	}
	if row.CancelRequestedAt != nil {
		n, err := q.CancelLapsedJob(ctx, pgID(id))
		if err != nil {
			return fmt.Errorf("cancel job %s: %w", id, translate(err))
		}
		if n == 1 {
			return nil
		}
	}
	return river.JobSnooze(w.cfg.Lease)
}

// jobWorker is River's worker for every job of ours.
type jobWorker struct {
	river.WorkerDefaults[jobArgs]
	w *Worker
}

func (jw *jobWorker) Work(ctx context.Context, j *river.Job[jobArgs]) error {
	return jw.w.work(ctx, j.Args)
}

// periodicArgs names a periodic task.
type periodicArgs struct {
	Task string `json:"task"`
}

func (periodicArgs) Kind() string { return "rlhf_eval_periodic" }

type periodicWorker struct {
	river.WorkerDefaults[periodicArgs]
	tasks map[string]PeriodicTask
}

func (pw *periodicWorker) Work(ctx context.Context, j *river.Job[periodicArgs]) error {
	t, ok := pw.tasks[j.Args.Task]
	if !ok {
		return river.JobCancel(fmt.Errorf("no periodic task %q in this process", j.Args.Task))
	}
	return t.Run(ctx)
}

// warnAndAbove passes on records at warning level and above.
type warnAndAbove struct{ slog.Handler }

func (h warnAndAbove) Enabled(ctx context.Context, l slog.Level) bool {
	return l >= slog.LevelWarn && h.Handler.Enabled(ctx, l)
}

func (h warnAndAbove) WithAttrs(as []slog.Attr) slog.Handler {
	return warnAndAbove{h.Handler.WithAttrs(as)}
}

func (h warnAndAbove) WithGroup(name string) slog.Handler {
	return warnAndAbove{h.Handler.WithGroup(name)}
}
