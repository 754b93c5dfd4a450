package ranking

import (
	"errors"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/rlhf-eval/rlhf-eval/internal/domain"
)

// byModel indexes a leaderboard's ratings by model name.
func byModel(lb Leaderboard) map[string]Rating {
	m := make(map[string]Rating, len(lb.Ratings))
	for _, r := range lb.Ratings {
		m[r.Model] = r
	}
	return m
}

func TestBradleyTerryTwoModels(t *testing.T) {
	t.Parallel()
	// With two models the MLE solves σ(β_b − β_a) = share_b / n, so the Elo gap is
	// 400·log10(share_b / share_a), split evenly around 1000.
	gap31 := 400 * math.Log10(3) // 190.848501887865 for shares 3 : 1
	gap21 := 400 * math.Log10(2) // 120.411998265592 for shares 2 : 1
	tests := []struct {
		name     string
		outcomes []Outcome
		opts     BTOptions
		a, b     float64
		winRateB float64
	}{
		{
			name: "three wins to one",
			outcomes: []Outcome{
				{ModelA: "a", ModelB: "b", Preference: 1, Count: 3},
				{ModelA: "a", ModelB: "b", Preference: 0, Count: 1},
			},
			a: 1000 - gap31/2, b: 1000 + gap31/2, winRateB: 75,
		},
		{
			// One win and two ties: b's share is 1 + 2·½ = 2, a's 2·½ = 1.
			name: "ties count half a win each way",
			outcomes: []Outcome{
				{ModelA: "a", ModelB: "b", Preference: 1, Count: 1},
				{ModelA: "b", ModelB: "a", Preference: 0.5, Count: 2},
			},
			a: 1000 - gap21/2, b: 1000 + gap21/2, winRateB: 200.0 / 3,
		},
		{
			// Four soft judgements at 0.75 for b: shares 3 : 1, as in the first row.
			name: "soft preferences count their value",
			outcomes: []Outcome{
				{ModelA: "a", ModelB: "b", Preference: 0.75, Count: 4},
			},
			a: 1000 - gap31/2, b: 1000 + gap31/2, winRateB: 75,
		},
		{
			name: "anchor pins a model",
			outcomes: []Outcome{
				{ModelA: "a", ModelB: "b", Preference: 1, Count: 3},
				{ModelA: "a", ModelB: "b", Preference: 0, Count: 1},
			},
			opts: BTOptions{Anchor: &Anchor{Model: "a", Rating: 1200}},
			a:    1200, b: 1200 + gap31, winRateB: 75,
		},
		{
			// Scale 100 and base e: the gap is 100·ln 3.
			name: "other scale and base",
			outcomes: []Outcome{
				{ModelA: "a", ModelB: "b", Preference: 1, Count: 3},
				{ModelA: "a", ModelB: "b", Preference: 0, Count: 1},
			},
			opts: BTOptions{Scale: 100, Base: math.E, Initial: 1500},
			a:    1500 - 50*math.Log(3), b: 1500 + 50*math.Log(3), winRateB: 75,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tt.opts.Rounds = -1
			lb, err := BradleyTerry(tt.outcomes, tt.opts)
			if err != nil {
				t.Fatal(err)
			}
			got := byModel(lb)
			if math.Abs(got["a"].Rating-tt.a) > 1e-9 || math.Abs(got["b"].Rating-tt.b) > 1e-9 {
				t.Errorf("ratings a = %v, b = %v, want %v, %v", got["a"].Rating, got["b"].Rating, tt.a, tt.b)
			}
			if math.Abs(got["b"].WinRate-tt.winRateB) > 1e-12 || math.Abs(got["a"].WinRate-(100-tt.winRateB)) > 1e-12 {
				t.Errorf("win rates a = %v, b = %v, want %v, %v", got["a"].WinRate, got["b"].WinRate, 100-tt.winRateB, tt.winRateB)
			}
			if !lb.MLEExists || lb.Ridge != 0 {
				t.Errorf("MLEExists = %v, ridge = %v, want true, 0", lb.MLEExists, lb.Ridge)
			}
			if lb.Ratings[0].Model != "b" || lb.Ratings[0].Rank != 1 || lb.Ratings[1].Rank != 2 {
				t.Errorf("order/ranks = %+v, want b first with rank 1, a rank 2", lb.Ratings)
			}
		})
	}
}

