-- name: CreateComparisonsStage :exec
CREATE TEMPORARY TABLE IF NOT EXISTS comparisons_stage (
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

-- name: CopyComparisonsToStage :copyfrom
INSERT INTO comparisons_stage (ord, evaluation_id, id, external_id, response_a_id, response_b_id, model_a, model_b, prompt_id, preference, annotator, annotator_kind, rationale, metadata, created_at)
VALUES (@ord, @evaluation_id, @id, @external_id, @response_a_id, @response_b_id, @model_a, @model_b, @prompt_id, @preference, @annotator, @annotator_kind, @rationale, @metadata, @created_at);

-- name: InsertStagedComparisons :many
INSERT INTO comparisons (evaluation_id, id, external_id, response_a_id, response_b_id, model_a, model_b, prompt_id, preference, annotator, annotator_kind, rationale, metadata, created_at, updated_at)
SELECT evaluation_id, id, external_id, response_a_id, response_b_id, model_a, model_b, prompt_id, preference, annotator, annotator_kind, rationale, metadata, created_at, created_at
FROM comparisons_stage
ORDER BY ord
ON CONFLICT (evaluation_id, external_id) DO NOTHING
RETURNING id;

-- name: GetComparisonsByExternalID :many
SELECT * FROM comparisons
WHERE evaluation_id = @evaluation_id AND external_id = ANY(@external_ids::text[]);

-- name: GetComparisons :many
SELECT * FROM comparisons
WHERE evaluation_id = @evaluation_id AND id = ANY(@ids::uuid[]);

-- name: ListComparisonsAsc :many
SELECT * FROM comparisons c
WHERE c.evaluation_id = @evaluation_id
  AND (sqlc.narg(annotator)::text IS NULL OR c.annotator = sqlc.narg(annotator))
  AND (sqlc.narg(annotator_kind)::text IS NULL OR c.annotator_kind = sqlc.narg(annotator_kind))
  AND (sqlc.narg(model)::text IS NULL OR c.model_a = sqlc.narg(model) OR c.model_b = sqlc.narg(model))
  AND (sqlc.narg(after_id)::uuid IS NULL OR c.id > sqlc.narg(after_id))
ORDER BY c.id
LIMIT @lim;

-- name: ListComparisonsDesc :many
SELECT * FROM comparisons c
WHERE c.evaluation_id = @evaluation_id
  AND (sqlc.narg(annotator)::text IS NULL OR c.annotator = sqlc.narg(annotator))
  AND (sqlc.narg(annotator_kind)::text IS NULL OR c.annotator_kind = sqlc.narg(annotator_kind))
  AND (sqlc.narg(model)::text IS NULL OR c.model_a = sqlc.narg(model) OR c.model_b = sqlc.narg(model))
  AND (sqlc.narg(after_id)::uuid IS NULL OR c.id < sqlc.narg(after_id))
ORDER BY c.id DESC
LIMIT @lim;

-- name: DeleteComparison :execrows
DELETE FROM comparisons WHERE evaluation_id = @evaluation_id AND id = @id;

-- name: CopyComparisons :copyfrom
INSERT INTO comparisons (evaluation_id, id, external_id, response_a_id, response_b_id, model_a, model_b, prompt_id, preference, annotator, annotator_kind, rationale, metadata, created_at, updated_at)
VALUES (@evaluation_id, @id, @external_id, @response_a_id, @response_b_id, @model_a, @model_b, @prompt_id, @preference, @annotator, @annotator_kind, @rationale, @metadata, @created_at, @updated_at);

-- name: ClearComparisonsStage :exec
TRUNCATE comparisons_stage;
