package postgres_test

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/rlhf-eval/rlhf-eval/internal/adapters/postgres"
	"github.com/rlhf-eval/rlhf-eval/internal/adapters/system"
	"github.com/rlhf-eval/rlhf-eval/internal/app"
	"github.com/rlhf-eval/rlhf-eval/internal/domain"
	"github.com/rlhf-eval/rlhf-eval/internal/ports"
	"github.com/rlhf-eval/rlhf-eval/internal/testdb"
)

// runnerFunc is a JobRunner made of a function.
type runnerFunc struct {
	kind string
	run  func(ctx context.Context, j domain.Job) (map[string]any, error)
}

func (r runnerFunc) Kind() string { return r.kind }
func (r runnerFunc) Run(ctx context.Context, j domain.Job) (map[string]any, error) {
	return r.run(ctx, j)
}

const testLease = 2 * time.Second

func startWorker(t *testing.T, pool *pgxpool.Pool, runners ...app.JobRunner) *postgres.Worker {
	t.Helper()
	w, err := postgres.NewWorker(pool, runners, postgres.WorkerConfig{Concurrency: 4, Lease: testLease, JobTimeout: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = w.Stop(ctx)
	})
	return w
}

func enqueue(t *testing.T, s ports.Stores, kind string) domain.Job {
	t.Helper()
	j := domain.Job{ID: system.IDs{}.NewID(), Kind: kind, Status: domain.JobQueued, CreatedAt: time.Now().UTC()}
	if err := s.Jobs.EnqueueJob(context.Background(), j); err != nil {
		t.Fatal(err)
	}
	return j
}

