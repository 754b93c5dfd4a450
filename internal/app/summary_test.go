package app_test

import (
	"context"
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/rlhf-eval/rlhf-eval/internal/app"
	"github.com/rlhf-eval/rlhf-eval/internal/scoring"
	"github.com/rlhf-eval/rlhf-eval/internal/scoring/builtin"
)

func near(a, b *float64) bool {
	if a == nil || b == nil {
		return a == b
	}
	return math.Abs(*a-*b) <= 1e-9*math.Max(1, math.Abs(*b))
}

// TestSummaryMatchesOfflineDefinitions computes a summary in SQL and the same summary
// offline (Go percentiles, Go corpus BLEU over Go-summed statistics): two
// independent routes to the same definitions must agree.
func TestSummaryMatchesOfflineDefinitions(t *testing.T) {
	ctx := context.Background()
	reg, _ := builtin.Registry()
	five := 5.0
	cfgs := []scoring.Config{{Type: "length", Pass: &scoring.Pass{Max: &five}}, {Type: "bleu"}}
	full, err := app.NewServices(appDepsWith(t, reg))
	if err != nil {
		t.Fatal(err)
	}
	e, err := full.Evaluations.Create(ctx, app.EvaluationInput{Name: "summary", Scorers: cfgs})
	if err != nil {
		t.Fatal(err)
	}
	words := strings.Fields("the quick brown fox jumps over a lazy dog while seven cats sleep on warm mats")
	var in []app.ResponseInput
	var items []scoring.Item
	for i := 0; i < 37; i++ {
		resp := strings.Join(words[i%7:i%7+1+i%9], " ")
		ref := strings.Join(words[(i+1)%5:(i+1)%5+3+i%6], " ")
		model := fmt.Sprint("m", i%3)
		in = append(in, app.ResponseInput{Model: model, Prompt: fmt.Sprint("prompt ", i), Response: &resp, Reference: &ref})
		items = append(items, scoring.Item{Response: resp, Reference: ref, HasReference: true})
	}
	if _, err := full.Responses.Ingest(ctx, e.Name, in, false); err != nil {
		t.Fatal(err)
	}
	got, err := full.Summaries.Summary(ctx, e.Name, "")
	if err != nil {
		t.Fatal(err)
	}
	set, err := reg.Build(cfgs)
	if err != nil {
		t.Fatal(err)
	}
	outcomes, err := set.ScoreBatch(ctx, items)
	if err != nil {
		t.Fatal(err)
	}
	want, err := app.SummarizeOutcomes(set, outcomes)
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Scorers) != 2 {
		t.Fatalf("summary has %d scorers, want 2", len(got.Scorers))
	}
	byName := map[string]app.ScorerSummary{}
	for _, s := range want {
		byName[s.Scorer] = s
	}
	for _, g := range got.Scorers {
		w := byName[g.Scorer]
		if g.N != 37 || g.N != w.N || !near(g.Mean, w.Mean) || !near(g.SD, w.SD) || !near(g.Min, w.Min) || !near(g.Max, w.Max) ||
			!near(g.P10, w.P10) || !near(g.P50, w.P50) || !near(g.P90, w.P90) || !near(g.PassRate, w.PassRate) ||
			!near(&g.CI.Lo, &w.CI.Lo) || !near(&g.CI.Hi, &w.CI.Hi) {
			t.Errorf("%s: SQL summary %+v\nwant offline %+v", g.Scorer, g, w)
		}
		if g.Scorer == "bleu" {
			gs, ws := g.Corpus["score"].(float64), w.Corpus["score"].(float64)
			if gs != ws || gs <= 0 {
				t.Errorf("corpus bleu SQL %v, offline %v", gs, ws)
			}
		}
		if g.Scorer == "length" && (g.PassRate == nil || g.Better != scoring.NoDirection) {
			t.Errorf("length summary = %+v, want a pass rate", g)
		}
	}
	byModel, err := full.Summaries.Summary(ctx, e.Name, "model")
	if err != nil {
		t.Fatal(err)
	}
	total := int64(0)
	for _, s := range byModel.Scorers {
		if s.Scorer == "length" {
			total += s.N
		}
		if s.Model == "" {
			t.Errorf("grouped row without a model: %+v", s)
		}
	}
	if len(byModel.Scorers) != 6 || total != 37 {
		t.Errorf("by model: %d rows, %d length values; want 6 rows, 37 values", len(byModel.Scorers), total)
	}
	if _, err := full.Summaries.Summary(ctx, e.Name, "prompt"); err == nil {
		t.Errorf("group_by=prompt was accepted")
	}
}
