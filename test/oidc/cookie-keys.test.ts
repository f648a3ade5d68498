/**
 * Cookie keys as data: two hubs on one PostgreSQL database and one Redis, started without
 * HUB_COOKIE_KEYS, sign their cookies with the key the store holds, so a sign-in started on one
 * continues on the other. A rotation, its time moved by a controlled clock: the next key is
 * learned by both nodes but signs nothing; once active it signs, while a cookie signed before the
 * rotation still verifies, until the old key retires. A first start imports HUB_COOKIE_KEYS.
 */
import { createHmac } from 'node:crypto';
import { expect } from 'chai';
import { cookieKeyKind } from '../../src/auth/cookie-keys.js';
import { SigningKeyRing } from '../../src/auth/signing-keys.js';
import { createLogger } from '../../src/shared/logger.js';
import { openSqlStore, type SqlStore } from '../../src/storage/sql/index.js';
import { DEVELOPMENT_SECRETS_KEY, keyKind, signingKeyRing } from '../../src/wiring/signing-keys.js';
import { Browser, formAction } from '../../testing/harness/browser.js';
import { PASSWORD, REDIRECT, seedPeople, testClients, testResources } from '../../testing/harness/fixtures.js';
import { startTestHub, type TestHub } from '../../testing/harness/hub.js';
import { createTestDatabase, type TestDatabase } from '../../testing/harness/postgres.js';
import { randomPrefix, testRedisUrl } from '../../testing/harness/redis.js';
import { discover, startAuthorization } from '../../testing/harness/rp.js';

const HOUR = 3600_000;
const INTERACTION_COOKIE = '_interaction';

/** A sign-in started on `hub`: where it continues, and the cookies it set (as Set-Cookie lines). */
interface Started {
  path: string;
  setCookies: string[];
}

async function startSignIn(hub: TestHub, issuer = hub.url): Promise<Started> {
  const { url } = await startAuthorization(await discover(issuer, 'portal'));
  const res = await fetch(new URL(`${url.pathname}${url.search}`, hub.url), { redirect: 'manual' });
  expect(res.status, (await res.clone().text()).replace(/<[^>]+>/g, ' ').replace(/\s+/g, ' ')).to.equal(303);
  return { path: new URL(res.headers.get('location')!, hub.url).pathname, setCookies: res.headers.getSetCookie() };
}

/** Whether `key` signed the interaction cookie of `started` (Keygrip: HMAC-SHA1 of `name=value`, base64url). */
function signedWith(started: Started, key: string): boolean {
  const value = (name: string) => started.setCookies.map((line) => line.split(';')[0]!).find((pair) => pair.startsWith(`${name}=`))!.slice(name.length + 1);
  const data = `${INTERACTION_COOKIE}=${value(INTERACTION_COOKIE)}`;
  return createHmac('sha1', key).update(data).digest('base64url') === value(`${INTERACTION_COOKIE}.sig`);
}

/** A browser holding only the cookies of `started` (as first set: a re-signed copy would hide the old signature). */
async function browserOf(started: Started, hub: TestHub): Promise<Browser> {
  const browser = new Browser();
  for (const line of started.setCookies) await browser.jar.setCookie(line, hub.url);
  return browser;
}

/** Whether the sign-in of `started` still shows its login page on `hub` (its cookies verified). */
async function continuesOn(started: Started, hub: TestHub): Promise<boolean> {
  const page = await (await browserOf(started, hub)).follow(`${hub.url}${started.path}`, REDIRECT);
  return page.status === 200 && page.body.includes('name="password"');
}

const keysOf = (signer: { keys?: unknown }): string[] => signer.keys as string[];

