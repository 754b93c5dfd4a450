package postgres

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/rlhf-eval/rlhf-eval/internal/adapters/postgres/internal/dbsqlc"
	"github.com/rlhf-eval/rlhf-eval/internal/domain"
	"github.com/rlhf-eval/rlhf-eval/internal/ports"
)

// LimitStore keeps Idempotency-Key records and rate-limit buckets in the database,
// so every service process sees the same ones.
type LimitStore struct {
	q *dbsqlc.Queries
}

var (
	_ ports.IdempotencyStore = (*LimitStore)(nil)
	_ ports.RateLimitStore   = (*LimitStore)(nil)
)

// ClaimIdempotencyKey inserts an in-progress record unless an unexpired one exists.
func (s *LimitStore) ClaimIdempotencyKey(ctx context.Context, r ports.IdempotencyRecord) (bool, error) {
	_, err := s.q.ClaimIdempotencyKey(ctx, dbsqlc.ClaimIdempotencyKeyParams{
		ApiKeyID: pgID(r.APIKeyID), Key: r.Key, Method: r.Method, Path: r.Path, RequestHash: r.RequestHash,
		CreatedAt: r.CreatedAt, ExpiresAt: r.ExpiresAt,
	})
	if errors.Is(err, pgx.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, translate(err)
	}
	return true, nil
}

// GetIdempotencyKey reads a record.
func (s *LimitStore) GetIdempotencyKey(ctx context.Context, apiKeyID domain.ID, key string) (ports.IdempotencyRecord, error) {
	row, err := s.q.GetIdempotencyKey(ctx, dbsqlc.GetIdempotencyKeyParams{ApiKeyID: pgID(apiKeyID), Key: key})
	if err != nil {
		return ports.IdempotencyRecord{}, translate(err)
	}
	r := ports.IdempotencyRecord{
		APIKeyID: domain.ID(row.ApiKeyID.Bytes), Key: row.Key, Method: row.Method, Path: row.Path, RequestHash: row.RequestHash,
		Body: row.Body, CreatedAt: row.CreatedAt, ExpiresAt: row.ExpiresAt,
	}
	if row.Status != nil {
		r.Status = int(*row.Status)
	}
	if row.ContentType != nil {
		r.ContentType = *row.ContentType
	}
	if row.Location != nil {
		r.Location = *row.Location
	}
	return r, nil
}

// CompleteIdempotencyKey stores the first request's reply.
func (s *LimitStore) CompleteIdempotencyKey(ctx context.Context, r ports.IdempotencyRecord) error {
	status := int32(r.Status)
	return translate(s.q.CompleteIdempotencyKey(ctx, dbsqlc.CompleteIdempotencyKeyParams{
		ApiKeyID: pgID(r.APIKeyID), Key: r.Key, Status: &status, ContentType: optString(r.ContentType), Body: r.Body,
		Location: optString(r.Location),
	}))
}

// ReleaseIdempotencyKey forgets an in-progress record.
func (s *LimitStore) ReleaseIdempotencyKey(ctx context.Context, apiKeyID domain.ID, key string) error {
	return translate(s.q.ReleaseIdempotencyKey(ctx, dbsqlc.ReleaseIdempotencyKeyParams{ApiKeyID: pgID(apiKeyID), Key: key}))
}

// DeleteExpiredIdempotencyKeys removes records past their expiry.
func (s *LimitStore) DeleteExpiredIdempotencyKeys(ctx context.Context, now time.Time) (int64, error) {
	n, err := s.q.DeleteExpiredIdempotencyKeys(ctx, now)
	return n, translate(err)
}

// TakeToken draws from a key's bucket.
func (s *LimitStore) TakeToken(ctx context.Context, apiKeyID domain.ID, rate, burst float64, now time.Time) (bool, float64, error) {
	row, err := s.q.TakeToken(ctx, dbsqlc.TakeTokenParams{ApiKeyID: pgID(apiKeyID), Burst: burst, Now: now, Rate: rate})
	if err != nil {
		return false, 0, translate(err)
	}
	return row.Granted, row.Tokens, nil
}
