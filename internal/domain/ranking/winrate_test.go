package ranking

import (
	"errors"
	"math"
	"testing"

	"github.com/rlhf-eval/rlhf-eval/internal/domain"
)

func TestWinRates(t *testing.T) {
	t.Parallel()
	nan := math.NaN()
	tests := []struct {
		name     string
		outcomes []Outcome
		want     []WinRate
		wantSE   []float64 // per row; negative means nil
	}{
		{
			// m's preferences: 1, 1 (as B), 1 − 0.25 = 0.75 (as A), 0.5; one null.
			// mean = 3.25/4 = 0.8125 → 81.25. Deviations 0.1875, 0.1875, −0.0625,
			// −0.3125; squares sum to 0.171875; / (n−1) = 0.0572917; / n = 0.0143229;
			// √ = 0.1196784 → 11.96784 (pandas 1.5.3 Series([1,1,.75,.5]).sem()*100 =
			// 11.967838846954226). Wins: 1, 1, 0.75; tie: 0.5.
			name: "hand derived",
			outcomes: []Outcome{
				{ModelA: "base", ModelB: "m", Preference: 1, Count: 2},
				{ModelA: "m", ModelB: "base", Preference: 0.25, Count: 1},
				{ModelA: "base", ModelB: "m", Preference: 0.5, Count: 1},
				{ModelA: "base", ModelB: "m", Preference: nan, Count: 1},
				{ModelA: "x", ModelB: "y", Preference: 1, Count: 9}, // no baseline: ignored
			},
			want:   []WinRate{{Model: "m", WinRate: 81.25, Wins: 3, Ties: 1, Losses: 0, N: 4, Skipped: 1}},
			wantSE: []float64{11.967838846954226},
		},
		{
			// The baseline judged against itself: three ties → 50, SE 0 (AlpacaEval's
			// gpt4_1106_preview row). A second model with one comparison has no SE.
			name: "baseline against itself",
			outcomes: []Outcome{
				{ModelA: "base", ModelB: "base", Preference: 0.5, Count: 3},
				{ModelA: "base", ModelB: "m", Preference: 0, Count: 1},
			},
			want: []WinRate{
				{Model: "base", WinRate: 50, Ties: 3, N: 3},
				{Model: "m", WinRate: 0, Losses: 1, N: 1},
			},
			wantSE: []float64{0, -1},
		},
		{
			// Ten soft preferences; pandas 1.5.3: Series(v).mean()*100 = 49.3,
			// Series(v).sem()*100 = 10.453122872031008 with
			// v = [.9, .1, .5, .5, 1, 0, .25, .75, .6, .33]. Wins: .9, 1, .75, .6;
			// ties: .5, .5; losses: .1, 0, .25, .33.
			name: "soft preferences against pandas",
			outcomes: []Outcome{
				{ModelA: "base", ModelB: "m", Preference: 0.9, Count: 1},
				{ModelA: "m", ModelB: "base", Preference: 0.9, Count: 1}, // 0.1 for m
				{ModelA: "base", ModelB: "m", Preference: 0.5, Count: 2},
				{ModelA: "base", ModelB: "m", Preference: 1, Count: 1},
				{ModelA: "m", ModelB: "base", Preference: 1, Count: 1}, // 0 for m
				{ModelA: "base", ModelB: "m", Preference: 0.25, Count: 1},
				{ModelA: "m", ModelB: "base", Preference: 0.25, Count: 1}, // 0.75 for m
				{ModelA: "base", ModelB: "m", Preference: 0.6, Count: 1},
				{ModelA: "base", ModelB: "m", Preference: 0.33, Count: 1},
			},
			want:   []WinRate{{Model: "m", WinRate: 49.3, Wins: 4, Ties: 2, Losses: 4, N: 10}},
			wantSE: []float64{10.453122872031008},
		},
		{
			// Only null judgements: listed with N = 0, after the judged models.
			name: "all null",
			outcomes: []Outcome{
				{ModelA: "base", ModelB: "a", Preference: nan, Count: 2},
				{ModelA: "base", ModelB: "b", Preference: 1, Count: 1},
			},
			want: []WinRate{
				{Model: "b", WinRate: 100, Wins: 1, N: 1},
				{Model: "a", Skipped: 2},
			},
			wantSE: []float64{-1, -1},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := WinRates(tt.outcomes, "base")
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(tt.want) {
				t.Fatalf("got %d rows %+v, want %d", len(got), got, len(tt.want))
			}
			for i, w := range tt.want {
				g := got[i]
				if g.Model != w.Model || math.Abs(g.WinRate-w.WinRate) > 1e-12 || g.Wins != w.Wins ||
					g.Ties != w.Ties || g.Losses != w.Losses || g.N != w.N || g.Skipped != w.Skipped {
					t.Errorf("row %d = %+v, want %+v", i, g, w)
				}
				switch se := tt.wantSE[i]; {
				case se < 0 && g.StandardError != nil:
					t.Errorf("row %d standard error = %v, want nil", i, *g.StandardError)
				case se >= 0 && g.StandardError == nil:
					t.Errorf("row %d standard error = nil, want %v", i, se)
				case se >= 0 && math.Abs(*g.StandardError-se) > 1e-12:
					t.Errorf("row %d standard error = %v, want %v", i, *g.StandardError, se)
				}
			}
		})
	}
}

func TestWinRatesErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		outcomes []Outcome
		baseline string
		field    string
	}{
		{"empty baseline", []Outcome{{ModelA: "a", ModelB: "b", Preference: 1, Count: 1}}, "", "baseline"},
		{"baseline absent", []Outcome{{ModelA: "a", ModelB: "b", Preference: 1, Count: 1}}, "c", "baseline"},
		{"preference above 1", []Outcome{{ModelA: "a", ModelB: "b", Preference: 1.5, Count: 1}}, "a", "outcomes[0].preference"},
		{"infinite preference", []Outcome{{ModelA: "a", ModelB: "b", Preference: math.Inf(-1), Count: 1}}, "a", "outcomes[0].preference"},
		{"negative count", []Outcome{{ModelA: "a", ModelB: "b", Preference: 1, Count: -1}}, "a", "outcomes[0].count"},
		{"empty model", []Outcome{{ModelA: "a", Preference: 1, Count: 1}}, "a", "outcomes[0].model_b"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := WinRates(tt.outcomes, tt.baseline)
			var verr *domain.ValidationError
			if !errors.As(err, &verr) {
				t.Fatalf("error = %v, want a ValidationError", err)
			}
			if verr.Field != tt.field {
				t.Errorf("field = %q, want %q", verr.Field, tt.field)
			}
		})
	}
}

func TestWinRateMatrix(t *testing.T) {
	t.Parallel()
	// a vs b: b wins 3 (p = 1), a wins 1 (p = 0) → a 25%, b 75%.
	// b vs c, written as c–b: a tie and a soft 0.8 for b → b (0.5 + 0.8)/2 = 65%.
	// a vs a: one self-comparison at 0.5 on the diagonal. a–c: never compared.
	outcomes := []Outcome{
		{ModelA: "a", ModelB: "b", Preference: 1, Count: 3},
		{ModelA: "a", ModelB: "b", Preference: 0, Count: 1},
		{ModelA: "c", ModelB: "b", Preference: 0.5, Count: 1},
		{ModelA: "c", ModelB: "b", Preference: 0.8, Count: 1},
		{ModelA: "a", ModelB: "a", Preference: 0.5, Count: 1},
		{ModelA: "a", ModelB: "c", Preference: math.NaN(), Count: 4},
	}
	got, err := WinRateMatrix(outcomes)
	if err != nil {
		t.Fatal(err)
	}
	wantModels := []string{"a", "b", "c"}
	wantRate := [][]float64{{50, 25, 0}, {75, 0, 65}, {0, 35, 0}}
	wantCount := [][]int{{1, 4, 0}, {4, 0, 2}, {0, 2, 0}}
	if len(got.Models) != 3 {
		t.Fatalf("models = %v, want %v", got.Models, wantModels)
	}
	for i := range 3 {
		if got.Models[i] != wantModels[i] {
			t.Errorf("models = %v, want %v", got.Models, wantModels)
		}
		for j := range 3 {
			if math.Abs(got.WinRate[i][j]-wantRate[i][j]) > 1e-12 || got.Count[i][j] != wantCount[i][j] {
				t.Errorf("[%d][%d] = %v (n %d), want %v (n %d)", i, j, got.WinRate[i][j], got.Count[i][j], wantRate[i][j], wantCount[i][j])
			}
		}
	}
	if got.Skipped != 4 {
		t.Errorf("skipped = %d, want 4", got.Skipped)
	}
}
