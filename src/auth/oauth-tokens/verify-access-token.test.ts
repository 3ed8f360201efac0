import { generateKeyPair, SignJWT, UnsecuredJWT } from 'jose';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../core/clock.js';
import { UserService } from '../../core/users/user-service.js';
import { AppError } from '../../errors/app-error.js';
import { openStorage, type Storage } from '../../storage/db.js';
import { migrate } from '../../storage/migrate.js';
import { KyselyAppStore, KyselyUserStore } from '../../storage/users-repo.js';
import { createLogger } from '../../logging.js';
import { buildOAuthServices } from '../../oauth/oauth-services.js';
import {
  accessTokenClaims,
  generateSigningKey,
  recordGrant,
  revokeGrant,
  signToken,
  signWithCurrentKey,
  TestSigningKeys,
  TestTokenLiveness,
  type TokenSubject,
} from '../../testing/access-tokens.js';
import { createFaultSwitch, type FaultSwitch } from '../../testing/faulty-dialect.js';
import { AccessTokenVerifier, membershipFromUsers, type AccessTokenVerifierOptions, type MembershipCheck } from './verify-access-token.js';

const PUBLIC_URL = 'https://cairn.example.com';
const RECHECK = 30_000;

let storage: Storage;
let faults: FaultSwitch;
let clock: ManualClock;
let users: UserService;
let keys: TestSigningKeys;
let liveness: TestTokenLiveness;
let membershipChecks: number;
let members: MembershipCheck;

beforeEach(async () => {
  faults = createFaultSwitch();
  storage = openStorage({ dialect: 'sqlite', path: ':memory:' }, { wrapDialect: faults.wrap });
  await migrate(storage);
  clock = new ManualClock();
  users = new UserService(new KyselyUserStore(storage.db), clock);
  keys = await TestSigningKeys.create();
  liveness = new TestTokenLiveness();
  membershipChecks = 0;
  const real = membershipFromUsers(new KyselyUserStore(storage.db));
  members = {
    isActiveMember: (userId, workspaceId) => {
      membershipChecks++;
      return real.isActiveMember(userId, workspaceId);
    },
  };
});
afterEach(async () => {
  faults.up();
  await storage.close();
});

function verifier(options: Partial<AccessTokenVerifierOptions> = {}): AccessTokenVerifier {
  return new AccessTokenVerifier(keys, liveness, members, clock, { publicUrl: PUBLIC_URL, recheckMs: RECHECK, maxEntries: 100, ...options });
}

/** A user with a personal workspace, and the subject of an authorization-code token for them. */
async function person(email = 'ada@example.com', scope = 'memories:read memories:write'): Promise<TokenSubject> {
  const { user, workspace } = await users.create({ email });
  return { userId: user.id, workspaceId: workspace.id, appId: 'app_claude', scope, grantId: `grant_${email}` };
}

function mint(subject: TokenSubject, overrides: Record<string, unknown> = {}, ttlSeconds = 600): Promise<string> {
  return keys.sign(accessTokenClaims(PUBLIC_URL, subject, clock.now(), ttlSeconds, overrides));
}

/** Every source the verifier could read: none may be touched by a cache hit. */
function touches(): { keys: number; liveness: number; members: number } {
  return { keys: keys.fetches, liveness: liveness.asked, members: membershipChecks };
}