// waitJob polls the job until ok accepts it, failing after 20 seconds.
func waitJob(t *testing.T, s ports.Stores, id domain.ID, ok func(domain.Job) bool) domain.Job {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		j, err := s.Jobs.GetJob(context.Background(), id)
		if err != nil {
			t.Fatal(err)
		}
		if ok(j) {
			return j
		}
		if time.Now().After(deadline) {
			t.Fatalf("job %s stuck: %+v", id, j)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func final(j domain.Job) bool { return j.Status.Final() }

func TestWorkerRecordsOutcomes(t *testing.T) {
	pool := testdb.Pool(t)
	s := postgres.NewStores(pool)
	startWorker(t, pool,
		runnerFunc{"test_ok", func(ctx context.Context, j domain.Job) (map[string]any, error) {
			if err := s.Jobs.AddJobProgress(ctx, j.ID, ports.JobProgress{Done: 3}); err != nil {
				return nil, err
			}
			return map[string]any{"answer": 42.0}, nil
		}},
		runnerFunc{"test_fail", func(context.Context, domain.Job) (map[string]any, error) {
			return nil, errors.New("the endpoint said 401: bad key")
		}},
		runnerFunc{"test_panic", func(context.Context, domain.Job) (map[string]any, error) { panic("boom") }},
	)
	cases := []struct {
		kind   string
		status domain.JobStatus
		err    string
	}{
		{"test_ok", domain.JobSucceeded, ""},
		{"test_fail", domain.JobFailed, "the endpoint said 401: bad key"},
		{"test_panic", domain.JobFailed, "runner panicked: boom"},
		{"test_nobody", domain.JobFailed, `no runner for job kind "test_nobody" in this process`},
	}
	for _, tc := range cases {
		t.Run(tc.kind, func(t *testing.T) {
			j := waitJob(t, s, enqueue(t, s, tc.kind).ID, final)
			if j.Status != tc.status || j.Error != tc.err || j.StartedAt == nil || j.FinishedAt == nil {
				t.Errorf("job = status %s, error %q, started %v, finished %v; want %s, %q, both set",
					j.Status, j.Error, j.StartedAt, j.FinishedAt, tc.status, tc.err)
			}
			if tc.status == domain.JobSucceeded && (j.Report["answer"] != 42.0 || j.Done != 3) {
				t.Errorf("report = %v, done = %d; want answer 42 and 3 done", j.Report, j.Done)
			}
		})
	}
}

func TestWorkerCancelsARunningJob(t *testing.T) {
	pool := testdb.Pool(t)
	s := postgres.NewStores(pool)
	var sawCancel atomic.Bool
	startWorker(t, pool, runnerFunc{"test_block", func(ctx context.Context, _ domain.Job) (map[string]any, error) {
		<-ctx.Done()
		sawCancel.Store(true)
		return nil, ctx.Err()
	}})
	j := enqueue(t, s, "test_block")
	waitJob(t, s, j.ID, func(j domain.Job) bool { return j.Status == domain.JobRunning })
	asked := time.Now()
	if _, err := s.Jobs.CancelJob(context.Background(), j.ID); err != nil {
		t.Fatal(err)
	}
	got := waitJob(t, s, j.ID, final)
	if got.Status != domain.JobCancelled || !sawCancel.Load() {
		t.Errorf("job = %s (runner saw the cancel: %v), want cancelled", got.Status, sawCancel.Load())
	}
	if took := time.Since(asked); took > testLease {
		t.Errorf("the cancel took %s, want it within the lease (%s)", took, testLease)
	}
}

// TestWorkerTakesOverADeadWorkersJob leaves a job as a worker that died leaves it:
// running under a lease that lapses, its queue entry held as running. A live
// worker re-queues it once the lease lapsed, and the runner, called again, resumes
// from the checkpoint the dead attempt recorded.
func TestWorkerTakesOverADeadWorkersJob(t *testing.T) {
	pool := testdb.Pool(t)
	s := postgres.NewStores(pool)
	ctx := context.Background()
	j := enqueue(t, s, "test_resume")
	// The dead attempt: it claimed the job, did step 1 and vanished.
	if _, err := pool.Exec(ctx, `UPDATE river_job SET state = 'running', attempt = 1, attempted_at = now() WHERE args->>'job_id' = $1`, j.ID.String()); err != nil {
		t.Fatal(err)
	}
	if _, err := pool.Exec(ctx, `UPDATE jobs SET status = 'running', attempts = 1, started_at = now(), lease_until = now() + interval '1 second' WHERE id = $1`, j.ID.String()); err != nil {
		t.Fatal(err)
	}
	if err := s.Jobs.AdvanceJobCheckpoint(ctx, j.ID, "", "1"); err != nil {
		t.Fatal(err)
	}
	var resumedFrom atomic.Value
	startWorker(t, pool, runnerFunc{"test_resume", func(ctx context.Context, j domain.Job) (map[string]any, error) {
		resumedFrom.Store(j.Checkpoint)
		return nil, s.Jobs.AdvanceJobCheckpoint(ctx, j.ID, j.Checkpoint, "2")
	}})
	got := waitJob(t, s, j.ID, final)
	if got.Status != domain.JobSucceeded || resumedFrom.Load() != "1" || got.Checkpoint != "2" {
		t.Errorf("job = %s, checkpoint %q, resumed from %v; want succeeded, 2, from 1", got.Status, got.Checkpoint, resumedFrom.Load())
	}
}

// TestWorkerHandsBackJobsOnShutdown stops a worker while its job runs: the job is
// released, not failed, and the next worker finishes it.
func TestWorkerHandsBackJobsOnShutdown(t *testing.T) {
	pool := testdb.Pool(t)
	s := postgres.NewStores(pool)
	var calls atomic.Int32
	runner := runnerFunc{"test_long", func(ctx context.Context, _ domain.Job) (map[string]any, error) {
		if calls.Add(1) == 1 {
			<-ctx.Done()
			return nil, ctx.Err()
		}
		return map[string]any{}, nil
	}}
	w, err := postgres.NewWorker(pool, []app.JobRunner{runner}, postgres.WorkerConfig{Concurrency: 1, Lease: testLease})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	j := enqueue(t, s, "test_long")
	waitJob(t, s, j.ID, func(j domain.Job) bool { return j.Status == domain.JobRunning })
	stopCtx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	if err := w.Stop(stopCtx); err == nil {
		t.Error("Stop = nil, want the report that a job was cut short")
	}
	if got, _ := s.Jobs.GetJob(context.Background(), j.ID); got.Status != domain.JobRunning {
		t.Fatalf("after the shutdown the job is %s, want still running (handed back)", got.Status)
	}
	startWorker(t, pool, runner)
	if got := waitJob(t, s, j.ID, final); got.Status != domain.JobSucceeded || calls.Load() != 2 {
		t.Errorf("job = %s after %d runs, want succeeded after 2", got.Status, calls.Load())
	}
}

// TestWorkerRunsPeriodicTasks checks that a periodic task (the Idempotency-Key
// sweep, in the program) runs when the workers start, once although two workers
// share the database: only River's elected leader schedules it.
func TestWorkerRunsPeriodicTasks(t *testing.T) {
	pool := testdb.Pool(t)
	var runs atomic.Int32
	task := postgres.PeriodicTask{Name: "test_sweep", Interval: time.Hour, Run: func(context.Context) error {
		runs.Add(1)
		return nil
	}}
	for range 2 {
		w, err := postgres.NewWorker(pool, nil, postgres.WorkerConfig{Concurrency: 1, Periodic: []postgres.PeriodicTask{task}})
		if err != nil {
			t.Fatal(err)
		}
		if err := w.Start(context.Background()); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			_ = w.Stop(ctx)
		})
	}
	deadline := time.Now().Add(15 * time.Second)
	for runs.Load() == 0 && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	time.Sleep(time.Second) // room for a second, wrong, run
	if n := runs.Load(); n != 1 {
		t.Errorf("the periodic task ran %d times at start, want once", n)
	}
}

// TestWorkerRetriesAJobTheDatabaseInterrupted: a runner that fails because the
// database is unavailable does not fail its job; the job is tried again and
// finishes.
func TestWorkerRetriesAJobTheDatabaseInterrupted(t *testing.T) {
	pool := testdb.Pool(t)
	s := postgres.NewStores(pool)
	var calls atomic.Int32
	startWorker(t, pool, runnerFunc{"test_flaky_db", func(context.Context, domain.Job) (map[string]any, error) {
		if calls.Add(1) == 1 {
			return nil, fmt.Errorf("read responses: %w: connection refused", domain.ErrUnavailable)
		}
		return map[string]any{}, nil
	}})
	j := waitJob(t, s, enqueue(t, s, "test_flaky_db").ID, final)
	if j.Status != domain.JobSucceeded || j.Error != "" || calls.Load() != 2 {
		t.Errorf("job = %s %q after %d runs, want succeeded after 2", j.Status, j.Error, calls.Load())
	}
}
