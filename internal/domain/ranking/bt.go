package ranking

import (
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"slices"
	"sync"

	"github.com/rlhf-eval/rlhf-eval/internal/domain"
)

// Chatbot Arena's defaults (lm-sys/FastChat, fastchat/serve/monitor/rating_systems.py
// and elo_analysis.py).
const (
	// DefaultScale and DefaultBase put ratings on the Elo scale: a model rated Scale
	// points above another beats it with odds Base : 1.
	DefaultScale = 400.0
	DefaultBase  = 10.0
	// DefaultInitial is the mean rating (Bradley–Terry) or starting rating (online Elo).
	DefaultInitial = 1000.0
	// DefaultRounds is the number of bootstrap rounds.
	DefaultRounds = 100
	// DefaultRidge is the ridge strength λ used when the maximum-likelihood ratings do
	// not exist: a Gaussian prior on each strength with standard deviation 1/√λ = 10
	// natural units (≈ 1737 Elo points), weak next to any real data but enough to keep
	// every rating finite.
	DefaultRidge = 0.01
	// DefaultK is the online Elo step size.
	DefaultK = 4.0
)

// Anchor pins one model's rating; every other rating moves by the same offset.
type Anchor struct {
	Model  string
	Rating float64
}

// BTOptions configures BradleyTerry. The zero value means Arena's defaults.
type BTOptions struct {
	// Scale, Base and Initial define the rating scale; 0 means DefaultScale,
	// DefaultBase, DefaultInitial.
	Scale, Base, Initial float64
	// Rounds is the number of bootstrap rounds: 0 means DefaultRounds, a negative
	// number turns the bootstrap off.
	Rounds int
	// Seed seeds the bootstrap's random numbers: round r draws from math/rand/v2's
	// PCG seeded with (Seed, r). Equal seeds give equal results.
	Seed uint64
	// Anchor, when set, pins a model's rating instead of centring the mean at Initial;
	// bootstrap rounds are pinned the same way, as Arena does.
	Anchor *Anchor
	// Ridge is the ridge strength used when the MLE does not exist; 0 means
	// DefaultRidge.
	Ridge float64
	// Workers bounds the goroutines fitting bootstrap rounds; 0 means GOMAXPROCS.
	// Results do not depend on it.
	Workers int
	// Cancel, when closed, stops the bootstrap with ErrCanceled (a request's
	// deadline); nil never stops it.
	Cancel <-chan struct{}
}

