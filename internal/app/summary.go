package app

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"

	"github.com/rlhf-eval/rlhf-eval/internal/domain"
	"github.com/rlhf-eval/rlhf-eval/internal/domain/stats"
	"github.com/rlhf-eval/rlhf-eval/internal/ports"
	"github.com/rlhf-eval/rlhf-eval/internal/scoring"
	"github.com/rlhf-eval/rlhf-eval/internal/view"
)

// Summaries is the score summary use case.
type Summaries struct{ d Deps }

// ConfidenceLevel is the level of every confidence interval the service reports.
const ConfidenceLevel = 0.95

// ScorerSummary describes one scorer's scores (for one model when grouped). The
// statistics are nil when undefined: no values, or one value for SD and CI.
type ScorerSummary struct {
	Scorer string
	// Type and Better come from the evaluation's current configuration; empty for
	// scores of a scorer no longer configured.
	Type   string
	Better scoring.Direction
	Model  string
	// NScores counts stored scores; N those with a value; Errors those where the
	// scorer failed. Pending counts the scores that scorers running later have
	// yet to compute: they are in none of the others, nor in any statistic.
	NScores, N, Errors int64
	Pending            int64
	Mean, SD           *float64
	Min, P10, P50, P90 *float64
	Max                *float64
	// CI is the 95% confidence interval of the mean, by CIMethod: Wilson when
	// every value is 0 or 1, logit for scorers whose values lie in [0, 1], Student
	// t otherwise, so the interval never leaves the values' range.
	CI       *stats.Interval
	CIMethod string
	// PassRate is the share of passed among scores with a pass/fail verdict, and
	// PassRateCI its Wilson interval.
	PassRate   *float64
	PassRateCI *stats.Interval
	NPassKnown int64
	// Corpus is the corpus-level score of scorers that define one (BLEU, chrF).
	Corpus map[string]any
}

// Summary is an evaluation's summary.
type Summary struct {
	Evaluation domain.Evaluation
	GroupBy    string
	// Exact reports whether the percentiles were computed from every score (true)
	// or read from the rollups' histograms.
	Exact   bool
	Scorers []ScorerSummary
	// buckets are the rollups' histogram buckets the summary was read from (none
	// when Exact), for Histograms.
	buckets []ports.HistogramBucket
}

// SummaryInput selects a summary: GroupBy "model" for a row per scorer and model;
// Exact to compute percentiles from every stored score instead of the rollups.
type SummaryInput struct {
	GroupBy string
	Exact   bool
}

// Summary summarizes an evaluation's scores per scorer (or per scorer and model).
//
// By default it reads the rollups maintained on ingest, so its cost does not grow
// with the number of scores: n, mean, standard deviation, min, max, pass rate and
// the confidence interval are exact (up to floating-point rounding of the merged
// moments), and the percentiles come from log-spaced histograms of relative width
// 0.2%: exact when each bucket holds one distinct value (0/1 flags, integer counts
// below 500), otherwise within the bucket's width. Exact reads every score and uses
// PostgreSQL's percentile_cont.
func (u *Summaries) Summary(ctx context.Context, evalRef string, in SummaryInput) (Summary, error) {
	groupBy := in.GroupBy
	if groupBy != "" && groupBy != "model" {
		return Summary{}, domain.Invalid("group_by", "must be model or empty; got %q", groupBy)
	}
	e, err := resolveEvaluation(ctx, u.d.Stores.Evaluations, evalRef)
	if err != nil {
		return Summary{}, err
	}
	var aggs []ports.ScoreAggregate
	var buckets []ports.HistogramBucket
	if in.Exact {
		aggs, err = u.d.Stores.Analytics.SummarizeScores(ctx, e.ID, groupBy == "model")
	} else {
		aggs, buckets, err = u.fromRollups(ctx, e.ID, groupBy == "model")
	}
	if err != nil {
		return Summary{}, err
	}
	aggs, pending, err := u.withPending(ctx, e.ID, aggs, groupBy == "model")
	if err != nil {
		return Summary{}, err
	}
	configs := map[string]domain.ScorerConfig{}
	var corpusScorers []string
	for _, c := range e.Scorers {
		configs[c.Name] = c
		if t, ok := u.d.Registry.Lookup(c.Type); ok && t.Corpus != nil {
			corpusScorers = append(corpusScorers, c.Name)
		}
	}
	sums, err := u.d.Stores.Analytics.SumScoreStats(ctx, e.ID, corpusScorers)
	if err != nil {
		return Summary{}, err
	}
	out := Summary{Evaluation: e, GroupBy: groupBy, Exact: in.Exact, buckets: buckets}
	for _, a := range aggs {
		unit := false
		if c, ok := configs[a.Scorer]; ok {
			if t, ok := u.d.Registry.Lookup(c.Type); ok {
				unit = t.UnitInterval
			}
		}
		s, err := summarizeAggregate(a, unit)
		if err != nil {
			return Summary{}, fmt.Errorf("summarize %q: %w", a.Scorer, err)
		}
		s.Pending = pending[[2]string{a.Scorer, a.Model}]
		if c, ok := configs[a.Scorer]; ok {
			s.Type = c.Type
			if t, ok := u.d.Registry.Lookup(c.Type); ok {
				s.Better = t.Better
				if t.Corpus != nil {
					s.Corpus, err = corpusOf(t, c.Params, sums, a.Scorer, a.Model, groupBy == "model")
					if err != nil {
						return Summary{}, err
					}
				}
			}
		}
		out.Scorers = append(out.Scorers, s)
	}
	return out, nil
}

