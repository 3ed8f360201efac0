-- Cairn schema v1 (SQLite). Times are integer milliseconds since the epoch (UTC).
-- Keep in step with migrations/postgres/0001_init.sql: both implement src/storage/schema.ts.

CREATE TABLE users (
  id          TEXT PRIMARY KEY,
  email       TEXT NOT NULL,
  name        TEXT,
  is_admin    INTEGER NOT NULL DEFAULT 0 CHECK (is_admin IN (0, 1)),
  disabled_at INTEGER,
  created_at  INTEGER NOT NULL
);
-- Emails are stored lower-cased by the application; the unique index makes a concurrent duplicate a
-- clean CONFLICT instead of two accounts.
CREATE UNIQUE INDEX users_email_key ON users (email);

CREATE TABLE workspaces (
  id         TEXT PRIMARY KEY,
  name       TEXT NOT NULL,
  kind       TEXT NOT NULL CHECK (kind IN ('personal', 'shared')),
  created_at INTEGER NOT NULL
);

CREATE TABLE memberships (
  workspace_id TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
  user_id      TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  role         TEXT NOT NULL CHECK (role IN ('owner', 'admin', 'member', 'viewer')),
  created_at   INTEGER NOT NULL,
  PRIMARY KEY (workspace_id, user_id)
);
CREATE INDEX memberships_user ON memberships (user_id);

-- The client that wrote a memory (an API key's name today; OAuth clients later).
CREATE TABLE apps (
  id           TEXT PRIMARY KEY,
  workspace_id TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
  name         TEXT NOT NULL,
  created_at   INTEGER NOT NULL
);
CREATE UNIQUE INDEX apps_workspace_name ON apps (workspace_id, name);

CREATE TABLE memories (
  -- seq is the stable rowid the full-text index points at (an implicit rowid may change on VACUUM).
  seq            INTEGER PRIMARY KEY,
  id             TEXT NOT NULL UNIQUE,
  workspace_id   TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
  author_user_id TEXT NOT NULL REFERENCES users (id),
  app_id         TEXT NOT NULL REFERENCES apps (id),
  content        TEXT NOT NULL,
  metadata       TEXT NOT NULL DEFAULT '{}',
  state          TEXT NOT NULL CHECK (state IN ('active', 'archived', 'deleted')),
  content_hash   TEXT NOT NULL,
  created_at     INTEGER NOT NULL,
  updated_at     INTEGER NOT NULL
);
-- One live copy of a content per workspace; deleted ones do not block adding the text again.
CREATE UNIQUE INDEX memories_workspace_hash ON memories (workspace_id, content_hash) WHERE state <> 'deleted';
CREATE INDEX memories_workspace_created ON memories (workspace_id, state, created_at DESC, id DESC);
CREATE INDEX memories_workspace_app ON memories (workspace_id, app_id, created_at DESC);

CREATE VIRTUAL TABLE memories_fts USING fts5 (
  content,
  content = 'memories',
  content_rowid = 'seq',
  tokenize = 'porter unicode61 remove_diacritics 2'
);
CREATE TRIGGER memories_fts_insert AFTER INSERT ON memories BEGIN
  INSERT INTO memories_fts (rowid, content) VALUES (new.seq, new.content);
END;
CREATE TRIGGER memories_fts_delete AFTER DELETE ON memories BEGIN
  INSERT INTO memories_fts (memories_fts, rowid, content) VALUES ('delete', old.seq, old.content);
END;
CREATE TRIGGER memories_fts_update AFTER UPDATE OF content ON memories BEGIN
  INSERT INTO memories_fts (memories_fts, rowid, content) VALUES ('delete', old.seq, old.content);
  INSERT INTO memories_fts (rowid, content) VALUES (new.seq, new.content);
END;

CREATE TABLE api_keys (
  id           TEXT PRIMARY KEY,
  user_id      TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  workspace_id TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
  app_id       TEXT NOT NULL REFERENCES apps (id),
  name         TEXT NOT NULL,
  -- Display only ("cairn_sk_AbCd12…"); the key itself is never stored.
  prefix       TEXT NOT NULL,
  -- HMAC-SHA256(pepper, key), hex.
  hash         TEXT NOT NULL UNIQUE,
  scopes       TEXT NOT NULL,
  created_at   INTEGER NOT NULL,
  expires_at   INTEGER,
  revoked_at   INTEGER,
  last_used_at INTEGER,
  usage_count  INTEGER NOT NULL DEFAULT 0,
  rotated_to   TEXT
);
CREATE INDEX api_keys_user ON api_keys (user_id, workspace_id);

CREATE TABLE audit_log (
  id              INTEGER PRIMARY KEY AUTOINCREMENT,
  at              INTEGER NOT NULL,
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
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log BEGIN
  SELECT RAISE(ABORT, 'audit_log is append-only');
END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log BEGIN
  SELECT RAISE(ABORT, 'audit_log is append-only');
END;
