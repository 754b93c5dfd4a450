package postgres

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"iter"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/rlhf-eval/rlhf-eval/internal/adapters/postgres/internal/dbsqlc"
	"github.com/rlhf-eval/rlhf-eval/internal/domain"
	"github.com/rlhf-eval/rlhf-eval/internal/ports"
)

// A bulk write goes to the database a chunk at a time, each chunk in a savepoint
// of the caller's transaction:
//
//   - The chunk is sorted by external_id, so that every writer takes the unique
//     index's row locks in one order and two requests with the same ids in
//     opposite orders wait for each other instead of deadlocking.
//   - It is first copied with COPY straight into the tables (copyChunk): the use
//     case has left out external ids that are already stored, so this is the
//     common case and the fastest.
//   - A unique violation means a concurrent request stored one of the chunk's
//     external ids first. The COPY is rolled back and the chunk goes through
//     session-local staging tables (TEMPORARY, created once per connection,
//     emptied per chunk) and INSERT ... SELECT ... ON CONFLICT, which skips the
//     ids that exist (stageChunk).
//   - A deadlock or serialization failure fails the chunk, and with it the
//     transaction: the locks that closed the cycle may have been taken by an
//     earlier chunk, so only running the whole transaction again (TxRunner does,
//     when its caller can replay the chunks) undoes them.

// chunkWriter is how one kind of item is written.
type chunkWriter[T any] struct {
	extOf func(T) string
	idOf  func(T) domain.ID
	// copyChunk copies items into the tables; its error is returned untranslated,
	// so that a unique violation can be told.
	copyChunk func(ctx context.Context, q *dbsqlc.Queries, items []T) error
	// stageChunk writes items through the staging tables, skipping stored
	// external ids, and returns the ids inserted.
	stageChunk func(ctx context.Context, q *dbsqlc.Queries, items []T) ([]domain.ID, error)
}

// maxAttempts bounds how often a transaction (or a statement on its own) is run
// after a deadlock or serialization failure.
const maxAttempts = 4

// ingestChunks writes every chunk of the sequence in db, which must be a
// transaction, and returns the ids inserted.
func ingestChunks[T any](ctx context.Context, db dbtx, w chunkWriter[T], chunks iter.Seq2[[]T, error]) ([]domain.ID, error) {
	var inserted []domain.ID
	for chunk, err := range chunks {
		if err != nil {
			return nil, err
		}
		ids, err := writeChunk(ctx, db, w, chunk)
		if err != nil {
			return nil, err
		}
		inserted = append(inserted, ids...)
	}
	return inserted, nil
}

// writeChunk writes one chunk in db, in external_id order.
func writeChunk[T any](ctx context.Context, db dbtx, w chunkWriter[T], items []T) ([]domain.ID, error) {
	if len(items) == 0 {
		return nil, nil
	}
	sorted := sortByExternalID(items, w.extOf)
	ids, err := copyOrStage(ctx, db, w, sorted)
	if err != nil {
		return nil, err
	}
	return inInputOrder(ids, items, w.idOf), nil
}

// copyOrStage copies the chunk in a savepoint and, when a concurrent request
// stored one of its external ids first, stages it instead.
func copyOrStage[T any](ctx context.Context, db dbtx, w chunkWriter[T], items []T) ([]domain.ID, error) {
	err := inTx(ctx, db, func(sp pgx.Tx) error { return w.copyChunk(ctx, dbsqlc.New(sp), items) })
	if err == nil {
		ids := make([]domain.ID, len(items))
		for i, t := range items {
			ids[i] = w.idOf(t)
		}
		return ids, nil
	}
	var pgErr *pgconn.PgError
	if !errors.As(err, &pgErr) || pgErr.Code != "23505" {
		return nil, translate(err)
	}
	return w.stageChunk(ctx, dbsqlc.New(db), items)
}

// sortByExternalID returns the items ordered by external_id (those without one
// first, in their order).
func sortByExternalID[T any](items []T, extOf func(T) string) []T {
	sorted := slices.Clone(items)
	slices.SortStableFunc(sorted, func(a, b T) int { return cmp.Compare(extOf(a), extOf(b)) })
	return sorted
}

