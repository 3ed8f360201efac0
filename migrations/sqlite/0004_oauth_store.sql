-- The OAuth authorization server's storage (issue 3). Keep in step with migrations/postgres/0004_oauth_store.sql.

-- What oidc-provider persists (codes, tokens, sessions, interactions, grants, registered clients), one row
-- per artefact, written only through src/oauth/adapter.ts. For every artefact whose id is a bearer secret
-- (authorization codes, access and refresh tokens, sessions, registration access tokens, ...) the id column
-- holds its SHA-256 and the payload never holds the id, so a copy of this table redeems nothing. Client,
-- Grant and Interaction ids are not secrets and are kept as they are. A client's secret is kept only
-- encrypted, in `secret`. consumed_at makes single use atomic: UPDATE ... WHERE consumed_at IS NULL.
CREATE TABLE oauth_store (
  model       TEXT NOT NULL,
  id          TEXT NOT NULL,
  payload     TEXT NOT NULL,
  secret      TEXT,
  grant_id    TEXT,
  uid         TEXT,
  user_code   TEXT,
  expires_at  INTEGER,
  consumed_at INTEGER,
  PRIMARY KEY (model, id)
);
CREATE INDEX oauth_store_grant ON oauth_store (grant_id) WHERE grant_id IS NOT NULL;
CREATE INDEX oauth_store_uid ON oauth_store (model, uid) WHERE uid IS NOT NULL;
CREATE INDEX oauth_store_user_code ON oauth_store (model, user_code) WHERE user_code IS NOT NULL;
CREATE INDEX oauth_store_expires ON oauth_store (expires_at) WHERE expires_at IS NOT NULL;

-- Cairn's record of each grant a person consented to: whose memory, which workspace, which app its writes
-- are recorded under. Access tokens carry its id (cairn_gid) and live only while revoked_at is NULL.
CREATE TABLE oauth_grants (
  id           TEXT PRIMARY KEY,
  user_id      TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  workspace_id TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
  app_id       TEXT NOT NULL REFERENCES apps (id),
  client_id    TEXT NOT NULL,
  client_name  TEXT NOT NULL,
  scopes       TEXT NOT NULL,
  created_at   INTEGER NOT NULL,
  last_used_at INTEGER,
  revoked_at   INTEGER
);
CREATE INDEX oauth_grants_user ON oauth_grants (user_id, workspace_id, created_at DESC);

-- Confidential clients for the client_credentials grant, each created by a user for one workspace and a set
-- of memory scopes. Their oidc-provider client record (with the encrypted secret) is the Client row of
-- oauth_store with the same id; tokens carry the id (cairn_cc) and live only while this row does.
CREATE TABLE oauth_clients (
  client_id         TEXT PRIMARY KEY,
  user_id           TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  workspace_id      TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
  app_id            TEXT NOT NULL REFERENCES apps (id),
  name              TEXT NOT NULL,
  scopes            TEXT NOT NULL,
  created_at        INTEGER NOT NULL,
  secret_rotated_at INTEGER,
  last_used_at      INTEGER
);
CREATE INDEX oauth_clients_user ON oauth_clients (user_id, workspace_id);
