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

-- name: CopyResponsesToStage :copyfrom
INSERT INTO responses_stage (ord, evaluation_id, id, external_id, prompt_id, model, prompt, context, response, reference, metadata, created_at)
VALUES (@ord, @evaluation_id, @id, @external_id, @prompt_id, @model, @prompt, @context, @response, @reference, @metadata, @created_at);

-- name: InsertStagedResponses :many
-- Moves the staged batch in input order; rows whose external_id exists are skipped
-- (the caller then reads the stored ones), which keeps re-posting idempotent.
INSERT INTO responses (evaluation_id, id, external_id, prompt_id, model, prompt, context, response, reference, metadata, created_at, updated_at)
SELECT evaluation_id, id, external_id, prompt_id, model, prompt, context, response, reference, metadata, created_at, created_at
FROM responses_stage
ORDER BY ord
ON CONFLICT (evaluation_id, external_id) DO NOTHING
RETURNING id;

-- name: AddResponseCount :exec
-- Counts responses a transaction inserted (migration 00012).
SELECT add_response_count(@evaluation_id::uuid, @delta::bigint);

-- name: GetResponsesByExternalID :many
SELECT * FROM responses
WHERE evaluation_id = @evaluation_id AND external_id = ANY(@external_ids::text[]);

-- name: GetResponses :many
SELECT * FROM responses
WHERE evaluation_id = @evaluation_id AND id = ANY(@ids::uuid[]);

-- name: ScoresOfResponses :many
-- The responses' stored scores and, after each response's, the scores it is
-- still owed (pending: a scorer that runs later has not written them yet). One
-- statement, so reading a response costs the same round trips whether or not its
-- evaluation has, or ever had, scorers that run later: pending rows outlive a
-- change of scorers, so no configuration says that none exist.
SELECT s.response_id, s.scorer, s.value, s.passed, s.details, s.error, s.created_at,
       false AS pending, NULL::uuid AS job_id
FROM scores s
WHERE s.evaluation_id = @evaluation_id AND s.response_id = ANY(@response_ids::uuid[])
UNION ALL
SELECT p.response_id, p.scorer, NULL, NULL, NULL, NULL, p.created_at, true, p.job_id
FROM pending_scores p
WHERE p.evaluation_id = @evaluation_id AND p.response_id = ANY(@response_ids::uuid[])
ORDER BY response_id, pending, created_at, scorer;

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
TRUNCATE responses_stage;

