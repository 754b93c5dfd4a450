package postgres_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/rlhf-eval/rlhf-eval/internal/adapters/postgres"
	"github.com/rlhf-eval/rlhf-eval/internal/adapters/system"
	"github.com/rlhf-eval/rlhf-eval/internal/domain"
	"github.com/rlhf-eval/rlhf-eval/internal/ports"
	"github.com/rlhf-eval/rlhf-eval/internal/testdb"
)

// The group tests hold a write in flight by holding, in a transaction of their
// own, the rollup lock of one model (db/queries/ingest.sql) that the write's
// statement takes after inserting its rows; the writes that come meanwhile
// queue. They are not parallel: they count the statements waiting on that lock
// in the package's database.

type groupFixture struct {
	t      *testing.T
	pool   *pgxpool.Pool
	stores ports.Stores
	eval   domain.Evaluation
	ids    system.IDs
	now    time.Time
}

// newGroupFixture makes an evaluation to write to, with stores that write one
// group of it at a time.
func newGroupFixture(t *testing.T, name string) *groupFixture {
	t.Helper()
	pool := testdb.Pool(t)
	f := &groupFixture{t: t, pool: pool, stores: postgres.NewStores(pool), now: time.Now().UTC().Truncate(time.Microsecond)}
	postgres.SetGroupWriters(f.stores, 1)
	f.eval = domain.Evaluation{ID: f.ids.NewID(), Name: name, Metadata: map[string]any{}, CreatedAt: f.now, UpdatedAt: f.now,
		Scorers: []domain.ScorerConfig{{Name: "a", Type: "length"}}}
	if err := f.stores.Evaluations.CreateEvaluation(context.Background(), f.eval); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := postgres.GroupIdle(f.stores); err != nil {
			t.Error(err)
		}
	})
	return f
}

// response is a response of model with external id ext and one score, i.
func (f *groupFixture) response(model, ext string, i int) domain.Response {
	v, pass := float64(i)*1.5, i%2 == 0
	return domain.Response{ID: f.ids.NewID(), EvaluationID: f.eval.ID, ExternalID: ext, PromptID: "p", Model: model,
		Prompt: "prompt", Text: fmt.Sprint("text ", i), Metadata: map[string]any{}, CreatedAt: f.now,
		Scores: []domain.Score{{Scorer: "a", Value: &v, Passed: &pass, Details: map[string]any{}, CreatedAt: f.now}}}
}

