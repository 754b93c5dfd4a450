-- name: CreateEvaluation :exec
INSERT INTO evaluations (id, name, description, scorers, metadata, created_at, updated_at)
VALUES (@id, @name, @description, @scorers, @metadata, @created_at, @updated_at);

-- name: GetEvaluation :one
SELECT * FROM evaluations WHERE id = @id AND deleted_at IS NULL;

-- name: GetEvaluationByName :one
SELECT * FROM evaluations WHERE name = @name AND deleted_at IS NULL;

-- name: UpdateEvaluation :execrows
UPDATE evaluations
SET name = @name, description = @description, scorers = @scorers, metadata = @metadata, updated_at = @updated_at
WHERE id = @id AND deleted_at IS NULL;

-- name: DeleteEvaluation :execrows
DELETE FROM evaluations WHERE id = @id;

-- Keyset pages, one query per allowed ordering so each can use its index. Deleted
-- evaluations (being purged) are invisible everywhere.

-- name: ListEvaluationsCreatedAsc :many
SELECT * FROM evaluations
WHERE deleted_at IS NULL
  AND (sqlc.narg(after_time)::timestamptz IS NULL OR (created_at, id) > (sqlc.narg(after_time), @after_id::uuid))
ORDER BY created_at, id
LIMIT @lim;

-- name: ListEvaluationsCreatedDesc :many
SELECT * FROM evaluations
WHERE deleted_at IS NULL
  AND (sqlc.narg(after_time)::timestamptz IS NULL OR (created_at, id) < (sqlc.narg(after_time), @after_id::uuid))
ORDER BY created_at DESC, id DESC
LIMIT @lim;

-- name: ListEvaluationsUpdatedAsc :many
SELECT * FROM evaluations
WHERE deleted_at IS NULL
  AND (sqlc.narg(after_time)::timestamptz IS NULL OR (updated_at, id) > (sqlc.narg(after_time), @after_id::uuid))
ORDER BY updated_at, id
LIMIT @lim;

-- name: ListEvaluationsUpdatedDesc :many
SELECT * FROM evaluations
WHERE deleted_at IS NULL
  AND (sqlc.narg(after_time)::timestamptz IS NULL OR (updated_at, id) < (sqlc.narg(after_time), @after_id::uuid))
ORDER BY updated_at DESC, id DESC
LIMIT @lim;

-- name: ListEvaluationsNameAsc :many
SELECT * FROM evaluations
WHERE deleted_at IS NULL
  AND (sqlc.narg(after_name)::text IS NULL OR name > sqlc.narg(after_name))
ORDER BY name
LIMIT @lim;

-- name: ListEvaluationsNameDesc :many
SELECT * FROM evaluations
WHERE deleted_at IS NULL
  AND (sqlc.narg(after_name)::text IS NULL OR name < sqlc.narg(after_name))
ORDER BY name DESC
LIMIT @lim;
