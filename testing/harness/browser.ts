/**
 * A small HTTP browser for the non-browser tests: an RFC 6265 cookie jar (tough-cookie: path,
 * domain, expiry, SameSite), manual redirects, and form posting. It sends a cookie only where a
 * real browser would; the user flows themselves are also driven in Chromium (test/browser/).
 */
import { CookieJar } from 'tough-cookie';

export interface Page {
  status: number;
  url: string;
  location: string | null;
  body: string;
  headers: Headers;
}

export interface RequestInit {
  method?: string;
  form?: Record<string, string>;
  headers?: Record<string, string>;
  /**
   * The request comes from another site (an IdP's auto-posted form, a link on a partner's page):
   * SameSite=Lax cookies go only with a top-level GET, SameSite=Strict ones never.
   */
  crossSite?: boolean;
}

export class Browser {
  readonly jar = new CookieJar();

  async request(url: string, init: RequestInit = {}): Promise<Page> {
    const method = init.method ?? (init.form ? 'POST' : 'GET');
    const sameSiteContext = !init.crossSite ? 'strict' : method === 'GET' ? 'lax' : 'none';
    const cookie = await this.jar.getCookieString(url, { sameSiteContext });
    const headers: Record<string, string> = { accept: 'text/html', ...(cookie ? { cookie } : {}), ...init.headers };
    let body: string | undefined;
    if (init.form) {
      headers['content-type'] = 'application/x-www-form-urlencoded';
      body = new URLSearchParams(init.form).toString();
    }
    const res = await fetch(url, { method, headers, body, redirect: 'manual' });
    for (const line of res.headers.getSetCookie()) await this.jar.setCookie(line, url, { sameSiteContext, ignoreError: true });
    const location = res.headers.get('location');
    return { status: res.status, url, location: location && new URL(location, url).href, body: await res.text(), headers: res.headers };
  }

  /**
   * Follows redirects until a page answers or the location leaves `stopAt` (the RP's callback).
   * A chain started from another site stays cross-site, as browsers treat redirect chains.
   */
  async follow(url: string, stopAt: string, init: { form?: Record<string, string>; crossSite?: boolean } = {}): Promise<Page> {
    let page = await this.request(url, init);
    for (let hops = 0; page.location && !page.location.startsWith(stopAt); hops += 1) {
      if (hops > 10) throw new Error('too many redirects');
      page = await this.request(page.location, { crossSite: Boolean(init.crossSite) });
    }
    return page;
  }

  /** Drops every cookie of that name, whatever its domain and path. */
  async forget(name: string): Promise<void> {
    const store = this.jar.store;
    for (const c of await store.getAllCookies()) if (c.key === name) await store.removeCookie(c.domain, c.path, c.key);
  }

  /** The names of the cookies this browser would send to `url`. */
  async cookieNames(url: string): Promise<string[]> {
    return (await this.jar.getCookies(url)).map((c) => c.key);
  }
}

/** The `action` of the first form in a page whose action matches `pattern`. */
export function formAction(page: Page, pattern: RegExp): string {
  const match = [...page.body.matchAll(/<form[^>]*action="([^"]+)"/g)].map((m) => m[1]!.replace(/&amp;/g, '&')).find((a) => pattern.test(a));
  if (!match) throw new Error(`no form matching ${pattern} in page ${page.url} (status ${page.status})`);
  return new URL(match, page.url).href;
}

/** Hidden inputs of a page (e.g. oidc-provider's logout xsrf). */
export function hiddenInputs(page: Page): Record<string, string> {
  const out: Record<string, string> = {};
  for (const m of page.body.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)"/g)) out[m[1]!] = m[2]!;
  return out;
}
