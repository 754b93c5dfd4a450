package stats

import "fmt"

// Direction says which way a scorer's value is better. Its values are those of
// scoring.Direction, so one converts to the other.
type Direction string

// Directions a scorer may declare.
const (
	HigherIsBetter Direction = "higher"
	LowerIsBetter  Direction = "lower"
	// NoDirection marks descriptive values: a diff reports them but never calls a
	// change a regression.
	NoDirection Direction = "none"
)

// Test names the significance test that decides a Diff.
type Test string

// Tests that can decide a Diff.
const (
	SignedRankTest Test = "wilcoxon"
	McNemarTest    Test = "mcnemar"
)

// CompareOptions configures Compare. Every field is required; nothing defaults.
type CompareOptions struct {
	// Better is the scorer's better direction.
	Better Direction
	// Alpha is the significance level, in (0, 1): a p-value below it is significant.
	Alpha float64
	// Level is the confidence level of the bootstrap interval, in (0, 1).
	Level float64
	// Rounds is the number of bootstrap resamples; 0 skips the interval.
	Rounds int
	// Seed seeds the bootstrap; the same seed and pairs give the same interval.
	Seed uint64
	// Cancel, when closed, stops the bootstrap with ErrCanceled (a request's
	// deadline); nil never stops it.
	Cancel <-chan struct{}
}

// WinTieLoss counts pairs by which side scored better.
type WinTieLoss struct {
	// Wins counts pairs where the candidate is better, Losses where it is worse, and
	// Ties where the two values are exactly equal.
	Wins, Ties, Losses int
}

// Diff compares a candidate evaluation with a base one on one scorer, over prompts
// paired by PairByPrompt. Differences are candidate − base.
type Diff struct {
	// N is the number of pairs.
	N int
	// BaseMean and CandMean are the means over the pairs, and MeanDiff the mean of the
	// per-pair differences (CandMean − BaseMean up to rounding).
	BaseMean, CandMean, MeanDiff float64
	// MeanDiffCI is the paired-bootstrap interval of MeanDiff; nil when Rounds is 0.
	MeanDiffCI *Interval
	// WilcoxonP is the two-sided Wilcoxon signed-rank p-value of the differences; nil
	// when every difference is zero.
	WilcoxonP *float64
	// TTestP is the two-sided paired t-test p-value; nil when N < 2 or every difference
	// is the same non-zero value.
	TTestP *float64
	// Outcomes counts wins, ties and losses for the candidate; nil for NoDirection.
	Outcomes *WinTieLoss

	// PassPairs is the number of pairs where both sides have pass verdicts.
	PassPairs int
	// BasePassRate and CandPassRate are the mean pass fractions over those pairs, and
	// PassRateChange is CandPassRate − BasePassRate; all nil when PassPairs is 0.
	BasePassRate, CandPassRate, PassRateChange *float64
	// McNemarPairs is the number of pairs whose verdicts are a single pass or fail on
	// both sides (fractions from several responses per prompt are left out);
	// McNemarB counts those where only the base passed, McNemarC those where only the
	// candidate passed.
	McNemarPairs, McNemarB, McNemarC int
	// McNemarP is McNemarExact(McNemarB, McNemarC); nil when McNemarPairs is 0.
	McNemarP *float64

	// Test is the test whose p-value P decides significance.
	Test Test
	// P is the deciding p-value; nil when the deciding test has none.
	P *float64
	// Significant reports P < Alpha.
	Significant bool
	// Regression reports a significant change with MeanDiff in the worse direction;
	// Improvement one in the better direction. Both are false for NoDirection.
	Regression, Improvement bool
}