// oracleOutcomes is the data of /tmp oracle script: FastChat's bt_loss_and_grad
// (lm-sys/FastChat fastchat/serve/monitor/rating_systems.py, transcribed) minimised with
// scipy 1.10.1 optimize.minimize(method="L-BFGS-B", gtol=1e-13, ftol=1e-16) from zeros,
// then centred and scaled as scale_and_offset does (400·x + 1000). FastChat's outcome is
// A's score, so an outcome o here is preference 1 − o.
var oracleOutcomes = []Outcome{
	{ModelA: "a", ModelB: "b", Preference: 1, Count: 7},
	{ModelA: "a", ModelB: "b", Preference: 0, Count: 3},
	{ModelA: "a", ModelB: "b", Preference: 0.5, Count: 2},
	{ModelA: "a", ModelB: "c", Preference: 1, Count: 2},
	{ModelA: "a", ModelB: "c", Preference: 0, Count: 5},
	{ModelA: "a", ModelB: "c", Preference: 0.5, Count: 1},
	{ModelA: "a", ModelB: "c", Preference: 0.7, Count: 2},
	{ModelA: "b", ModelB: "c", Preference: 1, Count: 4},
	{ModelA: "b", ModelB: "c", Preference: 0, Count: 4},
	{ModelA: "b", ModelB: "d", Preference: 1, Count: 1},
	{ModelA: "b", ModelB: "d", Preference: 0, Count: 6},
	{ModelA: "b", ModelB: "d", Preference: 0.5, Count: 3},
	{ModelA: "c", ModelB: "d", Preference: 1, Count: 3},
	{ModelA: "c", ModelB: "d", Preference: 0, Count: 2},
	{ModelA: "c", ModelB: "d", Preference: 0.25, Count: 3},
	{ModelA: "a", ModelB: "d", Preference: 0, Count: 4},
	{ModelA: "a", ModelB: "d", Preference: 1, Count: 1},
}

func TestBradleyTerryMatchesFastChatLikelihood(t *testing.T) {
	t.Parallel()
	want := map[string]float64{
		"a": 1029.9182356261315,
		"b": 1085.0217311900046,
		"c": 984.025802574189,
		"d": 901.0342306096751,
	}
	lb, err := BradleyTerry(oracleOutcomes, BTOptions{Rounds: -1})
	if err != nil {
		t.Fatal(err)
	}
	got := byModel(lb)
	for m, w := range want {
		// L-BFGS-B stopped with a gradient of 3e-9 (in its units), which leaves its own
		// answer within about 1e-7 Elo points of the optimum.
		if math.Abs(got[m].Rating-w) > 1e-6 {
			t.Errorf("rating[%s] = %.10f, want %.10f", m, got[m].Rating, w)
		}
	}
}

// gradient returns ∂ℓ/∂β_i of the unpenalised Bradley–Terry log-likelihood in natural
// units at the given Elo ratings, written out independently of the solver:
// Σ over comparisons of (the model's share − P(model wins)).
func gradient(outcomes []Outcome, ratings map[string]float64) map[string]float64 {
	g := make(map[string]float64)
	for _, o := range outcomes {
		if math.IsNaN(o.Preference) || o.ModelA == o.ModelB {
			continue
		}
		d := (ratings[o.ModelB] - ratings[o.ModelA]) * math.Ln10 / 400
		pb := 1 / (1 + math.Exp(-d))
		c := float64(o.Count)
		g[o.ModelB] += c * (o.Preference - pb)
		g[o.ModelA] -= c * (o.Preference - pb)
	}
	return g
}

