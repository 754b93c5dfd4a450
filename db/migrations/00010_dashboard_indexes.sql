-- +goose Up
-- Aggregates and indexes that keep the dashboard's pages (and the API requests
-- they share use cases with) from reading every comparison or score of an
-- evaluation.
--
-- comparison_outcomes counts comparisons per (annotator kind, model_a, model_b,
-- preference): everything Bradley–Terry, its bootstrap, win rates and the
-- head-to-head matrices need, in a number of rows that grows with the model pairs
-- and distinct preferences, not with the comparisons.
--
-- Agreement looks only at pairs of responses judged at least twice, usually a
-- small share of the comparisons. comparison_pairs counts the judgements of each
-- unordered pair, and agreement_judgements holds a copy of what agreement reads
-- of each comparison of the pairs judged at least twice, in the order it reads
-- it, so agreement reads those rows alone.
--
-- All three are kept by statement-level triggers on comparisons, so every way a
-- comparison comes or goes counts: bulk and single ingest, COPY, deletes, and the
-- cascades from deleting a response or an evaluation. A trigger first takes a
-- transaction-level advisory lock per evaluation, so concurrent writers of one
-- evaluation's comparisons update the counts one after the other (in the order
-- they take the lock, never crosswise, so they cannot deadlock on the counts).

CREATE TABLE comparison_outcomes (
    evaluation_id  uuid             NOT NULL REFERENCES evaluations (id) ON DELETE CASCADE,
    annotator_kind text             NOT NULL,
    model_a        text             NOT NULL,
    model_b        text             NOT NULL,
    preference     double precision NOT NULL,
    n              bigint           NOT NULL,
    PRIMARY KEY (evaluation_id, annotator_kind, model_a, model_b, preference)
);

CREATE TABLE comparison_pairs (
    evaluation_id uuid   NOT NULL REFERENCES evaluations (id) ON DELETE CASCADE,
    pair_lo       uuid   NOT NULL,
    pair_hi       uuid   NOT NULL,
    judgements    bigint NOT NULL,
    PRIMARY KEY (evaluation_id, pair_lo, pair_hi)
);

CREATE TABLE agreement_judgements (
    evaluation_id  uuid             NOT NULL REFERENCES evaluations (id) ON DELETE CASCADE,
    comparison_id  uuid             NOT NULL,
    pair_lo        uuid             NOT NULL,
    pair_hi        uuid             NOT NULL,
    annotator      text             NOT NULL,
    annotator_kind text             NOT NULL,
    created_at     timestamptz      NOT NULL,
    preference_hi  double precision NOT NULL,
    PRIMARY KEY (evaluation_id, comparison_id)
);
-- Each annotator's judgements of a pair, latest first (db/queries/preferences.sql).
CREATE INDEX agreement_judgements_pair_idx ON agreement_judgements
    (evaluation_id, pair_lo, pair_hi, annotator, created_at DESC, comparison_id DESC) INCLUDE (annotator_kind, preference_hi);

-- +goose StatementBegin
CREATE FUNCTION lock_comparison_counts(evaluation_ids uuid[]) RETURNS void
LANGUAGE sql VOLATILE
AS $$
    SELECT pg_advisory_xact_lock(hashtextextended('comparison-counts/' || CAST(e AS text), 7342))
    FROM (SELECT DISTINCT e FROM unnest(evaluation_ids) AS u (e) ORDER BY e) AS d
$$;
-- +goose StatementEnd

-- A pair that reaches two judgements brings all its comparisons into
-- agreement_judgements; later ones of a pair already there come with it.
-- +goose StatementBegin
CREATE FUNCTION count_inserted_comparisons() RETURNS trigger
LANGUAGE plpgsql
AS $$
BEGIN
    IF NOT EXISTS (SELECT FROM new_rows) THEN
        RETURN NULL; -- an empty insert
    END IF;
    PERFORM lock_comparison_counts(ARRAY(SELECT DISTINCT evaluation_id FROM new_rows));
    INSERT INTO comparison_outcomes AS o (evaluation_id, annotator_kind, model_a, model_b, preference, n)
    SELECT evaluation_id, annotator_kind, model_a, model_b, preference, count(*)
    FROM new_rows
    GROUP BY evaluation_id, annotator_kind, model_a, model_b, preference
    ORDER BY evaluation_id, annotator_kind, model_a, model_b, preference
    ON CONFLICT (evaluation_id, annotator_kind, model_a, model_b, preference) DO UPDATE SET n = o.n + excluded.n;
    WITH counted AS (
        INSERT INTO comparison_pairs AS p (evaluation_id, pair_lo, pair_hi, judgements)
        SELECT evaluation_id, pair_lo, pair_hi, count(*)
        FROM new_rows
        GROUP BY evaluation_id, pair_lo, pair_hi
        ORDER BY evaluation_id, pair_lo, pair_hi
        ON CONFLICT (evaluation_id, pair_lo, pair_hi) DO UPDATE SET judgements = p.judgements + excluded.judgements
        RETURNING p.evaluation_id, p.pair_lo, p.pair_hi, p.judgements
    )
    INSERT INTO agreement_judgements (evaluation_id, comparison_id, pair_lo, pair_hi, annotator, annotator_kind, created_at, preference_hi)
    SELECT c.evaluation_id, c.id, c.pair_lo, c.pair_hi, c.annotator, c.annotator_kind, c.created_at, c.preference_hi
    FROM counted
    JOIN comparisons c ON c.evaluation_id = counted.evaluation_id AND c.pair_lo = counted.pair_lo AND c.pair_hi = counted.pair_hi
    WHERE counted.judgements >= 2
    ON CONFLICT (evaluation_id, comparison_id) DO NOTHING;
    RETURN NULL;
