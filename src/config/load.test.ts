import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConfigError, ensureSecret, loadConfig, type ConfigProblem } from './load.js';

const SECRET = 'a-perfectly-long-server-secret-0123456789';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'cairn-config-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** The ConfigError `loadConfig` throws for `env`; fails the test if it does not throw one. */
function problemsOf(env: NodeJS.ProcessEnv): { error: ConfigError; problems: readonly ConfigProblem[]; bySetting: (s: string) => string[] } {
  let caught: unknown;
  try {
    loadConfig(env, { cwd: dir });
  } catch (err) {
    caught = err;
  }
  expect(caught).toBeInstanceOf(ConfigError);
  const error = caught as ConfigError;
  return { error, problems: error.problems, bySetting: (s) => error.problems.filter((p) => p.setting === s).map((p) => p.message) };
}

function writeConfigFile(content: string, name = 'cairn.json'): string {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
}

describe('loadConfig: defaults for a working single-node install', () => {
  it('listens on 127.0.0.1:8787 with SQLite at <cwd>/data/cairn.db', () => {
    const config = loadConfig({}, { cwd: dir });
    expect(config.http).toMatchObject({ host: '127.0.0.1', port: 8787, publicUrl: 'http://127.0.0.1:8787', trustProxy: false, bodyLimit: 1024 * 1024 });
    expect(config.database).toEqual({ dialect: 'sqlite', path: join(dir, 'data', 'cairn.db') });
    expect(config.dataDir).toBe(join(dir, 'data'));
    expect(config.log.level).toBe('info');
    expect(config.secret).toBeUndefined();
    expect(config.migrateOnStart).toBe(true);
    expect(config.sources.CAIRN_PORT).toBe('default');
  });

  it('ignores variables without the CAIRN_ prefix', () => {
    expect(() => loadConfig({ PATH: '/usr/bin', PORT: 'nope', NODE_ENV: 'production' }, { cwd: dir })).not.toThrow();
  });

  it('treats an empty variable as unset', () => {
    expect(loadConfig({ CAIRN_PORT: '' }, { cwd: dir }).http.port).toBe(8787);
  });

  it('accepts typed values: port, sizes with units, booleans, lists, sqlite paths', () => {
    const config = loadConfig(
      {
        CAIRN_PORT: '9000',
        CAIRN_BODY_LIMIT: '4mb',
        CAIRN_TRUST_PROXY: 'yes',
        CAIRN_ALLOWED_HOSTS: 'a.example, b.example',
        CAIRN_DATABASE_URL: 'sqlite:./db/x.db',
        CAIRN_AUTH_CACHE_TTL_SECONDS: '5',
        CAIRN_LOG_LEVEL: 'debug',
      },
      { cwd: dir },
    );
    expect(config.http).toMatchObject({ port: 9000, bodyLimit: 4 * 1024 * 1024, trustProxy: true, allowedHosts: ['a.example', 'b.example'], publicUrl: 'http://127.0.0.1:9000' });
    expect(config.database).toEqual({ dialect: 'sqlite', path: join(dir, 'db', 'x.db') });
    expect(config.auth.cacheTtlMs).toBe(5000);
    expect(config.log.level).toBe('debug');
  });
});

describe('loadConfig: every problem at once, in one ConfigError', () => {
  it('lists an unknown name with a suggestion, a wrong type, a bad log level and a short secret together', () => {
    const { error, problems, bySetting } = problemsOf({
      CAIRN_PROT: '9000',
      CAIRN_PORT: 'eighty',
      CAIRN_LOG_LEVEL: 'loud',
      CAIRN_SECRET: 'too-short',
    });
    expect(problems).toHaveLength(4);
    expect(bySetting('CAIRN_PROT')).toEqual([expect.stringMatching(/unknown setting; did you mean CAIRN_PORT\?/)]);
    expect(bySetting('CAIRN_PORT')).toEqual([expect.stringMatching(/whole number/)]);
    expect(bySetting('CAIRN_LOG_LEVEL')).toHaveLength(1);
    expect(bySetting('CAIRN_SECRET')).toEqual([expect.stringMatching(/at least 32 characters/)]);
    // The message a person reads carries all of them.
    expect(error.message).toMatch(/4 configuration problems/);
    for (const name of ['CAIRN_PROT', 'CAIRN_PORT', 'CAIRN_LOG_LEVEL', 'CAIRN_SECRET']) expect(error.message).toContain(`- ${name}:`);
  });

  it('gives no suggestion for an unknown name that is nothing like a setting', () => {
    const { bySetting } = problemsOf({ CAIRN_FLUX_CAPACITOR: '1' });
    expect(bySetting('CAIRN_FLUX_CAPACITOR')).toEqual(['unknown setting']);
  });

  it.each([
    ['CAIRN_PORT', '70000'],
    ['CAIRN_PORT', '-1'],
    ['CAIRN_PORT', '80.5'],
    ['CAIRN_BODY_LIMIT', 'huge'],
    ['CAIRN_BODY_LIMIT', '1gb'],
    ['CAIRN_TRUST_PROXY', 'maybe'],
    ['CAIRN_DATABASE_URL', 'mysql://localhost/cairn'],
    ['CAIRN_PUBLIC_URL', 'not a url'],
    ['CAIRN_PUBLIC_URL', 'ftp://mem.example.com'],
  ])('refuses %s=%s', (name, value) => {
    const { bySetting } = problemsOf({ [name]: value });
    expect(bySetting(name)).toHaveLength(1);
  });

  it('requires CAIRN_SECRET with PostgreSQL', () => {
    const { bySetting } = problemsOf({ CAIRN_DATABASE_URL: 'postgres://cairn@db:5432/cairn' });
    expect(bySetting('CAIRN_SECRET')).toEqual([expect.stringMatching(/required with PostgreSQL/)]);

    const config = loadConfig({ CAIRN_DATABASE_URL: 'postgresql://cairn@db:5432/cairn', CAIRN_SECRET: SECRET, CAIRN_DATABASE_POOL_SIZE: '4' }, { cwd: dir });
    expect(config.database).toEqual({ dialect: 'postgres', url: 'postgresql://cairn@db:5432/cairn', poolSize: 4 });
  });

  it('reports a too-short secret with PostgreSQL once, not also as missing', () => {
    const { bySetting } = problemsOf({ CAIRN_DATABASE_URL: 'postgres://cairn@db/cairn', CAIRN_SECRET: 'short' });
    expect(bySetting('CAIRN_SECRET')).toHaveLength(1);
  });
});