func TestBradleyTerryGradientIsZero(t *testing.T) {
	t.Parallel()
	outcomes := append(Aggregate(syntheticBattles(3, 8, 5000)),
		Outcome{ModelA: "model-000", ModelB: "model-007", Preference: 0.3, Count: 17},
		Outcome{ModelA: "model-004", ModelB: "model-001", Preference: 0.9, Count: 5},
	)
	lb, err := BradleyTerry(outcomes, BTOptions{Rounds: -1})
	if err != nil {
		t.Fatal(err)
	}
	ratings := make(map[string]float64)
	sum := 0.0
	for _, r := range lb.Ratings {
		ratings[r.Model] = r.Rating
		sum += r.Rating
	}
	for m, g := range gradient(outcomes, ratings) {
		// Each term is at most 1 in size and a model has ~1300 comparisons; an
		// unconverged fit leaves gradients orders of magnitude above this.
		if math.Abs(g) > 1e-10 {
			t.Errorf("gradient[%s] = %v, want 0", m, g)
		}
	}
	if mean := sum / float64(len(lb.Ratings)); math.Abs(mean-1000) > 1e-9 {
		t.Errorf("mean rating = %v, want 1000", mean)
	}
}

func TestBradleyTerryDegenerateData(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		outcomes  []Outcome
		mleExists bool
		comps     int
		flags     map[string][]Flag
	}{
		{
			name: "undefeated model",
			outcomes: []Outcome{
				{ModelA: "b", ModelB: "c", Preference: 1, Count: 3},
				{ModelA: "b", ModelB: "c", Preference: 0, Count: 2},
				{ModelA: "b", ModelB: "a", Preference: 1, Count: 4},
				{ModelA: "a", ModelB: "c", Preference: 0, Count: 2},
			},
			comps: 1,
			flags: map[string][]Flag{"a": {FlagUndefeated, FlagSeparated}},
		},
		{
			name: "winless model",
			outcomes: []Outcome{
				{ModelA: "b", ModelB: "c", Preference: 0.5, Count: 3},
				{ModelA: "b", ModelB: "c", Preference: 0.2, Count: 2},
				{ModelA: "b", ModelB: "a", Preference: 0, Count: 4},
				{ModelA: "a", ModelB: "c", Preference: 1, Count: 1000},
			},
			comps: 1,
			flags: map[string][]Flag{"a": {FlagWinless, FlagSeparated}},
		},
		{
			name: "disconnected graph",
			outcomes: []Outcome{
				{ModelA: "a", ModelB: "b", Preference: 1, Count: 3},
				{ModelA: "a", ModelB: "b", Preference: 0, Count: 2},
				{ModelA: "b", ModelB: "c", Preference: 0.5, Count: 2},
				{ModelA: "d", ModelB: "e", Preference: 1, Count: 3},
				{ModelA: "d", ModelB: "e", Preference: 0, Count: 1},
			},
			comps: 2,
			flags: map[string][]Flag{
				"d": {FlagDisconnected, FlagSeparated},
				"e": {FlagDisconnected, FlagSeparated},
			},
		},
		{
			name: "one pair, one side always wins",
			outcomes: []Outcome{
				{ModelA: "a", ModelB: "b", Preference: 1, Count: 50},
			},
			comps: 1,
			flags: map[string][]Flag{
				"a": {FlagWinless, FlagSeparated},
				"b": {FlagUndefeated, FlagSeparated},
			},
		},
		{
			// A group that never beats another: a, b trade wins, c, d trade wins, and
			// c, d always beat a, b.
			name: "group never beats another",
			outcomes: []Outcome{
				{ModelA: "a", ModelB: "b", Preference: 0.5, Count: 4},
				{ModelA: "c", ModelB: "d", Preference: 0.4, Count: 4},
				{ModelA: "c", ModelB: "d", Preference: 0.5, Count: 1},
				{ModelA: "a", ModelB: "c", Preference: 1, Count: 3},
				{ModelA: "d", ModelB: "b", Preference: 0, Count: 3},
			},
			comps: 1,
			flags: map[string][]Flag{
				"a": {FlagSeparated}, "b": {FlagSeparated}, "c": {FlagSeparated}, "d": {FlagSeparated},
			},
		},
		{
			name: "only ties",
			outcomes: []Outcome{
				{ModelA: "a", ModelB: "b", Preference: 0.5, Count: 3},
			},
			mleExists: true,
			comps:     1,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			lb, err := BradleyTerry(tt.outcomes, BTOptions{Rounds: 50})
			if err != nil {
				t.Fatal(err)
			}
			if lb.MLEExists != tt.mleExists || lb.Components != tt.comps {
				t.Errorf("MLEExists = %v, components = %d, want %v, %d", lb.MLEExists, lb.Components, tt.mleExists, tt.comps)
			}
			if !tt.mleExists && (lb.Ridge != DefaultRidge || len(lb.Warnings) == 0) {
				t.Errorf("ridge = %v, warnings = %q, want %v and a warning", lb.Ridge, lb.Warnings, DefaultRidge)
			}
			for _, r := range lb.Ratings {
				for _, v := range []float64{r.Rating, r.Median, r.CILow, r.CIHigh} {
					// The ridge's prior sd is 1737 points; a fit that escaped to infinity
					// (or L-BFGS stopped mid-way, as Arena's can) lands far beyond.
					if math.IsNaN(v) || math.IsInf(v, 0) || math.Abs(v-1000) > 2500 {
						t.Errorf("%s: rating values %+v are not finite and bounded", r.Model, r)
					}
				}
				if !slices.Equal(r.Flags, tt.flags[r.Model]) {
					t.Errorf("%s flags = %v, want %v", r.Model, r.Flags, tt.flags[r.Model])
				}
			}
		})
	}
}

