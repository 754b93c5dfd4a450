package stats

import (
	"math"
	"testing"
)

// closeRel reports whether got is within rel (relative) of want, treating exact
// equality, including of infinities, as a match.
func closeRel(got, want, rel float64) bool {
	if got == want {
		return true
	}
	return math.Abs(got-want) <= rel*math.Abs(want)
}

// Unless a row says otherwise, expected values below are the true values to double
// precision, computed with mpmath 1.2.1 at 40 significant digits (mp.ncdf, mp.findroot
// on it, the regularized incomplete beta as a hypergeometric series, and the Student t
// tail as mp.quad of the density). Where scipy 1.10.1 (scipy.special.ndtr, ndtri,
// stdtr, stdtrit, betainc) differs beyond the test tolerance, its value is noted.

func TestNormalCDF(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		x    float64
		want float64
	}{
		{"centre", 0, 0.5},
		{"lower 2.5%", -1.959963984540054, 0.025000000000000012},
		{"one sd", 1, 0.8413447460685429},
		{"three sd", 3, 0.9986501019683699},
		{"far tail", -10, 7.619853024160525e-24}, // scipy ndtr: 7.61985302416047e-24
		{"near underflow", -37.5, 4.605353009581955e-308},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := NormalCDF(tc.x); !closeRel(got, tc.want, 1e-13) {
				t.Errorf("NormalCDF(%v) = %v, want %v", tc.x, got, tc.want)
			}
		})
	}
}

func TestNormalQuantile(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		p    float64
		want float64
	}{
		{"97.5%", 0.975, 1.9599639845400538},
		{"median", 0.5, 0},
		{"1e-4", 0.0001, -3.7190164854556804},
		{"1e-300", 1e-300, -37.0470962993612},
		{"30%", 0.3, -0.5244005127080408},
		{"upper tail", 0.999999, 4.753424308817087},
		{"zero", 0, math.Inf(-1)},
		{"one", 1, math.Inf(1)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			// Near p = 1 the input itself carries an absolute error of 1e-16, which
			// limits any quantile to about 1e-11 relative there.
			tol := 1e-15
			if tc.p > 0.99 {
				tol = 1e-11
			}
			if got := NormalQuantile(tc.p); !closeRel(got, tc.want, tol) {
				t.Errorf("NormalQuantile(%v) = %v, want %v", tc.p, got, tc.want)
			}
		})
	}
	for _, p := range []float64{-0.1, 1.5, math.NaN()} {
		if got := NormalQuantile(p); !math.IsNaN(got) {
			t.Errorf("NormalQuantile(%v) = %v, want NaN", p, got)
		}
	}
}

func TestStudentTCDF(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		t, df float64
		want  float64
	}{
		// df = 1 is the Cauchy distribution: F(t) = ½ + atan(t)/π, and
		// ½ + atan(2)/π = 0.8524163823495667 (hand derivation, atan(2) = 1.1071487177940904).
		{"cauchy", 2, 1, 0.8524163823495667},
		// df = 2: F(t) = ½ + t/(2√(2+t²)); F(−2) = ½ − 1/√6 = 0.09175170953613698.
		{"df 2 closed form", -2, 2, 0.09175170953613698},
		{"df 5", -3.5, 5, 0.008642215892646677},
		{"df 30", -1.5, 30, 0.072032964564323}, // scipy stdtr: 0.07203296456432302
		{"positive t", 1.3, 15, 0.8933883394433686},
		{"fractional df", -0.25, 3.5, 0.40828039974753794},
		{"small tail", -40, 10, 1.1404288715428774e-12}, // scipy stdtr: 1.1404288715428737e-12
		// Above 4000 degrees of freedom the tail is integrated numerically.
		{"df 9999", -2.5, 9999, 0.006217610570010085},      // scipy stdtr: 0.006217610570010089
		{"df 4001 tail", -12, 4001, 6.408712852628373e-33}, // scipy stdtr: 6.408712852628483e-33
		{"df 1e6", -5, 1e6, 2.866998935445371e-07},         // scipy stdtr: 2.8669989354453655e-07
		{"infinite df is normal", -1.959963984540054, math.Inf(1), 0.025000000000000012},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := StudentTCDF(tc.t, tc.df); !closeRel(got, tc.want, 1e-13) {
				t.Errorf("StudentTCDF(%v, %v) = %v, want %v", tc.t, tc.df, got, tc.want)
			}
		})
	}
}

func TestStudentTQuantile(t *testing.T) {
	t.Parallel()
	// The 0.975 rows are the t multipliers of a 95% confidence interval. scipy 1.10.1's
	// stdtrit is off in the tenth digit for several of them (df = 1: 12.706204736432095).
	tests := []struct {
		name  string
		p, df float64
		want  float64
	}{
		{"df 1", 0.975, 1, 12.706204736174694},
		{"df 2", 0.975, 2, 4.302652729749462},
		{"df 3", 0.975, 3, 3.1824463052837086},
		{"df 5", 0.975, 5, 2.5705818356363146},
		{"df 10", 0.975, 10, 2.2281388519862744},
		{"df 30", 0.975, 30, 2.0422724563012378},
		{"df 100", 0.975, 100, 1.9839715185235518},
		{"df 1000", 0.975, 1000, 1.962339080826408},
		{"df 9999", 0.975, 9999, 1.9602012636213573},
		{"df 1e6", 0.975, 1e6, 1.9599663568141066},
		{"99.5% df 4", 0.995, 4, 4.604094871349992},
		{"90% df 7", 0.9, 7, 1.4149239276505086},
		{"lower 2.5% df 20", 0.025, 20, -2.085963447265865},
		{"far tail df 3", 1e-10, 3, -2225.7692846830932},
		{"median", 0.5, 7, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := StudentTQuantile(tc.p, tc.df); !closeRel(got, tc.want, 1e-13) {
				t.Errorf("StudentTQuantile(%v, %v) = %v, want %v", tc.p, tc.df, got, tc.want)
			}
		})
	}
}

