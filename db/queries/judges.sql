-- Judges: named, versioned configurations.

-- LockJudgeName serialises the creation of versions of one name, so two posts of
-- different configurations under the same name get versions n+1 and n+2.
-- name: LockJudgeName :exec
SELECT pg_advisory_xact_lock(hashtextextended('judge:' || @name::text, 0));

-- name: GetJudgeByHash :one
SELECT * FROM judges WHERE name = @name AND config_hash = @config_hash;

-- name: LatestJudgeVersion :one
SELECT COALESCE(max(version), 0)::integer AS version FROM judges WHERE name = @name;

-- name: InsertJudge :exec
INSERT INTO judges (name, version, kind, config, config_hash, created_at)
VALUES (@name, @version, @kind, @config, @config_hash, @created_at);

-- name: GetJudge :one
SELECT * FROM judges WHERE name = @name AND version = @version;

-- name: GetLatestJudge :one
SELECT * FROM judges WHERE name = @name ORDER BY version DESC LIMIT 1;

-- ListJudges returns the latest version of each judge, by name.
-- name: ListJudges :many
SELECT DISTINCT ON (name) * FROM judges
WHERE sqlc.narg(after_name)::text IS NULL OR name > sqlc.narg(after_name)
ORDER BY name, version DESC
LIMIT @lim;

-- Judgments: one row per judge call, with its provenance.

-- name: InsertJudgment :execrows
INSERT INTO judgments (evaluation_id, id, job_id, item, call, judge_name, judge_version,
    response_a_id, response_b_id, response_id, comparison_id, request_hash, messages,
    content, logprobs, finish_reason, system_fingerprint, raw, reward, verdict, parse_error,
    order_shown, identical, input_tokens, output_tokens, cost, latency_ms, attempts, cached, created_at)
VALUES (@evaluation_id, @id, @job_id, @item, @call, @judge_name, @judge_version,
    @response_a_id, @response_b_id, @response_id, @comparison_id, @request_hash, @messages,
    @content, @logprobs, @finish_reason, @system_fingerprint, @raw, @reward, @verdict, @parse_error,
    @order_shown, @identical, @input_tokens, @output_tokens, @cost, @latency_ms, @attempts, @cached, @created_at)
ON CONFLICT (evaluation_id, job_id, item, call) DO NOTHING;

-- name: JudgedItems :many
SELECT DISTINCT item FROM judgments WHERE evaluation_id = @evaluation_id AND job_id = @job_id;

-- CachedJudgment is the latest stored answer to a request with this hash, from
-- any run of any judge calling the same endpoint (a request hash covers the model,
-- messages and params, not where they were sent).
-- name: CachedJudgment :one
SELECT j.* FROM judgments j
JOIN judges g ON g.name = j.judge_name AND g.version = j.judge_version
WHERE j.request_hash = @request_hash AND j.request_hash <> ''
  AND g.config -> 'endpoint' ->> 'base_url' = @base_url::text
ORDER BY j.created_at DESC
LIMIT 1;

-- name: ListJudgments :many
SELECT * FROM judgments j
WHERE j.evaluation_id = @evaluation_id
  AND (sqlc.narg(comparison_id)::uuid IS NULL OR j.comparison_id = sqlc.narg(comparison_id))
  AND (sqlc.narg(response_id)::uuid IS NULL OR j.response_id = sqlc.narg(response_id)
       OR j.response_a_id = sqlc.narg(response_id) OR j.response_b_id = sqlc.narg(response_id))
  AND (sqlc.narg(job_id)::uuid IS NULL OR j.job_id = sqlc.narg(job_id))
  AND (sqlc.narg(judge_name)::text IS NULL OR j.judge_name = sqlc.narg(judge_name))
  AND (sqlc.narg(after_id)::uuid IS NULL OR j.id > sqlc.narg(after_id))
ORDER BY j.id
LIMIT @lim;

