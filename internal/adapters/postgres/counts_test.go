package postgres_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/rlhf-eval/rlhf-eval/internal/adapters/postgres"
	"github.com/rlhf-eval/rlhf-eval/internal/adapters/system"
	"github.com/rlhf-eval/rlhf-eval/internal/domain"
	"github.com/rlhf-eval/rlhf-eval/internal/testdb"
)

// TestResponseCountTriggers writes responses with plain SQL and checks the kept
// count (migration 00012) against count(*) after each write: an update that
// moves responses to another evaluation, deleting an evaluation with its
// responses (the cascade must not write a count of it), deleting one in the
// transaction that inserted and deleted some of its responses, and a writer
// while another holds part of the count. Inserts count themselves as the store
// does, by add_response_count; the conformance suite covers the store's own
// write paths.
func TestResponseCountTriggers(t *testing.T) {
	t.Parallel()
	pool := testdb.Pool(t)
	ctx := context.Background()
	newEval := evaluationMaker(t, pool)
	insert := func(t *testing.T, tx pgx.Tx, e domain.ID, n int) {
		t.Helper()
		_, err := tx.Exec(ctx, `INSERT INTO responses (evaluation_id, id, prompt_id, model, prompt, response, created_at, updated_at)
			SELECT $1, gen_random_uuid(), 'p', 'm', 'prompt', 'text', now(), now() FROM generate_series(1, $2)`, e.String(), n)
		if err != nil {
			t.Fatalf("insert %d responses: %v", n, err)
		}
		if _, err := tx.Exec(ctx, `SELECT add_response_count($1, $2)`, e.String(), n); err != nil {
			t.Fatalf("count %d responses: %v", n, err)
		}
	}
	inTx := func(t *testing.T, fn func(tx pgx.Tx)) {
		t.Helper()
		tx, err := pool.Begin(ctx)
		if err != nil {
			t.Fatal(err)
		}
		defer func() { _ = tx.Rollback(context.WithoutCancel(ctx)) }()
		fn(tx)
		if err := tx.Commit(ctx); err != nil {
			t.Fatalf("commit: %v", err)
		}
	}

	t.Run("an update that moves responses", func(t *testing.T) {
		from, to := newEval(), newEval()
		inTx(t, func(tx pgx.Tx) { insert(t, tx, from, 10); insert(t, tx, to, 1) })
		inTx(t, func(tx pgx.Tx) {
			_, err := tx.Exec(ctx, `UPDATE responses SET evaluation_id = $2
				WHERE evaluation_id = $1 AND id IN (SELECT id FROM responses WHERE evaluation_id = $1 LIMIT 4)`, from.String(), to.String())
			if err != nil {
				t.Fatal(err)
			}
		})
		checkCounts(t, pool, map[domain.ID]int64{from: 6, to: 5})
	})

	t.Run("deleting an evaluation with its responses", func(t *testing.T) {
		e, other := newEval(), newEval()
		inTx(t, func(tx pgx.Tx) { insert(t, tx, e, 20); insert(t, tx, other, 3) })
		inTx(t, func(tx pgx.Tx) {
			if _, err := tx.Exec(ctx, `DELETE FROM evaluations WHERE id = $1`, e.String()); err != nil {
				t.Fatal(err)
			}
		})
		checkCounts(t, pool, map[domain.ID]int64{e: 0, other: 3})
	})

	t.Run("deleting an evaluation in the transaction that wrote its responses", func(t *testing.T) {
		e := newEval()
		inTx(t, func(tx pgx.Tx) { insert(t, tx, e, 5) })
		inTx(t, func(tx pgx.Tx) {
			insert(t, tx, e, 7)
			if _, err := tx.Exec(ctx, `DELETE FROM responses WHERE evaluation_id = $1 AND id IN (SELECT id FROM responses WHERE evaluation_id = $1 LIMIT 3)`, e.String()); err != nil {
				t.Fatal(err)
			}
			if _, err := tx.Exec(ctx, `DELETE FROM evaluations WHERE id = $1`, e.String()); err != nil {
				t.Fatal(err)
			}
		})
		checkCounts(t, pool, map[domain.ID]int64{e: 0})
	})

	t.Run("a writer does not wait for another writer's count", func(t *testing.T) {
		e := newEval()
		inTx(t, func(tx pgx.Tx) { insert(t, tx, e, 1) })
		held, err := pool.Begin(ctx)
		if err != nil {
			t.Fatal(err)
		}
		defer func() { _ = held.Rollback(context.WithoutCancel(ctx)) }()
		insert(t, held, e, 2) // holds a shard of e's count until it ends
		for range 3 {
			inTx(t, func(tx pgx.Tx) {
				// Waiting for a lock at all fails the statement.
				if _, err := tx.Exec(ctx, `SET LOCAL lock_timeout = '1ms'`); err != nil {
					t.Fatal(err)
				}
				insert(t, tx, e, 1)
			})
		}
		if err := held.Commit(ctx); err != nil {
			t.Fatal(err)
		}
		checkCounts(t, pool, map[domain.ID]int64{e: 6})
	})
}

// evaluationMaker returns a function that creates an evaluation.
func evaluationMaker(t *testing.T, pool *pgxpool.Pool) func() domain.ID {
	stores := postgres.NewStores(pool)
	ids := system.IDs{}
	return func() domain.ID {
		t.Helper()
		now := time.Now().UTC().Truncate(time.Microsecond)
		e := domain.Evaluation{ID: ids.NewID(), Name: fmt.Sprint("counts-", ids.NewID()), Metadata: map[string]any{}, CreatedAt: now, UpdatedAt: now}
		if err := stores.Evaluations.CreateEvaluation(context.Background(), e); err != nil {
			t.Fatal(err)
		}
		return e.ID
	}
}

// checkCounts compares each evaluation's kept response count with count(*) and
// with want.
func checkCounts(t *testing.T, pool *pgxpool.Pool, want map[domain.ID]int64) {
	t.Helper()
	for e, w := range want {
		var kept, counted, rows int64
		err := pool.QueryRow(context.Background(), `SELECT
			(SELECT COALESCE(sum(n), 0) FROM response_counts WHERE evaluation_id = $1),
			(SELECT count(*) FROM responses WHERE evaluation_id = $1),
			(SELECT count(*) FROM response_counts WHERE evaluation_id = $1)`, e.String()).Scan(&kept, &counted, &rows)
		if err != nil {
			t.Fatal(err)
		}
		if kept != counted || counted != w {
			t.Errorf("evaluation %s: kept count %d, count(*) %d, want %d", e, kept, counted, w)
		}
		if w == 0 && rows != 0 {
			t.Errorf("evaluation %s: %d count rows left, want none", e, rows)
		}
	}
}