describe('AccessTokenVerifier: a valid token', () => {
  it('yields the principal of an authorization-code token: user, workspace, scopes, grant, app, request id', async () => {
    const subject = await person();
    const result = await verifier().verify(await mint(subject), 'req_abc');
    expect(result).toEqual({
      ok: true,
      principal: {
        userId: subject.userId,
        workspaceId: subject.workspaceId,
        scopes: new Set(['memories:read', 'memories:write']),
        credential: { kind: 'oauth_access_token', id: subject.grantId },
        appId: 'app_claude',
        requestId: 'req_abc',
      },
    });
  });

  it('yields a client-credentials principal whose credential is the client', async () => {
    const subject = { ...(await person()), grantId: undefined, clientId: 'cli_backup_job' };
    const result = await verifier().verify(await mint(subject));
    expect(result.ok && result.principal.credential).toEqual({ kind: 'client_credentials', id: 'cli_backup_job' });
  });

  it('keeps only the memory scopes: admin, offline_access and unknown scopes never reach the principal', async () => {
    const subject = await person('ada@example.com', 'admin memories:read offline_access openid memories:delete files:write');
    const result = await verifier().verify(await mint(subject));
    expect(result.ok && [...result.principal.scopes].sort()).toEqual(['memories:delete', 'memories:read']);
  });

  it('accepts an application/at+jwt typ, an audience array of exactly this resource, and exp within the clock skew', async () => {
    const subject = await person();
    const v = verifier();
    expect((await v.verify(await keys.sign(accessTokenClaims(PUBLIC_URL, subject, clock.now()), { typ: 'application/at+jwt' }))).ok).toBe(true);
    expect((await v.verify(await mint(subject, { aud: [`${PUBLIC_URL}/mcp`] }))).ok).toBe(true);
    const expiring = await mint(subject, {}, 60);
    clock.advance(65_000);
    expect((await verifier().verify(expiring)).ok).toBe(true);
  });
});

