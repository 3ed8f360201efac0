import { describe, expect, it } from 'vitest';
import { redirectHostsOf } from './grants.js';

describe('redirectHostsOf (the redirect hosts a connection shows)', () => {
  it('keeps each host once, with its port, in registration order', () => {
    expect(redirectHostsOf(['http://127.0.0.1:33418/callback', 'https://claude.ai/a', 'https://claude.ai/b', 'http://localhost/cb'])).toEqual(['127.0.0.1:33418', 'claude.ai', 'localhost']);
  });

  it('shows a private-use scheme without a host as its scheme, and skips what is not a URL', () => {
    expect(redirectHostsOf(['com.example.app:/oauth', 'cursor://anysphere.cursor/cb', 'not a url'])).toEqual(['com.example.app:', 'anysphere.cursor']);
  });
});