func TestStudentTQuantileRoundTrip(t *testing.T) {
	t.Parallel()
	// The quantile must invert the CDF: F(Q(p)) = p, checked in the tail that is
	// computed directly so that the comparison keeps its relative precision.
	for _, df := range []float64{1, 2, 3, 4.5, 10, 57, 999, 4001, 12345, 1e7} {
		for _, p := range []float64{1e-300, 1e-40, 1e-8, 0.001, 0.025, 0.2, 0.45} {
			q := StudentTQuantile(p, df)
			if got := StudentTCDF(q, df); !closeRel(got, p, 1e-12) {
				t.Errorf("StudentTCDF(StudentTQuantile(%v, %v) = %v) = %v, want %v", p, df, q, got, p)
			}
		}
	}
}

func TestRegIncBeta(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		a, b, x float64
		want    float64
	}{
		// For integers, I_x(a, b) = Σ_{j=a}^{a+b−1} C(a+b−1, j)·x^j·(1−x)^(a+b−1−j); for
		// a = 2, b = 3, x = 0.4: 6·0.16·0.36 + 4·0.064·0.6 + 0.0256 = 0.5248 (hand derivation).
		{"integer parameters", 2, 3, 0.4, 0.5248},
		// I_x(½, ½) = (2/π)·asin(√x); at 0.3: 0.36901011956554536 (mpmath).
		{"arcsine", 0.5, 0.5, 0.3, 0.36901011956554536},
		{"moderate", 10, 20, 0.2, 0.049263517304212516},          // scipy betainc: 0.049263517304212585
		{"large a small b", 100, 0.5, 0.99, 0.15677586542444077}, // scipy: 0.15677586542443941
		{"large symmetric", 5000, 5001, 0.5, 0.5039893230696911}, // scipy: 0.5039893230700742
		{"small a", 0.1, 50, 0.001, 0.7749071836095219},          // scipy: 0.7749071836095264
		{"tiny value", 30, 30, 0.05, 1.3084649619471793e-23},
		{"near one", 7.5, 2.25, 0.9999, 0.9999999565509596},
		{"x zero", 3, 4, 0, 0},
		{"x one", 3, 4, 1, 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := RegIncBeta(tc.a, tc.b, tc.x); !closeRel(got, tc.want, 1e-13) {
				t.Errorf("RegIncBeta(%v, %v, %v) = %v, want %v", tc.a, tc.b, tc.x, got, tc.want)
			}
		})
	}
	for _, bad := range [][3]float64{{0, 1, 0.5}, {1, -1, 0.5}, {1, 1, 1.5}, {1, 1, math.NaN()}} {
		if got := RegIncBeta(bad[0], bad[1], bad[2]); !math.IsNaN(got) {
			t.Errorf("RegIncBeta(%v) = %v, want NaN", bad, got)
		}
	}
}

func TestBinomialCDF(t *testing.T) {
	t.Parallel()
	// Expected values are exact: Σ_{i≤k} C(n,i) / 2ⁿ in rational arithmetic (Python
	// fractions), rounded to float64.
	tests := []struct {
		name string
		k, n int
		want float64
		tol  float64
	}{
		{"one trial", 0, 1, 0.5, 1e-14},
		// (1 + 10 + 45 + 120)/1024 = 176/1024.
		{"ten trials", 3, 10, 0.171875, 1e-14},
		{"forty trials", 10, 40, 0.0011107168866146822, 1e-14},
		{"near the median", 4999, 10000, 0.4960106769303089, 1e-13},
		// 2^−1000 = 9.332636185032189e-302.
		{"all failures", 0, 1000, 9.332636185032189e-302, 1e-13},
		// A tail of 1e-193 has an exponent of −444 built from terms near 1500; that many
		// ulps of cancellation leave about 1e-12 (scipy binom.cdf: 3.2046042826646697e-193).
		{"deep tail", 2538, 7642, 3.2046042826624e-193, 2e-12},
		{"k at n", 10, 10, 1, 0},
		{"k negative", -1, 10, 0, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := BinomialCDF(tc.k, tc.n, 0.5); !closeRel(got, tc.want, tc.tol) {
				t.Errorf("BinomialCDF(%d, %d, 0.5) = %v, want %v", tc.k, tc.n, got, tc.want)
			}
		})
	}
}

func TestLogBeta(t *testing.T) {
	t.Parallel()
	// ln B(a, b) = ln Γ(a) + ln Γ(b) − ln Γ(a+b); each branch of logBeta is checked
	// against mpmath's log(beta(a, b)).
	tests := []struct {
		name string
		a, b float64
		want float64
	}{
		// B(1, 1) = 1 and B(2, 3) = 1!·2!/4! = 1/12 (hand derivation).
		{"unit", 1, 1, 0},
		{"small integers", 2, 3, -2.4849066497880004},
		{"one large", 0.5, 5000, -3.6862066527834605},
		{"both large", 4646.167011686889, 3824.2130609858245, -5834.181922103477},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := logBeta(tc.a, tc.b); !closeRel(got, tc.want, 1e-14) && math.Abs(got-tc.want) > 1e-15 {
				t.Errorf("logBeta(%v, %v) = %v, want %v", tc.a, tc.b, got, tc.want)
			}
		})
	}
}
