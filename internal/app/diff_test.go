package app_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rlhf-eval/rlhf-eval/internal/app"
	"github.com/rlhf-eval/rlhf-eval/internal/domain"
	"github.com/rlhf-eval/rlhf-eval/internal/domain/stats"
	"github.com/rlhf-eval/rlhf-eval/internal/scoring"
	"github.com/rlhf-eval/rlhf-eval/internal/scoring/assertion"
	"github.com/rlhf-eval/rlhf-eval/internal/scoring/builtin"
	"github.com/rlhf-eval/rlhf-eval/internal/testdb"
)

// TestDiffPairsByPrompt builds two evaluations whose per-prompt word counts are
// known, and checks the pairing (averaging a prompt's responses, counting prompts
// on one side only) against stats.Compare run on pairs built by hand.
func TestDiffPairsByPrompt(t *testing.T) {
	t.Parallel()
	reg, _ := builtin.Registry()
	svc, err := app.NewServices(appDepsWith(t, reg))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	three := 3.0
	cfg := []domain.ScorerConfig{{Type: "length", Pass: &domain.PassBand{Max: &three}}, {Type: "refusal"}}
	for _, name := range []string{"diff-base", "diff-cand"} {
		if _, err := svc.Evaluations.Create(ctx, app.EvaluationInput{Name: name, Scorers: cfg}); err != nil {
			t.Fatal(err)
		}
	}
	words := func(n int) *string { s := strings.TrimSpace(strings.Repeat("w ", n)); return &s }
	var base, cand []app.ResponseInput
	var pairs []stats.Pair
	for i := 0; i < 12; i++ {
		p := fmt.Sprintf("prompt-%02d", i)
		base = append(base, app.ResponseInput{Model: "b", Prompt: p, Response: words(2 + i%3)})
		// The candidate answers every prompt twice, with i+2 and i+4 words: its
		// per-prompt mean is i+3 words, and its pass fraction is the share of its
		// two answers with at most 3 words.
		cand = append(cand, app.ResponseInput{Model: "c", Prompt: p, Response: words(i + 2)}, app.ResponseInput{Model: "c", Prompt: p, Response: words(i + 4)})
		bp := 0.0
		if 2+i%3 <= 3 {
			bp = 1
		}
		cp := 0.0
		for _, n := range []int{i + 2, i + 4} {
			if n <= 3 {
				cp += 0.5
			}
		}
		pairs = append(pairs, stats.Pair{PromptID: p, Base: float64(2 + i%3), Cand: float64(i + 3), BasePass: &bp, CandPass: &cp})
	}
	base = append(base, app.ResponseInput{Model: "b", Prompt: "only-in-base", Response: words(1)})
	cand = append(cand, app.ResponseInput{Model: "c", Prompt: "only-in-cand", Response: words(1)}, app.ResponseInput{Model: "c", Prompt: "also-only-in-cand", Response: words(1)})
	// prompt_id defaults to a hash of the prompt; give explicit ids so the hand-built
	// pairs above use the same keys.
	for i := range base {
		base[i].PromptID = base[i].Prompt
	}
	for i := range cand {
		cand[i].PromptID = cand[i].Prompt
	}
	if _, err := ingest(ctx, svc, "diff-base", base, false); err != nil {
		t.Fatal(err)
	}
	if _, err := ingest(ctx, svc, "diff-cand", cand, false); err != nil {
		t.Fatal(err)
	}
	rounds := 500
	rep, err := svc.Diffs.Diff(ctx, "diff-base", "diff-cand", app.DiffInput{Rounds: &rounds, Seed: 7})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Scorers) != 2 || rep.Scorers[0].Scorer != "length" {
		t.Fatalf("scorers = %+v", rep.Scorers)
	}
	l := rep.Scorers[0]
	if l.BaseOnly != 1 || l.CandidateOnly != 2 || l.Diff == nil || l.Diff.N != 12 {
		t.Fatalf("length pairing: base only %d, candidate only %d, diff %+v", l.BaseOnly, l.CandidateOnly, l.Diff)
	}
	want, err := stats.Compare(pairs, stats.CompareOptions{Better: stats.NoDirection, Alpha: 0.05, Level: 0.95, Rounds: 500, Seed: 7})
	if err != nil {
		t.Fatal(err)
	}
	got := *l.Diff
	if fmt.Sprintf("%+v", got.MeanDiffCI) != fmt.Sprintf("%+v", want.MeanDiffCI) || got.MeanDiff != want.MeanDiff ||
		*got.WilcoxonP != *want.WilcoxonP || *got.BasePassRate != *want.BasePassRate || *got.CandPassRate != *want.CandPassRate {
		t.Errorf("diff from the database = %+v\nwant %+v", got, want)
	}
	// Length has no better direction: a big change is never a regression.
	if got.Regression || len(rep.Regressions) != 0 {
		t.Errorf("a direction-less scorer was called a regression")
	}
	if _, err := svc.Diffs.Diff(ctx, "diff-base", "diff-cand", app.DiffInput{Alpha: 1.5}); err == nil {
		t.Errorf("alpha 1.5 accepted")
	}
	if _, err := svc.Diffs.Diff(ctx, "diff-base", "diff-cand", app.DiffInput{Scorer: "nope"}); err == nil {
		t.Errorf("unknown scorer accepted")
	}
}

