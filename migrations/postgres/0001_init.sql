-- Cairn schema v1 (PostgreSQL). Times are bigint milliseconds since the epoch (UTC).
-- Keep in step with migrations/sqlite/0001_init.sql: both implement src/storage/schema.ts.

CREATE TABLE users (
  id          TEXT PRIMARY KEY,
  email       TEXT NOT NULL,
  name        TEXT,
  is_admin    INTEGER NOT NULL DEFAULT 0 CHECK (is_admin IN (0, 1)),
  disabled_at BIGINT,
  created_at  BIGINT NOT NULL
);
CREATE UNIQUE INDEX users_email_key ON users (email);

CREATE TABLE workspaces (
  id         TEXT PRIMARY KEY,
  name       TEXT NOT NULL,
  kind       TEXT NOT NULL CHECK (kind IN ('personal', 'shared')),
  created_at BIGINT NOT NULL
);

CREATE TABLE memberships (
  workspace_id TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
  user_id      TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  role         TEXT NOT NULL CHECK (role IN ('owner', 'admin', 'member', 'viewer')),
  created_at   BIGINT NOT NULL,
  PRIMARY KEY (workspace_id, user_id)
);
CREATE INDEX memberships_user ON memberships (user_id);

CREATE TABLE apps (
  id           TEXT PRIMARY KEY,
  workspace_id TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
  name         TEXT NOT NULL,
  created_at   BIGINT NOT NULL
);
CREATE UNIQUE INDEX apps_workspace_name ON apps (workspace_id, name);

CREATE TABLE memories (
  seq            BIGINT GENERATED ALWAYS AS IDENTITY UNIQUE,
  id             TEXT PRIMARY KEY,
  workspace_id   TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
  author_user_id TEXT NOT NULL REFERENCES users (id),
  app_id         TEXT NOT NULL REFERENCES apps (id),
  content        TEXT NOT NULL,
  metadata       JSONB NOT NULL DEFAULT '{}'::jsonb,
  state          TEXT NOT NULL CHECK (state IN ('active', 'archived', 'deleted')),
  content_hash   TEXT NOT NULL,
  created_at     BIGINT NOT NULL,
  updated_at     BIGINT NOT NULL,
  search_vector  TSVECTOR GENERATED ALWAYS AS (to_tsvector('english', content)) STORED
);
CREATE UNIQUE INDEX memories_workspace_hash ON memories (workspace_id, content_hash) WHERE state <> 'deleted';
CREATE INDEX memories_workspace_created ON memories (workspace_id, state, created_at DESC, id DESC);
CREATE INDEX memories_workspace_app ON memories (workspace_id, app_id, created_at DESC);
CREATE INDEX memories_search ON memories USING GIN (search_vector);

CREATE TABLE api_keys (
  id           TEXT PRIMARY KEY,
  user_id      TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  workspace_id TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
  app_id       TEXT NOT NULL REFERENCES apps (id),
  name         TEXT NOT NULL,
  prefix       TEXT NOT NULL,
  hash         TEXT NOT NULL UNIQUE,
  scopes       TEXT NOT NULL,
  created_at   BIGINT NOT NULL,
  expires_at   BIGINT,
  revoked_at   BIGINT,
  last_used_at BIGINT,
  usage_count  BIGINT NOT NULL DEFAULT 0,
  rotated_to   TEXT
);
CREATE INDEX api_keys_user ON api_keys (user_id, workspace_id);

CREATE TABLE audit_log (
  id              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  at              BIGINT NOT NULL,
  workspace_id    TEXT,
  user_id         TEXT,
  credential_kind TEXT,
  credential_id   TEXT,
  app_id          TEXT,
  action          TEXT NOT NULL,
  target_id       TEXT,
  request_id      TEXT,
  detail          TEXT
);
CREATE INDEX audit_log_workspace ON audit_log (workspace_id, id DESC);
CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'audit_log is append-only';
END;
$$;
CREATE TRIGGER audit_log_no_change BEFORE UPDATE OR DELETE ON audit_log
  FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();
