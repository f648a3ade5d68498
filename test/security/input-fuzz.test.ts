/**
 * Property-based: arbitrary strings and bytes thrown at every form and endpoint of a real hub
 * (PostgreSQL, Redis), with an honest cookie jar so each form is reached at its real step.
 *
 * Two properties per target:
 * - hostile values (a control character or bytes that are not UTF-8, in one field, all other
 *   fields correct, secrets included) get exactly a 400 and change nothing;
 * - any value at all gets an answer below 500, without a stack trace.
 * At the end, nothing was written: accounts, second factors and success audit events as before.
 *
 * Seeded (SEED) so that a failure is reproduced by running the file again.
 */
import { expect } from 'chai';
import fc from 'fast-check';
import { generate } from 'otplib';
import { hashPassword } from '../../src/auth/passwords.js';
import { generateActivationCode, hashActivationCode } from '../../src/identity/activation-code.js';
import type { PlatformStore } from '../../src/storage/ports/index.js';
import { Browser, formAction, hiddenInputs, type Page } from '../../testing/harness/browser.js';
import { PASSWORD, PORTAL_SECRET, REDIRECT, seedPeople, testClients, testResources } from '../../testing/harness/fixtures.js';
import { startTestHub, type TestHub } from '../../testing/harness/hub.js';
import { createTestDatabase, type TestDatabase } from '../../testing/harness/postgres.js';
import { discover, signIn, startAuthorization } from '../../testing/harness/rp.js';

const SEED = 20_240_6;
const RUNS = 30;
const NEW_PASSWORD = 'trois petits chats gris';
const THROTTLE = { baseDelayMs: 1, maxDelayMs: 4 };

// ---- values ---------------------------------------------------------------------------------

/** Control characters and byte sequences that are not UTF-8 (truncated, overlong, surrogate, > U+10FFFF). */
const HOSTILE: number[][] = [
  [0x00], [0x01], [0x07], [0x09], [0x0a], [0x0d], [0x1b], [0x7f], [0xc2, 0x85], [0xc2, 0x9f],
  [0x80], [0xff], [0xfe], [0xc3, 0x28], [0xe2, 0x82], [0xed, 0xa0, 0x80], [0xc0, 0xaf], [0xf4, 0x90, 0x80, 0x80],
];

const utf8 = (text: string): Uint8Array => Buffer.from(text, 'utf8');
const text = fc.string({ unit: 'grapheme', maxLength: 16 });
/** A value with at least one hostile sequence somewhere. */
const hostileOf = (sequences: number[][]) => fc.tuple(text, fc.oneof({ arbitrary: fc.constant([0x00]), weight: 1 }, { arbitrary: fc.constantFrom(...sequences), weight: 2 }), text).map(([a, bad, b]) => Buffer.concat([utf8(a), Buffer.from(bad), utf8(b)]));
const hostile = hostileOf(HOSTILE);
/** SAML messages (wrapped base64) and OIDC's JSON parameters may hold tab, LF and CR. */
const MULTI_LINE = new Set(['SAMLResponse', 'SAMLRequest', 'claims', 'authorization_details']);
const hostileFor = (name: string) => (MULTI_LINE.has(name) ? hostileOf(HOSTILE.filter((b) => ![[0x09], [0x0a], [0x0d]].some((w) => w[0] === b[0] && b.length === 1))) : hostile);
/** Anything: printable or not, any Unicode, raw bytes. */
const anything = fc.oneof(fc.string({ unit: 'binary', maxLength: 64 }).map(utf8), fc.uint8Array({ maxLength: 64 }), hostile);
/** Parameter names: the real ones and arbitrary ones. */
const anyName = fc.oneof(fc.constantFrom('login', 'password', 'code', 'state', 'client_id', 'lang', 'x'), fc.string({ unit: 'binary', minLength: 1, maxLength: 12 }));

const pct = (bytes: Uint8Array): string => [...bytes].map((b) => `%${b.toString(16).padStart(2, '0')}`).join('');
type Fields = Record<string, string | Uint8Array>;
const encode = (fields: Fields): string =>
  Object.entries(fields).map(([k, v]) => `${pct(utf8(k))}=${typeof v === 'string' ? encodeURIComponent(v) : pct(v)}`).join('&');

