-- What the web dashboard reads (issue 4). Keep in step with migrations/postgres/0006_dashboard.sql.

-- The activity chart counts a workspace's audit events per day and app over a time window; with app_id in
-- the index the count reads no rows.
CREATE INDEX audit_log_workspace_at ON audit_log (workspace_id, at, app_id);

-- The filter menus count memories per app, author and state in one pass: an index that covers the grouping
-- answers it without reading the rows.
CREATE INDEX memories_workspace_facets ON memories (workspace_id, app_id, author_user_id, state);
