package ranking

import (
	"math"
	"math/rand/v2"

	"github.com/rlhf-eval/rlhf-eval/internal/domain"
)

// EloOptions configures OnlineElo. The zero value means Arena's defaults.
type EloOptions struct {
	// K is the step size; 0 means DefaultK.
	K float64
	// Scale, Base and Initial define the scale and the starting rating; 0 means
	// DefaultScale, DefaultBase, DefaultInitial.
	Scale, Base, Initial float64
	// Rounds is the number of bootstrap rounds behind the intervals; 0 or less
	// means none.
	Rounds int
	// Seed seeds the bootstrap: round r draws from PCG(Seed, r).
	Seed uint64
	// Cancel, when closed, stops the bootstrap with ErrCanceled; nil never does.
	Cancel <-chan struct{}
}

// OnlineElo runs Chatbot Arena's online Elo update over battles in the order given
// (compute_elo in lm-sys/FastChat, fastchat/serve/monitor/elo_analysis.py). Every model
// starts at Initial; for a battle of A with B at preference p, with
//
//	E_A = 1 / (1 + Base^((R_B − R_A)/Scale)),  E_B = 1 − E_A,  S_A = 1 − p,
//
// R_A += K·(S_A − E_A) and R_B += K·((1 − S_A) − E_B), both from the ratings before
// the battle. A tie (p = ½) scores ½ each; a soft preference scores its value.
// Battles without a judgement and battles of a model with itself (which would leave
// its rating unchanged) are skipped and counted.
//
// The ratings depend on the order of battles. With Rounds > 0 the intervals come
// from Arena's bootstrap (get_bootstrap_result): each round replays len(battles)
// battles drawn with replacement, in the drawn order, and CILow, Median and CIHigh
// are the 2.5th, 50th and 97.5th percentiles of a model's rounds (a model absent
// from a round keeps Initial there, as the replay would leave it); RankLow and
// RankHigh are its best and worst positions over the rounds. Without a bootstrap
// CILow, Median and CIHigh equal Rating and RankLow = RankHigh = Rank. Rank is
// Arena's rank from the intervals. Battles, WinRate and the
// undefeated/winless/disconnected flags are as for BradleyTerry.
func OnlineElo(battles []Battle, opts EloOptions) (Leaderboard, error) {
	if err := validateBattles(battles); err != nil {
		return Leaderboard{}, err
	}
	if opts.K == 0 {
		opts.K = DefaultK
	}
	if opts.Scale == 0 {
		opts.Scale = DefaultScale
	}
	if opts.Base == 0 {
		opts.Base = DefaultBase
	}
	if opts.Initial == 0 {
		opts.Initial = DefaultInitial
	}
	switch {
	case !(opts.K > 0) || math.IsInf(opts.K, 0):
		return Leaderboard{}, domain.Invalid("k", "must be a positive number; got %v", opts.K)
	case !(opts.Scale > 0) || math.IsInf(opts.Scale, 0):
		return Leaderboard{}, domain.Invalid("scale", "must be a positive number; got %v", opts.Scale)
	case !(opts.Base > 1) || math.IsInf(opts.Base, 0):
		return Leaderboard{}, domain.Invalid("base", "must be a number above 1; got %v", opts.Base)
	case math.IsNaN(opts.Initial) || math.IsInf(opts.Initial, 0):
		return Leaderboard{}, domain.Invalid("initial", "must be finite; got %v", opts.Initial)
	}

	rating := replayElo(battles, opts)

	d := newPairData(Aggregate(battles))
	lb := Leaderboard{
		Method:          MethodOnlineElo,
		Comparisons:     d.comparisons,
		Skipped:         d.skipped,
		SelfComparisons: d.self,
		Warnings:        inputWarnings(d),
	}
	m := len(d.models)
	if m == 0 {
		lb.Warnings = append(lb.Warnings, "no judged comparisons between two different models: nothing to rate")
		return lb, nil
	}
	weakLabel, comps := weakComponents(m, d.pairs)
	lb.Components = comps
	flags := modelFlags(d, outsideLargest(weakLabel, comps), make([]bool, m))
	rs := make([]Rating, m)
	for i, model := range d.models {
		r := rating[model]
		rs[i] = Rating{
			Model:   model,
			Rating:  r,
			Median:  r,
			CILow:   r,
			CIHigh:  r,
			Battles: d.battles[i],
			WinRate: 100 * d.winShare[i] / float64(d.battles[i]),
			Flags:   flags[i],
		}
	}
	if opts.Rounds > 0 {
		boot, err := eloBootstrap(battles, d.models, opts)
		if err != nil {
			return Leaderboard{}, err
		}
		lb.Rounds = opts.Rounds
		summarise(rs, boot)
		assignArenaRanks(rs)
	} else {
		assignArenaRanks(rs)
		for i := range rs {
			rs[i].RankLow, rs[i].RankHigh = rs[i].Rank, rs[i].Rank
		}
	}
	sortRatings(rs)
	lb.Ratings = rs
	return lb, nil
}

// replayElo runs the online update over battles in order and returns the ratings
// of the models that played.
func replayElo(battles []Battle, opts EloOptions) map[string]float64 {
	rating := make(map[string]float64)
	for _, b := range battles {
		if math.IsNaN(b.Preference) || b.ModelA == b.ModelB {
			continue
		}
		ra, ok := rating[b.ModelA]
		if !ok {
			ra = opts.Initial
		}
		rb, ok := rating[b.ModelB]
		if !ok {
			rb = opts.Initial
		}
		ea := 1 / (1 + math.Pow(opts.Base, (rb-ra)/opts.Scale))
		eb := 1 / (1 + math.Pow(opts.Base, (ra-rb)/opts.Scale))
		sa := 1 - b.Preference
		rating[b.ModelA] = ra + opts.K*(sa-ea)
		rating[b.ModelB] = rb + opts.K*(1-sa-eb)
	}
	return rating
}

// eloBootstrap replays opts.Rounds resamples of the judged battles and returns
// the ratings, round-major (boot[r][i] for models[i]).
func eloBootstrap(battles []Battle, models []string, opts EloOptions) ([][]float64, error) {
	judged := make([]Battle, 0, len(battles))
	for _, b := range battles {
		if !math.IsNaN(b.Preference) && b.ModelA != b.ModelB {
			judged = append(judged, b)
		}
	}
	boot := make([][]float64, opts.Rounds)
	sample := make([]Battle, len(judged))
	for r := range boot {
		if canceled(opts.Cancel) {
			return nil, ErrCanceled
		}
		rng := rand.New(rand.NewPCG(opts.Seed, uint64(r)))
		for k := range sample {
			sample[k] = judged[rng.IntN(len(judged))]
		}
		rating := replayElo(sample, opts)
		boot[r] = make([]float64, len(models))
		for i, m := range models {
			v, ok := rating[m]
			if !ok {
				v = opts.Initial
			}
			boot[r][i] = v
		}
	}
	return boot, nil
}
