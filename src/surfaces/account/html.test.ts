import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { PAGE_HEADERS, STYLESHEET, escapeHtml, field, page } from './html.js';

describe('account page HTML', () => {
  it('escapes everything interpolated, in text and in attributes', () => {
    expect(escapeHtml(`<script>alert("x")</script> & 'y' \``)).toBe('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;y&#39; &#96;');
    const html = page({ title: '<b>Title</b>', body: field({ name: 'email', label: 'E"mail', value: '"><script>x</script>' }) });
    expect(html).toContain('<title>&lt;b&gt;Title&lt;/b&gt; · Cairn</title>');
    expect(html).toContain('value="&quot;&gt;&lt;script&gt;x&lt;/script&gt;"');
    expect(html).not.toContain('<script>');
  });

  it('never puts a password value back into the page', () => {
    expect(field({ name: 'password', label: 'Password', type: 'password', value: 'hunter2hunter2' })).not.toContain('hunter2');
  });

  it('ties labels, hints and errors to their input', () => {
    const html = field({ name: 'password', label: 'Password', type: 'password', hint: 'Long', error: 'Too short' });
    expect(html).toContain('<label for="f-password">');
    expect(html).toContain('id="f-password"');
    expect(html).toContain('aria-describedby="f-password-hint f-password-error"');
    expect(html).toContain('aria-invalid="true"');
  });

  it('allows exactly the inline stylesheet it ships, and nothing else', () => {
    const hash = createHash('sha256').update(STYLESHEET).digest('base64');
    expect(PAGE_HEADERS['content-security-policy']).toBe(`default-src 'none'; style-src 'sha256-${hash}'; img-src 'self'; base-uri 'none'; frame-ancestors 'none'`);
    expect(page({ title: 't', body: '' })).toContain(`<style>${STYLESHEET}</style>`);
    expect(page({ title: 't', body: '' })).toContain('<meta name="viewport" content="width=device-width, initial-scale=1">');
    expect(page({ title: 't', body: '' })).toContain('<html lang="en">');
  });
});
