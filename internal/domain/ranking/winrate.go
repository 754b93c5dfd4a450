package ranking

import (
	"cmp"
	"math"
	"slices"

	"github.com/rlhf-eval/rlhf-eval/internal/domain"
)

// WinRate is one model's record against the baseline, as AlpacaEval reports it.
type WinRate struct {
	Model string
	// WinRate is 100 × the mean preference for the model over its judged comparisons
	// with the baseline: a win counts 1, a tie ½, a soft preference its value. It is 0
	// when N is 0 (every comparison lacked a judgement); show it as absent then.
	WinRate float64
	// StandardError is 100 × the standard error of that mean: the sample standard
	// deviation (ddof = 1) divided by √N, as pandas' Series.sem computes it. It is nil
	// when N < 2.
	StandardError *float64
	// Wins, Ties and Losses count comparisons whose preference for the model is above,
	// exactly at, and below ½; they add up to N.
	Wins, Ties, Losses int
	// N counts the judged comparisons; Skipped those without a judgement (NaN).
	N, Skipped int
}

// WinRates computes AlpacaEval's win rate of every model against baseline.
//
// Only outcomes that involve the baseline count. The model's preference is the
// outcome's preference when the model is B and 1 − preference when it is A. An
// outcome with the baseline on both sides (the baseline judged against itself) counts
// for the baseline with its preference as given, which makes the baseline's own win
// rate 50 when those judgements are ties. This follows alpaca_eval's
// metrics.get_winrate / AbsoluteScoringRule.describe_head2head (tatsu-lab/alpaca_eval,
// src/alpaca_eval/metrics/), which works on preferences in [1,2] that are p + 1 here:
// win_rate = mean × 100, standard_error = sem × 100, n_wins counts p > ½, n_wins_base
// p < ½, n_draws p = ½, and non-preferences (null/NaN) are dropped before counting.
//
// The result lists every model that met the baseline, sorted by descending WinRate
// (models with N = 0 last), then by name. WinRates fails if an outcome is invalid or
// if no outcome involves the baseline.
func WinRates(outcomes []Outcome, baseline string) ([]WinRate, error) {
	if baseline == "" {
		return nil, domain.Invalid("baseline", "must not be empty")
	}
	if err := validateOutcomes(outcomes); err != nil {
		return nil, err
	}
	type acc struct {
		sum                float64 // Σ count × p
		wins, ties, losses int
		n, skipped         int
		rows               []valueCount // the model's preferences, for the second pass
	}
	accs := make(map[string]*acc)
	for _, o := range outcomes {
		var model string
		p := o.Preference
		switch {
		case o.ModelB == baseline && o.ModelA == baseline:
			model = baseline
		case o.ModelB == baseline:
			model, p = o.ModelA, 1-p
		case o.ModelA == baseline:
			model = o.ModelB
		default:
			continue
		}
		a := accs[model]
		if a == nil {
			a = &acc{}
			accs[model] = a
		}
		if math.IsNaN(p) {
			a.skipped += o.Count
			continue
		}
		if o.Count == 0 {
			continue
		}
		a.n += o.Count
		a.sum += float64(o.Count) * p
		switch {
		case p > 0.5:
			a.wins += o.Count
		case p < 0.5:
			a.losses += o.Count
		default:
			a.ties += o.Count
		}
		a.rows = append(a.rows, valueCount{p, o.Count})
	}
	if len(accs) == 0 {
		return nil, domain.Invalid("baseline", "no comparison involves model %q", baseline)
	}
	out := make([]WinRate, 0, len(accs))
	for model, a := range accs {
		w := WinRate{Model: model, Wins: a.wins, Ties: a.ties, Losses: a.losses, N: a.n, Skipped: a.skipped}
		if a.n > 0 {
			mean := a.sum / float64(a.n)
			w.WinRate = 100 * mean
			if a.n > 1 {
				se := 100 * meanStandardError(a.rows, mean, a.n)
				w.StandardError = &se
			}
		}
		out = append(out, w)
	}
	slices.SortFunc(out, func(x, y WinRate) int {
		if (x.N == 0) != (y.N == 0) {
			if x.N == 0 {
				return 1
			}
			return -1
		}
		if c := cmp.Compare(y.WinRate, x.WinRate); c != 0 {
			return c
		}
		return cmp.Compare(x.Model, y.Model)
	})
	return out, nil
}

// valueCount is a value repeated count times.
type valueCount struct {
	value float64
	count int
}

// meanStandardError returns √(Σ count·(value − mean)² / (n − 1)) / √n for n ≥ 2.
func meanStandardError(rows []valueCount, mean float64, n int) float64 {
	var ss float64
	for _, r := range rows {
		d := r.value - mean
		ss += float64(r.count) * d * d
	}
	return math.Sqrt(ss / float64(n-1) / float64(n))
}

// PairwiseWinRates holds the win rate of every model against every other model.
type PairwiseWinRates struct {
	// Models lists every model that appears in a judged comparison, sorted by name;
	// it indexes both dimensions of WinRate and Count.
	Models []string
	// WinRate[i][j] is 100 × the mean preference for Models[i] over its judged
	// comparisons with Models[j] (either side; ties count ½), so WinRate[i][j] +
	// WinRate[j][i] = 100 when Count[i][j] > 0. The diagonal holds self-comparisons (two
	// responses of one model), with the preference for side B. Entries with
	// Count[i][j] = 0 are 0 and mean "no data".
	WinRate [][]float64
	// Count[i][j] is the number of judged comparisons between Models[i] and Models[j].
	Count [][]int
	// Skipped counts comparisons without a judgement (NaN preference).
	Skipped int
}

// WinRateMatrix computes the win rate of every model against every other model from
// judged comparisons, in percent; see PairwiseWinRates for the exact definition.
func WinRateMatrix(outcomes []Outcome) (PairwiseWinRates, error) {
	if err := validateOutcomes(outcomes); err != nil {
		return PairwiseWinRates{}, err
	}
	var res PairwiseWinRates
	index := make(map[string]int)
	for _, o := range outcomes {
		if math.IsNaN(o.Preference) {
			res.Skipped += o.Count
			continue
		}
		if o.Count == 0 {
			continue
		}
		for _, m := range [2]string{o.ModelA, o.ModelB} {
			if _, ok := index[m]; !ok {
				index[m] = len(res.Models)
				res.Models = append(res.Models, m)
			}
		}
	}
	slices.Sort(res.Models)
	for i, m := range res.Models {
		index[m] = i
	}
	k := len(res.Models)
	sums := make([][]float64, k)
	res.WinRate = make([][]float64, k)
	res.Count = make([][]int, k)
	for i := range k {
		sums[i] = make([]float64, k)
		res.WinRate[i] = make([]float64, k)
		res.Count[i] = make([]int, k)
	}
	for _, o := range outcomes {
		if math.IsNaN(o.Preference) || o.Count == 0 {
			continue
		}
		a, b := index[o.ModelA], index[o.ModelB]
		c := float64(o.Count)
		if a == b {
			sums[a][a] += c * o.Preference
			res.Count[a][a] += o.Count
			continue
		}
		sums[b][a] += c * o.Preference
		sums[a][b] += c * (1 - o.Preference)
		res.Count[a][b] += o.Count
		res.Count[b][a] += o.Count
	}
	for i := range k {
		for j := range k {
			if n := res.Count[i][j]; n > 0 {
				res.WinRate[i][j] = 100 * sums[i][j] / float64(n)
			}
		}
	}
	return res, nil
}
