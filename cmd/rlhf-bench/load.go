package main

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"net/http"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/rlhf-eval/rlhf-eval/internal/adapters/system"
	"github.com/rlhf-eval/rlhf-eval/internal/app"
	"github.com/rlhf-eval/rlhf-eval/internal/domain"
	"github.com/rlhf-eval/rlhf-eval/internal/scoring"
	"github.com/rlhf-eval/rlhf-eval/internal/scoring/builtin"
)

// bigEval is the large evaluation of section 3. Response k answers prompt
// k / models and comes from model k % models.
type bigEval struct {
	name      string
	id        pgtype.UUID
	idText    string
	models    int
	n         int
	prompts   []string
	promptIDs []string
	modelTags []string
	respIDs   []domain.ID
}

// poolSize is how many distinct response texts the large evaluation draws from.
// Each is scored once by the real scorers; reads do not look at the text, and
// scoring a million texts would only slow the load down.
const poolSize = 4096

type pooledText struct {
	text   string
	scores []scoreValues
}

type scoreValues struct {
	scorer  string
	value   *float64
	passed  *bool
	details []byte
	err     *string
}

// copySource feeds CopyFrom from a function of the row number.
type copySource struct {
	n, i int
	row  func(i int) []any
}

func (s *copySource) Next() bool {
	if s.i >= s.n {
		return false
	}
	s.i++
	return true
}

func (s *copySource) Values() ([]any, error) { return s.row(s.i - 1), nil }

func (s *copySource) Err() error { return nil }

