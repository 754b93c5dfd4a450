package postgres_test

import (
	"context"
	"fmt"
	"iter"
	"math"
	"testing"
	"time"

	"github.com/rlhf-eval/rlhf-eval/internal/adapters/postgres"
	"github.com/rlhf-eval/rlhf-eval/internal/adapters/system"
	"github.com/rlhf-eval/rlhf-eval/internal/domain"
	"github.com/rlhf-eval/rlhf-eval/internal/ports"
	"github.com/rlhf-eval/rlhf-eval/internal/testdb"
)

// TestIngestFoldsRollupsEarly ingests three chunks whose scores hold far more
// distinct values than the rollup delta may (lowered to 7 here), so that the
// delta is folded in many times within the transaction: the rollups and
// histograms must still agree with the stored scores. Not parallel: it changes
// the package's bound.
func TestIngestFoldsRollupsEarly(t *testing.T) {
	defer postgres.SetMaxDeltaValues(7)()
	pool := testdb.Pool(t)
	stores := postgres.NewStores(pool)
	ctx := context.Background()
	ids := system.IDs{}
	now := time.Now().UTC().Truncate(time.Microsecond)
	e := domain.Evaluation{ID: ids.NewID(), Name: "fold-early", Metadata: map[string]any{}, CreatedAt: now, UpdatedAt: now,
		Scorers: []domain.ScorerConfig{{Name: "a", Type: "length"}, {Name: "b", Type: "length"}}}
	if err := stores.Evaluations.CreateEvaluation(ctx, e); err != nil {
		t.Fatal(err)
	}
	response := func(i int) domain.Response {
		a := float64(i)*0.37 - 20
		pass := i%2 == 0
		r := domain.Response{ID: ids.NewID(), EvaluationID: e.ID, ExternalID: fmt.Sprint("r", i), PromptID: fmt.Sprint("p", i%7),
			Model: fmt.Sprint("m", i%3), Prompt: "prompt", Text: "text", Metadata: map[string]any{}, CreatedAt: now}
		r.Scores = []domain.Score{{Scorer: "a", Value: &a, Passed: &pass, Details: map[string]any{}, CreatedAt: now}}
		if i%5 == 0 {
			r.Scores = append(r.Scores, domain.Score{Scorer: "b", Error: "failed", Details: map[string]any{}, CreatedAt: now})
		} else {
			b := float64(i % 4)
			r.Scores = append(r.Scores, domain.Score{Scorer: "b", Value: &b, Details: map[string]any{}, CreatedAt: now})
		}
		return r
	}
	// Each chunk's scores are set only when the store waits for them, after it
	// has begun writing the responses (ports.ResponseChunk).
	var chunks iter.Seq2[ports.ResponseChunk, error] = func(yield func(ports.ResponseChunk, error) bool) {
		for c := range 3 {
			var rs []domain.Response
			var scores [][]domain.Score
			for i := c * 40; i < (c+1)*40; i++ {
				r := response(i)
				scores = append(scores, r.Scores)
				r.Scores = nil
				rs = append(rs, r)
			}
			scored := func() error {
				for i := range rs {
					rs[i].Scores = scores[i]
				}
				return nil
			}
			if !yield(ports.ResponseChunk{Responses: rs, Scored: scored}, nil) {
				return
			}
		}
	}
	inserted, err := stores.Responses.IngestResponses(ctx, chunks)
	if err != nil {
		t.Fatal(err)
	}
	if len(inserted) != 120 {
		t.Fatalf("inserted %d responses, want 120", len(inserted))
	}

	type agg struct {
		nScores, n, nPassKnown, nPassed, nErrors int64
		mean, m2, lo, hi                         *float64
	}
	read := func(query string) map[string]agg {
		t.Helper()
		rows, err := pool.Query(ctx, query, e.ID.String())
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		out := map[string]agg{}
		for rows.Next() {
			var key string
			var a agg
			if err := rows.Scan(&key, &a.nScores, &a.n, &a.mean, &a.m2, &a.lo, &a.hi, &a.nPassKnown, &a.nPassed, &a.nErrors); err != nil {
				t.Fatal(err)
			}
			out[key] = a
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		return out
	}
	rolled := read(`SELECT scorer || '/' || model, n_scores, n, mean, m2, min_value, max_value, n_pass_known, n_passed, n_errors
		FROM score_rollups WHERE evaluation_id = $1`)
	exact := read(`SELECT scorer || '/' || model, count(*), count(value), avg(value), COALESCE(var_samp(value) * (count(value) - 1), 0),
		min(value), max(value), count(passed), count(*) FILTER (WHERE passed), count(error)
		FROM scores WHERE evaluation_id = $1 GROUP BY scorer, model`)
	near := func(a, b *float64) bool {
		if a == nil || b == nil {
			return a == b
		}
		return math.Abs(*a-*b) <= 1e-9*math.Max(1, math.Abs(*b))
	}
	if len(rolled) != 6 || len(exact) != 6 {
		t.Fatalf("%d rollup rows and %d groups of scores, want one shard's 6 of each", len(rolled), len(exact))
	}
	for key, w := range exact {
		g, ok := rolled[key]
		if !ok {
			t.Errorf("%s: no rollup row", key)
			continue
		}
		if g.nScores != w.nScores || g.n != w.n || g.nPassKnown != w.nPassKnown || g.nPassed != w.nPassed || g.nErrors != w.nErrors ||
			!near(g.mean, w.mean) || !near(g.m2, w.m2) || !near(g.lo, w.lo) || !near(g.hi, w.hi) {
			t.Errorf("%s: rollup %+v, want %+v", key, g, w)
		}
	}

	var mismatched int
	err = pool.QueryRow(ctx, `
		WITH h AS (SELECT scorer, model, bucket, sum(count) AS n, min(min_value) AS lo, max(max_value) AS hi
		           FROM score_histograms WHERE evaluation_id = $1 GROUP BY scorer, model, bucket),
		     s AS (SELECT scorer, model, score_bucket(value) AS bucket, count(*) AS n, min(value) AS lo, max(value) AS hi
		           FROM scores WHERE evaluation_id = $1 AND value IS NOT NULL GROUP BY scorer, model, score_bucket(value))
		SELECT count(*) FROM h FULL JOIN s USING (scorer, model, bucket)
		WHERE h.n IS DISTINCT FROM s.n OR h.lo IS DISTINCT FROM s.lo OR h.hi IS DISTINCT FROM s.hi`, e.ID.String()).Scan(&mismatched)
	if err != nil {
		t.Fatal(err)
	}
	if mismatched != 0 {
		t.Errorf("%d histogram buckets differ from the stored scores", mismatched)
	}
}
