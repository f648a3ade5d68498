/**
 * The real-browser harness: Playwright driving Debian's Chromium (never a downloaded browser).
 *
 * - One Chromium per mocha run, launched on first use and closed by a root `after` hook.
 * - `useBrowser()` (inside a `describe`) gives each test a fresh BrowserContext, i.e. its own
 *   cookie jar, and fails the test if a page logged a console error (a CSP violation, a failed
 *   script), threw, or sent a request off the loopback (checked by `visit`, `rpResult` and
 *   after each test).
 * - `snap(page, name)`: full-page screenshots at 390 px and 1280 px width in
 *   artifacts/screenshots/<name>-390.png / -1280.png.
 * - `expectAccessible(page)`: axe-core run in the page, fails on any violation of impact
 *   serious or critical, listing rule ids and nodes; `visit(page, name, kind)` = snap + axe once
 *   per page kind in the run.
 * - `startHubWithRp()`: a web RP (web-rp.ts) and a hub (testing/harness/hub.ts) that knows the RP's
 *   clients; form and RP helpers below drive a flow by input names and form actions, never by
 *   page wording.
 */
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import type { AxeResults } from 'axe-core';
import { expect } from 'chai';
import { chromium, type Browser, type BrowserContext, type BrowserContextOptions, type Locator, type Page } from 'playwright-core';
import { PROJECT_ROOT } from '../../src/config/load.js';
import { startTestHub, type TestHub, type TestHubOptions } from '../../testing/harness/hub.js';
import { startWebRp, type WebRp, type WebRpOptions } from './web-rp.js';

export type { Browser, BrowserContext, Page, Locator };

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const SCREENSHOTS_DIR = join(PROJECT_ROOT, 'artifacts', 'screenshots');
/** Widths of every screenshot: a small phone and a laptop. */
export const SNAP_WIDTHS = [390, 1280] as const;
const HEIGHT_OF: Record<number, number> = { 390: 844, 1280: 800 };

const LAUNCH_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'];

let launched: Promise<Browser> | undefined;

/** The run's Chromium, launched on first use. Missing Chromium is an error, never a skip. */
export function sharedBrowser(): Promise<Browser> {
  if (!existsSync(CHROMIUM_PATH)) {
    throw new Error(`Chromium is missing at ${CHROMIUM_PATH}: the browser tests need Debian's chromium package (apt-get install chromium), or CHROMIUM_PATH. Playwright never downloads a browser here.`);
  }
  if (!launched) {
    const started = Date.now();
    launched = chromium.launch({ executablePath: CHROMIUM_PATH, headless: true, args: LAUNCH_ARGS });
    void launched.then(() => (timings.launchMs = Date.now() - started), () => undefined);
  }
  launched.catch(() => (launched = undefined));
  return launched;
}

/** Where the suite's time goes, printed at the end with BROWSER_TIMINGS=1. */
export const timings = { launchMs: 0, snaps: 0, snapMs: 0, axeRuns: 0, axeMs: 0 };
/** Moderate and minor axe findings (and allowed rules), printed with BROWSER_TIMINGS=1. */
const axeNotes = new Set<string>();

export async function closeBrowser(): Promise<void> {
  const browser = launched;
  launched = undefined;
  if (browser) await (await browser).close();
  if (process.env.BROWSER_TIMINGS) {
    console.log('browser timings:', JSON.stringify(timings));
    for (const note of axeNotes) console.log(`axe (not failing): ${note}`);
  }
}

// A root hook (registered when a test file first imports this module): one close per run.
if (typeof after === 'function') after(closeBrowser);

/** Context defaults: French first (the hub's users), laptop-sized; `snap` resizes for itself. */
export const CONTEXT_DEFAULTS: BrowserContextOptions = {
  viewport: { width: 1280, height: 800 },
  locale: 'fr-FR',
  serviceWorkers: 'block',
};

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]']);

/** Problems recorded per context; `allowedProblems` holds this test's exceptions. */
const problemsOf = new WeakMap<BrowserContext, string[]>();
let allowedProblems: RegExp[] = [];

interface Watched {
  context: BrowserContext;
  problems: string[];
}

/** A new context (own cookie jar) that records console errors, page errors and non-loopback requests. */
async function watchedContext(options: BrowserContextOptions = {}): Promise<Watched> {
  const context = await (await sharedBrowser()).newContext({ ...CONTEXT_DEFAULTS, ...options });
  context.setDefaultTimeout(10_000);
  context.setDefaultNavigationTimeout(15_000);
  const problems: string[] = [];
  context.on('console', (msg) => {
    if (msg.type() !== 'error') return;
    // A document's own 4xx/5xx status (a refused login is a 401) is the test's to assert.
    // The browser's own /favicon.ico request: neither the hub nor the RP serves one.
    if (/^Failed to load resource: the server responded with a status of/.test(msg.text()) && (msg.location().url === msg.page()?.url() || new URL(msg.location().url).pathname === '/favicon.ico')) return;
    problems.push(`console error on ${msg.page()?.url() ?? '?'}: ${msg.text()} (${msg.location().url})`);
  });
  context.on('weberror', (err) => problems.push(`page error on ${err.page()?.url() ?? '?'}: ${err.error().message}`));
  context.on('request', (req) => {
    const url = new URL(req.url());
    if (/^https?:$/.test(url.protocol) && !LOOPBACK.has(url.hostname)) problems.push(`request left the loopback: ${req.url()}`);
  });
  problemsOf.set(context, problems);
  return { context, problems };
}

/**
 * Fails the test (not a hook, which would skip the rest of the describe) if the page's context
 * recorded a console error, a page error or a request off the loopback. `visit` and `rpResult`
 * call it; `useBrowser`'s afterEach checks again for what came after.
 */
export function expectNoBrowserProblems(page: Page): void {
  const problems = (problemsOf.get(page.context()) ?? []).filter((p) => !allowedProblems.some((re) => re.test(p)));
  if (problems.length) expect.fail(`the browser reported problems:\n  ${problems.join('\n  ')}`);
}

export interface BrowserSession {
  /** This test's context (fresh for each test). */
  readonly context: BrowserContext;
  /** The first page of this test's context. */
  readonly page: Page;
  /** Another context for this test (a second device), closed after the test like the first. */
  newContext(options?: BrowserContextOptions): Promise<BrowserContext>;
  /** Console errors allowed for this test only (regexps on the message). */
  allowConsoleErrors(...patterns: RegExp[]): void;
}

/**
 * Call inside a `describe`: each test gets a fresh context and page. After a failed test, a
 * screenshot of each open page goes to artifacts/screenshots/FAILED-<test>-<n>.png.
 */
export function useBrowser(options: BrowserContextOptions = {}): BrowserSession {
  let contexts: Watched[] = [];
  let current: { context: BrowserContext; page: Page } | undefined;
  const session: BrowserSession = {
    get context() {
      if (!current) throw new Error('useBrowser: no context outside a test');
      return current.context;
    },
    get page() {
      if (!current) throw new Error('useBrowser: no page outside a test');
      return current.page;
    },
    async newContext(more: BrowserContextOptions = {}) {
      const watched = await watchedContext({ ...options, ...more });
      contexts.push(watched);
      return watched.context;
    },
    allowConsoleErrors(...patterns: RegExp[]) {
      allowedProblems.push(...patterns);
    },
  };
  beforeEach(async function () {
    this.timeout(30_000);
    const context = await session.newContext();
    current = { context, page: await context.newPage() };
  });
  afterEach(async function () {
    const test = this.currentTest;
    try {
      if (test?.state === 'failed') {
        const pages = contexts.flatMap((c) => c.context.pages());
        const base = `FAILED-${fileSafe(test.fullTitle())}`.slice(0, 150);
        mkdirSync(SCREENSHOTS_DIR, { recursive: true });
        await Promise.all(pages.map((p, i) => p.screenshot({ path: join(SCREENSHOTS_DIR, `${base}-${i}.png`), fullPage: true }).catch(() => undefined)));
      }
      const problems = contexts.flatMap((c) => c.problems).filter((p) => !allowedProblems.some((re) => re.test(p)));
      if (test?.state === 'passed' && problems.length) {
        // Fails this hook (and so the run) with the list: a CSP violation is a real bug.
        throw new Error(`the browser reported problems during "${test.title}":\n  ${problems.join('\n  ')}`);
      }
    } finally {
      await Promise.all(contexts.map((c) => c.context.close().catch(() => undefined)));
      contexts = [];
      current = undefined;
      allowedProblems = [];
    }
  });
  return session;
}

const fileSafe = (s: string) => s.toLowerCase().normalize('NFKD').replace(/[^a-z0-9._-]+/g, '-').replace(/^-+|-+$/g, '');
const snapped = new Set<string>();

/**
 * Full-page screenshots at 390 px and 1280 px width: artifacts/screenshots/<name>-390.png and
 * <name>-1280.png. Names must be unique in a run (a clash would overwrite another test's).
 */
export async function snap(page: Page, name: string): Promise<void> {
  const file = fileSafe(name);
  if (snapped.has(file)) throw new Error(`snap: the name ${file} was already used in this run`);
  snapped.add(file);
  mkdirSync(SCREENSHOTS_DIR, { recursive: true });
  const original = page.viewportSize();
  const started = Date.now();
  timings.snaps += 1;
  try {
    // The current width first: one resize less.
    const widths = [...SNAP_WIDTHS].sort((a, b) => (a === original?.width ? -1 : b === original?.width ? 1 : 0));
    for (const width of widths) {
      if (page.viewportSize()?.width !== width) await page.setViewportSize({ width, height: HEIGHT_OF[width]! });
      await page.screenshot({ path: join(SCREENSHOTS_DIR, `${file}-${width}.png`), fullPage: true, animations: 'disabled', caret: 'hide' });
    }
  } finally {
    if (original) await page.setViewportSize(original);
    timings.snapMs += Date.now() - started;
  }
}

export interface AccessibilityOptions {
  /**
   * Rule ids tolerated on this page, each with the reason (a `// TODO lead: <rule>` for markup
   * outside the test's reach). Any other serious or critical violation fails.
   */
  allow?: Record<string, string>;
}

let axeScript: string | undefined;

/**
 * axe-core itself, the copy @axe-core/playwright depends on. @axe-core/playwright works on
 * Node 20 too, but its analyze() opens an extra page per run (runPartial + finishRun) and took
 * 2 to 4 times as long; the hub's pages have no frames, so one axe.run in the page is enough.
 */
function axeSource(): string {
  if (!axeScript) {
    const fromPlugin = createRequire(createRequire(import.meta.url).resolve('@axe-core/playwright'));
    axeScript = readFileSync(fromPlugin.resolve('axe-core/axe.min.js'), 'utf8');
  }
  return axeScript;
}

/** Runs axe on the page as it is; fails on violations of impact serious or critical. */
export async function expectAccessible(page: Page, options: AccessibilityOptions = {}): Promise<void> {
  const started = Date.now();
  // evaluate() is not subject to the page's CSP (the hub allows no script at all).
  if (!(await page.evaluate(() => 'axe' in window))) await page.evaluate(axeSource());
  const violations = await page.evaluate(async () => {
    const axe = (window as unknown as { axe: { run(context: Document, options: object): Promise<AxeResults> } }).axe;
    return (await axe.run(document, { resultTypes: ['violations'] })).violations;
  });
  timings.axeRuns += 1;
  timings.axeMs += Date.now() - started;
  const path = new URL(page.url()).pathname.replace(/\/interaction\/[^/]+/, '/interaction/:uid');
  if (/^https?:/.test(page.url())) for (const v of violations) if (!(v.impact === 'serious' || v.impact === 'critical') || v.id in (options.allow ?? {})) axeNotes.add(`${path}: ${v.id} (${v.impact}) ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
  const blocking = violations.filter((v) => (v.impact === 'serious' || v.impact === 'critical') && !(v.id in (options.allow ?? {})));
  if (blocking.length === 0) return;
  const lines = blocking.flatMap((v) => [
    `${v.id} (${v.impact}): ${v.help} — ${v.helpUrl}`,
    ...v.nodes.map((n) => `    ${n.target.join(' ')}  ${n.html.slice(0, 200)}\n      ${(n.failureSummary ?? '').replace(/\n/g, ' ')}`),
  ]);
  expect.fail(`axe: ${blocking.length} serious/critical violation(s) on ${page.url()}:\n  ${lines.join('\n  ')}`);
}

const checkedKinds = new Set<string>();

/**
 * A page the flow passes through: screenshots (`snap`), and axe once per page `kind` in the
 * run (login, login-error, consent…; no axe without a kind).
 */
export async function visit(page: Page, name: string, kind?: string, options: AccessibilityOptions = {}): Promise<void> {
  expectNoBrowserProblems(page);
  await snap(page, name);
  if (kind && !checkedKinds.has(kind)) {
    checkedKinds.add(kind);
    await expectAccessible(page, options);
  }
}

// ——— The hub and its web RP ———

export interface HubWithRp {
  hub: TestHub;
  rp: WebRp;
  stop(): Promise<void>;
}

/**
 * Starts the web RP, then a hub whose `config.clients` holds the RP's clients (plus
 * `options.hub.config.clients`, if any), and connects the RP to the hub.
 */
export async function startHubWithRp(options: { hub?: TestHubOptions; rp?: WebRpOptions } = {}): Promise<HubWithRp> {
  const rp = await startWebRp(options.rp);
  const config = options.hub?.config ?? {};
  const extraClients = (config.clients as unknown[] | undefined) ?? [];
  let hub: TestHub;
  try {
    hub = await startTestHub({ ...options.hub, config: { ...config, clients: [...rp.hubClients(), ...extraClients] } });
  } catch (err) {
    await rp.stop();
    throw err;
  }
  rp.connect(hub.url);
  return { hub, rp, stop: async () => { await rp.stop(); await hub.stop(); } };
}

// ——— Driving pages by markup, never by wording ———

/** Any hub interaction page (login, consent, second factor…). */
export const INTERACTION_URL = /\/interaction\/[^/?]+/;

/** The form whose `action` contains `actionPart` (e.g. '/login', '/activate', 'recovery=1'). */
export function form(page: Page, actionPart: string): Locator {
  return page.locator(`form[action*="${actionPart.replace(/"/g, '\\"')}"]`).first();
}

/**
 * Fills the inputs of the form whose action contains `actionPart`, by `name` (checkboxes:
 * 'on'/'off'), then clicks its submit button (`button`: a CSS selector inside the form, default
 * the first submit button). Resolves once the next document has loaded.
 */
export async function submitForm(page: Page, actionPart: string, fields: Record<string, string> = {}, button = 'button[type="submit"]'): Promise<void> {
  const target = form(page, actionPart);
  for (const [name, value] of Object.entries(fields)) {
    const input = target.locator(`[name="${name}"]`).first();
    if ((await input.getAttribute('type')) === 'checkbox') await input.setChecked(value !== 'off');
    else await input.fill(value);
  }
  await Promise.all([page.waitForEvent('framenavigated'), target.locator(button).first().click()]);
  await page.waitForLoadState('load');
}

/** Follows the page's link whose href contains `hrefPart` (e.g. '/activate', 'intent=manage'). */
export async function followLink(page: Page, hrefPart: string): Promise<void> {
  await Promise.all([page.waitForEvent('framenavigated'), page.locator(`a[href*="${hrefPart.replace(/"/g, '\\"')}"]`).first().click()]);
  await page.waitForLoadState('load');
}

/** The role="alert" box's text ('' when there is none). */
export async function alertText(page: Page): Promise<string> {
  const alert = page.getByRole('alert');
  return (await alert.count()) ? (await alert.first().innerText()).trim() : '';
}

/** Opens the RP's /login (client and authorization parameters) and waits for a hub page. */
export async function startLogin(page: Page, rp: WebRp, params: Record<string, string> & { client?: string } = {}): Promise<void> {
  await page.goto(rp.loginUrl(params));
  await waitForUrl(page, (url) => !url.href.startsWith(rp.url), 'the hub after the RP\'s /login');
}

/** On the hub's login page: fills login and password in the local form and submits. */
export async function signInLocally(page: Page, login: string, password: string): Promise<void> {
  await submitForm(page, '/login', { login, password });
}

export interface RpResult {
  /** The ID token's claims; undefined when the hub answered with an error. */
  claims?: Record<string, unknown> & { sub: string; acr?: string; amr?: string[] };
  userinfo?: Record<string, unknown>;
  idToken?: string;
  /** `error` of an error response (access_denied…). */
  error?: string;
  errorDescription?: string;
}

/**
 * `page.waitForURL`, but a timeout says where the browser is instead and what the page says
 * (its alert first): "stuck on the hub's login page with this error" beats "timeout".
 */
export async function waitForUrl(page: Page, predicate: (url: URL) => boolean, what: string, timeout = 15_000): Promise<void> {
  try {
    await page.waitForURL(predicate, { timeout });
  } catch (err) {
    if (!(err instanceof Error) || err.name !== 'TimeoutError') throw err;
    const alert = await alertText(page).catch(() => '');
    const text = await page.locator('body').innerText({ timeout: 1000 }).catch(() => '');
    throw new Error(`waited ${timeout} ms for ${what}, but the browser is on ${page.url()}${alert ? `\n  alert: ${alert}` : ''}\n  page text: ${text.replace(/\s+/g, ' ').slice(0, 600)}`);
  }
}

/** Waits for the RP's /callback and reads what the RP got; an RP failure throws with its message. */
export async function rpResult(page: Page, rp: WebRp): Promise<RpResult> {
  await waitForUrl(page, (url) => url.href.startsWith(`${rp.url}/callback`), "the RP's /callback");
  expectNoBrowserProblems(page);
  const rpError = page.locator('#rp-error');
  if (await rpError.count()) throw new Error(`the RP failed: ${await rpError.innerText()}`);
  const error = page.locator('#error');
  if (await error.count()) {
    return { error: (await error.getAttribute('data-error')) ?? '', errorDescription: await page.locator('#error-description').innerText() };
  }
  return {
    claims: JSON.parse(await page.locator('#claims').innerText()) as RpResult['claims'],
    userinfo: JSON.parse(await page.locator('#userinfo').innerText()) as Record<string, unknown>,
    idToken: (await page.locator('#id-token').innerText()).trim(),
  };
}

/** Waits for the RP's /bye and returns the state it received and the one it expected. */
export async function rpBye(page: Page, rp: WebRp): Promise<{ state: string | null; expected: string | null }> {
  await waitForUrl(page, (url) => url.href.startsWith(`${rp.url}/bye`), "the RP's /bye");
  return JSON.parse(await page.locator('#bye').innerText()) as { state: string | null; expected: string | null };
}

/** Waits until the page is on the hub (`hub.url`), optionally on a path matching `path`. */
export async function onHub(page: Page, hub: TestHub, path?: RegExp): Promise<void> {
  await waitForUrl(page, (url) => url.href.startsWith(hub.url) && (!path || path.test(url.pathname + url.search)), `a hub page${path ? ` matching ${path}` : ''}`);
}