/** Polls until both the hub's app and oidc-provider hold keys that pass `check` (the nodes refresh every 0.1 s). */
async function keysWhen(hub: TestHub, check: (keys: string[]) => boolean): Promise<void> {
  const deadline = Date.now() + 3000;
  while (!(check(keysOf(hub.hub.app)) && check(keysOf(hub.hub.provider)))) {
    if (Date.now() > deadline) throw new Error(`the cookie keys of ${hub.url} did not change: ${keysOf(hub.hub.app).length} keys`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('cookie keys in the store', function () {
  this.timeout(60_000);

  describe('two hubs on one PostgreSQL database, without HUB_COOKIE_KEYS', () => {
    let database: TestDatabase;
    let a: TestHub;
    let b: TestHub;
    let now = Date.now();
    const clock = () => new Date(now);
    const ring = () => signingKeyRing(a.config, a.hub.store, clock);

    before(async () => {
      database = await createTestDatabase();
      const config = { clients: testClients(), oidc: { resources: testResources }, keys: { refreshSeconds: 0.1 }, redis: { url: await testRedisUrl(), keyPrefix: randomPrefix() } };
      a = await startTestHub({ databaseUrl: database.url, clock, config });
      // One issuer, as behind a load balancer: b's redirects lead back to a.
      b = await startTestHub({ databaseUrl: database.url, clock, config: { ...config, issuer: a.url } });
      await seedPeople(a.hub.store);
    });
    after(async () => {
      await a?.stop();
      await b?.stop();
      await database?.drop();
    });

    it('both sign with the one key the store holds; a sign-in started on one node ends on the other', async () => {
      expect(a.config.oidc.cookieKeys).to.equal(undefined);
      const stored = await ring().live('cookie');
      expect(stored.map((k) => [k.alg, k.state, k.publicKey])).to.deep.equal([['HMAC-SHA1', 'active', '']]);
      for (const hub of [a, b]) {
        expect(keysOf(hub.hub.app)).to.deep.equal([stored[0]!.privateKey]);
        expect(keysOf(hub.hub.provider)).to.deep.equal([stored[0]!.privateKey]);
      }
      const row = await (a.hub.store as SqlStore).db.selectFrom('signing_keys').selectAll().where('use', '=', 'cookie').executeTakeFirstOrThrow();
      expect(row.sealed_private_key, 'sealed').not.to.include(stored[0]!.privateKey);

      const started = await startSignIn(a);
      expect(signedWith(started, stored[0]!.privateKey)).to.equal(true);
      const browser = await browserOf(started, a);
      const login = await browser.follow(`${b.url}${started.path}`, REDIRECT);
      expect(login.status, login.body.slice(0, 300)).to.equal(200);
      const done = await browser.follow(formAction(login, /\/login/), REDIRECT, { form: { login: 'zoe.test', password: PASSWORD } });
      expect(done.location, `${done.status} ${done.body.slice(0, 300)}`).to.match(/^https:\/\/rp\.example\/cb\?code=/);
    });

    it('rotates: the next key verifies only, then signs; a cookie of the old key verifies until it retires', async () => {
      const [old] = await ring().live('cookie');
      const before = await startSignIn(a);
      expect(signedWith(before, old!.privateKey)).to.equal(true);

      const [added] = await ring().rotate(keyKind(a.config, 'cookie'), 3600);
      expect(added!.state).to.equal('next');
      const next = (await ring().live('cookie')).find((k) => k.kid === added!.kid)!.privateKey;
      for (const hub of [a, b]) await keysWhen(hub, (keys) => keys.includes(next));
      expect(keysOf(a.hub.app)[0], 'the active key still signs').to.equal(old!.privateKey);
      const meanwhile = await startSignIn(b, a.url);
      expect([signedWith(meanwhile, old!.privateKey), signedWith(meanwhile, next)], 'a next key signs nothing').to.deep.equal([true, false]);

      now += HOUR + 1000;
      for (const hub of [a, b]) await keysWhen(hub, (keys) => keys[0] === next && keys.includes(old!.privateKey));
      const after = await startSignIn(a);
      expect(signedWith(after, next), 'the new key signs').to.equal(true);
      expect(await continuesOn(before, b), 'a cookie of the previous key still verifies').to.equal(true);
      expect(await continuesOn(after, b)).to.equal(true);

      now += keyKind(a.config, 'cookie').lifetimeSeconds * 1000;
      for (const hub of [a, b]) await keysWhen(hub, (keys) => !keys.includes(old!.privateKey));
      expect(await continuesOn(before, b), 'the retired key verifies nothing').to.equal(false);
      expect(await continuesOn(before, a)).to.equal(false);
      expect(await continuesOn(after, a)).to.equal(true);
    });

    it('a later start with a HUB_COOKIE_KEYS the store does not hold says it ignores it, and signs with the store\'s key', async () => {
      const lines: Array<{ level: number; msg: string }> = [];
      const logDestination = { write: (line: string) => void lines.push(JSON.parse(line) as { level: number; msg: string }) };
      const configured = 'c'.repeat(40);
      const config = { clients: testClients(), oidc: { resources: testResources, cookieKeys: [configured] }, log: { level: 'info' as const }, redis: { url: await testRedisUrl(), keyPrefix: randomPrefix() } };
      const c = await startTestHub({ databaseUrl: database.url, clock, config, logDestination });
      try {
        const warning = lines.find((line) => line.msg.startsWith('HUB_COOKIE_KEYS is not among the cookie keys the store holds'));
        expect(warning, lines.map((line) => line.msg).join('\n')).to.include({ level: 40 });
        expect(keysOf(c.hub.app)).to.deep.equal(keysOf(a.hub.app)).and.not.include(configured);
      } finally {
        await c.stop();
      }
    });

    it('two first starts at once make one cookie key', async () => {
      const fresh = await createTestDatabase();
      const stores = [await openSqlStore(fresh.url), await openSqlStore(fresh.url)];
      try {
        const kind = cookieKeyKind(3600, DEVELOPMENT_SECRETS_KEY);
        const log = createLogger('silent');
        await Promise.all(stores.map((store) => new SigningKeyRing(store.signingKeys, DEVELOPMENT_SECRETS_KEY).ensure(kind, async () => [], 0, log)));
        expect(await stores[0]!.signingKeys.list('cookie')).to.have.length(1);
      } finally {
        for (const store of stores) await store.close();
        await fresh.drop();
      }
    });
  });

  it('a first start imports HUB_COOKIE_KEYS: the first signs, the others verify', async () => {
    const [newest, older] = ['n'.repeat(40), 'o'.repeat(40)];
    const lines: Array<{ msg: string }> = [];
    const logDestination = { write: (line: string) => void lines.push(JSON.parse(line) as { msg: string }) };
    const hub = await startTestHub({ redis: 'memory', config: { clients: testClients(), oidc: { resources: testResources, cookieKeys: [newest, older] }, log: { level: 'info' } }, logDestination });
    try {
      const stored = await signingKeyRing(hub.config, hub.hub.store).describe('cookie');
      expect(stored.map((k) => k.state)).to.have.members(['active', 'previous']);
      expect(keysOf(hub.hub.app)).to.deep.equal([newest, older]);
      expect(keysOf(hub.hub.provider)).to.deep.equal([newest, older]);
      expect(signedWith(await startSignIn(hub), newest)).to.equal(true);
      expect(lines.filter((line) => line.msg.startsWith('HUB_COOKIE_KEYS is not among')), 'imported keys are not ignored ones').to.deep.equal([]);
      const rows = await (hub.hub.store as SqlStore).db.selectFrom('signing_keys').selectAll().where('use', '=', 'cookie').execute();
      for (const row of rows) expect(row.sealed_private_key).not.to.include(newest).and.not.to.include(older);
    } finally {
      await hub.stop();
    }
  });
});
