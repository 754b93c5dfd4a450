package stats

import (
	"errors"
	"math"
	"testing"
)

// deterministicDiffs returns n differences ((i·7919) mod 1000)/1000 − shift, which
// Python reproduces bit for bit as [((i*7919) % 1000)/1000 - shift for i in range(n)].
func deterministicDiffs(n int, shift float64) []float64 {
	d := make([]float64, n)
	for i := range d {
		d[i] = float64((i*7919)%1000)/1000 - shift
	}
	return d
}

func TestWilcoxon(t *testing.T) {
	t.Parallel()
	mixed := func(n int) []float64 {
		// Python: [((i*37) % 101 - 50)/7.0 + 0.01 for i in range(n)]; no ties or zeros.
		d := make([]float64, n)
		for i := range d {
			d[i] = float64((i*37)%101-50)/7.0 + 0.01
		}
		return d
	}
	allNegative := make([]float64, 50)
	for i := range allNegative {
		allNegative[i] = -float64(i+1) * 0.5
	}
	tests := []struct {
		name      string
		d         []float64
		wantStat  float64
		wantP     float64
		wantExact bool
		tol       float64
	}{
		// Hand derivation: |d| ranks 1(−) 2 3 4(−) 5 6 7 8, so R− = 5, R+ = 31; of the
		// 256 sign patterns, 10 have R+ ≤ 5 (sums 0,1,2,3,3,4,4,5,5,5), p = 2·10/256.
		// scipy.stats.wilcoxon(d) = (5.0, 0.078125).
		{"exact n 8", []float64{1.5, -0.3, 2.2, 0.8, -1.1, 3.4, 0.6, 2.9}, 5, 0.078125, true, 0},
		// n = 1: R+ = 1 and P(R+ ≤ 1) = 1, P(R+ ≥ 1) = ½, so p = min(1, 2·½) = 1.
		{"n 1", []float64{2}, 0, 1, true, 0},
		// n = 2: R+ = 3 is the maximum, P(R+ ≥ 3) = ¼, p = ½. scipy: (0.0, 0.5).
		{"n 2", []float64{1, 2}, 0, 0.5, true, 0},
		// n = 3 all positive: P(R+ = 6) = ⅛, p = ¼. scipy: (0.0, 0.25).
		{"n 3 all positive", []float64{1, 2, 3}, 0, 0.25, true, 0},
		// R+ = 1 + 4 = 5 = ⌊10/2⌋ is the centre of the distribution: p = 1.
		{"centre", []float64{1, -2, -3, 4}, 5, 1, true, 0},
		// All 50 negative: p = 2·2⁻⁵⁰. scipy.stats.wilcoxon: 1.7763568394002505e-15.
		{"tail n 50", allNegative, 0, 1.7763568394002505e-15, true, 1e-15},
		{"exact at n 50", mixed(50), 634, 0.9771032283055696, true, 1e-13},
		// One more difference and scipy switches to the normal approximation.
		{"approx at n 51", mixed(51), 657, 0.9551499779188657, false, 1e-13},
		// Tied |d| = 2: scipy.stats.wilcoxon(d, method="approx") = (4.0,
		// 0.7127018566581784); scipy's default (0.875) applies the exact distribution
		// to tied ranks, which this package deliberately does not (see Wilcoxon).
		{"ties use approx", []float64{1, 2, 2, -3}, 4, 0.7127018566581784, false, 1e-14},
		// Zeros are dropped and force the approximation: scipy.stats.wilcoxon(d) =
		// (1.0, 0.07961580146011343).
		{"zeros", []float64{0, 1.2, -0.4, 2.5, 0, 3.1, 0.9}, 1, 0.07961580146011343, false, 1e-14},
		// 10,000 differences with 803 distinct |d|, many ties and 10 zeros.
		// scipy.stats.wilcoxon(d) = (20260700.0, 1.4577355184067884e-59).
		{"large with ties", deterministicDiffs(10000, 0.45), 20260700, 1.4577355184067884e-59, false, 1e-12},
		// scipy.stats.wilcoxon(d) = (24902395.0, 0.8619483322254055).
		{"large null", deterministicDiffs(10000, 0.5), 24902395, 0.8619483322254055, false, 1e-13},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := Wilcoxon(tc.d)
			if err != nil {
				t.Fatalf("Wilcoxon: %v", err)
			}
			if got.Statistic != tc.wantStat {
				t.Errorf("statistic = %v, want %v", got.Statistic, tc.wantStat)
			}
			if got.Exact != tc.wantExact {
				t.Errorf("exact = %v, want %v", got.Exact, tc.wantExact)
			}
			if got.P == nil || !closeRel(*got.P, tc.wantP, tc.tol) {
				t.Errorf("p = %v, want %v", ptrString(got.P), tc.wantP)
			}
			if n := float64(got.N); got.RPlus+got.RMinus != n*(n+1)/2 {
				t.Errorf("R+ + R− = %v, want %v", got.RPlus+got.RMinus, n*(n+1)/2)
			}
		})
	}
}

func TestWilcoxonNoDifferences(t *testing.T) {
	t.Parallel()
	for _, d := range [][]float64{nil, {0, 0, 0}} {
		got, err := Wilcoxon(d)
		if err != nil {
			t.Fatalf("Wilcoxon(%v): %v", d, err)
		}
		if got.P != nil || got.N != 0 || got.Zeros != len(d) {
			t.Errorf("Wilcoxon(%v) = %+v, want no p-value and %d zeros", d, got, len(d))
		}
	}
	if _, err := Wilcoxon([]float64{1, math.NaN()}); !errors.Is(err, ErrInvalid) {
		t.Errorf("Wilcoxon(NaN) error = %v, want ErrInvalid", err)
	}
}

