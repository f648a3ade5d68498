/**
 * Keys as data (issue 19, item 2): two hubs on one PostgreSQL database, the keys' time moved by
 * a controlled clock. A rotation on one node is published by both before it signs; then ID
 * tokens are signed by the new key while the old tokens still verify against the published
 * JWKS; then the old key leaves the JWKS. Two rotations at once add one next key; two first
 * starts at once, one key set; the private parts in the database are sealed.
 */
import { createRequire } from 'node:module';
import { expect } from 'chai';
import { createLocalJWKSet, decodeProtectedHeader, jwtVerify, type JSONWebKeySet } from 'jose';
import { RotationPending, SIGNING_KEYS_PURPOSE, SigningKeyRing } from '../../src/auth/signing-keys.js';
import { SecretBox } from '../../src/auth/secret-box.js';
import { oidcKeyKind } from '../../src/oidc/keys.js';
import { ConfigError } from '../../src/shared/errors.js';
import { createLogger } from '../../src/shared/logger.js';
import { openSqlStore, type SqlStore } from '../../src/storage/sql/index.js';
import { DEVELOPMENT_SECRETS_KEY, keyKind, signingKeyRing } from '../../src/wiring/signing-keys.js';
import { Browser } from '../../testing/harness/browser.js';
import { PASSWORD, seedPeople, testClients, testResources } from '../../testing/harness/fixtures.js';
import { startTestHub, type TestHub } from '../../testing/harness/hub.js';
import { createTestDatabase, type TestDatabase } from '../../testing/harness/postgres.js';
import { discover, exchange, signIn } from '../../testing/harness/rp.js';

const HOUR = 3600_000;
const REFRESH_SECONDS = 0.1;

async function jwksOf(hub: TestHub): Promise<JSONWebKeySet> {
  return (await (await fetch(`${hub.url}/jwks`)).json()) as JSONWebKeySet;
}