// loadBig creates the evaluation through the API and fills it with COPY: the
// responses, three scores each, and the comparisons. It returns notes on how long
// each part took.
func loadBig(ctx context.Context, e *env, o options, logf func(string, ...any)) (*bigEval, []string, error) {
	b := &bigEval{name: "large", models: o.models, n: o.responses}
	var err error
	if b.idText, err = e.api.createEvaluation(ctx, b.name, scorersJSON()); err != nil {
		return nil, nil, err
	}
	did, err := domain.ParseID(b.idText)
	if err != nil {
		return nil, nil, err
	}
	b.id = pgUUID(did)
	g := newTextGen(o.seed + 2)
	nPrompts := (b.n + b.models - 1) / b.models
	promptTopic := make([]string, nPrompts)
	for p := range nPrompts {
		promptTopic[p] = g.pick(topics)
		b.prompts = append(b.prompts, g.prompt(promptTopic[p]))
		b.promptIDs = append(b.promptIDs, domain.PromptHash(b.prompts[p]))
	}
	for m := range b.models {
		b.modelTags = append(b.modelTags, modelName(m))
	}

	// The text pool, scored by the real scorers.
	reg, err := builtin.Registry()
	if err != nil {
		return nil, nil, err
	}
	set, err := reg.Build(benchScorers())
	if err != nil {
		return nil, nil, err
	}
	pool := make([]pooledText, min(poolSize, b.n))
	items := make([]scoring.Item, len(pool))
	for i := range pool {
		pool[i].text, _, _ = g.response(g.pick(topics))
		items[i] = scoring.Item{Prompt: b.prompts[i%nPrompts], Response: pool[i].text}
	}
	outcomes, err := set.ScoreBatch(ctx, items)
	if err != nil {
		return nil, nil, err
	}
	now := time.Now().UTC()
	for i := range pool {
		for _, s := range app.ScoresOf(outcomes[i], now) {
			details, err := json.Marshal(s.Details)
			if err != nil {
				return nil, nil, err
			}
			sv := scoreValues{scorer: s.Scorer, value: s.Value, passed: s.Passed, details: details}
			if s.Error != "" {
				sv.err = &s.Error
			}
			pool[i].scores = append(pool[i].scores, sv)
		}
	}
	text := func(k int) *pooledText { return &pool[(k*7919)%len(pool)] }

	// Responses arrive as evaluation runs do: one model answering a chunk of
	// prompts at a time, the chunks in random order. Ids are UUIDv7 in arrival order.
	r := rand.New(rand.NewPCG(o.seed, 7))
	const chunk = 1000
	type block struct{ model, first int }
	var blocks []block
	for m := range b.models {
		for p := 0; p < nPrompts; p += chunk {
			blocks = append(blocks, block{m, p})
		}
	}
	r.Shuffle(len(blocks), func(i, j int) { blocks[i], blocks[j] = blocks[j], blocks[i] })
	order := make([]int32, 0, b.n)
	for _, bl := range blocks {
		for p := bl.first; p < min(bl.first+chunk, nPrompts); p++ {
			if k := p*b.models + bl.model; k < b.n {
				order = append(order, int32(k))
			}
		}
	}
	b.respIDs = make([]domain.ID, b.n)
	ids := system.IDs{}
	for _, k := range order {
		b.respIDs[k] = ids.NewID()
	}
	// One more response per model, deleted through the API once everything is
	// loaded: the service keeps derived state beside the rows (score rollups for
	// summaries) and rebuilds a model's from its stored scores when one of its
	// responses is deleted. So the rows go in with COPY, and the service's own
	// code derives the rest; checkSummary below makes sure it did.
	extraIDs := make([]domain.ID, b.models)
	for m := range extraIDs {
		extraIDs[m] = ids.NewID()
	}

	var notes []string
	copyTable := func(table string, cols []string, n int, row func(i int) []any) error {
		start := time.Now()
		got, err := e.pool.CopyFrom(ctx, pgx.Identifier{table}, cols, &copySource{n: n, row: row})
		if err != nil {
			return fmt.Errorf("copy %s: %w", table, err)
		}
		d := time.Since(start)
		logf("queries: loaded %d %s in %s", got, table, d.Round(time.Millisecond))
		notes = append(notes, fmt.Sprintf("loaded %s %s with COPY in %s (%s rows/s)", groupThousands(got), table,
			d.Round(time.Second), groupThousands(int64(float64(got)/d.Seconds()))))
		return nil
	}
	logf("queries: loading %d responses, %d scores and %d comparisons with COPY", b.n, 3*b.n, o.comparisons)
	err = copyTable("responses", responseColumns, b.n+b.models, func(i int) []any {
		if i >= b.n {
			m := i - b.n
			return []any{b.id, pgUUID(extraIDs[m]), rebuildExternalID(m), b.promptIDs[0], b.modelTags[m],
				b.prompts[0], nil, pool[0].text, nil, "{}", now, now}
		}
		k := int(order[i])
		p, m := k/b.models, k%b.models
		return []any{b.id, pgUUID(b.respIDs[k]), fmt.Sprintf("large-%07d", k), b.promptIDs[p], b.modelTags[m],
			b.prompts[p], nil, text(k).text, nil, "{}", now, now}
	})
	if err != nil {
		return nil, nil, err
	}
	// The store counts the responses it inserts (response_counts); COPY does
	// not go through it, so the loader adds what it copied, with the service's
	// own function, as the store's statements do.
	if _, err := e.pool.Exec(ctx, "SELECT add_response_count($1, $2)", b.id, int64(b.n+b.models)); err != nil {
		return nil, nil, fmt.Errorf("count the copied responses: %w", err)
	}
	nScores := len(pool[0].scores)
	err = copyTable("scores", scoreColumns, nScores*b.n, func(i int) []any {
		k := int(order[i/nScores])
		s := text(k).scores[i%nScores]
		return []any{b.id, pgUUID(b.respIDs[k]), s.scorer, b.modelTags[k%b.models], b.promptIDs[k/b.models],
			s.value, s.passed, s.details, s.err, now}
	})
	if err != nil {
		return nil, nil, err
	}
	err = copyTable("comparisons", comparisonColumns, o.comparisons, newComparisonRows(b, o.seed, now))
	if err != nil {
		return nil, nil, err
	}
	start := time.Now()
	for m := range b.models {
		path := "/v1/evaluations/" + b.name + "/responses/" + rebuildExternalID(m)
		status, body, err := e.api.do(ctx, http.MethodDelete, path, "", nil)
		if err != nil {
			return nil, nil, err
		}
		if status != http.StatusNoContent && status != http.StatusOK {
			return nil, nil, fmt.Errorf("DELETE %s: status %d: %.300s", path, status, body)
		}
	}
	d := time.Since(start)
	logf("queries: %d deletes through the API (the service rebuilt its per-model state) took %s", b.models, d.Round(time.Millisecond))
	notes = append(notes, fmt.Sprintf("then one extra response per model, loaded with the rest, deleted through the API, so the service rebuilt "+
		"what it derives per model from the stored scores (its summary rollups) with its own code; the summary was checked against the scores table. "+
		"The %d DELETEs took %s, %s each", b.models, d.Round(time.Second), formatValue(latency, d.Seconds()/float64(b.models))))
	start = time.Now()
	// The tables the service keeps beside the comparisons too: their rows came
	// with the COPY, and nothing else vacuums them where autovacuum is off.
	for _, t := range []string{"responses", "scores", "comparisons", "comparison_outcomes", "comparison_pairs", "agreement_judgements"} {
		if _, err := e.pool.Exec(ctx, "VACUUM ANALYZE "+t); err != nil {
			return nil, nil, fmt.Errorf("vacuum analyze %s: %w", t, err)
		}
	}
	logf("queries: VACUUM ANALYZE took %s", time.Since(start).Round(time.Millisecond))
	notes = append(notes, "then VACUUM ANALYZE, as autovacuum would have done by the time anyone reads a million responses")
	if err := checkSummary(ctx, e, b); err != nil {
		return nil, nil, err
	}
	return b, notes, nil
}

