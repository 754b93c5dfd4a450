package stats

import "math"

// NormalCDF returns Φ(x), the standard normal CDF, as ½·erfc(−x/√2), which keeps full
// relative precision in the lower tail (Φ(−37.5) ≈ 4.6e-308).
//
// Rounding −x/√2 to a float64 perturbs it by up to half an ulp, and erfc(u) magnifies a
// relative perturbation of u by 2u², so in the far tail the rounding residual is
// recovered (by a fused multiply-add against √2 split into two doubles) and applied as
// the factor exp(−2u·δu), the first-order change of erfc there.
func NormalCDF(x float64) float64 {
	u := -x / math.Sqrt2
	v := math.Erfc(u)
	if u > 5 {
		const sqrt2Lo = -9.667293313452913e-17 // √2 − math.Sqrt2
		du := (math.FMA(-u, math.Sqrt2, -x) - u*sqrt2Lo) / math.Sqrt2
		v *= math.Exp(-2 * u * du)
	}
	return 0.5 * v
}

// NormalQuantile returns Φ⁻¹(p), the x with Φ(x) = p, by Wichura's algorithm AS 241
// (PPND16, Applied Statistics 37(3), 1988), accurate to about 1e-16 relative.
// It returns −Inf for p = 0, +Inf for p = 1 and NaN outside [0, 1].
func NormalQuantile(p float64) float64 {
	switch {
	case !(p >= 0 && p <= 1):
		return math.NaN()
	case p == 0:
		return math.Inf(-1)
	case p == 1:
		return math.Inf(1)
	}
	q := p - 0.5
	if math.Abs(q) <= 0.425 {
		r := 0.180625 - q*q
		return q * poly(r, as241A[:]) / poly(r, as241B[:])
	}
	r := p
	if q > 0 {
		r = 1 - p
	}
	r = math.Sqrt(-math.Log(r))
	var z float64
	if r <= 5 {
		r -= 1.6
		z = poly(r, as241C[:]) / poly(r, as241D[:])
	} else {
		r -= 5
		z = poly(r, as241E[:]) / poly(r, as241F[:])
	}
	if q < 0 {
		return -z
	}
	return z
}

// Coefficients of AS 241's three rational approximations, constant term first.
var (
	as241A = [8]float64{
		3.3871328727963666080e0, 1.3314166789178437745e2, 1.9715909503065514427e3,
		1.3731693765509461125e4, 4.5921953931549871457e4, 6.7265770927008700853e4,
		3.3430575583588128105e4, 2.5090809287301226727e3,
	}
	as241B = [8]float64{
		1, 4.2313330701600911252e1, 6.8718700749205790830e2, 5.3941960214247511077e3,
		2.1213794301586595867e4, 3.9307895800092710610e4, 2.8729085735721942674e4,
		5.2264952788528545610e3,
	}
	as241C = [8]float64{
		1.42343711074968357734e0, 4.63033784615654529590e0, 5.76949722146069140550e0,
		3.64784832476320460504e0, 1.27045825245236838258e0, 2.41780725177450611770e-1,
		2.27238449892691845833e-2, 7.74545014278341407640e-4,
	}
	as241D = [8]float64{
		1, 2.05319162663775882187e0, 1.67638483018380384940e0, 6.89767334985100004550e-1,
		1.48103976427480074590e-1, 1.51986665636164571966e-2, 5.47593808499534494600e-4,
		1.05075007164441684324e-9,
	}
	as241E = [8]float64{
		6.65790464350110377720e0, 5.46378491116411436990e0, 1.78482653991729133580e0,
		2.96560571828504891230e-1, 2.65321895265761230930e-2, 1.24266094738807843860e-3,
		2.71155556874348757815e-5, 2.01033439929228813265e-7,
	}
	as241F = [8]float64{
		1, 5.99832206555887937690e-1, 1.36929880922735805310e-1, 1.48753612908506148525e-2,
		7.86869131145613259100e-4, 1.84631831751005468180e-5, 1.42151175831644588870e-7,
		2.04426310338993978564e-15,
	}
)

// poly evaluates c[0] + c[1]·x + … by Horner's rule.
func poly(x float64, c []float64) float64 {
	v := 0.0
	for i := len(c) - 1; i >= 0; i-- {
		v = v*x + c[i]
	}
	return v
}

