/**
 * A connector whose IdP metadata file is not there yet (the metadata exchange is being
 * bootstrapped): the hub starts, the login page says ÉduConnect is unavailable, our SP metadata
 * is still published, and once the file appears the next retry opens the connector, without a
 * restart. Only a missing file or an unreachable metadata URL does that: any other configuration
 * error still stops the start.
 */
import { expect } from 'chai';
import { copyFileSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type * as oidc from 'openid-client';
import { freePort } from '../../testing/net.js';
import type { Account } from '../../src/storage/ports/index.js';
import { Browser } from '../../testing/harness/browser.js';
import { REDIRECT, testClients, testResources } from '../../testing/harness/fixtures.js';
import { startTestHub, type TestHub } from '../../testing/harness/hub.js';
import { makeKeyPair, preparePysaml2Idp, type KeyFiles, type Pysaml2Idp } from '../../testing/harness/pysaml2.js';
import { discover, exchange, startAuthorization } from '../../testing/harness/rp.js';
import { OID, openLoginPage, postToAcs, tenantsWith, toIdpForm } from './helpers.js';

const EDUCONNECT = /\/federation\/start\/educonnect\?/;
const NOTICE_FR = 'ÉduConnect est momentanément indisponible. Réessayez dans quelques minutes.';
const DISABLED_BUTTON = /<button type="button" class="[^"]*federation-choice[^"]*" disabled[^>]*>Élève ou parent — ÉduConnect<\/button>/;

type LogLine = { level: number; msg: string; connector?: string };

/** A test hub whose log lines are kept. */
async function startLoggedHub(federation: Record<string, unknown>): Promise<TestHub & { lines: LogLine[] }> {
  const lines: LogLine[] = [];
  const logDestination = { write: (line: string) => void lines.push(JSON.parse(line) as LogLine) };
  const hub = await startTestHub({ config: { log: { level: 'info' }, clients: testClients(), oidc: { resources: testResources }, federation }, logDestination });
  return { ...hub, lines };
}

const saml = (metadataFile: string, keys: { signing: KeyFiles; encryption: KeyFiles }) => ({ idpMetadata: { file: metadataFile }, ...keys });

describe('a connector whose IdP metadata is not there yet', function () {
  this.timeout(60_000);
  let idp: Pysaml2Idp;
  let dir: string;
  let metadataFile: string;
  let hub: Awaited<ReturnType<typeof startLoggedHub>>;
  let portal: oidc.Configuration;
  let pupil: Account;
  const linesAbout = (pattern: RegExp) => hub.lines.filter((l) => l.connector === 'educonnect' && pattern.test(l.msg));

  before(async () => {
    idp = await preparePysaml2Idp();
    dir = mkdtempSync(join(tmpdir(), 'unavailable-'));
    metadataFile = join(dir, 'idp-metadata.xml');
    const [signing, encryption] = await Promise.all([makeKeyPair(dir, 'sp-sign'), makeKeyPair(dir, 'sp-enc')]);
    hub = await startLoggedHub({
      retrySeconds: 1,
      connectors: [{ id: 'educonnect', type: 'saml', displayName: 'ÉduConnect', enabled: true, saml: saml(metadataFile, { signing, encryption }) }],
    });
    portal = await discover(hub.url, 'portal');
    pupil = await hub.hub.store.forTenant('lille').accounts.create({ login: 'ines.lefevre', firstName: 'Inès', lastName: 'Lefèvre', profile: 'Student', status: 'active', externalId: 'LILLE-1234567', source: 'AC-LILLE' });
  });
  after(async () => {
    await hub?.stop();
    await idp?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('the hub starts; the login page shows ÉduConnect as a disabled button with a short notice, and no link', async () => {
    const { loginPage } = await openLoginPage(portal);
    expect(loginPage.status).to.equal(200);
    expect(loginPage.body).to.include(NOTICE_FR).and.match(DISABLED_BUTTON);
    expect(loginPage.body).not.to.match(/\/federation\/start\//);
    expect(loginPage.body).not.to.match(/SAML|metadata|IdP/);
    const english = await openLoginPage(portal, { ui_locales: 'en' });
    expect(english.loginPage.body).to.include('ÉduConnect is temporarily unavailable. Try again in a few minutes.');
  });

  it('shows the login page for idp_hint=educonnect instead of sending the browser to it', async () => {
    const browser = new Browser();
    const auth = await startAuthorization(portal, { idp_hint: 'educonnect' });
    const page = await browser.follow(auth.url.href, REDIRECT);
    expect(page.status).to.equal(200);
    expect(page.url).to.match(/\/interaction\/[\w-]+/);
    expect(page.body).to.include(NOTICE_FR);
  });

  it('answers a direct start with the "unavailable" page (503)', async () => {
    const s = await openLoginPage(portal);
    const page = await s.browser.request(`${hub.url}/interaction/${s.uid}/federation/start/educonnect?lang=fr`);
    expect(page.status).to.equal(503);
    expect(page.body).to.include('momentanément indisponible');
  });

  it('still publishes our SP metadata (the IdP needs it to produce its own)', async () => {
    const res = await fetch(`${hub.url}/federation/educonnect/metadata`);
    expect(res.status).to.equal(200);
    const xml = await res.text();
    expect(xml).to.include(`entityID="${hub.url}/federation/educonnect/metadata"`).and.include('AssertionConsumerService');
    await idp.serve(xml);
  });

  it('logs the unavailability once, not at every retry', async () => {
    await new Promise((r) => setTimeout(r, 2_500)); // two retries at least
    const unavailable = linesAbout(/unavailable/);
    expect(unavailable, JSON.stringify(hub.lines)).to.have.length(1);
    expect(unavailable[0]!.msg).to.include(metadataFile).and.include('not there yet');
  });

  it('opens at the next retry once the file appears: the button works and a full login succeeds, without a restart', async () => {
    // Written whole (a rename), as an operator's deployment would.
    copyFileSync(idp.metadataFile, `${metadataFile}.tmp`);
    renameSync(`${metadataFile}.tmp`, metadataFile);
    let s = await openLoginPage(portal);
    for (const deadline = Date.now() + 5_000; !EDUCONNECT.test(s.loginPage.body) && Date.now() < deadline;) {
      await new Promise((r) => setTimeout(r, 200));
      s = await openLoginPage(portal);
    }
    expect(s.loginPage.body).to.match(EDUCONNECT).and.not.include(NOTICE_FR);
    expect(linesAbout(/opened/)).to.have.length(1);

    await idp.scenario({ attributes: { [`${OID}57`]: ['fedu-ines'], [`${OID}7`]: ['eleve2d'], FrEduCtRefId: ['{AAF}09|X|1234567'] }, name_id: 'fedu-ines' });
    const page = await postToAcs(s, await toIdpForm(s, EDUCONNECT));
    expect(page.location, page.body.slice(0, 400)).to.match(new RegExp(`^${REDIRECT}`));
    const tokens = await exchange(portal, { callback: new URL(page.location!), verifier: s.auth.verifier, state: s.auth.state, nonce: s.auth.nonce });
    expect(tokens.claims()!.sub).to.equal(pupil.id);
  });

  it('goes straight to ÉduConnect with idp_hint now', async () => {
    const auth = await startAuthorization(portal, { idp_hint: 'educonnect' });
    const atIdp = await new Browser().follow(auth.url.href, REDIRECT);
    expect(atIdp.url).to.match(new RegExp(`^${idp.url}/sso\\?SAMLRequest=`));
  });
});

describe('what makes a connector unavailable, and what still stops the start', function () {
  this.timeout(30_000);
  let dir: string;
  let keys: { signing: KeyFiles; encryption: KeyFiles };
  const base = { type: 'saml', enabled: true } as const;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'unavailable-'));
    const [signing, encryption] = await Promise.all([makeKeyPair(dir, 'sp-sign'), makeKeyPair(dir, 'sp-enc')]);
    keys = { signing, encryption };
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('a missing key file, or a metadata URL that does not answer: the hub starts, the connectors are unavailable', async () => {
    const closed = `http://127.0.0.1:${await freePort()}/idp/metadata`;
    const hub = await startTestHub({
      redis: 'memory',
      config: {
        clients: testClients(),
        oidc: { resources: testResources },
        federation: {
          connectors: [
            { ...base, id: 'educonnect', displayName: 'ÉduConnect', saml: { ...keys, idpMetadata: { url: closed } } },
            { ...base, id: 'educonnect-b', displayName: 'ÉduConnect B', saml: saml(join(dir, 'nowhere.xml'), { ...keys, signing: { keyFile: join(dir, 'missing.key'), certFile: keys.signing.certFile } }) },
          ],
        },
      },
    });
    try {
      const s = await openLoginPage(await discover(hub.url, 'portal'));
      expect(s.loginPage.body.split(NOTICE_FR)).to.have.length(3);
      expect(s.loginPage.body).not.to.match(/\/federation\/start\//);
      // The URL's connector has its keys: its SP metadata is published; the other one has none to publish.
      expect((await fetch(`${hub.url}/federation/educonnect/metadata`)).status).to.equal(200);
      expect((await fetch(`${hub.url}/federation/educonnect-b/metadata`)).status).to.equal(400);
    } finally {
      await hub.stop();
    }
  });

  it('the staff page shows an unavailable académie as a disabled button with its notice, not as a link', async () => {
    const tenantsDir = tenantsWith({ lille: [{ ...base, id: 'lille-agents', displayName: 'Personnel de l’académie de Lille', emailDomains: ['ac-lille.fr'], saml: saml(join(dir, 'nowhere.xml'), keys) }] });
    const hub = await startTestHub({ redis: 'memory', config: { clients: testClients(), oidc: { resources: testResources }, tenants: { dir: tenantsDir } } });
    try {
      const s = await openLoginPage(await discover(hub.url, 'portal'));
      const staff = await s.browser.request(new URL(`/interaction/${s.uid}/federation/staff?lang=fr`, hub.url).href);
      expect(staff.status).to.equal(200);
      expect(staff.body).to.match(/<button type="button" class="[^"]*federation-choice--unavailable[^"]*" disabled[^>]*>Personnel de l’académie de Lille<\/button>/);
      expect(staff.body).to.include('La connexion de cette académie est momentanément indisponible.');
      expect(staff.body).not.to.match(/\/federation\/start\/lille-agents/);
    } finally {
      await hub.stop();
      rmSync(tenantsDir, { recursive: true, force: true });
    }
  });

  it('a metadata file that is there but is not metadata stops the start, naming the connector', async () => {
    const bad = join(dir, 'bad.xml');
    writeFileSync(bad, '<!DOCTYPE x><x/>');
    const start = startTestHub({ redis: 'memory', config: { federation: { connectors: [{ ...base, id: 'educonnect', displayName: 'ÉduConnect', saml: saml(bad, keys) }] } } });
    const err = await start.then(async (hub) => { await hub.stop(); return null; }, (e: Error) => e);
    expect(err?.message).to.equal('connector educonnect cannot be opened: IdP metadata must not contain a DOCTYPE');
  });

  it('an unreadable key file (not a missing one) stops the start too', async () => {
    const notAKey = join(dir, 'not-a-key.pem');
    writeFileSync(notAKey, 'hello');
    const start = startTestHub({ redis: 'memory', config: { federation: { connectors: [{ ...base, id: 'educonnect', displayName: 'ÉduConnect', saml: saml(join(dir, 'nowhere.xml'), { ...keys, signing: { keyFile: notAKey, certFile: keys.signing.certFile } }) }] } } });
    const err = await start.then(async (hub) => { await hub.stop(); return null; }, (e: Error) => e);
    expect(err?.message).to.match(/^connector educonnect cannot be opened: signing key pair: .*not-a-key\.pem is not a PEM private key$/);
  });
});
