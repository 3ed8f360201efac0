-- Retention (issue 5): deleted memories and audit events are purged once older than their configured period.
-- Keep in step with migrations/sqlite/0009_retention.sql.

-- The audit log stays append-only: UPDATE is always refused, and DELETE only of rows older than
-- audit_purge.before_at, which is 0 (nothing) except inside the retention sweep's own transaction, which raises
-- it, deletes one batch and sets it back to 0 before committing. A missing row counts as 0. The sweep locks
-- this row, so two instances sweeping at once purge the log one after the other.
CREATE TABLE audit_purge (
  id        INTEGER PRIMARY KEY CHECK (id = 1),
  before_at BIGINT NOT NULL
);
INSERT INTO audit_purge (id, before_at) VALUES (1, 0);
CREATE OR REPLACE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'DELETE' AND OLD.at < coalesce((SELECT before_at FROM audit_purge WHERE id = 1), 0) THEN
    RETURN OLD;
  END IF;
  RAISE EXCEPTION 'audit_log is append-only';
END;
$$;

-- The sweep deletes audit events by time across every workspace; the (workspace_id, at, app_id) index cannot
-- serve that without the workspace, so events get an index on `at` alone.
CREATE INDEX audit_log_at ON audit_log (at);

-- A deleted memory's updated_at is the time it was deleted (nothing changes a deleted memory except a restore,
-- which moves it out of this index). The sweep finds the expired ones here without reading live memories.
CREATE INDEX memories_deleted_at ON memories (updated_at) WHERE state = 'deleted';
