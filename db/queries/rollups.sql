-- Deleting a response takes its scores out of the rollups by rebuilding the rollups
-- of its model from the stored scores (deletes are rare; a rebuild is exact). The
-- model's scores are found through its responses (responses_model_idx, then the
-- scores primary key), not by scanning every score.

-- name: DeleteModelRollups :exec
DELETE FROM score_rollups WHERE evaluation_id = @evaluation_id AND model = @model;

-- name: DeleteModelHistograms :exec
DELETE FROM score_histograms WHERE evaluation_id = @evaluation_id AND model = @model;

-- name: RebuildModelRollups :exec
INSERT INTO score_rollups (evaluation_id, scorer, model, shard, n_scores, n, mean, m2, min_value, max_value, n_pass_known, n_passed, n_errors)
SELECT s.evaluation_id, s.scorer, s.model, 0, count(*), count(s.value), avg(s.value),
       COALESCE(var_samp(s.value) * (count(s.value) - 1), 0), min(s.value), max(s.value),
       count(s.passed), count(*) FILTER (WHERE s.passed), count(s.error)
FROM responses r
JOIN scores s ON s.evaluation_id = r.evaluation_id AND s.response_id = r.id
WHERE r.evaluation_id = @evaluation_id AND r.model = @model
GROUP BY s.evaluation_id, s.scorer, s.model;

-- name: RebuildModelHistograms :exec
INSERT INTO score_histograms (evaluation_id, scorer, model, shard, bucket, count, min_value, max_value)
SELECT s.evaluation_id, s.scorer, s.model, 0, score_bucket(s.value), count(*), min(s.value), max(s.value)
FROM responses r
JOIN scores s ON s.evaluation_id = r.evaluation_id AND s.response_id = r.id
WHERE r.evaluation_id = @evaluation_id AND r.model = @model AND s.value IS NOT NULL
GROUP BY s.evaluation_id, s.scorer, s.model, score_bucket(s.value);

-- RollupGroups returns every shard's rollup; the application merges shards (and,
-- unless grouped, models) with the same pairwise formulas, so n, mean, M2 and
-- extremes stay exact up to floating-point rounding.

-- name: RollupGroups :many
SELECT scorer, model, n_scores, n, mean, m2, min_value, max_value, n_pass_known, n_passed, n_errors
FROM score_rollups
WHERE evaluation_id = @evaluation_id
ORDER BY scorer, model, shard;

-- name: HistogramBuckets :many
SELECT scorer, model, bucket, sum(count)::bigint AS count, min(min_value)::float8 AS min_value, max(max_value)::float8 AS max_value
FROM score_histograms
WHERE evaluation_id = @evaluation_id
GROUP BY scorer, model, bucket
ORDER BY scorer, model, bucket;

-- AddRollups and AddHistograms fold scores just written (by a bulk ingest, a
-- judge or a settled pending score) into one rollup shard from what the
-- application sends, instead of reading the scores back; they hold the one
-- definition of how a shard merges new scores: AddRollups one row per scorer and model with its counts, mean, M2 and
-- extremes (mean, min and max are ignored where n is 0, and stored as NULL);
-- AddHistograms the distinct values per scorer and model with how often each
-- occurs, bucketed here by score_bucket, the one definition of a bucket. Rows are
-- upserted in key order, as everywhere, so concurrent folds cannot deadlock.

-- name: AddRollups :exec
INSERT INTO score_rollups AS r (evaluation_id, scorer, model, shard, n_scores, n, mean, m2, min_value, max_value, n_pass_known, n_passed, n_errors)
SELECT @evaluation_id::uuid, u.scorer, u.model, @shard::smallint, u.n_scores, u.n,
       CASE WHEN u.n > 0 THEN u.mean END, u.m2, CASE WHEN u.n > 0 THEN u.min_value END, CASE WHEN u.n > 0 THEN u.max_value END,
       u.n_pass_known, u.n_passed, u.n_errors
FROM (SELECT unnest(@scorers::text[]) AS scorer, unnest(@models::text[]) AS model, unnest(@n_scores::bigint[]) AS n_scores,
             unnest(@ns::bigint[]) AS n, unnest(@means::float8[]) AS mean, unnest(@m2s::float8[]) AS m2,
             unnest(@min_values::float8[]) AS min_value, unnest(@max_values::float8[]) AS max_value,
             unnest(@n_pass_known::bigint[]) AS n_pass_known, unnest(@n_passed::bigint[]) AS n_passed,
             unnest(@n_errors::bigint[]) AS n_errors) AS u
ORDER BY u.scorer, u.model
ON CONFLICT (evaluation_id, scorer, model, shard) DO UPDATE
SET n_scores = r.n_scores + EXCLUDED.n_scores,
    n = r.n + EXCLUDED.n,
    mean = CASE WHEN r.n = 0 THEN EXCLUDED.mean
                WHEN EXCLUDED.n = 0 THEN r.mean
                ELSE r.mean + (EXCLUDED.mean - r.mean) * EXCLUDED.n / (r.n + EXCLUDED.n) END,
    m2 = CASE WHEN r.n = 0 THEN EXCLUDED.m2
              WHEN EXCLUDED.n = 0 THEN r.m2
              ELSE r.m2 + EXCLUDED.m2 + (EXCLUDED.mean - r.mean) ^ 2 * r.n * EXCLUDED.n / (r.n + EXCLUDED.n) END,
    min_value = LEAST(r.min_value, EXCLUDED.min_value),
    max_value = GREATEST(r.max_value, EXCLUDED.max_value),
    n_pass_known = r.n_pass_known + EXCLUDED.n_pass_known,
    n_passed = r.n_passed + EXCLUDED.n_passed,
    n_errors = r.n_errors + EXCLUDED.n_errors;

-- AddHistograms buckets every (scorer, model, value) row where it stands:
-- score_bucket is inlined into the statement (00013), so a call costs less than
-- the hash join that bucketing each distinct value once needed (2 ms against
-- 15 for 1,850 values). Rows are inserted in key order, so concurrent writers
-- take the histogram rows' locks in one order.

-- name: AddHistograms :exec
INSERT INTO score_histograms AS h (evaluation_id, scorer, model, shard, bucket, count, min_value, max_value)
SELECT @evaluation_id::uuid, u.scorer, u.model, @shard::smallint, score_bucket(u.value), sum(u.count), min(u.value), max(u.value)
FROM (SELECT unnest(@scorers::text[]) AS scorer, unnest(@models::text[]) AS model, unnest(@values::float8[]) AS value,
             unnest(@counts::bigint[]) AS count) AS u
GROUP BY u.scorer, u.model, score_bucket(u.value)
ORDER BY u.scorer, u.model, score_bucket(u.value)
ON CONFLICT (evaluation_id, scorer, model, shard, bucket) DO UPDATE
SET count = h.count + EXCLUDED.count,
    min_value = LEAST(h.min_value, EXCLUDED.min_value),
    max_value = GREATEST(h.max_value, EXCLUDED.max_value);