// openBig finds the large evaluation that an earlier run with the same sizes and
// seed loaded into the database it kept (--reuse), and checks that it has the
// sizes asked for, so figures are never reported for other data.
func openBig(ctx context.Context, e *env, o options, logf func(string, ...any)) (*bigEval, []string, error) {
	b := &bigEval{name: "large", models: o.models, n: o.responses}
	if err := e.pool.QueryRow(ctx, `SELECT id, id::text FROM evaluations WHERE name = $1`, b.name).Scan(&b.id, &b.idText); err != nil {
		return nil, nil, fmt.Errorf("--reuse: find evaluation %q: %w", b.name, err)
	}
	var responses, comparisons, models int
	if err := e.pool.QueryRow(ctx, `SELECT (SELECT count(*) FROM responses WHERE evaluation_id = $1),
			(SELECT count(*) FROM comparisons WHERE evaluation_id = $1),
			(SELECT count(DISTINCT model) FROM responses WHERE evaluation_id = $1)`, b.id).Scan(&responses, &comparisons, &models); err != nil {
		return nil, nil, err
	}
	if responses != o.responses || comparisons != o.comparisons || models != o.models {
		return nil, nil, fmt.Errorf("--reuse: evaluation %q has %d responses, %d comparisons and %d models; the flags ask for %d, %d and %d",
			b.name, responses, comparisons, models, o.responses, o.comparisons, o.models)
	}
	for m := range b.models {
		b.modelTags = append(b.modelTags, modelName(m))
	}
	var first string
	if err := e.pool.QueryRow(ctx, `SELECT prompt FROM responses WHERE evaluation_id = $1 AND external_id = $2`, b.id, "large-0000000").Scan(&first); err != nil {
		return nil, nil, fmt.Errorf("--reuse: the first response: %w", err)
	}
	b.prompts = []string{first}
	logf("queries: reusing evaluation %s: %d responses, %d comparisons, %d models", b.name, responses, comparisons, models)
	if err := checkSummary(ctx, e, b); err != nil {
		return nil, nil, err
	}
	return b, []string{fmt.Sprintf("the large evaluation was loaded by an earlier run into the database it kept (--keep) and reused here (--reuse %s)", e.dbName)}, nil
}

func rebuildExternalID(model int) string { return fmt.Sprintf("large-rebuild-%02d", model) }

