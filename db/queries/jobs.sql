-- Background jobs: the rows users see. The queue entries are River's.

-- name: InsertJob :exec
INSERT INTO jobs (id, kind, evaluation_id, status, params, river_job_id, created_at)
VALUES (@id, @kind, sqlc.narg(evaluation_id), 'queued', @params, @river_job_id, @created_at);

-- name: GetJob :one
SELECT * FROM jobs WHERE id = @id;

-- name: ListJobs :many
-- Newest first; ids are UUIDv7, so id order is creation order.
SELECT * FROM jobs
WHERE (sqlc.narg(evaluation_id)::uuid IS NULL OR evaluation_id = sqlc.narg(evaluation_id))
  AND (sqlc.narg(kind)::text IS NULL OR kind = sqlc.narg(kind))
  AND (sqlc.narg(status)::text IS NULL OR status = sqlc.narg(status))
  AND (sqlc.narg(after_id)::uuid IS NULL OR id < sqlc.narg(after_id))
ORDER BY id DESC
LIMIT @lim;

-- name: SetJobTotal :execrows
UPDATE jobs SET total = @total WHERE id = @id;

-- name: AddJobProgress :execrows
UPDATE jobs
SET done = done + @done, failed = failed + @failed, cached = cached + @cached,
    tokens = tokens + @tokens, cost = cost + @cost
WHERE id = @id;

-- name: AdvanceJobCheckpoint :execrows
-- Compare and set: a runner that lost its job to another worker cannot write.
UPDATE jobs SET checkpoint = @checkpoint WHERE id = @id AND checkpoint = @from_checkpoint;

-- name: CancelJob :one
-- A queued job ends at once; a running one is flagged and ends when its worker
-- sees the flag. A finished job is left as it is.
UPDATE jobs
SET cancel_requested_at = COALESCE(cancel_requested_at, now()),
    status = CASE WHEN status = 'queued' THEN 'cancelled' ELSE status END,
    finished_at = CASE WHEN status = 'queued' THEN now() ELSE finished_at END
WHERE id = @id AND status IN ('queued', 'running')
RETURNING *;

-- name: ActiveJobsOfEvaluation :many
SELECT * FROM jobs
WHERE evaluation_id = @evaluation_id AND status IN ('queued', 'running')
ORDER BY id;

-- name: LockJobKindOfEvaluation :exec
-- Serialises the enqueues of one kind of job for one evaluation (EnqueueJobOnce).
SELECT pg_advisory_xact_lock(hashtextextended(CAST(@evaluation_id::uuid AS text) || '/' || @kind::text, 7343));

-- name: ActiveJobOfKind :many
SELECT * FROM jobs
WHERE evaluation_id = @evaluation_id AND kind = @kind AND status IN ('queued', 'running')
ORDER BY id
LIMIT 1;

-- name: ClaimJob :one
-- A worker takes a queued job, or a running one whose lease lapsed (its worker
-- died); a job whose cancellation was asked for is not taken.
UPDATE jobs
SET status = 'running', started_at = COALESCE(started_at, now()), attempts = attempts + 1,
    lease_until = now() + make_interval(secs => @lease_seconds::float8)
WHERE id = @id AND cancel_requested_at IS NULL
  AND (status = 'queued' OR (status = 'running' AND (lease_until IS NULL OR lease_until < now())))
RETURNING *;

-- name: ExtendJobLease :one
-- Keeps a running job held by the worker of this attempt; reports whether it was
-- asked to stop. No row: another worker took the job over.
UPDATE jobs
SET lease_until = now() + make_interval(secs => @lease_seconds::float8)
WHERE id = @id AND status = 'running' AND attempts = @attempts
RETURNING (cancel_requested_at IS NOT NULL)::boolean AS cancel_requested;

-- name: FinishJob :execrows
UPDATE jobs
SET status = @status, error = @error, report = sqlc.narg(report), finished_at = now(), lease_until = NULL
WHERE id = @id AND status = 'running' AND attempts = @attempts;

-- name: ReleaseJob :execrows
-- A worker shutting down lets go of a job it could not finish, so the next
-- attempt takes it at once.
UPDATE jobs SET lease_until = NULL
WHERE id = @id AND status = 'running' AND attempts = @attempts;

-- name: LapsedJobs :many
-- Running jobs whose worker died (the lease lapsed), locked for re-queueing.
SELECT id, kind FROM jobs
WHERE status = 'running' AND lease_until < now()
ORDER BY id
LIMIT @lim
FOR UPDATE SKIP LOCKED;

-- name: RequeueJob :exec
UPDATE jobs SET river_job_id = @river_job_id, lease_until = NULL WHERE id = @id;

-- name: CancelLapsedJob :execrows
-- Ends a job whose cancellation was asked for while its worker died.
UPDATE jobs
SET status = 'cancelled', finished_at = now(), lease_until = NULL
WHERE id = @id AND status = 'running' AND cancel_requested_at IS NOT NULL
  AND (lease_until IS NULL OR lease_until < now());

-- name: LockQueueMigrations :exec
-- Serialises River's migrations between processes starting at once (goose has its
-- own lock). A session lock: River applies each migration in its own transaction.
SELECT pg_advisory_lock(7259018306112935921);

-- name: UnlockQueueMigrations :exec
SELECT pg_advisory_unlock(7259018306112935921);

-- name: DeleteFinishedJobs :many
-- Retention: one batch of finished jobs that finished before @before, in id order
-- after @after_id (the last id of the batch before). A job that judgments or
-- pending scores still name is kept: it is their run, and goes once they go (with
-- their evaluation). Both lookups use the (evaluation_id, job_id, ...) indexes.
DELETE FROM jobs d
WHERE d.id IN (
    SELECT j.id FROM jobs j
    WHERE j.status IN ('succeeded', 'failed', 'cancelled')
      AND j.finished_at < @before::timestamptz
      AND j.id > @after_id
      AND NOT EXISTS (SELECT 1 FROM judgments g WHERE g.evaluation_id = j.evaluation_id AND g.job_id = j.id)
      AND NOT EXISTS (SELECT 1 FROM pending_scores p WHERE p.evaluation_id = j.evaluation_id AND p.job_id = j.id)
    ORDER BY j.id
    LIMIT @lim
    FOR UPDATE SKIP LOCKED)
RETURNING d.id;
