/**
 * A minimal browser for HTTP flows: a cookie jar per origin-less host, manual redirects, and
 * form posting. Enough to drive the hub's login and consent pages without a real browser.
 */
export interface Page {
  status: number;
  url: string;
  location: string | null;
  body: string;
  headers: Headers;
}

export class Browser {
  private readonly cookies = new Map<string, string>();

  private remember(headers: Headers): void {
    for (const line of headers.getSetCookie()) {
      const [pair] = line.split(';');
      const eq = pair!.indexOf('=');
      const name = pair!.slice(0, eq).trim();
      const value = pair!.slice(eq + 1).trim();
      if (/expires=Thu, 01 Jan 1970/i.test(line) || value === '') this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
  }

  private cookieHeader(): string {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  }

  async request(url: string, init: { method?: string; form?: Record<string, string>; headers?: Record<string, string> } = {}): Promise<Page> {
    const headers: Record<string, string> = { accept: 'text/html', cookie: this.cookieHeader(), ...init.headers };
    let body: string | undefined;
    if (init.form) {
      headers['content-type'] = 'application/x-www-form-urlencoded';
      body = new URLSearchParams(init.form).toString();
    }
    const res = await fetch(url, { method: init.method ?? (init.form ? 'POST' : 'GET'), headers, body, redirect: 'manual' });
    this.remember(res.headers);
    const location = res.headers.get('location');
    return { status: res.status, url, location: location && new URL(location, url).href, body: await res.text(), headers: res.headers };
  }

  /** Follows redirects until a page answers or the location leaves `stopAt` (the RP's callback). */
  async follow(url: string, stopAt: string, init: { form?: Record<string, string> } = {}): Promise<Page> {
    let page = await this.request(url, init);
    for (let hops = 0; page.location && !page.location.startsWith(stopAt); hops += 1) {
      if (hops > 10) throw new Error('too many redirects');
      page = await this.request(page.location);
    }
    return page;
  }

  forget(name: string): void {
    this.cookies.delete(name);
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
