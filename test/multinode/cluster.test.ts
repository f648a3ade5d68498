/**
 * Several nodes: three `hub serve` processes on one PostgreSQL database and one Redis (a key
 * prefix of their own), sharing their key files and secrets key; no cookie key or pairwise salt
 * is given to any: the nodes starting together make one set in the store and all use it. They sit
 * behind a round-robin proxy that sends each request to the next node (testing/harness/round-robin-proxy.ts).
 * The issuer is the proxy's address. Each flow is checked to have crossed the nodes (the proxy's
 * trail), then one node is killed under load.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inflateRawSync } from 'node:zlib';
import { expect } from 'chai';
import type * as oidc from 'openid-client';
import { fetchUserInfo } from 'openid-client';
import YAML from 'yaml';
import { hashPassword } from '../../src/auth/passwords.js';
import { grantRole } from '../../src/admin/grants.js';
import { CLI_OPERATOR } from '../../src/identity/actor.js';
import { generateKeys } from '../../src/oidc/keys.js';
import { addServiceProvider } from '../../src/saml/idp/sp-service.js';
import { sha256Hex } from '../../src/shared/ids.js';
import { openSqlStore, type SqlStore } from '../../src/storage/sql/database.js';
import { Browser, formAction, hiddenInputs, type Page } from '../../testing/harness/browser.js';
import { CliSandbox, serveHub, sleep, type ServingHub } from '../../testing/harness/cli.js';
import { PASSWORD, REDIRECT, seedPeople, testClients, testResources, type Fixture } from '../../testing/harness/fixtures.js';
import { createTestDatabase, type TestDatabase } from '../../testing/harness/postgres.js';
import { makeKeyPair, preparePysaml2Idp, type Pysaml2Idp } from '../../testing/harness/pysaml2.js';
import { pysaml2Acs } from '../../testing/harness/pysaml2-acs.js';
import { pysaml2SpMessage, writeSpMetadata } from '../../testing/harness/pysaml2-sp.js';
import { freePort, randomPrefix, testRedisUrl } from '../../testing/harness/redis.js';
import { startRoundRobinProxy, type RoundRobinProxy } from '../../testing/harness/round-robin-proxy.js';
import { discover, exchange, signIn } from '../../testing/harness/rp.js';
import { OID, openLoginPage, postToAcs, toIdpForm } from '../federation/helpers.js';

const NODES = 3;
const OPS = { clientId: 'ops-script', secret: 'ops-script-secret-for-tests-only' };
const SP_BASE = 'http://127.0.0.1:9/multinode-sp';
const EDUCONNECT = /\/federation\/start\/educonnect\?/;
/** The reload and cache intervals of the nodes, in seconds: small, so that the test waits little. */
const INTERVAL = 1;

/** The nodes each request of `work` went to (the proxy's trail over it). */
async function nodesOf<T>(proxy: RoundRobinProxy, work: () => Promise<T>): Promise<{ result: T; nodes: Set<number>; requests: number }> {
  const from = proxy.trail.length;
  const result = await work();
  const trail = proxy.trail.slice(from);
  return { result, nodes: new Set(trail), requests: trail.length };
}

/** Polls `test` every 50 ms; returns the milliseconds it took to hold, or throws after `withinMs`. */
async function within(withinMs: number, what: string, test: () => Promise<boolean>): Promise<number> {
  const started = Date.now();
  for (;;) {
    if (await test()) return Date.now() - started;
    if (Date.now() - started > withinMs) throw new Error(`${what}: not within ${withinMs} ms`);
    await sleep(50);
  }
}

/** The ID of the AuthnRequest in a Redirect query. */
function requestIdOf(rawQuery: string): string {
  const encoded = new URLSearchParams(rawQuery).get('SAMLRequest')!;
  return /ID="([^"]+)"/.exec(inflateRawSync(Buffer.from(encoded, 'base64')).toString('utf8'))![1]!;
}

/** The SAMLResponse of the IdP's auto-posted form. */
function postedResponse(page: Page): { action: string; response: string } {
  const response = hiddenInputs(page).SAMLResponse;
  expect(response, page.body.slice(0, 300)).to.be.a('string');
  return { action: formAction(page, /./), response: response!.replace(/&amp;/g, '&') };
}

