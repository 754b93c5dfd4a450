package stats

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// TestMomentsMerge checks that merging the moments of parts gives the moments of the
// whole, computed directly (Describe's mean and sd), for random splits.
func TestMomentsMerge(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(1, 2))
	for trial := 0; trial < 200; trial++ {
		n := 1 + rng.IntN(300)
		xs := make([]float64, n)
		for i := range xs {
			xs[i] = rng.NormFloat64()*10 + 50
		}
		var merged Moments
		for start := 0; start < n; {
			end := start + 1 + rng.IntN(40)
			if end > n {
				end = n
			}
			part := xs[start:end]
			m, m2 := meanSD(part)
			pm := Moments{N: int64(len(part)), Mean: m}
			if len(part) > 1 {
				pm.M2 = m2 * m2 * float64(len(part)-1)
			}
			merged = merged.Merge(pm)
			start = end
		}
		want, err := Describe(xs)
		if err != nil {
			t.Fatal(err)
		}
		if merged.N != int64(n) || math.Abs(merged.Mean-want.Mean) > 1e-11*math.Abs(want.Mean) {
			t.Fatalf("merged mean %v (n %d), want %v (n %d)", merged.Mean, merged.N, want.Mean, n)
		}
		sd, ok := merged.SD()
		if ok != (want.SD != nil) || (ok && math.Abs(sd-*want.SD) > 1e-9**want.SD) {
			t.Fatalf("merged sd %v %v, want %v", sd, ok, want.SD)
		}
	}
	if (Moments{}).Merge(Moments{N: 1, Mean: 3}) != (Moments{N: 1, Mean: 3}) {
		t.Errorf("merging into empty moments changed them")
	}
}

// TestHistogramPercentileExactForDistinctBuckets: when every bucket holds one
// distinct value, the histogram percentile equals percentile_cont over the values.
func TestHistogramPercentileExactForDistinctBuckets(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(3, 4))
	for trial := 0; trial < 200; trial++ {
		var xs []float64
		counts := map[float64]int64{}
		for i := 0; i < 1+rng.IntN(200); i++ {
			v := float64(rng.IntN(20)) // few distinct values, many repeats
			xs = append(xs, v)
			counts[v]++
		}
		slices.Sort(xs)
		var keys []float64
		for v := range counts {
			keys = append(keys, v)
		}
		slices.Sort(keys)
		var buckets []Bucket
		for _, v := range keys {
			buckets = append(buckets, Bucket{Count: counts[v], Min: v, Max: v})
		}
		for _, p := range []float64{0, 0.1, 0.25, 0.5, 0.9, 1} {
			got, ok := HistogramPercentile(buckets, p)
			want := PercentileCont(xs, p)
			if !ok || got != want {
				t.Fatalf("p%v of %v = %v, want %v", p, xs, got, want)
			}
		}
	}
}

func TestHistogramPercentileWithinBucket(t *testing.T) {
	t.Parallel()
	// By hand: buckets {2 values in [1,3]}, {1 value 10}. Under even spread the
	// ranks are 1, 3, 10; p = 0.5 → rank 1 → 3; p = 0.75 → rank 1.5 → 3 + 0.5·7 = 6.5.
	b := []Bucket{{Count: 2, Min: 1, Max: 3}, {Count: 1, Min: 10, Max: 10}}
	for p, want := range map[float64]float64{0: 1, 0.5: 3, 0.75: 6.5, 1: 10} {
		if got, _ := HistogramPercentile(b, p); got != want {
			t.Errorf("p%v = %v, want %v", p, got, want)
		}
	}
	if _, ok := HistogramPercentile(nil, 0.5); ok {
		t.Errorf("percentile of no buckets is defined")
	}
}
