-- +goose Up
-- A pending score is a score that a scorer running later (a judge behind a remote
-- endpoint) owes a response: ingest records it, in the transaction that stores the
-- response, together with the job that will compute it (job_id). The job turns
-- each row into a score (a value, or the error that stopped it) and deletes the
-- row in one transaction, so a response has either a pending row or a score under
-- a scorer's name, never both for long and never neither.
--
-- Pending scores live apart from scores so that nothing that reads scores
-- (summaries, rollups, diffs, exports, filters) has to learn to skip them: a
-- pending score enters no mean and no pass rate. Summaries count them from here.
CREATE TABLE pending_scores (
    evaluation_id uuid        NOT NULL,
    response_id   uuid        NOT NULL,
    scorer        text        NOT NULL,
    -- model is copied from the response (immutable), for per-model counts.
    model         text        NOT NULL,
    job_id        uuid        NOT NULL,
    created_at    timestamptz NOT NULL,
    PRIMARY KEY (evaluation_id, response_id, scorer),
    FOREIGN KEY (evaluation_id, response_id) REFERENCES responses (evaluation_id, id) ON DELETE CASCADE
);
-- The job reads its rows in key order.
CREATE INDEX pending_scores_job_idx ON pending_scores (evaluation_id, job_id, response_id, scorer);

-- +goose Down
DROP TABLE pending_scores;
