package stats

import (
	"errors"
	"math"
	"testing"
)

func TestPairByPrompt(t *testing.T) {
	t.Parallel()
	yes, no := true, false
	base := []Observation{
		{PromptID: "p1", Value: 0.25, Passed: &yes},
		{PromptID: "p1", Value: 0.75, Passed: &no},
		{PromptID: "p2", Value: 1},
		{PromptID: "p3", Value: 0.5, Passed: &yes},
	}
	cand := []Observation{
		{PromptID: "p3", Value: 0.125, Passed: &no},
		{PromptID: "p4", Value: 0.9},
		{PromptID: "p1", Value: 0.625, Passed: &yes},
		{PromptID: "p3", Value: 0.375, Passed: &no},
		{PromptID: "p3", Value: 0.5},
	}
	got, err := PairByPrompt(base, cand)
	if err != nil {
		t.Fatalf("PairByPrompt: %v", err)
	}
	// Hand derivation: p1 base (0.25 + 0.75)/2 = 0.5, one of two verdicts passed;
	// p3 candidate (0.125 + 0.375 + 0.5)/3 = 1/3, no verdict of two passed (the third
	// response has none). p2 is base-only, p4 candidate-only.
	want := []Pair{
		{PromptID: "p1", Base: 0.5, Cand: 0.625, BasePass: ptr(0.5), CandPass: ptr(1.0)},
		{PromptID: "p3", Base: 0.5, Cand: 1.0 / 3, BasePass: ptr(1.0), CandPass: ptr(0.0)},
	}
	if len(got.Pairs) != len(want) {
		t.Fatalf("pairs = %+v, want %+v", got.Pairs, want)
	}
	for i, w := range want {
		g := got.Pairs[i]
		if g.PromptID != w.PromptID || g.Base != w.Base || g.Cand != w.Cand ||
			!samePtr(g.BasePass, w.BasePass) || !samePtr(g.CandPass, w.CandPass) {
			t.Errorf("pair %d = {%s %v %v %s %s}, want {%s %v %v %s %s}", i,
				g.PromptID, g.Base, g.Cand, ptrString(g.BasePass), ptrString(g.CandPass),
				w.PromptID, w.Base, w.Cand, ptrString(w.BasePass), ptrString(w.CandPass))
		}
	}
	if got.BaseOnly != 1 || got.CandOnly != 1 {
		t.Errorf("unmatched = %d base, %d candidate; want 1, 1", got.BaseOnly, got.CandOnly)
	}
	if _, err := PairByPrompt([]Observation{{PromptID: "x", Value: math.Inf(1)}}, nil); !errors.Is(err, ErrInvalid) {
		t.Errorf("PairByPrompt(+Inf) error = %v, want ErrInvalid", err)
	}
}

// pairsFrom builds pairs p0, p1, … from parallel base and candidate values.
func pairsFrom(base, cand []float64) []Pair {
	out := make([]Pair, len(base))
	for i := range base {
		out[i] = Pair{PromptID: string(rune('a'+i%26)) + string(rune('a'+i/26)), Base: base[i], Cand: cand[i]}
	}
	return out
}