func TestBradleyTerryOnlyTiesRatesEqually(t *testing.T) {
	t.Parallel()
	lb, err := BradleyTerry([]Outcome{{ModelA: "a", ModelB: "b", Preference: 0.5, Count: 3}}, BTOptions{Rounds: -1})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range lb.Ratings {
		if math.Abs(r.Rating-1000) > 1e-9 || r.Rank != 1 {
			t.Errorf("%+v, want rating 1000 and rank 1", r)
		}
	}
}

func TestBradleyTerryUndefeatedRanksFirst(t *testing.T) {
	t.Parallel()
	// However large its rating, a model that never lost must still come out on top and
	// a winless one at the bottom.
	outcomes := append(Aggregate(syntheticBattles(5, 4, 400)),
		Outcome{ModelA: "loser", ModelB: "model-000", Preference: 1, Count: 5},
		Outcome{ModelA: "winner", ModelB: "model-003", Preference: 0, Count: 5},
	)
	lb, err := BradleyTerry(outcomes, BTOptions{Rounds: -1})
	if err != nil {
		t.Fatal(err)
	}
	if first, last := lb.Ratings[0].Model, lb.Ratings[len(lb.Ratings)-1].Model; first != "winner" || last != "loser" {
		t.Errorf("first, last = %s, %s, want winner, loser", first, last)
	}
}

