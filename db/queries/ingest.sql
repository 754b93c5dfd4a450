-- Rollup maintenance and row deletes take a transaction-level advisory lock per
-- evaluation and model, so that a delete's rebuild of a model's rollups never
-- overlaps an ingest's fold of the same model's new scores: an ingest takes it
-- shared just before it folds its scores in (many ingests at once), a delete
-- exclusive before it rebuilds (one at a time, after the ingests in flight have
-- committed). The key is a hash; a collision only makes two models wait on each
-- other.

-- name: ShareModelRollups :exec
SELECT pg_advisory_xact_lock_shared(hashtextextended(CAST(@evaluation_id::uuid AS text) || '/' || m.model, 7341))
FROM (SELECT DISTINCT model FROM unnest(@models::text[]) AS u (model) ORDER BY model) AS m;

-- name: LockModelRollups :exec
SELECT pg_advisory_xact_lock(hashtextextended(CAST(@evaluation_id::uuid AS text) || '/' || @model::text, 7341));
