package postgres

import (
	"context"
	"time"

	"github.com/rlhf-eval/rlhf-eval/internal/adapters/postgres/internal/dbsqlc"
	"github.com/rlhf-eval/rlhf-eval/internal/domain"
	"github.com/rlhf-eval/rlhf-eval/internal/ports"
)

// APIKeyStore stores API keys (their hashes, never their secrets).
type APIKeyStore struct {
	db dbtx
	q  *dbsqlc.Queries
}

var _ ports.APIKeyStore = (*APIKeyStore)(nil)

// CreateAPIKey inserts k.
func (s *APIKeyStore) CreateAPIKey(ctx context.Context, k domain.APIKey) error {
	scopes := make([]string, len(k.Scopes))
	for i, sc := range k.Scopes {
		scopes[i] = string(sc)
	}
	return translate(s.q.CreateAPIKey(ctx, dbsqlc.CreateAPIKeyParams{
		ID: pgID(k.ID), Name: k.Name, Prefix: k.Prefix, Hash: k.Hash[:], Scopes: scopes,
		CreatedAt: k.CreatedAt, ExpiresAt: k.ExpiresAt,
	}))
}

// GetAPIKeyByHash finds a key by the SHA-256 of its token.
func (s *APIKeyStore) GetAPIKeyByHash(ctx context.Context, hash [32]byte) (domain.APIKey, error) {
	row, err := dbsqlc.New(prepared{s.db}).GetAPIKeyByHash(ctx, hash[:])
	if err != nil {
		return domain.APIKey{}, translate(err)
	}
	return toAPIKey(row), nil
}

// GetAPIKey finds a key by id.
func (s *APIKeyStore) GetAPIKey(ctx context.Context, id domain.ID) (domain.APIKey, error) {
	row, err := s.q.GetAPIKey(ctx, pgID(id))
	if err != nil {
		return domain.APIKey{}, translate(err)
	}
	return toAPIKey(row), nil
}

// ListAPIKeys returns a page of keys in creation order.
func (s *APIKeyStore) ListAPIKeys(ctx context.Context, after *domain.ID, limit int) ([]domain.APIKey, error) {
	rows, err := s.q.ListAPIKeys(ctx, dbsqlc.ListAPIKeysParams{AfterID: optID(after), Lim: int32(limit)})
	if err != nil {
		return nil, translate(err)
	}
	out := make([]domain.APIKey, len(rows))
	for i, r := range rows {
		out[i] = toAPIKey(r)
	}
	return out, nil
}

// RevokeAPIKey marks a key revoked; revoking again keeps the first time.
func (s *APIKeyStore) RevokeAPIKey(ctx context.Context, id domain.ID, t time.Time) error {
	n, err := s.q.RevokeAPIKey(ctx, dbsqlc.RevokeAPIKeyParams{ID: pgID(id), RevokedAt: &t})
	if err != nil {
		return translate(err)
	}
	if n == 0 {
		return domain.ErrNotFound
	}
	return nil
}

// TouchAPIKey records a use, at most about once a minute.
func (s *APIKeyStore) TouchAPIKey(ctx context.Context, id domain.ID, t time.Time) error {
	stale := t.Add(-time.Minute)
	return translate(s.q.TouchAPIKey(ctx, dbsqlc.TouchAPIKeyParams{ID: pgID(id), UsedAt: &t, StaleBefore: &stale}))
}
