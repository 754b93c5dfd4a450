package postgres_test

import (
	"bytes"
	"context"
	"slices"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/rlhf-eval/rlhf-eval/internal/adapters/postgres"
	"github.com/rlhf-eval/rlhf-eval/internal/adapters/system"
	"github.com/rlhf-eval/rlhf-eval/internal/app"
	"github.com/rlhf-eval/rlhf-eval/internal/domain"
	"github.com/rlhf-eval/rlhf-eval/internal/scoring"
	"github.com/rlhf-eval/rlhf-eval/internal/testdb"
)

// longAgo is when the old jobs of these tests finished: far enough back that no
// other test's job in the package's database is older than the cutoffs used here.
var longAgo = time.Date(2001, 1, 1, 0, 0, 0, 0, time.UTC)

// setJob forces a job's status and finish time, as a worker would have left them.
func setJob(t *testing.T, pool *pgxpool.Pool, id domain.ID, status domain.JobStatus, finished *time.Time) {
	t.Helper()
	if _, err := pool.Exec(context.Background(), `UPDATE jobs SET status = $2, finished_at = $3 WHERE id = $1`,
		id.String(), string(status), finished); err != nil {
		t.Fatal(err)
	}
}

// compareIDs orders ids as PostgreSQL orders uuids: byte by byte.
func compareIDs(a, b domain.ID) int { return bytes.Compare(a[:], b[:]) }

type fixedClock struct{ t time.Time }

func (c fixedClock) Now() time.Time { return c.t }

func jobExists(t *testing.T, pool *pgxpool.Pool, id domain.ID) bool {
	t.Helper()
	var n int
	if err := pool.QueryRow(context.Background(), `SELECT count(*) FROM jobs WHERE id = $1`, id.String()).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n == 1
}

// TestDeleteFinishedJobs: retention deletes finished jobs older than the cutoff,
// in batches that follow the cursor, and keeps queued and running jobs, recent
// ones, and jobs that judgments or pending scores still name.
func TestDeleteFinishedJobs(t *testing.T) {
	ctx := context.Background()
	pool := testdb.Pool(t)
	s := postgres.NewStores(pool)
	ids := system.IDs{}

	ev, resp := ids.NewID(), ids.NewID()
	if _, err := pool.Exec(ctx, `INSERT INTO evaluations (id, name, created_at, updated_at) VALUES ($1, $2, now(), now())`,
		ev.String(), "retention-"+ev.String()); err != nil {
		t.Fatal(err)
	}
	if _, err := pool.Exec(ctx, `INSERT INTO responses (evaluation_id, id, prompt_id, model, prompt, response, created_at, updated_at)
		VALUES ($1, $2, 'p', 'm', 'prompt', 'answer', now(), now())`, ev.String(), resp.String()); err != nil {
		t.Fatal(err)
	}
	newJob := func(status domain.JobStatus, finished *time.Time) domain.ID {
		j := domain.Job{ID: ids.NewID(), Kind: "retention_test", EvaluationID: &ev, Status: domain.JobQueued, CreatedAt: longAgo}
		if err := s.Jobs.EnqueueJob(ctx, j); err != nil {
			t.Fatal(err)
		}
		setJob(t, pool, j.ID, status, finished)
		return j.ID
	}
	old, recent := longAgo, time.Now().UTC()
	var doomed []domain.ID
	for _, st := range []domain.JobStatus{domain.JobSucceeded, domain.JobFailed, domain.JobCancelled, domain.JobSucceeded, domain.JobFailed} {
		doomed = append(doomed, newJob(st, &old))
	}
	kept := map[string]domain.ID{
		"queued":              newJob(domain.JobQueued, nil),
		"running":             newJob(domain.JobRunning, nil),
		"finished recently":   newJob(domain.JobSucceeded, &recent),
		"named by a judgment": newJob(domain.JobSucceeded, &old),
		"named by a pending":  newJob(domain.JobFailed, &old),
	}
	if _, err := pool.Exec(ctx, `INSERT INTO judges (name, version, kind, config, config_hash, created_at)
		VALUES ($1, 1, 'pointwise', '{}', sha256('x'), now())`, "judge-"+ev.String()); err != nil {
		t.Fatal(err)
	}
	if _, err := pool.Exec(ctx, `INSERT INTO judgments (evaluation_id, id, job_id, item, call, judge_name, judge_version,
		response_id, request_hash, messages, created_at) VALUES ($1, $2, $3, 'item', 0, $4, 1, $5, 'h', '[]', now())`,
		ev.String(), ids.NewID().String(), kept["named by a judgment"].String(), "judge-"+ev.String(), resp.String()); err != nil {
		t.Fatal(err)
	}
	if _, err := pool.Exec(ctx, `INSERT INTO pending_scores (evaluation_id, response_id, scorer, model, job_id, created_at)
		VALUES ($1, $2, 'judge', 'm', $3, now())`, ev.String(), resp.String(), kept["named by a pending"].String()); err != nil {
		t.Fatal(err)
	}

	cutoff := longAgo.Add(time.Hour)
	var deleted []domain.ID
	var after domain.ID
	for batches := 0; ; batches++ {
		if batches > 5 {
			t.Fatal("the batches do not end")
		}
		got, err := s.Jobs.DeleteFinishedJobs(ctx, cutoff, after, 2)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) > 2 {
			t.Fatalf("a batch of limit 2 deleted %d jobs", len(got))
		}
		deleted = append(deleted, got...)
		if len(got) < 2 {
			break
		}
		after = slices.MaxFunc(got, compareIDs)
	}
	slices.SortFunc(deleted, compareIDs)
	if !slices.Equal(deleted, doomed) {
		t.Errorf("deleted %v, want the old finished jobs %v", deleted, doomed)
	}
	for _, id := range doomed {
		if jobExists(t, pool, id) {
			t.Errorf("old finished job %s is still there", id)
		}
	}
	for name, id := range kept {
		if !jobExists(t, pool, id) {
			t.Errorf("the job %s was deleted", name)
		}
	}

	// Once what named them is gone (their evaluation purged), they go too.
	if _, err := pool.Exec(ctx, `DELETE FROM responses WHERE evaluation_id = $1`, ev.String()); err != nil {
		t.Fatal(err)
	}
	if _, err := pool.Exec(ctx, `DELETE FROM judgments WHERE evaluation_id = $1`, ev.String()); err != nil {
		t.Fatal(err)
	}
	got, err := s.Jobs.DeleteFinishedJobs(ctx, cutoff, domain.ID{}, 10)
	if err != nil {
		t.Fatal(err)
	}
	want := []domain.ID{kept["named by a judgment"], kept["named by a pending"]}
	slices.SortFunc(got, compareIDs)
	if !slices.Equal(got, want) {
		t.Errorf("after their evaluation's rows went, deleted %v, want %v", got, want)
	}
}

