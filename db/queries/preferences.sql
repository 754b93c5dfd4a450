-- Preference aggregates. Leaderboards need only (model_a, model_b, preference)
-- counts, which grow with the number of model pairs, not of comparisons; triggers
-- on comparisons keep them per annotator kind in comparison_outcomes (migration
-- 00010).

-- name: ComparisonOutcomes :many
SELECT model_a, model_b, preference, sum(n)::bigint AS n
FROM comparison_outcomes
WHERE evaluation_id = @evaluation_id
  AND (sqlc.narg(annotator_kind)::text IS NULL OR annotator_kind = sqlc.narg(annotator_kind))
GROUP BY model_a, model_b, preference;

-- ComparisonBattles pages through comparisons in creation order (ids are UUIDv7),
-- for online Elo.

-- name: ComparisonBattles :many
SELECT id, model_a, model_b, preference
FROM comparisons
WHERE evaluation_id = @evaluation_id
  AND (sqlc.narg(annotator_kind)::text IS NULL OR annotator_kind = sqlc.narg(annotator_kind))
  AND (sqlc.narg(after_id)::uuid IS NULL OR id > sqlc.narg(after_id))
ORDER BY id
LIMIT @lim;

-- AgreementLabels returns, for every unordered pair of responses judged by at least
-- two annotators, each annotator's latest preference for the pair's second
-- response (pair_hi). Judgements without an annotator name cannot be told apart,
-- so they take no part. Only pairs judged at least twice can qualify: their list,
-- kept in comparison_pairs (migration 00010), is the starting point, so the query
-- reads those pairs' comparisons rather than every comparison.

-- name: AgreementLabels :many
WITH candidates AS (
    SELECT p.pair_lo, p.pair_hi
    FROM comparison_pairs p
    WHERE p.evaluation_id = @evaluation_id AND p.judgements >= 2
), latest AS (
    SELECT DISTINCT ON (c.pair_lo, c.pair_hi, c.annotator) c.pair_lo, c.pair_hi, c.annotator, c.preference_hi
    FROM candidates p
    JOIN comparisons c ON c.evaluation_id = @evaluation_id AND c.pair_lo = p.pair_lo AND c.pair_hi = p.pair_hi
    WHERE c.annotator <> ''
      AND (sqlc.narg(annotator_kind)::text IS NULL OR c.annotator_kind = sqlc.narg(annotator_kind))
    ORDER BY c.pair_lo, c.pair_hi, c.annotator, c.created_at DESC, c.id DESC
), multi AS (
    SELECT pair_lo, pair_hi FROM latest GROUP BY pair_lo, pair_hi HAVING count(*) >= 2
)
SELECT l.pair_lo, l.pair_hi, l.annotator, l.preference_hi
FROM latest l JOIN multi m ON m.pair_lo = l.pair_lo AND m.pair_hi = l.pair_hi
ORDER BY l.pair_lo, l.pair_hi, l.annotator;

-- ScorerAgreementCounts counts, per scorer, the comparisons whose two responses both
-- have a value: ties (preference ½), judged ones, those with equal scores, and those
-- where the preferred response scored strictly higher or strictly lower.

-- name: ScorerAgreementCounts :many
SELECT sa.scorer,
       (count(*) FILTER (WHERE c.preference = 0.5))::bigint AS ties,
       (count(*) FILTER (WHERE c.preference <> 0.5))::bigint AS judged,
       (count(*) FILTER (WHERE c.preference <> 0.5 AND sa.value = sb.value))::bigint AS equal_scores,
       (count(*) FILTER (WHERE (c.preference > 0.5 AND sb.value > sa.value) OR (c.preference < 0.5 AND sa.value > sb.value)))::bigint AS preferred_higher,
       (count(*) FILTER (WHERE (c.preference > 0.5 AND sb.value < sa.value) OR (c.preference < 0.5 AND sa.value < sb.value)))::bigint AS preferred_lower
FROM comparisons c
JOIN scores sa ON sa.evaluation_id = c.evaluation_id AND sa.response_id = c.response_a_id
JOIN scores sb ON sb.evaluation_id = c.evaluation_id AND sb.response_id = c.response_b_id AND sb.scorer = sa.scorer
WHERE c.evaluation_id = @evaluation_id
  AND sa.value IS NOT NULL AND sb.value IS NOT NULL
  AND (sqlc.narg(annotator_kind)::text IS NULL OR c.annotator_kind = sqlc.narg(annotator_kind))
GROUP BY sa.scorer
ORDER BY sa.scorer;

-- ExportPairs pages through the unordered response pairs of an evaluation, merging
-- the judgements of several annotators by mean preference, with the texts needed to
-- write training files. It walks comparisons_pair_idx in order, so every page costs
-- the same however deep it is.

-- name: ExportPairs :many
WITH m AS (
    SELECT c.pair_lo, c.pair_hi,
           avg(c.preference_hi)::float8 AS preference_hi,
           min(c.preference_hi)::float8 AS min_preference_hi,
           max(c.preference_hi)::float8 AS max_preference_hi,
           count(*)::bigint AS judgements,
           count(DISTINCT c.annotator)::bigint AS annotators
    FROM comparisons c
    WHERE c.evaluation_id = @evaluation_id
      AND (sqlc.narg(annotator_kind)::text IS NULL OR c.annotator_kind = sqlc.narg(annotator_kind))
      AND (sqlc.narg(after_lo)::uuid IS NULL OR (c.pair_lo, c.pair_hi) > (sqlc.narg(after_lo)::uuid, @after_hi::uuid))
    GROUP BY c.pair_lo, c.pair_hi
    ORDER BY c.pair_lo, c.pair_hi
    LIMIT @lim
)
SELECT m.pair_lo, m.pair_hi, m.preference_hi, m.min_preference_hi, m.max_preference_hi, m.judgements, m.annotators,
       lo.prompt_id, lo.prompt, lo.context, lo.model AS model_lo, lo.response AS response_lo, lo.external_id AS external_id_lo,
       hi.model AS model_hi, hi.response AS response_hi, hi.external_id AS external_id_hi
FROM m
JOIN responses lo ON lo.evaluation_id = @evaluation_id AND lo.id = m.pair_lo
JOIN responses hi ON hi.evaluation_id = @evaluation_id AND hi.id = m.pair_hi
ORDER BY m.pair_lo, m.pair_hi;
