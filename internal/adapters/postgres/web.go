package postgres

import (
	"context"
	"math"
	"time"

	"github.com/jackc/pgx/v5/pgtype"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/rlhf-eval/rlhf-eval/internal/adapters/postgres/internal/dbsqlc"
	"github.com/rlhf-eval/rlhf-eval/internal/domain"
	"github.com/rlhf-eval/rlhf-eval/internal/ports"
)

// WebStore keeps dashboard sessions and answers the dashboard's own queries.
type WebStore struct {
	db dbtx
	q  *dbsqlc.Queries
}

// NewWebStore returns a WebStore that runs each call on the pool.
func NewWebStore(pool *pgxpool.Pool) *WebStore { return &WebStore{db: pool, q: dbsqlc.New(pool)} }

var (
	_ ports.SessionStore   = (*WebStore)(nil)
	_ ports.DashboardStore = (*WebStore)(nil)
)

// CreateSession inserts s.
func (w *WebStore) CreateSession(ctx context.Context, s domain.Session) error {
	return translate(w.q.CreateWebSession(ctx, dbsqlc.CreateWebSessionParams{
		TokenHash: s.TokenHash[:], ApiKeyID: pgID(s.APIKeyID), CsrfToken: s.CSRF, CreatedAt: s.CreatedAt, ExpiresAt: s.ExpiresAt,
	}))
}

// GetSession finds a session by its token's hash; every page view runs it.
func (w *WebStore) GetSession(ctx context.Context, hash [32]byte) (domain.Session, error) {
	row, err := dbsqlc.New(prepared{w.db}).GetWebSession(ctx, hash[:])
	if err != nil {
		return domain.Session{}, translate(err)
	}
	return domain.Session{TokenHash: hash, APIKeyID: domain.ID(row.ApiKeyID.Bytes), CSRF: row.CsrfToken,
		CreatedAt: row.CreatedAt, ExpiresAt: row.ExpiresAt}, nil
}

// DeleteSession deletes a session; deleting a missing one is not an error.
func (w *WebStore) DeleteSession(ctx context.Context, hash [32]byte) error {
	return translate(w.q.DeleteWebSession(ctx, hash[:]))
}

// DeleteSessionsOfKey deletes every session of a key.
func (w *WebStore) DeleteSessionsOfKey(ctx context.Context, keyID domain.ID) (int64, error) {
	n, err := w.q.DeleteWebSessionsOfKey(ctx, pgID(keyID))
	return n, translate(err)
}

// DeleteExpiredSessions deletes the sessions expired at now.
func (w *WebStore) DeleteExpiredSessions(ctx context.Context, now time.Time) (int64, error) {
	n, err := w.q.DeleteExpiredWebSessions(ctx, now)
	return n, translate(err)
}