// inInputOrder orders the ids of inserted items as the items are ordered.
func inInputOrder[T any](ids []domain.ID, items []T, idOf func(T) domain.ID) []domain.ID {
	pos := make(map[domain.ID]int, len(items))
	for i, t := range items {
		pos[idOf(t)] = i
	}
	slices.SortFunc(ids, func(a, b domain.ID) int { return cmp.Compare(pos[a], pos[b]) })
	return ids
}

// retryable reports a deadlock or serialization failure: the database rolled the
// statement's work back and running it again may succeed.
func retryable(err error) bool {
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) && (pgErr.Code == "40P01" || pgErr.Code == "40001")
}

// retryConflicts runs fn, and again after a deadlock or serialization failure,
// up to maxAttempts times with a short random pause between.
func retryConflicts(ctx context.Context, fn func() error) error {
	for attempt := 1; ; attempt++ {
		err := fn()
		if err == nil || !retryable(err) || attempt == maxAttempts {
			return err
		}
		pause := time.Duration(attempt) * (5*time.Millisecond + rand.N(20*time.Millisecond))
		select {
		case <-ctx.Done():
			return err
		case <-time.After(pause):
		}
	}
}

// onPool reports whether db is the pool itself (not a transaction).
func onPool(db dbtx) (*pgxpool.Pool, bool) {
	pool, ok := db.(*pgxpool.Pool)
	return pool, ok
}

// inOwnTx runs fn on db when db is a transaction, and otherwise in a transaction
// of its own on the pool, run again after a deadlock when retry says fn can be.
func inOwnTx(ctx context.Context, db dbtx, retry bool, fn func(tx dbtx) ([]domain.ID, error)) ([]domain.ID, error) {
	pool, ok := onPool(db)
	if !ok {
		return fn(db)
	}
	var ids []domain.ID
	run := func(tx pgx.Tx) error {
		var err error
		ids, err = fn(tx)
		return err
	}
	var err error
	if retry {
		err = inTxRetry(ctx, pool, run)
	} else {
		err = inTx(ctx, pool, run)
	}
	return ids, err
}

// one is the sequence of a single chunk.
func one[T any](chunk T) iter.Seq2[T, error] {
	return func(yield func(T, error) bool) { yield(chunk, nil) }
}

// writeResponses writes one chunk of responses in tx, the responses first and
// their scores once they are set (ports.ResponseChunk), and returns the ids
// inserted, in the chunk's order. The responses go in external_id order, as
// writeChunk writes other items: COPY in a savepoint, staging when a concurrent
// request stored one of the external ids first. Their scores, which cannot
// conflict (their responses are new), are then copied for the responses
// inserted; they are encoded while the responses are copied.
func writeResponses(ctx context.Context, tx dbtx, c ports.ResponseChunk) ([]domain.ID, error) {
	rs := c.Responses
	if len(rs) == 0 {
		return nil, nil
	}
	type encoded struct {
		rows []dbsqlc.CopyScoresParams
		err  error
	}
	scores := make(chan encoded, 1)
	go func() {
		if c.Scored != nil {
			if err := c.Scored(); err != nil {
				scores <- encoded{err: err}
				return
			}
		}
		rows, err := scoreCopyRows(rs)
		scores <- encoded{rows, err}
	}()
	rows, err := responseCopyRows(rs, externalIDOrder(rs))
	if err != nil {
		return nil, err
	}
	q := dbsqlc.New(tx)
	ids, err := copyOrStage(ctx, tx, responseRowWriter, rows)
	if err != nil {
		return nil, err
	}
	sc := <-scores
	if sc.err != nil {
		return nil, sc.err
	}
	if len(ids) < len(rs) {
		sc.rows = scoresOf(sc.rows, ids)
		ids = inInputOrder(ids, rs, func(r domain.Response) domain.ID { return r.ID })
	} else {
		for i := range rs {
			ids[i] = rs[i].ID
		}
	}
	if len(sc.rows) > 0 {
		if _, err := q.CopyScores(ctx, sc.rows); err != nil {
			return nil, translate(err)
		}
	}
	return ids, nil
}

// externalIDOrder returns the indexes of rs ordered by external_id (those
// without one first, in their order). It reads only the external ids: the
// scores may still be being set.
func externalIDOrder(rs []domain.Response) []int {
	order := make([]int, len(rs))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int { return cmp.Compare(rs[a].ExternalID, rs[b].ExternalID) })
	return order
}

