/**
 * PostgreSQL stopped while the hub runs (a throwaway cluster this test controls): every route
 * family answers 503, never 500 (the login page in French, the RP's endpoints
 * `temporarily_unavailable`, the SAML IdP a page, the admin API a problem), /readyz says the
 * database is away while /healthz stays 200; the process does not crash, and logins under way
 * go on once the server is back, without restarting the hub. SQLite locked by another writer past
 * busy_timeout answers 503 as well.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import BetterSqlite3 from 'better-sqlite3';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { sql } from 'kysely';
import { CLI_OPERATOR } from '../../src/identity/actor.js';
import { ServiceUnavailable } from '../../src/shared/errors.js';
import { openSqlStore } from '../../src/storage/sql/database.js';
import { addServiceProvider } from '../../src/saml/idp/sp-service.js';
import { Browser, formAction } from '../../testing/harness/browser.js';
import { PASSWORD, PORTAL_SECRET, REDIRECT, seedPeople, testClients, testResources } from '../../testing/harness/fixtures.js';
import { startTestHub, type TestHub } from '../../testing/harness/hub.js';
import { startLoginLoop } from '../../testing/harness/login-loop.js';
import { startPostgresCluster, type PostgresCluster } from '../../testing/harness/postgres.js';
import { pysaml2SpMessage, writeSpMetadata } from '../../testing/harness/pysaml2-sp.js';
import { discover, exchange, signIn, startAuthorization } from '../../testing/harness/rp.js';
import { api, grantTo, scriptClient } from '../admin/kit.js';

const SP_BASE = 'http://127.0.0.1:9/sp';

async function until(check: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 100));
  }
}

const ready = async (hub: TestHub) => (await fetch(`${hub.url}/readyz`)).status === 200;

describe('PostgreSQL away at run time', function () {
  this.timeout(90_000);
  let cluster: PostgresCluster;
  let hub: TestHub;
  let dir: string;

  before(async () => {
    cluster = await startPostgresCluster();
    hub = await startTestHub({ databaseUrl: cluster.url, config: { clients: testClients(), oidc: { resources: testResources } } });
    await seedPeople(hub.hub.store);
    dir = mkdtempSync(join(tmpdir(), 'hub-db-outage-'));
    const spFile = await writeSpMetadata(dir, 'sp.xml', { base: SP_BASE });
    await addServiceProvider({ store: hub.hub.store, production: false }, CLI_OPERATOR, { owner: null, from: { file: spFile }, releasePolicy: 'generic' });
  });
  // A failed check leaves the server stopped: the next test starts from a running one.
  afterEach(async () => {
    await cluster.start().catch(() => undefined);
  });
  after(async () => {
    await hub?.stop();
    cluster?.remove();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('answers 503 on every route family while it is down, never 500, then serves again', async () => {
    const portal = await discover(hub.url, 'portal');
    const tokens = await exchange(portal, await signIn(new Browser(), portal, 'zoe.test', PASSWORD));
    const script = await scriptClient(hub, 'ops-script');
    await grantTo(hub, 'ops-script', 'platform-admin', null);
    const browser = new Browser();
    const loginPage = await browser.follow((await startAuthorization(portal)).url.href, REDIRECT);
    const sso = await pysaml2SpMessage({ dir, file: 'sp.xml', base: SP_BASE, message: 'authn', binding: 'redirect', destination: `${hub.url}/saml/sso` });
    if (sso.binding !== 'redirect') throw new Error('redirect expected');

    await cluster.stop();

    // The person who posts the password is told in French.
    const login = await browser.request(formAction(loginPage, /\/login/), { form: { login: 'zoe.test', password: PASSWORD } });
    expect(login.status, login.body).to.equal(503);
    expect(login.body).to.match(/lang="fr"[\s\S]*indisponible/);
    expect(login.body).not.to.match(/ECONN|Connection terminated|\n\s+at /);

    // The RP's back end: token and userinfo endpoints.
    const refresh = await fetch(`${hub.url}/token`, {
      method: 'POST',
      headers: { authorization: `Basic ${Buffer.from(`portal:${PORTAL_SECRET}`).toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: tokens.refresh_token! }),
    });
    expect(refresh.status).to.equal(503);
    expect(await refresh.json()).to.include({ error: 'temporarily_unavailable' });
    const userinfo = await fetch(portal.serverMetadata().userinfo_endpoint!, { headers: { authorization: `Bearer ${tokens.access_token}` } });
    expect(userinfo.status).to.equal(503);
    expect(userinfo.headers.get('www-authenticate') ?? JSON.stringify(await userinfo.json())).to.include('temporarily_unavailable');

    // The SAML IdP's SSO, for the browser an SP sent.
    const saml = await new Browser().request(`${hub.url}/saml/sso?${sso.rawQuery}`, { crossSite: true });
    expect(saml.status, saml.body.slice(0, 300)).to.equal(503);
    expect(saml.body).to.include('indisponible');

    // The admin API, as a problem.
    const me = await api(hub, script.token, 'GET', '/me');
    expect(me.status, me.text).to.equal(503);
    expect(me.type).to.include('application/problem+json');
    expect(me.body).to.include({ status: 503 });

    const readiness = await fetch(`${hub.url}/readyz`);
    expect(readiness.status).to.equal(503);
    expect(await readiness.json()).to.deep.include({ checks: { database: 'unavailable', redis: 'ok' } });
    expect((await fetch(`${hub.url}/healthz`)).status).to.equal(200);

    await cluster.start();
    await until(() => ready(hub), 15_000);
    expect((await api(hub, script.token, 'GET', '/me')).status).to.equal(200);
    const again = await exchange(portal, await signIn(new Browser(), portal, 'zoe.test', PASSWORD));
    expect(again.access_token).to.be.a('string');
  });

  for (const fault of ['stopped for a while', 'restarted (pg_ctl restart -m fast)'] as const) {
    it(`logins go on after it is ${fault}, without a 500 nor a crash`, async () => {
      const portal = await discover(hub.url, 'portal');
      const loop = startLoginLoop(hub.url, portal, 'zoe.test', PASSWORD);
      await loop.completions(2, 15_000);
      if (fault === 'stopped for a while') {
        await cluster.stop();
        await new Promise((r) => setTimeout(r, 1_500));
        await cluster.start();
      } else {
        await cluster.restart();
      }
      const back = Date.now();
      await loop.completions(3, 20_000);
      const report = await loop.stop();
      expect(report.failures).to.deep.equal([]);
      expect(report.statuses).not.to.have.property('500');
      if (fault === 'stopped for a while') expect(report.unavailable, JSON.stringify(report)).to.be.greaterThan(0);
      expect(report.completedAt.filter((t) => t > back)).to.have.length.of.at.least(3);
      expect(await ready(hub)).to.equal(true);
    });
  }
  it('a transaction open when it restarts fails as unavailable; the process lives on and the store reconnects', async () => {
    const store = await openSqlStore(cluster.url, { migrate: false });
    try {
      const failure = await store.db.transaction().execute(async (trx) => {
        await sql`select 1`.execute(trx);
        // Between two statements the connection is checked out and idle: the server's goodbye
        // arrives as an 'error' event of that client, which would crash the process unheard.
        await cluster.restart();
        await new Promise((r) => setTimeout(r, 200));
        await sql`select 1`.execute(trx);
      }).then(() => null, (err: unknown) => err);
      expect(failure).to.be.instanceOf(ServiceUnavailable);
      await store.ping();
    } finally {
      await store.close();
    }
  });
});

describe('SQLite locked by another writer', function () {
  this.timeout(60_000);
  let hub: TestHub;
  let dir: string;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'hub-sqlite-lock-'));
    hub = await startTestHub({ databaseUrl: `sqlite:${join(dir, 'hub.sqlite')}`, config: { clients: testClients(), oidc: { resources: testResources } } });
    await seedPeople(hub.hub.store);
  });
  after(async () => {
    await hub?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('a login that must write answers 503 once the lock outlasts busy_timeout, and succeeds once it is released', async () => {
    const portal = await discover(hub.url, 'portal');
    const browser = new Browser();
    const loginPage = await browser.follow((await startAuthorization(portal)).url.href, REDIRECT);
    const other = new BetterSqlite3(join(dir, 'hub.sqlite'));
    try {
      other.exec('begin exclusive');
      const login = await browser.request(formAction(loginPage, /\/login/), { form: { login: 'zoe.test', password: PASSWORD } });
      expect(login.status, login.body.slice(0, 300)).to.equal(503);
      expect(login.body).to.match(/lang="fr"[\s\S]*indisponible/);
      expect((await fetch(`${hub.url}/healthz`)).status).to.equal(200);
    } finally {
      other.close();
    }
    const again = await browser.follow(formAction(loginPage, /\/login/), REDIRECT, { form: { login: 'zoe.test', password: PASSWORD } });
    expect(again.location, again.body.slice(0, 300)).to.match(new RegExp(`^${REDIRECT}\\?code=`));
  });
});
