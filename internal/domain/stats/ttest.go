package stats

import (
	"fmt"
	"math"
)

// TTestResult is the outcome of a two-sided one-sample t-test on paired differences.
type TTestResult struct {
	// N is the number of differences.
	N int
	// Mean is the mean difference (0 when N = 0).
	Mean float64
	// SD is the sample standard deviation of the differences; nil when N < 2.
	SD *float64
	// DF is the degrees of freedom, N − 1 (0 when N = 0).
	DF int
	// T is Mean/(SD/√N); nil when N < 2 or when SD = 0 and Mean ≠ 0 (T would be infinite).
	T *float64
	// P is the two-sided p-value P(|T_DF| ≥ |T|); nil when N < 2 or when SD = 0 and
	// Mean ≠ 0.
	P *float64
}

// PairedT runs the paired t-test on the differences d = candidate − base, the same test
// as scipy.stats.ttest_rel(candidate, base) (scipy 1.10.1): t = mean(d)/(sd(d)/√n) with
// the sample standard deviation, n − 1 degrees of freedom, and the two-sided p-value
// P(|T| ≥ |t|) = I_(df/(df+t²))(df/2, ½).
//
// Where scipy returns NaN or an infinity the result is defined instead: with fewer than
// two differences T and P are nil; when every difference is equal (SD = 0) and zero,
// T = 0 and P = 1, since there is no difference to detect; when every difference is the
// same non-zero value, T and P are nil (scipy reports t = ±inf, p = 0), because the test's
// model of normally distributed differences with positive variance does not hold.
// It returns ErrInvalid if a difference is NaN or infinite, or so large that the
// standard deviation overflows.
func PairedT(diffs []float64) (TTestResult, error) {
	if err := checkFinite(diffs); err != nil {
		return TTestResult{}, err
	}
	r := TTestResult{N: len(diffs)}
	if r.N == 0 {
		return r, nil
	}
	mean, sd := meanSD(diffs)
	if !finite(sd) {
		return TTestResult{}, fmt.Errorf("t-test: differences too large for float64 statistics: %w", ErrInvalid)
	}
	r.Mean, r.DF = mean, r.N-1
	if r.N < 2 {
		return r, nil
	}
	r.SD = &sd
	switch {
	case sd == 0 && mean == 0:
		t, p := 0.0, 1.0
		r.T, r.P = &t, &p
	case sd == 0:
	default:
		t := mean / (sd / math.Sqrt(float64(r.N)))
		if math.IsInf(t, 0) {
			return r, nil
		}
		p := min(1, 2*studentTTail(math.Abs(t), float64(r.DF)))
		r.T, r.P = &t, &p
	}
	return r, nil
}
