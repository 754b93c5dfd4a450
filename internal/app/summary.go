package app

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/rlhf-eval/rlhf-eval/internal/domain"
	"github.com/rlhf-eval/rlhf-eval/internal/domain/stats"
	"github.com/rlhf-eval/rlhf-eval/internal/ports"
	"github.com/rlhf-eval/rlhf-eval/internal/scoring"
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
	// scorer failed.
	NScores, N, Errors int64
	Mean, SD           *float64
	Min, P10, P50, P90 *float64
	Max                *float64
	// CI is the Student t 95% confidence interval of the mean.
	CI *stats.Interval
	// PassRate is the share of passed among scores with a pass/fail verdict.
	PassRate   *float64
	NPassKnown int64
	// Corpus is the corpus-level score of scorers that define one (BLEU, chrF).
	Corpus map[string]any
}

// Summary is an evaluation's summary.
type Summary struct {
	Evaluation domain.Evaluation
	GroupBy    string
	Scorers    []ScorerSummary
}

// Summary aggregates an evaluation's scores in the database, per scorer or per scorer
// and model ("model").
func (u *Summaries) Summary(ctx context.Context, evalRef, groupBy string) (Summary, error) {
	if groupBy != "" && groupBy != "model" {
		return Summary{}, domain.Invalid("group_by", "must be model or empty; got %q", groupBy)
	}
	e, err := resolveEvaluation(ctx, u.d.Stores.Evaluations, evalRef)
	if err != nil {
		return Summary{}, err
	}
	aggs, err := u.d.Stores.Analytics.SummarizeScores(ctx, e.ID, groupBy == "model")
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
	out := Summary{Evaluation: e, GroupBy: groupBy}
	for _, a := range aggs {
		s, err := summarizeAggregate(a)
		if err != nil {
			return Summary{}, fmt.Errorf("summarize %q: %w", a.Scorer, err)
		}
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

func summarizeAggregate(a ports.ScoreAggregate) (ScorerSummary, error) {
	s := ScorerSummary{Scorer: a.Scorer, Model: a.Model, NScores: a.NScores, N: a.N, Errors: a.NErrors, NPassKnown: a.NPassKnown}
	if a.N > 0 {
		s.Mean, s.Min, s.Max, s.P10, s.P50, s.P90 = &a.Mean, &a.Min, &a.Max, &a.P10, &a.P50, &a.P90
	}
	if a.N > 1 {
		s.SD = &a.SD
		ci, err := stats.MeanCI(int(a.N), a.Mean, a.SD, ConfidenceLevel)
		if err != nil {
			return ScorerSummary{}, err
		}
		s.CI = ci
	}
	if a.NPassKnown > 0 {
		r := float64(a.NPassed) / float64(a.NPassKnown)
		s.PassRate = &r
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
		s, err := summarizeAggregate(a)
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