// Compare computes a Diff from paired scores.
//
// Which test decides: when every value on both sides is exactly 0 or 1 (a pass/fail
// scorer, or a 0/1 metric such as exact match, with one response per prompt), the
// Wilcoxon test would reduce to a sign test on the discordant pairs, and its exact form,
// McNemar's exact test on the values (b = pairs scoring 1 then 0, c = pairs scoring 0
// then 1), decides. Otherwise the Wilcoxon signed-rank test on the differences decides.
// The t-test and the pass-verdict McNemar test are reported but never decide.
//
// Regression = P < Alpha and MeanDiff < 0 for HigherIsBetter (> 0 for LowerIsBetter);
// requiring the mean to have moved the wrong way as well keeps a significant shift of
// ranks that leaves the mean better from counting as a regression.
//
// It returns ErrNoData for no pairs and ErrInvalid for bad options or a value that is
// NaN or infinite.
func Compare(pairs []Pair, opt CompareOptions) (Diff, error) {
	if err := opt.validate(); err != nil {
		return Diff{}, err
	}
	n := len(pairs)
	if n == 0 {
		return Diff{}, ErrNoData
	}
	base := make([]float64, n)
	cand := make([]float64, n)
	diffs := make([]float64, n)
	binary := true
	for i, p := range pairs {
		if !finite(p.Base, p.Cand) {
			return Diff{}, fmt.Errorf("pair %q: value is not finite: %w", p.PromptID, ErrInvalid)
		}
		base[i], cand[i] = p.Base, p.Cand
		diffs[i] = p.Cand - p.Base
		if !finite(diffs[i]) {
			return Diff{}, fmt.Errorf("pair %q: difference overflows float64: %w", p.PromptID, ErrInvalid)
		}
		binary = binary && isZeroOne(p.Base) && isZeroOne(p.Cand)
	}
	d := Diff{N: n}
	d.BaseMean, _ = meanSD(base)
	d.CandMean, _ = meanSD(cand)
	d.MeanDiff, _ = meanSD(diffs)
	if opt.Rounds > 0 {
		ci, err := pairedBootstrapCI(diffs, opt.Rounds, opt.Seed, opt.Level, opt.Cancel)
		if err != nil {
			return Diff{}, err
		}
		d.MeanDiffCI = ci
	}
	w, err := Wilcoxon(diffs)
	if err != nil {
		return Diff{}, err
	}
	d.WilcoxonP = w.P
	tt, err := PairedT(diffs)
	if err != nil {
		return Diff{}, err
	}
	d.TTestP = tt.P
	if opt.Better != NoDirection {
		d.Outcomes = countOutcomes(pairs, opt.Better)
	}
	if err := d.addPass(pairs); err != nil {
		return Diff{}, err
	}

	d.Test, d.P = SignedRankTest, d.WilcoxonP
	if binary {
		var b, c int
		for _, p := range pairs {
			switch {
			case p.Base == 1 && p.Cand == 0:
				b++
			case p.Base == 0 && p.Cand == 1:
				c++
			}
		}
		pv, err := McNemarExact(b, c)
		if err != nil {
			return Diff{}, err
		}
		d.Test, d.P = McNemarTest, &pv
	}
	d.Significant = d.P != nil && *d.P < opt.Alpha
	switch opt.Better {
	case HigherIsBetter:
		d.Regression = d.Significant && d.MeanDiff < 0
		d.Improvement = d.Significant && d.MeanDiff > 0
	case LowerIsBetter:
		d.Regression = d.Significant && d.MeanDiff > 0
		d.Improvement = d.Significant && d.MeanDiff < 0
	}
	return d, nil
}

// addPass fills the pass-rate and McNemar fields from the pairs' verdicts.
func (d *Diff) addPass(pairs []Pair) error {
	var sb, sc sum
	for _, p := range pairs {
		if p.BasePass == nil || p.CandPass == nil {
			continue
		}
		bp, cp := *p.BasePass, *p.CandPass
		if !(bp >= 0 && bp <= 1 && cp >= 0 && cp <= 1) {
			return fmt.Errorf("pair %q: pass fraction outside [0, 1]: %w", p.PromptID, ErrInvalid)
		}
		d.PassPairs++
		sb.add(bp)
		sc.add(cp)
		if isZeroOne(bp) && isZeroOne(cp) {
			d.McNemarPairs++
			switch {
			case bp == 1 && cp == 0:
				d.McNemarB++
			case bp == 0 && cp == 1:
				d.McNemarC++
			}
		}
	}
	if d.PassPairs > 0 {
		b := sb.value() / float64(d.PassPairs)
		c := sc.value() / float64(d.PassPairs)
		change := c - b
		d.BasePassRate, d.CandPassRate, d.PassRateChange = &b, &c, &change
	}
	if d.McNemarPairs > 0 {
		p, err := McNemarExact(d.McNemarB, d.McNemarC)
		if err != nil {
			return err
		}
		d.McNemarP = &p
	}
	return nil
}

// countOutcomes counts wins, exact ties and losses for the candidate.
func countOutcomes(pairs []Pair, better Direction) *WinTieLoss {
	var o WinTieLoss
	for _, p := range pairs {
		switch {
		case p.Cand == p.Base:
			o.Ties++
		case (p.Cand > p.Base) == (better == HigherIsBetter):
			o.Wins++
		default:
			o.Losses++
		}
	}
	return &o
}

func (o CompareOptions) validate() error {
	switch o.Better {
	case HigherIsBetter, LowerIsBetter, NoDirection:
	default:
		return fmt.Errorf("direction %q is not higher, lower or none: %w", o.Better, ErrInvalid)
	}
	if !(o.Alpha > 0 && o.Alpha < 1) {
		return fmt.Errorf("alpha %v is not in (0, 1): %w", o.Alpha, ErrInvalid)
	}
	if o.Rounds < 0 {
		return fmt.Errorf("bootstrap rounds %d is negative: %w", o.Rounds, ErrInvalid)
	}
	if o.Rounds > 0 {
		return checkLevel(o.Level)
	}
	return nil
}

func isZeroOne(v float64) bool { return v == 0 || v == 1 }