// withPending counts the evaluation's pending scores by scorer (and model, when
// byModel), and adds an empty aggregate for a scorer (and model) that has only
// pending scores so far, keeping aggs in scorer and model order.
func (u *Summaries) withPending(ctx context.Context, evalID domain.ID, aggs []ports.ScoreAggregate, byModel bool) ([]ports.ScoreAggregate, map[[2]string]int64, error) {
	if u.d.Stores.Pending == nil {
		return aggs, nil, nil
	}
	counts, err := u.d.Stores.Pending.CountPendingScores(ctx, evalID)
	if err != nil || len(counts) == 0 {
		return aggs, nil, err
	}
	pending := map[[2]string]int64{}
	for _, c := range counts {
		k := [2]string{c.Scorer, ""}
		if byModel {
			k[1] = c.Model
		}
		pending[k] += c.N
	}
	have := make(map[[2]string]bool, len(aggs))
	for _, a := range aggs {
		have[[2]string{a.Scorer, a.Model}] = true
	}
	added := false
	for k := range pending {
		if !have[k] {
			aggs = append(aggs, ports.ScoreAggregate{Scorer: k[0], Model: k[1]})
			added = true
		}
	}
	if added {
		sort.SliceStable(aggs, func(i, j int) bool {
			if aggs[i].Scorer != aggs[j].Scorer {
				return aggs[i].Scorer < aggs[j].Scorer
			}
			return aggs[i].Model < aggs[j].Model
		})
	}
	return aggs, pending, nil
}

