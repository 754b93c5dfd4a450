-- Pending scores: see db/migrations/00009_pending_scores.sql.

-- name: AddPendingScores :execrows
-- One pending score per given response and scorer, owed by job; the model is the
-- response's. A response that already owes a scorer's score keeps its row.
INSERT INTO pending_scores (evaluation_id, response_id, scorer, model, job_id, created_at)
SELECT r.evaluation_id, r.id, sc.scorer, r.model, @job_id, @created_at
FROM responses r
CROSS JOIN unnest(@scorers::text[]) AS sc(scorer)
WHERE r.evaluation_id = @evaluation_id AND r.id = ANY(@response_ids::uuid[])
ON CONFLICT DO NOTHING;

-- name: PendingScoresOfJob :many
-- A page of the scores a job owes, after (response_id, scorer) in key order.
SELECT response_id, scorer FROM pending_scores
WHERE evaluation_id = @evaluation_id AND job_id = @job_id
  AND (response_id, scorer) > (@after_response::uuid, @after_scorer::text)
ORDER BY response_id, scorer
LIMIT @lim;

-- name: DeletePendingScore :execrows
-- Settles one pending score of a job: the caller stores the score in the same
-- transaction, so a second attempt finds nothing to delete and stores nothing.
DELETE FROM pending_scores
WHERE evaluation_id = @evaluation_id AND response_id = @response_id AND scorer = @scorer AND job_id = @job_id;

-- name: InsertSettledScore :execrows
INSERT INTO scores (evaluation_id, response_id, scorer, model, prompt_id, value, passed, details, error, created_at)
VALUES (@evaluation_id, @response_id, @scorer, @model, @prompt_id, @value, @passed, @details, @error, @created_at)
ON CONFLICT (evaluation_id, response_id, scorer) DO NOTHING;

-- name: CountPendingScores :many
SELECT scorer, model, count(*) AS n FROM pending_scores
WHERE evaluation_id = @evaluation_id
GROUP BY scorer, model
ORDER BY scorer, model;