// BradleyTerry fits Chatbot Arena's maximum-likelihood Bradley–Terry ratings.
//
// Model i beats model j with probability 1 / (1 + Base^((R_j − R_i)/Scale)). A
// comparison with preference p counts as p of a win for B and 1 − p of a win for A,
// so a tie is half a win each way — the likelihood Arena's compute_bt / fit_bt
// maximises (lm-sys/FastChat, fastchat/serve/monitor/rating_systems.py). Arena stops
// L-BFGS after 100 iterations; here Newton's method on the aggregated pair totals runs
// to convergence (steps below 1e-10 natural units). Ratings are centred to mean
// Initial, or shifted so that Anchor.Model has Anchor.Rating. Soft preferences are
// taken at face value: two models linked only by judgements of p = 1e-12 end up
// 400·log10(10¹²) = 4800 points apart, because that is the maximum-likelihood answer.
//
// The maximum-likelihood ratings exist exactly when the win graph (an edge i→j when i
// won any share against j) is strongly connected (Zermelo 1929; Ford 1957). When it is
// not — a model never lost or never won, a group of models never beat another, or
// the comparison graph is disconnected — BradleyTerry maximises the likelihood with a
// ridge penalty (λ/2)·Σ β² on the natural-unit strengths β (β = R·ln(Base)/Scale
// before centring) instead, keeping every rating finite, and says so: MLEExists is
// false, the affected models carry FlagSeparated / FlagUndefeated / FlagWinless /
// FlagDisconnected, and Warnings explains.
//
// Confidence intervals follow Arena's compute_bootstrap_bt: each round draws new
// counts for the distinct (model pair, preference) outcomes from a multinomial with
// the observed total and proportions, and refits (with the ridge if that resample has
// no MLE). CILow, Median and CIHigh are the 2.5/50/97.5 percentiles of the rounds'
// ratings; Rank is Arena's rank from those intervals; RankLow/RankHigh the range of
// positions across rounds.
//
// Comparisons of a model with itself are ignored and counted, as are comparisons
// without a judgement. The result depends neither on the order of outcomes nor on
// which side of a comparison is called A (a comparison of A with B at preference p is
// the same as one of B with A at 1 − p).
func BradleyTerry(outcomes []Outcome, opts BTOptions) (Leaderboard, error) {
	if err := validateOutcomes(outcomes); err != nil {
		return Leaderboard{}, err
	}
	opts = opts.withDefaults()
	if err := opts.validate(); err != nil {
		return Leaderboard{}, err
	}
	d := newPairData(outcomes)
	lb := Leaderboard{
		Method:          MethodBradleyTerry,
		Comparisons:     d.comparisons,
		Skipped:         d.skipped,
		SelfComparisons: d.self,
	}
	if opts.Anchor != nil && !slices.Contains(d.models, opts.Anchor.Model) {
		return Leaderboard{}, domain.Invalid("anchor.model", "model %q has no judged comparison with another model", opts.Anchor.Model)
	}
	lb.Warnings = inputWarnings(d)
	m := len(d.models)
	if m == 0 {
		lb.Warnings = append(lb.Warnings, "no judged comparisons between two different models: nothing to rate")
		return lb, nil
	}

	ratingsOf := func(beta []float64, out []float64) {
		k := opts.Scale / math.Log(opts.Base)
		for i, b := range beta {
			out[i] = opts.Initial + k*b
		}
		if opts.Anchor != nil {
			a, _ := slices.BinarySearch(d.models, opts.Anchor.Model)
			shift := opts.Anchor.Rating - out[a]
			for i := range out {
				out[i] += shift
			}
		}
	}

	// Point estimate.
	wi, wj := make([]float64, len(d.pairs)), make([]float64, len(d.pairs))
	for k, p := range d.pairs {
		wi[k], wj[k] = p.wi, p.wj
	}
	iWon, jWon := d.edges(nil)
	sccLabel, sccs := strongComponents(m, d.pairs, iWon, jWon)
	lb.MLEExists = sccs == 1
	weakLabel, comps := weakComponents(m, d.pairs)
	lb.Components = comps
	if !lb.MLEExists {
		lb.Ridge = opts.Ridge
	}
	s := newSolver(m)
	beta, err := s.fit(d.pairs, wi, wj, lb.Ridge, nil)
	if err != nil && lb.Ridge == 0 {
		// Win probabilities so extreme that the curvature underflows: the ridge keeps
		// the system solvable.
		lb.Ridge = opts.Ridge
		lb.Warnings = append(lb.Warnings, fmt.Sprintf(
			"the maximum-likelihood fit was numerically singular (extreme win rates); ratings use a ridge prior with λ = %g", lb.Ridge))
		beta, err = s.fit(d.pairs, wi, wj, lb.Ridge, nil)
	}
	if err != nil {
		return Leaderboard{}, fmt.Errorf("fit bradley-terry ratings: %w", err)
	}
	point := make([]float64, m)
	ratingsOf(beta, point)

	rs := make([]Rating, m)
	separated := outsideLargest(sccLabel, sccs)
	if lb.MLEExists {
		clear(separated)
	}
	flags := modelFlags(d, outsideLargest(weakLabel, comps), separated)
	for i, model := range d.models {
		rs[i] = Rating{
			Model:   model,
			Rating:  point[i],
			Median:  point[i],
			CILow:   point[i],
			CIHigh:  point[i],
			Battles: d.battles[i],
			WinRate: 100 * d.winShare[i] / float64(d.battles[i]),
			Flags:   flags[i],
		}
	}
	if comps > 1 {
		lb.Warnings = append(lb.Warnings, fmt.Sprintf(
			"the comparison graph has %d connected components: ratings in different components are not comparable (models outside the largest are flagged disconnected)", comps))
	}
	if !lb.MLEExists {
		lb.Warnings = append(lb.Warnings, fmt.Sprintf(
			"the maximum-likelihood ratings do not exist (the win graph has %d strongly connected components: some model or group never lost or never won against the rest); ratings use a ridge prior with λ = %g and flagged models' ratings are set by it", sccs, lb.Ridge))
	}

	// Bootstrap, each round starting from the point estimate.
	if opts.Rounds > 0 {
		boot, ridgeRounds, err := bootstrap(d, opts, slices.Clone(beta), ratingsOf)
		if err != nil {
			return Leaderboard{}, err
		}
		lb.Rounds = opts.Rounds
		lb.RidgeRounds = ridgeRounds
		if ridgeRounds > 0 {
			lb.Warnings = append(lb.Warnings, fmt.Sprintf(
				"%d of %d bootstrap rounds had no maximum-likelihood estimate and were fitted with the ridge prior (λ = %g)", ridgeRounds, opts.Rounds, opts.Ridge))
		}
		summarise(rs, boot)
	} else {
		for i := range rs {
			pos := 1
			for j := range rs {
				if point[j] > point[i] {
					pos++
				}
			}
			rs[i].RankLow, rs[i].RankHigh = pos, pos
		}
	}
	assignArenaRanks(rs)
	sortRatings(rs)
	lb.Ratings = rs
	return lb, nil
}

