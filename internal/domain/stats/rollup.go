package stats

import "math"

// Moments are the running statistics of a set of values: the count, the mean and
// M2, the sum of squared deviations from the mean. Two sets' moments merge exactly
// (up to rounding) without the values, which is how stored rollups combine.
type Moments struct {
	N    int64
	Mean float64
	M2   float64
}

// Merge returns the moments of the union of two disjoint sets (Chan, Golub and
// LeVeque 1979): n = n_a + n_b, δ = mean_b − mean_a, mean = mean_a + δ·n_b/n,
// M2 = M2_a + M2_b + δ²·n_a·n_b/n.
func (a Moments) Merge(b Moments) Moments {
	switch {
	case a.N == 0:
		return b
	case b.N == 0:
		return a
	}
	n := a.N + b.N
	d := b.Mean - a.Mean
	return Moments{
		N:    n,
		Mean: a.Mean + d*float64(b.N)/float64(n),
		M2:   a.M2 + b.M2 + d*d*float64(a.N)*float64(b.N)/float64(n),
	}
}

// SD returns the sample standard deviation √(M2/(N−1)); ok is false when N < 2.
func (a Moments) SD() (sd float64, ok bool) {
	if a.N < 2 {
		return 0, false
	}
	return math.Sqrt(math.Max(a.M2, 0) / float64(a.N-1)), true
}

// Bucket is one bucket of a value histogram: Count values, all between Min and Max.
type Bucket struct {
	Count    int64
	Min, Max float64
}

// HistogramPercentile estimates PercentileCont's p-th percentile from buckets sorted
// by value (every value in bucket i is at most every value in bucket i+1). Within a
// bucket the values are taken as evenly spread from Min to Max (the j-th of c values
// is Min + (Max − Min)·j/(c − 1)); then, as percentile_cont does, the value at rank
// p·(N − 1) is interpolated linearly between its two neighbouring ranks. The result
// is exact when every bucket holds a single distinct value (Min = Max), and
// otherwise lies within the range of the buckets holding those ranks. ok is false
// when the buckets are empty.
func HistogramPercentile(buckets []Bucket, p float64) (v float64, ok bool) {
	var n int64
	for _, b := range buckets {
		n += b.Count
	}
	if n == 0 || math.IsNaN(p) {
		return 0, false
	}
	p = math.Min(math.Max(p, 0), 1)
	r := p * float64(n-1)
	lo := int64(math.Floor(r))
	hi := int64(math.Ceil(r))
	vlo := valueAtRank(buckets, lo)
	if hi == lo {
		return vlo, true
	}
	vhi := valueAtRank(buckets, hi)
	return vlo + (r-float64(lo))*(vhi-vlo), true
}

// valueAtRank returns the value of 0-based rank k under the even-spread assumption.
func valueAtRank(buckets []Bucket, k int64) float64 {
	for _, b := range buckets {
		if k < b.Count {
			if b.Count == 1 || b.Min == b.Max {
				return b.Min
			}
			return b.Min + (b.Max-b.Min)*float64(k)/float64(b.Count-1)
		}
		k -= b.Count
	}
	last := buckets[len(buckets)-1]
	return last.Max
}
