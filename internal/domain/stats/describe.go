package stats

import (
	"fmt"
	"math"
	"slices"
)

// Summary describes a sample of scores.
type Summary struct {
	// N is the number of values.
	N int
	// Mean is the arithmetic mean.
	Mean float64
	// SD is the sample standard deviation √(Σ(x − mean)² / (N − 1)); nil when N < 2.
	SD *float64
	// Min and Max are the extremes.
	Min, Max float64
	// P10, P50 and P90 are the 10th, 50th and 90th percentiles as PercentileCont
	// defines them (P50 is the median).
	P10, P50, P90 float64
}

// Interval is a two-sided confidence interval [Lo, Hi] at confidence Level (0.95 for 95%).
type Interval struct {
	Lo, Hi float64
	Level  float64
}

// Describe summarises xs: count, mean, sample standard deviation (denominator N − 1),
// minimum, 10th/50th/90th percentiles and maximum. The percentiles follow PostgreSQL's
// percentile_cont, so a summary computed here agrees with one computed in SQL over the
// same values. It returns ErrNoData for an empty slice and ErrInvalid if a value is NaN
// or infinite. xs is not modified.
func Describe(xs []float64) (Summary, error) {
	if len(xs) == 0 {
		return Summary{}, ErrNoData
	}
	if err := checkFinite(xs); err != nil {
		return Summary{}, err
	}
	sorted := slices.Clone(xs)
	slices.Sort(sorted)
	mean, sd := meanSD(xs)
	s := Summary{
		N:    len(xs),
		Mean: mean,
		Min:  sorted[0],
		Max:  sorted[len(sorted)-1],
		P10:  PercentileCont(sorted, 0.1),
		P50:  PercentileCont(sorted, 0.5),
		P90:  PercentileCont(sorted, 0.9),
	}
	if len(xs) >= 2 {
		s.SD = &sd
	}
	if !finite(s.Mean, s.P10, s.P50, s.P90, sd) {
		return Summary{}, fmt.Errorf("describe: values too large for float64 statistics: %w", ErrInvalid)
	}
	return s, nil
}

// PercentileCont returns the p-th quantile (0 ≤ p ≤ 1) of sorted, an ascending slice,
// exactly as PostgreSQL's percentile_cont(p) WITHIN GROUP (ORDER BY x) computes it for
// float8: with n values and h = p·(n − 1), the result is sorted[⌊h⌋] when h is a whole
// number and otherwise sorted[⌊h⌋] + (h − ⌊h⌋)·(sorted[⌈h⌉] − sorted[⌊h⌋]), linear
// interpolation between the two closest ranks (numpy's default "linear" method and
// Hyndman & Fan's definition 7). It returns NaN for an empty slice or p outside [0, 1].
func PercentileCont(sorted []float64, p float64) float64 {
	n := len(sorted)
	if n == 0 || !(p >= 0 && p <= 1) {
		return math.NaN()
	}
	h := p * float64(n-1)
	lo, hi := math.Floor(h), math.Ceil(h)
	a := sorted[int(lo)]
	if lo == hi {
		return a
	}
	b := sorted[int(hi)]
	v := a + (h-lo)*(b-a)
	if math.IsInf(v, 0) {
		// b − a overflowed; interpolate without forming it.
		f := h - lo
		v = a*(1-f) + b*f
	}
	return v
}

// MeanCI returns the Student t confidence interval of a mean at the given level,
// mean ± t·sd/√n with t the (1 + level)/2 quantile of Student's t with n − 1 degrees of
// freedom. It takes the summary statistics (as SQL returns them) rather than the values.
// The interval is nil when n < 2 (there is no standard error); sd = 0 gives the
// degenerate interval [mean, mean]. It returns ErrInvalid when level is outside (0, 1),
// sd is negative or either is not finite.
func MeanCI(n int, mean, sd, level float64) (*Interval, error) {
	if err := checkLevel(level); err != nil {
		return nil, err
	}
	if !finite(mean, sd) || sd < 0 {
		return nil, fmt.Errorf("mean %v, sd %v: %w", mean, sd, ErrInvalid)
	}
	if n < 2 {
		return nil, nil
	}
	t := studentTUpper((1-level)/2, float64(n-1))
	half := t * (sd / math.Sqrt(float64(n)))
	iv := &Interval{Lo: mean - half, Hi: mean + half, Level: level}
	if !finite(iv.Lo, iv.Hi) {
		return nil, fmt.Errorf("mean interval overflows float64: %w", ErrInvalid)
	}
	return iv, nil
}

// meanSD returns the mean and the sample standard deviation (0 when len(xs) < 2) of
// finite values. The values are scaled by a power of two so that the largest magnitude
// is below one, which is exact and keeps the sums from overflowing; the mean is
// accumulated with Neumaier's compensated summation, as are the two sums of the
// corrected two-pass variance (Σd² − (Σd)²/n)/(n − 1), d = x − mean. When all values
// are equal the mean is that value and the deviation exactly 0.
func meanSD(xs []float64) (mean, sd float64) {
	n := len(xs)
	if n == 0 {
		return 0, 0
	}
	lo, hi := xs[0], xs[0]
	for _, x := range xs {
		lo, hi = min(lo, x), max(hi, x)
	}
	if lo == hi {
		return lo, 0
	}
	_, e := math.Frexp(max(math.Abs(lo), math.Abs(hi)))
	var s sum
	for _, x := range xs {
		s.add(math.Ldexp(x, -e))
	}
	m := s.value() / float64(n)
	mean = min(max(math.Ldexp(m, e), lo), hi)
	if n < 2 {
		return mean, 0
	}
	var ss, sd1 sum
	for _, x := range xs {
		d := math.Ldexp(x, -e) - m
		ss.add(d * d)
		sd1.add(d)
	}
	c := sd1.value()
	v := (ss.value() - c*c/float64(n)) / float64(n-1)
	return mean, math.Ldexp(math.Sqrt(max(v, 0)), e)
}

// sum is a Neumaier compensated sum.
type sum struct{ s, c float64 }

func (k *sum) add(x float64) {
	t := k.s + x
	if math.Abs(k.s) >= math.Abs(x) {
		k.c += (k.s - t) + x
	} else {
		k.c += (x - t) + k.s
	}
	k.s = t
}

func (k *sum) value() float64 { return k.s + k.c }

// checkFinite returns ErrInvalid naming the first NaN or infinite value.
func checkFinite(xs []float64) error {
	for i, x := range xs {
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return fmt.Errorf("value %d is %v: %w", i, x, ErrInvalid)
		}
	}
	return nil
}

// checkLevel returns ErrInvalid unless 0 < level < 1.
func checkLevel(level float64) error {
	if !(level > 0 && level < 1) {
		return fmt.Errorf("confidence level %v is not in (0, 1): %w", level, ErrInvalid)
	}
	return nil
}

// finite reports whether every value is neither NaN nor infinite.
func finite(vs ...float64) bool {
	for _, v := range vs {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return false
		}
	}
	return true
}
