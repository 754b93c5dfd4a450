package ranking

import (
	"math"
	"math/rand/v2"
)

// multinomial draws total trials over categories with probabilities proportional to
// weights (non-negative integers) into out, as conditional binomials: category k gets
// Binomial(remaining trials, weights[k] / Σ_{l≥k} weights[l]). The cost is one binomial
// draw per category, independent of total.
func multinomial(rng *rand.Rand, total int, weights []int, out []int32) {
	rest := 0
	for _, w := range weights {
		rest += w
	}
	left := total
	for k, w := range weights {
		if left == 0 || w == 0 {
			out[k] = 0
			rest -= w
			continue
		}
		if w == rest {
			out[k] = int32(left)
			left = 0
			rest = 0
			continue
		}
		x := binomial(rng, left, float64(w)/float64(rest))
		out[k] = int32(x)
		left -= x
		rest -= w
	}
}

// binomial draws from Binomial(n, p) exactly: by inversion (sequential search from 0)
// when n·min(p,1−p) < 10, otherwise by Hörmann's BTRS transformed rejection with
// squeeze (W. Hörmann, "The generation of binomial random variates", Journal of
// Statistical Computation and Simulation 46, 1993).
func binomial(rng *rand.Rand, n int, p float64) int {
	switch {
	case n <= 0 || p <= 0:
		return 0
	case p >= 1:
		return n
	case p > 0.5:
		return n - binomial(rng, n, 1-p)
	case float64(n)*p < 10:
		return binomialInversion(rng, n, p)
	}
	return binomialBTRS(rng, n, p)
}

// binomialInversion walks the cumulative distribution from 0 with the recurrence
// P(k+1) = P(k) · (n−k)/(k+1) · p/q. Requires p ≤ ½ and n·p < 10, so P(0) = qⁿ ≥ e^(−20).
func binomialInversion(rng *rand.Rand, n int, p float64) int {
	q := 1 - p
	ratio := p / q
	p0 := math.Exp(float64(n) * math.Log1p(-p))
	for {
		u := rng.Float64()
		prob := p0
		for k := 0; k <= n; k++ {
			if u < prob {
				return k
			}
			u -= prob
			prob *= ratio * float64(n-k) / float64(k+1)
		}
		// Rounding left u above the total mass: draw again (probability ~1e-16).
	}
}

// binomialBTRS is Hörmann's algorithm BTRS for p ≤ ½ and n·p ≥ 10.
func binomialBTRS(rng *rand.Rand, n int, p float64) int {
	nf := float64(n)
	q := 1 - p
	spq := math.Sqrt(nf * p * q)
	b := 1.15 + 2.53*spq
	a := -0.0873 + 0.0248*b + 0.01*p
	c := nf*p + 0.5
	vr := 0.92 - 4.2/b
	alpha := (2.83 + 5.1/b) * spq
	lpq := math.Log(p / q)
	m := math.Floor((nf + 1) * p)
	h := lgamma(m+1) + lgamma(nf-m+1)
	for {
		u := rng.Float64() - 0.5
		v := rng.Float64()
		us := 0.5 - math.Abs(u)
		if us <= 0 {
			continue
		}
		k := math.Floor((2*a/us+b)*u + c)
		if !(k >= 0 && k <= nf) {
			continue
		}
		if us >= 0.07 && v <= vr {
			return int(k)
		}
		v = math.Log(v * alpha / (a/(us*us) + b))
		if v <= h-lgamma(k+1)-lgamma(nf-k+1)+(k-m)*lpq {
			return int(k)
		}
	}
}

func lgamma(x float64) float64 {
	v, _ := math.Lgamma(x)
	return v
}

// percentile returns the q-th quantile (0 ≤ q ≤ 1) of sorted values by linear
// interpolation between the order statistics at positions ⌊q(n−1)⌋ and ⌈q(n−1)⌉ —
// numpy.percentile's and pandas.quantile's default ("linear").
func percentile(sorted []float64, q float64) float64 {
	n := len(sorted)
	if n == 1 {
		return sorted[0]
	}
	pos := q * float64(n-1)
	lo := int(math.Floor(pos))
	if lo >= n-1 {
		return sorted[n-1]
	}
	frac := pos - float64(lo)
	return sorted[lo] + frac*(sorted[lo+1]-sorted[lo])
}
