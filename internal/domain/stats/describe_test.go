package stats

import (
	"errors"
	"math"
	"strconv"
	"testing"
)

func TestDescribe(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		xs   []float64
		want Summary
		sd   float64 // ignored when want.N < 2
	}{
		{
			// Oracle: PostgreSQL 15 percentile_cont(array[0.1,0.5,0.9]), avg and
			// stddev_samp over these float8 values; numpy 1.24.2 np.percentile, np.mean
			// and np.std(ddof=1) agree. Sorted, the values are −2.5, −1, 0, 0.25, 1.125,
			// 3.2, 4, 4, 6, 7.5, 9.75; with n = 11 the percentile positions h = p·10 are
			// whole numbers, so P10, P50, P90 are the 2nd, 6th and 10th values.
			name: "eleven values",
			xs:   []float64{3.2, -1.0, 7.5, 0.25, 4.0, 4.0, 9.75, -2.5, 1.125, 6.0, 0.0},
			want: Summary{N: 11, Mean: 2.938636363636364, Min: -2.5, Max: 9.75, P10: -1, P50: 3.2, P90: 7.5},
			sd:   3.7833742155046535,
		},
		{
			// Hand derivation: h = 0.3, 1.5, 2.7 give 1.3, 2.5, 3.7; mean 2.5; the
			// variance is (2.25 + 0.25 + 0.25 + 2.25)/3 = 5/3, sd = √(5/3).
			name: "interpolated",
			xs:   []float64{4, 1, 3, 2},
			want: Summary{N: 4, Mean: 2.5, Min: 1, Max: 4, P10: 1.3, P50: 2.5, P90: 3.7},
			sd:   1.2909944487358056,
		},
		{
			// PostgreSQL 15 returns 0.12000000000000001 for percentile_cont(0.1): h = 0.2
			// and 0.1 + 0.2·(0.2 − 0.1) rounds up in float64.
			name: "float8 rounding as in SQL",
			xs:   []float64{0.1, 0.2, 0.7},
			want: Summary{N: 3, Mean: 1.0 / 3, Min: 0.1, Max: 0.7, P10: 0.12000000000000001, P50: 0.2, P90: 0.6},
			sd:   0.3214550253664318, // numpy np.std(ddof=1)
		},
		{
			name: "one value",
			xs:   []float64{0.42},
			want: Summary{N: 1, Mean: 0.42, Min: 0.42, Max: 0.42, P10: 0.42, P50: 0.42, P90: 0.42},
		},
		{
			// Equal values: the mean is the value itself (not a rounded sum/n) and sd is 0.
			name: "constant",
			xs:   []float64{0.1, 0.1, 0.1},
			want: Summary{N: 3, Mean: 0.1, Min: 0.1, Max: 0.1, P10: 0.1, P50: 0.1, P90: 0.1},
			sd:   0,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := Describe(tc.xs)
			if err != nil {
				t.Fatalf("Describe: %v", err)
			}
			if got.N != tc.want.N || got.Min != tc.want.Min || got.Max != tc.want.Max ||
				got.P10 != tc.want.P10 || got.P50 != tc.want.P50 || got.P90 != tc.want.P90 {
				t.Errorf("Describe = %+v, want %+v", got, tc.want)
			}
			if !closeRel(got.Mean, tc.want.Mean, 1e-15) {
				t.Errorf("mean = %v, want %v", got.Mean, tc.want.Mean)
			}
			switch {
			case tc.want.N < 2 && got.SD != nil:
				t.Errorf("sd = %v, want nil", *got.SD)
			case tc.want.N >= 2 && got.SD == nil:
				t.Errorf("sd = nil, want %v", tc.sd)
			case tc.want.N >= 2 && !closeRel(*got.SD, tc.sd, 1e-15):
				t.Errorf("sd = %v, want %v", *got.SD, tc.sd)
			}
		})
	}
}

func TestDescribeErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		xs   []float64
		want error
	}{
		{"empty", nil, ErrNoData},
		{"nan", []float64{1, math.NaN()}, ErrInvalid},
		{"inf", []float64{math.Inf(-1)}, ErrInvalid},
		// The standard deviation of ±MaxFloat64 is MaxFloat64·√2, beyond float64.
		{"overflow", []float64{-math.MaxFloat64, math.MaxFloat64}, ErrInvalid},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if _, err := Describe(tc.xs); !errors.Is(err, tc.want) {
				t.Errorf("Describe error = %v, want %v", err, tc.want)
			}
		})
	}
}

func TestDescribeLargeValues(t *testing.T) {
	t.Parallel()
	// Scaling keeps sums of huge values finite: the mean of {1e308, 1e308, −1e308} is
	// 1e308/3 and the deviations are (2/3, 2/3, −4/3)·1e308, so the variance is
	// (4/9 + 4/9 + 16/9)·1e616/2 = (4/3)·1e616 and sd = 1e308·√(4/3) (hand derivation).
	got, err := Describe([]float64{1e308, 1e308, -1e308})
	if err != nil {
		t.Fatalf("Describe: %v", err)
	}
	if want := 1e308 / 3; !closeRel(got.Mean, want, 1e-15) {
		t.Errorf("mean = %v, want %v", got.Mean, want)
	}
	if want := 1e308 * math.Sqrt(4.0/3); got.SD == nil || !closeRel(*got.SD, want, 1e-15) {
		t.Errorf("sd = %v, want %v", got.SD, want)
	}
}