func TestCompareContinuous(t *testing.T) {
	t.Parallel()
	// Base 1 everywhere, candidate 1 + d with d exact in binary. The differences rank
	// as in TestWilcoxon's "exact n 8" row: R− = 1 + 4 = 5, p = 20/256 = 0.078125
	// (scipy.stats.wilcoxon(d) agrees); scipy.stats.ttest_rel(cand, base) =
	// (2.2782800994903085, 0.05678005546164317). Mean difference 10.25/8 = 1.28125.
	d := []float64{1.5, -0.25, 2.25, 0.75, -1.125, 3.5, 0.625, 3.0}
	base := make([]float64, len(d))
	cand := make([]float64, len(d))
	for i := range d {
		base[i], cand[i] = 1, 1+d[i]
	}
	pairs := pairsFrom(base, cand)
	tests := []struct {
		name            string
		better          Direction
		alpha           float64
		wantOutcomes    *WinTieLoss
		wantSignificant bool
		wantRegression  bool
		wantImprovement bool
	}{
		{"higher not significant", HigherIsBetter, 0.05, &WinTieLoss{Wins: 6, Losses: 2}, false, false, false},
		{"higher significant", HigherIsBetter, 0.1, &WinTieLoss{Wins: 6, Losses: 2}, true, false, true},
		{"lower significant", LowerIsBetter, 0.1, &WinTieLoss{Wins: 2, Losses: 6}, true, true, false},
		{"no direction", NoDirection, 0.1, nil, true, false, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := Compare(pairs, CompareOptions{Better: tc.better, Alpha: tc.alpha, Level: 0.95, Rounds: 200, Seed: 3})
			if err != nil {
				t.Fatalf("Compare: %v", err)
			}
			if got.N != 8 || got.BaseMean != 1 || got.CandMean != 2.28125 || got.MeanDiff != 1.28125 {
				t.Errorf("N, means = %d, %v, %v, %v; want 8, 1, 2.28125, 1.28125", got.N, got.BaseMean, got.CandMean, got.MeanDiff)
			}
			if got.Test != SignedRankTest || got.P == nil || *got.P != 0.078125 || !samePtr(got.WilcoxonP, got.P) {
				t.Errorf("test %s p %s, want wilcoxon 0.078125", got.Test, ptrString(got.P))
			}
			if got.TTestP == nil || !closeRel(*got.TTestP, 0.05678005546164317, 1e-13) {
				t.Errorf("t-test p = %s, want 0.05678005546164317", ptrString(got.TTestP))
			}
			if (got.Outcomes == nil) != (tc.wantOutcomes == nil) || (got.Outcomes != nil && *got.Outcomes != *tc.wantOutcomes) {
				t.Errorf("outcomes = %+v, want %+v", got.Outcomes, tc.wantOutcomes)
			}
			if got.Significant != tc.wantSignificant || got.Regression != tc.wantRegression || got.Improvement != tc.wantImprovement {
				t.Errorf("significant, regression, improvement = %v, %v, %v; want %v, %v, %v",
					got.Significant, got.Regression, got.Improvement, tc.wantSignificant, tc.wantRegression, tc.wantImprovement)
			}
			if got.PassPairs != 0 || got.PassRateChange != nil || got.McNemarP != nil {
				t.Errorf("pass fields set without verdicts: %d, %s, %s", got.PassPairs, ptrString(got.PassRateChange), ptrString(got.McNemarP))
			}
			// The interval is the bootstrap of the same differences with the same seed.
			want, _ := PairedBootstrapCI(d, 200, 3, 0.95)
			if got.MeanDiffCI == nil || *got.MeanDiffCI != *want {
				t.Errorf("interval = %+v, want %+v", got.MeanDiffCI, want)
			}
		})
	}
}

