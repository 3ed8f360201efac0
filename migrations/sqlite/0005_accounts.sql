-- Browser accounts (issue 3): the tables better-auth reads and writes, under Cairn's names, plus one-time
-- setup links. Keep in step with migrations/postgres/0005_accounts.sql (same version).
--
-- Column types follow what better-auth's Kysely adapter writes on SQLite, not Cairn's own convention:
-- times are ISO-8601 UTC TEXT ('2026-01-01T12:00:00.000Z', which also sorts and compares correctly as text)
-- and booleans are INTEGER 0/1. The Cairn-owned table at the end uses integer milliseconds as usual.

-- One row per Cairn user who has a browser account, with the same id: a better-auth user IS a Cairn user.
-- A Cairn user without a row here (created by cairn user create, or before this migration) gets one when
-- they first set a password through a setup link, or sign in upstream with that address verified there.
-- email is lower-cased like users.email; email_verified = 1 when the address was vouched for (created by an
-- administrator, or confirmed by an upstream provider), which is what allows linking an upstream login.
CREATE TABLE auth_users (
  id             TEXT PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
  name           TEXT NOT NULL,
  email          TEXT NOT NULL UNIQUE,
  email_verified INTEGER NOT NULL DEFAULT 0 CHECK (email_verified IN (0, 1)),
  image          TEXT,
  created_at     TEXT NOT NULL,
  updated_at     TEXT NOT NULL
);

-- Browser sessions. The cookie carries token + an HMAC of it under a key derived from CAIRN_SECRET, so a
-- copy of this table alone cannot be turned into a working cookie.
CREATE TABLE auth_sessions (
  id         TEXT PRIMARY KEY,
  user_id    TEXT NOT NULL REFERENCES auth_users (id) ON DELETE CASCADE,
  token      TEXT NOT NULL UNIQUE,
  expires_at TEXT NOT NULL,
  ip_address TEXT,
  user_agent TEXT,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL
);
CREATE INDEX auth_sessions_user ON auth_sessions (user_id);

-- How a user signs in: provider_id 'credential' holds the password hash (better-auth's scrypt); any other
-- provider_id ('oidc', 'github') is an upstream identity, account_id being its subject there.
CREATE TABLE auth_accounts (
  id                       TEXT PRIMARY KEY,
  user_id                  TEXT NOT NULL REFERENCES auth_users (id) ON DELETE CASCADE,
  provider_id              TEXT NOT NULL,
  account_id               TEXT NOT NULL,
  password                 TEXT,
  access_token             TEXT,
  refresh_token            TEXT,
  id_token                 TEXT,
  access_token_expires_at  TEXT,
  refresh_token_expires_at TEXT,
  scope                    TEXT,
  created_at               TEXT NOT NULL,
  updated_at               TEXT NOT NULL
);
-- One upstream identity belongs to one user, even when two sign-ins race.
CREATE UNIQUE INDEX auth_accounts_provider_account ON auth_accounts (provider_id, account_id);
CREATE INDEX auth_accounts_user ON auth_accounts (user_id);

-- Short-lived values better-auth keeps between requests (OAuth state of an upstream sign-in).
CREATE TABLE auth_verifications (
  id         TEXT PRIMARY KEY,
  identifier TEXT NOT NULL,
  value      TEXT NOT NULL,
  expires_at TEXT NOT NULL,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL
);
CREATE INDEX auth_verifications_identifier ON auth_verifications (identifier);

-- One-time links: the first administrator's (printed at start-up) and set-password links (cairn user
-- create). Only the SHA-256 of the token is stored; a link works once, until expires_at (ms).
CREATE TABLE account_setup_tokens (
  hash       TEXT PRIMARY KEY,
  purpose    TEXT NOT NULL CHECK (purpose IN ('first_admin', 'set_password')),
  user_id    TEXT REFERENCES users (id) ON DELETE CASCADE,
  expires_at INTEGER NOT NULL,
  created_at INTEGER NOT NULL,
  CHECK ((purpose = 'first_admin') = (user_id IS NULL))
);
