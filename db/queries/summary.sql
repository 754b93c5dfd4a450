-- Score summaries are computed in the database: one pass over an evaluation's scores
-- per scorer (and per model), with exact percentiles (percentile_cont, linear
-- interpolation between closest ranks). An aggregate with nothing to aggregate
-- (no values; the standard deviation of one value) comes back as 0: n says which
-- fields are defined, and the application reads them accordingly.

-- name: SummarizeScores :many
SELECT scorer,
       count(*)::bigint                                          AS n_scores,
       count(value)::bigint                                      AS n,
       COALESCE(avg(value), 0)::float8                                        AS mean,
       COALESCE(stddev_samp(value), 0)::float8                                AS sd,
       COALESCE(min(value), 0)::float8                                        AS min_value,
       COALESCE(max(value), 0)::float8                                        AS max_value,
       COALESCE(percentile_cont(0.1) WITHIN GROUP (ORDER BY value), 0)::float8 AS p10,
       COALESCE(percentile_cont(0.5) WITHIN GROUP (ORDER BY value), 0)::float8 AS p50,
       COALESCE(percentile_cont(0.9) WITHIN GROUP (ORDER BY value), 0)::float8 AS p90,
       count(passed)::bigint                                     AS n_pass_known,
       (count(*) FILTER (WHERE passed))::bigint                  AS n_passed,
       count(error)::bigint                                      AS n_errors
FROM scores
WHERE evaluation_id = @evaluation_id
GROUP BY scorer
ORDER BY scorer;

-- name: SummarizeScoresByModel :many
SELECT scorer, model,
       count(*)::bigint                                          AS n_scores,
       count(value)::bigint                                      AS n,
       COALESCE(avg(value), 0)::float8                                        AS mean,
       COALESCE(stddev_samp(value), 0)::float8                                AS sd,
       COALESCE(min(value), 0)::float8                                        AS min_value,
       COALESCE(max(value), 0)::float8                                        AS max_value,
       COALESCE(percentile_cont(0.1) WITHIN GROUP (ORDER BY value), 0)::float8 AS p10,
       COALESCE(percentile_cont(0.5) WITHIN GROUP (ORDER BY value), 0)::float8 AS p50,
       COALESCE(percentile_cont(0.9) WITHIN GROUP (ORDER BY value), 0)::float8 AS p90,
       count(passed)::bigint                                     AS n_pass_known,
       (count(*) FILTER (WHERE passed))::bigint                  AS n_passed,
       count(error)::bigint                                      AS n_errors
FROM scores
WHERE evaluation_id = @evaluation_id
GROUP BY scorer, model
ORDER BY scorer, model;

-- SumScoreStats sums the details' "stats" arrays element-wise per scorer and model,
-- for scorers whose corpus score is defined on summed statistics (BLEU, chrF).

-- name: SumScoreStats :many
SELECT s.scorer, s.model, (e.ord)::int AS idx, sum(e.v::float8)::float8 AS total
FROM scores s
CROSS JOIN LATERAL jsonb_array_elements_text(s.details -> 'stats') WITH ORDINALITY AS e(v, ord)
WHERE s.evaluation_id = @evaluation_id AND s.scorer = ANY(@scorers::text[]) AND s.value IS NOT NULL
GROUP BY s.scorer, s.model, e.ord
ORDER BY s.scorer, s.model, e.ord;