// hold takes model's rollup lock until the returned function is called.
func (f *groupFixture) hold(model string) (release func()) {
	f.t.Helper()
	ctx := context.Background()
	tx, err := f.pool.Begin(ctx)
	if err != nil {
		f.t.Fatal(err)
	}
	if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtextextended($1::uuid::text || '/' || $2, 7341))`,
		f.eval.ID.String(), model); err != nil {
		f.t.Fatal(err)
	}
	return func() {
		if err := tx.Commit(ctx); err != nil && !errors.Is(err, pgx.ErrTxClosed) {
			f.t.Error(err)
		}
	}
}

type insertResult struct {
	ids []domain.ID
	err error
}

// insert starts a write of rs.
func (f *groupFixture) insert(ctx context.Context, rs ...domain.Response) <-chan insertResult {
	out := make(chan insertResult, 1)
	go func() {
		ids, err := f.stores.Responses.InsertResponses(ctx, rs)
		out <- insertResult{ids, err}
	}()
	return out
}

// waitFor polls until cond holds.
func (f *groupFixture) waitFor(what string, cond func() bool) {
	f.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			f.t.Fatalf("timed out waiting until %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// blocked is how many single-statement writes wait on a rollup lock.
func (f *groupFixture) blocked() int {
	f.t.Helper()
	var n int
	err := f.pool.QueryRow(context.Background(), `
		SELECT count(*) FROM pg_stat_activity
		WHERE datname = current_database() AND wait_event_type = 'Lock' AND wait_event = 'advisory'
		  AND query LIKE '%InsertResponsesAtOnce%'`).Scan(&n)
	if err != nil {
		f.t.Fatal(err)
	}
	return n
}

// queue starts a write of rs and waits until it has queued behind the one in flight.
func (f *groupFixture) queue(ctx context.Context, rs ...domain.Response) <-chan insertResult {
	f.t.Helper()
	before := postgres.GroupQueued(f.stores, f.eval.ID)
	out := f.insert(ctx, rs...)
	f.waitFor(fmt.Sprintf("%d writes queue", before+1), func() bool { return postgres.GroupQueued(f.stores, f.eval.ID) == before+1 })
	return out
}

// stored returns the external ids of the evaluation's responses, sorted.
func (f *groupFixture) stored() []string {
	f.t.Helper()
	rows, err := f.pool.Query(context.Background(), `SELECT external_id FROM responses WHERE evaluation_id = $1 ORDER BY external_id`, f.eval.ID.String())
	if err != nil {
		f.t.Fatal(err)
	}
	exts, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		f.t.Fatal(err)
	}
	return exts
}

// checkRollups compares the rollups with the stored scores.
func (f *groupFixture) checkRollups() {
	f.t.Helper()
	var differ int
	err := f.pool.QueryRow(context.Background(), `
		WITH ro AS (SELECT scorer, model, sum(n_scores) AS n_scores, sum(n) AS n, sum(mean * n) AS total, sum(n_passed) AS n_passed
		            FROM score_rollups WHERE evaluation_id = $1 GROUP BY scorer, model),
		     s AS (SELECT scorer, model, count(*) AS n_scores, count(value) AS n, sum(value) AS total, count(*) FILTER (WHERE passed) AS n_passed
		           FROM scores WHERE evaluation_id = $1 GROUP BY scorer, model)
		SELECT count(*) FROM ro FULL JOIN s USING (scorer, model)
		WHERE ro.n_scores IS DISTINCT FROM s.n_scores OR ro.n IS DISTINCT FROM s.n OR ro.n_passed IS DISTINCT FROM s.n_passed
		   OR abs(ro.total - s.total) > 1e-9 * greatest(1, abs(s.total)) OR ro.total IS NULL OR s.total IS NULL`, f.eval.ID.String()).Scan(&differ)
	if err != nil {
		f.t.Fatal(err)
	}
	if differ != 0 {
		f.t.Errorf("%d rollups differ from the stored scores", differ)
	}
}

func (f *groupFixture) statements() int64 { return postgres.GroupStatements(f.stores) }

// TestGroupCommit queues single writes behind one in flight: they are written
// by one statement, each gets its own rows back, an external id posted twice in
// the group is stored once (for the first to queue), a write cancelled while it
// waits is not stored, and the rollups stay exact.
func TestGroupCommit(t *testing.T) {
	f := newGroupFixture(t, "group-commit")
	ctx := context.Background()
	before := f.statements()
	release := f.hold("held")
	lead := f.response("held", "lead", 0)
	leader := f.insert(ctx, lead)
	f.waitFor("the first write waits on the lock", func() bool { return f.blocked() == 1 })

	var singles []domain.Response
	var waits []<-chan insertResult
	for i := range 8 {
		r := f.response(fmt.Sprint("m", i%3), fmt.Sprint("r", i), i+1)
		singles = append(singles, r)
		waits = append(waits, f.queue(ctx, r))
	}
	dupFirst, dupSecond := f.response("m0", "dup", 20), f.response("m1", "dup", 21)
	first, second := f.queue(ctx, dupFirst), f.queue(ctx, dupSecond)
	pair := []domain.Response{f.response("m2", "pair-a", 30), f.response("m2", "pair-b", 31)}
	pairWait := f.queue(ctx, pair...)
	gone, cancel := context.WithCancel(ctx)
	cancelled := f.queue(gone, f.response("m0", "cancelled", 40))
	cancel()
	if got := <-cancelled; !errors.Is(got.err, context.Canceled) {
		t.Errorf("cancelled while queued: err = %v, want context.Canceled", got.err)
	}
	if got := postgres.GroupQueued(f.stores, f.eval.ID); got != 11 {
		t.Fatalf("%d writes queued after one left, want 11", got)
	}
	release()

	want := func(name string, c <-chan insertResult, ids ...domain.ID) {
		t.Helper()
		got := <-c
		if got.err != nil {
			t.Errorf("%s: %v", name, got.err)
			return
		}
		if !slices.Equal(got.ids, ids) {
			t.Errorf("%s: inserted %v, want %v", name, got.ids, ids)
		}
	}
	want("lead", leader, lead.ID)
	for i, r := range singles {
		want(r.ExternalID, waits[i], r.ID)
	}
	want("first dup", first, dupFirst.ID)
	want("second dup", second)
	want("pair", pairWait, pair[0].ID, pair[1].ID)
	if got := f.statements() - before; got != 2 {
		t.Errorf("%d statements, want 2: the first write, then the group", got)
	}
	wantStored := []string{"dup", "lead", "pair-a", "pair-b", "r0", "r1", "r2", "r3", "r4", "r5", "r6", "r7"}
	if got := f.stored(); !slices.Equal(got, wantStored) {
		t.Errorf("stored %v, want %v", got, wantStored)
	}
	var dupModel string
	if err := f.pool.QueryRow(ctx, `SELECT model FROM responses WHERE evaluation_id = $1 AND external_id = 'dup'`, f.eval.ID.String()).Scan(&dupModel); err != nil {
		t.Fatal(err)
	}
	if dupModel != "m0" {
		t.Errorf("dup stored with model %q, want the first request's m0", dupModel)
	}
	f.checkRollups()
}

// TestGroupCommitFallsBack puts a write the database refuses (its id is taken)
// in a group: the group is written again one request at a time, and only that
// request fails.
func TestGroupCommitFallsBack(t *testing.T) {
	f := newGroupFixture(t, "group-fallback")
	ctx := context.Background()
	taken := f.response("m0", "taken", 0)
	if _, err := f.stores.Responses.InsertResponses(ctx, []domain.Response{taken}); err != nil {
		t.Fatal(err)
	}
	before := f.statements()
	release := f.hold("held")
	leader := f.insert(ctx, f.response("held", "lead", 1))
	f.waitFor("the first write waits on the lock", func() bool { return f.blocked() == 1 })
	good1 := f.response("m0", "good1", 2)
	bad := f.response("m1", "bad", 3)
	bad.ID = taken.ID
	good2 := f.response("m1", "good2", 4)
	w1, wb, w2 := f.queue(ctx, good1), f.queue(ctx, bad), f.queue(ctx, good2)
	release()
	if got := <-leader; got.err != nil {
		t.Errorf("lead: %v", got.err)
	}
	for name, c := range map[string]<-chan insertResult{"good1": w1, "good2": w2} {
		if got := <-c; got.err != nil || len(got.ids) != 1 {
			t.Errorf("%s: inserted %v, err %v; want its one response", name, got.ids, got.err)
		}
	}
	if got := <-wb; !errors.Is(got.err, domain.ErrConflict) {
		t.Errorf("bad: err = %v, want a conflict", got.err)
	}
	if got := f.statements() - before; got != 5 {
		t.Errorf("%d statements, want 5: the first write, the group, then its 3 requests alone", got)
	}
	if got, want := f.stored(), []string{"good1", "good2", "lead", "taken"}; !slices.Equal(got, want) {
		t.Errorf("stored %v, want %v", got, want)
	}
	f.checkRollups()
}

// TestGroupCommitOutlivesACancelledRequest cancels one request of a group
// whose statement is running: the request returns at once, and the statement
// goes on and commits for the other (and stores the cancelled one's rows too,
// as a statement that commits as its client hangs up does).
func TestGroupCommitOutlivesACancelledRequest(t *testing.T) {
	f := newGroupFixture(t, "group-cancel")
	ctx := context.Background()
	releaseA, releaseB := f.hold("a"), f.hold("b")
	leader := f.insert(ctx, f.response("a", "lead", 0))
	f.waitFor("the first write waits on the lock", func() bool { return f.blocked() == 1 })
	gone, cancel := context.WithCancel(ctx)
	defer cancel()
	stay := f.queue(ctx, f.response("b", "stays", 1))
	leaves := f.queue(gone, f.response("b", "leaves", 2))
	releaseA()
	if got := <-leader; got.err != nil {
		t.Fatalf("lead: %v", got.err)
	}
	f.waitFor("the group's statement waits on the lock", func() bool {
		return postgres.GroupQueued(f.stores, f.eval.ID) == 0 && f.blocked() == 1
	})
	cancel()
	select {
	case got := <-leaves:
		if !errors.Is(got.err, context.Canceled) {
			t.Errorf("cancelled in a write: err = %v, want context.Canceled", got.err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("a request cancelled inside a group's write did not return")
	}
	releaseB()
	if got := <-stay; got.err != nil || len(got.ids) != 1 {
		t.Errorf("stays: inserted %v, err %v; want its one response", got.ids, got.err)
	}
	if got, want := f.stored(), []string{"lead", "leaves", "stays"}; !slices.Equal(got, want) {
		t.Errorf("stored %v, want %v", got, want)
	}
	f.checkRollups()
}

// TestGroupCommitWriters lets two writes to an evaluation run at once: a third
// queues only when both are in flight.
func TestGroupCommitWriters(t *testing.T) {
	f := newGroupFixture(t, "group-writers")
	postgres.SetGroupWriters(f.stores, 2)
	ctx := context.Background()
	before := f.statements()
	release := f.hold("held")
	one, two := f.insert(ctx, f.response("held", "one", 0)), f.insert(ctx, f.response("held", "two", 1))
	f.waitFor("both writes wait on the lock", func() bool { return f.blocked() == 2 })
	if got := postgres.GroupQueued(f.stores, f.eval.ID); got != 0 {
		t.Fatalf("%d writes queued with a writer free, want 0", got)
	}
	three, four := f.queue(ctx, f.response("m", "three", 2)), f.queue(ctx, f.response("m", "four", 3))
	release()
	for name, c := range map[string]<-chan insertResult{"one": one, "two": two, "three": three, "four": four} {
		if got := <-c; got.err != nil || len(got.ids) != 1 {
			t.Errorf("%s: inserted %v, err %v; want its one response", name, got.ids, got.err)
		}
	}
	if got := f.statements() - before; got != 3 {
		t.Errorf("%d statements, want 3: the two in flight, then the two queued together", got)
	}
	f.checkRollups()
}
