import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './load.js';

function problems(env: NodeJS.ProcessEnv): Record<string, string[]> {
  try {
    loadConfig(env, { cwd: '/tmp' });
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    const out: Record<string, string[]> = {};
    for (const p of (err as ConfigError).problems) (out[p.setting] ??= []).push(p.message);
    return out;
  }
  throw new Error('loadConfig accepted the configuration');
}

describe('loadConfig: browser accounts', () => {
  it('defaults to closed sign-up and no upstream login', () => {
    expect(loadConfig({}, { cwd: '/tmp' }).accounts).toEqual({ signup: 'closed' });
  });

  it('reads an OpenID Connect provider (name defaulting to the issuer host) and GitHub', () => {
    const config = loadConfig(
      {
        CAIRN_SIGNUP: 'upstream',
        CAIRN_OIDC_ISSUER: 'https://id.example.com/realms/team',
        CAIRN_OIDC_CLIENT_ID: 'cairn',
        CAIRN_OIDC_CLIENT_SECRET: 's3cret',
        CAIRN_GITHUB_CLIENT_ID: 'gh-id',
        CAIRN_GITHUB_CLIENT_SECRET: 'gh-secret',
      },
      { cwd: '/tmp' },
    );
    expect(config.accounts).toEqual({
      signup: 'upstream',
      oidc: { issuer: 'https://id.example.com/realms/team', clientId: 'cairn', clientSecret: 's3cret', name: 'id.example.com' },
      github: { clientId: 'gh-id', clientSecret: 'gh-secret' },
    });
    expect(loadConfig({ CAIRN_OIDC_ISSUER: 'http://127.0.0.1:9000', CAIRN_OIDC_CLIENT_ID: 'c', CAIRN_OIDC_NAME: 'Dev IdP' }, { cwd: '/tmp' }).accounts.oidc).toEqual({
      issuer: 'http://127.0.0.1:9000',
      clientId: 'c',
      name: 'Dev IdP',
    });
  });

  it('lists every problem at once: half-configured logins, plain-http issuers, unknown policies', () => {
    const found = problems({
      CAIRN_SIGNUP: 'everyone',
      CAIRN_OIDC_ISSUER: 'http://id.example.com',
      CAIRN_GITHUB_CLIENT_SECRET: 'gh-secret',
    });
    expect(found.CAIRN_SIGNUP?.[0]).toMatch(/closed|upstream|open/);
    expect(found.CAIRN_OIDC_ISSUER).toEqual(['must use https (plain http only for a loopback host such as 127.0.0.1)']);
    expect(found.CAIRN_OIDC_CLIENT_ID).toEqual(['is required when CAIRN_OIDC_ISSUER is set']);
    expect(found.CAIRN_GITHUB_CLIENT_ID).toEqual(['is required when CAIRN_GITHUB_CLIENT_SECRET is set']);
  });

  it('refuses a client id without its issuer, and upstream sign-up without an upstream login', () => {
    const found = problems({ CAIRN_SIGNUP: 'upstream', CAIRN_OIDC_CLIENT_ID: 'cairn', CAIRN_GITHUB_CLIENT_ID: 'gh' });
    expect(found.CAIRN_OIDC_ISSUER).toEqual(['is required when CAIRN_OIDC_CLIENT_ID is set']);
    expect(found.CAIRN_GITHUB_CLIENT_SECRET).toEqual(['is required when CAIRN_GITHUB_CLIENT_ID is set']);
    expect(problems({ CAIRN_SIGNUP: 'upstream' }).CAIRN_SIGNUP).toEqual([
      'upstream needs an upstream login to sign up through: set CAIRN_OIDC_ISSUER or CAIRN_GITHUB_CLIENT_ID',
    ]);
    expect(problems({ CAIRN_OIDC_ISSUER: 'https://id.example.com/?tenant=1', CAIRN_OIDC_CLIENT_ID: 'c' }).CAIRN_OIDC_ISSUER).toEqual([
      'must be the issuer URL itself, with no query, fragment or credentials',
    ]);
  });

  it('refuses better-auth\'s own variables that would change what Cairn configured', () => {
    const found = problems({ BETTER_AUTH_TRUSTED_ORIGINS: 'https://evil.example', BETTER_AUTH_SECRETS: '1:abc', BETTER_AUTH_TELEMETRY: '1' });
    expect(Object.keys(found).sort()).toEqual(['BETTER_AUTH_SECRETS', 'BETTER_AUTH_TELEMETRY', 'BETTER_AUTH_TRUSTED_ORIGINS']);
    expect(found.BETTER_AUTH_TRUSTED_ORIGINS?.[0]).toContain('CAIRN_ALLOWED_ORIGINS');
  });

  it('never echoes the client secrets in a problem', () => {
    try {
      loadConfig({ CAIRN_OIDC_CLIENT_SECRET: 'do-not-print-me', CAIRN_GITHUB_CLIENT_SECRET: 'nor-me' }, { cwd: '/tmp' });
    } catch (err) {
      expect((err as Error).message).not.toContain('do-not-print-me');
      expect((err as Error).message).not.toContain('nor-me');
      return;
    }
    throw new Error('expected a ConfigError');
  });
});
