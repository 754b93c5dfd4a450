package httpapi

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/rlhf-eval/rlhf-eval/internal/adapters/postgres"
	"github.com/rlhf-eval/rlhf-eval/internal/adapters/system"
	"github.com/rlhf-eval/rlhf-eval/internal/app"
	"github.com/rlhf-eval/rlhf-eval/internal/domain"
	"github.com/rlhf-eval/rlhf-eval/internal/scoring"
	"github.com/rlhf-eval/rlhf-eval/internal/scoring/builtin"
)

// BenchmarkSinglePost posts one response per request from 16 clients at once,
// through the whole stack (HTTP, auth, scoring, the one-statement write), for
// CPU, mutex and block profiles of the single-write path:
//
//	go test -run '^$' -bench SinglePost -cpuprofile cpu.out -mutexprofile mu.out ./internal/adapters/httpapi
func BenchmarkSinglePost(b *testing.B) {
	a := newTestAPIWith(b, Config{}, app.Limits{})
	// As serve does: keys and evaluations kept while their changes are heard.
	ctx, stop := context.WithCancel(context.Background())
	listening := make(chan struct{})
	go func() {
		defer close(listening)
		postgres.ListenForChanges(ctx, a.pool, a.svc.Lookups, slog.New(slog.NewTextHandler(io.Discard, nil)), time.Second)
	}()
	b.Cleanup(func() { stop(); <-listening })
	name := fmt.Sprintf("single-bench-%d-%d", b.N, time.Now().UnixNano())
	r := a.do(http.MethodPost, "/v1/evaluations", a.admin, "application/json",
		fmt.Sprintf(`{"name": %q, "scorers": [{"type": "length"}, {"type": "refusal"}, {"type": "pii"}]}`, name))
	if r.status != http.StatusCreated {
		b.Fatalf("create evaluation = %d %s", r.status, r.body)
	}
	text := strings.Repeat("The quick brown fox jumps over the lazy dog. ", 20)
	var seq atomic.Int64
	var failed atomic.Int64
	b.SetParallelism(max(1, 16/runtime.GOMAXPROCS(0)))
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			i := seq.Add(1)
			body := fmt.Sprintf(`{"external_id": "e%d", "model": "m%d", "prompt": "prompt %d", "response": %q}`, i, i%8, i, text)
			r, err := a.send(http.MethodPost, "/v1/evaluations/"+name+"/responses", "application/json", body, nil)
			if err != nil || r.status != http.StatusCreated {
				failed.Add(1)
			}
		}
	})
	if n := failed.Load(); n > 0 {
		b.Errorf("%d posts failed", n)
	}
}

// BenchmarkBulkPost posts NDJSON bodies of 5,000 responses of about 1.5 KB through
// the whole stack (decoding, scoring with length, refusal and pii, COPY, rollups),
// with Prefer: return=minimal and with the full reply, for a CPU profile of the
// bulk path; "copy" is the baseline make bench uses, pgx CopyFrom of the same
// responses and scores (scored before the clock) in one transaction per body:
//
//	go test -run '^$' -bench BulkPost -cpuprofile cpu.out ./internal/adapters/httpapi
//
// Each reports responses/s and the server's WAL bytes per response (taken from
// pg_current_wal_lsn, so on a server that others write to it counts their WAL too).
func BenchmarkBulkPost(b *testing.B) {
	b.Run("minimal", func(b *testing.B) { benchmarkBulkPost(b, http.Header{"Prefer": {"return=minimal"}}) })
	b.Run("full", func(b *testing.B) { benchmarkBulkPost(b, nil) })
	b.Run("copy", benchmarkBulkCopy)
}

const bulkBenchBatch = 5000

// bulkBenchItem is the i-th response of the n-th body. Its white space is
// already collapsed, as in most real text (and in make bench's), so the text
// scorers take the path they take on most real responses.
func bulkBenchItem(n, i int) (ext, model, prompt, text string) {
	return fmt.Sprintf("b%d-%d", n, i), fmt.Sprintf("m%d", i%8),
		fmt.Sprintf("%s%d", strings.Repeat("prompt ", 40), i),
		fmt.Sprintf("%s%d", strings.Repeat("The quick brown fox jumps over the lazy dog while the cat sleeps. ", 23), i)
}

func createBenchEvaluation(b *testing.B, a *testAPI, prefix string) (name, id string) {
	name = fmt.Sprintf("%s-%d-%d", prefix, b.N, time.Now().UnixNano())
	r := a.do(http.MethodPost, "/v1/evaluations", a.admin, "application/json",
		fmt.Sprintf(`{"name": %q, "scorers": [{"type": "length"}, {"type": "refusal"}, {"type": "pii"}]}`, name))
	if r.status != http.StatusCreated {
		b.Fatalf("create evaluation = %d %s", r.status, r.body)
	}
	var e struct{ ID string }
	if err := json.Unmarshal(r.body, &e); err != nil {
		b.Fatal(err)
	}
	return name, e.ID
}

