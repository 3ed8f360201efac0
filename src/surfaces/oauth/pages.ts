import { SCOPE_DESCRIPTIONS, type MemoryScope } from '../../oauth/scopes.js';
import { alertBox, escapeHtml, hiddenField, page } from '../account/html.js';

/**
 * The consent and error pages share the account pages' layout, stylesheet and headers (src/surfaces/account/
 * html.ts): never cached, never framed (clickjacking a consent button), no script. The CSP has no
 * `form-action`, on purpose: the consent form's answer redirects on to the client's own redirect URI, and
 * browsers apply form-action to that redirect too.
 */
export { escapeHtml, PAGE_HEADERS } from '../account/html.js';

export interface ConsentView {
  readonly uid: string;
  readonly csrf: string;
  readonly clientName: string;
  readonly clientId: string;
  /** Where the answer goes: a host name, or the scheme of an app's own URI. */
  readonly redirectTarget: string;
  readonly localhostOnly: boolean;
  /** How the client introduced itself: registered through the API, or by a metadata document at a URL. */
  readonly provenance: 'registered' | 'metadata_document';
  readonly scopes: readonly MemoryScope[];
  /** The client may refresh its tokens, so it stays connected while nobody uses it. */
  readonly offlineAccess: boolean;
  /** With the person's role there: a viewer's grant can only read, which the page says before they choose. */
  readonly workspaces: readonly { readonly id: string; readonly name: string; readonly kind: string; readonly role: string }[];
  readonly selectedWorkspace: string;
  readonly userEmail: string;
  readonly problem?: string;
}

/**
 * The consent page: who is asking (as it names itself, and where the answer goes), what it may do, in
 * which workspace. The form posts back to the same URL with `decision` = approve | deny, `workspace` and
 * `csrf` (scripted test sessions rely on these names).
 */
export function consentPage(v: ConsentView): string {
  const name = escapeHtml(v.clientName);
  const warnings = [
    v.provenance === 'registered'
      ? `Cairn has not verified this app. “${name}” is the name it gave itself when it registered.`
      : `Cairn has not verified this app. It describes itself at <code>${escapeHtml(v.clientId)}</code>.`,
    v.localhostOnly
      ? `The answer goes to a program on this computer (<strong>${escapeHtml(v.redirectTarget)}</strong>). Continue only if you started connecting an app here just now.`
      : undefined,
  ].filter((w): w is string => w !== undefined);
  const scopes = v.scopes.map((s) => `<li>${escapeHtml(SCOPE_DESCRIPTIONS[s])} (${s})</li>`).join('\n');
  const workspaces = v.workspaces
    .map((w) => `<option value="${escapeHtml(w.id)}"${w.id === v.selectedWorkspace ? ' selected' : ''}>${escapeHtml(w.name)} (${w.kind === 'personal' ? 'personal' : w.role === 'viewer' ? 'you are a viewer: it can only read' : `you are ${w.role === 'admin' ? 'an' : 'a'} ${w.role}`})</option>`)
    .join('\n');
  return page({
    title: `Connect ${v.clientName} to your Cairn memory?`,
    body: `${v.problem ? alertBox(v.problem) : ''}
<p>After you answer, you will be sent to <strong>${escapeHtml(v.redirectTarget)}</strong>.</p>
${warnings.map((w) => `<div class="note" role="note">${w}</div>`).join('\n')}
<p>It asks to:</p>
<ul>
${scopes}
${v.offlineAccess ? `<li>${escapeHtml(SCOPE_DESCRIPTIONS.offline_access)}</li>` : ''}
</ul>
<p class="hint">It never gets your password and cannot manage your keys or other apps. You can disconnect it at any time.</p>
<form method="post" action="/interaction/${escapeHtml(v.uid)}">
${hiddenField('csrf', v.csrf)}
<label for="workspace">Workspace it may use</label>
<p><select id="workspace" name="workspace">
${workspaces}
</select></p>
<p>It acts only in this workspace, and the memories it writes are marked with its name.</p>
<button type="submit" name="decision" value="approve">Allow</button>
<p class="or">or</p>
<button type="submit" name="decision" value="deny" class="secondary">Deny</button>
</form>
<p class="hint">Signed in as ${escapeHtml(v.userEmail)}.</p>`,
  });
}

/** An error shown instead of redirecting (the client or its redirect URI could not be trusted), or an expired step. */
export function errorPage(title: string, error: string, description: string | undefined): string {
  return page({
    title,
    body: `<p><code>${escapeHtml(error)}</code>${description ? `: ${escapeHtml(description)}` : ''}</p>
<p>Return to the app you were connecting and start again. If this keeps happening, tell whoever runs this Cairn.</p>`,
  });
}
