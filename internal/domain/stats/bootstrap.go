package stats

import (
	"fmt"
	"math"
	"math/bits"
	"math/rand/v2"
	"slices"
)

// bootstrapStream is the second PCG seed word; with the caller's seed as the first it
// fixes the random stream.
const bootstrapStream = 0x9e3779b97f4a7c15

// PairedBootstrapCI returns the percentile bootstrap confidence interval, at the given
// level, of the mean of the paired differences diffs.
//
// Each of the rounds resamples len(diffs) differences with replacement (so each pair
// keeps its own base and candidate together) and takes their mean; the interval is the
// (1 − level)/2 and (1 + level)/2 quantiles of those means, interpolated as
// PercentileCont does. Indices are drawn from a PCG generator (math/rand/v2) seeded with
// (seed, 0x9e3779b97f4a7c15) and reduced to [0, n) by Lemire's multiply-and-reject
// method, implemented here so that the stream depends only on the PCG algorithm: the
// same seed, rounds and diffs (in the same order) give the same interval.
//
// The interval is nil when diffs is empty. It returns ErrInvalid when rounds < 1, level
// is outside (0, 1) or a difference is NaN or infinite.
func PairedBootstrapCI(diffs []float64, rounds int, seed uint64, level float64) (*Interval, error) {
	return pairedBootstrapCI(diffs, rounds, seed, level, nil)
}

// pairedBootstrapCI is PairedBootstrapCI that stops with ErrCanceled once cancel
// is closed.
func pairedBootstrapCI(diffs []float64, rounds int, seed uint64, level float64, cancel <-chan struct{}) (*Interval, error) {
	if rounds < 1 {
		return nil, fmt.Errorf("bootstrap rounds %d is not positive: %w", rounds, ErrInvalid)
	}
	if err := checkLevel(level); err != nil {
		return nil, err
	}
	if err := checkFinite(diffs); err != nil {
		return nil, err
	}
	n := len(diffs)
	if n == 0 {
		return nil, nil
	}
	// Scale by a power of two (exact) so that sums of n values cannot overflow.
	_, e := math.Frexp(maxAbs(diffs))
	scaled := make([]float64, n)
	for i, d := range diffs {
		scaled[i] = math.Ldexp(d, -e)
	}
	src := rand.NewPCG(seed, bootstrapStream)
	means := make([]float64, rounds)
	un := uint64(n)
	for r := range means {
		if canceled(cancel) {
			return nil, ErrCanceled
		}
		s := 0.0
		for range n {
			s += scaled[uniformIndex(src, un)]
		}
		means[r] = s / float64(n)
	}
	slices.Sort(means)
	iv := &Interval{
		Lo:    math.Ldexp(PercentileCont(means, (1-level)/2), e),
		Hi:    math.Ldexp(PercentileCont(means, (1+level)/2), e),
		Level: level,
	}
	return iv, nil
}

// uniformIndex returns a uniform integer in [0, n), n > 0, by Lemire's method: the high
// word of a 64×64-bit product, rejecting the few low words that would bias it.
func uniformIndex(src *rand.PCG, n uint64) uint64 {
	hi, lo := bits.Mul64(src.Uint64(), n)
	if lo < n {
		threshold := -n % n
		for lo < threshold {
			hi, lo = bits.Mul64(src.Uint64(), n)
		}
	}
	return hi
}

// maxAbs returns the largest |x|.
func maxAbs(xs []float64) float64 {
	m := 0.0
	for _, x := range xs {
		m = max(m, math.Abs(x))
	}
	return m
}