func benchmarkBulkPost(b *testing.B, header http.Header) {
	a := newTestAPIWith(b, Config{}, app.Limits{})
	name, _ := createBenchEvaluation(b, a, "bulk-bench")
	wal := startWAL(b, a.pool)
	b.ResetTimer()
	for n := 0; b.Loop(); n++ {
		b.StopTimer()
		var body strings.Builder
		for i := range bulkBenchBatch {
			ext, model, prompt, text := bulkBenchItem(n, i)
			fmt.Fprintf(&body, `{"external_id": %q, "model": %q, "prompt": %q, "response": %q}`+"\n", ext, model, prompt, text)
		}
		b.StartTimer()
		r, err := a.send(http.MethodPost, "/v1/evaluations/"+name+"/responses", "application/x-ndjson", body.String(), header)
		if err != nil || r.status != http.StatusCreated {
			b.Fatalf("bulk post = %d %s, %v", r.status, r.body, err)
		}
	}
	b.ReportMetric(float64(bulkBenchBatch*b.N)/b.Elapsed().Seconds(), "responses/s")
	wal.report(b, bulkBenchBatch*b.N)
}

func benchmarkBulkCopy(b *testing.B) {
	a := newTestAPIWith(b, Config{}, app.Limits{})
	_, evalText := createBenchEvaluation(b, a, "bulk-copy")
	parsed, err := domain.ParseID(evalText)
	if err != nil {
		b.Fatal(err)
	}
	evalID := pgtype.UUID{Bytes: parsed, Valid: true}
	reg, err := builtin.Registry()
	if err != nil {
		b.Fatal(err)
	}
	set, err := reg.Build([]domain.ScorerConfig{{Name: "length", Type: "length"}, {Name: "refusal", Type: "refusal"}, {Name: "pii", Type: "pii"}})
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	ids := system.IDs{}
	responseColumns := []string{"evaluation_id", "id", "external_id", "prompt_id", "model", "prompt", "context", "response", "reference", "metadata", "created_at", "updated_at"}
	scoreColumns := []string{"evaluation_id", "response_id", "scorer", "model", "prompt_id", "value", "passed", "details", "error", "created_at"}
	wal := startWAL(b, a.pool)
	b.ResetTimer()
	for n := 0; b.Loop(); n++ {
		b.StopTimer()
		now := time.Now().UTC()
		var responses, scores [][]any
		items := make([]scoring.Item, bulkBenchBatch)
		for i := range bulkBenchBatch {
			ext, model, prompt, text := bulkBenchItem(n, i)
			items[i] = scoring.Item{Prompt: prompt, Response: text}
			responses = append(responses, []any{evalID, pgtype.UUID{Bytes: ids.NewID(), Valid: true}, ext, domain.PromptHash(prompt), model, prompt, nil, text, nil, "{}", now, now})
		}
		outcomes, err := set.ScoreBatch(ctx, items)
		if err != nil {
			b.Fatal(err)
		}
		for i, r := range responses {
			for _, s := range app.ScoresOf(outcomes[i], now) {
				details, err := json.Marshal(s.Details)
				if err != nil {
					b.Fatal(err)
				}
				var errText *string
				if s.Error != "" {
					errText = &s.Error
				}
				scores = append(scores, []any{evalID, r[1], s.Scorer, r[4], r[3], s.Value, s.Passed, details, errText, now})
			}
		}
		b.StartTimer()
		err = pgx.BeginFunc(ctx, a.pool, func(tx pgx.Tx) error {
			if _, err := tx.CopyFrom(ctx, pgx.Identifier{"responses"}, responseColumns, pgx.CopyFromRows(responses)); err != nil {
				return err
			}
			_, err := tx.CopyFrom(ctx, pgx.Identifier{"scores"}, scoreColumns, pgx.CopyFromRows(scores))
			return err
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(bulkBenchBatch*b.N)/b.Elapsed().Seconds(), "responses/s")
	wal.report(b, bulkBenchBatch*b.N)
}

// walMark is the server's WAL position at the start of a benchmark.
type walMark struct {
	pool *pgxpool.Pool
	lsn  string
}

func startWAL(b *testing.B, pool *pgxpool.Pool) walMark {
	m := walMark{pool: pool}
	if err := pool.QueryRow(context.Background(), `SELECT pg_current_wal_lsn()::text`).Scan(&m.lsn); err != nil {
		b.Fatal(err)
	}
	return m
}

// report adds the WAL written since the mark, per response.
func (m walMark) report(b *testing.B, responses int) {
	var bytes float64
	if err := m.pool.QueryRow(context.Background(), `SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), $1::pg_lsn)`, m.lsn).Scan(&bytes); err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(bytes/float64(responses), "WAL-B/response")
}
