package postgres

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"

	"github.com/jackc/pgx/v5"

	"github.com/rlhf-eval/rlhf-eval/internal/adapters/postgres/internal/dbsqlc"
	"github.com/rlhf-eval/rlhf-eval/internal/domain"
	"github.com/rlhf-eval/rlhf-eval/internal/ports"
)

// errSpent reports a staged batch used after Commit or Abort.
var errSpent = errors.New("staged batch already committed or aborted")

// stagedBatch is a transaction with session-local staging tables: chunks are copied
// in with COPY as they arrive, and Commit moves them all with INSERT ... SELECT ...
// ON CONFLICT. The staging tables are created once per connection (TEMPORARY, ON
// COMMIT DELETE ROWS), so they are empty at the start of every transaction.
type stagedBatch[T any] struct {
	tx     pgx.Tx
	q      *dbsqlc.Queries
	staged int
	stage  func(ctx context.Context, q *dbsqlc.Queries, items []T, offset int) error
	move   func(ctx context.Context, q *dbsqlc.Queries) ([]domain.ID, error)
}

func beginStaged[T any](ctx context.Context, db dbtx, create []func(*dbsqlc.Queries, context.Context) error,
	stage func(context.Context, *dbsqlc.Queries, []T, int) error,
	move func(context.Context, *dbsqlc.Queries) ([]domain.ID, error)) (*stagedBatch[T], error) {
	tx, err := db.Begin(ctx)
	if err != nil {
		return nil, translate(err)
	}
	b := &stagedBatch[T]{tx: tx, q: dbsqlc.New(tx), stage: stage, move: move}
	for _, c := range create {
		if err := c(b.q, ctx); err != nil {
			b.Abort(ctx)
			return nil, translate(err)
		}
	}
	return b, nil
}

// Stage copies a chunk into the staging tables.
func (b *stagedBatch[T]) Stage(ctx context.Context, items []T) error {
	if b.tx == nil {
		return errSpent
	}
	if len(items) == 0 {
		return nil
	}
	if err := b.stage(ctx, b.q, items, b.staged); err != nil {
		return err
	}
	b.staged += len(items)
	return nil
}

// Commit moves the staged rows and commits; a COMMIT whose reply is lost is
// reported as domain.ErrOutcomeUnknown.
func (b *stagedBatch[T]) Commit(ctx context.Context) ([]domain.ID, error) {
	if b.tx == nil {
		return nil, errSpent
	}
	tx := b.tx
	b.tx = nil
	var ids []domain.ID
	if b.staged > 0 {
		var err error
		if ids, err = b.move(ctx, b.q); err != nil {
			_ = tx.Rollback(context.WithoutCancel(ctx))
			return nil, err
		}
	}
	if err := tx.Commit(ctx); err != nil {
		_ = tx.Rollback(context.WithoutCancel(ctx))
		return nil, commitError(err)
	}
	return ids, nil
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
	return beginStaged(ctx, s.db,
		[]func(*dbsqlc.Queries, context.Context) error{(*dbsqlc.Queries).CreateResponsesStage, (*dbsqlc.Queries).CreateScoresStage},
		stageResponses, moveResponses)
}

