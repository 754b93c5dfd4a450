package stats

import (
	"fmt"
	"math"
)

// Interval methods, as replies name them.
const (
	// MethodWilson is the Wilson score interval of a proportion.
	MethodWilson = "wilson"
	// MethodLogit is the interval of a mean in [0, 1] built on the logit scale (delta
	// method) and mapped back, so it stays inside (0, 1).
	MethodLogit = "logit"
	// MethodStudentT is mean ± t·sd/√n, for values without known bounds.
	MethodStudentT = "student_t"
	// MethodBootstrap is the percentile bootstrap interval.
	MethodBootstrap = "bootstrap_percentile"
)

// WilsonCI returns the Wilson score interval, at the given level, of a proportion
// of successes out of n (successes may be fractional, as when ties count ½). It
// lies within [0, 1], has width at 0 and n successes, and is nil when n is 0.
//
// With z the (1 + level)/2 normal quantile and p = successes/n, the centre is
// (p + z²/2n)/(1 + z²/n) and the half-width z/(1 + z²/n)·√(p(1 − p)/n + z²/4n²)
// (Wilson 1927).
func WilsonCI(successes, n, level float64) (*Interval, error) {
	if err := checkLevel(level); err != nil {
		return nil, err
	}
	if !finite(successes, n) || n < 0 || successes < 0 || successes > n {
		return nil, fmt.Errorf("%v successes of %v: %w", successes, n, ErrInvalid)
	}
	if n == 0 {
		return nil, nil
	}
	z := NormalQuantile((1 + level) / 2)
	p := successes / n
	z2n := z * z / n
	centre := (p + z2n/2) / (1 + z2n)
	half := z / (1 + z2n) * math.Sqrt(p*(1-p)/n+z*z/(4*n*n))
	iv := &Interval{Lo: max(0, centre-half), Hi: min(1, centre+half), Level: level}
	// At the ends the bound is exactly 0 or 1; rounding would leave a hair off it.
	if successes == 0 {
		iv.Lo = 0
	}
	if successes == n {
		iv.Hi = 1
	}
	return iv, nil
}

// LogitMeanCI returns the interval, at the given level, of the mean of n values in
// [0, 1] with the given standard error: logit(mean) ± q·se/(mean(1 − mean)) mapped
// back through the logistic function, with q the (1 + level)/2 quantile of Student's
// t with n − 1 degrees of freedom (df ≤ 0: the normal). The interval lies within
// (0, 1). A mean of 0 or 1 means every value is 0 or 1: then it is the Wilson
// interval of that proportion. It is nil when n < 2.
func LogitMeanCI(n int, mean, se, level float64, df float64) (*Interval, error) {
	if err := checkLevel(level); err != nil {
		return nil, err
	}
	if !finite(mean, se) || se < 0 || mean < 0 || mean > 1 {
		return nil, fmt.Errorf("mean %v, se %v: %w", mean, se, ErrInvalid)
	}
	if n < 2 {
		return nil, nil
	}
	if mean == 0 || mean == 1 {
		return WilsonCI(mean*float64(n), float64(n), level)
	}
	q := NormalQuantile((1 + level) / 2)
	if df > 0 {
		q = studentTUpper((1-level)/2, df)
	}
	l := math.Log(mean / (1 - mean))
	half := q * se / (mean * (1 - mean))
	return &Interval{Lo: logistic(l - half), Hi: logistic(l + half), Level: level}, nil
}

func logistic(x float64) float64 { return 1 / (1 + math.Exp(-x)) }

// IsBinary reports whether n values with this mean, sample standard deviation,
// minimum and maximum are all 0 or 1. Values in [0, 1] have variance at most that
// of 0/1 values with the same mean, with equality exactly when every value is 0 or
// 1, so the moments decide it (to rounding).
func IsBinary(n int64, mean, sd, lo, hi float64) bool {
	if n < 1 || (lo != 0 && lo != 1) || (hi != 0 && hi != 1) {
		return false
	}
	if n == 1 || lo == hi {
		return true
	}
	bernoulli := float64(n) / float64(n-1) * mean * (1 - mean)
	return math.Abs(sd*sd-bernoulli) <= 1e-9*max(bernoulli, 1e-300)
}

// BoundedMeanCI returns the interval of a mean and the method used: Wilson when
// the values are all 0 or 1, logit when they are known to lie in [0, 1], Student
// t otherwise.
func BoundedMeanCI(n int64, mean, sd, lo, hi float64, unit bool, level float64) (*Interval, string, error) {
	switch {
	case IsBinary(n, mean, sd, lo, hi):
		iv, err := WilsonCI(math.Round(mean*float64(n)), float64(n), level)
		return iv, MethodWilson, err
	case unit && lo >= 0 && hi <= 1:
		iv, err := LogitMeanCI(int(n), mean, sd/math.Sqrt(float64(n)), level, float64(n-1))
		return iv, MethodLogit, err
	}
	iv, err := MeanCI(int(n), mean, sd, level)
	return iv, MethodStudentT, err
}
