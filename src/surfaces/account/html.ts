import { createHash } from 'node:crypto';
import type { FastifyReply } from 'fastify';

/**
 * Server-rendered pages for people in a browser (login, sign-up, setup links; the OAuth consent page reuses
 * this): one layout, one small stylesheet, escaping for everything interpolated, and the headers every such
 * page sends. No framework and no script.
 */

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;', '`': '&#96;' };

/** Text (or anything else, stringified) made safe for HTML element content and quoted attribute values. */
export function escapeHtml(value: unknown): string {
  return String(value ?? '').replace(/[&<>"'`]/g, (c) => ESCAPES[c]!);
}

/**
 * Readable at phone width and at 200% zoom, AA contrast (body text 15.9:1, links and buttons 7.1:1, errors
 * 6.5:1), a visible focus ring, and respect for the system's dark preference.
 */
export const STYLESHEET = `
*,*::before,*::after{box-sizing:border-box}
html{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;line-height:1.5;color:#1b1b1f;background:#f6f6f8}
body{margin:0;padding:1.5rem 1rem}
main{max-width:28rem;margin:0 auto;background:#fff;border:1px solid #d4d4da;border-radius:.5rem;padding:1.5rem}
h1{font-size:1.5rem;line-height:1.25;margin:0 0 1rem}
p{margin:0 0 1rem}
label{display:block;font-weight:600;margin:0 0 .25rem}
input[type=text],input[type=email],input[type=password]{display:block;width:100%;font:inherit;padding:.6rem .7rem;border:1px solid #6b6b76;border-radius:.375rem;background:#fff;color:inherit;margin:0 0 1rem}
input[aria-invalid=true]{border-color:#b3261e;border-width:2px}
button{font:inherit;font-weight:600;padding:.65rem 1rem;border-radius:.375rem;border:1px solid #1d4ed8;background:#1d4ed8;color:#fff;cursor:pointer;width:100%}
button.secondary{background:#fff;color:#1d4ed8}
a.button{display:block;text-align:center;font-weight:600;padding:.65rem 1rem;border-radius:.375rem;background:#1d4ed8;color:#fff;text-decoration:none}
form{margin:0 0 1rem}
a{color:#1d4ed8}
:focus-visible{outline:3px solid #b45309;outline-offset:2px}
.alert{border:2px solid #b3261e;border-radius:.375rem;padding:.75rem;margin:0 0 1rem;color:#8c1d18;background:#fdf2f1}
.note{border:1px solid #1d4ed8;border-radius:.375rem;padding:.75rem;margin:0 0 1rem;background:#eff4ff}
.hint{font-size:.9rem;color:#4a4a55;margin:-.75rem 0 1rem}
.field-error{color:#8c1d18;font-weight:600;margin:-.75rem 0 1rem}
.or{text-align:center;color:#4a4a55;margin:1rem 0}
@media (prefers-color-scheme:dark){
html{color:#ececf1;background:#16161a}
main{background:#1f1f24;border-color:#3a3a42}
input[type=text],input[type=email],input[type=password]{background:#16161a;border-color:#9a9aa6}
button{background:#93b4ff;border-color:#93b4ff;color:#0b1a3d}
button.secondary{background:transparent;color:#93b4ff}
a{color:#93b4ff}
a.button{background:#93b4ff;color:#0b1a3d}
.alert{background:#3a1614;color:#ffb4ab;border-color:#ffb4ab}
.note{background:#14213d;border-color:#93b4ff}
.hint,.or{color:#b9b9c4}
.field-error{color:#ffb4ab}
}`;

const STYLE_HASH = createHash('sha256').update(STYLESHEET, 'utf8').digest('base64');

/**
 * The headers of every page: a CSP that allows only the inline stylesheet above (no script at all, no
 * framing, no <base>), the legacy framing header, no caching (pages show who is signed in and carry form
 * state), and no Referer beyond Cairn itself.
 */
export const PAGE_HEADERS: Readonly<Record<string, string>> = {
  'content-type': 'text/html; charset=utf-8',
  'content-security-policy': `default-src 'none'; style-src 'sha256-${STYLE_HASH}'; img-src 'self'; base-uri 'none'; frame-ancestors 'none'`,
  'x-frame-options': 'DENY',
  'cache-control': 'no-store',
  'referrer-policy': 'same-origin',
  'x-content-type-options': 'nosniff',
};

export interface PageParts {
  /** Plain text; escaped here. */
  readonly title: string;
  /** Trusted HTML: build it with `escapeHtml` (or the helpers below) around every value that came from outside. */
  readonly body: string;
}

/** A whole HTML document around `body`. */
export function page({ title, body }: PageParts): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="same-origin">
<title>${escapeHtml(title)} · Cairn</title>
<style>${STYLESHEET}</style>
</head>
<body>
<main>
<h1>${escapeHtml(title)}</h1>
${body}
</main>
</body>
</html>
`;
}

/** Sends `parts` as a page with PAGE_HEADERS (and any `headers` given, such as Set-Cookie or Retry-After). */
export function sendPage(reply: FastifyReply, parts: PageParts, status = 200, headers: Record<string, string | string[]> = {}): FastifyReply {
  return reply.code(status).headers({ ...PAGE_HEADERS, ...headers }).send(page(parts));
}

/** An error summary read out when the page loads, and focused so keyboard users start there. */
export function alertBox(message: string): string {
  return `<div class="alert" role="alert" tabindex="-1" autofocus>${escapeHtml(message)}</div>`;
}

/** A neutral notice (status text, not an error). */
export function noteBox(message: string): string {
  return `<div class="note" role="status">${escapeHtml(message)}</div>`;
}

export interface FieldOptions {
  readonly name: string;
  readonly label: string;
  readonly type?: 'text' | 'email' | 'password';
  readonly value?: string;
  readonly autocomplete?: string;
  readonly required?: boolean;
  readonly autofocus?: boolean;
  readonly hint?: string;
  /** Shown under the field, which is then marked invalid. */
  readonly error?: string;
  readonly minlength?: number;
  readonly maxlength?: number;
}

/** A labelled input; its hint and error are tied to it with aria-describedby. */
export function field(o: FieldOptions): string {
  const id = `f-${o.name}`;
  const described = [o.hint ? `${id}-hint` : '', o.error ? `${id}-error` : ''].filter(Boolean).join(' ');
  const attrs = [
    `id="${id}"`,
    `name="${escapeHtml(o.name)}"`,
    `type="${o.type ?? 'text'}"`,
    o.value !== undefined && o.type !== 'password' ? `value="${escapeHtml(o.value)}"` : '',
    o.autocomplete ? `autocomplete="${escapeHtml(o.autocomplete)}"` : '',
    o.required ? 'required' : '',
    o.autofocus ? 'autofocus' : '',
    o.minlength !== undefined ? `minlength="${o.minlength}"` : '',
    o.maxlength !== undefined ? `maxlength="${o.maxlength}"` : '',
    o.error ? 'aria-invalid="true"' : '',
    described ? `aria-describedby="${described}"` : '',
  ].filter(Boolean);
  return (
    `<label for="${id}">${escapeHtml(o.label)}</label>\n<input ${attrs.join(' ')}>\n` +
    (o.hint ? `<p class="hint" id="${id}-hint">${escapeHtml(o.hint)}</p>\n` : '') +
    (o.error ? `<p class="field-error" id="${id}-error">${escapeHtml(o.error)}</p>\n` : '')
  );
}

export function hiddenField(name: string, value: string): string {
  return `<input type="hidden" name="${escapeHtml(name)}" value="${escapeHtml(value)}">`;
}
