package app

import (
	"context"
	"errors"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"

	"github.com/rlhf-eval/rlhf-eval/internal/domain"
	"github.com/rlhf-eval/rlhf-eval/internal/domain/agreement"
	"github.com/rlhf-eval/rlhf-eval/internal/domain/ranking"
	"github.com/rlhf-eval/rlhf-eval/internal/domain/stats"
	"github.com/rlhf-eval/rlhf-eval/internal/ports"
	"github.com/rlhf-eval/rlhf-eval/internal/scoring"
	"github.com/rlhf-eval/rlhf-eval/internal/view"
)

// Preferences turns stored comparisons into leaderboards, agreement statistics and
// training files. The statistics are the domain's pure functions; this use case
// fetches their inputs, aggregated in the database.
type Preferences struct{ d Deps }

// Leaderboard methods.
const (
	MethodBT      = "bt"
	MethodElo     = "elo"
	MethodWinRate = "winrate"
)

// Leaderboard limits.
const (
	DefaultLeaderboardRounds = ranking.DefaultRounds
	MaxLeaderboardRounds     = 10_000
	// MaxLeaderboardResamples bounds a leaderboard's bootstrap work: rounds × the
	// rows each round resamples (outcome counts for Bradley–Terry, battles for
	// online Elo).
	MaxLeaderboardResamples = 20_000_000
	eloPage                 = 50_000
)

// LeaderboardInput configures a leaderboard. Rounds nil means the default (100
// bootstrap rounds); 0 turns the bootstrap off.
type LeaderboardInput struct {
	Method        string
	Baseline      string
	Rounds        *int
	Seed          uint64
	AnnotatorKind string
	// Anchor pins a model's rating: "model=rating".
	Anchor string
	// K is the online Elo step (default 4).
	K float64
}

func (in *LeaderboardInput) check() (ranking.BTOptions, error) {
	var errs []error
	if in.Method == "" {
		in.Method = MethodBT
	}
	switch in.Method {
	case MethodBT, MethodElo:
	case MethodWinRate:
		if in.Baseline == "" {
			errs = append(errs, domain.Invalid("baseline", "is required for method winrate (the model every other one is compared with)"))
		}
	default:
		errs = append(errs, domain.Invalid("method", "must be bt, elo or winrate; got %q", in.Method))
	}
	opts := ranking.BTOptions{Seed: in.Seed}
	rounds := DefaultLeaderboardRounds
	if in.Rounds != nil {
		rounds = *in.Rounds
	}
	switch {
	case rounds < 0 || rounds > MaxLeaderboardRounds:
		errs = append(errs, domain.Invalid("bootstrap", "must be from 0 to %d; got %d", MaxLeaderboardRounds, rounds))
	case rounds == 0:
		opts.Rounds = -1
	default:
		opts.Rounds = rounds
	}
	if in.Anchor != "" {
		model, value, ok := strings.Cut(in.Anchor, "=")
		r, err := strconv.ParseFloat(value, 64)
		if !ok || model == "" || err != nil || math.IsNaN(r) || math.IsInf(r, 0) {
			errs = append(errs, domain.Invalid("anchor", "must be model=rating, e.g. gpt-4=1200; got %q", in.Anchor))
		} else {
			opts.Anchor = &ranking.Anchor{Model: model, Rating: r}
		}
	}
	if in.K < 0 || math.IsNaN(in.K) || in.K > 1000 {
		errs = append(errs, domain.Invalid("k", "must be a positive step size up to 1000; got %v", in.K))
	}
	if in.AnnotatorKind != "" && !domain.AnnotatorKind(in.AnnotatorKind).Valid() {
		errs = append(errs, domain.Invalid("annotator_kind", "must be human, model or heuristic; got %q", in.AnnotatorKind))
	}
	return opts, errors.Join(errs...)
}

func (in LeaderboardInput) query(evalID domain.ID) ports.PreferenceQuery {
	q := ports.PreferenceQuery{EvaluationID: evalID}
	if in.AnnotatorKind != "" {
		k := domain.AnnotatorKind(in.AnnotatorKind)
		q.AnnotatorKind = &k
	}
	return q
}