describe('several nodes: three hub processes behind a round-robin proxy', function () {
  this.timeout(120_000);
  let box: CliSandbox;
  let dir: string;
  let db: TestDatabase;
  let store: SqlStore;
  let proxy: RoundRobinProxy;
  let idp: Pysaml2Idp;
  let portal: oidc.Configuration;
  let people: Fixture;
  let adminToken: string;
  const hubs: ServingHub[] = [];
  const sp = { dir: '', file: 'sp.xml', base: SP_BASE };

  const nodeTokenRequest = (url: string, clientId: string, secret: string) => fetch(`${url}/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${Buffer.from(`${clientId}:${secret}`).toString('base64')}` },
    body: new URLSearchParams({ grant_type: 'client_credentials', scope: 'admin' }).toString(),
  });
  const tokenRequest = (clientId: string, secret: string) => nodeTokenRequest(proxy.base, clientId, secret);

  const adminApi = async (method: string, path: string, body?: unknown) => {
    const response = await fetch(`${proxy.base}/admin/api${path}`, {
      method,
      headers: { authorization: `Bearer ${adminToken}`, accept: 'application/json', ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return { status: response.status, text: await response.text() };
  };

  before(async function () {
    box = new CliSandbox();
    dir = mkdtempSync(join(tmpdir(), 'multinode-'));
    sp.dir = dir;
    db = await createTestDatabase();
    // Migrated once, before the nodes start together.
    store = await openSqlStore(db.url);
    // What every node shares: the OIDC signing keys and the SAML IdP's key pair (one folder), the config file.
    mkdirSync(box.keysDir);
    await Promise.all([generateKeys(box.keysDir), makeKeyPair(box.keysDir, 'saml-idp')]);
    const ports = await Promise.all(Array.from({ length: NODES }, () => freePort()));
    proxy = await startRoundRobinProxy(ports.map((port) => `http://127.0.0.1:${port}`));
    const configFile = join(dir, 'hub.yaml');
    writeFileSync(configFile, YAML.stringify({
      redis: { keyPrefix: randomPrefix() },
      tenants: { garSwitchesSeconds: INTERVAL },
      clients: [
        ...testClients(),
        { clientId: OPS.clientId, name: 'Ops script', secretSha256: sha256Hex(OPS.secret), redirectUris: ['https://script.example/unused'], scopes: ['admin'], grantTypes: ['client_credentials'] },
      ],
      oidc: { resources: testResources, clientCacheSeconds: INTERVAL },
      federation: { connectors: [], reloadSeconds: INTERVAL },
      samlIdp: { keys: [{ keyFile: 'saml-idp.key', certFile: 'saml-idp.crt' }] },
      demo: { seed: false },
    }));
    const env = {
      DATABASE_URL: db.url, REDIS_URL: await testRedisUrl(), HUB_CONFIG: configFile, HUB_ISSUER: proxy.base,
      HUB_SECRETS_KEY: 'multinode-secrets-key-for-tests-only', HOST: '127.0.0.1',
    };
    const started = Date.now();
    // The SP's metadata is written while the nodes start (the IdP after: its start has a 15 s limit).
    // Each node is kept as soon as it answers, so that `after` stops it even if another fails to start.
    await Promise.all([
      ...ports.map(async (port, i) => {
        hubs[i] = await serveHub(box, { ...env, PORT: String(port) });
      }),
      writeSpMetadata(dir, sp.file, { base: SP_BASE, name: 'Ressource multi-nœuds' })
        .then((file) => addServiceProvider({ store, production: false }, CLI_OPERATOR, { owner: null, from: { file }, releasePolicy: 'generic' })),
    ]);
    console.log(`      (${NODES} nodes started together in ${Date.now() - started} ms)`);

    const upstream = preparePysaml2Idp().then((started) => (idp = started));
    people = await seedPeople(store);
    await grantRole(store, CLI_OPERATOR, { subjectKind: 'client', subject: OPS.clientId, role: 'platform-admin', tenantId: null, uais: [] });
    const token = (await (await tokenRequest(OPS.clientId, OPS.secret)).json()) as { access_token: string };
    adminToken = token.access_token;
    portal = await discover(proxy.base, 'portal');
    await upstream;
  });

  after(async () => {
    await Promise.all(hubs.map((hub) => hub.stop()));
    await proxy?.close();
    await idp?.stop();
    await store?.close();
    await db?.drop();
    box?.cleanup();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('an OIDC sign-in (authorization code + PKCE) started on one node goes on and ends on the others', async () => {
    const { result: claims, nodes, requests } = await nodesOf(proxy, async () => {
      const auth = await signIn(new Browser(), portal, 'zoe.test', PASSWORD);
      const tokens = await exchange(portal, auth);
      const info = await fetchUserInfo(portal, tokens.access_token, tokens.claims()!.sub);
      expect(info).to.include({ preferred_username: 'zoe.test', tenant: 'lille' });
      return tokens.claims()!;
    });
    expect(claims.sub).to.equal(people.pupilId);
    expect(claims.iss).to.equal(proxy.base);
    expect(requests).to.be.greaterThanOrEqual(NODES);
    expect([...nodes].sort()).to.deep.equal([0, 1, 2]);
  });

  it('a connector added through one node is opened by every node within federation.reloadSeconds, and an ÉduConnect sign-in through the real pysaml2 IdP crosses the nodes', async () => {
    const sp = await Promise.all([makeKeyPair(dir, 'sp-sign'), makeKeyPair(dir, 'sp-enc')]);
    const added = await adminApi('POST', '/platform/connectors', {
      connector: { id: 'educonnect', type: 'saml', displayName: 'ÉduConnect', enabled: true, saml: { idpMetadata: { file: idp.metadataFile }, signing: sp[0], encryption: sp[1] } },
    });
    expect(added.status, added.text).to.equal(201);
    const answered = proxy.trail.at(-1)!;
    // The node that answered opens it at once; the others read the store within the interval.
    expect((await fetch(`${hubs[answered]!.url}/federation/educonnect/metadata`)).status).to.equal(200);
    const delays = await Promise.all(hubs.map((hub) => within(INTERVAL * 1000 + 14_000, `${hub.url} serves the SP metadata`, async () => (await fetch(`${hub.url}/federation/educonnect/metadata`)).status === 200)));
    console.log(`      (opened on the other nodes after ${delays.join(', ')} ms)`);
    await idp.serve(await (await fetch(`${proxy.base}/federation/educonnect/metadata`)).text());

    const pupil = await store.forTenant('lille').accounts.create({
      login: 'ines.lefevre', firstName: 'Inès', lastName: 'Lefèvre', profile: 'Student', status: 'active',
      externalId: 'LILLE-1234567', source: 'AC-LILLE', passwordHash: await hashPassword(PASSWORD),
    });
    await idp.scenario({
      name_id: 'a1b2c3d4e5',
      attributes: { [`${OID}57`]: ['a1b2c3d4e5'], [`${OID}7`]: ['eleve2d'], [`${OID}72`]: ['0590121L'], 'urn:oid:2.5.4.4': ['Lefèvre'], 'urn:oid:2.5.4.42': ['Inès'], FrEduCtRefId: ['{AAF}09|X|1234567'] },
    });
    const { result: claims, nodes } = await nodesOf(proxy, async () => {
      const s = await openLoginPage(portal);
      const page = await postToAcs(s, await toIdpForm(s, EDUCONNECT));
      expect(page.location, page.body.slice(0, 300)).to.match(new RegExp(`^${REDIRECT}`));
      return (await exchange(portal, { callback: new URL(page.location!), ...s.auth })).claims()!;
    });
    expect(claims).to.include({ sub: pupil.id });
    expect(claims.amr).to.deep.equal(['ext']);
    expect([...nodes].sort()).to.deep.equal([0, 1, 2]);
  });

  it('a connector removed through one node is closed by every node within federation.reloadSeconds: its button goes', async () => {
    const removed = await adminApi('DELETE', '/platform/connectors/educonnect');
    expect(removed.status, removed.text).to.equal(204);
    // Answered as for an id no connector ever had.
    const unknown = (await fetch(`${proxy.base}/federation/nowhere/metadata`)).status;
    expect(unknown).to.be.within(400, 499);
    await Promise.all(hubs.map((hub) => within(INTERVAL * 1000 + 14_000, `${hub.url} no longer serves the SP metadata`, async () => (await fetch(`${hub.url}/federation/educonnect/metadata`)).status === unknown)));
    for (let i = 0; i < NODES; i += 1) {
      const s = await openLoginPage(portal);
      expect(s.loginPage.body).not.to.match(EDUCONNECT);
    }
  });

  it('a SAML sign-in for the pysaml2 SP crosses the nodes; the pairwise NameID is the same whichever node answers', async () => {
    const idpMetadata = join(dir, 'idp.xml');
    writeFileSync(idpMetadata, await (await fetch(`${proxy.base}/saml/metadata`)).text());
    // pysaml2 signs two AuthnRequests, then reads the two answers, in parallel (each run starts a Python).
    const messages = await Promise.all([1, 2].map(() => pysaml2SpMessage({ ...sp, message: 'authn', binding: 'redirect', destination: `${proxy.base}/saml/sso` })));
    const answers = [];
    for (const message of messages) {
      if (message.binding !== 'redirect') throw new Error('redirect expected');
      answers.push(await nodesOf(proxy, async () => {
        const browser = new Browser();
        const loginPage = await browser.follow(`${proxy.base}/saml/sso?${message.rawQuery}`, SP_BASE, { crossSite: true });
        expect(loginPage.status, loginPage.body.slice(0, 300)).to.equal(200);
        const answer = await browser.follow(formAction(loginPage, /\/login/), SP_BASE, { form: { login: 'zoe.test', password: PASSWORD } });
        return { ...postedResponse(answer), requestId: requestIdOf(message.rawQuery) };
      }));
    }
    const verdicts = await Promise.all(answers.map(({ result }) => pysaml2Acs({ ...sp, idpMetadata, response: result.response, inResponseTo: result.requestId })));
    for (const { result, nodes } of answers) {
      expect(result.action).to.equal(`${SP_BASE}/acs/post`);
      expect(nodes.size).to.be.greaterThanOrEqual(2);
    }
    const [a, b] = verdicts;
    if (!a?.accepted || !b?.accepted) throw new Error(`refused by pysaml2: ${JSON.stringify(verdicts)}`);
    expect(a.nameId).to.equal(b.nameId);
  });

  it('a client secret rotated through one node stops working on every node within oidc.clientCacheSeconds', async () => {
    const created = await adminApi('POST', '/platform/clients', {
      clientId: 'mn-rotated', public: false, name: 'Rotated', redirectUris: ['https://script.example/unused'], scopes: ['admin'], grantTypes: ['client_credentials'],
    });
    expect(created.status, created.text).to.equal(201);
    const { secret: first } = JSON.parse(created.text) as { secret: string };
    // Every node reads the client, and keeps its copy.
    const warm = await nodesOf(proxy, () => Promise.all(hubs.map(() => tokenRequest('mn-rotated', first))));
    expect(warm.result.map((r) => r.status)).to.deep.equal([200, 200, 200]);
    expect(warm.nodes.size).to.equal(NODES);

    const rotated = await adminApi('POST', '/platform/clients/mn-rotated/secret');
    expect(rotated.status, rotated.text).to.equal(201);
    const { secret: second } = JSON.parse(rotated.text) as { secret: string };
    const answered = proxy.trail.at(-1)!;
    expect((await nodeTokenRequest(hubs[answered]!.url, 'mn-rotated', first)).status, 'at once on the node that rotated it').to.equal(401);
    const delays = await Promise.all(hubs.map((hub) => within(INTERVAL * 1000 + 14_000, `${hub.url} refuses the old secret`, async () => (await nodeTokenRequest(hub.url, 'mn-rotated', first)).status === 401)));
    console.log(`      (old secret refused by the nodes after ${delays.join(', ')} ms)`);
    for (const hub of hubs) expect((await nodeTokenRequest(hub.url, 'mn-rotated', second)).status).to.equal(200);
  });

  it('a node killed (SIGKILL) under load costs only the requests it had in flight; the two others serve the rest', async () => {
    const TOTAL = 300;
    const CONCURRENCY = 8;
    const KILL_AFTER = 100;
    const victim = 1;
    let done = 0;
    let next = 0;
    let exitedAt = -1;
    const failures: string[] = [];
    const afterExit: Array<{ ok: boolean }> = [];
    const exited = new Promise<void>((resolve) => hubs[victim]!.child.once('exit', () => resolve()));

    const worker = async () => {
      while (next < TOTAL) {
        next += 1;
        const startedAfterExit = exitedAt >= 0;
        let ok = false;
        try {
          const response = await tokenRequest(OPS.clientId, OPS.secret);
          const body = (await response.json().catch(() => ({}))) as { access_token?: string };
          ok = response.status === 200 && typeof body.access_token === 'string';
          if (!ok) failures.push(`${response.status}`);
        } catch (err) {
          failures.push((err as Error).message);
        }
        if (startedAfterExit) afterExit.push({ ok });
        done += 1;
        if (done === KILL_AFTER) {
          hubs[victim]!.child.kill('SIGKILL');
          exited.then(() => (exitedAt = done)).catch(() => undefined);
        }
      }
    };
    const servedBefore = proxy.nodes.map((node) => node.served);
    const started = Date.now();
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));
    const ms = Date.now() - started;
    console.log(`      (${TOTAL} requests in ${ms} ms; ${failures.length} failed: ${failures.join(', ') || 'none'}; node served ${proxy.nodes.map((n, i) => n.served - servedBefore[i]!).join('/')})`);

    expect(failures.length).to.be.at.most(CONCURRENCY);
    expect(exitedAt, 'the node exited during the run').to.be.greaterThan(0);
    expect(afterExit.length).to.be.greaterThan(100);
    expect(afterExit.every((r) => r.ok), 'every request started after the exit succeeded').to.equal(true);
    expect(proxy.nodes[victim]!.up).to.equal(false);
    for (const i of [0, 2]) expect(proxy.nodes[i]!.served - servedBefore[i]!).to.be.greaterThan(TOTAL / 3);
    // The survivors still sign people in.
    const auth = await signIn(new Browser(), portal, 'zoe.test', PASSWORD);
    expect((await exchange(portal, auth)).claims()!.sub).to.equal(people.pupilId);
  });
});