// TestDiffFromTheCacheEqualsTheLiveDiff diffs two evaluations from their scores
// (the per-prompt means not cached yet), then from the cache the prompt_means job
// fills, after each kind of write the use cases make: the reports must be the same
// to the last bit, and every write must make the cache stale again.
func TestDiffFromTheCacheEqualsTheLiveDiff(t *testing.T) {
	t.Parallel()
	reg, _ := builtin.Registry()
	d := appDepsWith(t, reg)
	svc, err := app.NewServices(d)
	if err != nil {
		t.Fatal(err)
	}
	runner, err := app.NewPromptMeansRunner(d)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	three := 3.0
	cfg := []domain.ScorerConfig{{Type: "length", Pass: &domain.PassBand{Max: &three}}, {Type: "refusal"}}
	var ids []domain.ID
	for _, name := range []string{"cache-base", "cache-cand"} {
		e, err := svc.Evaluations.Create(ctx, app.EvaluationInput{Name: name, Scorers: cfg})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, e.ID)
	}
	words := func(n int) *string { s := strings.TrimSpace(strings.Repeat("w ", n)); return &s }
	var base, cand []app.ResponseInput
	for i := range 30 { // 91 base responses: one request holds at most 100
		p := fmt.Sprintf("prompt-%02d", i)
		// Thirds like 1/3 make means whose last bit depends on the order they are
		// summed in.
		base = append(base, app.ResponseInput{Model: "b1", Prompt: p, Response: words(1 + i%4)},
			app.ResponseInput{Model: "b2", Prompt: p, Response: words(2 + i%5)}, app.ResponseInput{Model: "b3", Prompt: p, Response: words(1 + i%7)})
		cand = append(cand, app.ResponseInput{Model: "c", Prompt: p, Response: words(1 + (i*7)%6)})
	}
	base = append(base, app.ResponseInput{Model: "b1", Prompt: "I cannot help with that", Response: str("I'm sorry, I can't help with that.")})
	if _, err := ingest(ctx, svc, "cache-base", base, false); err != nil {
		t.Fatal(err)
	}
	if _, err := ingest(ctx, svc, "cache-cand", cand, false); err != nil {
		t.Fatal(err)
	}
	show := func(rep app.DiffReport) string {
		b, err := json.Marshal(rep.View())
		if err != nil {
			t.Fatal(err)
		}
		s := string(b)
		for _, sd := range rep.Scorers {
			s += fmt.Sprintf("\n%s pairs:", sd.Scorer)
			for _, p := range sd.Pairs {
				s += fmt.Sprintf(" %s %b %b", p.PromptID, math.Float64bits(p.Base), math.Float64bits(p.Cand))
			}
		}
		return s
	}
	in := app.DiffInput{Seed: 3}
	// check diffs after a step that wrote to the evaluations at written (indexes
	// into ids): their caches, and only theirs, must be stale.
	check := func(step string, written ...int) {
		t.Helper()
		for i, id := range ids {
			_, fresh, err := d.Stores.Analytics.CachedPromptMeans(ctx, id)
			if err != nil || fresh == slices.Contains(written, i) {
				t.Fatalf("%s: the cache of evaluation %d is fresh: %v (%v); written: %v", step, i, fresh, err, written)
			}
		}
		live, err := svc.Diffs.Diff(ctx, "cache-base", "cache-cand", in)
		if err != nil {
			t.Fatal(err)
		}
		cachedOnly := in
		cachedOnly.CachedOnly = true
		waiting, err := svc.Diffs.Diff(ctx, "cache-base", "cache-cand", cachedOnly)
		if err != nil || len(waiting.Preparing) != len(written) || waiting.Scorers != nil {
			t.Fatalf("%s: cached-only diff = %d jobs, %d scorers, %v; want %d jobs and nothing compared", step, len(waiting.Preparing), len(waiting.Scorers), err, len(written))
		}
		for _, j := range waiting.Preparing {
			if _, err := runner.Run(ctx, j); err != nil {
				t.Fatal(err)
			}
		}
		cached, err := svc.Diffs.Diff(ctx, "cache-base", "cache-cand", cachedOnly)
		if err != nil || len(cached.Preparing) != 0 {
			t.Fatalf("%s: diff after the refresh = %d jobs, %v; want none", step, len(cached.Preparing), err)
		}
		if g, w := show(cached), show(live); g != w {
			t.Errorf("%s: diff from the cache =\n%s\nfrom the scores =\n%s", step, g, w)
		}
		// However often a stale diff asked for a refresh, one job per evaluation
		// was queued at a time.
		for _, id := range ids {
			page, err := svc.Jobs.List(ctx, app.ListJobsInput{Evaluation: id.String(), Kind: app.KindPromptMeans, Status: "queued"})
			if err != nil || len(page.Items) != 1 {
				t.Errorf("%s: %d queued prompt_means jobs for %s, %v; want 1", step, len(page.Items), id, err)
			}
		}
	}
	check("first diff", 0, 1)

	if _, err := ingest(ctx, svc, "cache-cand", []app.ResponseInput{{Model: "c2", Prompt: "prompt-03", Response: words(9)}}, true); err != nil {
		t.Fatal(err)
	}
	if _, err := ingest(ctx, svc, "cache-base", []app.ResponseInput{{Model: "b4", Prompt: "prompt-04", Response: words(5)}}, false); err != nil {
		t.Fatal(err)
	}
	check("after ingests", 0, 1)

	page, err := svc.Responses.List(ctx, "cache-cand", app.ListResponsesInput{Limit: 1})
	if err != nil || len(page.Items) != 1 {
		t.Fatalf("list = %v, %v", page.Items, err)
	}
	if err := svc.Responses.Delete(ctx, "cache-cand", page.Items[0].ID.String()); err != nil {
		t.Fatal(err)
	}
	check("after a delete", 1)

	two := 2.0
	changed := []domain.ScorerConfig{{Type: "length", Pass: &domain.PassBand{Max: &two}}, {Type: "refusal"}}
	_, job, err := svc.Evaluations.UpdateAndRescore(ctx, "cache-base", app.EvaluationPatch{Scorers: &changed})
	if err != nil || job == nil {
		t.Fatalf("UpdateAndRescore = %v, %v; want a job", job, err)
	}
	rescore, err := app.NewRescoreRunner(d, 16)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := rescore.Run(ctx, *job); err != nil {
		t.Fatal(err)
	}
	check("after a rescore", 0)
}

