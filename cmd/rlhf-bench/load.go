package main

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
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
	err = copyTable("responses", responseColumns, b.n, func(i int) []any {
		k := int(order[i])
		p, m := k/b.models, k%b.models
		return []any{b.id, pgUUID(b.respIDs[k]), fmt.Sprintf("large-%07d", k), b.promptIDs[p], b.modelTags[m],
			b.prompts[p], nil, text(k).text, nil, "{}", now, now}
	})
	if err != nil {
		return nil, nil, err
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
	for _, t := range []string{"responses", "scores", "comparisons"} {
		if _, err := e.pool.Exec(ctx, "VACUUM ANALYZE "+t); err != nil {
			return nil, nil, fmt.Errorf("vacuum analyze %s: %w", t, err)
		}
	}
	logf("queries: VACUUM ANALYZE took %s", time.Since(start).Round(time.Millisecond))
	notes = append(notes, "then VACUUM ANALYZE, as autovacuum would have done by the time anyone reads a million responses")
	return b, notes, nil
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
