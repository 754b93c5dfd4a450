package app

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"runtime"
	"slices"
	"sort"
	"sync"
	"time"

	"github.com/rlhf-eval/rlhf-eval/internal/domain"
	"github.com/rlhf-eval/rlhf-eval/internal/domain/stats"
	"github.com/rlhf-eval/rlhf-eval/internal/ports"
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

// UnclaimedRefresh is how long a diff that would rather wait for the cached
// per-prompt means (DiffInput.CachedOnly) waits for a worker to take their
// refresh before it computes them from the scores instead.
const UnclaimedRefresh = 15 * time.Second

// DiffInput tunes a diff. Zero values take the defaults; Scorer restricts the diff
// to one scorer. Rounds nil asks for DefaultBootstrapRounds, or as many as
// MaxBootstrapDraws allows when the pairs are too many for that.
type DiffInput struct {
	Alpha  float64
	Rounds *int
	Seed   uint64
	Scorer string
	// CachedOnly returns at once, with Preparing set and nothing compared, when an
	// evaluation's per-prompt means are not cached as its scores stand, instead of
	// computing them from the scores (the dashboard shows the diff once the
	// refresh is done).
	CachedOnly bool
}

// ScorerDiff is one scorer's comparison.
type ScorerDiff struct {
	Scorer string
	Type   string
	Better scoring.Direction
	// BaseOnly and CandidateOnly count prompts scored on one side only.
	BaseOnly, CandidateOnly int
	// Pairs are the prompts scored on both sides, in bytewise order of id.
	Pairs []stats.Pair
	// Diff is nil when no prompt was scored on both sides.
	Diff *stats.Diff
}

// DiffReport compares a candidate evaluation with a base one.
type DiffReport struct {
	Base, Candidate domain.Evaluation
	Alpha           float64
	Rounds          int
	// RoundsLimited says that no number of rounds was asked for and Rounds is the
	// most MaxBootstrapDraws allows over these pairs, fewer than the default.
	RoundsLimited bool
	Seed          uint64
	Scorers       []ScorerDiff
	// Regressions names the scorers that regressed significantly.
	Regressions []string
	// Preparing holds, for a CachedOnly diff that found an evaluation's per-prompt
	// means stale, the jobs refreshing them; nothing else is filled in then.
	Preparing []domain.Job
}