func (o BTOptions) withDefaults() BTOptions {
	if o.Scale == 0 {
		o.Scale = DefaultScale
	}
	if o.Base == 0 {
		o.Base = DefaultBase
	}
	if o.Initial == 0 {
		o.Initial = DefaultInitial
	}
	if o.Rounds == 0 {
		o.Rounds = DefaultRounds
	}
	if o.Ridge == 0 {
		o.Ridge = DefaultRidge
	}
	if o.Workers <= 0 {
		o.Workers = runtime.GOMAXPROCS(0)
	}
	return o
}

func (o BTOptions) validate() error {
	switch {
	case !(o.Scale > 0) || math.IsInf(o.Scale, 0):
		return domain.Invalid("scale", "must be a positive number; got %v", o.Scale)
	case !(o.Base > 1) || math.IsInf(o.Base, 0):
		return domain.Invalid("base", "must be a number above 1; got %v", o.Base)
	case math.IsNaN(o.Initial) || math.IsInf(o.Initial, 0):
		return domain.Invalid("initial", "must be finite; got %v", o.Initial)
	case !(o.Ridge > 0) || math.IsInf(o.Ridge, 0):
		return domain.Invalid("ridge", "must be a positive number; got %v", o.Ridge)
	case o.Anchor != nil && (o.Anchor.Model == "" || math.IsNaN(o.Anchor.Rating) || math.IsInf(o.Anchor.Rating, 0)):
		return domain.Invalid("anchor", "needs a model and a finite rating")
	}
	return nil
}

