package postgres

import (
	"context"
	"encoding/json"
	"fmt"
	"iter"
	"math/rand/v2"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/rlhf-eval/rlhf-eval/internal/adapters/postgres/internal/dbsqlc"
	"github.com/rlhf-eval/rlhf-eval/internal/domain"
	"github.com/rlhf-eval/rlhf-eval/internal/ports"
)

// ResponseStore stores responses and their scores.
type ResponseStore struct {
	db dbtx
	q  *dbsqlc.Queries
	// reader, when set, serves the list pages (from a read replica).
	reader *ResponseStore
	// group, on the pool, writes concurrent small batches together.
	group *groupWriter
}

var _ ports.ResponseStore = (*ResponseStore)(nil)

// rollupShards is the number of rollup shards ingest spreads over (see
// db/migrations/00003_score_rollups.sql).
const rollupShards = 16

// smallBatch is the largest batch InsertResponses writes in a single statement; a
// larger one goes through COPY.
const smallBatch = 64

// InsertResponses writes one batch. On the pool, a small one is a single
// statement, in one round trip, grouped with the concurrent small writes to the
// same evaluation (see group.go and InsertResponsesAtOnce in
// db/queries/responses.sql), and a larger one a transaction of its own; inside a
// transaction, it is one chunk of IngestResponses.
func (s *ResponseStore) InsertResponses(ctx context.Context, rs []domain.Response) ([]domain.ID, error) {
	if len(rs) == 0 {
		return nil, nil
	}
	if s.group != nil && len(rs) <= smallBatch { // a store on the pool
		return s.group.insert(ctx, rs)
	}
	return inOwnTx(ctx, s.db, true, func(tx dbtx) ([]domain.ID, error) { return ingestResponses(ctx, tx, one(ports.Scored(rs))) })
}

// IngestResponses writes the chunks, in the caller's transaction (or, on the
// pool, in one of its own), and rolls up the scores of those inserted.
func (s *ResponseStore) IngestResponses(ctx context.Context, chunks iter.Seq2[ports.ResponseChunk, error]) ([]domain.ID, error) {
	return inOwnTx(ctx, s.db, false, func(tx dbtx) ([]domain.ID, error) { return ingestResponses(ctx, tx, chunks) })
}

