-- Per-prompt means of an evaluation's scores, for diffs (db/migrations/00011).
-- Per scorer and prompt, over the scores with a value: their count, their mean
-- and the share passed of those with a verdict (NULL when none has one). The
-- mean is summed in numeric, exactly, from each value's shortest decimal that
-- reads back as the same double (float8 text output with extra_float_digits
-- above 0, the default), so it is the same number whatever plan reads the scores
-- and in whatever order (a parallel or hashed float8 sum depends on the order
-- rows arrive): the cache and the live path agree to the last bit. (Summing the
-- floats in sorted order would do too, but makes PostgreSQL read the scores by
-- index in prompt order, page by random page.) Prompts come in bytewise order
-- within a scorer.

-- name: PromptMeans :many
-- A pass rate without verdicts comes back as NaN, as RefreshPromptMeans stores it.
SELECT scorer, prompt_id, count(*)::bigint AS n, avg(value::text::numeric)::float8 AS mean,
       COALESCE(avg(passed::int)::float8, 'NaN'::float8)::float8 AS pass_rate
FROM scores
WHERE evaluation_id = @evaluation_id AND value IS NOT NULL
GROUP BY scorer, prompt_id
ORDER BY scorer, prompt_id COLLATE "C";

-- name: LockPromptMeans :exec
-- Refreshes of one evaluation run one after the other, each on a snapshot taken
-- after the one before committed.
SELECT pg_advisory_xact_lock(hashtextextended(CAST(@evaluation_id::uuid AS text), 7342));

-- name: RefreshPromptMeans :one
-- One statement, so the means and the fingerprint they are stored under come from
-- the same snapshot. Nothing is stored for an evaluation without a fingerprint (no
-- rollup rows); a pass rate that is NULL is stored as NaN, which no real share is.
WITH fp AS (
    SELECT score_fingerprint(@evaluation_id::uuid) AS f
), m AS (
    SELECT scorer, prompt_id, count(*)::bigint AS n, avg(value::text::numeric)::float8 AS mean,
           avg(passed::int)::float8 AS pass_rate
    FROM scores
    WHERE evaluation_id = @evaluation_id::uuid AND value IS NOT NULL
    GROUP BY scorer, prompt_id
), a AS (
    SELECT scorer,
           array_agg(prompt_id ORDER BY prompt_id COLLATE "C")::text[] AS prompt_ids,
           array_agg(n ORDER BY prompt_id COLLATE "C")::bigint[] AS ns,
           array_agg(mean ORDER BY prompt_id COLLATE "C")::float8[] AS means,
           array_agg(COALESCE(pass_rate, 'NaN'::float8) ORDER BY prompt_id COLLATE "C")::float8[] AS pass_rates
    FROM m
    GROUP BY scorer
), st AS (
    INSERT INTO prompt_mean_states AS s (evaluation_id, fingerprint, refreshed_at)
    SELECT @evaluation_id::uuid, fp.f, @refreshed_at::timestamptz FROM fp WHERE fp.f IS NOT NULL
    ON CONFLICT (evaluation_id) DO UPDATE SET fingerprint = EXCLUDED.fingerprint, refreshed_at = EXCLUDED.refreshed_at
    RETURNING s.evaluation_id
), gone AS (
    DELETE FROM prompt_means p
    WHERE p.evaluation_id = @evaluation_id::uuid AND EXISTS (SELECT 1 FROM st)
      AND p.scorer NOT IN (SELECT a.scorer FROM a)
    RETURNING 1
), ins AS (
    INSERT INTO prompt_means AS p (evaluation_id, scorer, prompt_ids, ns, means, pass_rates)
    SELECT st.evaluation_id, a.scorer, a.prompt_ids, a.ns, a.means, a.pass_rates
    FROM st CROSS JOIN a
    ORDER BY a.scorer
    ON CONFLICT (evaluation_id, scorer) DO UPDATE
    SET prompt_ids = EXCLUDED.prompt_ids, ns = EXCLUDED.ns, means = EXCLUDED.means, pass_rates = EXCLUDED.pass_rates
    RETURNING 1
)
SELECT (SELECT count(*) FROM st)::bigint AS stored,
       (SELECT count(*) FROM ins)::bigint AS scorers,
       (SELECT count(*) FROM gone)::bigint AS dropped;

-- name: CachedPromptMeans :many
-- The stored means, only when stored under the evaluation's current fingerprint
-- (read in the same statement, so in the same snapshot): no row means none is
-- fresh; a fresh evaluation without scores comes back as one row without a scorer.
SELECT p.scorer, p.prompt_ids, p.ns, p.means, p.pass_rates
FROM prompt_mean_states s
LEFT JOIN prompt_means p ON p.evaluation_id = s.evaluation_id
WHERE s.evaluation_id = @evaluation_id AND s.fingerprint = score_fingerprint(@evaluation_id)
ORDER BY p.scorer;

-- name: ScoreFingerprint :one
SELECT score_fingerprint(@evaluation_id::uuid) AS fingerprint;

-- name: TouchEvaluationRollups :exec
-- Gives one of the evaluation's rollup rows a new stamp, and so the evaluation a
-- new fingerprint: for writes that change scores and rebuild the rollups later
-- (a rescore's batches). The first row in key order, the order every rollup
-- writer locks in.
UPDATE score_rollups r SET stamp = nextval('score_rollup_stamps')
FROM (SELECT x.scorer, x.model, x.shard FROM score_rollups x
      WHERE x.evaluation_id = @evaluation_id
      ORDER BY x.scorer, x.model, x.shard LIMIT 1 FOR UPDATE) AS k
WHERE r.evaluation_id = @evaluation_id AND r.scorer = k.scorer AND r.model = k.model AND r.shard = k.shard;
