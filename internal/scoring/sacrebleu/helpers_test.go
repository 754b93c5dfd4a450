package sacrebleu

import "math"

// near reports whether got is within tol of want, absolutely or relative to want.
func near(got, want, tol float64) bool {
	d := math.Abs(got - want)
	return d <= tol || d <= tol*math.Abs(want)
}

func ptr(v float64) *float64 { return &v }
