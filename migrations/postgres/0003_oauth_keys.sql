-- OAuth signing keys (issue 3). Keep in step with migrations/sqlite/0003_oauth_keys.sql (same version).

-- ES256 key pairs that sign access tokens. The private JWK is stored only encrypted (AES-256-GCM under a
-- key derived from CAIRN_SECRET, the kid bound as associated data): a copy of the database cannot mint tokens.
-- The newest key that is not retired signs; a retired key is still published, and so still verifies the
-- tokens it signed, for a window longer than the longest access-token lifetime (src/oauth/signing-keys.ts).
CREATE TABLE oauth_signing_keys (
  kid         TEXT PRIMARY KEY,
  alg         TEXT NOT NULL CHECK (alg = 'ES256'),
  public_jwk  TEXT NOT NULL,
  private_jwk TEXT NOT NULL,
  created_at  BIGINT NOT NULL,
  retired_at  BIGINT
);
CREATE INDEX oauth_signing_keys_created ON oauth_signing_keys (created_at DESC);
