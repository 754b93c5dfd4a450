package app

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/rlhf-eval/rlhf-eval/internal/domain"
	"github.com/rlhf-eval/rlhf-eval/internal/ports"
)

func TestBootstrapRounds(t *testing.T) {
	t.Parallel()
	n := func(v int) *int { return &v }
	// 60,000 pairs (the benchmark's 20,000 prompts × 3 scorers): 1,000 rounds
	// would resample 60 million values; 20 million allow 333 rounds.
	big := 60_000
	tests := []struct {
		name        string
		asked       *int
		pairs       int
		rounds      int
		limited     bool
		wantInvalid bool
	}{
		{"default fits", nil, 20_000, DefaultBootstrapRounds, false, false},
		{"default limited to the most allowed", nil, big, MaxBootstrapDraws / big, true, false},
		{"no pairs", nil, 0, DefaultBootstrapRounds, false, false},
		{"asked within the cap", n(300), big, 300, false, false},
		{"asked at the cap", n(MaxBootstrapDraws / big), big, MaxBootstrapDraws / big, false, false},
		{"asked over the cap", n(1000), big, 0, false, true},
		{"asked zero", n(0), big, 0, false, false},
		{"more pairs than draws", nil, MaxBootstrapDraws + 1, 0, true, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			rounds, limited, err := bootstrapRounds(tt.asked, tt.pairs)
			var ve *domain.ValidationError
			if tt.wantInvalid {
				if !errors.As(err, &ve) || ve.Field != "bootstrap" {
					t.Fatalf("error = %v, want a validation error on bootstrap", err)
				}
				if want := fmt.Sprintf("at most %d", MaxBootstrapDraws/tt.pairs); !strings.Contains(err.Error(), want) {
					t.Errorf("error = %q, want it to name %q", err, want)
				}
				return
			}
			if err != nil || rounds != tt.rounds || limited != tt.limited {
				t.Errorf("bootstrapRounds = %d, %v, %v; want %d, %v", rounds, limited, err, tt.rounds, tt.limited)
			}
		})
	}
}

func TestPairPromptMeans(t *testing.T) {
	t.Parallel()
	f := func(v float64) *float64 { return &v }
	base := []ports.PromptMeans{
		{Scorer: "a", PromptIDs: []string{"p1", "p2", "p4"}, N: []int64{1, 2, 1}, Means: []float64{1, 2, 4}, PassRates: []*float64{f(1), nil, f(0)}},
		{Scorer: "b", PromptIDs: []string{"p1"}, N: []int64{1}, Means: []float64{9}, PassRates: []*float64{nil}},
	}
	cand := []ports.PromptMeans{
		// "P" sorts before "p" bytewise, whatever a collation would say.
		{Scorer: "a", PromptIDs: []string{"P0", "p2", "p3", "p4"}, N: []int64{1, 1, 1, 3}, Means: []float64{7, 3, 5, 6}, PassRates: []*float64{nil, f(0.5), nil, f(1)}},
		{Scorer: "c", PromptIDs: []string{"p1"}, N: []int64{1}, Means: []float64{1}, PassRates: []*float64{nil}},
	}
	got, err := pairPromptMeans(base, cand, "")
	if err != nil {
		t.Fatal(err)
	}
	show := func(sds []ScorerDiff) string {
		s := ""
		for _, sd := range sds {
			s += fmt.Sprintf("%s base-only %d cand-only %d:", sd.Scorer, sd.BaseOnly, sd.CandidateOnly)
			for _, p := range sd.Pairs {
				pass := func(p *float64) string {
					if p == nil {
						return "-"
					}
					return fmt.Sprint(*p)
				}
				s += fmt.Sprintf(" %s %v/%s→%v/%s", p.PromptID, p.Base, pass(p.BasePass), p.Cand, pass(p.CandPass))
			}
			s += "; "
		}
		return s
	}
	want := "a base-only 1 cand-only 2: p2 2/-→3/0.5 p4 4/0→6/1; b base-only 1 cand-only 0:; c base-only 0 cand-only 1:; "
	if g := show(got); g != want {
		t.Errorf("pairPromptMeans = %s\nwant %s", g, want)
	}
	got, err = pairPromptMeans(base, cand, "b")
	if err != nil || len(got) != 1 || got[0].Scorer != "b" {
		t.Errorf("pairPromptMeans(scorer b) = %s, %v; want b only", show(got), err)
	}
	unsorted := []ports.PromptMeans{{Scorer: "a", PromptIDs: []string{"p2", "p1"}, N: []int64{1, 1}, Means: []float64{1, 2}, PassRates: []*float64{nil, nil}}}
	if _, err := pairPromptMeans(unsorted, cand, ""); err == nil {
		t.Errorf("pairPromptMeans accepted prompts out of order")
	}
}
