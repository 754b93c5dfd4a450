package stats

import (
	"encoding/binary"
	"math"
	"testing"
)

// floatsFrom reads little-endian float64s from data, 8 bytes each.
func floatsFrom(data []byte) []float64 {
	xs := make([]float64, len(data)/8)
	for i := range xs {
		xs[i] = math.Float64frombits(binary.LittleEndian.Uint64(data[8*i:]))
	}
	return xs
}

func bytesOf(xs ...float64) []byte {
	b := make([]byte, 0, 8*len(xs))
	for _, x := range xs {
		b = binary.LittleEndian.AppendUint64(b, math.Float64bits(x))
	}
	return b
}

func FuzzDescribe(f *testing.F) {
	f.Add(bytesOf(1, 2, 3, 4))
	f.Add(bytesOf(0.1, 0.1, 0.1))
	f.Add(bytesOf(math.MaxFloat64, -math.MaxFloat64, 1))
	f.Add(bytesOf(5e-324, -5e-324, 0))
	f.Add(bytesOf(math.NaN(), 1))
	f.Fuzz(func(t *testing.T, data []byte) {
		xs := floatsFrom(data)
		s, err := Describe(xs)
		if err != nil {
			return
		}
		if s.N != len(xs) {
			t.Fatalf("n = %d, want %d", s.N, len(xs))
		}
		if !finite(s.Mean, s.Min, s.Max, s.P10, s.P50, s.P90) || (s.SD != nil && (!finite(*s.SD) || *s.SD < 0)) {
			t.Fatalf("non-finite or negative summary %+v for %v", s, xs)
		}
		if !(s.Min <= s.Mean && s.Mean <= s.Max) {
			t.Fatalf("mean %v outside [%v, %v]", s.Mean, s.Min, s.Max)
		}
		// Interpolation may round past a neighbour by an ulp of the larger magnitude.
		slack := 4 * ulp(math.Max(math.Abs(s.Min), math.Abs(s.Max)))
		for _, pair := range [][2]float64{{s.Min, s.P10}, {s.P10, s.P50}, {s.P50, s.P90}, {s.P90, s.Max}} {
			if pair[0] > pair[1]+slack {
				t.Fatalf("percentiles out of order: %+v", s)
			}
		}
	})
}

func FuzzWilcoxon(f *testing.F) {
	f.Add(bytesOf(1.5, -0.3, 2.2))
	f.Add(bytesOf(0, 0, 1, -1, 1))
	f.Add(bytesOf(1e308, -1e308, 5e-324))
	f.Add(bytesOf(math.Inf(1)))
	f.Fuzz(func(t *testing.T, data []byte) {
		d := floatsFrom(data)
		w, err := Wilcoxon(d)
		if err != nil {
			return
		}
		if w.N+w.Zeros != len(d) {
			t.Fatalf("N %d + zeros %d != %d", w.N, w.Zeros, len(d))
		}
		if (w.P == nil) != (w.N == 0) {
			t.Fatalf("p = %v with N = %d", w.P, w.N)
		}
		if w.P != nil && !(*w.P >= 0 && *w.P <= 1) {
			t.Fatalf("p = %v outside [0, 1] for %v", *w.P, d)
		}
		if w.Z != nil && !finite(*w.Z) {
			t.Fatalf("z = %v", *w.Z)
		}
		tt, err := PairedT(d)
		if err != nil {
			return // differences whose spread overflows float64
		}
		if !finite(tt.Mean) || (tt.SD != nil && !finite(*tt.SD)) || (tt.T != nil && !finite(*tt.T)) {
			t.Fatalf("non-finite t-test result %+v for %v", tt, d)
		}
		if tt.P != nil && !(*tt.P >= 0 && *tt.P <= 1) {
			t.Fatalf("t-test p = %v outside [0, 1] for %v", *tt.P, d)
		}
	})
}

func ulp(x float64) float64 { return math.Nextafter(x, math.Inf(1)) - x }
