package postgres

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/rlhf-eval/rlhf-eval/internal/adapters/postgres/internal/dbsqlc"
	"github.com/rlhf-eval/rlhf-eval/internal/domain"
	"github.com/rlhf-eval/rlhf-eval/internal/ports"
)

// errSpent reports a staged batch used after Commit or Abort.
var errSpent = errors.New("staged batch already committed or aborted")

// stagedBatch writes a bulk request in one transaction, a chunk at a time. Each
// chunk is first copied with COPY straight into the tables, inside a savepoint: the
// use case has left out external ids that are already stored, so this is the
// common case and the fastest (COPY batches its inserts). A unique violation means
// a concurrent request stored one of the chunk's external ids first; the chunk is
// then rolled back to the savepoint and goes through session-local staging tables
// (TEMPORARY, created once per connection, emptied per chunk) and INSERT ... SELECT
// ... ON CONFLICT, which skips the ids that exist. Commit finishes (the summary
// rollups of what was inserted) and commits.
type stagedBatch[T any] struct {
	tx       pgx.Tx
	q        *dbsqlc.Queries
	direct   func(ctx context.Context, q *dbsqlc.Queries, items []T) error
	fallback func(ctx context.Context, q *dbsqlc.Queries, items []T) ([]domain.ID, error)
	finish   func(ctx context.Context, q *dbsqlc.Queries, evalID domain.ID, inserted []domain.ID) error
	idOf     func(T) domain.ID
	evalOf   func(T) domain.ID
	evalID   domain.ID
	inserted []domain.ID
}

func beginStaged[T any](ctx context.Context, db dbtx, b *stagedBatch[T]) (*stagedBatch[T], error) {
	tx, err := db.Begin(ctx)
	if err != nil {
		return nil, translate(err)
	}
	b.tx, b.q = tx, dbsqlc.New(tx)
	return b, nil
}

// Stage writes a chunk.
func (b *stagedBatch[T]) Stage(ctx context.Context, items []T) error {
	if b.tx == nil {
		return errSpent
	}
	if len(items) == 0 {
		return nil
	}
	b.evalID = b.evalOf(items[0])
	sp, err := b.tx.Begin(ctx)
	if err != nil {
		return translate(err)
	}
	err = b.direct(ctx, dbsqlc.New(sp), items)
	if err == nil {
		if err := sp.Commit(ctx); err != nil {
			return translate(err)
		}
		for _, t := range items {
			b.inserted = append(b.inserted, b.idOf(t))
		}
		return nil
	}
	_ = sp.Rollback(context.WithoutCancel(ctx))
	var pgErr *pgconn.PgError
	if !errors.As(err, &pgErr) || pgErr.Code != "23505" {
		return translate(err)
	}
	ids, err := b.fallback(ctx, b.q, items)
	if err != nil {
		return err
	}
	b.inserted = append(b.inserted, ids...)
	return nil
}

// Commit finishes and commits, returning the ids inserted; a COMMIT whose reply is
// lost is reported as domain.ErrOutcomeUnknown.
func (b *stagedBatch[T]) Commit(ctx context.Context) ([]domain.ID, error) {
	if b.tx == nil {
		return nil, errSpent
	}
	tx := b.tx
	b.tx = nil
	if len(b.inserted) > 0 && b.finish != nil {
		if err := b.finish(ctx, b.q, b.evalID, b.inserted); err != nil {
			_ = tx.Rollback(context.WithoutCancel(ctx))
			return nil, err
		}
	}
	if err := tx.Commit(ctx); err != nil {
		_ = tx.Rollback(context.WithoutCancel(ctx))
		return nil, commitError(err)
	}
	return b.inserted, nil
}

// Abort rolls back; it is safe to call after Commit.
func (b *stagedBatch[T]) Abort(ctx context.Context) {
	if b.tx != nil {
		_ = b.tx.Rollback(context.WithoutCancel(ctx))
		b.tx = nil
	}
}

// BeginResponses starts a staged write of responses and their scores.
func (s *ResponseStore) BeginResponses(ctx context.Context) (ports.StagedBatch[domain.Response], error) {
	return beginStaged(ctx, s.db, &stagedBatch[domain.Response]{
		direct: copyResponses, fallback: stageResponses, finish: rollupResponses,
		idOf:   func(r domain.Response) domain.ID { return r.ID },
		evalOf: func(r domain.Response) domain.ID { return r.EvaluationID },
	})
}