describe('loadConfig: the config file', () => {
  it('reads CAIRN_* settings from CAIRN_CONFIG_FILE, and the environment wins over it', () => {
    writeConfigFile(JSON.stringify({ CAIRN_PORT: 9000, CAIRN_LOG_LEVEL: 'warn', CAIRN_TRUST_PROXY: true }));
    const config = loadConfig({ CAIRN_CONFIG_FILE: 'cairn.json', CAIRN_PORT: '9100' }, { cwd: dir });
    expect(config.http.port).toBe(9100);
    expect(config.log.level).toBe('warn');
    expect(config.http.trustProxy).toBe(true);
    expect(config.sources).toMatchObject({ CAIRN_PORT: 'env', CAIRN_LOG_LEVEL: 'file', CAIRN_HOST: 'default' });
  });

  it('reports an unknown key in the file, with a suggestion, beside problems from the environment', () => {
    writeConfigFile(JSON.stringify({ CAIRN_LOG_LEVL: 'debug' }));
    const { bySetting, problems } = problemsOf({ CAIRN_CONFIG_FILE: 'cairn.json', CAIRN_PORT: 'x' });
    expect(bySetting('CAIRN_LOG_LEVL')).toEqual(['unknown setting (in the config file); did you mean CAIRN_LOG_LEVEL?']);
    expect(problems.map((p) => p.setting).sort()).toEqual(['CAIRN_LOG_LEVL', 'CAIRN_PORT']);
  });

  it('reports wrong types in the file like wrong types in the environment', () => {
    writeConfigFile(JSON.stringify({ CAIRN_PORT: 'eighty', CAIRN_TRUST_PROXY: 3 }));
    const { problems } = problemsOf({ CAIRN_CONFIG_FILE: 'cairn.json' });
    expect(problems.map((p) => p.setting).sort()).toEqual(['CAIRN_PORT', 'CAIRN_TRUST_PROXY']);
  });

  it('reports a missing file as a problem naming the path, not a crash', () => {
    const { bySetting } = problemsOf({ CAIRN_CONFIG_FILE: 'nope.json' });
    expect(bySetting('CAIRN_CONFIG_FILE')).toEqual([`cannot read ${join(dir, 'nope.json')} (no such file)`]);
  });

  it.each([
    ['invalid JSON', '{ "CAIRN_PORT": 9000, }'],
    ['a JSON array', '["CAIRN_PORT"]'],
    ['JSON null', 'null'],
    ['a JSON string', '"CAIRN_PORT=9000"'],
  ])('reports %s as a problem, together with other problems', (_what, text) => {
    writeConfigFile(text);
    const { bySetting, problems } = problemsOf({ CAIRN_CONFIG_FILE: 'cairn.json', CAIRN_LOG_LEVEL: 'loud' });
    expect(bySetting('CAIRN_CONFIG_FILE')).toEqual([expect.stringContaining('is not a JSON object of CAIRN_* settings')]);
    expect(problems).toHaveLength(2);
  });
});

