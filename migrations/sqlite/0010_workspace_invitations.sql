-- Shared workspaces (issue 5): invitations by link, optionally bound to one email address.
-- Keep in step with migrations/postgres/0010_workspace_invitations.sql.

CREATE TABLE workspace_invitations (
  id                  TEXT PRIMARY KEY,
  workspace_id        TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
  -- SHA-256 (hex) of the token in the link; the token itself is shown once and never stored.
  hash                TEXT NOT NULL UNIQUE,
  role                TEXT NOT NULL CHECK (role IN ('owner', 'admin', 'member', 'viewer')),
  -- Lower-cased; NULL: anyone signed in who holds the link may accept it.
  email               TEXT,
  created_by_user_id  TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  created_at          INTEGER NOT NULL,
  expires_at          INTEGER NOT NULL,
  -- Single use: set once, by the one UPDATE that accepts it.
  accepted_at         INTEGER,
  accepted_by_user_id TEXT REFERENCES users (id) ON DELETE SET NULL,
  revoked_at          INTEGER
);
-- The pending invitations of a workspace (the members page).
CREATE INDEX workspace_invitations_workspace ON workspace_invitations (workspace_id, created_at);