// ingestResponses writes the chunks in tx, folds the scores of the responses it
// inserted into one rollup shard, from memory (see rollupdelta.go), and adds
// them to the evaluation's response count.
func ingestResponses(ctx context.Context, tx dbtx, chunks iter.Seq2[ports.ResponseChunk, error]) ([]domain.ID, error) {
	q := dbsqlc.New(tx)
	delta := newRollupDelta(int16(rand.IntN(rollupShards)))
	var inserted []domain.ID
	var evalID domain.ID
	for chunk, err := range chunks {
		if err != nil {
			return nil, err
		}
		ids, err := writeResponses(ctx, tx, chunk)
		if err != nil {
			return nil, err
		}
		if len(chunk.Responses) > 0 {
			evalID = chunk.Responses[0].EvaluationID
		}
		inserted = append(inserted, ids...)
		delta.addInserted(chunk.Responses, ids)
		if delta.full() {
			if err := delta.flush(ctx, q); err != nil {
				return nil, err
			}
		}
	}
	if err := delta.flush(ctx, q); err != nil {
		return nil, err
	}
	if len(inserted) > 0 {
		err := q.AddResponseCount(ctx, dbsqlc.AddResponseCountParams{EvaluationID: pgID(evalID), Delta: int64(len(inserted))})
		if err != nil {
			return nil, translate(err)
		}
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
	if s.reader != nil {
		return s.reader.ListResponses(ctx, q)
	}
	var rows []dbsqlc.Response
	var err error
	ev, after, lim := pgID(q.EvaluationID), optID(q.After), int32(q.Limit)
	switch {
	case q.Scorer != nil && q.Desc:
		var rs []dbsqlc.ListResponsesByScorerDescRow
		rs, err = s.q.ListResponsesByScorerDesc(ctx, dbsqlc.ListResponsesByScorerDescParams{
			EvaluationID: ev, Scorer: *q.Scorer, Passed: q.Passed, Model: q.Model, PromptID: q.PromptID, AfterID: after, Lim: lim})
		for _, r := range rs {
			rows = append(rows, r.Response)
		}
	case q.Scorer != nil:
		var rs []dbsqlc.ListResponsesByScorerAscRow
		rs, err = s.q.ListResponsesByScorerAsc(ctx, dbsqlc.ListResponsesByScorerAscParams{
			EvaluationID: ev, Scorer: *q.Scorer, Passed: q.Passed, Model: q.Model, PromptID: q.PromptID, AfterID: after, Lim: lim})
		for _, r := range rs {
			rows = append(rows, r.Response)
		}
	case q.Desc:
		rows, err = s.q.ListResponsesDesc(ctx, dbsqlc.ListResponsesDescParams{
			EvaluationID: ev, Model: q.Model, PromptID: q.PromptID, AfterID: after, Lim: lim})
	default:
		rows, err = s.q.ListResponsesAsc(ctx, dbsqlc.ListResponsesAscParams{
			EvaluationID: ev, Model: q.Model, PromptID: q.PromptID, AfterID: after, Lim: lim})
	}
	if err != nil {
		return nil, translate(err)
	}
	return s.withScores(ctx, q.EvaluationID, rows)
}

// withScores converts rows and attaches their scores, and after them the scores
// they are owed (pending), read in one statement.
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
// transaction. The rebuild holds the model's rollup lock (db/queries/ingest.sql),
// so concurrent deletes of one model's responses take turns, and an ingest folds
// its scores in either before the rebuild reads them or after it.
func (s *ResponseStore) DeleteResponse(ctx context.Context, evaluationID, id domain.ID) error {
	return inTx(ctx, s.db, func(tx pgx.Tx) error {
		q := dbsqlc.New(tx)
		model, err := q.DeleteResponse(ctx, dbsqlc.DeleteResponseParams{EvaluationID: pgID(evaluationID), ID: pgID(id)})
		if err != nil {
			return translate(err)
		}
		return rebuildModelRollups(ctx, q, pgID(evaluationID), model)
	})
}

type responseJSON struct {
	ID         string          `json:"id"`
	ExternalID *string         `json:"external_id"`
	PromptID   string          `json:"prompt_id"`
	Model      string          `json:"model"`
	Prompt     string          `json:"prompt"`
	Context    json.RawMessage `json:"context"`
	Response   string          `json:"response"`
	Reference  *string         `json:"reference"`
	Metadata   json.RawMessage `json:"metadata"`
	CreatedAt  time.Time       `json:"created_at"`
}

type scoreJSON struct {
	ResponseID string          `json:"response_id"`
	Scorer     string          `json:"scorer"`
	Value      *float64        `json:"value"`
	Passed     *bool           `json:"passed"`
	Details    json.RawMessage `json:"details"`
	Error      *string         `json:"error"`
	CreatedAt  time.Time       `json:"created_at"`
}

// atOnceStatement is what InsertResponsesAtOnce takes.
type atOnceStatement = dbsqlc.InsertResponsesAtOnceParams

// execAtOnce runs InsertResponsesAtOnce once. On its own the statement commits
// when it ends, so a reply lost with the connection leaves the outcome unknown,
// like a lost COMMIT reply. The connection is acquired first, so that a failure
// to get one is not mistaken for that. The server's own error (a deadlock among
// them) means nothing was stored.
func execAtOnce(ctx context.Context, pool *pgxpool.Pool, params atOnceStatement) ([]pgtype.UUID, error) {
	conn, err := pool.Acquire(ctx)
	if err != nil {
		return nil, translate(err)
	}
	defer conn.Release()
	ids, err := dbsqlc.New(prepared{conn}).InsertResponsesAtOnce(ctx, params)
	switch {
	case err == nil:
		return ids, nil
	case pgconn.SafeToRetry(err), serverRefused(err):
		return nil, translate(err) // nothing was stored
	}
	return nil, commitError(err)
}

// atOnceRows are responses with their scores, encoded for InsertResponsesAtOnce.
type atOnceRows []atOnceRow

type atOnceRow struct {
	response responseJSON
	scores   []scoreJSON
	size     int // about how many bytes its JSON takes
}

// encodeAtOnce encodes a small batch for InsertResponsesAtOnce.
func encodeAtOnce(rs []domain.Response) (atOnceRows, error) {
	rows := make(atOnceRows, len(rs))
	for i, r := range rs {
		meta, err := marshalObject(r.Metadata)
		if err != nil {
			return nil, fmt.Errorf("encode metadata of response %s: %w", r.ID, err)
		}
		ctxJSON, err := marshalContext(r.Context)
		if err != nil {
			return nil, fmt.Errorf("encode context of response %s: %w", r.ID, err)
		}
		if ctxJSON == nil {
			ctxJSON = json.RawMessage("null")
		}
		row := atOnceRow{response: responseJSON{ID: r.ID.String(), ExternalID: optString(r.ExternalID), PromptID: r.PromptID, Model: r.Model,
			Prompt: r.Prompt, Context: ctxJSON, Response: r.Text, Reference: r.Reference, Metadata: meta, CreatedAt: r.CreatedAt}}
		row.size = len(r.ExternalID) + len(r.PromptID) + len(r.Model) + len(r.Prompt) + len(ctxJSON) + len(r.Text) + len(meta) + 200
		if r.Reference != nil {
			row.size += len(*r.Reference)
		}
		for _, sc := range r.Scores {
			details, err := marshalObject(sc.Details)
			if err != nil {
				return nil, fmt.Errorf("encode details of score %q of response %s: %w", sc.Scorer, r.ID, err)
			}
			row.scores = append(row.scores, scoreJSON{ResponseID: r.ID.String(), Scorer: sc.Scorer, Value: sc.Value, Passed: sc.Passed,
				Details: details, Error: optString(sc.Error), CreatedAt: sc.CreatedAt})
			row.size += len(sc.Scorer) + len(details) + len(sc.Error) + 150
		}
		rows[i] = row
	}
	return rows, nil
}

// size is about how many bytes the rows' JSON takes.
func (rows atOnceRows) size() int {
	n := 0
	for _, r := range rows {
		n += r.size
	}
	return n
}

// appendDistinct appends the rows of more whose external id is not in seen,
// and adds theirs.
func (rows *atOnceRows) appendDistinct(more atOnceRows, seen map[string]bool) {
	for _, r := range more {
		if ext := r.response.ExternalID; ext != nil {
			if seen[*ext] {
				continue
			}
			seen[*ext] = true
		}
		*rows = append(*rows, r)
	}
}

// params is the statement that writes the rows to evaluation eval, in
// external_id order (see writeChunk), folding their scores into a random
// rollup shard.
func (rows atOnceRows) params(eval domain.ID) (atOnceStatement, error) {
	sorted := sortByExternalID(rows, func(r atOnceRow) string {
		if r.response.ExternalID == nil {
			return ""
		}
		return *r.response.ExternalID
	})
	responses := make([]responseJSON, len(sorted))
	scores := []scoreJSON{}
	for i, r := range sorted {
		responses[i] = r.response
		scores = append(scores, r.scores...)
	}
	rj, err := json.Marshal(responses)
	if err != nil {
		return atOnceStatement{}, err
	}
	sj, err := json.Marshal(scores)
	if err != nil {
		return atOnceStatement{}, err
	}
	return atOnceStatement{Responses: rj, Scores: sj, EvaluationID: pgID(eval), Shard: int16(rand.IntN(rollupShards))}, nil
}