func TestComparePassFail(t *testing.T) {
	t.Parallel()
	// A pass/fail scorer (value 1 when passed, 0 otherwise) over 20 prompts: 8 pass on
	// both sides, 2 fail on both, 9 pass only in the base and 1 only in the candidate.
	// McNemar decides: p = 2·(C(10,0) + C(10,1))/2¹⁰ = 0.021484375; the candidate's
	// mean falls by (1 − 9)/20 = −0.4, so for a higher-is-better scorer this is a
	// regression at α = 0.05. Pass rates are 17/20 and 9/20.
	var pairs []Pair
	add := func(k int, b, c float64) {
		for range k {
			pairs = append(pairs, Pair{PromptID: string(rune('a' + len(pairs))), Base: b, Cand: c, BasePass: ptr(b), CandPass: ptr(c)})
		}
	}
	add(8, 1, 1)
	add(2, 0, 0)
	add(9, 1, 0)
	add(1, 0, 1)
	got, err := Compare(pairs, CompareOptions{Better: HigherIsBetter, Alpha: 0.05, Rounds: 0})
	if err != nil {
		t.Fatalf("Compare: %v", err)
	}
	if got.Test != McNemarTest || got.P == nil || *got.P != 0.021484375 {
		t.Errorf("test %s p %s, want mcnemar 0.021484375", got.Test, ptrString(got.P))
	}
	if !got.Significant || !got.Regression || got.Improvement {
		t.Errorf("significant, regression, improvement = %v, %v, %v; want true, true, false", got.Significant, got.Regression, got.Improvement)
	}
	if !closeRel(got.MeanDiff, -0.4, 1e-15) {
		t.Errorf("mean diff = %v, want -0.4", got.MeanDiff)
	}
	if got.PassPairs != 20 || got.McNemarPairs != 20 || got.McNemarB != 9 || got.McNemarC != 1 || !samePtr(got.McNemarP, got.P) {
		t.Errorf("pass pairs %d, mcnemar pairs %d, b %d, c %d, p %s; want 20, 20, 9, 1, %s",
			got.PassPairs, got.McNemarPairs, got.McNemarB, got.McNemarC, ptrString(got.McNemarP), ptrString(got.P))
	}
	if got.BasePassRate == nil || !closeRel(*got.BasePassRate, 0.85, 1e-15) ||
		got.CandPassRate == nil || !closeRel(*got.CandPassRate, 0.45, 1e-15) ||
		got.PassRateChange == nil || !closeRel(*got.PassRateChange, -0.4, 1e-14) {
		t.Errorf("pass rates %s → %s (%s), want 0.85 → 0.45 (-0.4)",
			ptrString(got.BasePassRate), ptrString(got.CandPassRate), ptrString(got.PassRateChange))
	}
	if got.MeanDiffCI != nil {
		t.Errorf("interval = %+v with Rounds 0, want nil", got.MeanDiffCI)
	}
	// Wilcoxon on the ±1 differences is reported too: 10 non-zero |d| = 1, all tied,
	// T = 1·5.5 = 5.5, σ² = 10·11·21/24 − (1000 − 10)/48 = 96.25 − 20.625 = 75.625,
	// z = (5.5 − 27.5)/√75.625 = −2.5298…, p = erfc(|z|/√2) = 0.011412036386001655
	// (mpmath); scipy.stats.wilcoxon(d, method="approx") = (5.5, 0.011412036386001651).
	if got.WilcoxonP == nil || !closeRel(*got.WilcoxonP, 0.011412036386001655, 1e-13) {
		t.Errorf("wilcoxon p = %s, want 0.011412036386001655", ptrString(got.WilcoxonP))
	}
}

func TestCompareFractionalVerdicts(t *testing.T) {
	t.Parallel()
	// Pass fractions from several responses per prompt count toward pass rates but not
	// toward McNemar, which needs one pass or fail per side.
	pairs := []Pair{
		{PromptID: "a", Base: 0.5, Cand: 1, BasePass: ptr(0.5), CandPass: ptr(1.0)},
		{PromptID: "b", Base: 1, Cand: 0, BasePass: ptr(1.0), CandPass: ptr(0.0)},
		{PromptID: "c", Base: 0.2, Cand: 0.3},
	}
	got, err := Compare(pairs, CompareOptions{Better: HigherIsBetter, Alpha: 0.05})
	if err != nil {
		t.Fatal(err)
	}
	// Pass rates over a and b: base (0.5 + 1)/2 = 0.75, candidate (1 + 0)/2 = 0.5.
	if got.PassPairs != 2 || got.McNemarPairs != 1 || got.McNemarB != 1 || got.McNemarC != 0 {
		t.Errorf("pass pairs %d, mcnemar pairs %d, b %d, c %d; want 2, 1, 1, 0", got.PassPairs, got.McNemarPairs, got.McNemarB, got.McNemarC)
	}
	if got.BasePassRate == nil || *got.BasePassRate != 0.75 || got.CandPassRate == nil || *got.CandPassRate != 0.5 {
		t.Errorf("pass rates %s, %s; want 0.75, 0.5", ptrString(got.BasePassRate), ptrString(got.CandPassRate))
	}
	// One discordant pair: 2·P(X ≤ 0), X ~ Bin(1, ½) = 1.
	if got.McNemarP == nil || *got.McNemarP != 1 {
		t.Errorf("mcnemar p = %s, want 1", ptrString(got.McNemarP))
	}
	// Values are not all 0 or 1, so Wilcoxon decides.
	if got.Test != SignedRankTest {
		t.Errorf("test = %s, want wilcoxon", got.Test)
	}
}

