-- +goose Up
-- Per-prompt means for diffs, kept beside the scores and never trusted when stale.
--
-- A diff pairs two evaluations prompt by prompt: per scorer and prompt, the mean
-- value and the share passed of the scores with a value. prompt_means keeps them,
-- one row per evaluation and scorer holding arrays sorted by prompt id (bytewise),
-- so a diff reads a few rows per evaluation instead of grouping every score. They
-- are computed by a background job, never on ingest.
--
-- A cache is used only while it matches the evaluation's scores. Every write that
-- changes an evaluation's scores also writes its score_rollups rows (ingest folds
-- into them, deletes and judge runs rebuild them, a rescore batch touches one of
-- them and rebuilds them all at the end), so each rollup row carries a stamp, taken
-- from a sequence whenever the row is inserted or updated. score_fingerprint hashes
-- the evaluation's stamps: it changes whenever a rollup row is added, changed or
-- removed. The job stores the fingerprint it computed the means under, in the same
-- snapshot; a reader compares it with the current one in the same snapshot as it
-- reads the means. An evaluation without rollup rows has no fingerprint (NULL) and
-- is never served from a cache.

CREATE SEQUENCE score_rollup_stamps;

ALTER TABLE score_rollups ADD COLUMN stamp bigint NOT NULL DEFAULT nextval('score_rollup_stamps');

-- +goose StatementBegin
CREATE FUNCTION stamp_score_rollup() RETURNS trigger
LANGUAGE plpgsql
AS $$
BEGIN
    NEW.stamp := nextval('score_rollup_stamps');
    RETURN NEW;
END
$$;
-- +goose StatementEnd

-- Inserts take the column default; every update, whatever it sets, a new stamp.
CREATE TRIGGER score_rollups_stamp BEFORE UPDATE ON score_rollups
FOR EACH ROW EXECUTE FUNCTION stamp_score_rollup();

-- +goose StatementBegin
CREATE FUNCTION score_fingerprint(e uuid) RETURNS bytea
LANGUAGE sql STABLE PARALLEL SAFE
AS $$
    SELECT CASE WHEN count(*) > 0
                THEN sha256(convert_to(string_agg(stamp::text, ',' ORDER BY stamp), 'UTF8')) END
    FROM score_rollups WHERE evaluation_id = e
$$;
-- +goose StatementEnd

CREATE TABLE prompt_mean_states (
    evaluation_id uuid        PRIMARY KEY REFERENCES evaluations (id) ON DELETE CASCADE,
    fingerprint   bytea       NOT NULL,
    refreshed_at  timestamptz NOT NULL
);

CREATE TABLE prompt_means (
    evaluation_id uuid               NOT NULL REFERENCES prompt_mean_states (evaluation_id) ON DELETE CASCADE,
    scorer        text               NOT NULL,
    prompt_ids    text[]             NOT NULL,
    ns            bigint[]           NOT NULL,
    means         double precision[] NOT NULL,
    -- NULL where none of the prompt's scores has a verdict.
    pass_rates    double precision[] NOT NULL,
    PRIMARY KEY (evaluation_id, scorer)
);

-- +goose Down
DROP TABLE prompt_means;
DROP TABLE prompt_mean_states;
DROP FUNCTION score_fingerprint(uuid);
DROP TRIGGER score_rollups_stamp ON score_rollups;
DROP FUNCTION stamp_score_rollup();
ALTER TABLE score_rollups DROP COLUMN stamp;
DROP SEQUENCE score_rollup_stamps;
