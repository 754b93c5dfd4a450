-- +goose Up
-- Background jobs as users see them: status, progress, outcome. The queue itself is
-- River's (river_job, migrated by River's own migrator beside these); River deletes
-- finished queue entries, so everything worth keeping lives here.
CREATE TABLE jobs (
    id                  uuid             PRIMARY KEY,
    kind                text             NOT NULL,
    -- No foreign key: a job outlives the evaluation it purged.
    evaluation_id       uuid,
    status              text             NOT NULL
        CHECK (status IN ('queued', 'running', 'succeeded', 'failed', 'cancelled')),
    params              jsonb            NOT NULL DEFAULT '{}',
    total               bigint           NOT NULL DEFAULT 0,
    done                bigint           NOT NULL DEFAULT 0,
    failed              bigint           NOT NULL DEFAULT 0,
    cached              bigint           NOT NULL DEFAULT 0,
    tokens              bigint           NOT NULL DEFAULT 0,
    cost                double precision NOT NULL DEFAULT 0,
    error               text             NOT NULL DEFAULT '',
    report              jsonb,
    -- checkpoint is where a restartable runner resumes: written in the same
    -- transaction as the work it stands for.
    checkpoint          text             NOT NULL DEFAULT '',
    -- The queue entry; River's id, for cancelling it.
    river_job_id        bigint,
    -- A worker holds a running job while lease_until is in the future and extends it
    -- while it works; a worker that died lets it lapse, and the next attempt takes over.
    attempts            integer          NOT NULL DEFAULT 0,
    lease_until         timestamptz,
    cancel_requested_at timestamptz,
    created_at          timestamptz      NOT NULL,
    started_at          timestamptz,
    finished_at         timestamptz
);
CREATE INDEX jobs_evaluation_idx ON jobs (evaluation_id, id);
CREATE INDEX jobs_active_idx ON jobs (status, id) WHERE status IN ('queued', 'running');

-- Deleting an evaluation marks it deleted (invisible at once) and a purge job
-- removes it in the background. Its name is free again at once: the uniqueness of
-- names holds among evaluations not deleted.
ALTER TABLE evaluations ADD COLUMN deleted_at timestamptz;
ALTER TABLE evaluations DROP CONSTRAINT evaluations_name_key;
CREATE UNIQUE INDEX evaluations_name_key ON evaluations (name) WHERE deleted_at IS NULL;

-- +goose Down
DELETE FROM evaluations WHERE deleted_at IS NOT NULL;
DROP INDEX evaluations_name_key;
ALTER TABLE evaluations ADD CONSTRAINT evaluations_name_key UNIQUE (name);
ALTER TABLE evaluations DROP COLUMN deleted_at;
DROP TABLE jobs;