// StudentTCDF returns P(T ≤ t) for Student's t distribution with df > 0 degrees of
// freedom (df = +Inf is the standard normal). It returns NaN for df ≤ 0 or a NaN t.
// The tail is computed directly (see studentTTail), so small probabilities keep their
// relative precision.
func StudentTCDF(t, df float64) float64 {
	switch {
	case math.IsNaN(t) || !(df > 0):
		return math.NaN()
	case t <= 0:
		return studentTTail(-t, df)
	default:
		return 1 - studentTTail(t, df)
	}
}

// tQuadratureMin is the df above which the t tail is integrated numerically: beyond it
// the incomplete-beta continued fraction loses more than about 1e-13 to rounding.
const tQuadratureMin = 4000

// studentTTail returns P(T > t) for t ≥ 0.
//
// For df ≤ tQuadratureMin it is ½·I_x(df/2, ½) with x = df/(df + t²). Above that, the
// continued fraction is ill-conditioned near the centre of the distribution (its value
// grows like df), so the tail is instead written as f(t)·∫₀^∞ g(w) dw with f the density
// and g(w) = f(t+w)/f(t) = (1 + (2tw + w²)/(df + t²))^(−(df+1)/2), and the integral is
// evaluated by exp-sinh quadrature, whose terms are all positive.
func studentTTail(t, df float64) float64 {
	switch {
	case math.IsInf(t, 1):
		return 0
	case math.IsInf(df, 1):
		return 0.5 * math.Erfc(t/math.Sqrt2)
	case df > tQuadratureMin:
		lf := studentTLogPDF(t, df)
		if lf < -760 {
			return 0 // the tail is below f(t)/t, which underflows
		}
		return math.Exp(lf) * studentTTailRatio(t, df)
	}
	if lx := math.Log(df) - 2*math.Log(t); lx < -600 {
		// x = df/(df + t²) is below 1e-260 (or underflows, for df < 1): the continued
		// fraction is 1 to working precision and I_x(a, ½) = x^a·√(1−x)/(a·B(a, ½)).
		a := df / 2
		return 0.5 * math.Exp(a*lx-logBeta(a, 0.5)) / a
	}
	x, y := tBetaArgs(t, df)
	p, _ := betaInc(df/2, 0.5, x, y)
	return 0.5 * p
}

// studentTTailRatio returns ∫₀^∞ f(t+w)/f(t) dw for t ≥ 0 by the exp-sinh rule: with
// w = c·exp(½π·sinh τ) the integrand decays double-exponentially at both ends of τ, and
// the trapezoidal sum in τ is refined by halving the step until it settles.
func studentTTailRatio(t, df float64) float64 {
	c := 1 / math.Max(1, t) // the scale on which g decays
	k := (df + 1) / 2
	den := df + t*t
	term := func(tau float64) float64 {
		w := c * math.Exp(0.5*math.Pi*math.Sinh(tau))
		if math.IsInf(w, 1) {
			return 0
		}
		g := math.Exp(-k * math.Log1p((2*t+w)*w/den))
		return g * w * 0.5 * math.Pi * math.Cosh(tau)
	}
	// sweep adds the terms at τ = start + i·step for i = 0, ±1, ±2, … until they vanish.
	sweep := func(start, step float64) float64 {
		s := 0.0
		for _, dir := range [2]float64{1, -1} {
			tau := start
			if dir < 0 {
				tau = start - step
			}
			for i := 0; i < 10000; i++ {
				v := term(tau)
				s += v
				if v == 0 || (math.Abs(tau) > 1 && v < 1e-18*s) {
					break
				}
				tau += dir * step
			}
		}
		return s
	}
	h := 0.5
	sum := sweep(0, h)
	prev := sum * h
	for level := 0; level < 8; level++ {
		// Halving the step adds the odd multiples of the new step.
		sum += sweep(h/2, h)
		h /= 2
		cur := sum * h
		if math.Abs(cur-prev) <= 1e-14*cur {
			return cur
		}
		prev = cur
	}
	return prev
}

// tBetaArgs returns x = df/(df + t²) and y = t²/(df + t²), each without cancellation
// or overflow.
func tBetaArgs(t, df float64) (x, y float64) {
	at := math.Abs(t)
	if math.IsInf(at, 1) {
		return 0, 1
	}
	if at*at <= df {
		s := at * at / df
		return 1 / (1 + s), s / (1 + s)
	}
	r := df / at / at
	return r / (1 + r), 1 / (1 + r)
}