// bootstrap fits opts.Rounds multinomial resamples and returns their ratings
// (round-major: boot[r][i]) and the number of rounds that needed the ridge. Round r
// draws its counts from its own stream, PCG(Seed, r), so the result does not depend on
// how rounds are spread over workers.
func bootstrap(d *pairData, opts BTOptions, start []float64, ratingsOf func(beta, out []float64)) ([][]float64, int, error) {
	m, rounds := len(d.models), opts.Rounds
	weights := make([]int, len(d.cats))
	for k, c := range d.cats {
		weights[k] = c.count
	}

	boot := make([][]float64, rounds)
	ridged := make([]bool, rounds)
	errs := make([]error, rounds)
	next := make(chan int)
	var wg sync.WaitGroup
	for range min(opts.Workers, rounds) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s := newSolver(m)
			wi, wj := make([]float64, len(d.pairs)), make([]float64, len(d.pairs))
			counts := make([]int32, len(d.cats))
			for r := range next {
				multinomial(rand.New(rand.NewPCG(opts.Seed, uint64(r))), d.comparisons, weights, counts)
				clear(wi)
				clear(wj)
				for k, c := range d.cats {
					n := float64(counts[k])
					wi[c.pair] += n * c.si
					wj[c.pair] += n * c.sj
				}
				iWon, jWon := d.edges(counts)
				_, sccs := strongComponents(m, d.pairs, iWon, jWon)
				ridge := 0.0
				if sccs > 1 {
					ridge, ridged[r] = opts.Ridge, true
				}
				beta, err := s.fit(d.pairs, wi, wj, ridge, start)
				if err != nil && ridge == 0 {
					ridged[r] = true
					beta, err = s.fit(d.pairs, wi, wj, opts.Ridge, start)
				}
				if err != nil {
					errs[r] = err
					continue
				}
				boot[r] = make([]float64, m)
				ratingsOf(beta, boot[r])
			}
		}()
	}
	stopped := false
	for r := 0; r < rounds && !stopped; r++ {
		select {
		case next <- r:
		case <-opts.Cancel:
			stopped = true
		}
	}
	close(next)
	wg.Wait()
	if stopped {
		return nil, 0, ErrCanceled
	}
	n := 0
	for r := range rounds {
		if errs[r] != nil {
			return nil, 0, fmt.Errorf("fit bootstrap round %d: %w", r, errs[r])
		}
		if ridged[r] {
			n++
		}
	}
	return boot, n, nil
}

// summarise sets Median, CILow, CIHigh, RankLow and RankHigh from bootstrap ratings.
func summarise(rs []Rating, boot [][]float64) {
	m, rounds := len(rs), len(boot)
	col := make([]float64, rounds)
	for i := range m {
		for r := range rounds {
			col[r] = boot[r][i]
		}
		slices.Sort(col)
		rs[i].CILow = percentile(col, 0.025)
		rs[i].Median = percentile(col, 0.5)
		rs[i].CIHigh = percentile(col, 0.975)
		rs[i].RankLow, rs[i].RankHigh = math.MaxInt, 0
	}
	order := make([]int, m)
	for _, ratings := range boot {
		for i := range order {
			order[i] = i
		}
		slices.SortFunc(order, func(x, y int) int { return -cmpFloat(ratings[x], ratings[y]) })
		// Walk the models from the highest rating down; equal ratings share a position.
		pos := 1
		for k, i := range order {
			if k > 0 && ratings[i] < ratings[order[k-1]] {
				pos = k + 1
			}
			rs[i].RankLow = min(rs[i].RankLow, pos)
			rs[i].RankHigh = max(rs[i].RankHigh, pos)
		}
	}
}

func cmpFloat(x, y float64) int {
	switch {
	case x < y:
		return -1
	case x > y:
		return 1
	}
	return 0
}

// modelFlags lists each model's caveats in the order the Flag constants are declared.
func modelFlags(d *pairData, disconnected, separated []bool) [][]Flag {
	m := len(d.models)
	won, lost := make([]bool, m), make([]bool, m)
	for _, c := range d.cats {
		p := d.pairs[c.pair]
		if c.si > 0 {
			won[p.i], lost[p.j] = true, true
		}
		if c.sj > 0 {
			won[p.j], lost[p.i] = true, true
		}
	}
	flags := make([][]Flag, m)
	for i := range m {
		if !lost[i] {
			flags[i] = append(flags[i], FlagUndefeated)
		}
		if !won[i] {
			flags[i] = append(flags[i], FlagWinless)
		}
		if disconnected[i] {
			flags[i] = append(flags[i], FlagDisconnected)
		}
		if separated[i] {
			flags[i] = append(flags[i], FlagSeparated)
		}
	}
	return flags
}

// inputWarnings describes the comparisons that were left out.
func inputWarnings(d *pairData) []string {
	var w []string
	if d.skipped > 0 {
		w = append(w, fmt.Sprintf("%d comparisons without a judgement (null preference) were skipped", d.skipped))
	}
	if d.self > 0 {
		w = append(w, fmt.Sprintf("%d comparisons of a model with itself were ignored", d.self))
	}
	return w
}
