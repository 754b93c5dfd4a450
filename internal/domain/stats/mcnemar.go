package stats

import (
	"fmt"
	"math"
)

// McNemarExact returns the two-sided p-value of McNemar's exact test for paired
// pass/fail outcomes, given the discordant counts: b pairs where only the base passed
// and c pairs where only the candidate passed. Under the null hypothesis each
// discordant pair goes either way with probability ½, so
//
//	p = min(1, 2·P(X ≤ min(b, c))), X ~ Binomial(b + c, ½),
//
// which is statsmodels 0.13.5's mcnemar(table, exact=True) (there, b and c are the
// off-diagonal cells table[0][1] and table[1][0]). With no discordant pairs p = 1.
// Up to 62 discordant pairs the binomial sum is exact in integer arithmetic; beyond, it
// is BinomialCDF. It returns ErrInvalid for a negative count.
func McNemarExact(b, c int) (float64, error) {
	if b < 0 || c < 0 {
		return 0, fmt.Errorf("mcnemar counts %d, %d: %w", b, c, ErrInvalid)
	}
	n, k := b+c, min(b, c)
	if n <= 62 {
		// Σ_{i≤k} C(n, i) ≤ 2⁶¹ for k < n/2, so neither the terms nor the sum overflow.
		var term, total uint64 = 1, 1
		for i := 1; i <= k; i++ {
			term = term * uint64(n-i+1) / uint64(i)
			total += term
		}
		return min(1, math.Ldexp(float64(total), 1-n)), nil
	}
	return min(1, 2*BinomialCDF(k, n, 0.5)), nil
}
