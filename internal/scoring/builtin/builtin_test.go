package builtin_test

import (
	"context"
	"encoding/json"
	"math"
	"strings"
	"testing"

	"github.com/rlhf-eval/rlhf-eval/internal/domain"
	"github.com/rlhf-eval/rlhf-eval/internal/scoring"
	"github.com/rlhf-eval/rlhf-eval/internal/scoring/builtin"
)

// TestEveryTypeWorksWithDefaults builds each built-in type with empty params (or
// the smallest params it needs) and scores a few awkward items: results must be
// finite and marshal to JSON.
func TestEveryTypeWorksWithDefaults(t *testing.T) {
	t.Parallel()
	reg, err := builtin.Registry()
	if err != nil {
		t.Fatal(err)
	}
	// Types whose params have a required field get a minimal valid config.
	required := map[string]string{
		"contains":    `{"values": ["a"]}`,
		"regex":       `{"pattern": "a+"}`,
		"starts_with": `{"value": "The"}`,
		"equals":      `{"use_reference": true}`,
		"judge":       `{"judge": "reward-model"}`,
	}
	items := []scoring.Item{
		{Prompt: "p", Response: "", Reference: "", HasReference: true},
		{Prompt: "p", Response: "The cat sat on the mat.", Reference: "The cat is on the mat.", HasReference: true},
		{Prompt: "p", Response: "日本語のテキストです。Ünïcödé ✓ 🙂", Reference: "日本語", HasReference: true},
		{Prompt: "p", Response: strings.Repeat("word ", 2000), Reference: strings.Repeat("word ", 1000), HasReference: true},
	}
	for _, typ := range reg.Types() {
		t.Run(typ.Name, func(t *testing.T) {
			t.Parallel()
			params := required[typ.Name]
			cfg := domain.ScorerConfig{Type: typ.Name}
			if params != "" {
				cfg.Params = json.RawMessage(params)
			}
			set, err := reg.Build([]domain.ScorerConfig{cfg})
			if err != nil {
				t.Fatalf("Build(%s): %v", typ.Name, err)
			}
			if typ.Description == "" {
				t.Errorf("%s has no description", typ.Name)
			}
			if !json.Valid(typ.ParamsSchema) {
				t.Errorf("%s params schema is not JSON", typ.Name)
			}
			out, err := set.ScoreBatch(context.Background(), items)
			if err != nil {
				t.Fatal(err)
			}
			for i, o := range out {
				if typ.RunsLater {
					// A Set never runs these: the outcome only says so.
					if !o[0].Later || o[0].Err != nil {
						t.Errorf("item %d: got %+v, want an outcome marked Later", i, o[0])
					}
					continue
				}
				if o[0].Later {
					t.Errorf("item %d: outcome marked Later from a type that runs inline", i)
				}
				if o[0].Err != nil {
					t.Errorf("item %d: %v", i, o[0].Err)
					continue
				}
				v := o[0].Result.Value
				if math.IsNaN(v) || math.IsInf(v, 0) {
					t.Errorf("item %d: value %v", i, v)
				}
				if _, err := json.Marshal(o[0].Result); err != nil {
					t.Errorf("item %d: result does not marshal: %v", i, err)
				}
			}
		})
	}
}
