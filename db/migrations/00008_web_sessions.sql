-- +goose Up
-- Dashboard sign-in sessions. Only the SHA-256 of the session token is stored, as
-- for API keys, so a copy of this table signs nobody in. A session acts with its
-- API key's scopes; revoking or expiring the key ends it (checked on every use),
-- and deleting the key deletes it.
CREATE TABLE web_sessions (
    token_hash bytea       PRIMARY KEY,
    api_key_id uuid        NOT NULL REFERENCES api_keys (id) ON DELETE CASCADE,
    -- The token every form that changes data must carry (synchronizer pattern).
    csrf_token text        NOT NULL,
    created_at timestamptz NOT NULL,
    expires_at timestamptz NOT NULL,
    CONSTRAINT web_sessions_hash_len CHECK (octet_length(token_hash) = 32)
);
CREATE INDEX web_sessions_expires_idx ON web_sessions (expires_at);
CREATE INDEX web_sessions_key_idx ON web_sessions (api_key_id);

-- +goose Down
DROP TABLE web_sessions;
