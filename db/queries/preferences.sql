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

-- AgreementJudgements returns the named judgements of the pairs of responses
-- judged at least twice, each pair's by annotator, latest first: the store keeps
-- each annotator's latest judgement of a pair that two or more annotators judged.
-- Judgements without an annotator name cannot be told apart, so they take no
-- part. Triggers on comparisons keep these judgements in agreement_judgements
-- (migration 00010), whose index gives them in this order, so the query reads
-- those alone, without sorting.

-- name: AgreementJudgements :many
SELECT a.pair_lo, a.pair_hi, a.annotator, a.preference_hi
FROM agreement_judgements a
WHERE a.evaluation_id = @evaluation_id AND a.annotator <> ''
  AND (sqlc.narg(annotator_kind)::text IS NULL OR a.annotator_kind = sqlc.narg(annotator_kind))
ORDER BY a.pair_lo, a.pair_hi, a.annotator, a.created_at DESC, a.comparison_id DESC;

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
           -- Nameless judgements cannot be told apart (agreement leaves them out):
           -- each counts as an annotator of its own, never as one together.
           (count(DISTINCT NULLIF(c.annotator, '')) + count(*) FILTER (WHERE c.annotator = ''))::bigint AS annotators
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