// TestFailedPromptMeansRefreshIsNotRetriedForTheSameScores: once the refresh of
// an evaluation's per-prompt means failed, a cached-only diff returns that failed
// job (for its page to show) instead of queueing the same failure again, the
// live diff still answers from the scores, and a write to the scores asks for a
// new refresh.
func TestFailedPromptMeansRefreshIsNotRetriedForTheSameScores(t *testing.T) {
	t.Parallel()
	reg, _ := builtin.Registry()
	d := appDepsWith(t, reg)
	svc, err := app.NewServices(d)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for _, name := range []string{"failed-base", "failed-cand"} {
		if _, err := svc.Evaluations.Create(ctx, app.EvaluationInput{Name: name, Scorers: []domain.ScorerConfig{{Type: "length"}}}); err != nil {
			t.Fatal(err)
		}
		var in []app.ResponseInput
		for i := range 5 {
			in = append(in, app.ResponseInput{Model: "m", Prompt: fmt.Sprintf("p%d", i), Response: str(strings.Repeat("w ", i+1))})
		}
		if _, err := ingest(ctx, svc, name, in, false); err != nil {
			t.Fatal(err)
		}
	}
	cachedOnly := app.DiffInput{Seed: 1, CachedOnly: true}
	rep, err := svc.Diffs.Diff(ctx, "failed-base", "failed-cand", cachedOnly)
	if err != nil || len(rep.Preparing) != 2 {
		t.Fatalf("first cached-only diff = %d jobs, %v; want 2", len(rep.Preparing), err)
	}
	// The refresh of the base fails, as a worker would record it.
	pool := testdb.Pool(t)
	failed := rep.Preparing[0]
	if _, err := pool.Exec(ctx, `UPDATE jobs SET status = 'failed', error = 'disk full', finished_at = now() WHERE id = $1`, failed.ID.String()); err != nil {
		t.Fatal(err)
	}
	for range 3 {
		rep, err = svc.Diffs.Diff(ctx, "failed-base", "failed-cand", cachedOnly)
		if err != nil {
			t.Fatal(err)
		}
		var got *domain.Job
		for i, j := range rep.Preparing {
			if j.EvaluationID != nil && *j.EvaluationID == *failed.EvaluationID {
				got = &rep.Preparing[i]
			}
		}
		if got == nil || got.ID != failed.ID || got.Status != domain.JobFailed || got.Error != "disk full" {
			t.Fatalf("cached-only diff after the failure = %+v; want the failed job %s with its error", rep.Preparing, failed.ID)
		}
	}
	live, err := svc.Diffs.Diff(ctx, "failed-base", "failed-cand", app.DiffInput{Seed: 1})
	if err != nil || len(live.Scorers) != 1 || live.Scorers[0].Diff == nil || live.Scorers[0].Diff.N != 5 {
		t.Fatalf("live diff after the failure = %+v, %v; want 5 pairs of length", live.Scorers, err)
	}
	page, err := svc.Jobs.List(ctx, app.ListJobsInput{Evaluation: failed.EvaluationID.String(), Kind: app.KindPromptMeans})
	if err != nil || len(page.Items) != 1 {
		t.Fatalf("prompt_means jobs of the base = %d, %v; want only the failed one", len(page.Items), err)
	}
	// New scores: a new refresh is asked for.
	if _, err := ingest(ctx, svc, "failed-base", []app.ResponseInput{{Model: "m2", Prompt: "p0", Response: str("w w w")}}, false); err != nil {
		t.Fatal(err)
	}
	rep, err = svc.Diffs.Diff(ctx, "failed-base", "failed-cand", cachedOnly)
	if err != nil {
		t.Fatal(err)
	}
	for _, j := range rep.Preparing {
		if j.EvaluationID != nil && *j.EvaluationID == *failed.EvaluationID && (j.ID == failed.ID || j.Status != domain.JobQueued) {
			t.Fatalf("cached-only diff after a write = %+v; want a new queued refresh of the base", rep.Preparing)
		}
	}
}