func TestBradleyTerryInvariance(t *testing.T) {
	t.Parallel()
	base := append(Aggregate(syntheticBattles(11, 7, 4000)),
		Outcome{ModelA: "model-002", ModelB: "model-005", Preference: 0.35, Count: 9},
		Outcome{ModelA: "model-006", ModelB: "model-006", Preference: 0.5, Count: 4},
		Outcome{ModelA: "model-001", ModelB: "model-003", Preference: math.NaN(), Count: 2},
	)
	shuffled := slices.Clone(base)
	rng := rand.New(rand.NewPCG(1, 2))
	rng.Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
	swapped := make([]Outcome, len(base))
	for i, o := range base {
		swapped[i] = Outcome{ModelA: o.ModelB, ModelB: o.ModelA, Preference: 1 - o.Preference, Count: o.Count}
	}
	// Split every outcome into two rows with the same total: the data is unchanged.
	var split []Outcome
	for _, o := range base {
		h := o.Count / 2
		split = append(split, Outcome{o.ModelA, o.ModelB, o.Preference, h}, Outcome{o.ModelA, o.ModelB, o.Preference, o.Count - h})
	}
	want, err := BradleyTerry(base, BTOptions{Rounds: 40, Seed: 3})
	if err != nil {
		t.Fatal(err)
	}
	for name, outcomes := range map[string][]Outcome{"shuffled": shuffled, "swapped": swapped, "split": split} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			got, err := BradleyTerry(outcomes, BTOptions{Rounds: 40, Seed: 3, Workers: 1})
			if err != nil {
				t.Fatal(err)
			}
			if got.Comparisons != want.Comparisons || got.Skipped != 2 || got.SelfComparisons != 4 {
				t.Errorf("comparisons, skipped, self = %d, %d, %d, want %d, 2, 4", got.Comparisons, got.Skipped, got.SelfComparisons, want.Comparisons)
			}
			for i, w := range want.Ratings {
				g := got.Ratings[i]
				close := func(x, y float64) bool { return math.Abs(x-y) <= 1e-8 }
				if g.Model != w.Model || !close(g.Rating, w.Rating) || !close(g.CILow, w.CILow) || !close(g.CIHigh, w.CIHigh) ||
					!close(g.Median, w.Median) || g.Rank != w.Rank || g.RankLow != w.RankLow || g.RankHigh != w.RankHigh ||
					g.Battles != w.Battles || !close(g.WinRate, w.WinRate) {
					t.Errorf("rating %d = %+v, want %+v", i, g, w)
				}
			}
		})
	}
}

