package ranking

import (
	"cmp"
	"errors"
	"slices"
)

// ErrCanceled reports a bootstrap stopped through its options' Cancel channel.
var ErrCanceled = errors.New("canceled")

// canceled reports whether c is closed; a nil channel never is.
func canceled(c <-chan struct{}) bool {
	select {
	case <-c:
		return true
	default:
		return false
	}
}

// Methods a Leaderboard may report.
const (
	MethodBradleyTerry = "bradley_terry"
	MethodOnlineElo    = "online_elo"
)

// Flag marks a model whose rating deserves a caveat.
type Flag string

// Flags a Rating may carry.
const (
	// FlagUndefeated marks a model that never lost: its preference share in every
	// comparison was 1. Its maximum-likelihood rating is +∞.
	FlagUndefeated Flag = "undefeated"
	// FlagWinless marks a model that never won any share of a comparison. Its
	// maximum-likelihood rating is −∞.
	FlagWinless Flag = "winless"
	// FlagDisconnected marks a model outside the largest connected component of the
	// comparison graph (models joined by at least one comparison). Ratings in different
	// components are not comparable: nothing in the data links them.
	FlagDisconnected Flag = "disconnected"
	// FlagSeparated marks a model outside the largest strongly connected component of
	// the win graph (an edge i→j when i won some share against j) when that graph is
	// not strongly connected. Then the maximum-likelihood ratings do not exist (some
	// differences diverge) and BradleyTerry reports the ridge-regularised fit instead.
	FlagSeparated Flag = "separated"
)

// Leaderboard is a rating of models from pairwise comparisons.
type Leaderboard struct {
	// Method is MethodBradleyTerry or MethodOnlineElo.
	Method string
	// Ratings has one entry per model with at least one judged comparison against
	// another model, sorted by descending Rating, then by name.
	Ratings []Rating
	// Comparisons counts the judged comparisons between two different models used.
	Comparisons int
	// Skipped counts comparisons without a judgement (NaN preference).
	Skipped int
	// SelfComparisons counts ignored comparisons of a model with itself, which say
	// nothing about its rating.
	SelfComparisons int
	// Components is the number of connected components of the comparison graph.
	Components int
	// Rounds is the number of bootstrap rounds behind the intervals (0: none).
	Rounds int
	// MLEExists reports whether the maximum-likelihood Bradley–Terry ratings exist,
	// that is whether the win graph is strongly connected (BradleyTerry only).
	MLEExists bool
	// Ridge is the ridge strength used for the point estimate: 0 when the MLE exists.
	Ridge float64
	// RidgeRounds counts bootstrap rounds whose resample had no MLE and was fitted with
	// the ridge.
	RidgeRounds int
	// Warnings explains, in sentences, anything that limits how the ratings can be read.
	Warnings []string
}

// Rating is one model's line in a Leaderboard. Every number is finite.
type Rating struct {
	Model string
	// Rating is the point estimate on the Elo scale.
	Rating float64
	// Median, CILow and CIHigh are the 50th, 2.5th and 97.5th percentiles of the
	// bootstrap ratings (linear interpolation between order statistics, numpy's
	// default). Without a bootstrap they all equal Rating.
	Median, CILow, CIHigh float64
	// Rank is Chatbot Arena's rank: 1 + the number of models whose CILow is above this
	// model's CIHigh. Ties share a rank.
	Rank int
	// RankLow and RankHigh are the best and worst positions the model took across the
	// bootstrap rounds, where a round's position is 1 + the number of models rated
	// strictly higher in that round. Without a bootstrap they come from the point
	// estimate.
	RankLow, RankHigh int
	// Battles counts the model's judged comparisons against other models.
	Battles int
	// WinRate is the model's raw win rate over those comparisons in percent: 100 × its
	// mean preference share (ties count ½).
	WinRate float64
	// Flags lists caveats, in a fixed order; nil when there are none.
	Flags []Flag
}

// sortRatings orders ratings by descending Rating, then by name.
func sortRatings(rs []Rating) {
	slices.SortFunc(rs, func(x, y Rating) int {
		if c := cmp.Compare(y.Rating, x.Rating); c != 0 {
			return c
		}
		return cmp.Compare(x.Model, y.Model)
	})
}

// assignArenaRanks sets Rank from the intervals: 1 + the number of other models whose
// lower bound exceeds this model's upper bound.
func assignArenaRanks(rs []Rating) {
	for i := range rs {
		rank := 1
		for j := range rs {
			if j != i && rs[j].CILow > rs[i].CIHigh {
				rank++
			}
		}
		rs[i].Rank = rank
	}
}
