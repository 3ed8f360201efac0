-- The dashboard's activity page (issue 4): requests per day in a time window, per workspace.
-- Keep in step with migrations/postgres/0006_dashboard_activity.sql.
CREATE INDEX audit_log_workspace_at ON audit_log (workspace_id, at);
