/** Redis stops while the hub runs: clear 503 answers, then the hub recovers on its own. */
import { expect } from 'chai';
import { Browser } from '../../testing/harness/browser.js';
import { PASSWORD, PORTAL_SECRET, REDIRECT, seedPeople, testClients, testResources } from '../../testing/harness/fixtures.js';
import { startTestHub, type TestHub } from '../../testing/harness/hub.js';
import { spawnRedis, type RedisServer } from '../../testing/harness/redis.js';
import { discover, exchange, signIn, startAuthorization } from '../../testing/harness/rp.js';

async function until(check: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('Redis outage at run time', function () {
  this.timeout(30_000);
  let redis: RedisServer;
  let hub: TestHub;

  before(async () => {
    redis = await spawnRedis();
    hub = await startTestHub({ redis: redis.url, config: { clients: testClients(), oidc: { resources: testResources } } });
    await seedPeople(hub.hub.store);
  });
  after(async () => {
    await hub?.stop();
    await redis?.stop();
  });

  it('answers 503 (or temporarily_unavailable to the RP), reports not ready, then recovers', async () => {
    const portal = await discover(hub.url, 'portal');
    const earlier = await exchange(portal, await signIn(new Browser(), portal, 'zoe.test', PASSWORD));
    const browser = new Browser();
    const loginPage = await browser.follow((await startAuthorization(portal)).url.href, REDIRECT);
    expect(loginPage.status).to.equal(200);
    await redis.stop();

    // The authorization endpoint tells the RP, as OAuth 2.0 says, once it knows where to.
    const auth = await new Browser().request((await startAuthorization(portal)).url.href);
    expect(new URL(auth.location!).searchParams.get('error')).to.equal('temporarily_unavailable');

    // The hub's own pages say it to the person.
    const page = await browser.request(loginPage.url);
    expect(page.status).to.equal(503);
    expect(page.body).to.include('indisponible');
    expect(page.body).not.to.match(/ECONNREFUSED|\n\s+at /);

    // The token endpoint says it to the RP's back end.
    const refresh = await fetch(`${hub.url}/token`, {
      method: 'POST',
      headers: { authorization: `Basic ${Buffer.from(`portal:${PORTAL_SECRET}`).toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: earlier.refresh_token! }),
    });
    expect(refresh.status).to.equal(503);
    expect(await refresh.json()).to.include({ error: 'temporarily_unavailable' });

    const ready = await fetch(`${hub.url}/readyz`);
    expect(ready.status).to.equal(503);
    expect(await ready.json()).to.deep.include({ checks: { database: 'ok', redis: 'unavailable' } });
    expect((await fetch(`${hub.url}/healthz`)).status).to.equal(200);

    await redis.restart();
    await until(async () => (await fetch(`${hub.url}/readyz`)).status === 200, 10_000);
    const tokens = await exchange(portal, await signIn(new Browser(), portal, 'zoe.test', PASSWORD));
    expect(tokens.access_token).to.be.a('string');
  });
});
