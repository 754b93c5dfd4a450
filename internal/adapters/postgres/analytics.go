package postgres

import (
	"context"
	"fmt"
	"math"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/rlhf-eval/rlhf-eval/internal/adapters/postgres/internal/dbsqlc"
	"github.com/rlhf-eval/rlhf-eval/internal/domain"
	"github.com/rlhf-eval/rlhf-eval/internal/ports"
)

// AnalyticsStore runs aggregate queries: the heavy lifting of summaries, diffs and
// leaderboards happens in SQL, and only aggregates cross into Go.
type AnalyticsStore struct {
	db dbtx
	q  *dbsqlc.Queries
}

var _ ports.AnalyticsStore = (*AnalyticsStore)(nil)

// SummarizeScores aggregates an evaluation's scores per scorer, or per scorer and model.
func (s *AnalyticsStore) SummarizeScores(ctx context.Context, evaluationID domain.ID, byModel bool) ([]ports.ScoreAggregate, error) {
	if byModel {
		rows, err := s.q.SummarizeScoresByModel(ctx, pgID(evaluationID))
		if err != nil {
			return nil, translate(err)
		}
		out := make([]ports.ScoreAggregate, len(rows))
		for i, r := range rows {
			out[i] = ports.ScoreAggregate{
				Scorer: r.Scorer, Model: r.Model, NScores: r.NScores, N: r.N, Mean: r.Mean, SD: r.Sd, Min: r.MinValue, Max: r.MaxValue,
				P10: r.P10, P50: r.P50, P90: r.P90, NPassKnown: r.NPassKnown, NPassed: r.NPassed, NErrors: r.NErrors,
			}
		}
		return out, nil
	}
	rows, err := s.q.SummarizeScores(ctx, pgID(evaluationID))
	if err != nil {
		return nil, translate(err)
	}
	out := make([]ports.ScoreAggregate, len(rows))
	for i, r := range rows {
		out[i] = ports.ScoreAggregate{
			Scorer: r.Scorer, NScores: r.NScores, N: r.N, Mean: r.Mean, SD: r.Sd, Min: r.MinValue, Max: r.MaxValue,
			P10: r.P10, P50: r.P50, P90: r.P90, NPassKnown: r.NPassKnown, NPassed: r.NPassed, NErrors: r.NErrors,
		}
	}
	return out, nil
}

// SumScoreStats sums the stats arrays of the named scorers, per scorer and model.
func (s *AnalyticsStore) SumScoreStats(ctx context.Context, evaluationID domain.ID, scorers []string) ([]ports.StatSum, error) {
	if len(scorers) == 0 {
		return nil, nil
	}
	rows, err := s.q.SumScoreStats(ctx, dbsqlc.SumScoreStatsParams{EvaluationID: pgID(evaluationID), Scorers: scorers})
	if err != nil {
		return nil, translate(err)
	}
	var out []ports.StatSum
	for _, r := range rows {
		n := len(out)
		if n == 0 || out[n-1].Scorer != r.Scorer || out[n-1].Model != r.Model {
			out = append(out, ports.StatSum{Scorer: r.Scorer, Model: r.Model})
			n++
		}
		// Rows arrive ordered by index (1-based ordinality).
		for len(out[n-1].Stats) < int(r.Idx)-1 {
			out[n-1].Stats = append(out[n-1].Stats, 0)
		}
		out[n-1].Stats = append(out[n-1].Stats, r.Total)
	}
	return out, nil
}

// PromptMeans computes an evaluation's per-prompt means from its scores.
func (s *AnalyticsStore) PromptMeans(ctx context.Context, evaluationID domain.ID) ([]ports.PromptMeans, error) {
	rows, err := s.q.PromptMeans(ctx, pgID(evaluationID))
	if err != nil {
		return nil, translate(err)
	}
	var out []ports.PromptMeans
	for _, r := range rows {
		n := len(out)
		if n == 0 || out[n-1].Scorer != r.Scorer {
			out = append(out, ports.PromptMeans{Scorer: r.Scorer})
			n++
		}
		m := &out[n-1]
		m.PromptIDs = append(m.PromptIDs, r.PromptID)
		m.N = append(m.N, r.N)
		m.Means = append(m.Means, r.Mean)
		m.PassRates = append(m.PassRates, passRate(r.PassRate))
	}
	return out, nil
}

