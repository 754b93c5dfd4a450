-- +goose Up
-- Idempotency-Key records (Stripe's semantics): the first request's reply is kept
-- for 24 hours and replayed to retries with the same key and body.
CREATE TABLE idempotency_keys (
    api_key_id    uuid        NOT NULL REFERENCES api_keys (id) ON DELETE CASCADE,
    key           text        NOT NULL,
    method        text        NOT NULL,
    path          text        NOT NULL,
    request_hash  bytea       NOT NULL,
    -- NULL status: the first request is still running.
    status        int,
    content_type  text,
    body          bytea,
    location      text,
    created_at    timestamptz NOT NULL,
    expires_at    timestamptz NOT NULL,
    PRIMARY KEY (api_key_id, key)
);
CREATE INDEX idempotency_keys_expires_idx ON idempotency_keys (expires_at);

-- Token buckets for per-key rate limiting, kept in the database so that every
-- service process draws from the same bucket.
CREATE TABLE rate_buckets (
    api_key_id uuid             PRIMARY KEY REFERENCES api_keys (id) ON DELETE CASCADE,
    tokens     double precision NOT NULL,
    -- granted records whether the latest request got a token, so the upsert can
    -- report it from the row it locked.
    granted    boolean          NOT NULL,
    updated_at timestamptz      NOT NULL
);

-- +goose Down
DROP TABLE rate_buckets;
DROP TABLE idempotency_keys;