-- JudgmentCallStats aggregates one run's calls for its report. A call's verdict is
-- the probability that the second output is better, whichever was shown first, so
-- the first-shown output's preference is 1 - verdict in order "12" and verdict in
-- order "21". Tokens and latencies are those of the calls made (a cached call
-- keeps the tokens of the reply it reuses, but spent none). The mean and the
-- latency percentiles are 0 when nothing counts (ordered, fresh).
-- name: JudgmentCallStats :one
SELECT count(*) FILTER (WHERE NOT identical)::bigint AS calls,
       count(*) FILTER (WHERE identical)::bigint AS identical,
       count(*) FILTER (WHERE cached)::bigint AS cached,
       count(*) FILTER (WHERE NOT identical AND NOT cached)::bigint AS fresh,
       count(*) FILTER (WHERE parse_error <> '')::bigint AS parse_failures,
       count(*) FILTER (WHERE verdict IS NOT NULL AND order_shown IN ('12', '21'))::bigint AS ordered,
       count(*) FILTER (WHERE (order_shown = '12' AND verdict < 0.5) OR (order_shown = '21' AND verdict > 0.5))::bigint AS first_wins,
       count(*) FILTER (WHERE (order_shown = '12' AND verdict > 0.5) OR (order_shown = '21' AND verdict < 0.5))::bigint AS second_wins,
       COALESCE(avg(CASE order_shown WHEN '12' THEN 1 - verdict WHEN '21' THEN verdict END), 0)::float8 AS first_preference,
       COALESCE(sum(input_tokens) FILTER (WHERE NOT cached), 0)::bigint AS input_tokens,
       COALESCE(sum(output_tokens) FILTER (WHERE NOT cached), 0)::bigint AS output_tokens,
       COALESCE(sum(cost), 0)::float8 AS cost,
       COALESCE(percentile_cont(0.5) WITHIN GROUP (ORDER BY latency_ms) FILTER (WHERE NOT identical AND NOT cached), 0)::float8 AS latency_p50,
       COALESCE(percentile_cont(0.9) WITHIN GROUP (ORDER BY latency_ms) FILTER (WHERE NOT identical AND NOT cached), 0)::float8 AS latency_p90,
       COALESCE(percentile_cont(0.99) WITHIN GROUP (ORDER BY latency_ms) FILTER (WHERE NOT identical AND NOT cached), 0)::float8 AS latency_p99
FROM judgments
WHERE evaluation_id = @evaluation_id AND job_id = @job_id;

-- JudgmentSwapStats compares the two calls of each item judged in both orders:
-- consistent when both favour the same output (or both call a tie).
-- name: JudgmentSwapStats :one
SELECT count(*)::bigint AS pairs,
       count(*) FILTER (WHERE sign(a.verdict - 0.5) = sign(b.verdict - 0.5))::bigint AS consistent
FROM judgments a
JOIN judgments b ON b.evaluation_id = a.evaluation_id AND b.job_id = a.job_id AND b.item = a.item AND b.call = 1
WHERE a.evaluation_id = @evaluation_id AND a.job_id = @job_id AND a.call = 0
  AND a.verdict IS NOT NULL AND b.verdict IS NOT NULL;

-- Scores made by judges.

-- name: InsertJudgeScore :execrows
INSERT INTO scores (evaluation_id, response_id, scorer, model, prompt_id, value, passed, details, error, created_at)
VALUES (@evaluation_id, @response_id, @scorer, @model, @prompt_id, @value, NULL, @details, NULL, @created_at)
ON CONFLICT (evaluation_id, response_id, scorer) DO NOTHING;

-- DeleteOtherRunScores deletes a scorer's scores on the given models' responses
-- that another run (or anything but this run) wrote, returning the models whose
-- rollups must be rebuilt.
-- name: DeleteOtherRunScores :many
DELETE FROM scores s
WHERE s.evaluation_id = @evaluation_id AND s.scorer = @scorer AND s.model = ANY(@models::text[])
  AND (s.details ->> 'job_id') IS DISTINCT FROM @job_id::text
RETURNING s.model;

-- What judge runs judge.

-- RunPairs pairs each response of the given models with the baseline's response
-- to the same prompt (the first stored, when the baseline answered it twice);
-- responses without one are left out.
-- name: RunPairs :many
SELECT b.id AS baseline_id, r.id AS response_id
FROM responses r
JOIN LATERAL (
    SELECT x.id FROM responses x
    WHERE x.evaluation_id = r.evaluation_id AND x.prompt_id = r.prompt_id AND x.model = @baseline
    ORDER BY x.id
    LIMIT 1
) b ON true
WHERE r.evaluation_id = @evaluation_id AND r.model = ANY(@models::text[])
ORDER BY r.id;

-- name: RunResponses :many
SELECT id FROM responses
WHERE evaluation_id = @evaluation_id AND model = ANY(@models::text[])
ORDER BY id;

-- RunHasItems reports whether a run would judge anything: a response of the
-- models whose prompt the baseline answered (or, without a baseline, any response
-- of the models). It stops at the first.
-- name: RunHasItems :one
SELECT EXISTS (
    SELECT 1 FROM responses r
    WHERE r.evaluation_id = @evaluation_id AND r.model = ANY(@models::text[])
      AND (@baseline::text = '' OR EXISTS (
          SELECT 1 FROM responses x
          WHERE x.evaluation_id = r.evaluation_id AND x.prompt_id = r.prompt_id AND x.model = @baseline::text))
)::boolean AS has_items;
