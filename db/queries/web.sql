-- Queries of the web dashboard.

-- name: CreateWebSession :exec
INSERT INTO web_sessions (token_hash, api_key_id, csrf_token, created_at, expires_at)
VALUES (@token_hash, @api_key_id, @csrf_token, @created_at, @expires_at);

-- name: GetWebSession :one
SELECT s.api_key_id, s.csrf_token, s.created_at, s.expires_at
FROM web_sessions s
WHERE s.token_hash = @token_hash;

-- name: DeleteWebSession :exec
DELETE FROM web_sessions WHERE token_hash = @token_hash;

-- name: DeleteWebSessionsOfKey :execrows
DELETE FROM web_sessions WHERE api_key_id = @api_key_id;

-- name: DeleteExpiredWebSessions :execrows
DELETE FROM web_sessions WHERE expires_at <= @now;

-- name: SearchEvaluations :many
-- A page of evaluations in name order whose name or description contains the
-- pattern (an ILIKE pattern; '%' matches all).
SELECT * FROM evaluations
WHERE deleted_at IS NULL AND (name ILIKE @pattern OR description ILIKE @pattern)
  AND (sqlc.narg(after_name)::text IS NULL OR name > sqlc.narg(after_name))
ORDER BY name
LIMIT @lim;

-- name: EvaluationActivity :one
-- Counts and the newest ids (UUIDv7: they carry their creation time) of one
-- evaluation's responses and comparisons: the counts are those kept by triggers
-- (the sum of the response count's shards, migration 00012, and of the outcome
-- counts, migration 00010), the newest ids each from its primary key.
SELECT
    (SELECT COALESCE(sum(k.n), 0) FROM response_counts k WHERE k.evaluation_id = @evaluation_id)::bigint AS responses,
    (SELECT COALESCE(sum(o.n), 0) FROM comparison_outcomes o WHERE o.evaluation_id = @evaluation_id)::bigint AS comparisons,
    (SELECT r.id FROM responses r WHERE r.evaluation_id = @evaluation_id ORDER BY r.id DESC LIMIT 1)::uuid   AS last_response,
    (SELECT c.id FROM comparisons c WHERE c.evaluation_id = @evaluation_id ORDER BY c.id DESC LIMIT 1)::uuid AS last_comparison;

-- name: EvaluationModels :many
-- The distinct models of an evaluation, a skip scan over responses_model_idx: one
-- index probe per model, however many responses each has.
WITH RECURSIVE m (model) AS (
    (SELECT r.model FROM responses r WHERE r.evaluation_id = @evaluation_id ORDER BY r.model LIMIT 1)
    UNION ALL
    SELECT (SELECT r.model FROM responses r WHERE r.evaluation_id = @evaluation_id AND r.model > m.model ORDER BY r.model LIMIT 1)
    FROM m WHERE m.model IS NOT NULL
)
SELECT model::text FROM m WHERE model IS NOT NULL LIMIT @lim;

-- name: SearchResponsesForward :many
-- A keyset page of response ids in id order after a position, with no scorer
-- chosen and no text to search.
SELECT r.id FROM responses r
WHERE r.evaluation_id = @evaluation_id
  AND (sqlc.narg(model)::text IS NULL OR r.model = sqlc.narg(model))
  AND (sqlc.narg(after)::uuid IS NULL OR r.id > sqlc.narg(after))
ORDER BY r.id
LIMIT @lim;

-- name: SearchResponsesBackward :many
-- The same filters as SearchResponsesForward, walking back from a position.
SELECT r.id FROM responses r
WHERE r.evaluation_id = @evaluation_id
  AND (sqlc.narg(model)::text IS NULL OR r.model = sqlc.narg(model))
  AND r.id < @before
ORDER BY r.id DESC
LIMIT @lim;

-- name: SearchScoredResponsesForward :many
-- SearchResponsesForward when a scorer is chosen: it walks that scorer's scores
-- in response order (by scores_scorer_idx when passed is given), so a filter on
-- the scores does not read every response.
SELECT s.response_id FROM scores s
JOIN responses r ON r.evaluation_id = s.evaluation_id AND r.id = s.response_id
WHERE s.evaluation_id = @evaluation_id AND s.scorer = @scorer
  AND (sqlc.narg(passed)::boolean IS NULL OR s.passed = sqlc.narg(passed))
  AND (sqlc.narg(min_value)::float8 IS NULL OR s.value >= sqlc.narg(min_value))
  AND (sqlc.narg(max_value)::float8 IS NULL OR s.value <= sqlc.narg(max_value))
  AND (sqlc.narg(model)::text IS NULL OR r.model = sqlc.narg(model))
  AND (sqlc.narg(after)::uuid IS NULL OR s.response_id > sqlc.narg(after))
ORDER BY s.response_id
LIMIT @lim;

-- name: SearchScoredResponsesBackward :many
SELECT s.response_id FROM scores s
JOIN responses r ON r.evaluation_id = s.evaluation_id AND r.id = s.response_id
WHERE s.evaluation_id = @evaluation_id AND s.scorer = @scorer
  AND (sqlc.narg(passed)::boolean IS NULL OR s.passed = sqlc.narg(passed))
  AND (sqlc.narg(min_value)::float8 IS NULL OR s.value >= sqlc.narg(min_value))
  AND (sqlc.narg(max_value)::float8 IS NULL OR s.value <= sqlc.narg(max_value))
  AND (sqlc.narg(model)::text IS NULL OR r.model = sqlc.narg(model))
  AND s.response_id < @before
