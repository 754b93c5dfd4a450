package stats

import (
	"errors"
	"math"
	"math/rand/v2"
	"testing"
)

func TestPairedBootstrapCIHandDerived(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		diffs  []float64
		wantLo float64
		wantHi float64
	}{
		// Every resample of one value is that value.
		{"one pair", []float64{0.375}, 0.375, 0.375},
		// Every resample of equal values has their mean.
		{"constant", []float64{0.25, 0.25, 0.25, 0.25, 0.25}, 0.25, 0.25},
		// Resamples of {0, 1} have mean 0, ½ or 1 with probabilities ¼, ½, ¼. Of 4000
		// rounds about 1000 (sd 27) have mean 0 and as many mean 1, so the order
		// statistics at 2.5% (position 99.975) and 97.5% are 0 and 1.
		{"two points", []float64{0, 1}, 0, 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := PairedBootstrapCI(tc.diffs, 4000, 1, 0.95)
			if err != nil {
				t.Fatalf("PairedBootstrapCI: %v", err)
			}
			if got == nil || got.Lo != tc.wantLo || got.Hi != tc.wantHi || got.Level != 0.95 {
				t.Errorf("PairedBootstrapCI = %+v, want [%v, %v]", got, tc.wantLo, tc.wantHi)
			}
		})
	}
}

func TestPairedBootstrapCIMatchesTheory(t *testing.T) {
	t.Parallel()
	// For a large sample the bootstrap distribution of the mean is close to normal with
	// standard error s·√((n−1)/n)/√n, so the 95% percentile interval is close to the t
	// interval. With 4000 rounds the Monte Carlo error of a 2.5% quantile is about
	// √(0.025·0.975/4000)/φ(1.96) ≈ 0.043 standard errors, so each end must lie within
	// 0.25 standard errors (about six Monte Carlo deviations) of the t interval's.
	d := deterministicDiffs(2000, 0.45)
	mean, sd := meanSD(d)
	n := float64(len(d))
	se := sd / math.Sqrt(n)
	tci, err := MeanCI(len(d), mean, sd, 0.95)
	if err != nil {
		t.Fatal(err)
	}
	got, err := PairedBootstrapCI(d, 4000, 42, 0.95)
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(got.Lo-tci.Lo) > 0.25*se || math.Abs(got.Hi-tci.Hi) > 0.25*se {
		t.Errorf("bootstrap interval = [%v, %v], want within %v of the t interval [%v, %v]",
			got.Lo, got.Hi, 0.25*se, tci.Lo, tci.Hi)
	}
}

func TestPairedBootstrapCIReproducible(t *testing.T) {
	t.Parallel()
	d := deterministicDiffs(300, 0.5)
	a, _ := PairedBootstrapCI(d, 500, 7, 0.9)
	b, _ := PairedBootstrapCI(d, 500, 7, 0.9)
	c, _ := PairedBootstrapCI(d, 500, 8, 0.9)
	if *a != *b {
		t.Errorf("same seed gave %+v and %+v", *a, *b)
	}
	// Another seed draws other resamples; with 300 distinct-enough values the chance
	// that both ends coincide is negligible.
	if *a == *c {
		t.Errorf("seeds 7 and 8 gave the same interval %+v", *a)
	}
}

func TestPairedBootstrapCIErrors(t *testing.T) {
	t.Parallel()
	if got, err := PairedBootstrapCI(nil, 10, 1, 0.95); got != nil || err != nil {
		t.Errorf("PairedBootstrapCI(empty) = %v, %v; want nil, nil", got, err)
	}
	for _, tc := range []struct {
		name   string
		diffs  []float64
		rounds int
		level  float64
	}{
		{"no rounds", []float64{1}, 0, 0.95},
		{"level 1", []float64{1}, 10, 1},
		{"nan", []float64{1, math.NaN()}, 10, 0.95},
	} {
		if _, err := PairedBootstrapCI(tc.diffs, tc.rounds, 1, tc.level); !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: error = %v, want ErrInvalid", tc.name, err)
		}
	}
}

func TestUniformIndex(t *testing.T) {
	t.Parallel()
	// 60,000 draws over 3 values: each count is Binomial(60000, ⅓), sd ≈ 115; a count
	// more than 6 sd from 20,000 would mean a biased reduction.
	src := rand.NewPCG(3, 3)
	var counts [3]int
	for range 60000 {
		counts[uniformIndex(src, 3)]++
	}
	for i, c := range counts {
		if math.Abs(float64(c)-20000) > 6*115 {
			t.Errorf("count[%d] = %d, want 20000 ± 690", i, c)
		}
	}
}

func TestBootstrapStopsWhenCanceled(t *testing.T) {
	t.Parallel()
	done := make(chan struct{})
	close(done)
	pairs := []Pair{{PromptID: "a", Base: 1, Cand: 2}, {PromptID: "b", Base: 2, Cand: 2.5}}
	_, err := Compare(pairs, CompareOptions{Better: HigherIsBetter, Alpha: 0.05, Level: 0.95, Rounds: 1000, Cancel: done})
	if err != ErrCanceled {
		t.Errorf("Compare with a closed channel: %v, want ErrCanceled", err)
	}
}
