package agreement

import (
	"fmt"
	"math"

	"github.com/rlhf-eval/rlhf-eval/internal/domain"
)

// z975 is the standard normal quantile at 0.975 (scipy.stats.norm.isf(0.025)), the
// multiplier of a two-sided 95% interval.
const z975 = 1.959963984540054

// ScoredComparison is one pairwise judgement with a scorer's value for each side:
// Preference is the probability that B is better, ScoreA and ScoreB the scorer's
// values for the two responses.
type ScoredComparison struct {
	ScoreA, ScoreB float64
	Preference     float64
}

// Accuracy is how often a scorer ranks the preferred response above the other.
type Accuracy struct {
	// Accuracy is Correct / N; nil when N is 0.
	Accuracy *float64
	// CILow and CIHigh bound the 95% Wilson score interval for the accuracy: with
	// p̂ = Correct/N and z = 1.959964,
	// (p̂ + z²/2N ± z·√(p̂(1 − p̂)/N + z²/4N²)) / (1 + z²/N) — statsmodels'
	// proportion_confint(method="wilson"). Nil when N is 0.
	CILow, CIHigh *float64
	// Correct counts comparisons where the preferred response scored strictly better;
	// N counts the comparisons judged (preference other than ½).
	Correct, N int
	// EqualScores counts judged comparisons where the two scores were equal; they count
	// as wrong.
	EqualScores int
	// Ties counts comparisons with preference exactly ½, which have no preferred side and
	// are left out.
	Ties int
}

// ScorerAccuracy measures a scorer against pairwise preferences as RewardBench does
// (allenai/reward-bench, scripts/run_rm.py: a pair is correct when the chosen
// response's score is strictly greater than the rejected one's, so equal scores count
// as wrong). The preferred response is B when the preference is above ½ and A when it
// is below; comparisons at exactly ½ are ties and left out. When higherIsBetter is
// false, "better" means a strictly lower score. The interval is the 95% Wilson score
// interval, which stays inside [0,1] and behaves at accuracies of 0 and 1.
//
// ScorerAccuracy fails on a NaN score or a preference outside [0,1].
func ScorerAccuracy(comparisons []ScoredComparison, higherIsBetter bool) (Accuracy, error) {
	var acc Accuracy
	for i, c := range comparisons {
		field := fmt.Sprintf("comparisons[%d]", i)
		switch {
		case !(c.Preference >= 0 && c.Preference <= 1):
			return Accuracy{}, domain.Invalid(field+".preference", "must be between 0 and 1 (the probability that B is better); got %v", c.Preference)
		case math.IsNaN(c.ScoreA):
			return Accuracy{}, domain.Invalid(field+".score_a", "must be a number")
		case math.IsNaN(c.ScoreB):
			return Accuracy{}, domain.Invalid(field+".score_b", "must be a number")
		}
		if c.Preference == 0.5 {
			acc.Ties++
			continue
		}
		chosen, rejected := c.ScoreA, c.ScoreB
		if c.Preference > 0.5 {
			chosen, rejected = c.ScoreB, c.ScoreA
		}
		if !higherIsBetter {
			chosen, rejected = -chosen, -rejected
		}
		acc.N++
		switch {
		case chosen > rejected:
			acc.Correct++
		case chosen == rejected:
			acc.EqualScores++
		}
	}
	if acc.N > 0 {
		p := float64(acc.Correct) / float64(acc.N)
		lo, hi := wilson(acc.Correct, acc.N, z975)
		acc.Accuracy, acc.CILow, acc.CIHigh = &p, &lo, &hi
	}
	return acc, nil
}

// wilson returns the Wilson score interval for correct successes in n trials.
func wilson(correct, n int, z float64) (lo, hi float64) {
	nf := float64(n)
	p := float64(correct) / nf
	z2 := z * z
	denom := 1 + z2/nf
	centre := (p + z2/(2*nf)) / denom
	half := z * math.Sqrt(p*(1-p)/nf+z2/(4*nf*nf)) / denom
	return max(0, centre-half), min(1, centre+half)
}

// AccuracyFromCounts builds an Accuracy from counts computed elsewhere (the database
// counts them for stored comparisons): correct of n judged comparisons, equal of them
// with equal scores, ties left out. The interval is the same Wilson interval as
// ScorerAccuracy's.
func AccuracyFromCounts(correct, n, equal, ties int) (Accuracy, error) {
	if correct < 0 || equal < 0 || ties < 0 || correct+equal > n {
		return Accuracy{}, domain.Invalid("", "inconsistent counts: %d correct and %d equal of %d", correct, equal, n)
	}
	acc := Accuracy{Correct: correct, N: n, EqualScores: equal, Ties: ties}
	if n > 0 {
		p := float64(correct) / float64(n)
		lo, hi := wilson(correct, n, z975)
		acc.Accuracy, acc.CILow, acc.CIHigh = &p, &lo, &hi
	}
	return acc, nil
}