// Leaderboard ranks an evaluation's models from its comparisons. Bradley–Terry and
// win rates work on (model_a, model_b, preference) counts aggregated in SQL; online
// Elo replays comparisons in creation order.
func (u *Preferences) Leaderboard(ctx context.Context, evalRef string, in LeaderboardInput) (view.Leaderboard, error) {
	opts, err := in.check()
	if err != nil {
		return view.Leaderboard{}, err
	}
	e, err := resolveEvaluation(ctx, u.d.Stores.Evaluations, evalRef)
	if err != nil {
		return view.Leaderboard{}, err
	}
	q := in.query(e.ID)
	var v view.Leaderboard
	if in.Method == MethodElo {
		var battles []ranking.Battle
		var after *domain.ID
		for {
			page, err := u.d.Stores.Preferences.ComparisonBattles(ctx, q, after, eloPage)
			if err != nil {
				return view.Leaderboard{}, err
			}
			for _, b := range page {
				battles = append(battles, ranking.Battle{ModelA: b.ModelA, ModelB: b.ModelB, Preference: b.Preference})
			}
			if len(page) < eloPage {
				break
			}
			last := page[len(page)-1].ID
			after = &last
		}
		if err := checkResamples(opts.Rounds, len(battles)); err != nil {
			return view.Leaderboard{}, err
		}
		opts.Cancel = ctx.Done()
		v, err = EloLeaderboard(battles, in, opts)
	} else {
		counts, err := u.d.Stores.Preferences.ComparisonOutcomes(ctx, q)
		if err != nil {
			return view.Leaderboard{}, err
		}
		outcomes := make([]ranking.Outcome, len(counts))
		for i, c := range counts {
			outcomes[i] = ranking.Outcome{ModelA: c.ModelA, ModelB: c.ModelB, Preference: c.Preference, Count: int(c.Count)}
		}
		if in.Method != MethodWinRate {
			if err := checkResamples(opts.Rounds, len(outcomes)); err != nil {
				return view.Leaderboard{}, err
			}
		}
		opts.Cancel = ctx.Done()
		v, err = OutcomeLeaderboard(outcomes, in, opts)
		if err != nil {
			return view.Leaderboard{}, canceledBy(ctx, err)
		}
	}
	if err != nil {
		return view.Leaderboard{}, canceledBy(ctx, err)
	}
	v.Evaluation = &view.EvaluationRef{ID: e.ID.String(), Name: e.Name}
	if in.AnnotatorKind != "" {
		k := in.AnnotatorKind
		v.AnnotatorKind = &k
	}
	return v, nil
}

// OutcomeLeaderboard computes a Bradley–Terry or win-rate leaderboard from outcome
// counts; the offline CLI calls it on files.
func OutcomeLeaderboard(outcomes []ranking.Outcome, in LeaderboardInput, opts ranking.BTOptions) (view.Leaderboard, error) {
	if in.Method == MethodWinRate {
		return winRateLeaderboard(outcomes, in.Baseline)
	}
	lb, err := ranking.BradleyTerry(outcomes, opts)
	if err != nil {
		return view.Leaderboard{}, err
	}
	v := leaderboardView(lb, MethodBT)
	v.Seed = in.Seed
	mle := lb.MLEExists
	v.MLEExists = &mle
	return v, nil
}

// canceledBy reports a bootstrap stopped by ctx as ctx's error (a deadline is a
// timeout, not a fault).
func canceledBy(ctx context.Context, err error) error {
	if errors.Is(err, ranking.ErrCanceled) {
		return fmt.Errorf("leaderboard bootstrap: %w", context.Cause(ctx))
	}
	return err
}

// checkResamples refuses a bootstrap that would cost the server more than one
// request may: rounds × rows resampled per round.
func checkResamples(rounds, rows int) error {
	if rounds <= 0 || rows == 0 || rounds*rows <= MaxLeaderboardResamples {
		return nil
	}
	return domain.Invalid("bootstrap", "%d rounds × %d rows is more resampling than one request may do (%d); lower bootstrap to at most %d",
		rounds, rows, MaxLeaderboardResamples, MaxLeaderboardResamples/rows)
}

// EloLeaderboard computes an online Elo leaderboard from battles in time order,
// with bootstrap intervals from opts' rounds, seed and cancel channel.
func EloLeaderboard(battles []ranking.Battle, in LeaderboardInput, opts ranking.BTOptions) (view.Leaderboard, error) {
	lb, err := ranking.OnlineElo(battles, ranking.EloOptions{K: in.K, Rounds: opts.Rounds, Seed: opts.Seed, Cancel: opts.Cancel})
	if err != nil {
		return view.Leaderboard{}, err
	}
	return leaderboardView(lb, MethodElo), nil
}

// PrepareLeaderboard validates input for offline use and returns the options.
func PrepareLeaderboard(in *LeaderboardInput) (ranking.BTOptions, error) { return in.check() }