describe('loadConfig: public URL, allowed hosts and origins', () => {
  it.each(['https://mem.example.com/cairn', 'https://mem.example.com/?x=1', 'https://user:pw@mem.example.com', 'https://mem.example.com/#top'])(
    'refuses CAIRN_PUBLIC_URL=%s: an origin only',
    (url) => {
      const { bySetting } = problemsOf({ CAIRN_PUBLIC_URL: url });
      expect(bySetting('CAIRN_PUBLIC_URL')).toEqual([expect.stringMatching(/origin only/)]);
    },
  );

  it('normalises an origin with a trailing slash', () => {
    expect(loadConfig({ CAIRN_PUBLIC_URL: 'https://Mem.Example.com:443/' }, { cwd: dir }).http.publicUrl).toBe('https://mem.example.com');
  });

  it('allows the loopback aliases by default when the public URL is loopback', () => {
    const { http } = loadConfig({}, { cwd: dir });
    expect([...http.allowedHosts].sort()).toEqual(['127.0.0.1', '[::1]', 'localhost']);
    expect([...http.allowedOrigins].sort()).toEqual(['http://127.0.0.1:8787', 'http://[::1]:8787', 'http://localhost:8787']);
  });

  it('shows 127.0.0.1 in the default public URL when listening on every interface', () => {
    expect(loadConfig({ CAIRN_HOST: '0.0.0.0' }, { cwd: dir }).http.publicUrl).toBe('http://127.0.0.1:8787');
  });

  it('allows only the public host and origin when it is not loopback', () => {
    const { http } = loadConfig({ CAIRN_PUBLIC_URL: 'https://mem.example.com' }, { cwd: dir });
    expect(http.allowedHosts).toEqual(['mem.example.com']);
    expect(http.allowedOrigins).toEqual(['https://mem.example.com']);
  });

  it('uses explicit lists as given', () => {
    const { http } = loadConfig({ CAIRN_ALLOWED_HOSTS: 'a.example', CAIRN_ALLOWED_ORIGINS: 'https://a.example' }, { cwd: dir });
    expect(http.allowedHosts).toEqual(['a.example']);
    expect(http.allowedOrigins).toEqual(['https://a.example']);
  });
});

describe('ensureSecret', () => {
  it('generates <dataDir>/secret with mode 0600 on first start and reuses it on the next', () => {
    const config = loadConfig({ CAIRN_DATA_DIR: 'state' }, { cwd: dir });
    const first = ensureSecret(config);
    const file = join(dir, 'state', 'secret');
    expect(first.secret.length).toBeGreaterThanOrEqual(32);
    expect(readFileSync(file, 'utf8').trim()).toBe(first.secret);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(first.sources.CAIRN_SECRET).toBe('generated');

    const second = ensureSecret(loadConfig({ CAIRN_DATA_DIR: 'state' }, { cwd: dir }));
    expect(second.secret).toBe(first.secret);
    expect(second.sources.CAIRN_SECRET).toBe('file');
  });

  it('generates a different secret for each new data directory', () => {
    const a = ensureSecret(loadConfig({ CAIRN_DATA_DIR: 'a' }, { cwd: dir })).secret;
    const b = ensureSecret(loadConfig({ CAIRN_DATA_DIR: 'b' }, { cwd: dir })).secret;
    expect(a).not.toBe(b);
  });

  it('uses CAIRN_SECRET when given and writes no file', () => {
    const config = ensureSecret(loadConfig({ CAIRN_SECRET: SECRET }, { cwd: dir }));
    expect(config.secret).toBe(SECRET);
    expect(existsSync(join(dir, 'data', 'secret'))).toBe(false);
  });

  it('refuses a truncated secret file rather than starting with a weak pepper', () => {
    const config = loadConfig({}, { cwd: dir });
    ensureSecret(config);
    const file = join(dir, 'data', 'secret');
    const truncated = readFileSync(file, 'utf8').slice(0, 10);
    writeFileSync(file, truncated);
    let caught: unknown;
    try {
      ensureSecret(config);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(ConfigError);
    expect((caught as ConfigError).problems[0]?.setting).toBe('CAIRN_SECRET');
    expect((caught as ConfigError).message).not.toContain(truncated);
  });
});

describe('secrets never appear in error messages', () => {
  it('does not echo a rejected CAIRN_SECRET', () => {
    const value = 'hunter2-hunter2';
    const { error } = problemsOf({ CAIRN_SECRET: value });
    expect(error.message).not.toContain(value);
    expect(JSON.stringify(error.problems)).not.toContain(value);
  });

  it('does not echo a secret of the wrong type in the config file', () => {
    writeConfigFile(JSON.stringify({ CAIRN_SECRET: 123456789 }));
    const { error } = problemsOf({ CAIRN_CONFIG_FILE: 'cairn.json' });
    expect(error.message).not.toContain('123456789');
  });

  it('does not echo a rejected database URL, which carries a password', () => {
    const { error } = problemsOf({ CAIRN_DATABASE_URL: 'mysql://cairn:s3cr3t-pass@db/cairn' });
    expect(error.message).toContain('CAIRN_DATABASE_URL');
    expect(error.message).not.toContain('s3cr3t-pass');
  });

  it('does not echo the value of a misspelt secret setting', () => {
    const { error } = problemsOf({ CAIRN_SECRT: SECRET });
    expect(error.message).toContain('did you mean CAIRN_SECRET?');
    expect(error.message).not.toContain(SECRET);
  });
});
