/**
 * Redis stopped and started again while people log in (a loop of real password logins through
 * the HTTP flow): 503 while it is down, said in French to the browser and as
 * `temporarily_unavailable` to the RP, never a 500; a login under way completes or starts again;
 * the logins go on once Redis is back, without restarting the hub. A session opened before the
 * fault survives when Redis kept its data (append-only file); else the person signs in again.
 * test/oidc/redis-outage.test.ts checks each route family's answer while Redis is down.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { ServiceUnavailable } from '../../src/shared/errors.js';
import { createRedis, waitForRedis } from '../../src/storage/redis/client.js';
import { RedisEphemeralStore } from '../../src/storage/redis/ephemeral.js';
import { Browser } from '../../testing/harness/browser.js';
import { PASSWORD, REDIRECT, seedPeople, testClients, testResources } from '../../testing/harness/fixtures.js';
import { startTestHub, type TestHub } from '../../testing/harness/hub.js';
import { startLoginLoop } from '../../testing/harness/login-loop.js';
import { spawnRedis, type RedisServer } from '../../testing/harness/redis.js';
import { discover, signIn, startAuthorization } from '../../testing/harness/rp.js';

const OUTAGE_MS = 1_500;

for (const persistent of [true, false]) describe(`Redis restarted during logins (${persistent ? 'its data kept' : 'its data lost'})`, function () {
  this.timeout(60_000);
  let dir: string;
  let redis: RedisServer;
  let hub: TestHub;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'hub-redis-'));
    redis = await spawnRedis(persistent ? { appendOnlyDir: dir } : {});
    hub = await startTestHub({ redis: redis.url, config: { clients: testClients(), oidc: { resources: testResources } } });
    await seedPeople(hub.hub.store);
  });
  after(async () => {
    await hub?.stop();
    await redis?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('answers 503 while it is down, never 500, and the logins go on once it is back', async () => {
    const portal = await discover(hub.url, 'portal');
    const earlier = new Browser();
    await signIn(earlier, portal, 'zoe.test', PASSWORD);

    const loop = startLoginLoop(hub.url, portal, 'zoe.test', PASSWORD);
    await loop.completions(2, 15_000);
    await redis.stop();
    await new Promise((r) => setTimeout(r, OUTAGE_MS));
    await redis.restart();
    const back = Date.now();
    await loop.completions(3, 20_000);
    const report = await loop.stop();

    expect(report.failures).to.deep.equal([]);
    expect(report.statuses).not.to.have.property('500');
    expect(report.unavailable, JSON.stringify(report)).to.be.greaterThan(0);
    expect(report.completedAt.filter((t) => t > back)).to.have.length.of.at.least(3);

    // The session opened before the fault: a silent authorization tells whether it is still there.
    const silent = await earlier.follow((await startAuthorization(portal, { prompt: 'none' })).url.href, REDIRECT);
    const answer = new URL(silent.location!).searchParams;
    if (persistent) {
      expect(answer.get('code'), silent.location!).to.be.a('string');
    } else {
      expect(answer.get('error')).to.equal('login_required');
      const page = await earlier.follow((await startAuthorization(portal)).url.href, REDIRECT);
      expect(page.status).to.equal(200);
      expect(page.body).to.match(/name="password"/);
    }
  });
});

describe('the ephemeral store with Redis stopped', function () {
  this.timeout(20_000);

  it('fails every operation as ServiceUnavailable (a 503 for the login pages, not a 500)', async () => {
    const redis = await spawnRedis();
    const client = createRedis(redis.url, 'hubtest:');
    client.on('error', () => undefined);
    const store = new RedisEphemeralStore(client);
    try {
      await waitForRedis(client);
      await store.put('k', 'v', 60);
      await redis.stop();
      const operations: Array<[string, () => Promise<unknown>]> = [
        ['claimOnce', () => store.claimOnce('k', 60)], ['put', () => store.put('k', 'v', 60)], ['get', () => store.get('k')],
        ['take', () => store.take('k')], ['delete', () => store.delete('k')], ['hit', () => store.hit('k', 60)],
        ['count', () => store.count('k', 60)], ['addToSet', () => store.addToSet('k', 'm', new Date(Date.now() + 60_000))],
        ['removeFromSet', () => store.removeFromSet('k', 'm')], ['membersOf', () => store.membersOf('k', 10)],
      ];
      for (const [name, operation] of operations) {
        expect(await operation().then(() => null, (err: unknown) => err), name).to.be.instanceOf(ServiceUnavailable);
      }
    } finally {
      client.disconnect();
      await redis.stop();
    }
  });
});