func leaderboardView(lb ranking.Leaderboard, method string) view.Leaderboard {
	v := view.Leaderboard{Method: method, Comparisons: lb.Comparisons, Skipped: lb.Skipped, SelfComparisons: lb.SelfComparisons,
		BootstrapRounds: lb.Rounds, Warnings: append([]string{}, lb.Warnings...), Ratings: make([]view.Rating, len(lb.Ratings))}
	ciMethod := ciNone
	if lb.Rounds > 0 {
		ciMethod = stats.MethodBootstrap
	}
	for i, r := range lb.Ratings {
		wr := r.WinRate / 100
		rv := view.Rating{Model: r.Model, Rating: r.Rating, CILow: r.CILow, CIHigh: r.CIHigh, Rank: r.Rank, CIMethod: ciMethod,
			RankLow: r.RankLow, RankHigh: r.RankHigh, Battles: r.Battles, WinRate: &wr}
		for _, f := range r.Flags {
			rv.Flags = append(rv.Flags, string(f))
		}
		v.Ratings[i] = rv
	}
	return v
}

// ciNone is the interval method of a leaderboard without intervals (no bootstrap).
const ciNone = "none"

// winRateLeaderboard ranks models by AlpacaEval win rate against the baseline. The
// rating, its standard error and its interval are shares from 0 to 1 (AlpacaEval
// publishes them × 100). The interval is built on the logit scale from AlpacaEval's
// standard error, so it stays within [0, 1] (Wilson's when the win rate is 0 or 1);
// the rank is Arena's rule on those intervals.
func winRateLeaderboard(outcomes []ranking.Outcome, baseline string) (view.Leaderboard, error) {
	wrs, err := ranking.WinRates(outcomes, baseline)
	if err != nil {
		return view.Leaderboard{}, err
	}
	b := baseline
	v := view.Leaderboard{Method: MethodWinRate, Baseline: &b, Warnings: []string{}}
	for _, w := range wrs {
		share := w.WinRate / 100
		rv := view.Rating{Model: w.Model, Rating: share, CILow: share, CIHigh: share, Battles: w.N, CIMethod: ciNone}
		wins, ties, losses := w.Wins, w.Ties, w.Losses
		rv.Wins, rv.Ties, rv.Losses = &wins, &ties, &losses
		if w.N > 0 {
			rv.WinRate = &share
		} else {
			v.Warnings = append(v.Warnings, fmt.Sprintf("%s has no judged comparison with %s; its win rate is undefined", w.Model, baseline))
		}
		if w.StandardError != nil {
			se := *w.StandardError / 100
			rv.StandardError = &se
			ci, err := stats.LogitMeanCI(w.N, share, se, ConfidenceLevel, 0)
			if err != nil {
				return view.Leaderboard{}, fmt.Errorf("win rate interval of %s: %w", w.Model, err)
			}
			if ci != nil {
				rv.CILow, rv.CIHigh, rv.CIMethod = ci.Lo, ci.Hi, stats.MethodLogit
				if share == 0 || share == 1 {
					rv.CIMethod = stats.MethodWilson
				}
			}
		}
		v.Comparisons += w.N
		v.Skipped += w.Skipped
		v.Ratings = append(v.Ratings, rv)
	}
	for i := range v.Ratings {
		rank := 1
		for j := range v.Ratings {
			if j != i && v.Ratings[j].CILow > v.Ratings[i].CIHigh {
				rank++
			}
		}
		v.Ratings[i].Rank, v.Ratings[i].RankLow, v.Ratings[i].RankHigh = rank, i+1, i+1
	}
	return v, nil
}

// AgreementOf computes agreement over labels (the offline CLI's entry point).
func AgreementOf(labels []agreement.Label) (view.Agreement, error) {
	r, err := agreement.Compute(labels)
	if err != nil {
		return view.Agreement{}, err
	}
	v := view.Agreement{Items: r.PairableItems, Annotators: r.Annotators, Labels: r.Labels, Categories: r.Categories,
		PercentAgreement: r.Agreement, FleissKappa: r.Fleiss.Kappa, FleissRaters: r.Fleiss.Raters, FleissItems: r.Fleiss.Items,
		FleissExcluded: r.Fleiss.Excluded, KrippendorffAlpha: r.KrippendorffAlpha, CohenKappa: []view.Cohen{}}
	if v.Categories == nil {
		v.Categories = []string{}
	}
	for _, c := range r.Cohen {
		v.CohenKappa = append(v.CohenKappa, view.Cohen{A: c.AnnotatorA, B: c.AnnotatorB, Kappa: c.Kappa, N: c.N, Agreement: c.Agreement})
	}
	return v, nil
}

