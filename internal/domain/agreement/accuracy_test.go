package agreement

import (
	"errors"
	"math"
	"testing"

	"github.com/rlhf-eval/rlhf-eval/internal/domain"
)

func TestScorerAccuracy(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name           string
		comparisons    []ScoredComparison
		higherIsBetter bool
		correct, n     int
		equal, ties    int
		lo, hi         float64 // statsmodels 0.13.5 proportion_confint(correct, n, alpha=0.05, method="wilson")
	}{
		{
			// 9 judged pairs: 7 where the preferred side scores higher, one equal (wrong,
			// as in RewardBench), one wrong way round; one tie left out. A soft 0.7
			// prefers B, a soft 0.2 prefers A.
			name: "higher is better",
			comparisons: []ScoredComparison{
				{ScoreA: 0.1, ScoreB: 0.9, Preference: 1},
				{ScoreA: 0.8, ScoreB: 0.3, Preference: 0},
				{ScoreA: 2, ScoreB: 3, Preference: 0.7},
				{ScoreA: 5, ScoreB: -1, Preference: 0.2},
				{ScoreA: 0, ScoreB: 1, Preference: 1},
				{ScoreA: 1, ScoreB: 0, Preference: 0},
				{ScoreA: -3, ScoreB: -2, Preference: 0.9},
				{ScoreA: 0.5, ScoreB: 0.5, Preference: 1},
				{ScoreA: 0.9, ScoreB: 0.1, Preference: 1},
				{ScoreA: 0.2, ScoreB: 0.4, Preference: 0.5},
			},
			higherIsBetter: true,
			correct:        7, n: 9, equal: 1, ties: 1,
			lo: 0.45258896910698887, hi: 0.9367748928821533,
		},
		{
			// The first four pairs above read as "lower is better" (a perplexity, say):
			// each becomes wrong, and the equal pair stays wrong.
			name: "lower is better",
			comparisons: []ScoredComparison{
				{ScoreA: 0.1, ScoreB: 0.9, Preference: 1},
				{ScoreA: 0.8, ScoreB: 0.3, Preference: 0},
				{ScoreA: 2, ScoreB: 3, Preference: 0.7},
				{ScoreA: 5, ScoreB: -1, Preference: 0.2},
				{ScoreA: 0.5, ScoreB: 0.5, Preference: 1},
			},
			correct: 0, n: 5, equal: 1,
			lo: 0, hi: 0.43448246478317487,
		},
		{
			name: "all correct",
			comparisons: []ScoredComparison{
				{ScoreA: 1, ScoreB: 2, Preference: 1}, {ScoreA: 1, ScoreB: 2, Preference: 1},
				{ScoreA: 1, ScoreB: 2, Preference: 1}, {ScoreA: 3, ScoreB: 2, Preference: 0},
				{ScoreA: math.Inf(1), ScoreB: 2, Preference: 0},
			},
			higherIsBetter: true,
			correct:        5, n: 5,
			lo: 0.5655175352168252, hi: 1,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := ScorerAccuracy(tt.comparisons, tt.higherIsBetter)
			if err != nil {
				t.Fatal(err)
			}
			if got.Correct != tt.correct || got.N != tt.n || got.EqualScores != tt.equal || got.Ties != tt.ties {
				t.Errorf("correct, n, equal, ties = %d, %d, %d, %d, want %d, %d, %d, %d",
					got.Correct, got.N, got.EqualScores, got.Ties, tt.correct, tt.n, tt.equal, tt.ties)
			}
			if want := float64(tt.correct) / float64(tt.n); !near(got.Accuracy, want, 1e-15) {
				t.Errorf("accuracy = %v, want %v", show(got.Accuracy), want)
			}
			if !near(got.CILow, tt.lo, 1e-12) || !near(got.CIHigh, tt.hi, 1e-12) {
				t.Errorf("interval = [%v, %v], want [%v, %v]", show(got.CILow), show(got.CIHigh), tt.lo, tt.hi)
			}
		})
	}
}