// SearchEvaluations returns a page of evaluations in name order.
func (w *WebStore) SearchEvaluations(ctx context.Context, pattern string, afterName *string, limit int) ([]domain.Evaluation, error) {
	rows, err := w.q.SearchEvaluations(ctx, dbsqlc.SearchEvaluationsParams{Pattern: pattern, AfterName: afterName, Lim: int32(limit)})
	if err != nil {
		return nil, translate(err)
	}
	out := make([]domain.Evaluation, len(rows))
	for i, r := range rows {
		if out[i], err = toEvaluation(r); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// EvaluationActivity counts an evaluation's rows and finds its newest ones.
func (w *WebStore) EvaluationActivity(ctx context.Context, evaluationID domain.ID) (ports.EvaluationActivity, error) {
	row, err := w.q.EvaluationActivity(ctx, pgID(evaluationID))
	if err != nil {
		return ports.EvaluationActivity{}, translate(err)
	}
	a := ports.EvaluationActivity{Responses: row.Responses, Comparisons: row.Comparisons}
	if row.LastResponse.Valid {
		id := domain.ID(row.LastResponse.Bytes)
		a.LastResponse = &id
	}
	if row.LastComparison.Valid {
		id := domain.ID(row.LastComparison.Bytes)
		a.LastComparison = &id
	}
	return a, nil
}

// EvaluationModels returns an evaluation's first models in order.
func (w *WebStore) EvaluationModels(ctx context.Context, evaluationID domain.ID, limit int) ([]string, error) {
	ms, err := w.q.EvaluationModels(ctx, dbsqlc.EvaluationModelsParams{EvaluationID: pgID(evaluationID), Lim: int32(limit)})
	return ms, translate(err)
}

// SearchResponseIDs returns a keyset page of response ids. With a scorer it walks
// that scorer's scores; otherwise the responses. A text search reads at most
// q.Scan candidates and keeps those that match.
func (w *WebStore) SearchResponseIDs(ctx context.Context, q ports.ResponseSearch) (ports.ResponseHits, error) {
	if q.Pattern != nil {
		return w.scanResponses(ctx, q)
	}
	var rows []pgtype.UUID
	var err error
	ev, lim := pgID(q.EvaluationID), int32(q.Limit)
	if q.Scorer != nil && (q.Min != nil || q.Max != nil) {
		hits, ok, err := w.searchScoreRange(ctx, q)
		if ok || err != nil {
			return hits, err
		}
	}
	switch {
	case q.Scorer != nil && q.Before != nil:
		rows, err = w.q.SearchScoredResponsesBackward(ctx, dbsqlc.SearchScoredResponsesBackwardParams{
			EvaluationID: ev, Scorer: *q.Scorer, Passed: q.Passed, MinValue: q.Min, MaxValue: q.Max,
			Model: q.Model, Before: pgID(*q.Before), Lim: lim,
		})
	case q.Scorer != nil:
		rows, err = w.q.SearchScoredResponsesForward(ctx, dbsqlc.SearchScoredResponsesForwardParams{
			EvaluationID: ev, Scorer: *q.Scorer, Passed: q.Passed, MinValue: q.Min, MaxValue: q.Max,
			Model: q.Model, After: optID(q.After), Lim: lim,
		})
	case q.Before != nil:
		rows, err = w.q.SearchResponsesBackward(ctx, dbsqlc.SearchResponsesBackwardParams{
			EvaluationID: ev, Model: q.Model, Before: pgID(*q.Before), Lim: lim,
		})
	default:
		rows, err = w.q.SearchResponsesForward(ctx, dbsqlc.SearchResponsesForwardParams{
			EvaluationID: ev, Model: q.Model, After: optID(q.After), Lim: lim,
		})
	}
	if err != nil {
		return ports.ResponseHits{}, translate(err)
	}
	return ports.ResponseHits{IDs: fromPgIDs(rows)}, nil
}

// scoreRangeRows is how many scores in a value range SearchResponseIDs takes by
// the value index and pages through itself. A range holding more is common enough
// that the walk in response order meets a page of them soon: 26 in 10,000 of a
// million scores means reading about 2,600.
const scoreRangeRows = 10_000

// searchScoreRange answers a search with a score range that at most
// scoreRangeRows scores fall in from those scores, found by scores_value_idx; ok
// is false when the range holds more, for the walk in response order.
func (w *WebStore) searchScoreRange(ctx context.Context, q ports.ResponseSearch) (hits ports.ResponseHits, ok bool, err error) {
	ev, lo, hi := pgID(q.EvaluationID), math.Inf(-1), math.NaN() // NaN: above every number in PostgreSQL's order
	if q.Min != nil {
		lo = *q.Min
	}
	if q.Max != nil {
		hi = *q.Max
	}
	n, err := w.q.CountScoreRange(ctx, dbsqlc.CountScoreRangeParams{EvaluationID: ev, Scorer: *q.Scorer, MinValue: lo, MaxValue: hi, Lim: scoreRangeRows + 1})
	if err != nil || n > scoreRangeRows {
		return hits, false, translate(err)
	}
	var rows []pgtype.UUID
	if q.Before != nil {
		rows, err = w.q.SearchScoreRangeBackward(ctx, dbsqlc.SearchScoreRangeBackwardParams{
			EvaluationID: ev, Scorer: *q.Scorer, MinValue: lo, MaxValue: hi, RangeRows: scoreRangeRows,
			Passed: q.Passed, Model: q.Model, Before: pgID(*q.Before), Lim: int32(q.Limit),
		})
	} else {
		rows, err = w.q.SearchScoreRangeForward(ctx, dbsqlc.SearchScoreRangeForwardParams{
			EvaluationID: ev, Scorer: *q.Scorer, MinValue: lo, MaxValue: hi, RangeRows: scoreRangeRows,
			Passed: q.Passed, Model: q.Model, After: optID(q.After), Lim: int32(q.Limit),
		})
	}
	if err != nil {
		return hits, false, translate(err)
	}
	return ports.ResponseHits{IDs: fromPgIDs(rows)}, true, nil
}

// scan is one candidate of a text search.
type scan struct {
	id  pgtype.UUID
	hit bool
}

func (w *WebStore) scanResponses(ctx context.Context, q ports.ResponseSearch) (ports.ResponseHits, error) {
	var cands []scan
	ev, n, pat := pgID(q.EvaluationID), int32(q.Scan), *q.Pattern
	switch {
	case q.Scorer != nil && q.Before != nil:
		rows, err := w.q.ScanScoredResponsesBackward(ctx, dbsqlc.ScanScoredResponsesBackwardParams{
			EvaluationID: ev, Scorer: *q.Scorer, Passed: q.Passed, MinValue: q.Min, MaxValue: q.Max,
			Model: q.Model, Pattern: pat, Before: pgID(*q.Before), ScanRows: n,
		})
		if err != nil {
			return ports.ResponseHits{}, translate(err)
		}
		for _, r := range rows {
			cands = append(cands, scan{r.ResponseID, r.Hit})
		}
	case q.Scorer != nil:
		rows, err := w.q.ScanScoredResponsesForward(ctx, dbsqlc.ScanScoredResponsesForwardParams{
			EvaluationID: ev, Scorer: *q.Scorer, Passed: q.Passed, MinValue: q.Min, MaxValue: q.Max,
			Model: q.Model, Pattern: pat, After: optID(q.After), ScanRows: n,
		})
		if err != nil {
			return ports.ResponseHits{}, translate(err)
		}
		for _, r := range rows {
			cands = append(cands, scan{r.ResponseID, r.Hit})
		}
	case q.Before != nil:
		rows, err := w.q.ScanResponsesBackward(ctx, dbsqlc.ScanResponsesBackwardParams{
			EvaluationID: ev, Model: q.Model, Pattern: pat, Before: pgID(*q.Before), ScanRows: n,
		})
		if err != nil {
			return ports.ResponseHits{}, translate(err)
		}
		for _, r := range rows {
			cands = append(cands, scan{r.ID, r.Hit})
		}
	default:
		rows, err := w.q.ScanResponsesForward(ctx, dbsqlc.ScanResponsesForwardParams{
			EvaluationID: ev, Model: q.Model, Pattern: pat, After: optID(q.After), ScanRows: n,
		})
		if err != nil {
			return ports.ResponseHits{}, translate(err)
		}
		for _, r := range rows {
			cands = append(cands, scan{r.ID, r.Hit})
		}
	}
	var out ports.ResponseHits
	for _, c := range cands {
		if c.hit {
			out.IDs = append(out.IDs, domain.ID(c.id.Bytes))
			if len(out.IDs) == q.Limit {
				return out, nil
			}
		}
	}
	if len(cands) == q.Scan && len(cands) > 0 {
		last := domain.ID(cands[len(cands)-1].id.Bytes)
		out.ScannedTo = &last
	}
	return out, nil
}