func stageResponses(ctx context.Context, q *dbsqlc.Queries, rs []domain.Response, offset int) error {
	rows := make([]dbsqlc.CopyResponsesToStageParams, len(rs))
	var scores []dbsqlc.CopyScoresToStageParams
	for i, r := range rs {
		meta, err := marshalObject(r.Metadata)
		if err != nil {
			return fmt.Errorf("encode metadata of response %d: %w", offset+i, err)
		}
		ctxJSON, err := marshalContext(r.Context)
		if err != nil {
			return fmt.Errorf("encode context of response %d: %w", offset+i, err)
		}
		rows[i] = dbsqlc.CopyResponsesToStageParams{
			Ord: int32(offset + i), EvaluationID: pgID(r.EvaluationID), ID: pgID(r.ID), ExternalID: optString(r.ExternalID),
			PromptID: r.PromptID, Model: r.Model, Prompt: r.Prompt, Context: ctxJSON, Response: r.Text,
			Reference: r.Reference, Metadata: meta, CreatedAt: r.CreatedAt,
		}
		for _, sc := range r.Scores {
			details, err := marshalObject(sc.Details)
			if err != nil {
				return fmt.Errorf("encode details of score %q of response %d: %w", sc.Scorer, offset+i, err)
			}
			scores = append(scores, dbsqlc.CopyScoresToStageParams{
				EvaluationID: pgID(r.EvaluationID), ResponseID: pgID(r.ID), Scorer: sc.Scorer, Model: r.Model, PromptID: r.PromptID,
				Value: sc.Value, Passed: sc.Passed, Details: details, Error: optString(sc.Error), CreatedAt: sc.CreatedAt,
			})
		}
	}
	if _, err := q.CopyResponsesToStage(ctx, rows); err != nil {
		return translate(err)
	}
	if len(scores) > 0 {
		if _, err := q.CopyScoresToStage(ctx, scores); err != nil {
			return translate(err)
		}
	}
	return nil
}

// moveResponses inserts the staged responses whose external_id is new, then the
// scores of exactly those, then folds those scores into the summary rollups on a
// random shard.
func moveResponses(ctx context.Context, q *dbsqlc.Queries) ([]domain.ID, error) {
	ids, err := q.InsertStagedResponses(ctx)
	if err != nil {
		return nil, translate(err)
	}
	if len(ids) == 0 {
		return nil, nil
	}
	if _, err := q.InsertStagedScores(ctx, ids); err != nil {
		return nil, translate(err)
	}
	shard := int16(rand.IntN(rollupShards))
	if err := q.RollupStagedScores(ctx, dbsqlc.RollupStagedScoresParams{Shard: shard, Inserted: ids}); err != nil {
		return nil, translate(err)
	}
	if err := q.HistogramStagedScores(ctx, dbsqlc.HistogramStagedScoresParams{Shard: shard, Inserted: ids}); err != nil {
		return nil, translate(err)
	}
	return fromPgIDs(ids), nil
}

// BeginComparisons starts a staged write of comparisons.
func (s *ComparisonStore) BeginComparisons(ctx context.Context) (ports.StagedBatch[domain.Comparison], error) {
	return beginStaged(ctx, s.db, []func(*dbsqlc.Queries, context.Context) error{(*dbsqlc.Queries).CreateComparisonsStage},
		stageComparisons, moveComparisons)
}

func stageComparisons(ctx context.Context, q *dbsqlc.Queries, cs []domain.Comparison, offset int) error {
	rows := make([]dbsqlc.CopyComparisonsToStageParams, len(cs))
	for i, c := range cs {
		meta, err := marshalObject(c.Metadata)
		if err != nil {
			return fmt.Errorf("encode metadata of comparison %d: %w", offset+i, err)
		}
		rows[i] = dbsqlc.CopyComparisonsToStageParams{
			Ord: int32(offset + i), EvaluationID: pgID(c.EvaluationID), ID: pgID(c.ID), ExternalID: optString(c.ExternalID),
			ResponseAID: pgID(c.ResponseA), ResponseBID: pgID(c.ResponseB), ModelA: c.ModelA, ModelB: c.ModelB,
			PromptID: c.PromptID, Preference: c.Preference, Annotator: c.Annotator, AnnotatorKind: string(c.AnnotatorKind),
			Rationale: c.Rationale, Metadata: meta, CreatedAt: c.CreatedAt,
		}
	}
	if _, err := q.CopyComparisonsToStage(ctx, rows); err != nil {
		return translate(err)
	}
	return nil
}

func moveComparisons(ctx context.Context, q *dbsqlc.Queries) ([]domain.ID, error) {
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
