-- +goose Up
-- The number of each evaluation's responses, kept beside them, so that pages
-- showing it read a few rows instead of counting the evaluation's responses.
--
-- response_counts holds an evaluation's count in several rows (shards) whose sum
-- is the count. add_response_count adds to it:
--   - the statements of the Postgres store that insert responses call it with
--     the number they inserted, in their transaction (db/queries/responses.sql):
--     single and bulk ingest, COPY and staging alike, so a savepoint rolled back
--     or a transaction replayed after a deadlock takes its count with it. A
--     statement-level trigger would count inserts made any other way too, but
--     its transition table copies every inserted row, about 1.5 KB each, where
--     the one call costs under 0.1% of a bulk batch (docs/dashboard.md);
--   - statement-level triggers on responses count every delete (a response's,
--     the purge's, the cascade of deleting an evaluation), and any update that
--     moved a response to another evaluation.
--
-- A call adds to a shard of its evaluation that no other transaction holds
-- (FOR UPDATE SKIP LOCKED), or, when every shard is held, to a new one keyed by
-- its transaction's id, which no concurrent transaction shares. So writers of one
-- evaluation never wait for each other on the counts, and no lock is taken that
-- could close a deadlock with the rollup rows they also write. A shard is only
-- added when all are held, so an evaluation has about as many as it ever had
-- concurrent writers.

CREATE TABLE response_counts (
    evaluation_id uuid    NOT NULL REFERENCES evaluations (id) ON DELETE CASCADE,
    shard         integer NOT NULL,
    n             bigint  NOT NULL,
    PRIMARY KEY (evaluation_id, shard)
);

-- add_response_count adds delta to one shard of the evaluation's count.
-- +goose StatementBegin
CREATE FUNCTION add_response_count(evaluation uuid, delta bigint) RETURNS void
LANGUAGE plpgsql
AS $$
BEGIN
    IF delta = 0 THEN
        RETURN;
    END IF;
    -- Deleting an evaluation deletes its counts and, by cascade, its responses,
    -- whose count would then go to a row of an evaluation that no longer exists
    -- (a foreign key violation); there is nothing left to count.
    IF delta < 0 AND NOT EXISTS (SELECT FROM evaluations e WHERE e.id = evaluation) THEN
        RETURN;
    END IF;
    WITH free AS (
        SELECT s.shard FROM response_counts s
        WHERE s.evaluation_id = evaluation
        ORDER BY s.shard
        LIMIT 1
        FOR UPDATE SKIP LOCKED
    )
    UPDATE response_counts c SET n = c.n + delta
    FROM free
    WHERE c.evaluation_id = evaluation AND c.shard = free.shard;
    IF NOT FOUND THEN
        -- Every shard is held (by other transactions: this one's own are free to
        -- it): a new one, keyed by this transaction's id, which no other live
        -- transaction has.
        INSERT INTO response_counts AS c (evaluation_id, shard, n)
        VALUES (evaluation, (txid_current() % 2147483647)::integer, delta)
        ON CONFLICT (evaluation_id, shard) DO UPDATE SET n = c.n + excluded.n;
    END IF;
END
$$;
-- +goose StatementEnd

-- count_responses adds the rows of a statement, TG_ARGV[0] (1 or -1) times, to
-- their evaluations' counts, in evaluation order.
-- +goose StatementBegin
CREATE FUNCTION count_responses() RETURNS trigger
LANGUAGE plpgsql
AS $$
DECLARE
    d record;
BEGIN
    FOR d IN SELECT r.evaluation_id, count(*) AS n FROM changed_rows r GROUP BY r.evaluation_id ORDER BY r.evaluation_id LOOP
        PERFORM add_response_count(d.evaluation_id, TG_ARGV[0]::bigint * d.n);
    END LOOP;
    RETURN NULL;
END
$$;
-- +goose StatementEnd

CREATE TRIGGER responses_count_deleted AFTER DELETE ON responses
    REFERENCING OLD TABLE AS changed_rows FOR EACH STATEMENT EXECUTE FUNCTION count_responses('-1');
-- No statement updates a response's evaluation, but one that did would move it:
-- the old rows count out, then the new ones in (triggers fire in name order).
CREATE TRIGGER responses_count_updated_1_old AFTER UPDATE ON responses
    REFERENCING OLD TABLE AS changed_rows FOR EACH STATEMENT EXECUTE FUNCTION count_responses('-1');
CREATE TRIGGER responses_count_updated_2_new AFTER UPDATE ON responses
    REFERENCING NEW TABLE AS changed_rows FOR EACH STATEMENT EXECUTE FUNCTION count_responses('1');

-- The responses stored before this migration (the triggers, created first, hold
-- off writers of responses until it commits). Responses inserted after it by a
-- service built before it, as in a rolling upgrade, are not counted.
INSERT INTO response_counts (evaluation_id, shard, n)
SELECT evaluation_id, 0, count(*) FROM responses GROUP BY evaluation_id;

-- +goose Down
DROP TRIGGER responses_count_updated_2_new ON responses;
DROP TRIGGER responses_count_updated_1_old ON responses;
DROP TRIGGER responses_count_deleted ON responses;
DROP FUNCTION count_responses();
DROP FUNCTION add_response_count(uuid, bigint);
DROP TABLE response_counts;