func TestBradleyTerryBootstrap(t *testing.T) {
	t.Parallel()
	small, err := BradleyTerry(Aggregate(syntheticBattles(21, 6, 2000)), BTOptions{Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	large, err := BradleyTerry(Aggregate(syntheticBattles(21, 6, 32000)), BTOptions{Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	if small.Rounds != DefaultRounds || small.RidgeRounds != 0 {
		t.Errorf("rounds = %d, ridge rounds = %d, want %d, 0", small.Rounds, small.RidgeRounds, DefaultRounds)
	}
	largeBy := byModel(large)
	for _, r := range small.Ratings {
		for _, lb := range []Rating{r, largeBy[r.Model]} {
			if !(lb.CILow <= lb.Rating && lb.Rating <= lb.CIHigh) || !(lb.CILow <= lb.Median && lb.Median <= lb.CIHigh) {
				t.Errorf("%s: interval [%v, %v] does not hold rating %v and median %v", lb.Model, lb.CILow, lb.CIHigh, lb.Rating, lb.Median)
			}
			if !(lb.RankLow <= lb.RankHigh && lb.RankLow >= 1 && lb.RankHigh <= 6) {
				t.Errorf("%s: rank range [%d, %d] out of order", lb.Model, lb.RankLow, lb.RankHigh)
			}
		}
		// 16 times the data: the interval should shrink about fourfold; demand half.
		ws, wl := r.CIHigh-r.CILow, largeBy[r.Model].CIHigh-largeBy[r.Model].CILow
		if !(wl < ws/2) {
			t.Errorf("%s: interval width %v with 32000 comparisons, %v with 2000; want it to narrow", r.Model, wl, ws)
		}
	}

	// The same seed reproduces the result whatever the number of workers; another seed
	// draws other resamples.
	again, err := BradleyTerry(Aggregate(syntheticBattles(21, 6, 2000)), BTOptions{Seed: 1, Workers: 1})
	if err != nil {
		t.Fatal(err)
	}
	other, err := BradleyTerry(Aggregate(syntheticBattles(21, 6, 2000)), BTOptions{Seed: 2})
	if err != nil {
		t.Fatal(err)
	}
	differs := false
	for i := range small.Ratings {
		if small.Ratings[i].CILow != again.Ratings[i].CILow || small.Ratings[i].CIHigh != again.Ratings[i].CIHigh {
			t.Errorf("seed 1 gave %+v, then %+v", small.Ratings[i], again.Ratings[i])
		}
		differs = differs || small.Ratings[i].CILow != other.Ratings[i].CILow
	}
	if !differs {
		t.Error("seeds 1 and 2 gave identical intervals")
	}
}

func TestBradleyTerryAnchoredBootstrap(t *testing.T) {
	t.Parallel()
	// Arena pins the anchor in every round, so its interval collapses to its rating
	// and the others keep their gaps to it.
	outcomes := Aggregate(syntheticBattles(4, 5, 3000))
	free, err := BradleyTerry(outcomes, BTOptions{Rounds: 30})
	if err != nil {
		t.Fatal(err)
	}
	pinned, err := BradleyTerry(outcomes, BTOptions{Rounds: 30, Anchor: &Anchor{Model: "model-002", Rating: 1114}})
	if err != nil {
		t.Fatal(err)
	}
	f, p := byModel(free), byModel(pinned)
	if a := p["model-002"]; a.Rating != 1114 || a.CILow != 1114 || a.CIHigh != 1114 {
		t.Errorf("anchor = %+v, want rating and interval 1114", a)
	}
	for m, r := range p {
		want := f[m].Rating - f["model-002"].Rating + 1114
		if math.Abs(r.Rating-want) > 1e-9 {
			t.Errorf("%s = %v, want %v", m, r.Rating, want)
		}
	}
}

func TestBradleyTerryErrors(t *testing.T) {
	t.Parallel()
	ok := []Outcome{{ModelA: "a", ModelB: "b", Preference: 1, Count: 1}}
	tests := []struct {
		name     string
		outcomes []Outcome
		opts     BTOptions
		field    string
	}{
		{"bad preference", []Outcome{{ModelA: "a", ModelB: "b", Preference: -0.1, Count: 1}}, BTOptions{}, "outcomes[0].preference"},
		{"unknown anchor", ok, BTOptions{Anchor: &Anchor{Model: "z", Rating: 1000}}, "anchor.model"},
		{"infinite anchor", ok, BTOptions{Anchor: &Anchor{Model: "a", Rating: math.Inf(1)}}, "anchor"},
		{"base below 1", ok, BTOptions{Base: 0.5}, "base"},
		{"negative scale", ok, BTOptions{Scale: -400}, "scale"},
		{"negative ridge", ok, BTOptions{Ridge: -1}, "ridge"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := BradleyTerry(tt.outcomes, tt.opts)
			var verr *domain.ValidationError
			if !errors.As(err, &verr) || verr.Field != tt.field {
				t.Errorf("error = %v, want a ValidationError on %q", err, tt.field)
			}
		})
	}
}

func TestBradleyTerryEmpty(t *testing.T) {
	t.Parallel()
	lb, err := BradleyTerry([]Outcome{
		{ModelA: "a", ModelB: "a", Preference: 0.5, Count: 2},
		{ModelA: "a", ModelB: "b", Preference: math.NaN(), Count: 1},
	}, BTOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(lb.Ratings) != 0 || lb.SelfComparisons != 2 || lb.Skipped != 1 || len(lb.Warnings) != 3 {
		t.Errorf("leaderboard = %+v, want no ratings, 2 self-comparisons, 1 skipped, 3 warnings", lb)
	}
}

func TestArenaRank(t *testing.T) {
	t.Parallel()
	// Rank = 1 + the number of models whose lower bound is above this upper bound:
	// a [1100, 1200] is beaten only by d (1210 > 1200) → 2; b [1050, 1150] only by d
	// (a's 1100 is not above 1150) → 2; c [900, 1040] by a, b and d → 4; d → 1.
	rs := []Rating{
		{Model: "a", CILow: 1100, CIHigh: 1200},
		{Model: "b", CILow: 1050, CIHigh: 1150},
		{Model: "c", CILow: 900, CIHigh: 1040},
		{Model: "d", CILow: 1210, CIHigh: 1300},
	}
	assignArenaRanks(rs)
	want := []int{2, 2, 4, 1}
	for i, r := range rs {
		if r.Rank != want[i] {
			t.Errorf("rank[%s] = %d, want %d", r.Model, r.Rank, want[i])
		}
	}
}

func TestSummarise(t *testing.T) {
	t.Parallel()
	// Three rounds for models x, y: (10, 20), (30, 20), (5, 5). Positions: y 1st and x
	// 2nd, x 1st and y 2nd, both 1st (tied) → both range over [1, 2]. Percentiles of x's
	// sorted ratings {5, 10, 30} by linear interpolation: 2.5% at position 0.05 →
	// 5 + 0.05·5 = 5.25; 50% → 10; 97.5% at 1.95 → 10 + 0.95·20 = 29.
	rs := []Rating{{Model: "x"}, {Model: "y"}}
	summarise(rs, [][]float64{{10, 20}, {30, 20}, {5, 5}})
	x := rs[0]
	if math.Abs(x.CILow-5.25) > 1e-12 || x.Median != 10 || math.Abs(x.CIHigh-29) > 1e-12 {
		t.Errorf("x interval = %v, %v, %v, want 5.25, 10, 29", x.CILow, x.Median, x.CIHigh)
	}
	for _, r := range rs {
		if r.RankLow != 1 || r.RankHigh != 2 {
			t.Errorf("%s rank range = [%d, %d], want [1, 2]", r.Model, r.RankLow, r.RankHigh)
		}
	}
}

func TestPercentile(t *testing.T) {
	t.Parallel()
	// numpy 1.24.2 np.percentile(values, [2.5, 50, 97.5]) (default "linear").
	tests := []struct {
		name   string
		values []float64
		want   [3]float64
	}{
		{"one value", []float64{3}, [3]float64{3, 3, 3}},
		{"two values", []float64{1, 2}, [3]float64{1.025, 1.5, 1.975}},
		{"five values", []float64{5, 1, 4, 2, 3}, [3]float64{1.1, 3, 4.9}},
		{"seven values", []float64{0.5, 10, 2.25, 7, 3.5, 1, 9}, [3]float64{0.575, 3.5, 9.85}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := slices.Clone(tt.values)
			slices.Sort(s)
			for i, q := range []float64{0.025, 0.5, 0.975} {
				if got := percentile(s, q); math.Abs(got-tt.want[i]) > 1e-12 {
					t.Errorf("percentile(%v) = %v, want %v", q, got, tt.want[i])
				}
			}
		})
	}
}

func TestBradleyTerryTinySoftPreference(t *testing.T) {
	t.Parallel()
	// A judge's p = 1e-12 is a finite answer: b took a share of 3e-12 in three
	// comparisons, so the MLE exists with σ(β_a − β_b) = 1 − 1e-12 and the gap is
	// 400·log10((1 − 1e-12)/1e-12) ≈ 4800 points. Reaching it needs the gradient without
	// cancellation (1 − σ(d) is 1e-12) and ~28 Newton steps.
	lb, err := BradleyTerry([]Outcome{{ModelA: "a", ModelB: "b", Preference: 1e-12, Count: 3}}, BTOptions{Rounds: -1})
	if err != nil {
		t.Fatal(err)
	}
	got := byModel(lb)
	want := 400 * math.Log10((1-1e-12)/1e-12)
	if gap := got["a"].Rating - got["b"].Rating; math.Abs(gap-want) > 1e-6 || !lb.MLEExists {
		t.Errorf("gap = %v (MLE exists: %v), want %v", gap, lb.MLEExists, want)
	}
}
