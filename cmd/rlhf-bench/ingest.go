package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/rlhf-eval/rlhf-eval/internal/adapters/system"
	"github.com/rlhf-eval/rlhf-eval/internal/app"
	"github.com/rlhf-eval/rlhf-eval/internal/domain"
	"github.com/rlhf-eval/rlhf-eval/internal/scoring"
	"github.com/rlhf-eval/rlhf-eval/internal/scoring/builtin"
)

// benchScorers are the scorers every benchmark evaluation is configured with. The
// pass blocks make "passed" meaningful (no refusal, no finding, at most 400 words),
// so the list filter on a scorer's verdict has something to select.
func benchScorers() []domain.ScorerConfig {
	zero, words := 0.0, 400.0
	return []domain.ScorerConfig{
		{Name: "length", Type: "length", Pass: &domain.PassBand{Max: &words}},
		{Name: "refusal", Type: "refusal", Pass: &domain.PassBand{Max: &zero}},
		{Name: "pii", Type: "pii", Pass: &domain.PassBand{Max: &zero}},
	}
}

// scorersJSON is benchScorers as the API takes them.
func scorersJSON() []map[string]any {
	var out []map[string]any
	b, _ := json.Marshal(benchScorers())
	_ = json.Unmarshal(b, &out)
	return out
}

func modelName(i int) string { return fmt.Sprintf("policy-%02d", i) }

// genResponse is one generated response as a client would post it.
type genResponse struct {
	ExternalID string `json:"external_id"`
	Model      string `json:"model"`
	Prompt     string `json:"prompt"`
	Response   string `json:"response"`
}

// genResponses makes n responses: each prompt answered by every one of models
// models, in prompt order.
func genResponses(g *textGen, n, models int, idPrefix string) []genResponse {
	out := make([]genResponse, 0, n)
	for p := 0; len(out) < n; p++ {
		topic := g.pick(topics)
		prompt := g.prompt(topic)
		for m := 0; m < models && len(out) < n; m++ {
			text, _, _ := g.response(topic)
			out = append(out, genResponse{ExternalID: fmt.Sprintf("%s-%07d", idPrefix, len(out)), Model: modelName(m), Prompt: prompt, Response: text})
		}
	}
	return out
}

func itemsOf(rs []genResponse) []scoring.Item {
	items := make([]scoring.Item, len(rs))
	for i, r := range rs {
		items[i] = scoring.Item{Prompt: r.Prompt, Response: r.Response}
	}
	return items
}