// studentTLogPDF returns the log density of Student's t at t:
// −(df+1)/2 · ln(1 + t²/df) − ½·ln df − ln B(df/2, ½).
func studentTLogPDF(t, df float64) float64 {
	var l float64 // ln(1 + t²/df), without overflowing t²
	if at := math.Abs(t); at <= math.Sqrt(df) {
		l = math.Log1p(at * at / df)
	} else {
		l = 2*math.Log(at) - math.Log(df) + math.Log1p(df/at/at)
	}
	return -(df+1)/2*l - 0.5*math.Log(df) - logBeta(df/2, 0.5)
}

// StudentTQuantile returns the t with P(T ≤ t) = p for Student's t distribution with
// df > 0 degrees of freedom: −Inf for p = 0, +Inf for p = 1, NaN outside [0, 1].
//
// df = 1 and df = 2 have closed forms. Otherwise the tail equation P(T > t) = q, with
// q = min(p, 1−p), is solved by Newton's method on ln P(T > t) against ln t, started
// from the Cornish–Fisher expansion and safeguarded by a bracket, to within a few ulps
// of the root of the computed tail function.
func StudentTQuantile(p, df float64) float64 {
	switch {
	case !(p >= 0 && p <= 1) || !(df > 0):
		return math.NaN()
	case p == 0:
		return math.Inf(-1)
	case p == 1:
		return math.Inf(1)
	case p == 0.5:
		return 0
	case math.IsInf(df, 1):
		return NormalQuantile(p)
	}
	if p < 0.5 {
		return -studentTUpper(p, df)
	}
	return studentTUpper(1-p, df)
}

// studentTUpper returns the t > 0 with P(T > t) = q, for 0 < q < ½.
func studentTUpper(q, df float64) float64 {
	switch df {
	case 1:
		// P(T > t) = atan(1/t)/π for the Cauchy distribution.
		return 1 / math.Tan(math.Pi*q)
	case 2:
		// P(T > t) = ½ − t/(2·√(2+t²)).
		return (1 - 2*q) / math.Sqrt(2*q*(1-q))
	}
	tail := func(t float64) float64 { return studentTTail(t, df) }
	if df < 1 && tail(math.MaxFloat64) >= q {
		// Below one degree of freedom the tails are so heavy that the quantile of a
		// small q can lie beyond the float64 range.
		return math.Inf(1)
	}
	z := -NormalQuantile(q)
	z2 := z * z
	t := z + z*(z2+1)/(4*df) + z*((5*z2+16)*z2+3)/(96*df*df)
	if !(t > 0) || math.IsInf(t, 0) {
		t = 1
	}
	// Bracket the root: tail(lo) ≥ q ≥ tail(hi).
	lo, hi := 0.0, math.Inf(1)
	logQ := math.Log(q)
	for iter := 0; iter < 200; iter++ {
		tl := tail(t)
		g := math.Log(tl) - logQ
		if g == 0 {
			return t
		}
		if g > 0 {
			lo = t
		} else {
			hi = t
		}
		// Newton step in u = ln t: d/du ln tail(t) = −t·pdf(t)/tail(t).
		slope := -t * math.Exp(studentTLogPDF(t, df)) / tl
		next := t * math.Exp(-g/slope)
		if math.Abs(next-t) <= 4e-16*t {
			return next
		}
		if !(next > lo && next < hi) {
			switch {
			case math.IsInf(hi, 1):
				next = 16 * t
			case lo > 0 && hi > 4*lo:
				next = math.Sqrt(lo) * math.Sqrt(hi)
			default:
				next = 0.5 * (lo + hi)
			}
		}
		if hi-lo <= 4e-16*t {
			return next
		}
		t = next
	}
	return t
}

// BinomialCDF returns P(X ≤ k) for X ~ Binomial(n, p), computed as I_(1−p)(n−k, k+1)
// so that small tails keep their relative precision. It is 0 for k < 0, 1 for k ≥ n,
// and NaN for n < 0 or p outside [0, 1].
func BinomialCDF(k, n int, p float64) float64 {
	switch {
	case n < 0 || !(p >= 0 && p <= 1):
		return math.NaN()
	case k < 0:
		return 0
	case k >= n:
		return 1
	}
	v, _ := betaInc(float64(n-k), float64(k+1), 1-p, p)
	return v
}
