/**
 * The hub as a SAML IdP in Chromium, with a real SP not written here (Debian's pysaml2 as a web
 * server: testing/harness/pysaml2-sp-server.ts) and the web RP (OIDC) on the same hub session:
 * SP-initiated login and logout, IdP-initiated login from a portal link, and single logout in
 * both directions between the SAML SP and the OIDC RP.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { CLI_OPERATOR } from '../../src/identity/actor.js';
import { addServiceProvider } from '../../src/saml/idp/sp-service.js';
import { PASSWORD, seedPeople } from '../../testing/harness/fixtures.js';
import { writeSpMetadata } from '../../testing/harness/pysaml2-sp.js';
import { startPysaml2Sp, type Pysaml2SpServer } from '../../testing/harness/pysaml2-sp-server.js';
import {
  expectNoBrowserProblems, onHub, rpBye, rpResult, signInLocally, startHubWithRp, startLogin, useBrowser, visit, waitForUrl,
  type HubWithRp, type Page,
} from './harness.js';

const PERSISTENT = 'urn:oasis:names:tc:SAML:2.0:nameid-format:persistent';
/** An SP that never answers: nothing listens on the discard port. */
const DEAD_SP = 'http://127.0.0.1:9/dead';

interface WhoAmI {
  name_id?: string;
  name_id_format?: string;
  attributes?: Record<string, string[]>;
  relay_state?: string | null;
  error?: string;
}