// responseRowWriter writes a chunk's encoded responses through copyOrStage.
var responseRowWriter = chunkWriter[dbsqlc.CopyResponsesParams]{
	idOf: func(r dbsqlc.CopyResponsesParams) domain.ID { return r.ID.Bytes },
	copyChunk: func(ctx context.Context, q *dbsqlc.Queries, rows []dbsqlc.CopyResponsesParams) error {
		_, err := q.CopyResponses(ctx, rows)
		return err
	},
	stageChunk: stageResponses,
}

// scoresOf keeps the score rows of the responses inserted.
func scoresOf(rows []dbsqlc.CopyScoresParams, inserted []domain.ID) []dbsqlc.CopyScoresParams {
	in := make(map[domain.ID]bool, len(inserted))
	for _, id := range inserted {
		in[id] = true
	}
	kept := rows[:0]
	for _, r := range rows {
		if in[r.ResponseID.Bytes] {
			kept = append(kept, r)
		}
	}
	return kept
}

// responseCopyRows encodes a chunk's responses for COPY, in the given order of
// their indexes. It reads every field but the scores.
func responseCopyRows(rs []domain.Response, order []int) ([]dbsqlc.CopyResponsesParams, error) {
	rows := make([]dbsqlc.CopyResponsesParams, len(order))
	for k, i := range order {
		r := &rs[i]
		meta, err := marshalObject(r.Metadata)
		if err != nil {
			return nil, fmt.Errorf("encode metadata of response %s: %w", r.ID, err)
		}
		ctxJSON, err := marshalContext(r.Context)
		if err != nil {
			return nil, fmt.Errorf("encode context of response %s: %w", r.ID, err)
		}
		rows[k] = dbsqlc.CopyResponsesParams{
			EvaluationID: pgID(r.EvaluationID), ID: pgID(r.ID), ExternalID: optString(r.ExternalID),
			PromptID: r.PromptID, Model: r.Model, Prompt: r.Prompt, Context: ctxJSON, Response: r.Text,
			Reference: r.Reference, Metadata: meta, CreatedAt: r.CreatedAt, UpdatedAt: r.CreatedAt,
		}
	}
	return rows, nil
}

// scoreCopyRows encodes the scores of a chunk's responses for COPY.
func scoreCopyRows(rs []domain.Response) ([]dbsqlc.CopyScoresParams, error) {
	n := 0
	for _, r := range rs {
		n += len(r.Scores)
	}
	scores := make([]dbsqlc.CopyScoresParams, 0, n)
	for _, r := range rs {
		for _, sc := range r.Scores {
			details, err := marshalObject(sc.Details)
			if err != nil {
				return nil, fmt.Errorf("encode details of score %q of response %s: %w", sc.Scorer, r.ID, err)
			}
			scores = append(scores, dbsqlc.CopyScoresParams{
				EvaluationID: pgID(r.EvaluationID), ResponseID: pgID(r.ID), Scorer: sc.Scorer, Model: r.Model, PromptID: r.PromptID,
				Value: sc.Value, Passed: sc.Passed, Details: details, Error: optString(sc.Error), CreatedAt: sc.CreatedAt,
			})
		}
	}
	return scores, nil
}

// stageResponses writes a chunk's responses through the staging table, skipping
// those whose external_id exists, and returns the ids inserted.
func stageResponses(ctx context.Context, q *dbsqlc.Queries, rows []dbsqlc.CopyResponsesParams) ([]domain.ID, error) {
	for _, step := range []func(context.Context) error{q.CreateResponsesStage, q.ClearStage} {
		if err := step(ctx); err != nil {
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
	if err != nil {
		return nil, translate(err)
	}
	return fromPgIDs(ids), nil
}

// rollupScore folds one score just stored on r (as stored: a field the insert
// left out must be left out of sc) into a random rollup shard, from memory, as
// ingest does (see rollupdelta.go).
func rollupScore(ctx context.Context, q *dbsqlc.Queries, r domain.Response, sc domain.Score) error {
	delta := newRollupDelta(int16(rand.IntN(rollupShards)))
	delta.add(domain.Response{EvaluationID: r.EvaluationID, Model: r.Model, Scores: []domain.Score{sc}})
	return delta.flush(ctx, q)
}

var comparisonWriter = chunkWriter[domain.Comparison]{
	extOf:      func(c domain.Comparison) string { return c.ExternalID },
	idOf:       func(c domain.Comparison) domain.ID { return c.ID },
	copyChunk:  copyComparisons,
	stageChunk: stageComparisons,
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