// ---- requests -------------------------------------------------------------------------------

interface Answer { status: number; body: string; type: string }

async function send(url: string, init: { method?: string; body?: string; browser?: Browser; headers?: Record<string, string> } = {}): Promise<Answer> {
  const cookie = init.browser ? await init.browser.jar.getCookieString(url) : '';
  const res = await fetch(url, {
    method: init.method ?? (init.body !== undefined ? 'POST' : 'GET'),
    redirect: 'manual',
    headers: {
      accept: 'text/html', ...(cookie ? { cookie } : {}),
      ...(init.body !== undefined ? { 'content-type': 'application/x-www-form-urlencoded' } : {}), ...init.headers,
    },
    ...(init.body !== undefined ? { body: init.body } : {}),
  });
  return { status: res.status, body: await res.text(), type: res.headers.get('content-type') ?? '' };
}

/** What an answer must never show: a stack frame, a source path, a driver's message. */
const LEAK = /\n\s+at |node_modules|\.[jt]s:\d+|invalid byte sequence|ERR_[A-Z_]+|TypeError|ReferenceError/;

function sane(answer: Answer, label: string): void {
  expect(answer.status, `${label}: ${answer.body.slice(0, 300)}`).to.be.below(500);
  expect(answer.body, label).not.to.match(LEAK);
}

function refused(answer: Answer, label: string): void {
  sane(answer, label);
  expect(answer.status, `${label}: ${answer.body.slice(0, 300)}`).to.equal(400);
  if (answer.type.includes('json')) expect(JSON.parse(answer.body)).to.include({ error: 'invalid_request' });
  else expect(answer.body).to.include('Requête invalide');
}

const run = <T>(property: fc.IAsyncProperty<T>, numRuns = RUNS) => fc.assert(property, { seed: SEED, numRuns, endOnFailure: true });

/** Each field of a form in turn gets a hostile value, the others staying as given. */
const oneHostileField = (fields: Fields) => fc.constantFrom(...Object.keys(fields)).chain((name) => hostileFor(name).map((value) => [name, value] as const));
/** One field of the form, or an extra one, gets any value. */
const oneAnyField = (fields: Fields) => fc.tuple(fc.oneof(fc.constantFrom(...Object.keys(fields)), anyName), anything);

// ---- the hub --------------------------------------------------------------------------------

/** Everything a refused request must not have changed. */
async function snapshot(store: PlatformStore, signsInHonestly: string): Promise<string> {
  const lille = store.forTenant('lille');
  const accounts = (await lille.accounts.list({ limit: 1000 })).map((a) => ({
    id: a.id, login: a.login, email: a.email, status: a.status, passwordHash: a.passwordHash, activationCodeHash: a.activationCodeHash, termsVersion: a.termsVersion,
  }));
  const totp = await Promise.all(accounts.map(async (a) => (await lille.mfa.totpOf(a.id))?.confirmedAt?.toISOString() ?? null));
  const SUCCESS = /^(?:login\.success|account\.(?:activated|created)|password\.changed|mfa\.(?:enrolled|removed|recovery_code_used)|federation\.link)$/;
  const events = [...(await lille.audit.list({ limit: 5000 })), ...(await store.audit.list({ limit: 5000 }))]
    // The test's own honest sign-ins (consent, logout) are the only successes expected.
    .filter((e) => SUCCESS.test(e.type) && !(e.type === 'login.success' && e.accountId === signsInHonestly)).length;
  return JSON.stringify({ accounts, totp, events, count: await lille.accounts.count() });
}

const link = (page: Page, pattern: RegExp): string => {
  const href = [...page.body.matchAll(/<a href="([^"]+)"/g)].map((m) => m[1]!.replace(/&amp;/g, '&')).find((h) => pattern.test(h));
  if (!href) throw new Error(`no link ${pattern} in ${page.url} (${page.status})`);
  return new URL(href, page.url).href;
};

