-- name: CreateResponsesStage :exec
CREATE TEMPORARY TABLE IF NOT EXISTS responses_stage (
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

-- name: CreateScoresStage :exec
CREATE TEMPORARY TABLE IF NOT EXISTS scores_stage (
    evaluation_id uuid             NOT NULL,
    response_id   uuid             NOT NULL,
    scorer        text             NOT NULL,
    model         text             NOT NULL,
    prompt_id     text             NOT NULL,
    value         double precision,
    passed        boolean,
    details       jsonb            NOT NULL,
    error         text,
    created_at    timestamptz      NOT NULL
);

-- name: CopyResponsesToStage :copyfrom
INSERT INTO responses_stage (ord, evaluation_id, id, external_id, prompt_id, model, prompt, context, response, reference, metadata, created_at)
VALUES (@ord, @evaluation_id, @id, @external_id, @prompt_id, @model, @prompt, @context, @response, @reference, @metadata, @created_at);

-- name: CopyScoresToStage :copyfrom
INSERT INTO scores_stage (evaluation_id, response_id, scorer, model, prompt_id, value, passed, details, error, created_at)
VALUES (@evaluation_id, @response_id, @scorer, @model, @prompt_id, @value, @passed, @details, @error, @created_at);

-- name: InsertStagedResponses :many
-- Moves the staged batch in input order; rows whose external_id exists are skipped
-- (the caller then reads the stored ones), which keeps re-posting idempotent.
INSERT INTO responses (evaluation_id, id, external_id, prompt_id, model, prompt, context, response, reference, metadata, created_at, updated_at)
SELECT evaluation_id, id, external_id, prompt_id, model, prompt, context, response, reference, metadata, created_at, created_at
FROM responses_stage
ORDER BY ord
ON CONFLICT (evaluation_id, external_id) DO NOTHING
RETURNING id;

-- name: InsertStagedScores :execrows
-- Only scores of responses inserted by this batch: their ids are new, so they exist
-- in responses exactly when their response was inserted.
INSERT INTO scores (evaluation_id, response_id, scorer, model, prompt_id, value, passed, details, error, created_at)
SELECT s.evaluation_id, s.response_id, s.scorer, s.model, s.prompt_id, s.value, s.passed, s.details, s.error, s.created_at
FROM scores_stage s
WHERE s.response_id = ANY(@inserted::uuid[]);

-- name: GetResponsesByExternalID :many
SELECT * FROM responses
WHERE evaluation_id = @evaluation_id AND external_id = ANY(@external_ids::text[]);

-- name: GetResponses :many
SELECT * FROM responses
WHERE evaluation_id = @evaluation_id AND id = ANY(@ids::uuid[]);

-- name: ScoresOfResponses :many
SELECT * FROM scores
WHERE evaluation_id = @evaluation_id AND response_id = ANY(@response_ids::uuid[])
ORDER BY response_id, created_at, scorer;

-- The list queries filter by optional model, prompt_id and scorer(+passed). The pool
-- sends statements unnamed, so each is planned with its actual parameters: the
-- planner drops the filters that are off and picks the matching index.

-- name: ListResponsesAsc :many
SELECT * FROM responses r
WHERE r.evaluation_id = @evaluation_id
  AND (sqlc.narg(model)::text IS NULL OR r.model = sqlc.narg(model))
  AND (sqlc.narg(prompt_id)::text IS NULL OR r.prompt_id = sqlc.narg(prompt_id))
  AND (sqlc.narg(after_id)::uuid IS NULL OR r.id > sqlc.narg(after_id))
ORDER BY r.id
LIMIT @lim;

-- name: ListResponsesDesc :many
SELECT * FROM responses r
WHERE r.evaluation_id = @evaluation_id
  AND (sqlc.narg(model)::text IS NULL OR r.model = sqlc.narg(model))
  AND (sqlc.narg(prompt_id)::text IS NULL OR r.prompt_id = sqlc.narg(prompt_id))
  AND (sqlc.narg(after_id)::uuid IS NULL OR r.id < sqlc.narg(after_id))
ORDER BY r.id DESC
LIMIT @lim;

-- The scorer filter is a join (one score per response and scorer), not an optional
-- EXISTS: an EXISTS under OR is never turned into a join and would scan every score.

-- name: ListResponsesByScorerAsc :many
SELECT sqlc.embed(r) FROM responses r
JOIN scores s ON s.evaluation_id = r.evaluation_id AND s.response_id = r.id AND s.scorer = @scorer
WHERE r.evaluation_id = @evaluation_id
  AND (sqlc.narg(passed)::boolean IS NULL OR s.passed = sqlc.narg(passed))
  AND (sqlc.narg(model)::text IS NULL OR r.model = sqlc.narg(model))
  AND (sqlc.narg(prompt_id)::text IS NULL OR r.prompt_id = sqlc.narg(prompt_id))
  AND (sqlc.narg(after_id)::uuid IS NULL OR r.id > sqlc.narg(after_id))
ORDER BY r.id
LIMIT @lim;

-- name: ListResponsesByScorerDesc :many
SELECT sqlc.embed(r) FROM responses r
JOIN scores s ON s.evaluation_id = r.evaluation_id AND s.response_id = r.id AND s.scorer = @scorer
WHERE r.evaluation_id = @evaluation_id
  AND (sqlc.narg(passed)::boolean IS NULL OR s.passed = sqlc.narg(passed))
  AND (sqlc.narg(model)::text IS NULL OR r.model = sqlc.narg(model))
  AND (sqlc.narg(prompt_id)::text IS NULL OR r.prompt_id = sqlc.narg(prompt_id))
  AND (sqlc.narg(after_id)::uuid IS NULL OR r.id < sqlc.narg(after_id))
ORDER BY r.id DESC
LIMIT @lim;

-- name: DeleteResponse :one
DELETE FROM responses WHERE evaluation_id = @evaluation_id AND id = @id RETURNING model;

-- The fast path of bulk ingest copies straight into the tables, inside a savepoint;
-- the app has already left out external ids that are stored, so a unique violation
-- means a concurrent request stored one first, and that chunk goes through the
-- staging tables and ON CONFLICT instead.

-- name: CopyResponses :copyfrom
INSERT INTO responses (evaluation_id, id, external_id, prompt_id, model, prompt, context, response, reference, metadata, created_at, updated_at)
VALUES (@evaluation_id, @id, @external_id, @prompt_id, @model, @prompt, @context, @response, @reference, @metadata, @created_at, @updated_at);

-- name: CopyScores :copyfrom
INSERT INTO scores (evaluation_id, response_id, scorer, model, prompt_id, value, passed, details, error, created_at)
VALUES (@evaluation_id, @response_id, @scorer, @model, @prompt_id, @value, @passed, @details, @error, @created_at);

-- name: ClearStage :exec
TRUNCATE responses_stage, scores_stage;
