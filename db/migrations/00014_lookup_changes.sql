-- +goose Up
-- A notice on the channel rlhf_lookups whenever an API key or an evaluation
-- changes in a way a request's lookup of it could see: a key revoked, expired,
-- given other scopes or deleted; an evaluation renamed, given other scorers,
-- marked deleted or deleted. Each serving process listens on the channel and
-- keeps looked-up keys and evaluations in memory only while it does (see
-- app.Lookups), dropping them all at every notice.
--
-- The triggers are per statement, and PostgreSQL sends a notice only when the
-- transaction commits, once per distinct payload: a transaction that changes
-- many rows costs one notice. Recording a key's use (last_used_at alone) and
-- inserting rows send none: a lookup never keeps a row it did not find.

-- +goose StatementBegin
CREATE FUNCTION notify_lookup_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('rlhf_lookups', TG_TABLE_NAME);
    RETURN NULL;
END
$$;
-- +goose StatementEnd

CREATE TRIGGER api_keys_lookup_change
    AFTER UPDATE OF id, name, prefix, hash, scopes, created_at, expires_at, revoked_at OR DELETE OR TRUNCATE ON api_keys
    FOR EACH STATEMENT EXECUTE FUNCTION notify_lookup_change();

CREATE TRIGGER evaluations_lookup_change
    AFTER UPDATE OR DELETE OR TRUNCATE ON evaluations
    FOR EACH STATEMENT EXECUTE FUNCTION notify_lookup_change();

-- +goose Down
DROP TRIGGER evaluations_lookup_change ON evaluations;
DROP TRIGGER api_keys_lookup_change ON api_keys;
DROP FUNCTION notify_lookup_change();
