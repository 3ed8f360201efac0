-- Retention (issue 5): deleted memories and audit events are purged once older than their configured period.
-- Keep in step with migrations/postgres/0009_retention.sql.

-- The audit log stays append-only: UPDATE is always refused, and DELETE only of rows older than
-- audit_purge.before_at, which is 0 (nothing) except inside the retention sweep's own transaction, which raises
-- it, deletes one batch and sets it back to 0 before committing. A missing row counts as 0.
CREATE TABLE audit_purge (
  id        INTEGER PRIMARY KEY CHECK (id = 1),
  before_at INTEGER NOT NULL
);
INSERT INTO audit_purge (id, before_at) VALUES (1, 0);
DROP TRIGGER audit_log_no_delete;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
WHEN old.at >= coalesce((SELECT before_at FROM audit_purge WHERE id = 1), 0)
BEGIN
  SELECT RAISE(ABORT, 'audit_log is append-only');
END;

-- The sweep deletes audit events by time across every workspace; the (workspace_id, at, app_id) index cannot
-- serve that without the workspace, so events get an index on `at` alone.
CREATE INDEX audit_log_at ON audit_log (at);

-- A deleted memory's updated_at is the time it was deleted (nothing changes a deleted memory except a restore,
-- which moves it out of this index). The sweep finds the expired ones here without reading live memories.
CREATE INDEX memories_deleted_at ON memories (updated_at) WHERE state = 'deleted';
