package stats

import (
	"math"
	"testing"
)

func TestWilsonCI(t *testing.T) {
	t.Parallel()
	// 0 of 10 at 95%: [0, z²/(n + z²)] = [0, 3.8415/13.8415].
	z := NormalQuantile(0.975)
	iv, err := WilsonCI(0, 10, 0.95)
	if err != nil || iv.Lo != 0 || math.Abs(iv.Hi-z*z/(10+z*z)) > 1e-12 {
		t.Errorf("Wilson(0/10) = %+v, %v; want [0, %v]", iv, err, z*z/(10+z*z))
	}
	// 5 of 10: symmetric about ½, centre ½, half-width z/(1+z²/n)·√(1/40 + z²/400).
	iv, _ = WilsonCI(5, 10, 0.95)
	half := z / (1 + z*z/10) * math.Sqrt(0.25/10+z*z/400)
	if math.Abs(iv.Lo-(0.5-half)) > 1e-12 || math.Abs(iv.Hi-(0.5+half)) > 1e-12 {
		t.Errorf("Wilson(5/10) = %+v, want 0.5 ± %v", iv, half)
	}
	if iv, _ := WilsonCI(0, 0, 0.95); iv != nil {
		t.Errorf("Wilson(0/0) = %+v, want nil", iv)
	}
	if _, err := WilsonCI(3, 2, 0.95); err == nil {
		t.Error("Wilson(3/2) succeeded")
	}
}

func TestBoundedMeanCI(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name                 string
		n                    int64
		mean, sd, lo, hi     float64
		unit                 bool
		method               string
		wantInside0, wantIn1 bool
	}{
		// One refusal in three: the t interval is [−0.10, 1.77]-like; Wilson stays in [0, 1].
		{"binary", 3, 1.0 / 3, math.Sqrt(1.0 / 3), 0, 1, false, MethodWilson, true, true},
		{"a share near 0", 4, 0.02, 0.03, 0, 0.065, true, MethodLogit, true, true},
		{"unbounded counts", 4, 2, 3, 0, 6.5, false, MethodStudentT, false, true},
	} {
		iv, method, err := BoundedMeanCI(tc.n, tc.mean, tc.sd, tc.lo, tc.hi, tc.unit, 0.95)
		if err != nil || iv == nil {
			t.Fatalf("%s: %v, %v", tc.name, iv, err)
		}
		if method != tc.method {
			t.Errorf("%s: method %q, want %q", tc.name, method, tc.method)
		}
		if tc.wantInside0 && (iv.Lo < 0 || iv.Hi > 1) {
			t.Errorf("%s: interval [%v, %v] leaves [0, 1]", tc.name, iv.Lo, iv.Hi)
		}
		if !(iv.Lo <= tc.mean && tc.mean <= iv.Hi) {
			t.Errorf("%s: interval [%v, %v] misses the mean %v", tc.name, iv.Lo, iv.Hi, tc.mean)
		}
	}
	if !IsBinary(4, 0.5, math.Sqrt(1.0/3), 0, 1) || IsBinary(4, 0.5, 0.4, 0, 1) {
		t.Error("IsBinary does not tell 0/1 values from others with the same range")
	}
}
