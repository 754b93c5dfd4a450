package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/rlhf-eval/rlhf-eval/internal/adapters/postgres/internal/dbsqlc"
	"github.com/rlhf-eval/rlhf-eval/internal/domain"
	"github.com/rlhf-eval/rlhf-eval/internal/ports"
)

// PendingScoreStore keeps the scores that scorers running later owe
// (db/migrations/00009_pending_scores.sql).
type PendingScoreStore struct {
	db dbtx
	q  *dbsqlc.Queries
}

var _ ports.PendingScoreStore = (*PendingScoreStore)(nil)

// AddPendingScores records job's pending scores on the given responses.
func (s *PendingScoreStore) AddPendingScores(ctx context.Context, evaluationID, job domain.ID, responses []domain.ID, scorers []string, at time.Time) (int64, error) {
	if len(responses) == 0 || len(scorers) == 0 {
		return 0, nil
	}
	n, err := s.q.AddPendingScores(ctx, dbsqlc.AddPendingScoresParams{
		JobID: pgID(job), CreatedAt: at, Scorers: scorers, EvaluationID: pgID(evaluationID), ResponseIds: pgIDs(responses),
	})
	return n, translate(err)
}

// PendingScoresOfJob returns a page of the scores job owes.
func (s *PendingScoreStore) PendingScoresOfJob(ctx context.Context, evaluationID, job domain.ID, after *ports.PendingScore, limit int) ([]ports.PendingScore, error) {
	// The nil uuid and the empty name sort before every key.
	p := dbsqlc.PendingScoresOfJobParams{EvaluationID: pgID(evaluationID), JobID: pgID(job), AfterResponse: pgtype.UUID{Valid: true}, Lim: int32(limit)}
	if after != nil {
		p.AfterResponse, p.AfterScorer = pgID(after.ResponseID), after.Scorer
	}
	rows, err := s.q.PendingScoresOfJob(ctx, p)
	if err != nil {
		return nil, translate(err)
	}
	out := make([]ports.PendingScore, len(rows))
	for i, r := range rows {
		out[i] = ports.PendingScore{ResponseID: domain.ID(r.ResponseID.Bytes), Scorer: r.Scorer}
	}
	return out, nil
}

// SettlePendingScore replaces job's pending score on r by sc, with its rollups,
// in one transaction (the caller's, when the store is bound to one).
func (s *PendingScoreStore) SettlePendingScore(ctx context.Context, job domain.ID, r domain.Response, sc domain.Score) (bool, error) {
	if (sc.Value == nil) == (sc.Error == "") || sc.Pending {
		return false, fmt.Errorf("score %q of response %s: a settled score has a value or an error, not both", sc.Scorer, r.ID)
	}
	details, err := marshalObject(sc.Details)
	if err != nil {
		return false, fmt.Errorf("encode details of score %q: %w", sc.Scorer, err)
	}
	settled := false
	err = inTx(ctx, s.db, func(tx pgx.Tx) error {
		q := dbsqlc.New(tx)
		ev, resp := pgID(r.EvaluationID), pgID(r.ID)
		n, err := q.DeletePendingScore(ctx, dbsqlc.DeletePendingScoreParams{EvaluationID: ev, ResponseID: resp, Scorer: sc.Scorer, JobID: pgID(job)})
		if err != nil || n == 0 {
			return translate(err)
		}
		n, err = q.InsertSettledScore(ctx, dbsqlc.InsertSettledScoreParams{
			EvaluationID: ev, ResponseID: resp, Scorer: sc.Scorer, Model: r.Model, PromptID: r.PromptID,
			Value: sc.Value, Passed: sc.Passed, Details: details, Error: optString(sc.Error), CreatedAt: sc.CreatedAt,
		})
		if err != nil {
			return translate(err)
		}
		if n == 0 {
			// A score under that name exists (a judge run wrote one meanwhile):
			// the pending one is settled by it.
			settled = true
			return nil
		}
		settled = true
		return rollupScore(ctx, q, r, domain.Score{Scorer: sc.Scorer, Value: sc.Value, Passed: sc.Passed, Error: sc.Error})
	})
	return settled, err
}

// CountPendingScores counts an evaluation's pending scores by scorer and model.
func (s *PendingScoreStore) CountPendingScores(ctx context.Context, evaluationID domain.ID) ([]ports.PendingCount, error) {
	rows, err := s.q.CountPendingScores(ctx, pgID(evaluationID))
	if err != nil {
		return nil, translate(err)
	}
	out := make([]ports.PendingCount, len(rows))
	for i, r := range rows {
		out[i] = ports.PendingCount{Scorer: r.Scorer, Model: r.Model, N: r.N}
	}
	return out, nil
}