describe('AccessTokenVerifier: each reason a token is refused', () => {
  it('MALFORMED: not a compact JWS, garbage segments, or Cairn claims missing, mistyped or of both kinds', async () => {
    const subject = await person();
    const v = verifier();
    const refused = [
      'cairn_sk_not_a_jwt',
      'a.b.c',
      'eyJhbGciOiJFUzI1NiJ9.e30',
      'x'.repeat(9000) + '.a.b',
      await mint(subject, { cairn_uid: undefined }),
      await mint(subject, { cairn_ws: 42 }),
      await mint(subject, { cairn_app: '' }),
      await mint(subject, { cairn_cc: 'cli_both' }),
      await mint({ ...subject, grantId: undefined }, { cairn_cc: undefined }),
      await mint(subject, { scope: ['memories:read'] }),
      await mint(subject, { jti: undefined }),
      await mint(subject, { client_id: undefined }),
    ];
    for (const token of refused) expect(await v.verify(token), token.slice(0, 60)).toEqual({ ok: false, reason: 'MALFORMED' });
  });

  it('NOT_ACCESS_TOKEN: a JWT of another type (an ID token, a plain JWT) signed by the same key', async () => {
    const subject = await person();
    for (const typ of ['JWT', 'id_token+jwt']) {
      const token = await keys.sign(accessTokenClaims(PUBLIC_URL, subject, clock.now()), { typ });
      expect(await verifier().verify(token), typ).toEqual({ ok: false, reason: 'NOT_ACCESS_TOKEN' });
    }
    const untyped = await new SignJWT(accessTokenClaims(PUBLIC_URL, subject, clock.now()))
      .setProtectedHeader({ alg: 'ES256', kid: keys.currentKid })
      .sign((await generateKeyPair('ES256')).privateKey);
    expect(await verifier().verify(untyped)).toEqual({ ok: false, reason: 'NOT_ACCESS_TOKEN' });
  });

  it('UNSUPPORTED_ALG: alg none, HS256 (with the public key as secret) and RS256 are refused before any key lookup', async () => {
    const subject = await person();
    const claims = accessTokenClaims(PUBLIC_URL, subject, clock.now());
    const none = new UnsecuredJWT(claims).encode();
    const hs = await new SignJWT(claims).setProtectedHeader({ alg: 'HS256', typ: 'at+jwt', kid: keys.currentKid }).sign(new TextEncoder().encode(JSON.stringify(await keys.publicJwks())));
    const rs = await new SignJWT(claims).setProtectedHeader({ alg: 'RS256', typ: 'at+jwt', kid: keys.currentKid }).sign((await generateKeyPair('RS256')).privateKey);
    const fetchesBefore = keys.fetches;
    for (const token of [none + 'c2ln', hs, rs]) expect(await verifier().verify(token)).toEqual({ ok: false, reason: 'UNSUPPORTED_ALG' });
    expect(keys.fetches).toBe(fetchesBefore);
  });

  it('UNKNOWN_KEY: a kid that is not published, or no kid at all', async () => {
    const subject = await person();
    const stranger = await generateSigningKey('someone-elses-key');
    const foreign = await signToken(stranger.privateKey, { kid: stranger.kid }, accessTokenClaims(PUBLIC_URL, subject, clock.now()));
    expect(await verifier().verify(foreign)).toEqual({ ok: false, reason: 'UNKNOWN_KEY' });
    const kidless = await new SignJWT(accessTokenClaims(PUBLIC_URL, subject, clock.now())).setProtectedHeader({ alg: 'ES256', typ: 'at+jwt' }).sign(stranger.privateKey);
    expect(await verifier().verify(kidless)).toEqual({ ok: false, reason: 'UNKNOWN_KEY' });
  });

  it('BAD_SIGNATURE: another key claiming a published kid, or a payload changed after signing', async () => {
    const subject = await person();
    const impostor = await generateSigningKey(keys.currentKid);
    const forged = await signToken(impostor.privateKey, { kid: keys.currentKid }, accessTokenClaims(PUBLIC_URL, subject, clock.now()));
    expect(await verifier().verify(forged)).toEqual({ ok: false, reason: 'BAD_SIGNATURE' });

    const [header, , signature] = (await mint(subject)).split('.');
    const widened = Buffer.from(JSON.stringify(accessTokenClaims(PUBLIC_URL, subject, clock.now(), 600, { scope: 'memories:read memories:write memories:delete' }))).toString('base64url');
    expect(await verifier().verify(`${header}.${widened}.${signature}`)).toEqual({ ok: false, reason: 'BAD_SIGNATURE' });
  });

  it('WRONG_ISSUER: any other issuer string, including a trailing slash or another scheme, or none', async () => {
    const subject = await person();
    for (const iss of [`${PUBLIC_URL}/`, 'http://cairn.example.com', 'https://evil.example', undefined]) {
      expect(await verifier().verify(await mint(subject, { iss })), String(iss)).toEqual({ ok: false, reason: 'WRONG_ISSUER' });
    }
  });

  it('WRONG_AUDIENCE: a token for another resource, the bare origin, a trailing slash, or several audiences', async () => {
    const subject = await person();
    const audiences = ['https://other.example/mcp', PUBLIC_URL, `${PUBLIC_URL}/mcp/`, `${PUBLIC_URL}/api`, [`${PUBLIC_URL}/mcp`, 'https://other.example/mcp'], []];
    for (const aud of audiences) {
      expect(await verifier().verify(await mint(subject, { aud })), JSON.stringify(aud)).toEqual({ ok: false, reason: 'WRONG_AUDIENCE' });
    }
    expect(await verifier().verify(await mint(subject, { aud: undefined }))).toEqual({ ok: false, reason: 'WRONG_AUDIENCE' });
  });

  it('EXPIRED: past exp beyond the clock skew', async () => {
    const subject = await person();
    const token = await mint(subject, {}, 60);
    clock.advance(71_000);
    expect(await verifier().verify(token)).toEqual({ ok: false, reason: 'EXPIRED' });
  });

  it('NOT_YET_VALID: nbf or iat in the future beyond the clock skew', async () => {
    const subject = await person();
    const later = Math.floor(clock.now() / 1000) + 60;
    expect(await verifier().verify(await mint(subject, { nbf: later }))).toEqual({ ok: false, reason: 'NOT_YET_VALID' });
    expect(await verifier().verify(await mint(subject, { iat: later }))).toEqual({ ok: false, reason: 'NOT_YET_VALID' });
    expect((await verifier().verify(await mint(subject, { nbf: later - 55, iat: later - 55 }))).ok).toBe(true);
  });

  it('REVOKED: the grant was revoked, or the client-credentials client disabled', async () => {
    const subject = await person();
    liveness.revokeGrant(subject.grantId!);
    expect(await verifier().verify(await mint(subject))).toEqual({ ok: false, reason: 'REVOKED' });
    const machine = { ...subject, grantId: undefined, clientId: 'cli_gone' };
    liveness.disableClient('cli_gone');
    expect(await verifier().verify(await mint(machine))).toEqual({ ok: false, reason: 'REVOKED' });
  });

  it('NO_ACCESS: the user was disabled, or is no longer a member of the workspace', async () => {
    const disabled = await person('dis@example.com');
    await storage.db.updateTable('users').set({ disabled_at: clock.now() }).where('id', '=', disabled.userId).execute();
    expect(await verifier().verify(await mint(disabled))).toEqual({ ok: false, reason: 'NO_ACCESS' });

    const left = await person('left@example.com');
    await storage.db.deleteFrom('memberships').where('user_id', '=', left.userId).execute();
    expect(await verifier().verify(await mint(left))).toEqual({ ok: false, reason: 'NO_ACCESS' });

    const other = await person('other@example.com');
    expect(await verifier().verify(await mint({ ...left, userId: left.userId, workspaceId: other.workspaceId }))).toEqual({ ok: false, reason: 'NO_ACCESS' });
  });
});