func TestCompareNoChange(t *testing.T) {
	t.Parallel()
	pairs := pairsFrom([]float64{0.3, 0.6, 0.9}, []float64{0.3, 0.6, 0.9})
	got, err := Compare(pairs, CompareOptions{Better: LowerIsBetter, Alpha: 0.05, Level: 0.95, Rounds: 100, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	// Every difference is zero: Wilcoxon has nothing to rank, the t-test has no variance
	// and no mean (p = 1), and nothing is significant.
	if got.WilcoxonP != nil || got.P != nil || got.Significant || got.Regression {
		t.Errorf("wilcoxon %s, p %s, significant %v, regression %v; want nil, nil, false, false",
			ptrString(got.WilcoxonP), ptrString(got.P), got.Significant, got.Regression)
	}
	if got.TTestP == nil || *got.TTestP != 1 {
		t.Errorf("t-test p = %s, want 1", ptrString(got.TTestP))
	}
	if got.Outcomes == nil || *got.Outcomes != (WinTieLoss{Ties: 3}) {
		t.Errorf("outcomes = %+v, want 3 ties", got.Outcomes)
	}
	if got.MeanDiffCI == nil || got.MeanDiffCI.Lo != 0 || got.MeanDiffCI.Hi != 0 {
		t.Errorf("interval = %+v, want [0, 0]", got.MeanDiffCI)
	}
}

func TestCompareErrors(t *testing.T) {
	t.Parallel()
	ok := pairsFrom([]float64{1}, []float64{2})
	tests := []struct {
		name  string
		pairs []Pair
		opt   CompareOptions
		want  error
	}{
		{"no pairs", nil, CompareOptions{Better: HigherIsBetter, Alpha: 0.05}, ErrNoData},
		{"bad direction", ok, CompareOptions{Better: "up", Alpha: 0.05}, ErrInvalid},
		{"alpha zero", ok, CompareOptions{Better: HigherIsBetter}, ErrInvalid},
		{"negative rounds", ok, CompareOptions{Better: HigherIsBetter, Alpha: 0.05, Rounds: -1}, ErrInvalid},
		{"level missing", ok, CompareOptions{Better: HigherIsBetter, Alpha: 0.05, Rounds: 10}, ErrInvalid},
		{"nan value", pairsFrom([]float64{math.NaN()}, []float64{1}), CompareOptions{Better: HigherIsBetter, Alpha: 0.05}, ErrInvalid},
		{"overflowing difference", pairsFrom([]float64{-math.MaxFloat64}, []float64{math.MaxFloat64}), CompareOptions{Better: HigherIsBetter, Alpha: 0.05}, ErrInvalid},
		{"pass fraction above one", []Pair{{Base: 1, Cand: 1, BasePass: ptr(2.0), CandPass: ptr(1.0)}}, CompareOptions{Better: HigherIsBetter, Alpha: 0.05}, ErrInvalid},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if _, err := Compare(tc.pairs, tc.opt); !errors.Is(err, tc.want) {
				t.Errorf("Compare error = %v, want %v", err, tc.want)
			}
		})
	}
}

func BenchmarkCompare(b *testing.B) {
	// 10,000 prompts with 1,000 bootstrap rounds, the size of a large evaluation.
	base := deterministicDiffs(10000, 0)
	cand := deterministicDiffs(10000, 0.01)
	for i := range cand {
		cand[i] = (cand[i] + base[(i+1)%len(base)]) / 2
	}
	pairs := pairsFrom(base, cand)
	opt := CompareOptions{Better: HigherIsBetter, Alpha: 0.05, Level: 0.95, Rounds: 1000, Seed: 1}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Compare(pairs, opt); err != nil {
			b.Fatal(err)
		}
	}
}