describe('browser: the hub as a SAML IdP for a pysaml2 SP, beside an OIDC RP', function () {
  this.timeout(90_000);
  const browser = useBrowser();
  let env: HubWithRp;
  let sp: Pysaml2SpServer;
  let deadDir: string;

  before(async function () {
    this.timeout(60_000);
    [env, sp] = await Promise.all([startHubWithRp(), startPysaml2Sp({ name: 'Ressource partenaire' })]);
    await seedPeople(env.hub.hub.store);
    await addServiceProvider({ store: env.hub.hub.store, production: false }, CLI_OPERATOR, { owner: null, from: { file: sp.metadataFile }, releasePolicy: 'generic' });
    await sp.useIdp(await (await fetch(`${env.hub.url}/saml/metadata`)).text());
    deadDir = mkdtempSync(join(tmpdir(), 'dead-sp-'));
    const dead = await writeSpMetadata(deadDir, 'dead.xml', { base: DEAD_SP });
    await addServiceProvider({ store: env.hub.hub.store, production: false }, CLI_OPERATOR, { owner: null, from: { file: dead }, releasePolicy: 'generic' });
  });
  after(async () => {
    await sp?.stop();
    await env?.stop();
    if (deadDir) rmSync(deadDir, { recursive: true, force: true });
  });

  async function whoami(page: Page): Promise<WhoAmI> {
    const res = await page.request.get(`${sp.base}/whoami`);
    return (await res.json()) as WhoAmI;
  }

  /** The SP's /login, the hub's login page, then back on the SP signed in. */
  async function spLogin(page: Page, binding: 'redirect' | 'post', snapName?: string): Promise<WhoAmI> {
    await page.goto(`${sp.base}/login?binding=${binding}&relay=from-sp`);
    if (binding === 'post') await page.locator('form button, form input[type="submit"]').first().click().catch(() => undefined);
    await onHub(page, env.hub, /\/interaction\/saml-/);
    if (snapName) await visit(page, snapName, 'login');
    await signInLocally(page, 'zoe.test', PASSWORD);
    await waitForUrl(page, (url) => url.href.startsWith(`${sp.base}/whoami`), "the SP's /whoami");
    expectNoBrowserProblems(page);
    return whoami(page);
  }

  it('SP-initiated on HTTP-Redirect: the hub’s login page, then the SP has the pairwise id and the generic attributes', async () => {
    const { page } = browser;
    const me = await spLogin(page, 'redirect', 'saml-idp-login');
    expect(me.name_id_format).to.equal(PERSISTENT);
    expect(me.attributes).to.deep.include({ profile: ['National_1'], uai: ['0590121L'], classes: ['0590121L$4B'] });
    expect(me.relay_state).to.equal('from-sp');
  });

  it('SP-initiated on HTTP-POST, then logout from the SP: the hub session ends (the RP asks for the password again)', async () => {
    const { page } = browser;
    const first = await spLogin(page, 'post');
    // The hub session serves the RP without a login page.
    await page.goto(env.rp.loginUrl());
    expect((await rpResult(page, env.rp)).claims).to.have.property('sub');
    await page.goto(`${sp.base}/logout?binding=redirect`);
    await waitForUrl(page, (url) => url.href.startsWith(sp.base) && !url.pathname.startsWith('/logout'), 'the SP after its logout');
    expect((await whoami(page)).error).to.be.a('string');
    const events = await sp.events();
    expect(events.map((e) => e.kind)).to.include('logout_response_received');
    expect(first.name_id).to.be.a('string');
    await startLogin(page, env.rp);
    await onHub(page, env.hub, /\/interaction\//);
    expect(await page.locator('form[action*="/login"] input[name="password"]').isVisible()).to.equal(true);
  });

  it('IdP-initiated from a portal link with the hub session: the SP is signed in with the RelayState', async () => {
    const { page } = browser;
    await startLogin(page, env.rp);
    await signInLocally(page, 'zoe.test', PASSWORD);
    await rpResult(page, env.rp);
    await page.goto(`${env.hub.url}/saml/sso/${encodeURIComponent(sp.entityId)}?RelayState=${encodeURIComponent('https://ressource.example/manuel?p=3')}`);
    await waitForUrl(page, (url) => url.href.startsWith(`${sp.base}/whoami`), "the SP's /whoami");
    const me = await whoami(page);
    expect(me.name_id_format).to.equal(PERSISTENT);
    expect(me.relay_state).to.equal('https://ressource.example/manuel?p=3');
  });

  it('an OIDC logout at the RP ends the SAML SP’s session too (the logout page tells it in a frame), then lands on the RP', async () => {
    const { page } = browser;
    await spLogin(page, 'redirect');
    await page.goto(env.rp.loginUrl());
    await rpResult(page, env.rp);
    const before = (await sp.events()).length;
    await page.goto(env.rp.logoutUrl(true));
    await onHub(page, env.hub, /\/session\/end/);
    await Promise.all([page.waitForEvent('framenavigated'), page.locator('button[type="submit"][name="logout"][value="yes"]').click()]);
    const bye = await rpBye(page, env.rp);
    expect(bye.state).to.equal(bye.expected);
    const events = (await sp.events()).slice(before);
    expect(events.map((e) => e.kind)).to.include('logout_request_received');
    expect((await whoami(page)).error).to.be.a('string');
  });

  it('an SP that does not answer does not keep the user: the logout page moves on after its timeout, the other SP is signed out, the audit names the silent one', async () => {
    const { page } = browser;
    await spLogin(page, 'redirect');
    // The hub answers the dead SP too (its ACS does not answer: the browser shows an error page).
    await Promise.all([
      page.waitForRequest((request) => request.url() === `${DEAD_SP}/acs/post`),
      page.goto(`${env.hub.url}/saml/sso/${encodeURIComponent(`${DEAD_SP}/metadata`)}`).catch(() => undefined),
    ]);
    await page.goto(env.rp.loginUrl());
    await rpResult(page, env.rp);
    const started = Date.now();
    await page.goto(env.rp.logoutUrl(true));
    await onHub(page, env.hub, /\/session\/end/);
    await Promise.all([page.waitForEvent('framenavigated'), page.locator('button[type="submit"][name="logout"][value="yes"]').click()]);
    await rpBye(page, env.rp);
    expect(Date.now() - started, 'the page gave up on the silent SP within its timeout').to.be.below(15_000);
    expect((await whoami(page)).error).to.be.a('string');
    const logout = (await env.hub.hub.store.forTenant('lille').audit.list({ limit: 50 })).find((e) => e.type === 'saml.logout' && e.details.initiator === 'hub');
    expect(logout!.details.unanswered).to.include(`${DEAD_SP}/metadata`);
  });
});
