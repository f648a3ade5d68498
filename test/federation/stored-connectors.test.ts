/**
 * Connectors kept in the store (`hub connectors add`) rather than in YAML: the real CLI writes
 * an OIDC académie connector into a SQLite file, a hub started on that file uses it end to end
 * against a real node-oidc-provider; rows that no longer validate, or cannot be opened, are
 * logged and skipped without stopping the hub; the YAML wins an id clash. A running hub follows
 * the store: a connector added, changed or removed there is opened, swapped or closed.
 */
import { Writable } from 'node:stream';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'chai';
import { pino, type Logger } from 'pino';
import type * as oidc from 'openid-client';
import { REDIRECT, testClients, testResources } from '../../testing/harness/fixtures.js';
import { CliSandbox } from '../../testing/harness/cli.js';
import { startTestHub, type TestHub } from '../../testing/harness/hub.js';
import { prepareOidcUpstream, type OidcUpstream } from '../../testing/harness/oidc-upstream.js';
import { discover, exchange } from '../../testing/harness/rp.js';
import { loadStoredConnectors, mergeDeclared, type DeclaredConnector } from '../../src/federation/stored.js';
import { tenantConnectorSchema } from '../../src/federation/config.js';
import { defaultRegistry } from '../../src/federation/index.js';
import { openSqlStore, type SqlStore } from '../../src/storage/sql/index.js';
import { lastAudit, openLoginPage, staffStart } from './helpers.js';

const CONNECTOR = 'lille-fim';

/** A pino logger whose lines the test reads. */
function capturingLogger(): { log: Logger; lines: () => Array<Record<string, unknown>> } {
  const out: string[] = [];
  const sink = new Writable({ write(chunk: Buffer, _enc, done) { out.push(chunk.toString()); done(); } });
  return { log: pino({ level: 'info' }, sink), lines: () => out.join('').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>) };
}

