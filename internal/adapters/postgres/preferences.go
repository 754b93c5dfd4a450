package postgres

import (
	"context"

	"github.com/rlhf-eval/rlhf-eval/internal/adapters/postgres/internal/dbsqlc"
	"github.com/rlhf-eval/rlhf-eval/internal/domain"
	"github.com/rlhf-eval/rlhf-eval/internal/ports"
)

// PreferenceStore aggregates comparisons for leaderboards, agreement and export.
type PreferenceStore struct {
	q *dbsqlc.Queries
}

var _ ports.PreferenceStore = (*PreferenceStore)(nil)

func kindParam(q ports.PreferenceQuery) *string {
	if q.AnnotatorKind == nil {
		return nil
	}
	k := string(*q.AnnotatorKind)
	return &k
}

// ComparisonOutcomes counts comparisons per (model_a, model_b, preference).
func (s *PreferenceStore) ComparisonOutcomes(ctx context.Context, q ports.PreferenceQuery) ([]ports.OutcomeCount, error) {
	rows, err := s.q.ComparisonOutcomes(ctx, dbsqlc.ComparisonOutcomesParams{EvaluationID: pgID(q.EvaluationID), AnnotatorKind: kindParam(q)})
	if err != nil {
		return nil, translate(err)
	}
	out := make([]ports.OutcomeCount, len(rows))
	for i, r := range rows {
		out[i] = ports.OutcomeCount{ModelA: r.ModelA, ModelB: r.ModelB, Preference: r.Preference, Count: r.N}
	}
	return out, nil
}

// ComparisonBattles pages through comparisons in creation order.
func (s *PreferenceStore) ComparisonBattles(ctx context.Context, q ports.PreferenceQuery, after *domain.ID, limit int) ([]ports.Battle, error) {
	rows, err := s.q.ComparisonBattles(ctx, dbsqlc.ComparisonBattlesParams{
		EvaluationID: pgID(q.EvaluationID), AnnotatorKind: kindParam(q), AfterID: optID(after), Lim: int32(limit),
	})
	if err != nil {
		return nil, translate(err)
	}
	out := make([]ports.Battle, len(rows))
	for i, r := range rows {
		out[i] = ports.Battle{ID: domain.ID(r.ID.Bytes), ModelA: r.ModelA, ModelB: r.ModelB, Preference: r.Preference}
	}
	return out, nil
}

// AgreementLabels returns, for every pair of responses judged by two or more
// named annotators, each one's latest preference for the pair's second response,
// in pair and annotator order. The query gives each pair's judgements by
// annotator, latest first; the first of each annotator is theirs.
func (s *PreferenceStore) AgreementLabels(ctx context.Context, q ports.PreferenceQuery) ([]ports.PairLabel, error) {
	rows, err := s.q.AgreementJudgements(ctx, dbsqlc.AgreementJudgementsParams{EvaluationID: pgID(q.EvaluationID), AnnotatorKind: kindParam(q)})
	if err != nil {
		return nil, translate(err)
	}
	var out []ports.PairLabel
	for start := 0; start < len(rows); {
		end := start + 1
		for end < len(rows) && rows[end].PairLo == rows[start].PairLo && rows[end].PairHi == rows[start].PairHi {
			end++
		}
		first := len(out)
		for i := start; i < end; i++ {
			if r := rows[i]; i == start || r.Annotator != rows[i-1].Annotator {
				out = append(out, ports.PairLabel{Lo: domain.ID(r.PairLo.Bytes), Hi: domain.ID(r.PairHi.Bytes), Annotator: r.Annotator, Preference: r.PreferenceHi})
			}
		}
		if len(out)-first < 2 {
			out = out[:first] // one annotator: nothing to agree on
		}
		start = end
	}
	return out, nil
}

// ScorerAgreementCounts counts how each scorer orders judged pairs.
func (s *PreferenceStore) ScorerAgreementCounts(ctx context.Context, q ports.PreferenceQuery) ([]ports.ScorerAgreementCount, error) {
	rows, err := s.q.ScorerAgreementCounts(ctx, dbsqlc.ScorerAgreementCountsParams{EvaluationID: pgID(q.EvaluationID), AnnotatorKind: kindParam(q)})
	if err != nil {
		return nil, translate(err)
	}
	out := make([]ports.ScorerAgreementCount, len(rows))
	for i, r := range rows {
		out[i] = ports.ScorerAgreementCount{Scorer: r.Scorer, Ties: r.Ties, Judged: r.Judged, EqualScores: r.EqualScores,
			PreferredHigher: r.PreferredHigher, PreferredLower: r.PreferredLower}
	}
	return out, nil
}

// ExportPairs returns a page of merged pairs with their texts.
func (s *PreferenceStore) ExportPairs(ctx context.Context, q ports.PreferenceQuery, after *[2]domain.ID, limit int) ([]ports.ExportPair, error) {
	p := dbsqlc.ExportPairsParams{EvaluationID: pgID(q.EvaluationID), AnnotatorKind: kindParam(q), Lim: int32(limit)}
	if after != nil {
		p.AfterLo, p.AfterHi = pgID(after[0]), pgID(after[1])
	}
	rows, err := s.q.ExportPairs(ctx, p)
	if err != nil {
		return nil, translate(err)
	}
	out := make([]ports.ExportPair, len(rows))
	for i, r := range rows {
		ctxMsgs, err := unmarshalContext(r.Context)
		if err != nil {
			return nil, err
		}
		out[i] = ports.ExportPair{
			Lo: domain.ID(r.PairLo.Bytes), Hi: domain.ID(r.PairHi.Bytes),
			Preference: r.PreferenceHi, MinPreference: r.MinPreferenceHi, MaxPreference: r.MaxPreferenceHi,
			Judgements: r.Judgements, Annotators: r.Annotators, PromptID: r.PromptID, Prompt: r.Prompt, Context: ctxMsgs,
			ModelLo: r.ModelLo, ResponseLo: r.ResponseLo, ModelHi: r.ModelHi, ResponseHi: r.ResponseHi,
		}
		if r.ExternalIDLo != nil {
			out[i].ExternalIDLo = *r.ExternalIDLo
		}
		if r.ExternalIDHi != nil {
			out[i].ExternalIDHi = *r.ExternalIDHi
		}
	}
	return out, nil
}
