package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/rlhf-eval/rlhf-eval/internal/adapters/postgres/internal/dbsqlc"
	"github.com/rlhf-eval/rlhf-eval/internal/domain"
	"github.com/rlhf-eval/rlhf-eval/internal/ports"
)

// MaintenanceStore does the bulk writes of purge and rescore jobs.
type MaintenanceStore struct {
	db dbtx
	q  *dbsqlc.Queries
}

var _ ports.MaintenanceStore = (*MaintenanceStore)(nil)

// MarkEvaluationDeleted hides the evaluation and frees its name.
func (s *MaintenanceStore) MarkEvaluationDeleted(ctx context.Context, id domain.ID, at time.Time) error {
	return oneRow(s.q.MarkEvaluationDeleted(ctx, dbsqlc.MarkEvaluationDeletedParams{ID: pgID(id), DeletedAt: &at}))
}

// CountEvaluationRows counts the evaluation's responses and comparisons.
func (s *MaintenanceStore) CountEvaluationRows(ctx context.Context, id domain.ID) (responses, comparisons int64, err error) {
	row, err := s.q.CountEvaluationRows(ctx, pgID(id))
	return row.Responses, row.Comparisons, translate(err)
}

// PurgeEvaluation deletes one batch of a deleted evaluation, in one transaction
// (a savepoint when bound to one already).
func (s *MaintenanceStore) PurgeEvaluation(ctx context.Context, id domain.ID, limit int) (deleted int64, done bool, err error) {
	err = inTx(ctx, s.db, func(tx pgx.Tx) error {
		q := dbsqlc.New(tx)
		isDeleted, err := q.EvaluationDeleted(ctx, pgID(id))
		if err != nil {
			return translate(err)
		}
		if !isDeleted {
			return fmt.Errorf("evaluation %s is not deleted: %w", id, domain.ErrNotFound)
		}
		ev, lim := pgID(id), int32(limit)
		n, err := q.PurgeComparisons(ctx, dbsqlc.PurgeComparisonsParams{EvaluationID: ev, Lim: lim})
		if err != nil {
			return translate(err)
		}
		deleted = n
		if left := lim - int32(n); left > 0 {
			ids, err := q.ResponseIDsToPurge(ctx, dbsqlc.ResponseIDsToPurgeParams{EvaluationID: ev, Lim: left})
			if err != nil {
				return translate(err)
			}
			if len(ids) > 0 {
				if err := q.DeleteScoresOfResponses(ctx, dbsqlc.DeleteScoresOfResponsesParams{EvaluationID: ev, ResponseIds: ids}); err != nil {
					return translate(err)
				}
				n, err := q.DeleteResponsesByID(ctx, dbsqlc.DeleteResponsesByIDParams{EvaluationID: ev, Ids: ids})
				if err != nil {
					return translate(err)
				}
				deleted += n
			}
		}
		if deleted > 0 {
			return nil
		}
		if _, err := q.DeletePurgedEvaluation(ctx, ev); err != nil {
			return translate(err)
		}
		done = true
		return nil
	})
	return deleted, done, err
}

// ReplaceScores swaps the stored scores of rs for their Scores.
func (s *MaintenanceStore) ReplaceScores(ctx context.Context, evaluationID domain.ID, rs []domain.Response, keep []string) error {
	if len(rs) == 0 {
		return nil
	}
	ids := make([]domain.ID, len(rs))
	var rows []dbsqlc.CopyScoresParams
	for i, r := range rs {
		ids[i] = r.ID
		for _, sc := range r.Scores {
			details, err := marshalObject(sc.Details)
			if err != nil {
				return fmt.Errorf("encode details of score %q of response %s: %w", sc.Scorer, r.ID, err)
			}
			rows = append(rows, dbsqlc.CopyScoresParams{
				EvaluationID: pgID(evaluationID), ResponseID: pgID(r.ID), Scorer: sc.Scorer, Model: r.Model, PromptID: r.PromptID,
				Value: sc.Value, Passed: sc.Passed, Details: details, Error: optString(sc.Error), CreatedAt: sc.CreatedAt,
			})
		}
	}
	return inTx(ctx, s.db, func(tx pgx.Tx) error {
		q := dbsqlc.New(tx)
		if err := q.DeleteScorerScoresOfResponses(ctx, dbsqlc.DeleteScorerScoresOfResponsesParams{EvaluationID: pgID(evaluationID), ResponseIds: pgIDs(ids), Keep: nonNil(keep)}); err != nil {
			return translate(err)
		}
		if len(rows) > 0 {
			if _, err := q.CopyScores(ctx, rows); err != nil {
				return translate(err)
			}
		}
		// The rollups are rebuilt when the rescore ends; until then the scores
		// differ from what they were, and the fingerprint must say so.
		return translate(q.TouchEvaluationRollups(ctx, pgID(evaluationID)))
	})
}

// LockEvaluation takes the evaluation's row lock that conflicts with every
// ingest's foreign-key check (see LockEvaluationForRollups).
func (s *MaintenanceStore) LockEvaluation(ctx context.Context, id domain.ID) error {
	_, err := s.q.LockEvaluationForRollups(ctx, pgID(id))
	if errors.Is(err, pgx.ErrNoRows) {
		return fmt.Errorf("evaluation %s: %w", id, domain.ErrNotFound)
	}
	return translate(err)
}

// RebuildRollups recomputes the evaluation's rollups under a lock that keeps
// ingests out meanwhile.
func (s *MaintenanceStore) RebuildRollups(ctx context.Context, evaluationID domain.ID) error {
	return inTx(ctx, s.db, func(tx pgx.Tx) error {
		q, ev := dbsqlc.New(tx), pgID(evaluationID)
		if err := (&MaintenanceStore{db: tx, q: q}).LockEvaluation(ctx, evaluationID); err != nil {
			return err
		}
		for _, step := range []func(context.Context, pgtype.UUID) error{
			q.DeleteEvaluationRollups, q.DeleteEvaluationHistograms, q.RebuildEvaluationRollups, q.RebuildEvaluationHistograms,
		} {
			if err := step(ctx, ev); err != nil {
				return translate(err)
			}
		}
		return nil
	})
}

// nonNil is s, or an empty slice for nil (a NULL array matches nothing in ALL).
func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
