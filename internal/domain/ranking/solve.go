package ranking

import (
	"errors"
	"math"
)

// Newton's method for the Bradley–Terry log-likelihood in natural units (log-odds):
// with β the strengths and d = β_i − β_j for a pair, model i beats j with probability
// σ(d) = 1 / (1 + e^(−d)), and
//
//	ℓ(β) = Σ_pairs [ w_i log σ(d) + w_j log σ(−d) ] − (λ/2) Σ_k β_k²
//
// where w_i, w_j are the pair's summed preference shares (a tie gives ½ to each
// side, a soft preference p gives p to B and 1 − p to A) and λ ≥ 0 is the ridge.
// The gradient is g_i = Σ_j (w_i − n σ(d)) − λ β_i with n = w_i + w_j, and −∇²ℓ is the
// graph Laplacian with edge weights n σ(d) σ(−d), plus λI. Work per iteration grows
// with the number of pairs plus a dense Cholesky factorisation of the m×m system,
// never with the number of comparisons.

const (
	// solveMaxIter bounds Newton iterations; from β = 0 well-posed problems converge in
	// under ten, ridge fits of separated data in a few dozen.
	solveMaxIter = 200
	// solveStepTol stops the iteration once a full Newton step moves no strength by more
	// than this many natural units (≈ 2e-8 Elo points); the error left is of the order
	// of its square.
	solveStepTol = 1e-10
	// solveFullStepDec is the squared Newton decrement below which steps are taken in
	// full, without a line search (raised to 1e-10·|ℓ| for large data, where ℓ itself
	// cannot resolve smaller gains).
	solveFullStepDec = 1e-4
)

var errNotPositiveDefinite = errors.New("ranking: newton system is not positive definite")

// solver holds the buffers of one Bradley–Terry fit, reused across fits of the same
// size. It is not safe for concurrent use.
type solver struct {
	m      int
	beta   []float64
	trial  []float64
	grad   []float64
	delta  []float64
	matrix []float64 // m×m, row-major; holds −∇²ℓ, then its Cholesky factor
}

func newSolver(m int) *solver {
	return &solver{
		m:      m,
		beta:   make([]float64, m),
		trial:  make([]float64, m),
		grad:   make([]float64, m),
		delta:  make([]float64, m),
		matrix: make([]float64, m*m),
	}
}

// fit maximises ℓ from β = 0 for pairs whose shares are wi[k], wj[k], and returns the
// strengths centred to mean zero (the buffer is reused by the next fit). With λ = 0
// the caller must have checked that the win graph is strongly connected, otherwise
// the maximum does not exist.
func (s *solver) fit(pairs []pair, wi, wj []float64, ridge float64) ([]float64, error) {
	m := s.m
	beta := s.beta
	clear(beta)
	ll := loglik(pairs, wi, wj, beta, ridge)
	lastFull := math.Inf(1)
	for range solveMaxIter {
		s.assemble(pairs, wi, wj, ridge)
		if err := s.solveSystem(); err != nil {
			return nil, err
		}
		dec := 0.0 // g·δ: the squared Newton decrement, ≥ 0; ℓ can still rise by ≈ dec/2
		maxStep := 0.0
		for k := range m {
			dec += s.grad[k] * s.delta[k]
			maxStep = max(maxStep, math.Abs(s.delta[k]))
		}
		if !(dec > 0) {
			break
		}
		if dec < max(solveFullStepDec, 1e-10*math.Abs(ll)) {
			// Close to the optimum the quadratic model is accurate and ℓ cannot resolve
			// the remaining gain anyway: take full steps and watch the step size, which
			// shrinks quadratically until rounding noise takes over.
			for k := range m {
				beta[k] += s.delta[k]
			}
			ll = loglik(pairs, wi, wj, beta, ridge)
			if maxStep < solveStepTol || maxStep > lastFull/2 {
				break
			}
			lastFull = maxStep
			continue
		}
		// Far from the optimum: backtracking line search with the Armijo condition.
		step, accepted := 1.0, false
		var llTrial float64
		for step > 1e-12 {
			for k := range m {
				s.trial[k] = beta[k] + step*s.delta[k]
			}
			llTrial = loglik(pairs, wi, wj, s.trial, ridge)
			if llTrial >= ll+1e-4*step*dec {
				accepted = true
				break
			}
			step /= 2
		}
		if !accepted {
			break
		}
		copy(beta, s.trial)
		ll = llTrial
	}
	mean := 0.0
	for _, b := range beta {
		mean += b
	}
	mean /= float64(m)
	for k := range beta {
		beta[k] -= mean
	}
	return beta, nil
}

