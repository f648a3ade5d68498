/** Bad requests and faults: each gets a clear answer with the right status, never internals. */
import { expect } from 'chai';
import * as oidc from 'openid-client';
import { Browser, formAction } from '../../testing/harness/browser.js';
import { PASSWORD, REDIRECT, seedPeople, testClients, testResources } from '../../testing/harness/fixtures.js';
import { startTestHub, type TestHub } from '../../testing/harness/hub.js';
import { discover, exchange, signIn, startAuthorization } from '../../testing/harness/rp.js';

const noInternals = (body: string) => {
  expect(body).not.to.match(/\n\s+at |node_modules|SQLITE|ECONNREFUSED|TypeError/);
};

describe('OIDC negative paths', function () {
  let hub: TestHub;
  let portal: oidc.Configuration;
  let spa: oidc.Configuration;

  before(async () => {
    hub = await startTestHub({ config: { clients: testClients(), oidc: { resources: testResources } } });
    await seedPeople(hub.hub.store);
    portal = await discover(hub.url, 'portal');
    spa = await discover(hub.url, 'spa');
  });
  after(() => hub?.stop());

  it('refuses a redirect_uri that is not registered exactly, without redirecting', async () => {
    const { url } = await startAuthorization(portal);
    url.searchParams.set('redirect_uri', `${REDIRECT}/../evil`);
    const page = await new Browser().request(url.href);
    expect(page.status).to.equal(400);
    expect(page.location).to.equal(null);
    expect(page.body).to.include('redirect_uri');
    noInternals(page.body);
  });

  it('refuses a public client that does not use PKCE', async () => {
    const { url } = await startAuthorization(spa);
    url.searchParams.delete('code_challenge');
    url.searchParams.delete('code_challenge_method');
    const page = await new Browser().request(url.href);
    expect(page.status).to.equal(303);
    const back = new URL(page.location!);
    expect(back.origin + back.pathname).to.equal(REDIRECT);
    expect(back.searchParams.get('error')).to.equal('invalid_request');
    expect(back.searchParams.get('error_description')).to.match(/PKCE/);
  });

  it('refuses a reused authorization code and revokes the tokens it gave', async () => {
    const auth = await signIn(new Browser(), portal, 'zoe.test', PASSWORD);
    const first = await exchange(portal, auth);
    const second = await exchange(portal, auth).catch((e: unknown) => e);
    expect(second).to.be.instanceOf(oidc.ResponseBodyError).and.have.property('error', 'invalid_grant');
    expect((await oidc.tokenIntrospection(portal, first.access_token)).active).to.equal(false);
  });

  it('refuses a wrong client secret with 401 invalid_client', async () => {
    const res = await fetch(`${hub.url}/token`, {
      method: 'POST',
      headers: { authorization: `Basic ${Buffer.from('portal:wrong-secret').toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' },
      body: 'grant_type=client_credentials&resource=https%3A%2F%2Fapi.neo.example%2F&scope=timetable.read',
    });
    expect(res.status).to.equal(401);
    expect(await res.json()).to.include({ error: 'invalid_client' });
  });

  it('shows a clear page for an unknown client', async () => {
    const page = await new Browser().request(`${hub.url}/auth?client_id=nobody&response_type=code&scope=openid&redirect_uri=${encodeURIComponent(REDIRECT)}`);
    expect(page.status).to.equal(400);
    expect(page.body).to.include('Application inconnue');
    noInternals(page.body);
  });

  it('shows an "expired" page for an unknown or foreign interaction', async () => {
    const page = await new Browser().request(`${hub.url}/interaction/does-not-exist`);
    expect(page.status).to.equal(400);
    expect(page.body).to.include('expiré');
    const json = await fetch(`${hub.url}/interaction/does-not-exist/login`, { method: 'POST', headers: { accept: 'application/json' }, body: new URLSearchParams({ login: 'a', password: 'b' }) });
    expect(json.status).to.equal(400);
    expect(await json.json()).to.include({ error: 'expired_interaction' });
  });

  it('answers an unknown login and a wrong password alike, and audits both', async () => {
    const tries = [['nobody.here', PASSWORD], ['zoe.test', 'wrong password'], ['off.test', PASSWORD]] as const;
    const answers = [];
    for (const [login, password] of tries) {
      const browser = new Browser();
      const loginPage = await browser.follow((await startAuthorization(portal)).url.href, REDIRECT);
      const page = await browser.request(formAction(loginPage, /\/login/), { form: { login, password } });
      answers.push({ status: page.status, body: page.body.replace(/\/interaction\/[^/"]+/g, '/interaction/UID').replace(/value="[^"]*" autocomplete="username"/, '').replace(/<code>[^<]+<\/code>/, '') });
    }
    expect(answers[0]!.status).to.equal(401);
    expect(answers[0]).to.deep.equal(answers[1]);
    expect(answers[1]).to.deep.equal(answers[2]);
    expect(answers[0]!.body).to.include('Identifiant ou mot de passe incorrect');
    const platformEvents = await hub.hub.store.audit.list();
    expect(platformEvents.some((e) => e.type === 'login.failure' && e.details.reason === 'unknown_login')).to.equal(true);
    const tenantEvents = await hub.hub.store.forTenant('lille').audit.list();
    expect(tenantEvents.map((e) => e.details.reason)).to.include.members(['wrong_password', 'account_disabled']);
  });

  it('asks again for missing fields with 400', async () => {
    const browser = new Browser();
    const loginPage = await browser.follow((await startAuthorization(portal)).url.href, REDIRECT);
    const page = await browser.request(formAction(loginPage, /\/login/), { form: { login: 'zoe.test', password: '' } });
    expect(page.status).to.equal(400);
    expect(page.body).to.include('role="alert"');
  });

  it('refuses an oversized form with 413 and no internals', async () => {
    const browser = new Browser();
    const loginPage = await browser.follow((await startAuthorization(portal)).url.href, REDIRECT);
    const page = await browser.request(formAction(loginPage, /\/login/), { form: { login: 'x'.repeat(100_000), password: 'y' } });
    expect(page.status).to.equal(413);
    noInternals(page.body);
  });

  it('returns access_denied to the client when the user refuses consent', async () => {
    const browser = new Browser();
    const loginPage = await browser.follow((await startAuthorization(spa)).url.href, REDIRECT);
    const consent = await browser.follow(formAction(loginPage, /\/login/), REDIRECT, { form: { login: 'zoe.test', password: PASSWORD } });
    expect(consent.body).to.include('/abort');
    const denied = await browser.follow(formAction(consent, /\/abort/), REDIRECT, { form: {} });
    expect(new URL(denied.location!).searchParams.get('error')).to.equal('access_denied');
  });

  it('serves pages in English on request and sends a strict CSP', async () => {
    const { url } = await startAuthorization(portal, { ui_locales: 'en' });
    const page = await new Browser().follow(url.href, REDIRECT);
    expect(page.body).to.include('lang="en"');
    const csp = page.headers.get('content-security-policy') ?? '';
    expect(csp).to.include("default-src 'none'").and.include("script-src 'self'").and.not.include('unsafe-inline');
    expect(page.body).not.to.include('<script');
  });

  it('answers 404 for an unknown path with a page, not a stack', async () => {
    const page = await new Browser().request(`${hub.url}/nothing-here`);
    expect(page.status).to.equal(404);
    noInternals(page.body);
  });
});

describe('interaction expiry', function () {
  let hub: TestHub;
  before(async () => {
    hub = await startTestHub({ redis: 'memory', config: { clients: testClients(), oidc: { resources: testResources, ttl: { interaction: 1 } } } });
    await seedPeople(hub.hub.store);
  });
  after(() => hub?.stop());

  it('refuses a login posted after the interaction expired', async () => {
    const portal = await discover(hub.url, 'portal');
    const browser = new Browser();
    const loginPage = await browser.follow((await startAuthorization(portal)).url.href, REDIRECT);
    await new Promise((r) => setTimeout(r, 1500));
    const page = await browser.request(formAction(loginPage, /\/login/), { form: { login: 'zoe.test', password: PASSWORD } });
    expect(page.status).to.equal(400);
    expect(page.body).to.include('expiré');
  });
});
