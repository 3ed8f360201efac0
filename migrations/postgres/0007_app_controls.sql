-- App controls (issue 5): a workspace's owner or admin can limit an app to reading or pause it.
-- Keep in step with migrations/sqlite/0007_app_controls.sql.

-- full: reads and writes; read_only: reads only; paused: neither, until resumed.
ALTER TABLE apps ADD COLUMN access TEXT NOT NULL DEFAULT 'full' CHECK (access IN ('full', 'read_only', 'paused'));
-- When the access last changed (NULL: never), shown beside the control.
ALTER TABLE apps ADD COLUMN access_changed_at BIGINT;
