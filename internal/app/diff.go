package app

import (
	"context"
	"errors"
	"fmt"
	"math"
	"sort"

	"github.com/rlhf-eval/rlhf-eval/internal/domain"
	"github.com/rlhf-eval/rlhf-eval/internal/domain/stats"
	"github.com/rlhf-eval/rlhf-eval/internal/scoring"
	"github.com/rlhf-eval/rlhf-eval/internal/view"
)

// Diffs is the regression-diff use case: two evaluations compared prompt by prompt.
type Diffs struct{ d Deps }

// Defaults of a diff.
const (
	DefaultAlpha           = 0.05
	DefaultBootstrapRounds = 1000
	MaxBootstrapRounds     = 100_000
	// MaxBootstrapDraws bounds the values one diff resamples (rounds × pairs,
	// summed over scorers): about a second of work.
	MaxBootstrapDraws = 20_000_000
)

// DiffInput tunes a diff. Zero values take the defaults; Scorer restricts the diff
// to one scorer.
type DiffInput struct {
	Alpha  float64
	Rounds *int
	Seed   uint64
	Scorer string
}

// ScorerDiff is one scorer's comparison.
type ScorerDiff struct {
	Scorer string
	Type   string
	Better scoring.Direction
	// BaseOnly and CandidateOnly count prompts scored on one side only.
	BaseOnly, CandidateOnly int
	// Diff is nil when no prompt was scored on both sides.
	Diff *stats.Diff
}

// DiffReport compares a candidate evaluation with a base one.
type DiffReport struct {
	Base, Candidate domain.Evaluation
	Alpha           float64
	Rounds          int
	Seed            uint64
	Scorers         []ScorerDiff
	// Regressions names the scorers that regressed significantly.
	Regressions []string
}

// Diff pairs the two evaluations' scores by prompt_id in the database (averaging
// per prompt where a prompt has several responses) and compares them per scorer
// with stats.Compare. The scorer's better direction comes from the base
// evaluation's configuration, else the candidate's; scorers configured on neither
// are reported with direction none and never count as regressions.
func (u *Diffs) Diff(ctx context.Context, baseRef, candRef string, in DiffInput) (DiffReport, error) {
	var errs []error
	if in.Alpha == 0 {
		in.Alpha = DefaultAlpha
	}
	if !(in.Alpha > 0 && in.Alpha < 1) || math.IsNaN(in.Alpha) {
		errs = append(errs, domain.Invalid("alpha", "must be between 0 and 1 exclusive; got %v", in.Alpha))
	}
	rounds := DefaultBootstrapRounds
	if in.Rounds != nil {
		rounds = *in.Rounds
	}
	if rounds < 0 || rounds > MaxBootstrapRounds {
		errs = append(errs, domain.Invalid("bootstrap", "must be from 0 to %d; got %d", MaxBootstrapRounds, rounds))
	}
	if err := errors.Join(errs...); err != nil {
		return DiffReport{}, err
	}
	base, err := resolveEvaluation(ctx, u.d.Stores.Evaluations, baseRef)
	if err != nil {
		return DiffReport{}, err
	}
	cand, err := resolveEvaluation(ctx, u.d.Stores.Evaluations, candRef)
	if err != nil {
		return DiffReport{}, err
	}
	rows, err := u.d.Stores.Analytics.PairScores(ctx, base.ID, cand.ID)
	if err != nil {
		return DiffReport{}, err
	}
	types := map[string]string{}
	for _, e := range []domain.Evaluation{cand, base} { // base last: it wins
		for _, c := range e.Scorers {
			types[c.Name] = c.Type
		}
	}
	type acc struct {
		pairs              []stats.Pair
		baseOnly, candOnly int
	}
	byScorer := map[string]*acc{}
	var names []string
	for _, r := range rows {
		if in.Scorer != "" && r.Scorer != in.Scorer {
			continue
		}
		a := byScorer[r.Scorer]
		if a == nil {
			a = &acc{}
			byScorer[r.Scorer] = a
			names = append(names, r.Scorer)
		}
		switch {
		case r.Base == nil:
			a.candOnly++
		case r.Candidate == nil:
			a.baseOnly++
		default:
			a.pairs = append(a.pairs, stats.Pair{PromptID: r.PromptID, Base: *r.Base, Cand: *r.Candidate, BasePass: r.BasePass, CandPass: r.CandidatePass})
		}
	}
	if in.Scorer != "" && len(names) == 0 {
		return DiffReport{}, domain.Invalid("scorer", "neither evaluation has scores from %q", in.Scorer)
	}
	sort.Strings(names)
	draws := 0
	for _, a := range byScorer {
		draws += rounds * len(a.pairs)
	}
	if draws > MaxBootstrapDraws {
		return DiffReport{}, domain.Invalid("bootstrap", "%d rounds over these pairs resample %d values, more than the %d one request may; lower bootstrap to at most %d",
			rounds, draws, MaxBootstrapDraws, MaxBootstrapDraws/max(1, draws/max(1, rounds)))
	}
	rep := DiffReport{Base: base, Candidate: cand, Alpha: in.Alpha, Rounds: rounds, Seed: in.Seed}
	for _, name := range names {
		a := byScorer[name]
		sd := ScorerDiff{Scorer: name, Type: types[name], Better: scoring.NoDirection, BaseOnly: a.baseOnly, CandidateOnly: a.candOnly}
		if t, ok := u.d.Registry.Lookup(sd.Type); ok {
			sd.Better = t.Better
		}
		if len(a.pairs) > 0 {
			// Bytewise prompt order, whatever the database's collation, so the
			// bootstrap is reproducible offline from the same pairs.
			sort.Slice(a.pairs, func(i, j int) bool { return a.pairs[i].PromptID < a.pairs[j].PromptID })
			d, err := stats.Compare(a.pairs, stats.CompareOptions{
				Better: stats.Direction(sd.Better), Alpha: in.Alpha, Level: ConfidenceLevel, Rounds: rounds, Seed: in.Seed,
				Cancel: ctx.Done(),
			})
			if errors.Is(err, stats.ErrCanceled) {
				return DiffReport{}, fmt.Errorf("compare %q: %w", name, context.Cause(ctx))
			}
			if err != nil {
				return DiffReport{}, fmt.Errorf("compare %q: %w", name, err)
			}
			sd.Diff = &d
			if d.Regression {
				rep.Regressions = append(rep.Regressions, name)
			}
		}
		rep.Scorers = append(rep.Scorers, sd)
	}
	return rep, nil
}

