package ranking

import (
	"math"
	"math/rand/v2"
	"testing"
)

// binomialPMF is the exact Binomial(n, p) probability of k.
func binomialPMF(n, k int, p float64) float64 {
	return math.Exp(lgamma(float64(n+1)) - lgamma(float64(k+1)) - lgamma(float64(n-k+1)) +
		float64(k)*math.Log(p) + float64(n-k)*math.Log1p(-p))
}

func TestBinomialDistribution(t *testing.T) {
	t.Parallel()
	// A chi-square goodness-of-fit test of 40,000 draws against the exact pmf, bins with
	// an expected count of at least 5 (tails pooled). The threshold is the chi-square
	// quantile at 1 − 1e-4 by the Wilson–Hilferty approximation; with a fixed seed the
	// test is deterministic, and a wrong sampler misses it by orders of magnitude.
	tests := []struct {
		name string
		n    int
		p    float64
	}{
		{"inversion", 30, 0.2},
		{"inversion mirrored", 40, 0.85},
		{"btrs", 200, 0.3},
		{"btrs small p", 5000, 0.01},
		{"btrs mirrored", 1000, 0.7},
		{"btrs half", 100_000, 0.5},
	}
	const draws = 40_000
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			rng := rand.New(rand.NewPCG(42, 7))
			counts := make([]int, tt.n+1)
			sum, sumSq := 0.0, 0.0
			for range draws {
				k := binomial(rng, tt.n, tt.p)
				if k < 0 || k > tt.n {
					t.Fatalf("draw %d outside [0, %d]", k, tt.n)
				}
				counts[k]++
				sum += float64(k)
				sumSq += float64(k) * float64(k)
			}
			chi, df := 0.0, -1
			obs, exp, cdf := 0.0, 0.0, 0.0
			for k := 0; k <= tt.n; k++ {
				pk := binomialPMF(tt.n, k, tt.p)
				cdf += pk
				obs += float64(counts[k])
				exp += draws * pk
				if exp >= 5 && (k == tt.n || draws*(1-cdf) >= 5) {
					chi += (obs - exp) * (obs - exp) / exp
					df++
					obs, exp = 0, 0
				}
			}
			if exp > 0 { // pool the leftover upper tail into the statistic
				chi += (obs - exp) * (obs - exp) / exp
				df++
			}
			z := 3.719 // standard normal quantile at 1 − 1e-4
			d := float64(df)
			crit := d * math.Pow(1-2/(9*d)+z*math.Sqrt(2/(9*d)), 3)
			if chi > crit {
				t.Errorf("chi-square = %.1f on %d degrees of freedom, want below %.1f", chi, df, crit)
			}
			mean := sum / draws
			sd := math.Sqrt(float64(tt.n) * tt.p * (1 - tt.p))
			if math.Abs(mean-float64(tt.n)*tt.p) > 5*sd/math.Sqrt(draws) {
				t.Errorf("mean = %v, want %v", mean, float64(tt.n)*tt.p)
			}
		})
	}
}

func TestBinomialEdges(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(1, 1))
	for _, tt := range []struct {
		n    int
		p    float64
		want int
	}{{0, 0.5, 0}, {10, 0, 0}, {10, 1, 10}, {7, 1.5, 7}} {
		if got := binomial(rng, tt.n, tt.p); got != tt.want {
			t.Errorf("binomial(%d, %v) = %d, want %d", tt.n, tt.p, got, tt.want)
		}
	}
}

func TestMultinomial(t *testing.T) {
	t.Parallel()
	// Draws add up to the total, empty categories stay empty, and over many rounds each
	// category's mean count approaches total·weight/Σweights.
	rng := rand.New(rand.NewPCG(9, 9))
	weights := []int{5, 0, 100, 1, 894}
	const total, rounds = 10_000, 2000
	means := make([]float64, len(weights))
	out := make([]int32, len(weights))
	for range rounds {
		multinomial(rng, total, weights, out)
		sum := 0
		for k, c := range out {
			sum += int(c)
			means[k] += float64(c) / rounds
		}
		if sum != total || out[1] != 0 {
			t.Fatalf("draw %v: sum %d, want %d with category 1 empty", out, sum, total)
		}
	}
	for k, w := range weights {
		p := float64(w) / 1000
		want := total * p
		sd := math.Sqrt(total * p * (1 - p) / rounds)
		if math.Abs(means[k]-want) > 5*sd+1e-12 {
			t.Errorf("mean count[%d] = %v, want %v", k, means[k], want)
		}
	}
}