// responseRows encodes a chunk for COPY: the responses and their scores.
func responseRows(rs []domain.Response) ([]dbsqlc.CopyResponsesParams, []dbsqlc.CopyScoresParams, error) {
	rows := make([]dbsqlc.CopyResponsesParams, len(rs))
	var scores []dbsqlc.CopyScoresParams
	for i, r := range rs {
		meta, err := marshalObject(r.Metadata)
		if err != nil {
			return nil, nil, fmt.Errorf("encode metadata of response %s: %w", r.ID, err)
		}
		ctxJSON, err := marshalContext(r.Context)
		if err != nil {
			return nil, nil, fmt.Errorf("encode context of response %s: %w", r.ID, err)
		}
		rows[i] = dbsqlc.CopyResponsesParams{
			EvaluationID: pgID(r.EvaluationID), ID: pgID(r.ID), ExternalID: optString(r.ExternalID),
			PromptID: r.PromptID, Model: r.Model, Prompt: r.Prompt, Context: ctxJSON, Response: r.Text,
			Reference: r.Reference, Metadata: meta, CreatedAt: r.CreatedAt, UpdatedAt: r.CreatedAt,
		}
		for _, sc := range r.Scores {
			details, err := marshalObject(sc.Details)
			if err != nil {
				return nil, nil, fmt.Errorf("encode details of score %q of response %s: %w", sc.Scorer, r.ID, err)
			}
			scores = append(scores, dbsqlc.CopyScoresParams{
				EvaluationID: pgID(r.EvaluationID), ResponseID: pgID(r.ID), Scorer: sc.Scorer, Model: r.Model, PromptID: r.PromptID,
				Value: sc.Value, Passed: sc.Passed, Details: details, Error: optString(sc.Error), CreatedAt: sc.CreatedAt,
			})
		}
	}
	return rows, scores, nil
}

// copyResponses copies a chunk straight into responses and scores. Its error is
// returned untranslated, so Stage can tell a unique violation.
func copyResponses(ctx context.Context, q *dbsqlc.Queries, rs []domain.Response) error {
	rows, scores, err := responseRows(rs)
	if err != nil {
		return err
	}
	if _, err := q.CopyResponses(ctx, rows); err != nil {
		return err
	}
	if len(scores) > 0 {
		if _, err := q.CopyScores(ctx, scores); err != nil {
			return err
		}
	}
	return nil
}

// stageResponses writes a chunk through the staging tables: responses whose
// external_id exists are skipped, and so are their scores.
func stageResponses(ctx context.Context, q *dbsqlc.Queries, rs []domain.Response) ([]domain.ID, error) {
	rows, scores, err := responseRows(rs)
	if err != nil {
		return nil, err
	}
	for _, create := range []func(context.Context) error{q.CreateResponsesStage, q.CreateScoresStage, q.ClearStage} {
		if err := create(ctx); err != nil {
			return nil, translate(err)
		}
	}
	staged := make([]dbsqlc.CopyResponsesToStageParams, len(rows))
	for i, r := range rows {
		staged[i] = dbsqlc.CopyResponsesToStageParams{
			Ord: int32(i), EvaluationID: r.EvaluationID, ID: r.ID, ExternalID: r.ExternalID, PromptID: r.PromptID, Model: r.Model,
			Prompt: r.Prompt, Context: r.Context, Response: r.Response, Reference: r.Reference, Metadata: r.Metadata, CreatedAt: r.CreatedAt,
		}
	}
	if _, err := q.CopyResponsesToStage(ctx, staged); err != nil {
		return nil, translate(err)
	}
	ids, err := q.InsertStagedResponses(ctx)
	if err != nil || len(ids) == 0 {
		return nil, translate(err)
	}
	if len(scores) > 0 {
		stagedScores := make([]dbsqlc.CopyScoresToStageParams, len(scores))
		for i, sc := range scores {
			stagedScores[i] = dbsqlc.CopyScoresToStageParams(sc)
		}
		if _, err := q.CopyScoresToStage(ctx, stagedScores); err != nil {
			return nil, translate(err)
		}
		if _, err := q.InsertStagedScores(ctx, ids); err != nil {
			return nil, translate(err)
		}
	}
	return fromPgIDs(ids), nil
}

// rollupResponses folds the inserted responses' scores into the summary rollups,
// on a random shard.
func rollupResponses(ctx context.Context, q *dbsqlc.Queries, evalID domain.ID, inserted []domain.ID) error {
	return rollupScorer(ctx, q, evalID, inserted, nil)
}