describe('AccessTokenVerifier: cache', () => {
  it('answers a known token without reading keys, grants or users (no store access at all)', async () => {
    const subject = await person();
    const token = await mint(subject);
    const v = verifier();
    expect((await v.verify(token)).ok).toBe(true);
    const before = touches();
    // Every source unreachable: a cache hit must not notice.
    faults.down();
    keys.down = true;
    liveness.down = true;
    for (let i = 0; i < 50; i++) expect((await v.verify(token, `req_${i}`)).ok).toBe(true);
    expect(touches()).toEqual(before);
    expect(v.size).toBe(1);
  });

  it('refuses a cached token once it expires, without asking any store', async () => {
    const subject = await person();
    const token = await mint(subject, {}, 20);
    const v = verifier({ recheckMs: 3_600_000 });
    expect((await v.verify(token)).ok).toBe(true);
    clock.advance(29_000);
    expect((await v.verify(token)).ok).toBe(true);
    const before = touches();
    clock.advance(2_000);
    expect(await v.verify(token)).toEqual({ ok: false, reason: 'EXPIRED' });
    expect(touches()).toEqual(before);
    expect(v.size).toBe(0);
  });

  it('ends a cached token within the re-check interval after its grant is revoked elsewhere', async () => {
    const subject = await person();
    const token = await mint(subject);
    const v = verifier();
    expect((await v.verify(token)).ok).toBe(true);
    liveness.revokeGrant(subject.grantId!);
    clock.advance(RECHECK - 1);
    expect((await v.verify(token)).ok).toBe(true);
    clock.advance(1);
    expect(await v.verify(token)).toEqual({ ok: false, reason: 'REVOKED' });
    expect(v.size).toBe(0);
  });

  it('re-checks membership too: a user removed from the workspace loses a cached token within the interval', async () => {
    const subject = await person();
    const token = await mint(subject);
    const v = verifier();
    expect((await v.verify(token)).ok).toBe(true);
    await storage.db.deleteFrom('memberships').where('user_id', '=', subject.userId).execute();
    clock.advance(RECHECK);
    expect(await v.verify(token)).toEqual({ ok: false, reason: 'NO_ACCESS' });
  });

  it('keeps a still-live token after a re-check, and re-checks only once per interval', async () => {
    const subject = await person();
    const token = await mint(subject);
    const v = verifier();
    await v.verify(token);
    clock.advance(RECHECK);
    const before = liveness.asked;
    await Promise.all(Array.from({ length: 20 }, () => v.verify(token)));
    expect(liveness.asked).toBe(before + 1);
    clock.advance(RECHECK - 1);
    expect((await v.verify(token)).ok).toBe(true);
    expect(liveness.asked).toBe(before + 1);
  });

  it('ends a token at once on the instance that revokes its grant (forgetGrant) or client (forgetClient)', async () => {
    const subject = await person();
    const token = await mint(subject);
    const machine = { ...subject, grantId: undefined, clientId: 'cli_job' };
    const machineToken = await mint(machine);
    const v = verifier();
    expect((await v.verify(token)).ok).toBe(true);
    expect((await v.verify(machineToken)).ok).toBe(true);

    liveness.revokeGrant(subject.grantId!);
    v.forgetGrant(subject.grantId!);
    expect(await v.verify(token)).toEqual({ ok: false, reason: 'REVOKED' });

    liveness.disableClient('cli_job');
    v.forgetClient('cli_job');
    expect(await v.verify(machineToken)).toEqual({ ok: false, reason: 'REVOKED' });
  });

  it('does not cache a token whose verification was in flight when its grant was forgotten', async () => {
    const subject = await person();
    const token = await mint(subject);
    let release: (active: boolean) => void = () => undefined;
    const slow = { isGrantActive: () => new Promise<boolean>((r) => (release = r)), isClientActive: async () => true };
    const v = new AccessTokenVerifier(keys, slow, members, clock, { publicUrl: PUBLIC_URL, recheckMs: RECHECK, maxEntries: 100 });
    const pending = v.verify(token);
    await new Promise((r) => setTimeout(r, 20));
    v.forgetGrant(subject.grantId!);
    release(true);
    expect((await pending).ok).toBe(true);
    expect(v.size).toBe(0);
  });

  it('holds at most maxEntries tokens, dropping the oldest', async () => {
    const subject = await person();
    const v = verifier({ maxEntries: 2 });
    const tokens = [await mint(subject), await mint(subject), await mint(subject)];
    for (const t of tokens) expect((await v.verify(t)).ok).toBe(true);
    expect(v.size).toBe(2);
    const before = touches();
    await v.verify(tokens[0]!);
    expect(touches().liveness).toBe(before.liveness + 1);
  });

  it('with recheckMs 0 caches nothing: every request asks grants and users', async () => {
    const subject = await person();
    const token = await mint(subject);
    const v = verifier({ recheckMs: 0 });
    await v.verify(token);
    await v.verify(token);
    expect(v.size).toBe(0);
    expect(liveness.asked).toBe(2);
  });
});

