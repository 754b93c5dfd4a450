-- ClaimIdempotencyKey records a new key as in progress. It returns no row when the
-- key exists (unexpired): the caller then reads it. An expired record is replaced.

-- name: ClaimIdempotencyKey :one
INSERT INTO idempotency_keys (api_key_id, key, method, path, request_hash, created_at, expires_at)
VALUES ($1, $2, $3, $4, $5, $6, $7)
ON CONFLICT (api_key_id, key) DO UPDATE
SET method = EXCLUDED.method, path = EXCLUDED.path, request_hash = EXCLUDED.request_hash,
    status = NULL, content_type = NULL, body = NULL, location = NULL,
    created_at = EXCLUDED.created_at, expires_at = EXCLUDED.expires_at
WHERE idempotency_keys.expires_at <= EXCLUDED.created_at
RETURNING key;

-- name: GetIdempotencyKey :one
SELECT * FROM idempotency_keys WHERE api_key_id = $1 AND key = $2;

-- name: CompleteIdempotencyKey :exec
UPDATE idempotency_keys
SET status = $3, content_type = $4, body = $5, location = $6
WHERE api_key_id = $1 AND key = $2;

-- name: ReleaseIdempotencyKey :exec
DELETE FROM idempotency_keys WHERE api_key_id = $1 AND key = $2 AND status IS NULL;

-- name: DeleteExpiredIdempotencyKeys :execrows
DELETE FROM idempotency_keys WHERE expires_at <= @now;

-- TakeToken refills a key's bucket for the time since its last use (rate tokens a
-- second, up to burst) and takes one token if at least one is available. It returns
-- the tokens that were available: below 1 means the request must wait. The row lock
-- of the upsert serialises concurrent requests of one key across processes.

-- name: TakeToken :one
INSERT INTO rate_buckets AS b (api_key_id, tokens, granted, updated_at)
VALUES (sqlc.arg(api_key_id), sqlc.arg(burst)::float8 - 1, true, sqlc.arg(now)::timestamptz)
ON CONFLICT (api_key_id) DO UPDATE
SET tokens = LEAST(sqlc.arg(burst)::float8, b.tokens + GREATEST(0, EXTRACT(EPOCH FROM (sqlc.arg(now)::timestamptz - b.updated_at)))::float8 * sqlc.arg(rate)::float8)
             - CASE WHEN LEAST(sqlc.arg(burst)::float8, b.tokens + GREATEST(0, EXTRACT(EPOCH FROM (sqlc.arg(now)::timestamptz - b.updated_at)))::float8 * sqlc.arg(rate)::float8) >= 1 THEN 1 ELSE 0 END,
    granted = LEAST(sqlc.arg(burst)::float8, b.tokens + GREATEST(0, EXTRACT(EPOCH FROM (sqlc.arg(now)::timestamptz - b.updated_at)))::float8 * sqlc.arg(rate)::float8) >= 1,
    updated_at = GREATEST(b.updated_at, sqlc.arg(now)::timestamptz)
RETURNING granted, tokens;
