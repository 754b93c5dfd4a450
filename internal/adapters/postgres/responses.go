package postgres

import (
	"context"
	"fmt"
	"math/rand/v2"

	"github.com/jackc/pgx/v5"

	"github.com/rlhf-eval/rlhf-eval/internal/adapters/postgres/internal/dbsqlc"
	"github.com/rlhf-eval/rlhf-eval/internal/domain"
	"github.com/rlhf-eval/rlhf-eval/internal/ports"
)

// rollupShards is the number of rollup shards ingest spreads over (see
// db/migrations/00003_score_rollups.sql).
const rollupShards = 16

// ResponseStore stores responses and their scores.
type ResponseStore struct {
	db dbtx
	q  *dbsqlc.Queries
}

var _ ports.ResponseStore = (*ResponseStore)(nil)

// InsertResponses writes a batch with COPY: the rows go into a session-local staging
// table, then one INSERT ... SELECT ... ON CONFLICT moves those whose external_id is
// new, and the scores of exactly those follow the same way. It runs in its own
// transaction (a savepoint when the store is bound to one), because the staging
// tables empty at commit.
func (s *ResponseStore) InsertResponses(ctx context.Context, rs []domain.Response) ([]domain.ID, error) {
	if len(rs) == 0 {
		return nil, nil
	}
	rows := make([]dbsqlc.CopyResponsesToStageParams, len(rs))
	var scores []dbsqlc.CopyScoresToStageParams
	for i, r := range rs {
		meta, err := marshalObject(r.Metadata)
		if err != nil {
			return nil, fmt.Errorf("encode metadata of response %d: %w", i, err)
		}
		ctxJSON, err := marshalContext(r.Context)
		if err != nil {
			return nil, fmt.Errorf("encode context of response %d: %w", i, err)
		}
		rows[i] = dbsqlc.CopyResponsesToStageParams{
			Ord: int32(i), EvaluationID: pgID(r.EvaluationID), ID: pgID(r.ID), ExternalID: optString(r.ExternalID),
			PromptID: r.PromptID, Model: r.Model, Prompt: r.Prompt, Context: ctxJSON, Response: r.Text,
			Reference: r.Reference, Metadata: meta, CreatedAt: r.CreatedAt,
		}
		for _, sc := range r.Scores {
			details, err := marshalObject(sc.Details)
			if err != nil {
				return nil, fmt.Errorf("encode details of score %q of response %d: %w", sc.Scorer, i, err)
			}
			scores = append(scores, dbsqlc.CopyScoresToStageParams{
				EvaluationID: pgID(r.EvaluationID), ResponseID: pgID(r.ID), Scorer: sc.Scorer, Model: r.Model, PromptID: r.PromptID,
				Value: sc.Value, Passed: sc.Passed, Details: details, Error: optString(sc.Error), CreatedAt: sc.CreatedAt,
			})
		}
	}
	var inserted []domain.ID
	err := inTx(ctx, s.db, func(tx pgx.Tx) error {
		q := dbsqlc.New(tx)
		if err := q.CreateResponsesStage(ctx); err != nil {
			return translate(err)
		}
		if _, err := q.CopyResponsesToStage(ctx, rows); err != nil {
			return translate(err)
		}
		ids, err := q.InsertStagedResponses(ctx)
		if err != nil {
			return translate(err)
		}
		inserted = fromPgIDs(ids)
		if len(scores) == 0 || len(ids) == 0 {
			return nil
		}
		if err := q.CreateScoresStage(ctx); err != nil {
			return translate(err)
		}
		if _, err := q.CopyScoresToStage(ctx, scores); err != nil {
			return translate(err)
		}
		if _, err := q.InsertStagedScores(ctx, ids); err != nil {
			return translate(err)
		}
		// Keep the summary rollups in step, in this transaction, on a random shard.
		shard := int16(rand.IntN(rollupShards))
		if err := q.RollupStagedScores(ctx, dbsqlc.RollupStagedScoresParams{Shard: shard, Inserted: ids}); err != nil {
			return translate(err)
		}
		if err := q.HistogramStagedScores(ctx, dbsqlc.HistogramStagedScoresParams{Shard: shard, Inserted: ids}); err != nil {
			return translate(err)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return inserted, nil
}

// GetResponsesByExternalID returns stored responses with the given external ids.
func (s *ResponseStore) GetResponsesByExternalID(ctx context.Context, evaluationID domain.ID, externalIDs []string) ([]domain.Response, error) {
	if len(externalIDs) == 0 {
		return nil, nil
	}
	rows, err := s.q.GetResponsesByExternalID(ctx, dbsqlc.GetResponsesByExternalIDParams{EvaluationID: pgID(evaluationID), ExternalIds: externalIDs})
	if err != nil {
		return nil, translate(err)
	}
	return s.withScores(ctx, evaluationID, rows)
}

// GetResponses returns responses by id.
func (s *ResponseStore) GetResponses(ctx context.Context, evaluationID domain.ID, ids []domain.ID) ([]domain.Response, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	rows, err := s.q.GetResponses(ctx, dbsqlc.GetResponsesParams{EvaluationID: pgID(evaluationID), Ids: pgIDs(ids)})
	if err != nil {
		return nil, translate(err)
	}
	return s.withScores(ctx, evaluationID, rows)
}

// ListResponses returns a page of responses, oldest first unless q.Desc.
func (s *ResponseStore) ListResponses(ctx context.Context, q ports.ResponseQuery) ([]domain.Response, error) {
	var rows []dbsqlc.Response
	var err error
	if q.Desc {
		rows, err = s.q.ListResponsesDesc(ctx, dbsqlc.ListResponsesDescParams{
			EvaluationID: pgID(q.EvaluationID), Model: q.Model, PromptID: q.PromptID, Scorer: q.Scorer, Passed: q.Passed,
			AfterID: optID(q.After), Lim: int32(q.Limit),
		})
	} else {
		rows, err = s.q.ListResponsesAsc(ctx, dbsqlc.ListResponsesAscParams{
			EvaluationID: pgID(q.EvaluationID), Model: q.Model, PromptID: q.PromptID, Scorer: q.Scorer, Passed: q.Passed,
			AfterID: optID(q.After), Lim: int32(q.Limit),
		})
	}
	if err != nil {
		return nil, translate(err)
	}
	return s.withScores(ctx, q.EvaluationID, rows)
}

// withScores converts rows and attaches their scores, fetched in one query.
func (s *ResponseStore) withScores(ctx context.Context, evaluationID domain.ID, rows []dbsqlc.Response) ([]domain.Response, error) {
	out, err := mapRows(rows, toResponse)
	if err != nil || len(out) == 0 {
		return out, err
	}
	ids := make([]domain.ID, len(out))
	index := make(map[domain.ID]int, len(out))
	for i, r := range out {
		ids[i] = r.ID
		index[r.ID] = i
	}
	scoreRows, err := s.q.ScoresOfResponses(ctx, dbsqlc.ScoresOfResponsesParams{EvaluationID: pgID(evaluationID), ResponseIds: pgIDs(ids)})
	if err != nil {
		return nil, translate(err)
	}
	for _, row := range scoreRows {
		sc, err := toScore(row)
		if err != nil {
			return nil, err
		}
		i := index[domain.ID(row.ResponseID.Bytes)]
		out[i].Scores = append(out[i].Scores, sc)
	}
	return out, nil
}

// DeleteResponse deletes a response, its scores and the comparisons that use it,
// and rebuilds the summary rollups of its model from the remaining scores, in one
// transaction.
func (s *ResponseStore) DeleteResponse(ctx context.Context, evaluationID, id domain.ID) error {
	return inTx(ctx, s.db, func(tx pgx.Tx) error {
		q := dbsqlc.New(tx)
		model, err := q.DeleteResponse(ctx, dbsqlc.DeleteResponseParams{EvaluationID: pgID(evaluationID), ID: pgID(id)})
		if err != nil {
			return translate(err)
		}
		ev := pgID(evaluationID)
		if err := q.DeleteModelRollups(ctx, dbsqlc.DeleteModelRollupsParams{EvaluationID: ev, Model: model}); err != nil {
			return translate(err)
		}
		if err := q.DeleteModelHistograms(ctx, dbsqlc.DeleteModelHistogramsParams{EvaluationID: ev, Model: model}); err != nil {
			return translate(err)
		}
		if err := q.RebuildModelRollups(ctx, dbsqlc.RebuildModelRollupsParams{EvaluationID: ev, Model: model}); err != nil {
			return translate(err)
		}
		return translate(q.RebuildModelHistograms(ctx, dbsqlc.RebuildModelHistogramsParams{EvaluationID: ev, Model: model}))
	})
}
