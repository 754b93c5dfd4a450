-- +goose Up
-- score_bucket without STRICT, so that PostgreSQL inlines it into the statements
-- that call it instead of running its body as a statement of its own for every
-- value (a bulk request's histogram fold calls it once per distinct value). A SQL
-- function is inlined only when it is not STRICT, or when the planner can prove
-- its body null on a null argument, which it cannot for a CASE. The body is
-- unchanged and is null for a null value anyway, so every bucket stays the same.
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION score_bucket(v double precision) RETURNS integer
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
    SELECT CASE WHEN abs(v) < 1e-12 THEN 0
                ELSE (sign(v) * (1 + ceil(ln(abs(v) / 1e-12) / ln(1.002))))::integer END
$$;
-- +goose StatementEnd

-- +goose Down
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION score_bucket(v double precision) RETURNS integer
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
AS $$
    SELECT CASE WHEN abs(v) < 1e-12 THEN 0
                ELSE (sign(v) * (1 + ceil(ln(abs(v) / 1e-12) / ln(1.002))))::integer END
$$;
-- +goose StatementEnd
