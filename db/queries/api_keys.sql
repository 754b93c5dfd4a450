-- name: CreateAPIKey :exec
INSERT INTO api_keys (id, name, prefix, hash, scopes, created_at, expires_at)
VALUES (@id, @name, @prefix, @hash, @scopes, @created_at, @expires_at);

-- name: GetAPIKeyByHash :one
SELECT * FROM api_keys WHERE hash = @hash;

-- name: GetAPIKey :one
SELECT * FROM api_keys WHERE id = @id;

-- name: ListAPIKeys :many
SELECT * FROM api_keys
WHERE (sqlc.narg(after_id)::uuid IS NULL OR id > sqlc.narg(after_id))
ORDER BY id
LIMIT @lim;

-- name: RevokeAPIKey :execrows
UPDATE api_keys SET revoked_at = COALESCE(revoked_at, @revoked_at) WHERE id = @id;

-- name: TouchAPIKey :exec
UPDATE api_keys SET last_used_at = @used_at
WHERE id = @id AND (last_used_at IS NULL OR last_used_at < @stale_before);