// Agreement measures how annotators agree on the pairs of responses that several of
// them judged. Each annotator's latest judgement of a pair counts, as a label a, b
// or tie relative to the pair's fixed orientation (whichever way round the
// annotator saw it); soft preferences label by their side of ½.
func (u *Preferences) Agreement(ctx context.Context, evalRef, kind string) (view.Agreement, error) {
	in := LeaderboardInput{AnnotatorKind: kind}
	if kind != "" && !domain.AnnotatorKind(kind).Valid() {
		return view.Agreement{}, domain.Invalid("annotator_kind", "must be human, model or heuristic; got %q", kind)
	}
	e, err := resolveEvaluation(ctx, u.d.Stores.Evaluations, evalRef)
	if err != nil {
		return view.Agreement{}, err
	}
	rows, err := u.d.Stores.Preferences.AgreementLabels(ctx, in.query(e.ID))
	if err != nil {
		return view.Agreement{}, err
	}
	labels := make([]agreement.Label, len(rows))
	for i, r := range rows {
		labels[i] = agreement.Label{Item: r.Lo.String() + "/" + r.Hi.String(), Annotator: r.Annotator, Label: string(sideOf(r.Preference))}
	}
	v, err := AgreementOf(labels)
	if err != nil {
		return view.Agreement{}, err
	}
	v.Evaluation = &view.EvaluationRef{ID: e.ID.String(), Name: e.Name}
	if kind != "" {
		v.AnnotatorKind = &kind
	}
	return v, nil
}

func sideOf(p float64) domain.Winner { return domain.Comparison{Preference: p}.Winner() }

// ScorerAgreement measures each scorer against the comparisons as RewardBench
// measures reward models: over non-tie comparisons where both responses have a
// value, the share where the preferred response scores strictly better in the
// scorer's better direction (equal scores count as wrong and are counted), with a
// 95% Wilson interval. Scorers without a better direction get no accuracy.
func (u *Preferences) ScorerAgreement(ctx context.Context, evalRef, kind string) (view.ScorerAgreementReport, error) {
	if kind != "" && !domain.AnnotatorKind(kind).Valid() {
		return view.ScorerAgreementReport{}, domain.Invalid("annotator_kind", "must be human, model or heuristic; got %q", kind)
	}
	e, err := resolveEvaluation(ctx, u.d.Stores.Evaluations, evalRef)
	if err != nil {
		return view.ScorerAgreementReport{}, err
	}
	counts, err := u.d.Stores.Preferences.ScorerAgreementCounts(ctx, LeaderboardInput{AnnotatorKind: kind}.query(e.ID))
	if err != nil {
		return view.ScorerAgreementReport{}, err
	}
	types := map[string]string{}
	for _, c := range e.Scorers {
		types[c.Name] = c.Type
	}
	rep := view.ScorerAgreementReport{Evaluation: view.EvaluationRef{ID: e.ID.String(), Name: e.Name}, Scorers: []view.ScorerAgreement{}}
	if kind != "" {
		rep.AnnotatorKind = &kind
	}
	for _, c := range counts {
		v := view.ScorerAgreement{Scorer: c.Scorer, Better: string(scoring.NoDirection), N: int(c.Judged), EqualScores: int(c.EqualScores), Ties: int(c.Ties)}
		if t, ok := types[c.Scorer]; ok {
			tt := t
			v.Type = &tt
			if typ, ok := u.d.Registry.Lookup(t); ok {
				v.Better = string(typ.Better)
			}
		}
		if c.Judged > 0 {
			ph := float64(c.PreferredHigher) / float64(c.Judged)
			v.PreferredHigher = &ph
		}
		var correct int64 = -1
		switch scoring.Direction(v.Better) {
		case scoring.HigherIsBetter:
			correct = c.PreferredHigher
		case scoring.LowerIsBetter:
			correct = c.PreferredLower
		}
		if correct >= 0 {
			acc, err := agreement.AccuracyFromCounts(int(correct), int(c.Judged), int(c.EqualScores), int(c.Ties))
			if err != nil {
				return view.ScorerAgreementReport{}, err
			}
			v.Accuracy, v.CILow, v.CIHigh, v.Correct = acc.Accuracy, acc.CILow, acc.CIHigh, acc.Correct
		}
		rep.Scorers = append(rep.Scorers, v)
	}
	sort.Slice(rep.Scorers, func(i, j int) bool { return rep.Scorers[i].Scorer < rep.Scorers[j].Scorer })
	return rep, nil
}
