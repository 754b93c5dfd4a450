package assertion

import (
	"context"
	"encoding/json"
	"math"
	"testing"

	"github.com/rlhf-eval/rlhf-eval/internal/domain"
	"github.com/rlhf-eval/rlhf-eval/internal/scoring"
)

// types is every scorer type of this package.
func types() []scoring.Type {
	return []scoring.Type{Length(), Contains(), Regex(), Equals(), StartsWith(), JSON()}
}

// build validates one config through a registry, as the service does, and returns its scorer.
func build(tb testing.TB, typ, params string) scoring.Scorer {
	tb.Helper()
	reg, err := scoring.NewRegistry(types()...)
	if err != nil {
		tb.Fatalf("NewRegistry: %v", err)
	}
	set, err := reg.Build([]domain.ScorerConfig{{Type: typ, Params: json.RawMessage(params)}})
	if err != nil {
		tb.Fatalf("Build(%s %s): %v", typ, params, err)
	}
	return set.Scorers()[0].Scorer
}

// run scores one response and checks the invariants every assertion keeps: no
// error, Passed set, Value 1 exactly when passed, details that marshal to JSON.
func run(tb testing.TB, s scoring.Scorer, item scoring.Item) (bool, map[string]any) {
	tb.Helper()
	res, err := s.Score(context.Background(), item)
	if err != nil {
		tb.Fatalf("Score: %v", err)
	}
	if res.Passed == nil {
		tb.Fatalf("Passed = nil, want set")
	}
	want := 0.0
	if *res.Passed {
		want = 1
	}
	if res.Value != want || math.IsNaN(res.Value) {
		tb.Fatalf("Value = %v with Passed %v, want %v", res.Value, *res.Passed, want)
	}
	raw, err := json.Marshal(res)
	if err != nil {
		tb.Fatalf("marshal result: %v", err)
	}
	// Round-trip so tests compare details as a client reads them.
	var back struct {
		Details map[string]any `json:"details"`
	}
	if err := json.Unmarshal(raw, &back); err != nil {
		tb.Fatalf("unmarshal result: %v", err)
	}
	return *res.Passed, back.Details
}

// strs converts a JSON array from round-tripped details to []string.
func strs(v any) []string {
	out := []string{}
	if a, ok := v.([]any); ok {
		for _, x := range a {
			s, _ := x.(string)
			out = append(out, s)
		}
	}
	return out
}