// benchIngest measures section 1.
func benchIngest(ctx context.Context, e *env, o options, logf func(string, ...any)) ([]row, error) {
	reg, err := builtin.Registry()
	if err != nil {
		return nil, err
	}
	set, err := reg.Build(benchScorers())
	if err != nil {
		return nil, err
	}
	const models = 8
	data := genResponses(newTextGen(o.seed), o.ingestRows, models, "ing")
	items := itemsOf(data)
	var bodies [][]byte
	var size int
	for start := 0; start < len(data); start += o.batch {
		var b bytes.Buffer
		enc := json.NewEncoder(&b)
		for _, r := range data[start:min(start+o.batch, len(data))] {
			if err := enc.Encode(r); err != nil {
				return nil, err
			}
		}
		bodies = append(bodies, b.Bytes())
		size += b.Len()
	}
	logf("ingest: %d responses (%.1f MB of NDJSON) in %d batches, %d repetitions", len(data), float64(size)/1e6, len(bodies), o.reps)

	var svcRates, fullRates, copyRates, scoreRates []float64
	for rep := 1; rep <= o.reps; rep++ {
		// Scoring alone, in this process: what the service's scorers cost on their own.
		start := time.Now()
		outcomes, err := set.ScoreBatch(ctx, items)
		if err != nil {
			return nil, err
		}
		scoreRates = append(scoreRates, float64(len(items))/time.Since(start).Seconds())

		// Bulk clients ask for counts only (Prefer: return=minimal); the full reply,
		// which echoes every stored response with its scores, is measured too.
		svc := func() error {
			rate, err := ingestService(ctx, e, fmt.Sprintf("ingest-service-%d", rep), bodies, len(data), o.streams, true)
			svcRates = append(svcRates, rate)
			if err != nil {
				return err
			}
			rate, err = ingestService(ctx, e, fmt.Sprintf("ingest-service-full-%d", rep), bodies, len(data), o.streams, false)
			fullRates = append(fullRates, rate)
			return err
		}
		cp := func() error {
			rate, err := ingestCopy(ctx, e, fmt.Sprintf("ingest-copy-%d", rep), data, outcomes, o.batch, o.streams)
			copyRates = append(copyRates, rate)
			return err
		}
		// Alternate which goes first, so drift in the machine's load hits both.
		first, second := svc, cp
		if rep%2 == 0 {
			first, second = cp, svc
		}
		if err := first(); err != nil {
			return nil, err
		}
		if err := second(); err != nil {
			return nil, err
		}
		logf("ingest %d/%d: service %.0f/s (full reply %.0f/s), COPY %.0f/s, scoring alone %.0f/s", rep, o.reps, svcRates[rep-1],
			fullRates[rep-1], copyRates[rep-1], scoreRates[rep-1])
	}
	svc, full, cp, sc := median(svcRates), median(fullRates), median(copyRates), median(scoreRates)
	const base = "pgx CopyFrom into responses + scores"
	return []row{
		{section: "1 ingest", measure: fmt.Sprintf("POST …/responses, NDJSON batches of %d, scorers length+refusal+pii, Prefer: return=minimal", o.batch),
			unit: perSecond, value: svc, baseline: base, base: cp, goal: "≥ 0.8× COPY", met: yesNo(svc/cp >= 0.8)},
		{section: "1 ingest", measure: "the same with the full reply (every stored response and its scores echoed back)",
			unit: perSecond, value: full, baseline: base, base: cp},
		{section: "1 ingest", measure: "for reference: the three scorers alone, in-process",
			unit: perSecond, value: sc, baseline: base, base: cp},
	}, nil
}

// forBatches runs fn over batch indexes 0..n-1 with streams of them in flight.
func forBatches(n, streams int, fn func(i int) error) error {
	var mu sync.Mutex
	var first error
	next := 0
	var wg sync.WaitGroup
	for range streams {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				mu.Lock()
				i := next
				next++
				stop := first != nil
				mu.Unlock()
				if i >= n || stop {
					return
				}
				if err := fn(i); err != nil {
					mu.Lock()
					if first == nil {
						first = err
					}
					mu.Unlock()
				}
			}
		}()
	}
	wg.Wait()
	return first
}

// ingestService posts the batches into a new evaluation and returns responses per
// second, after checking that every response and score was stored.
func ingestService(ctx context.Context, e *env, name string, bodies [][]byte, n, streams int, minimal bool) (float64, error) {
	evalID, err := e.api.createEvaluation(ctx, name, scorersJSON())
	if err != nil {
		return 0, err
	}
	path := "/v1/evaluations/" + name + "/responses"
	start := time.Now()
	err = forBatches(len(bodies), streams, func(i int) error {
		var header []string
		if minimal {
			header = []string{"Prefer", "return=minimal"}
		}
		_, err := e.api.timed(ctx, http.MethodPost, path, "application/x-ndjson", bodies[i], http.StatusCreated, header...)
		return err
	})
	elapsed := time.Since(start)
	if err != nil {
		return 0, err
	}
	return float64(n) / elapsed.Seconds(), checkStored(ctx, e.pool, evalID, n)
}

