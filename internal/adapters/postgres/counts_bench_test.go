package postgres_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/rlhf-eval/rlhf-eval/internal/adapters/postgres"
	"github.com/rlhf-eval/rlhf-eval/internal/adapters/system"
	"github.com/rlhf-eval/rlhf-eval/internal/app"
	"github.com/rlhf-eval/rlhf-eval/internal/domain"
	"github.com/rlhf-eval/rlhf-eval/internal/ports"
	"github.com/rlhf-eval/rlhf-eval/internal/scoring/builtin"
	"github.com/rlhf-eval/rlhf-eval/internal/testdb"
)

// BenchmarkIngestResponseCounts measures what keeping the response count
// (migration 00012) costs bulk ingest, against the alternative of counting
// inserts with a statement-level trigger. The store counts a transaction's
// inserts with one add_response_count call; each iteration writes one batch of
// 5,000 responses of about 1.5 KB as the store does and one with an insert
// trigger counting too, in alternating order, and times the store's call on its
// own. It reports both rates, the ratio of their median batch times, and the
// call's median time against the median batch:
//   - store: through ResponseStore.IngestResponses, with three scores per
//     response made up front: the database's side alone, where any cost of
//     counting is the largest share;
//   - use-case: through the ingest use case with the length, refusal and pii
//     scorers, as BenchmarkIngest in internal/app (HTTP left out).
func BenchmarkIngestResponseCounts(b *testing.B) {
	pool := testdb.Pool(b)
	stores := postgres.NewStores(pool)
	ctx := context.Background()
	ids := system.IDs{}
	setTrigger := func(on bool) {
		sql := `DROP TRIGGER IF EXISTS bench_count_inserted ON responses`
		if on {
			sql = `CREATE OR REPLACE TRIGGER bench_count_inserted AFTER INSERT ON responses
				REFERENCING NEW TABLE AS changed_rows FOR EACH STATEMENT EXECUTE FUNCTION count_responses('1')`
		}
		if _, err := pool.Exec(ctx, sql); err != nil {
			b.Fatal(err)
		}
	}
	b.Cleanup(func() { setTrigger(false) })
	text := strings.Repeat("The quick brown fox jumps over the lazy dog while the cat sleeps. ", 23)
	const batch = 5000
	made := 0

	// alternate runs ingest with the trigger on and off, in turns, and reports.
	alternate := func(b *testing.B, evalID domain.ID, ingest func() int) {
		timed := func(on bool) time.Duration {
			setTrigger(on)
			start := time.Now()
			if n := ingest(); n != batch {
				b.Fatalf("ingested %d responses, want %d", n, batch)
			}
			return time.Since(start)
		}
		var with, without, call []time.Duration
		for n := 0; b.Loop(); n++ {
			first := n%2 == 0
			d1, d2 := timed(first), timed(!first)
			if !first {
				d1, d2 = d2, d1
			}
			with, without = append(with, d1), append(without, d2)
			tx, err := pool.Begin(ctx)
			if err != nil {
				b.Fatal(err)
			}
			start := time.Now()
			_, err = tx.Exec(ctx, `SELECT add_response_count($1, $2)`, evalID.String(), batch)
			call = append(call, time.Since(start))
			if rollbackErr := tx.Rollback(ctx); err != nil || rollbackErr != nil {
				b.Fatal(err, rollbackErr)
			}
		}
		median := func(ds []time.Duration) time.Duration { s := slices.Sorted(slices.Values(ds)); return s[len(s)/2] }
		b.ReportMetric(batch/median(without).Seconds(), "responses/s")
		b.ReportMetric(batch/median(with).Seconds(), "with-trigger-responses/s")
		b.ReportMetric(float64(median(with))/float64(median(without)), "with-trigger/without")
		b.ReportMetric(float64(median(call))/float64(median(without)), "count-call/batch")
	}

	b.Run("store", func(b *testing.B) {
		now := time.Now().UTC().Truncate(time.Microsecond)
		e := domain.Evaluation{ID: ids.NewID(), Name: fmt.Sprint("bench-counts-", ids.NewID()), Metadata: map[string]any{}, CreatedAt: now, UpdatedAt: now}
		if err := stores.Evaluations.CreateEvaluation(ctx, e); err != nil {
			b.Fatal(err)
		}
		alternate(b, e.ID, func() int {
			rs := make([]domain.Response, batch)
			for i := range rs {
				made++
				v, pass := float64(made%97), made%3 == 0
				rs[i] = domain.Response{ID: ids.NewID(), EvaluationID: e.ID, ExternalID: fmt.Sprint("r", made), PromptID: fmt.Sprint("p", made),
					Model: fmt.Sprint("m", made%8), Prompt: fmt.Sprint("prompt ", made), Text: fmt.Sprint(text, made), Metadata: map[string]any{}, CreatedAt: now}
				for _, scorer := range []string{"length", "refusal", "pii"} {
					rs[i].Scores = append(rs[i].Scores, domain.Score{Scorer: scorer, Value: &v, Passed: &pass, Details: map[string]any{}, CreatedAt: now})
				}
			}
			inserted, err := stores.Responses.IngestResponses(ctx, func(yield func(ports.ResponseChunk, error) bool) { yield(ports.Scored(rs), nil) })
			if err != nil {
				b.Fatal(err)
			}
			return len(inserted)
		})
	})

	b.Run("use-case", func(b *testing.B) {
		reg, err := builtin.Registry()
		if err != nil {
			b.Fatal(err)
		}
		svc, err := app.NewServices(app.Deps{Stores: stores, Tx: postgres.NewTxRunner(pool), Clock: system.Clock{}, IDs: ids, Registry: reg})
		if err != nil {
			b.Fatal(err)
		}
		name := fmt.Sprint("bench-counts-", ids.NewID())
		e, err := svc.Evaluations.Create(ctx, app.EvaluationInput{Name: name,
			Scorers: []domain.ScorerConfig{{Type: "length"}, {Type: "refusal"}, {Type: "pii"}}})
		if err != nil {
			b.Fatal(err)
		}
		prompt := strings.Repeat("prompt ", 40)
		alternate(b, e.ID, func() int {
			items := func(yield func(app.ResponseInput, error) bool) {
				for range batch {
					made++
					r := fmt.Sprint(text, made)
					in := app.ResponseInput{ExternalID: fmt.Sprint("r", made), Model: fmt.Sprint("m", made%8), Prompt: fmt.Sprint(prompt, made), Response: &r}
					if !yield(in, nil) {
						return
					}
				}
			}
			res, err := svc.Responses.Ingest(ctx, name, items, app.IngestOptions{})
			if err != nil {
				b.Fatal(err)
			}
			return res.Created
		})
	})
}
