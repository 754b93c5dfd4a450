-- Staging tables for bulk ingest. They are not migrations: the postgres adapter
-- creates them as TEMPORARY tables, once per connection, and empties them with
-- TRUNCATE before each use (not ON COMMIT DELETE ROWS, which would truncate them at
-- every commit on the connection). A chunk goes through them only when a concurrent
-- request stored one of its external ids first: COPY in, then INSERT ... SELECT ...
-- ON CONFLICT. sqlc reads this file only to type-check the queries that use them; the
-- statements that create them at run time live in db/queries/responses.sql and
-- db/queries/comparisons.sql and must match.

CREATE TABLE responses_stage (
    ord           int         NOT NULL,
    evaluation_id uuid        NOT NULL,
    id            uuid        NOT NULL,
    external_id   text,
    prompt_id     text        NOT NULL,
    model         text        NOT NULL,
    prompt        text        NOT NULL,
    context       jsonb,
    response      text        NOT NULL,
    reference     text,
    metadata      jsonb       NOT NULL,
    created_at    timestamptz NOT NULL
);

CREATE TABLE comparisons_stage (
    ord            int              NOT NULL,
    evaluation_id  uuid             NOT NULL,
    id             uuid             NOT NULL,
    external_id    text,
    response_a_id  uuid             NOT NULL,
    response_b_id  uuid             NOT NULL,
    model_a        text             NOT NULL,
    model_b        text             NOT NULL,
    prompt_id      text             NOT NULL,
    preference     double precision NOT NULL,
    annotator      text             NOT NULL,
    annotator_kind text             NOT NULL,
    rationale      text             NOT NULL,
    metadata       jsonb            NOT NULL,
    created_at     timestamptz      NOT NULL
);