// assemble fills grad with ∇ℓ and matrix with −∇²ℓ at beta. Without a ridge the
// Laplacian is singular along the all-ones vector, which moves no difference; adding
// c·11ᵀ/m (c the mean diagonal) makes it positive definite without changing the step's
// component orthogonal to 1, and the gradient has no component along 1.
func (s *solver) assemble(pairs []pair, wi, wj []float64, ridge float64) {
	m := s.m
	clear(s.grad)
	clear(s.matrix)
	for k, p := range pairs {
		n := wi[k] + wj[k]
		if n == 0 {
			continue
		}
		d := s.beta[p.i] - s.beta[p.j]
		pi, pj := sigmoid(d), sigmoid(-d)
		g := wi[k] - n*pi
		s.grad[p.i] += g
		s.grad[p.j] -= g
		h := n * pi * pj
		s.matrix[p.i*m+p.i] += h
		s.matrix[p.j*m+p.j] += h
		s.matrix[p.i*m+p.j] -= h
		s.matrix[p.j*m+p.i] -= h
	}
	if ridge > 0 {
		for k := range m {
			s.grad[k] -= ridge * s.beta[k]
			s.matrix[k*m+k] += ridge
		}
		return
	}
	trace := 0.0
	for k := range m {
		trace += s.matrix[k*m+k]
	}
	c := trace / float64(m) / float64(m)
	if c == 0 {
		c = 1
	}
	for k := range s.matrix {
		s.matrix[k] += c
	}
}

// solveSystem solves matrix · delta = grad by Cholesky factorisation in place.
func (s *solver) solveSystem() error {
	m, a := s.m, s.matrix
	for j := range m {
		sum := a[j*m+j]
		for k := range j {
			sum -= a[j*m+k] * a[j*m+k]
		}
		if !(sum > 0) {
			return errNotPositiveDefinite
		}
		ljj := math.Sqrt(sum)
		a[j*m+j] = ljj
		for i := j + 1; i < m; i++ {
			sum := a[i*m+j]
			ri, rj := a[i*m:i*m+j], a[j*m:j*m+j]
			for k := range ri {
				sum -= ri[k] * rj[k]
			}
			a[i*m+j] = sum / ljj
		}
	}
	// L y = grad, then Lᵀ delta = y.
	y := s.delta
	for i := range m {
		sum := s.grad[i]
		for k := range i {
			sum -= a[i*m+k] * y[k]
		}
		y[i] = sum / a[i*m+i]
	}
	for i := m - 1; i >= 0; i-- {
		sum := y[i]
		for k := i + 1; k < m; k++ {
			sum -= a[k*m+i] * y[k]
		}
		y[i] = sum / a[i*m+i]
	}
	return nil
}

// loglik returns ℓ(β) as defined above.
func loglik(pairs []pair, wi, wj, beta []float64, ridge float64) float64 {
	ll := 0.0
	for k, p := range pairs {
		if wi[k] == 0 && wj[k] == 0 {
			continue
		}
		d := beta[p.i] - beta[p.j]
		ls := logSigmoid(d) // log σ(−d) = log σ(d) − d
		if wi[k] != 0 {
			ll += wi[k] * ls
		}
		if wj[k] != 0 {
			ll += wj[k] * (ls - d)
		}
	}
	if ridge > 0 {
		ss := 0.0
		for _, b := range beta {
			ss += b * b
		}
		ll -= ridge / 2 * ss
	}
	return ll
}

// sigmoid returns 1 / (1 + e^(−x)) without overflow.
func sigmoid(x float64) float64 {
	if x >= 0 {
		return 1 / (1 + math.Exp(-x))
	}
	e := math.Exp(x)
	return e / (1 + e)
}

// logSigmoid returns log σ(x) accurately for large |x|.
func logSigmoid(x float64) float64 {
	if x >= 0 {
		return -math.Log1p(math.Exp(-x))
	}
	return x - math.Log1p(math.Exp(x))
}
