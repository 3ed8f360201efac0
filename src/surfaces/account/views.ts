import type { UpstreamProvider } from '../../accounts/accounts.js';
import { PASSWORD_LENGTH } from '../../accounts/policy.js';
import { DEFAULT_RETURN_TO } from '../../accounts/return-to.js';
import type { SessionUser } from '../../auth/sessions/ports.js';
import { alertBox, escapeHtml, field, hiddenField, noteBox, type PageParts } from './html.js';

/** Field-level problems of a submitted form, by field name. */
export type FieldErrors = Partial<Record<string, string>>;

const PASSWORD_HINT = `At least ${PASSWORD_LENGTH.min} characters. A few unrelated words make a good one.`;

function withReturnTo(path: string, returnTo: string): string {
  return returnTo === DEFAULT_RETURN_TO ? path : `${path}?return_to=${encodeURIComponent(returnTo)}`;
}

function upstreamButtons(providers: readonly UpstreamProvider[], returnTo: string): string {
  return providers
    .map(
      (p) =>
        `<form method="post" action="/login/upstream">${hiddenField('provider', p.id)}${hiddenField('return_to', returnTo)}` +
        `<button type="submit" class="secondary">Sign in with ${escapeHtml(p.name)}</button></form>`,
    )
    .join('\n');
}

export function loginView(o: {
  returnTo: string;
  email?: string;
  error?: string;
  upstream: readonly UpstreamProvider[];
  signupOpen: boolean;
}): PageParts {
  const body = [
    o.error ? alertBox(o.error) : '',
    `<form method="post" action="/login">`,
    hiddenField('return_to', o.returnTo),
    field({ name: 'email', label: 'Email', type: 'email', value: o.email ?? '', autocomplete: 'username', required: true, autofocus: !o.error }),
    field({ name: 'password', label: 'Password', type: 'password', autocomplete: 'current-password', required: true }),
    `<button type="submit">Sign in</button>`,
    `</form>`,
    o.upstream.length > 0 ? `<p class="or">or</p>\n${upstreamButtons(o.upstream, o.returnTo)}` : '',
    o.signupOpen ? `<p>No account yet? <a href="${escapeHtml(withReturnTo('/signup', o.returnTo))}">Create one</a>.</p>` : '',
  ];
  return { title: 'Sign in to Cairn', body: body.filter(Boolean).join('\n') };
}

export function signedInView(session: SessionUser, notice?: string): PageParts {
  const who = session.name ? `${session.name} (${session.email})` : session.email;
  return {
    title: 'Signed in',
    body: [
      notice ? noteBox(notice) : '',
      `<p>You are signed in to Cairn as <strong>${escapeHtml(who)}</strong>${session.isAdmin ? ', an administrator' : ''}.</p>`,
      `<p><a class="button" href="/">Open the dashboard</a></p>`,
      `<p>Connect an MCP client (Claude, ChatGPT, Cursor…) with this Cairn's URL; it will bring you back here to approve it. The dashboard shows how, for each client.</p>`,
      `<form method="post" action="/logout"><button type="submit" class="secondary">Sign out</button></form>`,
    ]
      .filter(Boolean)
      .join('\n'),
  };
}

export function signupView(o: { returnTo: string; name?: string; email?: string; errors?: FieldErrors; error?: string }): PageParts {
  const errors = o.errors ?? {};
  const firstInvalid = ['name', 'email', 'password', 'confirm'].find((f) => errors[f]);
  const body = [
    o.error ? alertBox(o.error) : '',
    `<form method="post" action="/signup">`,
    hiddenField('return_to', o.returnTo),
    field({ name: 'name', label: 'Name', value: o.name ?? '', autocomplete: 'name', maxlength: 200, autofocus: !o.error && (firstInvalid ?? 'name') === 'name', ...(errors.name ? { error: errors.name } : {}) }),
    field({ name: 'email', label: 'Email', type: 'email', value: o.email ?? '', autocomplete: 'email', required: true, autofocus: !o.error && firstInvalid === 'email', ...(errors.email ? { error: errors.email } : {}) }),
    field({ name: 'password', label: 'Password', type: 'password', autocomplete: 'new-password', required: true, minlength: PASSWORD_LENGTH.min, hint: PASSWORD_HINT, autofocus: !o.error && firstInvalid === 'password', ...(errors.password ? { error: errors.password } : {}) }),
    field({ name: 'confirm', label: 'Password again', type: 'password', autocomplete: 'new-password', required: true, autofocus: !o.error && firstInvalid === 'confirm', ...(errors.confirm ? { error: errors.confirm } : {}) }),
    `<button type="submit">Create account</button>`,
    `</form>`,
    `<p>Already have an account? <a href="${escapeHtml(withReturnTo('/login', o.returnTo))}">Sign in</a>.</p>`,
  ];
  return { title: 'Create a Cairn account', body: body.filter(Boolean).join('\n') };
}