describe('AccessTokenVerifier: signing keys', () => {
  it('loads the key set once, and reloads on an unknown kid at most once per refresh interval', async () => {
    const subject = await person();
    const v = verifier({ keyRefreshMs: 5_000 });
    expect((await v.verify(await mint(subject))).ok).toBe(true);
    expect(keys.fetches).toBe(1);

    const rotated = await keys.add();
    const fresh = await mint(subject);
    const stranger = await generateSigningKey('made-up');
    for (let i = 0; i < 10; i++) {
      const junk = await signToken(stranger.privateKey, { kid: `made-up-${i}` }, accessTokenClaims(PUBLIC_URL, subject, clock.now()));
      expect(await v.verify(junk)).toEqual({ ok: false, reason: 'UNKNOWN_KEY' });
    }
    // Within the interval the new kid is not known yet, and made-up kids did not hammer the source.
    expect(await v.verify(fresh)).toEqual({ ok: false, reason: 'UNKNOWN_KEY' });
    expect(keys.fetches).toBe(1);
    clock.advance(5_000);
    const result = await v.verify(fresh);
    expect(result.ok).toBe(true);
    expect(keys.fetches).toBe(2);
    expect(rotated).toBe(keys.currentKid);
  });

  it('keeps verifying tokens of a retired key while it is published, and stops once it is withdrawn', async () => {
    const subject = await person();
    const oldKid = keys.currentKid;
    const oldToken = await mint(subject);
    await keys.add();
    const v = verifier({ recheckMs: 0, keysMaxAgeMs: 60_000 });
    expect((await v.verify(oldToken)).ok).toBe(true);
    keys.remove(oldKid);
    clock.advance(60_000);
    expect(await v.verify(oldToken)).toEqual({ ok: false, reason: 'UNKNOWN_KEY' });
  });
});