END
$$;
-- +goose StatementEnd

-- Deletes only decrement rows that exist (an evaluation's own delete may have
-- removed them first, by its cascade), then drop the rows that reached zero (in a
-- statement of their own: a statement cannot delete a row it has updated), and
-- the agreement rows of the deleted comparisons and of pairs now judged once.
-- +goose StatementBegin
CREATE FUNCTION count_deleted_comparisons() RETURNS trigger
LANGUAGE plpgsql
AS $$
BEGIN
    IF NOT EXISTS (SELECT FROM old_rows) THEN
        RETURN NULL; -- a cascade that found nothing to delete
    END IF;
    PERFORM lock_comparison_counts(ARRAY(SELECT DISTINCT evaluation_id FROM old_rows));
    UPDATE comparison_outcomes o SET n = o.n - d.n
    FROM (SELECT evaluation_id, annotator_kind, model_a, model_b, preference, count(*) AS n
          FROM old_rows
          GROUP BY evaluation_id, annotator_kind, model_a, model_b, preference) AS d
    WHERE o.evaluation_id = d.evaluation_id AND o.annotator_kind = d.annotator_kind
      AND o.model_a = d.model_a AND o.model_b = d.model_b AND o.preference = d.preference;
    DELETE FROM comparison_outcomes o
    USING (SELECT DISTINCT evaluation_id, annotator_kind, model_a, model_b, preference FROM old_rows) AS d
    WHERE o.evaluation_id = d.evaluation_id AND o.annotator_kind = d.annotator_kind
      AND o.model_a = d.model_a AND o.model_b = d.model_b AND o.preference = d.preference AND o.n <= 0;
    UPDATE comparison_pairs p SET judgements = p.judgements - d.n
    FROM (SELECT evaluation_id, pair_lo, pair_hi, count(*) AS n
          FROM old_rows
          GROUP BY evaluation_id, pair_lo, pair_hi) AS d
    WHERE p.evaluation_id = d.evaluation_id AND p.pair_lo = d.pair_lo AND p.pair_hi = d.pair_hi;
    DELETE FROM comparison_pairs p
    USING (SELECT DISTINCT evaluation_id, pair_lo, pair_hi FROM old_rows) AS d
    WHERE p.evaluation_id = d.evaluation_id AND p.pair_lo = d.pair_lo AND p.pair_hi = d.pair_hi AND p.judgements <= 0;
    DELETE FROM agreement_judgements a
    USING old_rows d
    WHERE a.evaluation_id = d.evaluation_id AND a.comparison_id = d.id;
    DELETE FROM agreement_judgements a
    USING (SELECT DISTINCT evaluation_id, pair_lo, pair_hi FROM old_rows) AS d
    WHERE a.evaluation_id = d.evaluation_id AND a.pair_lo = d.pair_lo AND a.pair_hi = d.pair_hi
      AND NOT EXISTS (SELECT FROM comparison_pairs p
                      WHERE p.evaluation_id = d.evaluation_id AND p.pair_lo = d.pair_lo AND p.pair_hi = d.pair_hi AND p.judgements >= 2);
    RETURN NULL;
END
$$;
-- +goose StatementEnd

CREATE TRIGGER comparisons_count_inserted AFTER INSERT ON comparisons
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION count_inserted_comparisons();
CREATE TRIGGER comparisons_count_deleted AFTER DELETE ON comparisons
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION count_deleted_comparisons();
-- An update counts as a delete of the old rows and then an insert of the new
-- ones (triggers fire in name order).
CREATE TRIGGER comparisons_count_updated_1_old AFTER UPDATE ON comparisons
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION count_deleted_comparisons();
CREATE TRIGGER comparisons_count_updated_2_new AFTER UPDATE ON comparisons
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION count_inserted_comparisons();

-- What the comparisons stored before this migration add up to.
INSERT INTO comparison_outcomes (evaluation_id, annotator_kind, model_a, model_b, preference, n)
SELECT evaluation_id, annotator_kind, model_a, model_b, preference, count(*)
FROM comparisons
GROUP BY evaluation_id, annotator_kind, model_a, model_b, preference;

INSERT INTO comparison_pairs (evaluation_id, pair_lo, pair_hi, judgements)
SELECT evaluation_id, pair_lo, pair_hi, count(*)
FROM comparisons
GROUP BY evaluation_id, pair_lo, pair_hi;

INSERT INTO agreement_judgements (evaluation_id, comparison_id, pair_lo, pair_hi, annotator, annotator_kind, created_at, preference_hi)
SELECT c.evaluation_id, c.id, c.pair_lo, c.pair_hi, c.annotator, c.annotator_kind, c.created_at, c.preference_hi
FROM comparison_pairs p
JOIN comparisons c ON c.evaluation_id = p.evaluation_id AND c.pair_lo = p.pair_lo AND c.pair_hi = p.pair_hi
WHERE p.judgements >= 2;

-- A scorer's scores in value order, for the dashboard's score-range filter
-- (db/queries/web.sql).
CREATE INDEX scores_value_idx ON scores (evaluation_id, scorer, value, response_id);

-- +goose Down
DROP INDEX scores_value_idx;
DROP TRIGGER comparisons_count_updated_2_new ON comparisons;
DROP TRIGGER comparisons_count_updated_1_old ON comparisons;
DROP TRIGGER comparisons_count_deleted ON comparisons;
DROP TRIGGER comparisons_count_inserted ON comparisons;
DROP FUNCTION count_deleted_comparisons();
DROP FUNCTION count_inserted_comparisons();
DROP FUNCTION lock_comparison_counts(uuid[]);
DROP TABLE agreement_judgements;
DROP TABLE comparison_pairs;
DROP TABLE comparison_outcomes;
