-- Bulk writes of the built-in jobs: purging a deleted evaluation, rescoring one.

-- name: MarkEvaluationDeleted :execrows
UPDATE evaluations SET deleted_at = @deleted_at WHERE id = @id AND deleted_at IS NULL;

-- name: EvaluationDeleted :one
-- No row: the evaluation does not exist (or was purged already).
SELECT (deleted_at IS NOT NULL)::boolean AS deleted FROM evaluations WHERE id = @id;

-- name: CountEvaluationRows :one
-- The counts kept by triggers (migrations 00010 and 00012).
SELECT (SELECT COALESCE(sum(k.n), 0) FROM response_counts k WHERE k.evaluation_id = @evaluation_id::uuid)::bigint AS responses,
       (SELECT COALESCE(sum(o.n), 0) FROM comparison_outcomes o WHERE o.evaluation_id = @evaluation_id::uuid)::bigint AS comparisons;

-- name: PurgeComparisons :execrows
DELETE FROM comparisons d
WHERE d.evaluation_id = @evaluation_id::uuid
  AND d.id IN (SELECT c.id FROM comparisons c WHERE c.evaluation_id = @evaluation_id::uuid LIMIT @lim);

-- name: ResponseIDsToPurge :many
SELECT id FROM responses WHERE evaluation_id = @evaluation_id ORDER BY id LIMIT @lim;

-- name: DeleteScoresOfResponses :exec
-- Explicitly, by the primary key's prefix, rather than row by row through the
-- foreign key's cascade.
DELETE FROM scores WHERE evaluation_id = @evaluation_id AND response_id = ANY(@response_ids::uuid[]);

-- name: DeleteScorerScoresOfResponses :exec
-- What a rescore replaces: the scores the evaluation's scorers wrote. Scores a
-- model judge wrote (a judgment of that judge on that response exists) are not
-- the scorers' and stay, and so do those of the scorers named in keep (scorers
-- that run later, which a rescore does not run).
DELETE FROM scores s
WHERE s.evaluation_id = @evaluation_id AND s.response_id = ANY(@response_ids::uuid[])
  AND s.scorer <> ALL(@keep::text[])
  AND NOT EXISTS (
      SELECT 1 FROM judgments j
      WHERE j.evaluation_id = s.evaluation_id AND j.response_id = s.response_id AND j.judge_name = s.scorer);

-- name: DeleteResponsesByID :execrows
DELETE FROM responses WHERE evaluation_id = @evaluation_id AND id = ANY(@ids::uuid[]);

-- name: DeletePurgedEvaluation :execrows
-- The last step of a purge: the evaluation row, with its rollups by cascade.
DELETE FROM evaluations WHERE id = @id AND deleted_at IS NOT NULL;

-- name: LockEvaluationForRollups :one
-- FOR UPDATE conflicts with the FOR KEY SHARE lock every ingest's foreign-key
-- check takes on the evaluation row: it waits for ingests in flight and holds new
-- ones off until the rebuild commits.
SELECT id FROM evaluations WHERE id = @id FOR UPDATE;

-- name: DeleteEvaluationRollups :exec
DELETE FROM score_rollups WHERE evaluation_id = @evaluation_id;

-- name: DeleteEvaluationHistograms :exec
DELETE FROM score_histograms WHERE evaluation_id = @evaluation_id;

-- name: RebuildEvaluationRollups :exec
INSERT INTO score_rollups (evaluation_id, scorer, model, shard, n_scores, n, mean, m2, min_value, max_value, n_pass_known, n_passed, n_errors)
SELECT s.evaluation_id, s.scorer, s.model, 0, count(*), count(s.value), avg(s.value),
       COALESCE(var_samp(s.value) * (count(s.value) - 1), 0), min(s.value), max(s.value),
       count(s.passed), count(*) FILTER (WHERE s.passed), count(s.error)
FROM scores s
WHERE s.evaluation_id = @evaluation_id
GROUP BY s.evaluation_id, s.scorer, s.model;

-- name: RebuildEvaluationHistograms :exec
INSERT INTO score_histograms (evaluation_id, scorer, model, shard, bucket, count, min_value, max_value)
SELECT s.evaluation_id, s.scorer, s.model, 0, score_bucket(s.value), count(*), min(s.value), max(s.value)
FROM scores s
WHERE s.evaluation_id = @evaluation_id AND s.value IS NOT NULL
GROUP BY s.evaluation_id, s.scorer, s.model, score_bucket(s.value);