// fromRollups merges rollup shards (and models, unless grouped by model) into
// aggregates, with percentiles read from the merged histograms; it returns the
// histogram buckets it read too.
func (u *Summaries) fromRollups(ctx context.Context, evalID domain.ID, byModel bool) ([]ports.ScoreAggregate, []ports.HistogramBucket, error) {
	groups, buckets, err := u.d.Stores.Analytics.ScoreRollups(ctx, evalID)
	if err != nil {
		return nil, nil, err
	}
	type key struct{ scorer, model string }
	keyOf := func(scorer, model string) key {
		if !byModel {
			model = ""
		}
		return key{scorer, model}
	}
	type acc struct {
		agg     ports.ScoreAggregate
		moments stats.Moments
		buckets map[int32]stats.Bucket
	}
	accs := map[key]*acc{}
	var order []key
	for _, g := range groups {
		k := keyOf(g.Scorer, g.Model)
		a := accs[k]
		if a == nil {
			a = &acc{agg: ports.ScoreAggregate{Scorer: k.scorer, Model: k.model}, buckets: map[int32]stats.Bucket{}}
			accs[k] = a
			order = append(order, k)
		}
		a.agg.NScores += g.NScores
		a.agg.NPassKnown += g.NPassKnown
		a.agg.NPassed += g.NPassed
		a.agg.NErrors += g.NErrs
		if g.N == 0 || g.Mean == nil || g.Min == nil || g.Max == nil {
			continue
		}
		m2 := 0.0
		if g.M2 != nil {
			m2 = *g.M2
		}
		if a.moments.N == 0 || *g.Min < a.agg.Min {
			a.agg.Min = *g.Min
		}
		if a.moments.N == 0 || *g.Max > a.agg.Max {
			a.agg.Max = *g.Max
		}
		a.moments = a.moments.Merge(stats.Moments{N: g.N, Mean: *g.Mean, M2: m2})
	}
	for _, b := range buckets {
		a := accs[keyOf(b.Scorer, b.Model)]
		if a == nil {
			continue
		}
		cur, seen := a.buckets[b.Index]
		if !seen {
			cur = stats.Bucket{Min: b.Min, Max: b.Max}
		}
		cur.Count += b.Count
		cur.Min, cur.Max = min(cur.Min, b.Min), max(cur.Max, b.Max)
		a.buckets[b.Index] = cur
	}
	sort.Slice(order, func(i, j int) bool {
		if order[i].scorer != order[j].scorer {
			return order[i].scorer < order[j].scorer
		}
		return order[i].model < order[j].model
	})
	out := make([]ports.ScoreAggregate, 0, len(order))
	for _, k := range order {
		a := accs[k]
		agg := a.agg
		agg.N, agg.Mean = a.moments.N, a.moments.Mean
		if sd, ok := a.moments.SD(); ok {
			agg.SD = sd
		}
		idx := make([]int32, 0, len(a.buckets))
		for i := range a.buckets {
			idx = append(idx, i)
		}
		sort.Slice(idx, func(i, j int) bool { return idx[i] < idx[j] })
		hist := make([]stats.Bucket, len(idx))
		for i, j := range idx {
			hist[i] = a.buckets[j]
		}
		agg.P10, _ = stats.HistogramPercentile(hist, 0.1)
		agg.P50, _ = stats.HistogramPercentile(hist, 0.5)
		agg.P90, _ = stats.HistogramPercentile(hist, 0.9)
		out = append(out, agg)
	}
	return out, buckets, nil
}

// corpusOf sums the per-model statistic sums that belong to one summary row.
func corpusOf(t scoring.Type, params []byte, sums []ports.StatSum, scorer, model string, byModel bool) (map[string]any, error) {
	var total []float64
	for _, s := range sums {
		if s.Scorer != scorer || (byModel && s.Model != model) {
			continue
		}
		for len(total) < len(s.Stats) {
			total = append(total, 0)
		}
		for i, v := range s.Stats {
			total[i] += v
		}
	}
	if total == nil {
		return nil, nil
	}
	c, err := t.Corpus(json.RawMessage(params), total)
	if err != nil {
		return nil, fmt.Errorf("corpus score of %q: %w", scorer, err)
	}
	return c, nil
}

// summarizeAggregate turns an aggregate into a summary; unit says the scorer's
// values lie in [0, 1].
func summarizeAggregate(a ports.ScoreAggregate, unit bool) (ScorerSummary, error) {
	s := ScorerSummary{Scorer: a.Scorer, Model: a.Model, NScores: a.NScores, N: a.N, Errors: a.NErrors, NPassKnown: a.NPassKnown}
	if a.N > 0 {
		s.Mean, s.Min, s.Max, s.P10, s.P50, s.P90 = &a.Mean, &a.Min, &a.Max, &a.P10, &a.P50, &a.P90
		sd := 0.0
		if a.N > 1 {
			s.SD, sd = &a.SD, a.SD
		}
		ci, method, err := stats.BoundedMeanCI(a.N, a.Mean, sd, a.Min, a.Max, unit, ConfidenceLevel)
		if err != nil {
			return ScorerSummary{}, err
		}
		if ci != nil {
			s.CI, s.CIMethod = ci, method
		}
	}
	if a.NPassKnown > 0 {
		r := float64(a.NPassed) / float64(a.NPassKnown)
		s.PassRate = &r
		ci, err := stats.WilsonCI(float64(a.NPassed), float64(a.NPassKnown), ConfidenceLevel)
		if err != nil {
			return ScorerSummary{}, err
		}
		s.PassRateCI = ci
	}
	return s, nil
}