// TestPruneJobs: the use case deletes old finished jobs across batches (more
// than one statement's worth) and does nothing with a retention of zero.
func TestPruneJobs(t *testing.T) {
	ctx := context.Background()
	pool := testdb.Pool(t)
	s := postgres.NewStores(pool)
	reg, err := scoring.NewRegistry()
	if err != nil {
		t.Fatal(err)
	}
	clock := fixedClock{longAgo.Add(48 * time.Hour)}
	svc, err := app.NewJobs(app.Deps{Stores: s, Tx: postgres.NewTxRunner(pool), Clock: clock, IDs: system.IDs{}, Registry: reg})
	if err != nil {
		t.Fatal(err)
	}
	// 2,500 jobs: three statements of 1,000 at most.
	const n = 2500
	if _, err := pool.Exec(ctx, `INSERT INTO jobs (id, kind, status, created_at, finished_at)
		SELECT gen_random_uuid(), 'retention_bulk_test', 'succeeded', $1, $1 FROM generate_series(1, $2)`, longAgo, n); err != nil {
		t.Fatal(err)
	}
	count := func() int {
		var c int
		if err := pool.QueryRow(ctx, `SELECT count(*) FROM jobs WHERE kind = 'retention_bulk_test'`).Scan(&c); err != nil {
			t.Fatal(err)
		}
		return c
	}
	if got, err := svc.Prune(ctx, 0); err != nil || got != 0 || count() != n {
		t.Fatalf("Prune(retention 0) = %d, %v, leaving %d jobs; want 0 deleted, %d left", got, err, count(), n)
	}
	// Finished an hour before the clock's now - a day ago: kept by two days, deleted by one.
	if got, err := svc.Prune(ctx, 72*time.Hour); err != nil || count() != n {
		t.Fatalf("Prune(72h) = %d, %v, leaving %d jobs; want none of them deleted", got, err, count())
	}
	got, err := svc.Prune(ctx, 24*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if got < n || count() != 0 {
		t.Errorf("Prune(24h) deleted %d, leaving %d of ours; want all %d deleted", got, count(), n)
	}
}
