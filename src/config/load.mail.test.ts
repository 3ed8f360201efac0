import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './load.js';

function problems(env: NodeJS.ProcessEnv): { found: Record<string, string[]>; message: string } {
  try {
    loadConfig(env, { cwd: '/tmp' });
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    const found: Record<string, string[]> = {};
    for (const p of (err as ConfigError).problems) (found[p.setting] ??= []).push(p.message);
    return { found, message: (err as Error).message };
  }
  throw new Error('loadConfig accepted the configuration');
}

describe('loadConfig: outgoing mail', () => {
  it('no CAIRN_SMTP_URL: no mail, as before', () => {
    expect(loadConfig({}, { cwd: '/tmp' }).mail).toBeUndefined();
  });

  it('takes the URL apart: host, port (587 / 465 by default), TLS, the percent-decoded login, and the sender', () => {
    expect(loadConfig({ CAIRN_SMTP_URL: 'smtp://cairn%40example.com:p%40ss%2Fw0rd@mail.example.com:2525', CAIRN_MAIL_FROM: ' Cairn <cairn@example.com> ' }, { cwd: '/tmp' }).mail).toEqual({
      smtp: { host: 'mail.example.com', port: 2525, secure: false, user: 'cairn@example.com', password: 'p@ss/w0rd' },
      from: 'Cairn <cairn@example.com>',
    });
    expect(loadConfig({ CAIRN_SMTP_URL: 'smtps://u:p@mail.example.com', CAIRN_MAIL_FROM: 'cairn@example.com' }, { cwd: '/tmp' }).mail?.smtp).toEqual({
      host: 'mail.example.com',
      port: 465,
      secure: true,
      user: 'u',
      password: 'p',
    });
    expect(loadConfig({ CAIRN_SMTP_URL: 'smtp://127.0.0.1', CAIRN_MAIL_FROM: 'cairn@example.com' }, { cwd: '/tmp' }).mail?.smtp).toEqual({ host: '127.0.0.1', port: 587, secure: false });
  });

  it('refuses a URL without a sender, and a sender without a URL, listed with every other problem at once', () => {
    const { found } = problems({ CAIRN_SMTP_URL: 'smtp://u:p@mail.example.com:587', CAIRN_PORT: 'eighty' });
    expect(found.CAIRN_MAIL_FROM).toEqual(['is required when CAIRN_SMTP_URL is set: the sender of invitation mail (e.g. Cairn <cairn@example.com>)']);
    expect(found.CAIRN_PORT).toBeDefined();
    expect(problems({ CAIRN_MAIL_FROM: 'cairn@example.com' }).found.CAIRN_SMTP_URL?.[0]).toMatch(/^is required when CAIRN_MAIL_FROM is set/);
  });

  it('refuses bad URLs and senders without echoing the URL (it holds the password)', () => {
    const cases: [string, RegExp][] = [
      ['not a url with s3cret-pw', /is not a valid URL/],
      ['http://u:s3cret-pw@mail.example.com', /must start with smtp:\/\/ .* or smtps:\/\//],
      ['smtp://u:s3cret-pw@mail.example.com:587/path', /no path, query or fragment/],
      ['smtp://u:s3cret-pw@mail.example.com:587?secure=false', /no path, query or fragment/],
      ['smtp://:s3cret-pw@mail.example.com', /password but no user name/],
      ['smtp://u:s3cret-pw%zz@mail.example.com', /not valid percent-encoding/],
    ];
    for (const [url, expected] of cases) {
      const { found, message } = problems({ CAIRN_SMTP_URL: url, CAIRN_MAIL_FROM: 'cairn@example.com' });
      expect(found.CAIRN_SMTP_URL, url).toHaveLength(1);
      expect(found.CAIRN_SMTP_URL![0], url).toMatch(expected);
      expect(message).not.toContain('s3cret-pw');
    }
    for (const from of ['not an address', 'Cairn <nobody>', 'a@b.c\r\nBcc: eve@example.com']) {
      expect(problems({ CAIRN_SMTP_URL: 'smtp://mail.example.com', CAIRN_MAIL_FROM: from }).found.CAIRN_MAIL_FROM, from).toEqual([
        'must be an email address or Name <address> (e.g. Cairn <cairn@example.com>)',
      ]);
    }
  });
});