// SummarizeOutcomes summarizes scorer outcomes computed offline (the CLI's
// --summary) with the same definitions as the SQL summary: statistics over values,
// pass rate over verdicts, and corpus scores over summed statistics.
func SummarizeOutcomes(set *scoring.Set, outcomes [][]scoring.Outcome) ([]ScorerSummary, error) {
	var out []ScorerSummary
	for j, b := range set.Scorers() {
		var values []float64
		var passKnown, passed, errs int64
		var sum []float64
		for _, row := range outcomes {
			o := row[j]
			if o.Err != nil {
				errs++
				continue
			}
			values = append(values, o.Result.Value)
			if o.Result.Passed != nil {
				passKnown++
				if *o.Result.Passed {
					passed++
				}
			}
			if b.Type.Corpus != nil {
				st, err := statsOf(o.Result.Details)
				if err != nil {
					return nil, fmt.Errorf("scorer %q: %w", b.Config.Name, err)
				}
				for len(sum) < len(st) {
					sum = append(sum, 0)
				}
				for i, v := range st {
					sum[i] += v
				}
			}
		}
		a := ports.ScoreAggregate{Scorer: b.Config.Name, NScores: int64(len(outcomes)), N: int64(len(values)), NErrors: errs,
			NPassKnown: passKnown, NPassed: passed}
		if len(values) > 0 {
			d, err := stats.Describe(values)
			if err != nil {
				return nil, fmt.Errorf("scorer %q: %w", b.Config.Name, err)
			}
			a.Mean, a.Min, a.Max, a.P10, a.P50, a.P90 = d.Mean, d.Min, d.Max, d.P10, d.P50, d.P90
			if d.SD != nil {
				a.SD = *d.SD
			}
		}
		s, err := summarizeAggregate(a, b.Type.UnitInterval)
		if err != nil {
			return nil, err
		}
		s.Type, s.Better = b.Type.Name, b.Type.Better
		if b.Type.Corpus != nil && sum != nil {
			if s.Corpus, err = b.Type.Corpus(b.Config.Params, sum); err != nil {
				return nil, fmt.Errorf("corpus score of %q: %w", b.Config.Name, err)
			}
		}
		out = append(out, s)
	}
	return out, nil
}

// statsOf reads details["stats"] as numbers, whatever numeric type holds them.
func statsOf(details map[string]any) ([]float64, error) {
	raw, err := json.Marshal(details["stats"])
	if err != nil {
		return nil, err
	}
	var st []float64
	if err := json.Unmarshal(raw, &st); err != nil {
		return nil, fmt.Errorf("details.stats is not a list of numbers: %w", err)
	}
	return st, nil
}

// View returns the wire form; withModel includes the model (grouped summaries).
func (s ScorerSummary) View(withModel bool) view.ScorerSummary {
	v := view.ScorerSummary{Scorer: s.Scorer, NScores: s.NScores, N: s.N, Errors: s.Errors, Pending: s.Pending, Mean: s.Mean, SD: s.SD,
		Min: s.Min, P10: s.P10, P50: s.P50, P90: s.P90, Max: s.Max, PassRate: s.PassRate, NPassKnown: s.NPassKnown, Corpus: s.Corpus}
	if s.Type != "" {
		t, b := s.Type, string(s.Better)
		v.Type, v.Better = &t, &b
	}
	if withModel {
		m := s.Model
		v.Model = &m
	}
	if s.CI != nil {
		m := s.CIMethod
		v.CILow, v.CIHigh, v.CIMethod = &s.CI.Lo, &s.CI.Hi, &m
	}
	if s.PassRateCI != nil {
		m := stats.MethodWilson
		v.PassLow, v.PassHigh, v.PassMethod = &s.PassRateCI.Lo, &s.PassRateCI.Hi, &m
	}
	return v
}

// View returns the wire form of the summary.
func (s Summary) View() view.Summary {
	v := view.Summary{Evaluation: view.EvaluationRef{ID: s.Evaluation.ID.String(), Name: s.Evaluation.Name}, ExactPercentiles: s.Exact,
		ConfidenceLevel: ConfidenceLevel, Scorers: make([]view.ScorerSummary, len(s.Scorers))}
	if s.GroupBy != "" {
		g := s.GroupBy
		v.GroupBy = &g
	}
	for i, r := range s.Scorers {
		v.Scorers[i] = r.View(s.GroupBy == "model")
	}
	return v
}