// laterClock is the system clock moved forward by ahead.
type laterClock struct{ ahead *atomic.Int64 }

func (c laterClock) Now() time.Time { return time.Now().Add(time.Duration(c.ahead.Load())) }

// TestDiffStopsWaitingForAnUntakenRefresh: a dashboard diff waits for the
// per-prompt means' refresh while a worker may take it, and computes from the
// scores once the refresh has sat untaken for UnclaimedRefresh (no worker runs
// here), with the same answer as a plain diff.
func TestDiffStopsWaitingForAnUntakenRefresh(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	reg, err := scoring.NewRegistry(assertion.Length(), refType())
	if err != nil {
		t.Fatal(err)
	}
	d := appDepsWith(t, reg)
	ahead := &atomic.Int64{}
	d.Clock = laterClock{ahead: ahead}
	svc, err := app.NewServices(d)
	if err != nil {
		t.Fatal(err)
	}
	words := func(n int) *string { s := strings.TrimSpace(strings.Repeat("w ", n)); return &s }
	for i, name := range []string{"untaken-base", "untaken-cand"} {
		if _, err := svc.Evaluations.Create(ctx, app.EvaluationInput{Name: name, Scorers: []domain.ScorerConfig{{Type: "length"}}}); err != nil {
			t.Fatal(err)
		}
		for p := range 4 {
			if _, err := ingest(ctx, svc, name, []app.ResponseInput{{Model: "m", Prompt: fmt.Sprintf("prompt-%d", p), Response: words(3 + p*(i+1))}}, true); err != nil {
				t.Fatal(err)
			}
		}
	}
	in := app.DiffInput{Seed: 1}
	waitIn := in
	waitIn.CachedOnly = true
	for _, step := range []string{"first", "again"} {
		rep, err := svc.Diffs.Diff(ctx, "untaken-base", "untaken-cand", waitIn)
		if err != nil || len(rep.Preparing) != 2 || rep.Scorers != nil {
			t.Fatalf("%s cached-only diff: %d jobs, %d scorers, %v; want 2 jobs and nothing compared", step, len(rep.Preparing), len(rep.Scorers), err)
		}
	}
	ahead.Store(int64(app.UnclaimedRefresh))
	rep, err := svc.Diffs.Diff(ctx, "untaken-base", "untaken-cand", waitIn)
	if err != nil || len(rep.Preparing) != 0 || len(rep.Scorers) != 1 {
		t.Fatalf("cached-only diff with the refresh untaken for %v: %d jobs, %d scorers, %v; want the diff", app.UnclaimedRefresh, len(rep.Preparing), len(rep.Scorers), err)
	}
	live, err := svc.Diffs.Diff(ctx, "untaken-base", "untaken-cand", in)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := json.Marshal(rep.View())
	want, _ := json.Marshal(live.View())
	if string(got) != string(want) {
		t.Errorf("diff once no longer waiting =\n%s\nplain diff =\n%s", got, want)
	}
}