func TestPercentileCont(t *testing.T) {
	t.Parallel()
	sorted := []float64{10, 20, 30, 40, 50}
	tests := []struct {
		name string
		p    float64
		want float64
	}{
		// n = 5, h = 4p: p = 0 and 1 give the extremes, p = 0.25 gives h = 1 (20),
		// p = 0.3 gives h = 1.2, so 20 + 0.2·10 = 22, and p = 0.875 gives h = 3.5: 45.
		{"min", 0, 10},
		{"max", 1, 50},
		{"exact rank", 0.25, 20},
		{"between ranks", 0.3, 22},
		{"half way", 0.875, 45},
		{"out of range", 1.5, math.NaN()},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got := PercentileCont(sorted, tc.p)
			if math.IsNaN(tc.want) != math.IsNaN(got) || (!math.IsNaN(got) && !closeRel(got, tc.want, 1e-15)) {
				t.Errorf("PercentileCont(%v) = %v, want %v", tc.p, got, tc.want)
			}
		})
	}
}

func TestMeanCI(t *testing.T) {
	t.Parallel()
	// Oracle: scipy 1.10.1 stats.t.interval(level, n-1, loc=mean, scale=sd/sqrt(n)).
	// scipy's t quantile (stdtrit) is itself off by up to 2e-11 relative for small df
	// (see TestStudentTQuantile), which bounds the agreement of these rows.
	tests := []struct {
		name           string
		n              int
		mean, sd       float64
		level          float64
		wantLo, wantHi float64
	}{
		{"n 2", 2, 1, 1, 0.95, -7.984643532275763, 9.984643532275763},
		{"n 10", 10, 0.5, 0.2, 0.95, 0.35692861880948556, 0.6430713811905144},
		{"n 30", 30, -3.25, 4.5, 0.95, -4.93032761541145, -1.5696723845885505},
		{"n 1000", 1000, 0.731, 0.12, 0.95, 0.7235534377230026, 0.7384465622769973},
		{"n 100000", 100000, 0.5, 0.3, 0.95, 0.49814059239725256, 0.5018594076027475},
		{"99% n 30", 30, -3.25, 4.5, 0.99, -5.514602104944256, -0.9853978950557436},
		{"99% n 2", 2, 1, 1, 0.99, -44.01211334450503, 46.01211334450503},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := MeanCI(tc.n, tc.mean, tc.sd, tc.level)
			if err != nil {
				t.Fatalf("MeanCI: %v", err)
			}
			if got == nil || !closeRel(got.Lo, tc.wantLo, 1e-10) || !closeRel(got.Hi, tc.wantHi, 1e-10) || got.Level != tc.level {
				t.Errorf("MeanCI = %+v, want [%v, %v]", got, tc.wantLo, tc.wantHi)
			}
		})
	}
}

func TestMeanCIHandDerived(t *testing.T) {
	t.Parallel()
	// n = 2, mean 1, sd 1, level 0.95: t₀.₉₇₅,₁ = 1/tan(0.025π) = 12.706204736174694
	// (Cauchy quantile, mpmath), half width 12.706…·1/√2 = 8.984643532093753 (scipy, through stdtrit, gets 8.98464353227576).
	got, err := MeanCI(2, 1, 1, 0.95)
	if err != nil {
		t.Fatal(err)
	}
	const half = 8.984643532093753
	if !closeRel(got.Lo, 1-half, 1e-14) || !closeRel(got.Hi, 1+half, 1e-14) {
		t.Errorf("MeanCI = %+v, want [%v, %v]", got, 1-half, 1+half)
	}
	// Fewer than two values: no interval.
	if got, err := MeanCI(1, 3, 0, 0.95); got != nil || err != nil {
		t.Errorf("MeanCI(n=1) = %v, %v; want nil, nil", got, err)
	}
	// A zero sd gives the degenerate interval.
	if got, _ := MeanCI(5, 3, 0, 0.95); got == nil || got.Lo != 3 || got.Hi != 3 {
		t.Errorf("MeanCI(sd=0) = %+v, want [3, 3]", got)
	}
	for _, bad := range []struct {
		mean, sd, level float64
	}{{0, 1, 0}, {0, 1, 1}, {0, -1, 0.95}, {math.NaN(), 1, 0.95}} {
		if _, err := MeanCI(10, bad.mean, bad.sd, bad.level); !errors.Is(err, ErrInvalid) {
			t.Errorf("MeanCI(%+v) error = %v, want ErrInvalid", bad, err)
		}
	}
}

func fmtFloat(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }
