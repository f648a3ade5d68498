/**
 * `npm run educonnect:local` (scripts/educonnect-local.ts) as a developer uses it: a hub whose
 * ÉduConnect connector reads files that do not exist yet (as config/default.yaml does), then the
 * stand-in started as a child process, which writes them and gives the hub's SP metadata to its
 * IdP; the demo pupil then signs in through its login form, over HTTP. And the demo accounts'
 * external ids, which make that login find them.
 */
import { expect } from 'chai';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type * as oidc from 'openid-client';
import { PROJECT_ROOT } from '../../src/config/load.js';
import { loadTenants } from '../../src/config/tenants.js';
import { DEMO_PASSWORD, demoFamilies, seedDemo } from '../../src/dev/demo-seed.js';
import { freePort } from '../../testing/net.js';
import { createLogger } from '../../src/shared/logger.js';
import { REDIRECT, testClients, testResources } from '../../testing/harness/fixtures.js';
import { startTestHub, type TestHub } from '../../testing/harness/hub.js';
import { discover, exchange } from '../../testing/harness/rp.js';
import { lastAudit, openLoginPage, postForm, postToAcs, linkHref } from './helpers.js';

const SCRIPT = join(PROJECT_ROOT, 'scripts/educonnect-local.ts');
const EDUCONNECT = /\/federation\/start\/educonnect\?/;

describe('the demo accounts carry the external ids the importer would write', () => {
  it('<prefix of the tenant\'s source>-<AAF id>, for every demo pupil and parent', () => {
    const tenants = loadTenants(join(PROJECT_ROOT, 'tenants'));
    for (const person of demoFamilies()) {
      const tenant = tenants.find((t) => t.id === person.tenantId)!;
      const prefixes = tenant.directorySources.map((s) => s.externalIdPrefix ?? s.id.replace(/^AC-/, ''));
      expect(prefixes.map((p) => `${p}-${person.aafId}`), person.login).to.include(person.externalId);
    }
  });

  it('gives a demo account seeded without one its external id, and leaves the rest alone', async function () {
    this.timeout(20_000);
    const hub = await startTestHub({ redis: 'memory', config: { demo: { seed: true } } });
    try {
      const { store } = hub.hub;
      const lea = (await store.accounts.findByLogin('lea.martin'))!;
      const paul = (await store.accounts.findByLogin('paul.durand'))!;
      expect(lea.externalId).to.equal('LILLE-5900001');
      const lille = store.forTenant('lille');
      await lille.accounts.update(lea.id, { externalId: null });
      await lille.accounts.update(paul.id, { externalId: 'LILLE-777' });
      const before = await lille.accounts.count();
      await seedDemo(store, createLogger('silent'));
      expect((await lille.accounts.get(lea.id)).externalId).to.equal('LILLE-5900001');
      expect((await lille.accounts.get(paul.id)).externalId).to.equal('LILLE-777');
      expect(await lille.accounts.count()).to.equal(before);
    } finally {
      await hub.stop();
    }
  });
});

describe('npm run educonnect:local', function () {
  this.timeout(90_000);
  let dir: string;
  let hub: TestHub;
  let portal: oidc.Configuration;
  let idpPort: number;
  let child: ChildProcess;
  let stdout = '';
  let stderr = '';

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'educonnect-local-'));
    const file = (name: string) => join(dir, name);
    hub = await startTestHub({
      config: {
        clients: testClients(),
        oidc: { resources: testResources },
        demo: { seed: true },
        federation: {
          retrySeconds: 1,
          connectors: [{
            id: 'educonnect', type: 'saml', displayName: 'ÉduConnect', enabled: true,
            saml: {
              idpMetadata: { file: file('idp-metadata.xml') },
              signing: { keyFile: file('sp-signing.key'), certFile: file('sp-signing.crt') },
              encryption: { keyFile: file('sp-encryption.key'), certFile: file('sp-encryption.crt') },
            },
          }],
        },
      },
    });
    portal = await discover(hub.url, 'portal');
    idpPort = await freePort();
    const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !/^(EDUCONNECT_LOCAL_|HUB_ISSUER$|PORT$)/.test(name)));
    child = spawn(process.execPath, ['--import', 'tsx', SCRIPT, '--hub', hub.url, '--port', String(idpPort), '--dir', dir], { cwd: PROJECT_ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    process.once('exit', () => child.kill('SIGKILL'));
    child.stdout!.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`the stand-in did not get ready: ${stdout}\n${stderr}`)), 60_000);
      const check = () => {
        if (!stdout.includes('Ctrl-C stops the stand-in.')) return;
        clearTimeout(timer);
        resolve();
      };
      child.stdout!.on('data', check);
      child.once('exit', (code) => { clearTimeout(timer); reject(new Error(`the stand-in exited ${code}: ${stdout}\n${stderr}`)); });
    });
  });
  after(async () => {
    if (child && child.exitCode === null) child.kill('SIGKILL');
    await hub?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('prints which accounts and password to use at the stand-in', () => {
    expect(stdout).to.include(`${hub.url}/demo`).and.include('lea.martin').and.include('sophie.martin').and.include(DEMO_PASSWORD);
  });

  it('signs the demo pupil in: the hub\'s button, the stand-in\'s login form, back to the RP as lea.martin', async () => {
    // The hub opens the connector at its next retry once the files are there.
    let s = await openLoginPage(portal);
    for (const deadline = Date.now() + 5_000; !EDUCONNECT.test(s.loginPage.body) && Date.now() < deadline;) {
      await new Promise((r) => setTimeout(r, 200));
      s = await openLoginPage(portal);
    }
    const start = await s.browser.request(linkHref(s.loginPage, EDUCONNECT));
    expect(start.status, start.body).to.equal(302);
    expect(start.location).to.match(new RegExp(`^http://127\\.0\\.0\\.1:${idpPort}/sso\\?SAMLRequest=`));
    const form = await s.browser.request(start.location!);
    expect(form.status, form.body).to.equal(200);
    expect(form.body).to.include('name="username"').and.include('name="password"');
    const key = /name="key" value="([^"]+)"/.exec(form.body)![1]!;
    const login = `http://127.0.0.1:${idpPort}/login`;

    const wrong = await s.browser.request(login, { form: { key, username: 'lea.martin', password: 'not-the-password' } });
    expect(wrong.status).to.equal(401);
    const answered = await s.browser.request(login, { form: { key, username: 'lea.martin', password: DEMO_PASSWORD } });
    expect(answered.status, answered.body).to.equal(200);
    const page = await postToAcs(s, postForm(answered));
    expect(page.location, page.body.slice(0, 400)).to.match(new RegExp(`^${REDIRECT}`));
    const tokens = await exchange(portal, { callback: new URL(page.location!), verifier: s.auth.verifier, state: s.auth.state, nonce: s.auth.nonce });
    const lea = (await hub.hub.store.accounts.findByLogin('lea.martin'))!;
    expect(tokens.claims()!.sub).to.equal(lea.id);
    expect(await lastAudit(hub.hub.store, 'lille', 'federation.link')).to.include({ connector: 'educonnect', subject: 'demo-lea.martin', via: 'externalId' });
  });

  it('stops cleanly on Ctrl-C (SIGINT), the stand-in with it', async () => {
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    child.kill('SIGINT');
    expect(await exited).to.equal(0);
    const answer = await fetch(`http://127.0.0.1:${idpPort}/health`).then(() => 'answered', () => 'closed');
    expect(answer).to.equal('closed');
  });
});