// View returns the wire form of a scorer diff.
func (s ScorerDiff) View() view.ScorerDiff {
	v := view.ScorerDiff{Scorer: s.Scorer, Better: string(s.Better), BaseOnly: s.BaseOnly, CandidateOnly: s.CandidateOnly}
	if s.Type != "" {
		t := s.Type
		v.Type = &t
	}
	d := s.Diff
	if d == nil {
		return v
	}
	v.NPairs = d.N
	v.BaseMean, v.CandidateMean, v.MeanDiff = &d.BaseMean, &d.CandMean, &d.MeanDiff
	if d.MeanDiffCI != nil {
		m := stats.MethodBootstrap
		v.MeanDiffCILow, v.MeanDiffCIHigh, v.MeanDiffCIMethod = &d.MeanDiffCI.Lo, &d.MeanDiffCI.Hi, &m
	}
	v.WilcoxonP, v.TTestP = d.WilcoxonP, d.TTestP
	if d.Outcomes != nil {
		v.Wins, v.Ties, v.Losses = &d.Outcomes.Wins, &d.Outcomes.Ties, &d.Outcomes.Losses
	}
	v.PassPairs, v.BasePassRate, v.CandidatePassRate, v.PassRateChange = d.PassPairs, d.BasePassRate, d.CandPassRate, d.PassRateChange
	v.McNemarP, v.McNemarB, v.McNemarC = d.McNemarP, d.McNemarB, d.McNemarC
	test := string(d.Test)
	v.Test, v.P = &test, d.P
	v.Significant, v.Regression, v.Improvement = d.Significant, d.Regression, d.Improvement
	return v
}

// View returns the wire form of a diff report.
func (r DiffReport) View() view.Diff {
	v := view.Diff{
		Base: view.EvaluationRef{ID: r.Base.ID.String(), Name: r.Base.Name}, Candidate: view.EvaluationRef{ID: r.Candidate.ID.String(), Name: r.Candidate.Name},
		Alpha: r.Alpha, ConfidenceLevel: ConfidenceLevel, BootstrapRounds: r.Rounds, Seed: r.Seed,
		Regressed: len(r.Regressions) > 0, Regressions: append([]string{}, r.Regressions...),
		Scorers: make([]view.ScorerDiff, len(r.Scorers)),
	}
	for i, s := range r.Scorers {
		v.Scorers[i] = s.View()
	}
	return v
}