// checkStored makes sure an evaluation holds n responses and 3n scores.
func checkStored(ctx context.Context, pool *pgxpool.Pool, evalID string, n int) error {
	var responses, scores int
	err := pool.QueryRow(ctx, `SELECT (SELECT count(*) FROM responses WHERE evaluation_id = $1),
	                                  (SELECT count(*) FROM scores WHERE evaluation_id = $1)`, evalID).Scan(&responses, &scores)
	if err != nil {
		return err
	}
	if responses != n || scores != 3*n {
		return fmt.Errorf("evaluation %s holds %d responses and %d scores, want %d and %d", evalID, responses, scores, n, 3*n)
	}
	return nil
}

var (
	responseColumns = []string{"evaluation_id", "id", "external_id", "prompt_id", "model", "prompt", "context", "response", "reference", "metadata", "created_at", "updated_at"}
	scoreColumns    = []string{"evaluation_id", "response_id", "scorer", "model", "prompt_id", "value", "passed", "details", "error", "created_at"}
)

func pgUUID(id domain.ID) pgtype.UUID { return pgtype.UUID{Bytes: id, Valid: true} }

// scoreRows turns one response's outcomes into rows of scores.
func scoreRows(evalID, respID pgtype.UUID, model, promptID string, outcomes []scoring.Outcome, now time.Time) ([][]any, error) {
	var rows [][]any
	for _, s := range app.ScoresOf(outcomes, now) {
		details, err := json.Marshal(s.Details)
		if err != nil {
			return nil, err
		}
		var errText *string
		if s.Error != "" {
			errText = &s.Error
		}
		rows = append(rows, []any{evalID, respID, s.Scorer, model, promptID, s.Value, s.Passed, details, errText, now})
	}
	return rows, nil
}

// ingestCopy writes the same responses and their scores into a new evaluation
// with CopyFrom, one transaction per batch as the service does, and returns
// responses per second. Rows are built before the clock starts.
func ingestCopy(ctx context.Context, e *env, name string, data []genResponse, outcomes [][]scoring.Outcome, batch, streams int) (float64, error) {
	evalText, err := e.api.createEvaluation(ctx, name, scorersJSON())
	if err != nil {
		return 0, err
	}
	did, err := domain.ParseID(evalText)
	if err != nil {
		return 0, err
	}
	evalID := pgUUID(did)
	now := time.Now().UTC()
	ids := system.IDs{}
	type copyBatch struct{ responses, scores [][]any }
	var batches []copyBatch
	for start := 0; start < len(data); start += batch {
		var b copyBatch
		for i := start; i < min(start+batch, len(data)); i++ {
			r := data[i]
			id := pgUUID(ids.NewID())
			promptID := domain.PromptHash(r.Prompt)
			b.responses = append(b.responses, []any{evalID, id, r.ExternalID, promptID, r.Model, r.Prompt, nil, r.Response, nil, "{}", now, now})
			sr, err := scoreRows(evalID, id, r.Model, promptID, outcomes[i], now)
			if err != nil {
				return 0, err
			}
			b.scores = append(b.scores, sr...)
		}
		batches = append(batches, b)
	}
	begin := time.Now()
	err = forBatches(len(batches), streams, func(i int) error {
		return pgx.BeginFunc(ctx, e.pool, func(tx pgx.Tx) error {
			if _, err := tx.CopyFrom(ctx, pgx.Identifier{"responses"}, responseColumns, pgx.CopyFromRows(batches[i].responses)); err != nil {
				return fmt.Errorf("copy responses: %w", err)
			}
			if _, err := tx.CopyFrom(ctx, pgx.Identifier{"scores"}, scoreColumns, pgx.CopyFromRows(batches[i].scores)); err != nil {
				return fmt.Errorf("copy scores: %w", err)
			}
			return nil
		})
	})
	elapsed := time.Since(begin)
	if err != nil {
		return 0, err
	}
	return float64(len(data)) / elapsed.Seconds(), checkStored(ctx, e.pool, evalText, len(data))
}