// rollupScorer folds the scores of the given responses (only scorer's, when not
// nil) into the summary rollups, on a random shard.
func rollupScorer(ctx context.Context, q *dbsqlc.Queries, evalID domain.ID, responses []domain.ID, scorer *string) error {
	shard := int16(rand.IntN(rollupShards))
	ids := pgIDs(responses)
	if err := q.RollupScores(ctx, dbsqlc.RollupScoresParams{Shard: shard, EvaluationID: pgID(evalID), Inserted: ids, Scorer: scorer}); err != nil {
		return translate(err)
	}
	return translate(q.HistogramScores(ctx, dbsqlc.HistogramScoresParams{Shard: shard, EvaluationID: pgID(evalID), Inserted: ids, Scorer: scorer}))
}

// BeginComparisons starts a staged write of comparisons.
func (s *ComparisonStore) BeginComparisons(ctx context.Context) (ports.StagedBatch[domain.Comparison], error) {
	return beginStaged(ctx, s.db, &stagedBatch[domain.Comparison]{
		direct: copyComparisons, fallback: stageComparisons,
		idOf:   func(c domain.Comparison) domain.ID { return c.ID },
		evalOf: func(c domain.Comparison) domain.ID { return c.EvaluationID },
	})
}

func comparisonRows(cs []domain.Comparison) ([]dbsqlc.CopyComparisonsParams, error) {
	rows := make([]dbsqlc.CopyComparisonsParams, len(cs))
	for i, c := range cs {
		meta, err := marshalObject(c.Metadata)
		if err != nil {
			return nil, fmt.Errorf("encode metadata of comparison %s: %w", c.ID, err)
		}
		rows[i] = dbsqlc.CopyComparisonsParams{
			EvaluationID: pgID(c.EvaluationID), ID: pgID(c.ID), ExternalID: optString(c.ExternalID),
			ResponseAID: pgID(c.ResponseA), ResponseBID: pgID(c.ResponseB), ModelA: c.ModelA, ModelB: c.ModelB,
			PromptID: c.PromptID, Preference: c.Preference, Annotator: c.Annotator, AnnotatorKind: string(c.AnnotatorKind),
			Rationale: c.Rationale, Metadata: meta, CreatedAt: c.CreatedAt, UpdatedAt: c.CreatedAt,
		}
	}
	return rows, nil
}

// copyComparisons copies a chunk straight into comparisons (error untranslated).
func copyComparisons(ctx context.Context, q *dbsqlc.Queries, cs []domain.Comparison) error {
	rows, err := comparisonRows(cs)
	if err != nil {
		return err
	}
	_, err = q.CopyComparisons(ctx, rows)
	return err
}

// stageComparisons writes a chunk through the staging table, skipping comparisons
// whose external_id exists.
func stageComparisons(ctx context.Context, q *dbsqlc.Queries, cs []domain.Comparison) ([]domain.ID, error) {
	rows, err := comparisonRows(cs)
	if err != nil {
		return nil, err
	}
	if err := q.CreateComparisonsStage(ctx); err != nil {
		return nil, translate(err)
	}
	if err := q.ClearComparisonsStage(ctx); err != nil {
		return nil, translate(err)
	}
	staged := make([]dbsqlc.CopyComparisonsToStageParams, len(rows))
	for i, r := range rows {
		staged[i] = dbsqlc.CopyComparisonsToStageParams{
			Ord: int32(i), EvaluationID: r.EvaluationID, ID: r.ID, ExternalID: r.ExternalID, ResponseAID: r.ResponseAID,
			ResponseBID: r.ResponseBID, ModelA: r.ModelA, ModelB: r.ModelB, PromptID: r.PromptID, Preference: r.Preference,
			Annotator: r.Annotator, AnnotatorKind: r.AnnotatorKind, Rationale: r.Rationale, Metadata: r.Metadata, CreatedAt: r.CreatedAt,
		}
	}
	if _, err := q.CopyComparisonsToStage(ctx, staged); err != nil {
		return nil, translate(err)
	}
	ids, err := q.InsertStagedComparisons(ctx)
	if err != nil {
		return nil, translate(err)
	}
	return fromPgIDs(ids), nil
}

// insertStaged writes one slice through a staged batch.
func insertStaged[T any](ctx context.Context, b ports.StagedBatch[T], items []T) ([]domain.ID, error) {
	if err := b.Stage(ctx, items); err != nil {
		b.Abort(ctx)
		return nil, err
	}
	return b.Commit(ctx)
}
