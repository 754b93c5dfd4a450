package stats

import (
	"cmp"
	"math"
	"slices"
)

// wilcoxonExactMax is the largest number of differences for which the exact null
// distribution is used, as in scipy 1.10.1's method="auto".
const wilcoxonExactMax = 50

// WilcoxonResult is the outcome of a two-sided Wilcoxon signed-rank test.
type WilcoxonResult struct {
	// N is the number of non-zero differences that were ranked.
	N int
	// Zeros is the number of zero differences, which were dropped.
	Zeros int
	// RPlus and RMinus are the sums of the ranks of |d| over positive and negative
	// differences; RPlus + RMinus = N(N+1)/2.
	RPlus, RMinus float64
	// Statistic is min(RPlus, RMinus), scipy's two-sided statistic.
	Statistic float64
	// Exact reports whether P comes from the exact null distribution rather than the
	// normal approximation.
	Exact bool
	// Z is the normal-approximation z-score, (Statistic − N(N+1)/4)/σ; nil when Exact.
	Z *float64
	// P is the two-sided p-value; nil when N = 0 (no non-zero difference to test).
	P *float64
}

// Wilcoxon runs the two-sided Wilcoxon signed-rank test of the hypothesis that the
// differences are symmetric about zero. It reproduces scipy.stats.wilcoxon(d) of scipy
// 1.10.1 with its defaults (zero_method="wilcox", correction=False, method="auto"),
// except for tied differences as noted below:
//
//   - Zero differences are dropped; N counts the rest. Their absolute values are ranked
//     1..N, tied values sharing the average of their ranks; ties are exact float64
//     equality of |d|, as in scipy, so differences that agree only up to rounding
//     (0.3−0.1 and 0.5−0.3) are distinct.
//   - Exact test, when N ≤ 50 and there were neither zeros nor ties: RPlus is compared
//     with its null distribution (each rank positive with probability ½ independently).
//     p = 1 when RPlus = ⌊N(N+1)/4⌋, else p = min(1, 2·min(P(R⁺ ≤ RPlus), P(R⁺ ≥ RPlus))).
//   - Normal approximation otherwise: z = (T − N(N+1)/4)/σ with T = min(RPlus, RMinus),
//     σ² = N(N+1)(2N+1)/24 − Σ(t³ − t)/48 over groups of t tied |d|, no continuity
//     correction, and p = 2·(1 − Φ(|z|)) = erfc(|z|/√2).
//
// The one deliberate difference from scipy 1.10.1: with ties but no zeros and N ≤ 50,
// scipy applies the exact distribution anyway, truncating a half-integer RPlus, which
// that distribution does not describe; here ties always take the tie-corrected normal
// approximation, which is scipy.stats.wilcoxon(d, method="approx"). (scipy 1.10 also
// decides "N ≤ 50" before dropping zeros, which changes nothing, because zeros force
// the approximation anyway.) With no non-zero differences P is nil where scipy raises.
//
// It returns ErrInvalid if a difference is NaN or infinite.
func Wilcoxon(diffs []float64) (WilcoxonResult, error) {
	if err := checkFinite(diffs); err != nil {
		return WilcoxonResult{}, err
	}
	abs := make([]float64, 0, len(diffs))
	neg := make([]bool, 0, len(diffs))
	var r WilcoxonResult
	for _, d := range diffs {
		if d == 0 {
			r.Zeros++
			continue
		}
		abs = append(abs, math.Abs(d))
		neg = append(neg, d < 0)
	}
	n := len(abs)
	r.N = n
	if n == 0 {
		return r, nil
	}
	order := make([]int, n)
	for i := range order {
		order[i] = i
	}
	slices.SortFunc(order, func(i, j int) int { return cmp.Compare(abs[i], abs[j]) })
	var tieTerm float64 // Σ(t³ − t) over tie groups
	for lo := 0; lo < n; {
		hi := lo + 1
		for hi < n && abs[order[hi]] == abs[order[lo]] {
			hi++
		}
		rank := float64(lo+hi+1) / 2 // average of ranks lo+1 .. hi
		for _, i := range order[lo:hi] {
			if neg[i] {
				r.RMinus += rank
			} else {
				r.RPlus += rank
			}
		}
		t := float64(hi - lo)
		tieTerm += t*t*t - t
		lo = hi
	}
	r.Statistic = min(r.RPlus, r.RMinus)
	nf := float64(n)
	if n <= wilcoxonExactMax && r.Zeros == 0 && tieTerm == 0 {
		r.Exact = true
		p := wilcoxonExactP(n, int(r.RPlus))
		r.P = &p
		return r, nil
	}
	mean := nf * (nf + 1) / 4
	sigma := math.Sqrt(nf*(nf+1)*(2*nf+1)/24 - tieTerm/48)
	z := (r.Statistic - mean) / sigma
	p := math.Erfc(math.Abs(z) / math.Sqrt2)
	r.Z, r.P = &z, &p
	return r, nil
}

// wilcoxonExactP returns the two-sided exact p-value for a signed-rank sum rPlus of n
// untied non-zero differences. Under the null hypothesis the number of sign patterns
// giving each sum s = 0..n(n+1)/2 is the number of subsets of {1..n} summing to s,
// counted exactly in integers (at most 2⁵⁰ for n = 50).
func wilcoxonExactP(n, rPlus int) float64 {
	total := n * (n + 1) / 2
	if rPlus == total/2 {
		return 1
	}
	counts := make([]uint64, total+1)
	counts[0] = 1
	top := 0
	for k := 1; k <= n; k++ {
		top += k
		for s := top; s >= k; s-- {
			counts[s] += counts[s-k]
		}
	}
	var le, ge uint64
	for s, c := range counts {
		if s <= rPlus {
			le += c
		}
		if s >= rPlus {
			ge += c
		}
	}
	p := 2 * float64(min(le, ge)) / math.Ldexp(1, n)
	return min(p, 1)
}
