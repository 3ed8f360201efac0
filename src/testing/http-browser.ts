import type { FastifyInstance } from 'fastify';

export interface BrowserPage {
  readonly url: URL;
  readonly status: number;
  readonly body: string;
}

/**
 * Just enough of a browser to walk redirect chains across Cairn and another site: a cookie jar per origin
 * (attributes other than expiry ignored), manual redirects, GET and url-encoded form posts with the page's
 * Origin. Requests to Cairn's public origin go to `app.inject`; everything else goes over the network.
 */
export class HttpBrowser {
  private readonly jar = new Map<string, Map<string, string>>();

  constructor(
    private readonly app: FastifyInstance,
    private readonly cairnOrigin: string,
  ) {}

  /** Loads `url` and follows redirects to the final page. */
  get(url: string): Promise<BrowserPage> {
    return this.follow(new URL(url, this.cairnOrigin), { method: 'GET' });
  }

  /** Submits a form from a page of `from`'s origin to `action` (resolved against `from`) and follows redirects. */
  submit(from: URL, action: string, fields: Record<string, string>): Promise<BrowserPage> {
    return this.follow(new URL(action, from), { method: 'POST', form: new URLSearchParams(fields).toString(), origin: from.origin });
  }

  /** The cookies the jar holds for `origin`, by name. */
  cookies(origin: string): ReadonlyMap<string, string> {
    return this.jar.get(origin) ?? new Map();
  }

  cookieHeader(origin: string): string {
    return [...this.cookies(origin)].map(([k, v]) => `${k}=${v}`).join('; ');
  }

  private async follow(url: URL, req: { method: 'GET' | 'POST'; form?: string; origin?: string }): Promise<BrowserPage> {
    let current = url;
    let request = req;
    for (let hop = 0; hop < 20; hop++) {
      const res = await this.send(current, request);
      const location = res.location;
      if (res.status >= 300 && res.status < 400 && location) {
        current = new URL(location, current);
        request = { method: 'GET' };
        continue;
      }
      return { url: current, status: res.status, body: res.body };
    }
    throw new Error(`too many redirects from ${url.href}`);
  }

  private async send(url: URL, req: { method: 'GET' | 'POST'; form?: string; origin?: string }): Promise<{ status: number; location: string | undefined; body: string }> {
    const headers: Record<string, string> = {};
    const cookie = this.cookieHeader(url.origin);
    if (cookie) headers.cookie = cookie;
    if (req.form !== undefined) headers['content-type'] = 'application/x-www-form-urlencoded';
    if (req.origin) headers.origin = req.origin;
    if (url.origin === this.cairnOrigin) {
      const res = await this.app.inject({ method: req.method, url: `${url.pathname}${url.search}`, headers, ...(req.form !== undefined ? { payload: req.form } : {}) });
      const set = res.headers['set-cookie'];
      this.store(url.origin, set === undefined ? [] : Array.isArray(set) ? set : [set]);
      const location = res.headers.location;
      return { status: res.statusCode, location: typeof location === 'string' ? location : undefined, body: res.body };
    }
    const res = await fetch(url, { method: req.method, headers, redirect: 'manual', ...(req.form !== undefined ? { body: req.form } : {}) });
    this.store(url.origin, res.headers.getSetCookie());
    return { status: res.status, location: res.headers.get('location') ?? undefined, body: await res.text() };
  }

  private store(origin: string, setCookies: readonly string[]): void {
    const cookies = this.jar.get(origin) ?? new Map<string, string>();
    for (const line of setCookies) {
      const [pair = '', ...attributes] = line.split(';');
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      const expired = attributes.some((a) => /^\s*max-age=(0|-)/i.test(a) || (/^\s*expires=/i.test(a) && Date.parse(a.split('=')[1]!) < Date.now()));
      if (expired || value === '') cookies.delete(name);
      else cookies.set(name, value);
    }
    this.jar.set(origin, cookies);
  }
}