func TestWilsonLargeSample(t *testing.T) {
	t.Parallel()
	// statsmodels 0.13.5 proportion_confint(412, 530, alpha=0.05, method="wilson").
	lo, hi := wilson(412, 530, z975)
	if math.Abs(lo-0.7400159330977681) > 1e-12 || math.Abs(hi-0.8107093714701342) > 1e-12 {
		t.Errorf("wilson(412, 530) = [%v, %v], want [0.7400159330977681, 0.8107093714701342]", lo, hi)
	}
}

func TestScorerAccuracyUndefined(t *testing.T) {
	t.Parallel()
	// Only ties: nothing to be right or wrong about.
	got, err := ScorerAccuracy([]ScoredComparison{{ScoreA: 1, ScoreB: 2, Preference: 0.5}}, true)
	if err != nil {
		t.Fatal(err)
	}
	if got.Accuracy != nil || got.CILow != nil || got.CIHigh != nil || got.N != 0 || got.Ties != 1 {
		t.Errorf("accuracy = %+v, want nil values with N 0 and 1 tie", got)
	}
}

func TestScorerAccuracyErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		c     ScoredComparison
		field string
	}{
		{"preference above 1", ScoredComparison{ScoreA: 1, ScoreB: 2, Preference: 1.1}, "comparisons[0].preference"},
		{"nan preference", ScoredComparison{ScoreA: 1, ScoreB: 2, Preference: math.NaN()}, "comparisons[0].preference"},
		{"nan score", ScoredComparison{ScoreA: math.NaN(), ScoreB: 2, Preference: 1}, "comparisons[0].score_a"},
		{"nan score b", ScoredComparison{ScoreA: 1, ScoreB: math.NaN(), Preference: 1}, "comparisons[0].score_b"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := ScorerAccuracy([]ScoredComparison{tt.c}, true)
			var verr *domain.ValidationError
			if !errors.As(err, &verr) || verr.Field != tt.field {
				t.Errorf("error = %v, want a ValidationError on %q", err, tt.field)
			}
		})
	}
}

// TestAccuracyFromCountsMatchesScorerAccuracy checks that counting first and
// computing from counts gives exactly what ScorerAccuracy gives on the comparisons.
func TestAccuracyFromCountsMatchesScorerAccuracy(t *testing.T) {
	t.Parallel()
	cs := []ScoredComparison{
		{ScoreA: 1, ScoreB: 2, Preference: 1}, {ScoreA: 3, ScoreB: 2, Preference: 0}, {ScoreA: 1, ScoreB: 1, Preference: 1},
		{ScoreA: 5, ScoreB: 1, Preference: 0.9}, {ScoreA: 2, ScoreB: 2, Preference: 0.5}, {ScoreA: 0, ScoreB: 4, Preference: 0.2},
	}
	want, err := ScorerAccuracy(cs, true)
	if err != nil {
		t.Fatal(err)
	}
	// By hand: judged 5 (one tie left out); correct: #1 (B preferred, B higher), #2 (A
	// preferred, A higher); #3 equal; #4 B preferred but A higher; #6 A preferred but
	// B higher. So 2 correct, 1 equal.
	got, err := AccuracyFromCounts(2, 5, 1, 1)
	if err != nil {
		t.Fatal(err)
	}
	if *got.Accuracy != *want.Accuracy || *got.CILow != *want.CILow || *got.CIHigh != *want.CIHigh ||
		got.Correct != want.Correct || got.N != want.N || got.EqualScores != want.EqualScores || got.Ties != want.Ties {
		t.Errorf("AccuracyFromCounts = %+v, want %+v", got, want)
	}
	if _, err := AccuracyFromCounts(3, 2, 0, 0); err == nil {
		t.Errorf("more correct than judged was accepted")
	}
}
