package app_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/rlhf-eval/rlhf-eval/internal/app"
	"github.com/rlhf-eval/rlhf-eval/internal/domain"
	"github.com/rlhf-eval/rlhf-eval/internal/domain/stats"
	"github.com/rlhf-eval/rlhf-eval/internal/scoring/builtin"
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