// Diff pairs the two evaluations' scores by prompt_id (averaging per prompt where a
// prompt has several responses) and compares them per scorer with stats.Compare.
// The per-prompt means come from the cache the prompt_means job keeps when it
// matches the evaluation's scores, and are otherwise computed from the scores (and
// a refresh is enqueued): the answer is the same either way. The scorer's better
// direction comes from the base evaluation's configuration, else the candidate's;
// scorers configured on neither are reported with direction none and never count
// as regressions.
func (u *Diffs) Diff(ctx context.Context, baseRef, candRef string, in DiffInput) (DiffReport, error) {
	var errs []error
	if in.Alpha == 0 {
		in.Alpha = DefaultAlpha
	}
	if !(in.Alpha > 0 && in.Alpha < 1) || math.IsNaN(in.Alpha) {
		errs = append(errs, domain.Invalid("alpha", "must be between 0 and 1 exclusive; got %v", in.Alpha))
	}
	if in.Rounds != nil && (*in.Rounds < 0 || *in.Rounds > MaxBootstrapRounds) {
		errs = append(errs, domain.Invalid("bootstrap", "must be from 0 to %d; got %d", MaxBootstrapRounds, *in.Rounds))
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
	rep := DiffReport{Base: base, Candidate: cand, Alpha: in.Alpha, Seed: in.Seed}
	baseMeans, job, err := u.promptMeans(ctx, base, in.CachedOnly)
	if err != nil {
		return DiffReport{}, err
	}
	if job != nil {
		rep.Preparing = append(rep.Preparing, *job)
	}
	candMeans := baseMeans
	if cand.ID != base.ID {
		if candMeans, job, err = u.promptMeans(ctx, cand, in.CachedOnly); err != nil {
			return DiffReport{}, err
		}
		if job != nil {
			rep.Preparing = append(rep.Preparing, *job)
		}
	}
	if len(rep.Preparing) > 0 {
		return rep, nil
	}
	paired, err := pairPromptMeans(baseMeans, candMeans, in.Scorer)
	if err != nil {
		return DiffReport{}, err
	}
	if in.Scorer != "" && len(paired) == 0 {
		return DiffReport{}, domain.Invalid("scorer", "neither evaluation has scores from %q", in.Scorer)
	}
	types := map[string]string{}
	for _, e := range []domain.Evaluation{cand, base} { // base last: it wins
		for _, c := range e.Scorers {
			types[c.Name] = c.Type
		}
	}
	pairs := 0
	for _, sd := range paired {
		pairs += len(sd.Pairs)
	}
	if rep.Rounds, rep.RoundsLimited, err = bootstrapRounds(in.Rounds, pairs); err != nil {
		return DiffReport{}, err
	}
	for i := range paired {
		sd := &paired[i]
		sd.Type, sd.Better = types[sd.Scorer], scoring.NoDirection
		if t, ok := u.d.Registry.Lookup(sd.Type); ok {
			sd.Better = t.Better
		}
	}
	if err := compareScorers(ctx, paired, in, rep.Rounds); err != nil {
		return DiffReport{}, err
	}
	for _, sd := range paired {
		if sd.Diff != nil && sd.Diff.Regression {
			rep.Regressions = append(rep.Regressions, sd.Scorer)
		}
	}
	rep.Scorers = paired
	return rep, nil
}

// bootstrapRounds decides how many bootstrap rounds a diff of pairs prompt pairs
// (summed over scorers) runs: those asked for, when they resample at most
// MaxBootstrapDraws values (else a validation error naming the most allowed);
// with none asked for, DefaultBootstrapRounds or, when that is too many, the most
// allowed, reported as limited.
func bootstrapRounds(asked *int, pairs int) (rounds int, limited bool, err error) {
	largest := MaxBootstrapDraws / max(1, pairs)
	if asked == nil {
		if DefaultBootstrapRounds > largest {
			return largest, true, nil
		}
		return DefaultBootstrapRounds, false, nil
	}
	if draws := *asked * pairs; draws > MaxBootstrapDraws {
		return 0, false, domain.Invalid("bootstrap", "%d rounds over these pairs resample %d values, more than the %d one request may; lower bootstrap to at most %d",
			*asked, draws, MaxBootstrapDraws, largest)
	}
	return *asked, false, nil
}

// promptMeans returns an evaluation's per-prompt means: the cached ones when they
// are fresh; otherwise it enqueues their refresh (once per evaluation, and not
// again for scores whose refresh failed) and, unless
// cachedOnly, computes them from the scores, or with cachedOnly returns the job.
// An evaluation with no fingerprint is never cached and gets no job.
func (u *Diffs) promptMeans(ctx context.Context, e domain.Evaluation, cachedOnly bool) ([]ports.PromptMeans, *domain.Job, error) {
	a := u.d.Stores.Analytics
	ms, fresh, err := a.CachedPromptMeans(ctx, e.ID)
	if err != nil || fresh {
		return ms, nil, err
	}
	fp, err := a.ScoreFingerprint(ctx, e.ID)
	if err != nil {
		return nil, nil, err
	}
	if fp != nil {
		// A refresh that failed for these very scores would fail again: it is
		// not asked for a second time (a CachedOnly diff gets the failed job, so
		// its page can say why) until the scores change.
		mark, kind := hex.EncodeToString(fp), KindPromptMeans
		last, err := u.d.Stores.Jobs.ListJobs(ctx, ports.JobQuery{EvaluationID: &e.ID, Kind: &kind, Limit: 1})
		if err != nil {
			return nil, nil, fmt.Errorf("the last refresh of the per-prompt means of evaluation %q: %w", e.Name, err)
		}
		failed := len(last) == 1 && last[0].Status == domain.JobFailed && last[0].Params["fingerprint"] == mark
		// A refresh queued or running is the newest (EnqueueJobOnce adds none
		// while one is), so a diff polling for it need not ask again.
		active := len(last) == 1 && (last[0].Status == domain.JobQueued || last[0].Status == domain.JobRunning)
		// A refresh no worker has taken for a while may never be taken (this
		// deployment may run no workers): a CachedOnly diff stops waiting for
		// it and computes from the scores, as a plain diff does.
		unclaimed := active && last[0].Status == domain.JobQueued && u.d.Clock.Now().Sub(last[0].CreatedAt) >= UnclaimedRefresh
		switch {
		case unclaimed:
		case (failed || active) && cachedOnly:
			return nil, &last[0], nil
		case !failed && !active:
			j, _, err := u.d.Stores.Jobs.EnqueueJobOnce(ctx, u.d.newJob(KindPromptMeans, &e.ID, map[string]any{"fingerprint": mark}))
			if err != nil {
				return nil, nil, fmt.Errorf("enqueue the per-prompt means of evaluation %q: %w", e.Name, err)
			}
			if cachedOnly {
				return nil, &j, nil
			}
		}
	}
	ms, err = a.PromptMeans(ctx, e.ID)
	return ms, nil, err
}

// pairPromptMeans joins two evaluations' per-prompt means per scorer (only scorer,
// when named), in scorer order: the prompts on both sides become pairs, in
// bytewise order of id; the rest are counted.
func pairPromptMeans(base, cand []ports.PromptMeans, scorer string) ([]ScorerDiff, error) {
	bs, err := meansByScorer(base)
	if err != nil {
		return nil, err
	}
	cs, err := meansByScorer(cand)
	if err != nil {
		return nil, err
	}
	var names []string
	for _, m := range [][]ports.PromptMeans{base, cand} {
		for _, x := range m {
			if (scorer == "" || x.Scorer == scorer) && !slices.Contains(names, x.Scorer) {
				names = append(names, x.Scorer)
			}
		}
	}
	sort.Strings(names)
	out := make([]ScorerDiff, len(names))
	for k, name := range names {
		sd := ScorerDiff{Scorer: name}
		b, c := bs[name], cs[name]
		i, j := 0, 0
		for i < len(b.PromptIDs) || j < len(c.PromptIDs) {
			switch {
			case j == len(c.PromptIDs) || (i < len(b.PromptIDs) && b.PromptIDs[i] < c.PromptIDs[j]):
				sd.BaseOnly++
				i++
			case i == len(b.PromptIDs) || c.PromptIDs[j] < b.PromptIDs[i]:
				sd.CandidateOnly++
				j++
			default:
				sd.Pairs = append(sd.Pairs, stats.Pair{PromptID: b.PromptIDs[i], Base: b.Means[i], Cand: c.Means[j], BasePass: b.PassRates[i], CandPass: c.PassRates[j]})
				i++
				j++
			}
		}
		out[k] = sd
	}
	return out, nil
}

// meansByScorer indexes per-prompt means by scorer, checking that each holds its
// prompts once, in bytewise order, as the merge in pairPromptMeans needs.
func meansByScorer(ms []ports.PromptMeans) (map[string]ports.PromptMeans, error) {
	out := make(map[string]ports.PromptMeans, len(ms))
	for _, m := range ms {
		n := len(m.PromptIDs)
		if len(m.Means) != n || len(m.PassRates) != n {
			return nil, fmt.Errorf("per-prompt means of %q: %d prompts, %d means, %d pass rates", m.Scorer, n, len(m.Means), len(m.PassRates))
		}
		for i := 1; i < n; i++ {
			if m.PromptIDs[i-1] >= m.PromptIDs[i] {
				return nil, fmt.Errorf("per-prompt means of %q: prompt %q after %q", m.Scorer, m.PromptIDs[i], m.PromptIDs[i-1])
			}
		}
		out[m.Scorer] = m
	}
	return out, nil
}

// compareScorers runs stats.Compare for every scorer with pairs, at most
// GOMAXPROCS at a time. Each scorer's bootstrap has its own generator seeded
// with in.Seed, so running them at once changes no result.
func compareScorers(ctx context.Context, sds []ScorerDiff, in DiffInput, rounds int) error {
	errs := make([]error, len(sds))
	sem := make(chan struct{}, runtime.GOMAXPROCS(0))
	var wg sync.WaitGroup
	for i := range sds {
		sd := &sds[i]
		if len(sd.Pairs) == 0 {
			continue
		}
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			d, err := stats.Compare(sd.Pairs, stats.CompareOptions{
				Better: stats.Direction(sd.Better), Alpha: in.Alpha, Level: ConfidenceLevel, Rounds: rounds, Seed: in.Seed,
				Cancel: ctx.Done(),
			})
			switch {
			case errors.Is(err, stats.ErrCanceled):
				errs[i] = fmt.Errorf("compare %q: %w", sd.Scorer, context.Cause(ctx))
			case err != nil:
				errs[i] = fmt.Errorf("compare %q: %w", sd.Scorer, err)
			default:
				sd.Diff = &d
			}
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// PromptMeansRunner refreshes an evaluation's cached per-prompt means (job kind
// "prompt_means"), which diffs read while they match the evaluation's scores.
// One refresh is one statement, so a job repeated after a crash just computes
// them again.
type PromptMeansRunner struct{ d Deps }

// NewPromptMeansRunner returns the per-prompt means runner.
func NewPromptMeansRunner(d Deps) (*PromptMeansRunner, error) {
	if err := d.check(); err != nil {
		return nil, err
	}
	return &PromptMeansRunner{d: d}, nil
}

// Kind is "prompt_means".
func (r *PromptMeansRunner) Kind() string { return KindPromptMeans }

// Run computes and stores the job's evaluation's per-prompt means.
func (r *PromptMeansRunner) Run(ctx context.Context, job domain.Job) (map[string]any, error) {
	if job.EvaluationID == nil {
		return nil, errors.New("the job names no evaluation")
	}
	stored, err := r.d.Stores.Analytics.RefreshPromptMeans(ctx, *job.EvaluationID, r.d.now())
	if err != nil {
		return nil, fmt.Errorf("refresh the per-prompt means of evaluation %s: %w", *job.EvaluationID, err)
	}
	return map[string]any{"stored": stored}, nil
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
		Alpha: r.Alpha, ConfidenceLevel: ConfidenceLevel, BootstrapRounds: r.Rounds, BootstrapRoundsLimited: r.RoundsLimited, Seed: r.Seed,
		Regressed: len(r.Regressions) > 0, Regressions: append([]string{}, r.Regressions...),
		Scorers: make([]view.ScorerDiff, len(r.Scorers)),
	}
	for i, s := range r.Scorers {
		v.Scorers[i] = s.View()
	}
	return v
}