export function upstreamSignupView(upstream: readonly UpstreamProvider[], returnTo: string): PageParts {
  return {
    title: 'Create a Cairn account',
    body: `<p>Accounts on this Cairn are created by signing in through your organisation's login.</p>\n${upstreamButtons(upstream, returnTo)}`,
  };
}

export function firstAdminView(o: { token: string; name?: string; email?: string; errors?: FieldErrors; error?: string }): PageParts {
  const errors = o.errors ?? {};
  const firstInvalid = ['name', 'email', 'password', 'confirm'].find((f) => errors[f]);
  const body = [
    o.error ? alertBox(o.error) : '',
    `<p>Create the first administrator of this Cairn. This link works once.</p>`,
    `<form method="post" action="/setup/${escapeHtml(o.token)}">`,
    field({ name: 'name', label: 'Name', value: o.name ?? '', autocomplete: 'name', maxlength: 200, autofocus: !o.error && (firstInvalid ?? 'name') === 'name', ...(errors.name ? { error: errors.name } : {}) }),
    field({ name: 'email', label: 'Email', type: 'email', value: o.email ?? '', autocomplete: 'email', required: true, autofocus: !o.error && firstInvalid === 'email', ...(errors.email ? { error: errors.email } : {}) }),
    field({ name: 'password', label: 'Password', type: 'password', autocomplete: 'new-password', required: true, minlength: PASSWORD_LENGTH.min, hint: PASSWORD_HINT, autofocus: !o.error && firstInvalid === 'password', ...(errors.password ? { error: errors.password } : {}) }),
    field({ name: 'confirm', label: 'Password again', type: 'password', autocomplete: 'new-password', required: true, autofocus: !o.error && firstInvalid === 'confirm', ...(errors.confirm ? { error: errors.confirm } : {}) }),
    `<button type="submit">Create administrator</button>`,
    `</form>`,
  ];
  return { title: 'Set up Cairn', body: body.filter(Boolean).join('\n') };
}

export function setPasswordView(o: { token: string; email: string; errors?: FieldErrors; error?: string }): PageParts {
  const errors = o.errors ?? {};
  const body = [
    o.error ? alertBox(o.error) : '',
    `<p>Choose a password for <strong>${escapeHtml(o.email)}</strong>. This link works once.</p>`,
    `<form method="post" action="/setup/${escapeHtml(o.token)}">`,
    // The account name, for password managers; not editable.
    `<input type="hidden" name="username" autocomplete="username" value="${escapeHtml(o.email)}">`,
    field({ name: 'password', label: 'New password', type: 'password', autocomplete: 'new-password', required: true, minlength: PASSWORD_LENGTH.min, hint: PASSWORD_HINT, autofocus: !o.error && !errors.confirm, ...(errors.password ? { error: errors.password } : {}) }),
    field({ name: 'confirm', label: 'New password again', type: 'password', autocomplete: 'new-password', required: true, autofocus: !o.error && !!errors.confirm && !errors.password, ...(errors.confirm ? { error: errors.confirm } : {}) }),
    `<button type="submit">Set password</button>`,
    `</form>`,
  ];
  return { title: 'Set your password', body: body.filter(Boolean).join('\n') };
}

/** A page that only explains something, with a way on. */
export function messageView(title: string, text: string, link: { href: string; label: string } = { href: '/login', label: 'Sign in' }): PageParts {
  return { title, body: `<p>${escapeHtml(text)}</p>\n<p><a href="${escapeHtml(link.href)}">${escapeHtml(link.label)}</a></p>` };
}