// passRate reads a stored share passed: NaN stands for none (no verdicts).
func passRate(p float64) *float64 {
	if math.IsNaN(p) {
		return nil
	}
	return &p
}

// CachedPromptMeans reads the stored per-prompt means when they are fresh.
func (s *AnalyticsStore) CachedPromptMeans(ctx context.Context, evaluationID domain.ID) ([]ports.PromptMeans, bool, error) {
	rows, err := s.q.CachedPromptMeans(ctx, pgID(evaluationID))
	if err != nil {
		return nil, false, translate(err)
	}
	if len(rows) == 0 {
		return nil, false, nil
	}
	var out []ports.PromptMeans
	for _, r := range rows {
		if r.Scorer == nil {
			continue // fresh, without scores
		}
		n := len(r.PromptIds)
		if len(r.Ns) != n || len(r.Means) != n || len(r.PassRates) != n {
			return nil, false, fmt.Errorf("stored means of scorer %q: arrays of %d, %d, %d and %d elements", *r.Scorer, n, len(r.Ns), len(r.Means), len(r.PassRates))
		}
		m := ports.PromptMeans{Scorer: *r.Scorer, PromptIDs: r.PromptIds, N: r.Ns, Means: r.Means, PassRates: make([]*float64, n)}
		for i, p := range r.PassRates {
			m.PassRates[i] = passRate(p)
		}
		out = append(out, m)
	}
	return out, true, nil
}

// RefreshPromptMeans recomputes and stores an evaluation's per-prompt means.
func (s *AnalyticsStore) RefreshPromptMeans(ctx context.Context, evaluationID domain.ID, at time.Time) (bool, error) {
	stored := false
	err := inTx(ctx, s.db, func(tx pgx.Tx) error {
		q := dbsqlc.New(tx)
		if err := q.LockPromptMeans(ctx, pgID(evaluationID)); err != nil {
			return translate(err)
		}
		r, err := q.RefreshPromptMeans(ctx, dbsqlc.RefreshPromptMeansParams{EvaluationID: pgID(evaluationID), RefreshedAt: at})
		if err != nil {
			return translate(err)
		}
		stored = r.Stored > 0
		return nil
	})
	return stored, err
}

// ScoreFingerprint returns the fingerprint of an evaluation's scores.
func (s *AnalyticsStore) ScoreFingerprint(ctx context.Context, evaluationID domain.ID) ([]byte, error) {
	fp, err := s.q.ScoreFingerprint(ctx, pgID(evaluationID))
	return fp, translate(err)
}

// ScoreRollups reads an evaluation's rollup shards and histogram buckets.
func (s *AnalyticsStore) ScoreRollups(ctx context.Context, evaluationID domain.ID) ([]ports.RollupGroup, []ports.HistogramBucket, error) {
	groups, err := s.q.RollupGroups(ctx, pgID(evaluationID))
	if err != nil {
		return nil, nil, translate(err)
	}
	buckets, err := s.q.HistogramBuckets(ctx, pgID(evaluationID))
	if err != nil {
		return nil, nil, translate(err)
	}
	gs := make([]ports.RollupGroup, len(groups))
	for i, g := range groups {
		gs[i] = toRollupGroup(g)
	}
	bs := make([]ports.HistogramBucket, len(buckets))
	for i, b := range buckets {
		bs[i] = ports.HistogramBucket{Scorer: b.Scorer, Model: b.Model, Index: b.Bucket, Count: b.Count, Min: b.MinValue, Max: b.MaxValue}
	}
	return gs, bs, nil
}

// toRollupGroup converts a rollup shard. A shard without values stores an m2 of 0
// (the rollup SQL coalesces the variance of an empty group), so its moments are all
// reported as absent, as the port says.
func toRollupGroup(g dbsqlc.RollupGroupsRow) ports.RollupGroup {
	r := ports.RollupGroup{Scorer: g.Scorer, Model: g.Model, NScores: g.NScores, N: g.N, NPassKnown: g.NPassKnown,
		NPassed: g.NPassed, NErrs: g.NErrors, Mean: g.Mean, M2: g.M2, Min: g.MinValue, Max: g.MaxValue}
	if r.N == 0 {
		r.Mean, r.M2, r.Min, r.Max = nil, nil, nil, nil
	}
	return r
}