describe('connectors kept in the store', function () {
  this.timeout(120_000);

  describe('loading (real SQLite store)', () => {
    let store: SqlStore;
    before(async () => {
      store = await openSqlStore('sqlite::memory:');
      for (const [id, code] of [['lille', '09'], ['amiens', '20']] as const) await store.tenants.upsert({ id, name: id, academyCode: code });
    });
    after(() => store.close());

    it('reads valid rows, and logs then skips a row that no longer validates', async () => {
      const good = { id: 'lille-ok', type: 'oidc', displayName: 'OK', enabled: true, oidc: { issuer: 'https://fim.example', clientId: 'hub' } };
      await store.forTenant('lille').connectors.create({ id: 'lille-ok', type: 'oidc', profile: 'academie', displayName: 'OK', enabled: true, config: good });
      // Written by an older hub or by hand: a key the schema refuses, and a row whose document names another id.
      await store.forTenant('lille').connectors.create({ id: 'lille-old', type: 'oidc', profile: 'academie', displayName: 'Old', enabled: true, config: { ...good, id: 'lille-old', oidc: { ...good.oidc, legacyFlag: true } } });
      await store.forTenant('amiens').connectors.create({ id: 'amiens-x', type: 'oidc', profile: 'academie', displayName: 'X', enabled: true, config: { ...good, id: 'amiens-y' } });
      const { log, lines } = capturingLogger();
      const loaded = await loadStoredConnectors(store, ['lille', 'amiens'], log, defaultRegistry());
      expect(loaded.map((d) => `${d.tenantId}:${d.config.id}:${d.origin}`)).to.deep.equal(['lille:lille-ok:store']);
      expect(loaded[0]!.config).to.include({ profile: 'academie', linkOnly: true });
      const errors = lines().filter((l) => l.level === 50);
      expect(errors.map((l) => l.connector).sort()).to.deep.equal(['amiens-x', 'lille-old']);
      expect(errors.find((l) => l.connector === 'lille-old')!.msg).to.equal('stored connector lille-old is invalid and was skipped: oidc.legacyFlag: unknown key');
      expect(String(errors.find((l) => l.connector === 'amiens-x')!.msg)).to.include('the document says "amiens-y", the row "amiens-x"');
    });

    it('lets the YAML declaration win an id clash, and says so', () => {
      const yaml: DeclaredConnector = { config: tenantConnectorSchema.parse({ id: 'lille-agents', type: 'saml', displayName: 'YAML', enabled: false }), tenantId: 'lille', origin: 'config' };
      const stored: DeclaredConnector = { config: tenantConnectorSchema.parse({ id: 'lille-agents', type: 'oidc', displayName: 'Store', enabled: true, oidc: { issuer: 'https://x.example', clientId: 'c' } }), tenantId: 'lille', origin: 'store' };
      const { log, lines } = capturingLogger();
      const merged = mergeDeclared([yaml], [stored], log);
      expect(merged).to.have.length(1);
      expect(merged[0]!.config).to.include({ displayName: 'YAML', enabled: false });
      expect(lines().find((l) => l.level === 40)?.msg).to.equal('connector lille-agents is declared in YAML and in the store: the YAML declaration is used');
      expect(() => mergeDeclared([{ ...stored, origin: 'config' }, { ...stored, origin: 'config' }], [], log)).to.throw('declared twice');
    });
  });

  describe('added with the CLI, used by a running hub', () => {
    let box: CliSandbox;
    let upstream: OidcUpstream;
    let hub: TestHub | undefined;
    let portal: oidc.Configuration;

    before(async () => {
      box = new CliSandbox();
      upstream = await prepareOidcUpstream();
      const file = join(box.dir, 'lille-fim.yaml');
      writeFileSync(file, [
        `id: ${CONNECTOR}`,
        'type: oidc',
        'displayName: Personnel (FIM) de l’académie de Lille',
        'enabled: true',
        'oidc:',
        `  issuer: ${upstream.issuer}`,
        `  clientId: ${upstream.clientId}`,
        `  clientSecret: { env: ${upstream.secretEnv} }`,
        '  scopes: [openid, profile, email, academie]',
        '  allowInsecureHttp: true',
        '',
      ].join('\n'));
      const added = await box.run(['connectors', 'add', '--tenant', 'lille', '--file', file]);
      expect(added.code, added.rawStderr).to.equal(0);
      expect(added.stdout).to.equal(`connector ${CONNECTOR} added to lille (oidc, academie, enabled); every hub process opens it within federation.reloadSeconds\n`);

      // Rows that must not keep the hub down: one that no longer validates, one whose key files are gone.
      const store = await openSqlStore(`sqlite:${box.databaseFile}`, { migrate: false });
      try {
        await store.forTenant('amiens').connectors.create({ id: 'amiens-broken', type: 'oidc', profile: 'academie', displayName: 'Broken', enabled: true, config: { id: 'amiens-broken', type: 'oidc', displayName: 'Broken', enabled: true } });
        const gone = { keyFile: join(box.dir, 'missing.key'), certFile: join(box.dir, 'missing.crt') };
        await store.connectors.create({ id: 'educonnect-2', type: 'saml', profile: 'educonnect', displayName: 'É2', enabled: true, config: { id: 'educonnect-2', type: 'saml', displayName: 'É2', enabled: true, saml: { idpMetadata: { file: join(box.dir, 'missing.xml') }, signing: gone, wantAssertionsEncrypted: false } } });
      } finally {
        await store.close();
      }

      hub = await startTestHub({ databaseUrl: `sqlite:${box.databaseFile}`, config: { clients: testClients(), oidc: { resources: testResources } } });
      await upstream.serve(`${hub.url}/federation/${CONNECTOR}/callback`);
      portal = await discover(hub.url, 'portal');
    });
    after(async () => {
      await hub?.stop();
      await upstream?.stop();
      box?.cleanup();
    });

    it('logs a teacher in through the stored connector, end to end', async () => {
      const marie = await hub!.hub.store.forTenant('lille').accounts.create({
        login: 'marie.curie', firstName: 'Marie', lastName: 'Curie', displayName: 'Marie Curie', profile: 'Teacher', status: 'active',
        academicEmail: 'marie.curie@ac-lille.fr', externalId: 'LILLE-555', source: 'AC-LILLE',
      });
      upstream.user({ sub: 'fim-marie', claims: { given_name: 'Marie', family_name: 'Curie', mail: 'marie.curie@ac-lille.fr' } });
      const s = await openLoginPage(portal);
      const staff = await s.browser.request(new URL(`/interaction/${s.uid}/federation/staff?lang=fr`, hub!.url).href);
      expect(staff.body).to.include('Personnel (FIM) de l’académie de Lille').and.not.include('Broken');
      const page = await s.browser.follow(await staffStart(s, CONNECTOR), REDIRECT);
      expect(page.location, page.body.slice(0, 400)).to.match(new RegExp(`^${REDIRECT}`));
      const tokens = await exchange(portal, { callback: new URL(page.location!), verifier: s.auth.verifier, state: s.auth.state, nonce: s.auth.nonce });
      expect(tokens.claims()!.sub).to.equal(marie.id);
      expect(await lastAudit(hub!.hub.store, 'lille', 'federation.link')).to.include({ connector: CONNECTOR, subject: 'fim-marie' });
      expect(await lastAudit(hub!.hub.store, 'lille', 'connector.added')).to.include({ connector: CONNECTOR, by: 'cli' });
    });

    it('skipped the broken rows: their routes answer as unknown connectors', async () => {
      for (const id of ['amiens-broken', 'educonnect-2']) {
        const res = await fetch(`${hub!.url}/federation/${id}/metadata`);
        expect(res.status, id).to.equal(400);
        expect(await res.text()).to.include('unknown_connector');
      }
    });

    it('lists it beside the YAML connectors without its settings, and removes it', async () => {
      const listed = await box.run(['connectors', 'list', '--json']);
      expect(listed.code, listed.rawStderr).to.equal(0);
      const views = JSON.parse(listed.stdout) as Array<Record<string, unknown>>;
      expect(views.find((v) => v.id === CONNECTOR)).to.deep.equal({
        id: CONNECTOR, tenant: 'lille', origin: 'store', type: 'oidc', profile: 'academie', displayName: 'Personnel (FIM) de l’académie de Lille', enabled: true, linkOnly: true, state: 'ok',
      });
      expect(views.find((v) => v.id === 'amiens-broken')).to.include({ state: 'invalid' });
      expect(views.find((v) => v.id === 'lille-agents')).to.include({ origin: 'config', tenant: 'lille' });
      expect(listed.stdout).not.to.include(upstream.issuer).and.not.to.include(upstream.secretEnv);
      const removed = await box.run(['connectors', 'remove', '--tenant', 'lille', '--id', CONNECTOR]);
      expect(removed.code, removed.rawStderr).to.equal(0);
      const after = JSON.parse((await box.run(['connectors', 'list', '--json', '--tenant', 'lille'])).stdout) as Array<{ id: string }>;
      expect(after.map((v) => v.id)).to.deep.equal(['lille-agents']);
    });
  });
});

