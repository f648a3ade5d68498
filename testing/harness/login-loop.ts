/**
 * Password logins in a loop through the whole HTTP flow (authorization, login form, code
 * exchange), for fault tests: a step answered 503 is tried again, as a person or an RP would; a
 * sign-in the hub forgot is started again. Every answer is checked on the way: a 503 says so
 * in French to the browser and `temporarily_unavailable` to the RP; anything else unexpected
 * (a 500, an unreadable page, a dropped connection) is a failure the test reports.
 */
import type * as oidc from 'openid-client';
import { Browser, formAction, type Page } from './browser.js';
import { PORTAL_SECRET, REDIRECT } from './fixtures.js';
import { startAuthorization } from './rp.js';

export interface LoopReport {
  /** Logins that got their tokens, with the time each one did. */
  completedAt: number[];
  /** Sign-ins started again because the hub no longer knew them (expired page, spent code). */
  restarted: number;
  /** Answers that said "unavailable" (503, or temporarily_unavailable to the RP). */
  unavailable: number;
  /** HTTP statuses seen, with their counts. */
  statuses: Record<number, number>;
  failures: string[];
}

export interface LoginLoop {
  readonly report: LoopReport;
  /** Resolves once `n` more logins completed (rejects after `timeoutMs`). */
  completions(n: number, timeoutMs: number): Promise<void>;
  stop(): Promise<LoopReport>;
}

const RETRY_PAUSE_MS = 100;

export function startLoginLoop(issuer: string, config: oidc.Configuration, login: string, password: string): LoginLoop {
  const report: LoopReport = { completedAt: [], restarted: 0, unavailable: 0, statuses: {}, failures: [] };
  let running = true;

  const fail = (what: string, page: { status: number; body: string }) => report.failures.push(`${what}: ${page.status} ${page.body.slice(0, 200)}`);
  const seen = (page: { status: number; body: string; headers: Headers }, what: string): boolean => {
    report.statuses[page.status] = (report.statuses[page.status] ?? 0) + 1;
    if (page.status !== 503) return false;
    report.unavailable += 1;
    const html = (page.headers.get('content-type') ?? '').includes('html');
    if (html ? !/lang="fr"[\s\S]*indisponible/.test(page.body) : !page.body.includes('temporarily_unavailable')) fail(`${what}: 503 without its message`, page);
    if (/\n\s+at |ECONNREFUSED|Connection terminated/.test(page.body)) fail(`${what}: internals shown`, page);
    return true;
  };
  const rpError = (location: string) => new URL(location).searchParams.get('error');

  async function oneLogin(): Promise<void> {
    const browser = new Browser();
    const start = await startAuthorization(config);
    // 1. The login page (the RP may be told the hub is unavailable: it starts again).
    const loginPage = await browser.follow(start.url.href, REDIRECT);
    if (seen(loginPage, 'login page')) return pause();
    if (loginPage.location && rpError(loginPage.location) === 'temporarily_unavailable') {
      report.unavailable += 1;
      return pause();
    }
    if (loginPage.status !== 200) return void fail('login page', loginPage);
    // 2. The password, posted again while the hub says it is unavailable.
    const action = formAction(loginPage, /\/login/);
    let page: Page;
    for (;;) {
      page = await browser.follow(action, REDIRECT, { form: { login, password } });
      if (!seen(page, 'password')) break;
      if (!running) return;
      await pause();
    }
    if (!page.location && page.body.includes('/confirm')) page = await browser.follow(formAction(page, /\/confirm/), REDIRECT, { form: {} });
    if (!goesOn(page)) return;
    // 3. The code exchange, tried again while the token endpoint says 503.
    const code = new URL(page.location!).searchParams.get('code')!;
    let answer: Awaited<ReturnType<typeof exchangeCode>>;
    for (;;) {
      answer = await exchangeCode(issuer, code, start.verifier);
      if (!seen(answer, 'token')) break;
      if (!running) return;
      await pause();
    }
    if (answer.status === 200 && answer.body.includes('access_token')) report.completedAt.push(Date.now());
    else if (answer.status === 400 && answer.body.includes('invalid_grant')) report.restarted += 1;
    else fail('token', answer);
  }

  /** Whether the sign-in got its code; else it is counted as started again (or failed). */
  function goesOn(page: Page): boolean {
    if (page.status === 400 && page.body.includes('expired_interaction')) {
      report.restarted += 1;
      return false;
    }
    if (!page.location?.startsWith(REDIRECT)) {
      fail('password', page);
      return false;
    }
    const error = rpError(page.location);
    if (error === null) return true;
    // The sign-in ended on the RP's side with an error it can act on: it starts again.
    if (error === 'temporarily_unavailable') report.unavailable += 1;
    else report.failures.push(`password: RP told ${error}`);
    report.restarted += 1;
    return false;
  }

  const done = (async () => {
    while (running) {
      try {
        await oneLogin();
      } catch (err) {
        report.failures.push(`request failed: ${(err as Error).message}`);
        await pause();
      }
    }
  })();

  return {
    report,
    async completions(n, timeoutMs) {
      const target = report.completedAt.length + n;
      const deadline = Date.now() + timeoutMs;
      while (report.completedAt.length < target) {
        if (Date.now() > deadline) throw new Error(`${n} more login(s) not completed in ${timeoutMs} ms: ${JSON.stringify(report)}`);
        await pause();
      }
    },
    async stop() {
      running = false;
      await done;
      return report;
    },
  };
}

function pause(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, RETRY_PAUSE_MS));
}

async function exchangeCode(issuer: string, code: string, verifier: string): Promise<{ status: number; body: string; headers: Headers }> {
  const response = await fetch(`${issuer}/token`, {
    method: 'POST',
    headers: { authorization: `Basic ${Buffer.from(`portal:${PORTAL_SECRET}`).toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'authorization_code', code, redirect_uri: REDIRECT, code_verifier: verifier }),
  });
  return { status: response.status, body: await response.text(), headers: response.headers };
}