-- InsertResponsesAtOnce writes a small batch in one statement, in one round trip,
-- without an explicit transaction: the responses whose external_id is new, their
-- scores, the scores folded into one rollup shard, and the responses counted. Every part of a statement
-- sees the same snapshot, so the rollups are computed from the rows the statement
-- inserts rather than read back. The rows arrive as JSON arrays of objects (JSON
-- null for SQL NULL; numbers in Go's shortest form, which convert back exactly).

-- name: InsertResponsesAtOnce :many
WITH r AS (
    SELECT (e->>'id')::uuid AS id, e->>'external_id' AS external_id, e->>'prompt_id' AS prompt_id,
           e->>'model' AS model, e->>'prompt' AS prompt, NULLIF(e->'context', 'null'::jsonb) AS context,
           e->>'response' AS response, e->>'reference' AS reference, e->'metadata' AS metadata,
           (e->>'created_at')::timestamptz AS created_at
    FROM jsonb_array_elements(@responses::jsonb) AS e
), ins_r AS (
    INSERT INTO responses (evaluation_id, id, external_id, prompt_id, model, prompt, context, response, reference, metadata, created_at, updated_at)
    SELECT @evaluation_id::uuid, r.id, r.external_id, r.prompt_id, r.model, r.prompt, r.context,
           r.response, r.reference, r.metadata, r.created_at, r.created_at
    FROM r
    ON CONFLICT (evaluation_id, external_id) DO NOTHING
    RETURNING id, model, prompt_id
), s AS (
    SELECT (e->>'response_id')::uuid AS response_id, e->>'scorer' AS scorer, (e->>'value')::float8 AS value,
           (e->>'passed')::boolean AS passed, e->'details' AS details, e->>'error' AS error,
           (e->>'created_at')::timestamptz AS created_at
    FROM jsonb_array_elements(@scores::jsonb) AS e
), ins_s AS (
    INSERT INTO scores (evaluation_id, response_id, scorer, model, prompt_id, value, passed, details, error, created_at)
    SELECT @evaluation_id::uuid, s.response_id, s.scorer, i.model, i.prompt_id, s.value, s.passed, s.details, s.error, s.created_at
    FROM s JOIN ins_r i ON i.id = s.response_id
    RETURNING scorer, model, value, passed, error
), lk AS (
    -- The shared rollup lock of db/queries/ingest.sql, taken after the rows are
    -- inserted and before the rollups are touched (roll and hist run after the
    -- main query, in this order).
    SELECT count(*) AS n FROM (
        SELECT pg_advisory_xact_lock_shared(hashtextextended(CAST(@evaluation_id::uuid AS text) || '/' || m.model, 7341))
        FROM (SELECT DISTINCT model FROM ins_r ORDER BY model) AS m
    ) AS l
), roll AS (
    INSERT INTO score_rollups AS ro (evaluation_id, scorer, model, shard, n_scores, n, mean, m2, min_value, max_value, n_pass_known, n_passed, n_errors)
    SELECT @evaluation_id::uuid, q.scorer, q.model, @shard::smallint, count(*), count(q.value), avg(q.value),
           COALESCE(var_samp(q.value) * (count(q.value) - 1), 0), min(q.value), max(q.value),
           count(q.passed), count(*) FILTER (WHERE q.passed), count(q.error)
    FROM ins_s q
    WHERE (SELECT n FROM lk) >= 0
    GROUP BY q.scorer, q.model
    ORDER BY q.scorer, q.model
    ON CONFLICT (evaluation_id, scorer, model, shard) DO UPDATE
    SET n_scores = ro.n_scores + EXCLUDED.n_scores,
        n = ro.n + EXCLUDED.n,
        mean = CASE WHEN ro.n = 0 THEN EXCLUDED.mean
                    WHEN EXCLUDED.n = 0 THEN ro.mean
                    ELSE ro.mean + (EXCLUDED.mean - ro.mean) * EXCLUDED.n / (ro.n + EXCLUDED.n) END,
        m2 = CASE WHEN ro.n = 0 THEN EXCLUDED.m2
                  WHEN EXCLUDED.n = 0 THEN ro.m2
                  ELSE ro.m2 + EXCLUDED.m2 + (EXCLUDED.mean - ro.mean) ^ 2 * ro.n * EXCLUDED.n / (ro.n + EXCLUDED.n) END,
        min_value = LEAST(ro.min_value, EXCLUDED.min_value),
        max_value = GREATEST(ro.max_value, EXCLUDED.max_value),
        n_pass_known = ro.n_pass_known + EXCLUDED.n_pass_known,
        n_passed = ro.n_passed + EXCLUDED.n_passed,
        n_errors = ro.n_errors + EXCLUDED.n_errors
    RETURNING 1
), hist AS (
    INSERT INTO score_histograms AS h (evaluation_id, scorer, model, shard, bucket, count, min_value, max_value)
    SELECT @evaluation_id::uuid, q.scorer, q.model, @shard::smallint, score_bucket(q.value), count(*), min(q.value), max(q.value)
    FROM ins_s q
    WHERE q.value IS NOT NULL AND (SELECT n FROM lk) >= 0
    GROUP BY q.scorer, q.model, score_bucket(q.value)
    ORDER BY q.scorer, q.model, score_bucket(q.value)
    ON CONFLICT (evaluation_id, scorer, model, shard, bucket) DO UPDATE
    SET count = h.count + EXCLUDED.count,
        min_value = LEAST(h.min_value, EXCLUDED.min_value),
        max_value = GREATEST(h.max_value, EXCLUDED.max_value)
    RETURNING 1
), counted AS (
    SELECT count(*) AS n FROM (SELECT add_response_count(@evaluation_id::uuid, (SELECT count(*) FROM ins_r))) AS a
)
SELECT id FROM ins_r WHERE (SELECT n FROM counted) >= 0;