describe('stored connectors followed while the hub runs (federation.reloadSeconds)', function () {
  this.timeout(60_000);
  let hub: TestHub;
  let upstream: OidcUpstream;
  let portal: oidc.Configuration;
  let paulId: string;
  const ID = 'lille-live';
  const document = (displayName: string) => ({
    id: ID, type: 'oidc', displayName, enabled: true,
    oidc: { issuer: upstream.issuer, clientId: upstream.clientId, clientSecret: { env: upstream.secretEnv }, scopes: ['openid', 'profile', 'email', 'academie'], allowInsecureHttp: true },
  });
  const lilleConnectors = () => hub.hub.store.forTenant('lille').connectors;
  /** Written behind the hub's back, as another node would: only the periodic reload can see it. */
  const store = (displayName: string) => lilleConnectors().create({ id: ID, type: 'oidc', profile: 'academie', displayName, enabled: true, config: document(displayName) });
  const staffPage = async () => {
    const s = await openLoginPage(portal);
    return (await s.browser.request(new URL(`/interaction/${s.uid}/federation/staff?lang=fr`, hub.url).href)).body;
  };
  const waitForStaffPage = async (test: (body: string) => boolean) => {
    const until = Date.now() + 5_000;
    while (!test(await staffPage())) {
      if (Date.now() > until) throw new Error('the staff page did not change within 5 s');
      await new Promise((r) => setTimeout(r, 100));
    }
  };

  before(async () => {
    upstream = await prepareOidcUpstream();
    hub = await startTestHub({ config: { clients: testClients(), oidc: { resources: testResources }, federation: { reloadSeconds: 1 } } });
    await upstream.serve(`${hub.url}/federation/${ID}/callback`);
    portal = await discover(hub.url, 'portal');
    ({ id: paulId } = await hub.hub.store.forTenant('lille').accounts.create({
      login: 'paul.live', firstName: 'Paul', lastName: 'Live', profile: 'Teacher', status: 'active',
      academicEmail: 'paul.live@ac-lille.fr', externalId: 'LILLE-777', source: 'AC-LILLE',
    }));
    upstream.user({ sub: 'fim-paul', claims: { given_name: 'Paul', family_name: 'Live', mail: 'paul.live@ac-lille.fr' } });
  });
  after(async () => {
    await hub?.stop();
    await upstream?.stop();
  });

  /** Starts a sign-in through the connector and stops at the hub's callback, the upstream's answer in hand. */
  const toCallback = async () => {
    const s = await openLoginPage(portal);
    const atCallback = await s.browser.follow(await staffStart(s, ID), `${hub.url}/federation/${ID}/callback`);
    expect(atCallback.location, atCallback.body.slice(0, 300)).to.match(new RegExp(`/federation/${ID}/callback\\?`));
    return { s, callback: atCallback.location! };
  };

  it('opens a connector added to the store without a restart', async () => {
    await store('Académie (v1)');
    await waitForStaffPage((body) => body.includes('Académie (v1)'));
  });

  it('swaps in a changed connector; a sign-in started before the change ends through the new one', async () => {
    const { s, callback } = await toCallback();
    await lilleConnectors().remove(ID);
    await store('Académie (v2)');
    await waitForStaffPage((body) => body.includes('Académie (v2)') && !body.includes('Académie (v1)'));
    const page = await s.browser.follow(callback, REDIRECT);
    expect(page.location, page.body.slice(0, 400)).to.match(new RegExp(`^${REDIRECT}`));
    const tokens = await exchange(portal, { callback: new URL(page.location!), verifier: s.auth.verifier, state: s.auth.state, nonce: s.auth.nonce });
    expect(tokens.claims()!.sub).to.equal(paulId);
  });

  it('closes a connector removed from the store: it leaves the staff page, a sign-in still on it is refused with a page', async () => {
    const { s, callback } = await toCallback();
    await lilleConnectors().remove(ID);
    await waitForStaffPage((body) => !body.includes('Académie (v2)'));
    const page = await s.browser.follow(callback, REDIRECT);
    expect(page.status).to.equal(400);
    expect(page.body).to.include('<html');
  });
});
