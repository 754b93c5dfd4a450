package ranking

import (
	"flag"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rlhf-eval/rlhf-eval/internal/realdata"
)

// dataDir points at the shared real-data folder (by default /work/shared/data when the
// repository is checked out at /work/main). It is read in place, never copied.
var dataDir = flag.String("data", "../../../../shared/data", "folder holding alpaca_eval/ (AlpacaEval annotations and leaderboard.csv)")

const alpacaBaseline = "gpt4_1106_preview"

// loadAlpacaEval reads every <folder>.annotations.json.gz into outcomes against the
// baseline, naming the model after its results folder (the leaderboard's samples
// column), and converts AlpacaEval's preference q in [1,2] to p = q − 1. As in
// alpaca_eval's describe_head2head, q = 0 is a legacy draw (p = ½) and a null, NaN
// or out-of-range q is not a preference (NaN here: skipped and counted).
func loadAlpacaEval(t *testing.T, dir string) map[string][]Outcome {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "*.annotations.json.gz"))
	if err != nil {
		t.Fatal(err)
	}
	out := make(map[string][]Outcome)
	for _, path := range files {
		model := strings.TrimSuffix(filepath.Base(path), ".annotations.json.gz")
		rows, err := realdata.AlpacaAnnotations(path)
		if err != nil {
			t.Fatal(err)
		}
		battles := make([]Battle, 0, len(rows))
		for i, r := range rows {
			if g := r.Generator1; g != alpacaBaseline {
				t.Fatalf("%s[%d]: generator_1 = %v, want the baseline %q", path, i, g, alpacaBaseline)
			}
			p := math.NaN() // null or out of range
			if r.Preference != nil {
				switch q := *r.Preference; {
				case q == 0:
					p = 0.5
				case q >= 1 && q <= 2:
					p = q - 1
				}
			}
			battles = append(battles, Battle{ModelA: alpacaBaseline, ModelB: model, Preference: p})
		}
		out[model] = Aggregate(battles)
	}
	return out
}

// mustLeaderboard reads leaderboard.csv or fails the test.
func mustLeaderboard(t *testing.T, path string) map[string]float64 {
	t.Helper()
	board, err := realdata.AlpacaLeaderboard(path)
	if err != nil {
		t.Fatal(err)
	}
	return board
}

// TestAlpacaEvalLeaderboard checks WinRates against the published AlpacaEval 2.0
// leaderboard from AlpacaEval's own annotation files. It needs the real data and skips
// without it.
func TestAlpacaEvalLeaderboard(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(*dataDir, "alpaca_eval")
	board := filepath.Join(dir, "leaderboard.csv")
	if _, err := os.Stat(board); err != nil {
		t.Skipf("real-data check skipped: AlpacaEval data not found at %s (pass -data=<folder holding alpaca_eval/>): %v", dir, err)
	}
	published := mustLeaderboard(t, board)
	perModel := loadAlpacaEval(t, dir)
	var all []Outcome
	for _, o := range perModel {
		all = append(all, o...)
	}
	rates, err := WinRates(all, alpacaBaseline)
	if err != nil {
		t.Fatal(err)
	}
	compared, maxErr := 0, 0.0
	for _, r := range rates {
		want, ok := published[r.Model]
		if !ok {
			t.Logf("%s: not on the published leaderboard (win rate %.4f over %d)", r.Model, r.WinRate, r.N)
			continue
		}
		compared++
		maxErr = max(maxErr, math.Abs(r.WinRate-want))
		if math.Abs(r.WinRate-want) > 1e-6 {
			t.Errorf("%s: win rate = %.9f, want %.9f (leaderboard.csv)", r.Model, r.WinRate, want)
		}
		if r.Wins+r.Ties+r.Losses != r.N || r.StandardError == nil || math.IsNaN(*r.StandardError) {
			t.Errorf("%s: counts or standard error inconsistent: %+v", r.Model, r)
		}
	}
	if compared == 0 {
		t.Fatal("no model of the annotation files is on the leaderboard")
	}
	t.Logf("%d models compared with the published win rate; largest difference %.3g", compared, maxErr)

	// Every model meets only the baseline, so the Bradley–Terry MLE solves each pair
	// alone: R_model − R_baseline = 400·log10(w / (100 − w)) with w the win rate. The
	// baseline's comparisons with itself carry no information and are ignored.
	lb, err := BradleyTerry(all, BTOptions{Rounds: -1})
	if err != nil {
		t.Fatal(err)
	}
	if !lb.MLEExists || lb.Components != 1 || lb.SelfComparisons == 0 {
		t.Errorf("MLEExists = %v, components = %d, self-comparisons = %d; want true, 1, > 0", lb.MLEExists, lb.Components, lb.SelfComparisons)
	}
	rating := byModel(lb)
	for _, r := range rates {
		if r.Model == alpacaBaseline {
			continue
		}
		want := 400 * math.Log10(r.WinRate/(100-r.WinRate))
		if got := rating[r.Model].Rating - rating[alpacaBaseline].Rating; math.Abs(got-want) > 1e-6 {
			t.Errorf("%s: Bradley–Terry gap to the baseline = %.9f, want %.9f", r.Model, got, want)
		}
	}
}