// checkSummary compares the service's summary with the scores table, so a
// summary that reads state the loader failed to build cannot pass for fast.
func checkSummary(ctx context.Context, e *env, b *bigEval) error {
	status, body, err := e.api.do(ctx, http.MethodGet, "/v1/evaluations/"+b.name+"/summary", "", nil)
	if err != nil {
		return err
	}
	if status != http.StatusOK {
		return fmt.Errorf("summary: status %d: %.300s", status, body)
	}
	var sum struct {
		Scorers []struct {
			Scorer  string   `json:"scorer"`
			NScores *int64   `json:"n_scores"`
			Mean    *float64 `json:"mean"`
		} `json:"scorers"`
	}
	if err := json.Unmarshal(body, &sum); err != nil {
		return fmt.Errorf("summary: %w", err)
	}
	rows, err := e.pool.Query(ctx, `SELECT scorer, count(*), avg(value) FROM scores WHERE evaluation_id = $1 GROUP BY scorer`, b.id)
	if err != nil {
		return err
	}
	want := map[string][2]float64{}
	for rows.Next() {
		var scorer string
		var n int64
		var mean float64
		if err := rows.Scan(&scorer, &n, &mean); err != nil {
			rows.Close()
			return err
		}
		want[scorer] = [2]float64{float64(n), mean}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	if len(sum.Scorers) != len(want) {
		return fmt.Errorf("the summary lists %d scorers, the scores table %d", len(sum.Scorers), len(want))
	}
	for _, s := range sum.Scorers {
		w, ok := want[s.Scorer]
		switch {
		case !ok || s.NScores == nil || s.Mean == nil:
			return fmt.Errorf("summary row %q has no n_scores or mean, or no scores", s.Scorer)
		case float64(*s.NScores) != w[0] || math.Abs(*s.Mean-w[1]) > 1e-9*math.Max(1, math.Abs(w[1])):
			return fmt.Errorf("summary of %q: n_scores %d, mean %v; the scores table has %v and %v: the service derives state this loader did not build",
				s.Scorer, *s.NScores, *s.Mean, w[0], w[1])
		}
	}
	var kept, counted int64
	err = e.pool.QueryRow(ctx, `SELECT (SELECT COALESCE(sum(n), 0)::bigint FROM response_counts WHERE evaluation_id = $1),
		(SELECT count(*) FROM responses WHERE evaluation_id = $1)`, b.id).Scan(&kept, &counted)
	if err != nil {
		return fmt.Errorf("response count: %w", err)
	}
	if kept != counted {
		return fmt.Errorf("the service keeps a count of %d responses, the responses table has %d", kept, counted)
	}
	return nil
}

var comparisonColumns = []string{"evaluation_id", "id", "external_id", "response_a_id", "response_b_id", "model_a", "model_b",
	"prompt_id", "preference", "annotator", "annotator_kind", "rationale", "metadata", "created_at", "updated_at"}

// newComparisonRows returns the rows of random comparisons between two models'
// responses to the same prompt. Outcomes follow a Bradley–Terry model with the
// models' strengths spread over 600 Elo points: four in five comparisons are by
// people (a winner, or a tie one time in ten), the rest by judge models, whose
// preference is the win probability rounded to 0.05.
func newComparisonRows(b *bigEval, seed uint64, now time.Time) func(i int) []any {
	r := rand.New(rand.NewPCG(seed, 11))
	elo := make([]float64, b.models)
	for m := range elo {
		elo[m] = -300 + 600*float64(m)/float64(b.models-1)
	}
	r.Shuffle(len(elo), func(i, j int) { elo[i], elo[j] = elo[j], elo[i] })
	fullPrompts := b.n / b.models // prompts that every model answered
	ids := system.IDs{}
	return func(int) []any {
		p := r.IntN(fullPrompts)
		ma := r.IntN(b.models)
		mb := (ma + 1 + r.IntN(b.models-1)) % b.models
		ka, kb := p*b.models+ma, p*b.models+mb
		pb := 1 / (1 + math.Pow(10, (elo[ma]-elo[mb])/400))
		var pref float64
		var annotator, kind string
		if r.IntN(5) == 0 {
			annotator, kind = fmt.Sprintf("judge-%d", r.IntN(2)+1), "model"
			pref = math.Round(pb*20) / 20
		} else {
			annotator, kind = fmt.Sprintf("rater-%02d", r.IntN(40)), "human"
			switch u := r.Float64(); {
			case u < 0.1:
				pref = 0.5
			case u < 0.1+0.9*pb:
				pref = 1
			default:
				pref = 0
			}
		}
		return []any{b.id, pgUUID(ids.NewID()), nil, pgUUID(b.respIDs[ka]), pgUUID(b.respIDs[kb]), b.modelTags[ma], b.modelTags[mb],
			b.promptIDs[p], pref, annotator, kind, "", "{}", now, now}
	}
}