/** Polls a hub's JWKS until `check` holds (the nodes refresh every REFRESH_SECONDS). */
async function jwksWhen(hub: TestHub, check: (jwks: JSONWebKeySet) => boolean): Promise<JSONWebKeySet> {
  const deadline = Date.now() + 3000;
  for (;;) {
    const jwks = await jwksOf(hub);
    if (check(jwks)) return jwks;
    if (Date.now() > deadline) throw new Error(`the JWKS of ${hub.url} did not change: ${JSON.stringify(jwks.keys.map((k) => [k.kid, k.key_ops]))}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

const kids = (jwks: JSONWebKeySet) => jwks.keys.map((k) => k.kid);
const opsOf = (jwks: JSONWebKeySet, kid: string) => jwks.keys.find((k) => k.kid === kid)?.key_ops;

describe('signing key rotation (OIDC)', function () {
  this.timeout(60_000);
  let database: TestDatabase;
  let a: TestHub;
  let b: TestHub;
  let now = Date.now();
  const clock = () => new Date(now);

  before(async () => {
    database = await createTestDatabase();
    const options = { redis: 'memory' as const, databaseUrl: database.url, clock, config: { clients: testClients(), oidc: { resources: testResources }, keys: { refreshSeconds: REFRESH_SECONDS } } };
    a = await startTestHub(options);
    b = await startTestHub(options);
    await seedPeople(a.hub.store);
  });
  after(async () => {
    await a?.stop();
    await b?.stop();
    await database?.drop();
  });

  async function idToken(): Promise<string> {
    const portal = await discover(a.url, 'portal');
    const tokens = await exchange(portal, await signIn(new Browser(), portal, 'zoe.test', PASSWORD));
    return tokens.id_token!;
  }

  const ring = () => signingKeyRing(a.config, a.hub.store, clock);

  it('publishes the next key on every node before it signs, signs with it from activatesAt, and drops the old one after retiresAt', async () => {
    const first = await jwksOf(b);
    expect(kids(first)).to.deep.equal(kids(await jwksOf(a)), 'both nodes publish the imported key set');
    const before = await idToken();
    const oldKid = decodeProtectedHeader(before).kid!;
    expect(kids(first)).to.include(oldKid);

    const added = await ring().rotate(keyKind(a.config, 'oidc'), 3600);
    expect(added.map((k) => [k.alg, k.state])).to.deep.equal([['ES256', 'next'], ['RS256', 'next']]);
    const newKid = added.find((k) => k.alg === 'RS256')!.kid;
    const published = await jwksWhen(b, (jwks) => kids(jwks).includes(newKid));
    expect(opsOf(published, newKid), 'published, verifying only').to.deep.equal(['verify']);
    expect(opsOf(published, oldKid), 'the active key').to.equal(undefined);
    await jwksWhen(a, (jwks) => kids(jwks).includes(newKid));
    expect(decodeProtectedHeader(await idToken()).kid, 'still signed by the active key').to.equal(oldKid);

    now += HOUR + 1000;
    const switched = await jwksWhen(a, (jwks) => opsOf(jwks, newKid) === undefined);
    expect(opsOf(switched, oldKid), 'the previous key verifies only').to.deep.equal(['verify']);
    const after = await idToken();
    expect(decodeProtectedHeader(after).kid, 'signed by the new key').to.equal(newKid);
    const verifyAgainst = async (jwks: JSONWebKeySet, token: string) => (await jwtVerify(token, createLocalJWKSet(jwks), { issuer: a.url })).protectedHeader.kid;
    const publishedByB = await jwksWhen(b, (jwks) => opsOf(jwks, newKid) === undefined);
    expect(await verifyAgainst(publishedByB, after)).to.equal(newKid);
    expect(await verifyAgainst(publishedByB, before), 'a token of the old key still verifies').to.equal(oldKid);

    now += a.config.oidc.ttl.idToken * 1000;
    const retired = await jwksWhen(b, (jwks) => !kids(jwks).includes(oldKid));
    expect(kids(retired)).to.include(newKid);
    let refused: unknown;
    await verifyAgainst(retired, before).catch((error: unknown) => { refused = error; });
    expect(refused, 'the old key is gone from the JWKS').to.be.instanceOf(Error);
    await jwksWhen(a, (jwks) => !kids(jwks).includes(oldKid));

    const destroyed = await ring().retire();
    expect(destroyed).to.include(oldKid);
    const row = await (a.hub.store as SqlStore).db.selectFrom('signing_keys').selectAll().where('kid', '=', oldKid).executeTakeFirstOrThrow();
    expect(row).to.deep.include({ retired: 1, sealed_private_key: '' });
  });

  it('makes one next key of two rotations at once; the other is refused with the pending key', async () => {
    const kind = keyKind(a.config, 'oidc');
    const outcomes = await Promise.allSettled([ring().rotate(kind, 600), signingKeyRing(b.config, b.hub.store, clock).rotate(kind, 600)]);
    const created = outcomes.filter((o) => o.status === 'fulfilled');
    const refused = outcomes.filter((o): o is PromiseRejectedResult => o.status === 'rejected');
    expect(created).to.have.length(1);
    expect(refused).to.have.length(1);
    expect(refused[0]!.reason).to.be.instanceOf(RotationPending);
    expect((refused[0]!.reason as RotationPending).message).to.match(/^a next oidc key is already published \(ES256 .+, RS256 .+\), signing from .+: nothing created$/);
    const next = (await ring().describe('oidc')).filter((k) => k.state === 'next');
    expect(next.map((k) => k.alg)).to.deep.equal(['ES256', 'RS256']);
  });

  it('keeps the private parts sealed in the database, and says so when HUB_SECRETS_KEY is another', async () => {
    const rows = await (a.hub.store as SqlStore).db.selectFrom('signing_keys').selectAll().where('use', '=', 'oidc').where('retired', '=', 0).execute();
    expect(rows.length).to.be.at.least(2);
    const box = new SecretBox(DEVELOPMENT_SECRETS_KEY, SIGNING_KEYS_PURPOSE);
    for (const row of rows) {
      expect(row.sealed_private_key).to.match(/^v1\.[\w-]+\.[\w-]+\.[\w-]+$/);
      expect(row.sealed_private_key).not.to.include('"d"');
      expect(JSON.parse(row.public_key)).not.to.have.property('d');
      expect(JSON.parse(box.open(row.sealed_private_key))).to.have.property('d');
    }
    let error: unknown;
    await new SigningKeyRing(a.hub.store.signingKeys, 'another secrets key', clock).live('oidc').catch((e: unknown) => { error = e; });
    expect(error).to.be.instanceOf(ConfigError);
    expect((error as ConfigError).issues).to.deep.equal(['the signing keys in the store cannot be decrypted: HUB_SECRETS_KEY is not the key that sealed them']);
  });

  it('two first starts at once make one key set', async () => {
    const fresh = await createTestDatabase();
    const stores = [await openSqlStore(fresh.url), await openSqlStore(fresh.url)];
    try {
      const log = createLogger('silent');
      const kind = oidcKeyKind(a.config.oidc.ttl);
      await Promise.all(stores.map((store) => new SigningKeyRing(store.signingKeys, DEVELOPMENT_SECRETS_KEY).ensure(kind, async () => [], 0, log)));
      const keys = await stores[0]!.signingKeys.list('oidc');
      expect(keys.map((k) => k.alg).sort()).to.deep.equal(['ES256', 'RS256']);
    } finally {
      for (const store of stores) await store.close();
      await fresh.drop();
    }
  });

  it('oidc-provider\'s keystore initializer is the one key-rotation.ts was written against', () => {
    // key-rotation.ts calls a file of oidc-provider that is not its public API: a new version must be checked.
    const require = createRequire(import.meta.url);
    expect((require('oidc-provider/package.json') as { version: string }).version).to.equal('9.13.3');
  });
});