func TestPairedT(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		d     []float64
		wantT float64
		wantP float64
		tol   float64
	}{
		// scipy.stats.ttest_rel(d, zeros) = (2.2781128899298495, 0.05679405436380005).
		{"n 8", []float64{1.5, -0.3, 2.2, 0.8, -1.1, 3.4, 0.6, 2.9}, 2.2781128899298495, 0.05679405436380005, 1e-13},
		// Hand derivation: mean 2, sd √2, t = 2/(√2/√2) = 2 with df = 1, and for the
		// Cauchy distribution p = 1 − 2·atan(2)/π = 0.2951672353008665 (mpmath);
		// scipy: 0.2951672353008664.
		{"n 2", []float64{1, 3}, 2, 0.2951672353008665, 1e-14},
		// scipy: (2.6457513110645907, 0.11808289631180312); df = 2 has the closed form
		// p = 1 − t/√(2+t²) = 1 − √7/3 = 0.11808289631180313 (hand derivation, t = √7; mpmath).
		{"n 3", []float64{0.1, 0.2, 0.4}, 2.6457513110645907, 0.11808289631180312, 1e-14},
		// 10,000 differences (df 9999, the numerically integrated tail):
		// scipy.stats.ttest_rel = (17.14645418157617, 5.6450244585230715e-65).
		{"large", deterministicDiffs(10000, 0.45), 17.14645418157617, 5.6450244585230715e-65, 1e-12},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := PairedT(tc.d)
			if err != nil {
				t.Fatalf("PairedT: %v", err)
			}
			if got.T == nil || !closeRel(*got.T, tc.wantT, 1e-14) {
				t.Errorf("t = %v, want %v", ptrString(got.T), tc.wantT)
			}
			if got.P == nil || !closeRel(*got.P, tc.wantP, tc.tol) {
				t.Errorf("p = %v, want %v", ptrString(got.P), tc.wantP)
			}
			if got.DF != len(tc.d)-1 {
				t.Errorf("df = %d, want %d", got.DF, len(tc.d)-1)
			}
		})
	}
}

func TestPairedTDegenerate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		d      []float64
		wantP  *float64
		wantT  *float64
		wantSD bool
	}{
		{"empty", nil, nil, nil, false},
		{"one value", []float64{0.3}, nil, nil, false},
		// No variance and no difference: nothing to detect.
		{"all zero", []float64{0, 0, 0}, ptr(1.0), ptr(0.0), true},
		// No variance but a shift: t would be infinite (scipy: inf, p 0); undefined here.
		{"constant shift", []float64{0.1, 0.1, 0.1}, nil, nil, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := PairedT(tc.d)
			if err != nil {
				t.Fatalf("PairedT: %v", err)
			}
			if !samePtr(got.P, tc.wantP) || !samePtr(got.T, tc.wantT) || (got.SD != nil) != tc.wantSD {
				t.Errorf("PairedT = {T: %v, P: %v, SD: %v}, want {T: %v, P: %v}",
					ptrString(got.T), ptrString(got.P), ptrString(got.SD), ptrString(tc.wantT), ptrString(tc.wantP))
			}
		})
	}
}

func TestMcNemarExact(t *testing.T) {
	t.Parallel()
	// Oracle: statsmodels 0.13.5
	// statsmodels.stats.contingency_tables.mcnemar([[n00, b], [c, n11]], exact=True).pvalue,
	// where the diagonal does not matter.
	tests := []struct {
		name string
		b, c int
		want float64
		tol  float64
	}{
		// No discordant pairs: 2·P(X ≤ 0), X ~ Bin(0, ½), is 2, capped at 1.
		{"no discordance", 0, 0, 1, 0},
		// 2·P(X ≤ 3), X ~ Bin(6, ½) = 2·42/64 > 1, capped.
		{"balanced", 3, 3, 1, 0},
		// 2·2⁻⁵ = 0.0625.
		{"five one way", 0, 5, 0.0625, 0},
		// b + c = 10: 2·(C(10,0) + C(10,1))/2¹⁰ = 2·11/1024 = 0.021484375.
		{"one against nine", 1, 9, 0.021484375, 0},
		// Symmetric in b and c: 2·(1 + 9 + 36)/512 = 0.1796875.
		{"seven against two", 7, 2, 0.1796875, 0},
		{"ten against thirty", 10, 30, 0.0022214337732293643, 1e-13},
		// 2·2⁻¹⁰⁰ = 2⁻⁹⁹; beyond 62 pairs the tail comes from the incomplete beta, whose
		// logarithm (−69) carries about 1e-14 of rounding.
		{"deep tail", 0, 100, 1.5777218104420236e-30, 1e-13},
		{"large", 4000, 4300, 0.001029736761268131, 1e-12},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := McNemarExact(tc.b, tc.c)
			if err != nil {
				t.Fatalf("McNemarExact: %v", err)
			}
			if !closeRel(got, tc.want, tc.tol) {
				t.Errorf("McNemarExact(%d, %d) = %v, want %v", tc.b, tc.c, got, tc.want)
			}
		})
	}
	if _, err := McNemarExact(-1, 3); !errors.Is(err, ErrInvalid) {
		t.Errorf("McNemarExact(-1, 3) error = %v, want ErrInvalid", err)
	}
}

func ptr[T any](v T) *T { return &v }

func samePtr(a, b *float64) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	return *a == *b
}

func ptrString(p *float64) string {
	if p == nil {
		return "nil"
	}
	return fmtFloat(*p)
}