describe('AccessTokenVerifier: fail closed', () => {
  async function expectUnavailable(promise: Promise<unknown>): Promise<void> {
    const err = await promise.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AppError);
    expect((err as AppError).code).toBe('UNAVAILABLE');
  }

  it('throws UNAVAILABLE (503), never allows, when the user store is down for a new token', async () => {
    const subject = await person();
    const token = await mint(subject);
    faults.down();
    await expectUnavailable(verifier().verify(token));
  });

  it('throws UNAVAILABLE when the grants store is down, and when the signing keys cannot be read', async () => {
    const subject = await person();
    liveness.down = true;
    await expectUnavailable(verifier().verify(await mint(subject)));
    liveness.down = false;
    keys.down = true;
    await expectUnavailable(verifier().verify(await mint(subject)));
  });

  it('throws UNAVAILABLE for a cached token due for its re-check, and recovers when the store is back', async () => {
    const subject = await person();
    const token = await mint(subject);
    const v = verifier();
    expect((await v.verify(token)).ok).toBe(true);
    clock.advance(RECHECK);
    liveness.down = true;
    await expectUnavailable(v.verify(token));
    await expectUnavailable(v.verify(token));
    liveness.down = false;
    expect((await v.verify(token)).ok).toBe(true);
  });
});

describe("AccessTokenVerifier against the authorization server's own stores", () => {
  const SECRET = 'verify-access-token-test-secret-0123456789abcdef';

  async function setUp() {
    const stores = buildOAuthServices({
      secret: SECRET,
      storage,
      apps: new KyselyAppStore(storage.db),
      users: new KyselyUserStore(storage.db),
      clock,
      log: createLogger('silent'),
      cacheTtlMs: RECHECK,
      cacheMaxEntries: 100,
    });
    // Wired as services.ts wires them.
    const v = new AccessTokenVerifier(stores.keys, stores.grants, members, clock, { publicUrl: PUBLIC_URL, recheckMs: RECHECK, maxEntries: 100 });
    stores.grants.onRevoked((grantId) => v.forgetGrant(grantId));
    const { user, workspace } = await users.create({ email: `real${clock.now()}@example.com` });
    const app = await new KyselyAppStore(storage.db).ensure(workspace.id, 'claude.ai', clock.now());
    const issue = async (subject: TokenSubject) => signWithCurrentKey(stores.keys, accessTokenClaims(PUBLIC_URL, subject, clock.now(), 300));
    return { stores, v, issue, party: { userId: user.id, workspaceId: workspace.id, appId: app.id } };
  }

  it('keeps verifying tokens signed before a key rotation, and verifies the new key once it is seen', async () => {
    const { stores, v, issue, party } = await setUp();
    const subject = await recordGrant(stores, party, ['memories:read']);
    const before = await issue(subject);
    expect((await v.verify(before)).ok).toBe(true);
    clock.advance(1000);
    const { kid, retired } = await stores.keys.rotate();
    expect(retired).toHaveLength(1);
    const after = await issue(subject);
    clock.advance(4_000);
    expect((await v.verify(after)).ok).toBe(true);
    expect((await v.verify(before)).ok).toBe(true);
    expect(JSON.parse(Buffer.from(after.split('.')[0]!, 'base64url').toString())).toMatchObject({ kid });
  });

  it('ends a cached token the moment its grant is revoked on this instance, and refuses it after', async () => {
    const { stores, v, issue, party } = await setUp();
    const subject = await recordGrant(stores, party, ['memories:read', 'memories:write']);
    const token = await issue(subject);
    expect((await v.verify(token)).ok).toBe(true);
    expect(v.size).toBe(1);
    await revokeGrant(stores, subject);
    expect(v.size).toBe(0);
    expect(await v.verify(token)).toEqual({ ok: false, reason: 'REVOKED' });
  });

  it('fails closed (UNAVAILABLE) when the database behind keys and grants is down', async () => {
    const { stores, v, issue, party } = await setUp();
    const token = await issue(await recordGrant(stores, party, ['memories:read']));
    faults.down();
    const err = await v.verify(token).catch((e: unknown) => e);
    expect((err as AppError).code).toBe('UNAVAILABLE');
  });
});
