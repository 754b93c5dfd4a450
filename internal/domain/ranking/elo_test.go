package ranking

import (
	"math"
	"testing"
)

func TestOnlineElo(t *testing.T) {
	t.Parallel()
	// Hand derivation, K = 4, all start at 1000:
	//   1. a–b, b wins: E_a = 1/(1+10^0) = ½ → a = 1000 + 4(0 − ½) = 998, b = 1002.
	//   2. a–b, tie: E_a = 1/(1+10^(4/400)) = 1/(1+10^0.01) = 0.494243..., so
	//      a = 998 + 4(½ − E_a) = 998.023025..., b = 1002 − 4(½ − E_a) = 1001.976974...
	ea := 1 / (1 + math.Pow(10, 0.01))
	battles := []Battle{
		{ModelA: "a", ModelB: "b", Preference: 1},
		{ModelA: "a", ModelB: "b", Preference: 0.5},
	}
	lb, err := OnlineElo(battles, EloOptions{})
	if err != nil {
		t.Fatal(err)
	}
	got := byModel(lb)
	if wa := 998 + 4*(0.5-ea); math.Abs(got["a"].Rating-wa) > 1e-12 {
		t.Errorf("a = %v, want %v", got["a"].Rating, wa)
	}
	if wb := 1002 - 4*(0.5-ea); math.Abs(got["b"].Rating-wb) > 1e-12 {
		t.Errorf("b = %v, want %v", got["b"].Rating, wb)
	}
	if lb.Method != MethodOnlineElo || got["b"].Rank != 1 || got["a"].Rank != 2 || got["b"].WinRate != 75 || got["a"].Battles != 2 {
		t.Errorf("leaderboard = %+v", lb)
	}
}

func TestOnlineEloMatchesArena(t *testing.T) {
	t.Parallel()
	// compute_elo of lm-sys/FastChat fastchat/serve/monitor/elo_analysis.py, transcribed
	// and run with python 3 on these battles (winner model_a → preference 0, model_b → 1,
	// tie → 0.5); K = 4, SCALE = 400, BASE = 10, INIT_RATING = 1000.
	battles := []Battle{
		{"x", "y", 1}, {"y", "z", 0.5}, {"x", "z", 0}, {"z", "x", 1},
		{"y", "x", 0}, {"z", "y", 1}, {"x", "y", 0.5}, {"y", "z", 0},
	}
	want := map[string]float64{
		"x": 1000.0341386158373,
		"y": 1007.8402428974347,
		"z": 992.1256184867281,
	}
	lb, err := OnlineElo(battles, EloOptions{})
	if err != nil {
		t.Fatal(err)
	}
	got := byModel(lb)
	for m, w := range want {
		if math.Abs(got[m].Rating-w) > 1e-9 {
			t.Errorf("%s = %.13f, want %.13f", m, got[m].Rating, w)
		}
	}
}

func TestOnlineEloSkips(t *testing.T) {
	t.Parallel()
	// Null judgements and self-battles change nothing; soft preferences score their
	// value: a–b at 0.8 gives a = 1000 + 4(0.2 − ½) = 998.8.
	battles := []Battle{
		{ModelA: "a", ModelB: "b", Preference: math.NaN()},
		{ModelA: "a", ModelB: "a", Preference: 1},
		{ModelA: "a", ModelB: "b", Preference: 0.8},
	}
	lb, err := OnlineElo(battles, EloOptions{})
	if err != nil {
		t.Fatal(err)
	}
	got := byModel(lb)
	if math.Abs(got["a"].Rating-998.8) > 1e-12 || math.Abs(got["b"].Rating-1001.2) > 1e-12 {
		t.Errorf("a, b = %v, %v, want 998.8, 1001.2", got["a"].Rating, got["b"].Rating)
	}
	if lb.Skipped != 1 || lb.SelfComparisons != 1 || lb.Comparisons != 1 {
		t.Errorf("skipped, self, comparisons = %d, %d, %d, want 1, 1, 1", lb.Skipped, lb.SelfComparisons, lb.Comparisons)
	}
}

func TestOnlineEloBootstrap(t *testing.T) {
	t.Parallel()
	// b beats a two times in three over 300 battles: the bootstrap intervals have
	// width, hold the median, and order the two models.
	var battles []Battle
	for i := 0; i < 300; i++ {
		battles = append(battles, Battle{ModelA: "a", ModelB: "b", Preference: float64(min(1, i%3))})
	}
	lb, err := OnlineElo(battles, EloOptions{Rounds: 200, Seed: 7})
	if err != nil {
		t.Fatal(err)
	}
	if lb.Rounds != 200 {
		t.Errorf("rounds = %d, want 200", lb.Rounds)
	}
	for _, r := range lb.Ratings {
		if !(r.CILow < r.Median && r.Median < r.CIHigh) {
			t.Errorf("%s: interval [%v, %v] with median %v has no width", r.Model, r.CILow, r.CIHigh, r.Median)
		}
	}
	got := byModel(lb)
	if !(got["b"].CILow > got["a"].CIHigh) || got["b"].Rank != 1 || got["a"].Rank != 2 {
		t.Errorf("b = %+v, a = %+v; want b clearly above a", got["b"], got["a"])
	}
	again, _ := OnlineElo(battles, EloOptions{Rounds: 200, Seed: 7})
	if byModel(again)["a"].CILow != got["a"].CILow {
		t.Errorf("the same seed gave %v then %v", got["a"].CILow, byModel(again)["a"].CILow)
	}
}

func TestBootstrapsStopWhenCanceled(t *testing.T) {
	t.Parallel()
	done := make(chan struct{})
	close(done)
	battles := []Battle{{ModelA: "a", ModelB: "b", Preference: 1}, {ModelA: "a", ModelB: "b", Preference: 0}}
	if _, err := OnlineElo(battles, EloOptions{Rounds: 100, Cancel: done}); err != ErrCanceled {
		t.Errorf("online Elo with a closed channel: %v, want ErrCanceled", err)
	}
	if _, err := BradleyTerry(Aggregate(battles), BTOptions{Rounds: 100, Cancel: done}); err != ErrCanceled {
		t.Errorf("Bradley–Terry with a closed channel: %v, want ErrCanceled", err)
	}
}