describe('input fuzzing: every form and endpoint, arbitrary strings (PostgreSQL)', function () {
  this.timeout(120_000);
  let db: TestDatabase;
  let hub: TestHub;
  let store: PlatformStore;
  let initial: string;
  let zoe: string;
  let activationCode: string;
  let totpSecret: string;

  /** A fresh login page of the portal, in a fresh browser. */
  async function loginPage(clientId = 'portal'): Promise<{ browser: Browser; page: Page }> {
    const browser = new Browser();
    const start = await startAuthorization(await discover(hub.url, clientId));
    return { browser, page: await browser.follow(start.url.href, REDIRECT) };
  }

  async function signedInTo(login: string): Promise<{ browser: Browser; page: Page }> {
    const { browser, page } = await loginPage();
    return { browser, page: await browser.follow(formAction(page, /\/login/), REDIRECT, { form: { login, password: PASSWORD } }) };
  }

  /** Both properties against one form whose page `open` reaches (a new one for each run). */
  async function fuzzForm(label: string, open: () => Promise<{ browser: Browser; action: string }>, good: Fields, bad: Fields = good): Promise<void> {
    const target = await open();
    await run(fc.asyncProperty(oneAnyField(bad), async ([name, value]) => {
      sane(await send(target.action, { browser: target.browser, body: encode({ ...bad, [name]: value }) }), `${label} ${name}`);
    }));
    await run(fc.asyncProperty(oneHostileField(good), async ([name, value]) => {
      refused(await send(target.action, { browser: target.browser, body: encode({ ...good, [name]: value }) }), `${label} ${name}`);
    }));
  }

  before(async () => {
    db = await createTestDatabase();
    hub = await startTestHub({ databaseUrl: db.url, config: { clients: testClients(), oidc: { resources: testResources }, auth: { throttle: THROTTLE } } });
    store = hub.hub.store;
    zoe = (await seedPeople(store)).pupilId;
    const lille = store.forTenant('lille');
    activationCode = generateActivationCode();
    await lille.accounts.create({ login: 'ines.fuzz', firstName: 'Inès', lastName: 'Fuzz', profile: 'Student', status: 'pending', source: 'local', activationCodeHash: hashActivationCode(activationCode) });
    const passwordHash = await hashPassword(PASSWORD);
    await lille.accounts.create({ login: 'paul.fuzz', firstName: 'Paul', lastName: 'Fuzz', profile: 'Teacher', status: 'active', source: 'local', passwordHash });
    await lille.accounts.create({ login: 'prof.fuzz', firstName: 'Prof', lastName: 'Fuzz', profile: 'Teacher', status: 'active', source: 'local', passwordHash });
    await lille.accounts.create({ login: 'lea.fuzz', firstName: 'Léa', lastName: 'Fuzz', profile: 'Teacher', status: 'active', source: 'local', passwordHash });
    // lea.fuzz enrols an authenticator app, through the pages.
    const enrol = await enrolmentPage('lea.fuzz');
    totpSecret = /<code class="secret">([^<]+)</.exec(enrol.page.body)![1]!.replace(/\s/g, '');
    const codes = await enrol.browser.follow(formAction(enrol.page, /\/enrol/), REDIRECT, { form: { code: await generate({ secret: totpSecret }) } });
    expect(codes.body).to.include('<li><code>');
    initial = await snapshot(store, zoe);
  });
  after(async () => {
    await hub?.stop();
    await db?.drop();
  });

  /** The enrolment page of `login`, from the login page's "security" link. */
  async function enrolmentPage(login: string): Promise<{ browser: Browser; page: Page }> {
    const { browser, page } = await loginPage();
    const manageLogin = await browser.request(link(page, /intent=manage/));
    const manage = await browser.follow(formAction(manageLogin, /\/login/), REDIRECT, { form: { login, password: PASSWORD, intent: 'manage' } });
    return { browser, page: await browser.follow(formAction(manage, /manage\/enrol/), REDIRECT, { form: {} }) };
  }

  describe('the hub’s forms', () => {
    it('login', async () => {
      await fuzzForm('login', async () => {
        const { browser, page } = await loginPage();
        return { browser, action: formAction(page, /\/login/) };
      }, { login: 'zoe.test', password: PASSWORD }, { login: 'zoe.test', password: 'not the password' });
    });

    it('activation', async () => {
      const open = async () => {
        const { browser, page } = await loginPage();
        const form = await browser.request(link(page, /\/activate/));
        return { browser, action: formAction(form, /\/activate/) };
      };
      const good = { login: 'ines.fuzz', code: activationCode, password: NEW_PASSWORD, password2: NEW_PASSWORD, terms: hub.config.auth.termsVersion, email: 'ines@example.org' };
      await fuzzForm('activation', open, good, { ...good, code: generateActivationCode() });
    });

    it('password change', async () => {
      const open = async () => {
        const { browser, page } = await loginPage();
        const form = await browser.request(link(page, /\/password/));
        return { browser, action: formAction(form, /\/password/) };
      };
      const good = { login: 'paul.fuzz', current: PASSWORD, password: NEW_PASSWORD, password2: NEW_PASSWORD };
      await fuzzForm('password change', open, good, { ...good, current: 'not the password' });
    });

    it('second factor: enrolment, verification, recovery code', async () => {
      await fuzzForm('enrolment', async () => {
        const { browser, page } = await enrolmentPage('prof.fuzz');
        return { browser, action: formAction(page, /\/enrol/) };
      }, { code: '000000' });
      // One sign-in for both forms: failed codes soon limit this account's sign-ins.
      const { browser, page } = await signedInTo('lea.fuzz');
      const recovery = formAction(await browser.request(link(page, /recovery=1/)), /recovery=1/);
      await fuzzForm('recovery', async () => ({ browser, action: recovery }), { recovery: 'abcd-efgh-ijkl' });
      await fuzzForm('verification', async () => ({ browser, action: formAction(page, /\/mfa/) }), { code: '000000' });
    });

    it('consent (allow and deny) and the query of every interaction page', async () => {
      const consent = async () => {
        const { browser, page } = await loginPage('spa');
        const next = await browser.follow(formAction(page, /\/login/), REDIRECT, { form: { login: 'zoe.test', password: PASSWORD } });
        return { browser, page: next };
      };
      const { browser, page } = await consent();
      const allow = formAction(page, /\/confirm/);
      const deny = formAction(page, /\/abort/);
      await run(fc.asyncProperty(fc.constantFrom(allow, deny), fc.constantFrom('x', 'lang', 'intent'), hostile, async (action, name, value) => {
        refused(await send(action, { browser, body: encode({ [name]: value }) }), `consent ${name}`);
        refused(await send(`${action.split('?')[0]}?${encode({ [name]: value })}`, { browser, body: '' }), `consent query ${name}`);
      }));
      const uid = /\/interaction\/([^/?]+)/.exec(allow)![1]!;
      const pages = ['', '/activate', '/password', '/mfa', '/enrol', '/manage', '/done', '/federation/staff', '/federation/back', '/federation/continue/t'];
      await run(fc.asyncProperty(fc.constantFrom(...pages), anyName, anything, async (path, name, value) => {
        sane(await send(`${hub.url}/interaction/${uid}${path}?${encode({ [name]: value })}`, { browser }), `interaction ${path} ${name}`);
      }));
      await run(fc.asyncProperty(fc.constantFrom(...pages), hostile, async (path, value) => {
        refused(await send(`${hub.url}/interaction/${uid}${path}?lang=${pct(value)}`, { browser }), `interaction ${path}`);
      }));
      await run(fc.asyncProperty(fc.constantFrom('/confirm', '/abort', '/continue', '/manage/remove', '/manage/enrol'), anyName, anything, async (path, name, value) => {
        sane(await send(`${hub.url}/interaction/${uid}${path}`, { browser, body: encode({ [name]: value }) }), `interaction ${path} ${name}`);
      }));
    });

    it('federation: account choice, SAML ACS, callbacks and logout', async () => {
      const { browser, page } = await loginPage();
      const uid = /\/interaction\/([^/?]+)/.exec(formAction(page, /\/login/))![1]!;
      const posts = [`/interaction/${uid}/federation/choose/ticket`, '/federation/lille-agents/acs', '/federation/unknown/acs'];
      await run(fc.asyncProperty(fc.constantFrom(...posts), oneHostileField({ account: '', SAMLResponse: '', RelayState: '' }), async (path, [name, value]) => {
        refused(await send(`${hub.url}${path}`, { browser, body: encode({ [name]: value }) }), `${path} ${name}`);
      }));
      await run(fc.asyncProperty(fc.constantFrom(...posts), anyName, anything, async (path, name, value) => {
        sane(await send(`${hub.url}${path}`, { browser, body: encode({ SAMLResponse: 'PHNhbWw+', [name]: value }) }), `${path} ${name}`);
      }));
      const gets = [`/interaction/${uid}/federation/start/lille-agents`, '/federation/lille-agents/metadata', '/federation/lille-agents/callback', '/federation/lille-agents/slo', '/federation/logout', '/demo', '/demo/login', '/demo/callback'];
      await run(fc.asyncProperty(fc.constantFrom(...gets), anyName, anything, async (path, name, value) => {
        sane(await send(`${hub.url}${path}?${encode({ [name]: value })}`, { browser }), `${path} ${name}`);
      }));
      await run(fc.asyncProperty(fc.constantFrom(...gets), oneHostileField({ code: '', state: '', SAMLRequest: '', RelayState: '', lang: '' }), async (path, [name, value]) => {
        refused(await send(`${hub.url}${path}?${encode({ [name]: value })}`, { browser }), `${path} ${name}`);
      }));
    });

    it('the paths themselves', async () => {
      await run(fc.asyncProperty(fc.constantFrom('/interaction/', '/federation/', '/auth/', '/demo/', '/'), hostile, async (prefix, segment) => {
        refused(await send(`${hub.url}${prefix}${pct(segment)}`), `path ${prefix}`);
      }));
    });
  });

  describe('oidc-provider’s endpoints', () => {
    const basic = { authorization: `Basic ${Buffer.from(`portal:${PORTAL_SECRET}`).toString('base64')}` };
    const authorization = () => ({
      client_id: 'portal', response_type: 'code', redirect_uri: REDIRECT, scope: 'openid profile', state: 'st', nonce: 'no',
      code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM', code_challenge_method: 'S256', login_hint: 'zoe.test', ui_locales: 'fr',
    });
    const endpoints: Array<{ path: string; method: 'GET' | 'POST'; fields: Fields; headers?: Record<string, string> }> = [
      { path: '/auth', method: 'GET', fields: authorization() },
      { path: '/auth', method: 'POST', fields: authorization() },
      { path: '/token', method: 'POST', fields: { grant_type: 'client_credentials', client_id: 'portal', client_secret: PORTAL_SECRET, scope: 'timetable.read', resource: 'https://api.neo.example/' } },
      { path: '/token', method: 'POST', fields: { grant_type: 'authorization_code', code: 'abc', redirect_uri: REDIRECT, code_verifier: 'v'.repeat(43) }, headers: basic },
      { path: '/token', method: 'POST', fields: { grant_type: 'refresh_token', refresh_token: 'abc' }, headers: basic },
      { path: '/token/introspection', method: 'POST', fields: { token: 'abc', token_type_hint: 'access_token' }, headers: basic },
      { path: '/token/revocation', method: 'POST', fields: { token: 'abc', token_type_hint: 'refresh_token' }, headers: basic },
      { path: '/me', method: 'GET', fields: { claims: '{}' }, headers: { authorization: 'Bearer abc' } },
      { path: '/me', method: 'POST', fields: { access_token: 'abc' } },
      { path: '/session/end', method: 'GET', fields: { client_id: 'portal', id_token_hint: 'a.b.c', post_logout_redirect_uri: 'https://rp.example/bye', state: 's', ui_locales: 'fr' } },
      { path: '/session/end', method: 'POST', fields: { client_id: 'portal', state: 's' } },
      { path: '/session/end/confirm', method: 'POST', fields: { xsrf: 'x', logout: 'yes' } },
      { path: '/request', method: 'POST', fields: { ...authorization(), client_secret: PORTAL_SECRET } },
      { path: '/jwks', method: 'GET', fields: { x: '1' } },
      { path: '/.well-known/openid-configuration', method: 'GET', fields: { x: '1' } },
    ];
    const call = (e: (typeof endpoints)[number], fields: Fields, accept: string) => {
      const headers = { accept, ...e.headers };
      return e.method === 'GET' ? send(`${hub.url}${e.path}?${encode(fields)}`, { headers }) : send(`${hub.url}${e.path}`, { body: encode(fields), headers });
    };

    it('the cases of the issue: a NUL in login, email or client_id is a 400, not a 500', async () => {
      const nul = Buffer.from('a\u0000b');
      const { browser, page } = await loginPage();
      refused(await send(formAction(page, /\/login/), { browser, body: encode({ login: nul, password: PASSWORD }) }), 'login');
      const activation = formAction(await browser.request(link(page, /\/activate/)), /\/activate/);
      const form = { login: 'ines.fuzz', code: activationCode, password: NEW_PASSWORD, password2: NEW_PASSWORD, terms: hub.config.auth.termsVersion, email: 'ines@example.org' };
      refused(await send(activation, { browser, body: encode({ ...form, login: nul }) }), 'activation login');
      refused(await send(activation, { browser, body: encode({ ...form, email: nul }) }), 'activation email');
      const change = formAction(await browser.request(link(page, /\/password/)), /\/password/);
      refused(await send(change, { browser, body: encode({ login: nul, current: PASSWORD, password: NEW_PASSWORD, password2: NEW_PASSWORD }) }), 'password change');
      for (const e of endpoints.filter((x) => 'client_id' in x.fields)) refused(await call(e, { ...e.fields, client_id: nul }, 'application/json'), `${e.method} ${e.path}`);
    });

    it('any value in any parameter, or any extra parameter: never a 5xx', async () => {
      await run(fc.asyncProperty(fc.constantFrom(...endpoints), fc.oneof(fc.nat().map(String), anyName), anything, async (e, pick, value) => {
        const names = Object.keys(e.fields);
        const name = /^\d+$/.test(pick) ? names[Number(pick) % names.length]! : pick;
        sane(await call(e, { ...e.fields, [name]: value }, '*/*'), `${e.method} ${e.path} ${name}`);
      }), 120);
    });

    it('a hostile value in any parameter: 400 invalid_request (JSON, or the page for a browser)', async () => {
      const endpointAndValue = fc.constantFrom(...endpoints).chain((e) => oneHostileField(e.fields).map(([name, value]) => ({ e, name, value })));
      await run(fc.asyncProperty(endpointAndValue, fc.constantFrom('application/json', '*/*', 'text/html'), async ({ e, name, value }, accept) => {
        refused(await call(e, { ...e.fields, [name]: value }, accept), `${e.method} ${e.path} ${name}`);
      }), 80);
    });

    it('any client id in HTTP Basic authentication: never a 5xx', async () => {
      await run(fc.asyncProperty(fc.constantFrom('/token', '/token/introspection', '/token/revocation'), anything, async (path, id) => {
        const credentials = Buffer.concat([Buffer.from(pct(id)), Buffer.from(`:${PORTAL_SECRET}`)]).toString('base64');
        sane(await send(`${hub.url}${path}`, { body: 'grant_type=client_credentials&token=abc', headers: { authorization: `Basic ${credentials}` } }), path);
        const raw = Buffer.concat([Buffer.from(id), Buffer.from(`:${PORTAL_SECRET}`)]).toString('base64');
        sane(await send(`${hub.url}${path}`, { body: 'grant_type=client_credentials&token=abc', headers: { authorization: `Basic ${raw}` } }), path);
      }));
    });

    it('the logout confirmation form of a real session', async () => {
      const browser = new Browser();
      await signIn(browser, await discover(hub.url, 'portal'), 'zoe.test', PASSWORD);
      const confirm = await browser.request(`${hub.url}/session/end`);
      expect(confirm.status).to.equal(200);
      const action = formAction(confirm, /\/session\/end\/confirm/);
      const good = { ...hiddenInputs(confirm), logout: 'yes' };
      await run(fc.asyncProperty(oneHostileField(good), async ([name, value]) => {
        refused(await send(action, { browser, body: encode({ ...good, [name]: value }) }), `logout ${name}`);
      }));
      await run(fc.asyncProperty(oneAnyField({ ...good, xsrf: 'wrong' }), async ([name, value]) => {
        sane(await send(action, { browser, body: encode({ ...good, xsrf: 'wrong', [name]: value }) }), `logout ${name}`);
      }));
    });
  });

  // Last: mocha runs a describe's own tests before its nested describes.
  describe('afterwards', () => {
    it('wrote nothing: accounts, second factors and success events as before', async () => {
      expect(await snapshot(store, zoe)).to.equal(initial);
    });
  });
});
