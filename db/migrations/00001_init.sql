-- +goose Up
-- Every table that grows with the data (responses, scores, comparisons) carries
-- evaluation_id and leads its keys with it, so the tables can later be distributed by
-- evaluation (Citus) without rewriting queries.

CREATE TABLE evaluations (
    id          uuid        PRIMARY KEY,
    name        text        NOT NULL,
    description text        NOT NULL DEFAULT '',
    scorers     jsonb       NOT NULL DEFAULT '[]',
    metadata    jsonb       NOT NULL DEFAULT '{}',
    created_at  timestamptz NOT NULL,
    updated_at  timestamptz NOT NULL,
    CONSTRAINT evaluations_name_key UNIQUE (name),
    CONSTRAINT evaluations_scorers_array CHECK (jsonb_typeof(scorers) = 'array'),
    CONSTRAINT evaluations_metadata_object CHECK (jsonb_typeof(metadata) = 'object')
);
CREATE INDEX evaluations_created_idx ON evaluations (created_at, id);
CREATE INDEX evaluations_updated_idx ON evaluations (updated_at, id);

CREATE TABLE responses (
    evaluation_id uuid        NOT NULL REFERENCES evaluations (id) ON DELETE CASCADE,
    id            uuid        NOT NULL,
    external_id   text,
    prompt_id     text        NOT NULL,
    model         text        NOT NULL,
    prompt        text        NOT NULL,
    context       jsonb,
    response      text        NOT NULL,
    reference     text,
    metadata      jsonb       NOT NULL DEFAULT '{}',
    created_at    timestamptz NOT NULL,
    updated_at    timestamptz NOT NULL,
    PRIMARY KEY (evaluation_id, id),
    CONSTRAINT responses_external_id_key UNIQUE (evaluation_id, external_id)
);
CREATE INDEX responses_model_idx ON responses (evaluation_id, model, id);
CREATE INDEX responses_prompt_idx ON responses (evaluation_id, prompt_id, id);

CREATE TABLE scores (
    evaluation_id uuid             NOT NULL,
    response_id   uuid             NOT NULL,
    scorer        text             NOT NULL,
    -- model and prompt_id are copied from the response (responses are immutable)
    -- so per-model summaries and prompt-paired diffs need no join.
    model         text             NOT NULL,
    prompt_id     text             NOT NULL,
    value         double precision,
    passed        boolean,
    details       jsonb            NOT NULL DEFAULT '{}',
    error         text,
    created_at    timestamptz      NOT NULL,
    PRIMARY KEY (evaluation_id, response_id, scorer),
    FOREIGN KEY (evaluation_id, response_id) REFERENCES responses (evaluation_id, id) ON DELETE CASCADE,
    CONSTRAINT scores_value_or_error CHECK ((value IS NULL) <> (error IS NULL))
);
CREATE INDEX scores_scorer_idx ON scores (evaluation_id, scorer, passed, response_id);
CREATE INDEX scores_prompt_idx ON scores (evaluation_id, scorer, prompt_id);

CREATE TABLE comparisons (
    evaluation_id  uuid             NOT NULL REFERENCES evaluations (id) ON DELETE CASCADE,
    id             uuid             NOT NULL,
    external_id    text,
    response_a_id  uuid             NOT NULL,
    response_b_id  uuid             NOT NULL,
    -- model_a, model_b and prompt_id are copied from the responses (immutable) so
    -- leaderboards aggregate without joins.
    model_a        text             NOT NULL,
    model_b        text             NOT NULL,
    prompt_id      text             NOT NULL,
    preference     double precision NOT NULL,
    annotator      text             NOT NULL DEFAULT '',
    annotator_kind text             NOT NULL,
    rationale      text             NOT NULL DEFAULT '',
    metadata       jsonb            NOT NULL DEFAULT '{}',
    created_at     timestamptz      NOT NULL,
    updated_at     timestamptz      NOT NULL,
    -- The unordered pair of responses and the preference for its second member, so
    -- judgements of one pair by several annotators (in either orientation) group
    -- together for agreement and export.
    pair_lo        uuid             GENERATED ALWAYS AS (LEAST(response_a_id, response_b_id)) STORED,
    pair_hi        uuid             GENERATED ALWAYS AS (GREATEST(response_a_id, response_b_id)) STORED,
    preference_hi  double precision GENERATED ALWAYS AS (CASE WHEN response_a_id < response_b_id THEN preference ELSE 1 - preference END) STORED,
    PRIMARY KEY (evaluation_id, id),
    CONSTRAINT comparisons_external_id_key UNIQUE (evaluation_id, external_id),
    -- The composite keys also make a comparison across evaluations impossible.
    FOREIGN KEY (evaluation_id, response_a_id) REFERENCES responses (evaluation_id, id) ON DELETE CASCADE,
    FOREIGN KEY (evaluation_id, response_b_id) REFERENCES responses (evaluation_id, id) ON DELETE CASCADE,
    CONSTRAINT comparisons_preference_range CHECK (preference >= 0 AND preference <= 1),
    CONSTRAINT comparisons_distinct_responses CHECK (response_a_id <> response_b_id),
    CONSTRAINT comparisons_annotator_kind CHECK (annotator_kind IN ('human', 'model', 'heuristic'))
);
CREATE INDEX comparisons_response_a_idx ON comparisons (evaluation_id, response_a_id);
CREATE INDEX comparisons_response_b_idx ON comparisons (evaluation_id, response_b_id);
CREATE INDEX comparisons_annotator_idx ON comparisons (evaluation_id, annotator, id);
CREATE INDEX comparisons_model_a_idx ON comparisons (evaluation_id, model_a, id);
CREATE INDEX comparisons_model_b_idx ON comparisons (evaluation_id, model_b, id);
-- Leaderboards aggregate (model_a, model_b, preference) counts from this index alone.
CREATE INDEX comparisons_outcome_idx ON comparisons (evaluation_id, annotator_kind, model_a, model_b, preference);
CREATE INDEX comparisons_pair_idx ON comparisons (evaluation_id, pair_lo, pair_hi);

CREATE TABLE api_keys (
    id           uuid        PRIMARY KEY,
    name         text        NOT NULL,
    prefix       text        NOT NULL,
    hash         bytea       NOT NULL,
    scopes       text[]      NOT NULL,
    created_at   timestamptz NOT NULL,
    last_used_at timestamptz,
    expires_at   timestamptz,
    revoked_at   timestamptz,
    CONSTRAINT api_keys_hash_key UNIQUE (hash),
    CONSTRAINT api_keys_hash_len CHECK (octet_length(hash) = 32),
    CONSTRAINT api_keys_scopes_known CHECK (scopes <@ ARRAY['read', 'write', 'admin'] AND cardinality(scopes) > 0)
);

-- +goose Down
DROP TABLE api_keys;
DROP TABLE comparisons;
DROP TABLE scores;
DROP TABLE responses;
DROP TABLE evaluations;