ORDER BY s.response_id DESC
LIMIT @lim;

-- Text search reads the candidates of a page a window at a time and says for
-- each whether it matches, so a page view reads at most @scan_rows rows however
-- rare the text is; the caller continues from the last row read.

-- name: ScanResponsesForward :many
SELECT r.id, (r.prompt ILIKE @pattern OR r.response ILIKE @pattern)::boolean AS hit
FROM responses r
WHERE r.evaluation_id = @evaluation_id
  AND (sqlc.narg(model)::text IS NULL OR r.model = sqlc.narg(model))
  AND (sqlc.narg(after)::uuid IS NULL OR r.id > sqlc.narg(after))
ORDER BY r.id
LIMIT @scan_rows;

-- name: ScanResponsesBackward :many
SELECT r.id, (r.prompt ILIKE @pattern OR r.response ILIKE @pattern)::boolean AS hit
FROM responses r
WHERE r.evaluation_id = @evaluation_id
  AND (sqlc.narg(model)::text IS NULL OR r.model = sqlc.narg(model))
  AND r.id < @before
ORDER BY r.id DESC
LIMIT @scan_rows;

-- name: ScanScoredResponsesForward :many
SELECT s.response_id, (r.prompt ILIKE @pattern OR r.response ILIKE @pattern)::boolean AS hit
FROM scores s
JOIN responses r ON r.evaluation_id = s.evaluation_id AND r.id = s.response_id
WHERE s.evaluation_id = @evaluation_id AND s.scorer = @scorer
  AND (sqlc.narg(passed)::boolean IS NULL OR s.passed = sqlc.narg(passed))
  AND (sqlc.narg(min_value)::float8 IS NULL OR s.value >= sqlc.narg(min_value))
  AND (sqlc.narg(max_value)::float8 IS NULL OR s.value <= sqlc.narg(max_value))
  AND (sqlc.narg(model)::text IS NULL OR r.model = sqlc.narg(model))
  AND (sqlc.narg(after)::uuid IS NULL OR s.response_id > sqlc.narg(after))
ORDER BY s.response_id
LIMIT @scan_rows;

-- name: ScanScoredResponsesBackward :many
SELECT s.response_id, (r.prompt ILIKE @pattern OR r.response ILIKE @pattern)::boolean AS hit
FROM scores s
JOIN responses r ON r.evaluation_id = s.evaluation_id AND r.id = s.response_id
WHERE s.evaluation_id = @evaluation_id AND s.scorer = @scorer
  AND (sqlc.narg(passed)::boolean IS NULL OR s.passed = sqlc.narg(passed))
  AND (sqlc.narg(min_value)::float8 IS NULL OR s.value >= sqlc.narg(min_value))
  AND (sqlc.narg(max_value)::float8 IS NULL OR s.value <= sqlc.narg(max_value))
  AND (sqlc.narg(model)::text IS NULL OR r.model = sqlc.narg(model))
  AND s.response_id < @before
ORDER BY s.response_id DESC
LIMIT @scan_rows;

-- A score range that few responses fall in would make the walks above read a
-- long way in response order to fill a page. CountScoreRange counts, up to @lim,
-- the scores in the range by scores_value_idx (migration 00010); when there are
-- few, SearchScoreRangeForward and ...Backward take them all by that index (the
-- subquery's LIMIT keeps the planner from walking another index instead) and
-- page through them in response order. Bounds are inclusive; the caller passes
-- -Infinity and NaN (which PostgreSQL orders above every number) for a missing
-- minimum and maximum.

-- name: CountScoreRange :one
SELECT count(*)::int AS n FROM (
    SELECT 1 FROM scores s
    WHERE s.evaluation_id = @evaluation_id AND s.scorer = @scorer
      AND s.value >= @min_value::float8 AND s.value <= @max_value::float8
    LIMIT @lim
) AS x;

-- name: SearchScoreRangeForward :many
SELECT h.response_id FROM (
    SELECT s.response_id, s.model, s.passed FROM scores s
    WHERE s.evaluation_id = @evaluation_id AND s.scorer = @scorer
      AND s.value >= @min_value::float8 AND s.value <= @max_value::float8
    ORDER BY s.value, s.response_id
    LIMIT @range_rows
) AS h
WHERE (sqlc.narg(passed)::boolean IS NULL OR h.passed = sqlc.narg(passed)::boolean)
  AND (sqlc.narg(model)::text IS NULL OR h.model = sqlc.narg(model)::text)
  AND (sqlc.narg(after)::uuid IS NULL OR h.response_id > sqlc.narg(after)::uuid)
ORDER BY h.response_id
LIMIT @lim;

-- name: SearchScoreRangeBackward :many
SELECT h.response_id FROM (
    SELECT s.response_id, s.model, s.passed FROM scores s
    WHERE s.evaluation_id = @evaluation_id AND s.scorer = @scorer
      AND s.value >= @min_value::float8 AND s.value <= @max_value::float8
    ORDER BY s.value, s.response_id
    LIMIT @range_rows
) AS h
WHERE (sqlc.narg(passed)::boolean IS NULL OR h.passed = sqlc.narg(passed)::boolean)
  AND (sqlc.narg(model)::text IS NULL OR h.model = sqlc.narg(model)::text)
  AND h.response_id < @before::uuid
ORDER BY h.response_id DESC
LIMIT @lim;
