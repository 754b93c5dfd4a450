-- +goose Up
-- A judge is a named, versioned configuration: posting a name with a different
-- configuration adds version n+1 and keeps every earlier one, so each stored
-- verdict points at the exact configuration (endpoint, template, parser, order,
-- params) it came from. config is the canonical JSON; config_hash its SHA-256, by
-- which an identical re-post finds the version it already has.
CREATE TABLE judges (
    name        text        NOT NULL,
    version     integer     NOT NULL,
    kind        text        NOT NULL,
    config      jsonb       NOT NULL,
    config_hash bytea       NOT NULL,
    created_at  timestamptz NOT NULL,
    PRIMARY KEY (name, version),
    CONSTRAINT judges_config_key UNIQUE (name, config_hash),
    CONSTRAINT judges_version_positive CHECK (version > 0),
    CONSTRAINT judges_kind_known CHECK (kind IN ('pairwise', 'pointwise', 'reward')),
    CONSTRAINT judges_config_object CHECK (jsonb_typeof(config) = 'object'),
    CONSTRAINT judges_config_hash_len CHECK (octet_length(config_hash) = 32)
);

-- +goose Down
DROP TABLE judges;
