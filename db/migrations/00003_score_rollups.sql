-- +goose Up
-- Score rollups, maintained on ingest in the same transaction as the scores, so a
-- summary reads a few rows per scorer and model instead of every score.
--
-- score_rollups holds exact running statistics: counts, the mean and the sum of
-- squared deviations (merged with Chan et al.'s pairwise update), min and max.
-- score_histograms holds log-spaced value buckets (relative width 0.2%) with the
-- count, min and max of the values in each, from which percentiles are read: exact
-- when a bucket holds one distinct value (0/1 flags, counts below 500), otherwise
-- within the bucket's width.
--
-- Each ingest writes to one of 16 shards chosen at random, so concurrent ingests
-- into the same evaluation and model rarely wait on each other's row locks; readers
-- sum the shards.

CREATE TABLE score_rollups (
    evaluation_id uuid             NOT NULL REFERENCES evaluations (id) ON DELETE CASCADE,
    scorer        text             NOT NULL,
    model         text             NOT NULL,
    shard         smallint         NOT NULL,
    n_scores      bigint           NOT NULL,
    n             bigint           NOT NULL,
    mean          double precision,
    m2            double precision,
    min_value     double precision,
    max_value     double precision,
    n_pass_known  bigint           NOT NULL,
    n_passed      bigint           NOT NULL,
    n_errors      bigint           NOT NULL,
    PRIMARY KEY (evaluation_id, scorer, model, shard)
);

CREATE TABLE score_histograms (
    evaluation_id uuid             NOT NULL REFERENCES evaluations (id) ON DELETE CASCADE,
    scorer        text             NOT NULL,
    model         text             NOT NULL,
    shard         smallint         NOT NULL,
    bucket        integer          NOT NULL,
    count         bigint           NOT NULL,
    min_value     double precision NOT NULL,
    max_value     double precision NOT NULL,
    PRIMARY KEY (evaluation_id, scorer, model, shard, bucket)
);

-- score_bucket maps a value to its histogram bucket: 0 for |v| < 1e-12, otherwise
-- sign(v) · (1 + ceil(ln(|v| / 1e-12) / ln(1.002))). The application reads
-- buckets but never computes them, so this is the only definition.
-- +goose StatementBegin
CREATE FUNCTION score_bucket(v double precision) RETURNS integer
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
AS $$
    SELECT CASE WHEN abs(v) < 1e-12 THEN 0
                ELSE (sign(v) * (1 + ceil(ln(abs(v) / 1e-12) / ln(1.002))))::integer END
$$;
-- +goose StatementEnd

-- Backfill from scores stored before the rollups existed, into shard 0.
INSERT INTO score_rollups (evaluation_id, scorer, model, shard, n_scores, n, mean, m2, min_value, max_value, n_pass_known, n_passed, n_errors)
SELECT evaluation_id, scorer, model, 0, count(*), count(value), avg(value),
       COALESCE(var_samp(value) * (count(value) - 1), 0), min(value), max(value),
       count(passed), count(*) FILTER (WHERE passed), count(error)
FROM scores GROUP BY evaluation_id, scorer, model;

INSERT INTO score_histograms (evaluation_id, scorer, model, shard, bucket, count, min_value, max_value)
SELECT evaluation_id, scorer, model, 0, score_bucket(value), count(*), min(value), max(value)
FROM scores WHERE value IS NOT NULL
GROUP BY evaluation_id, scorer, model, score_bucket(value);

-- +goose Down
DROP TABLE score_histograms;
DROP TABLE score_rollups;
DROP FUNCTION score_bucket(double precision);
