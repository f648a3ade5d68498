/**
 * Redis behind Sentinel: the master is killed while people sign in; the sentinels promote the
 * replica, the hub follows it. In between a request may get 503 (never a 500, never a crash);
 * after it, sign-ins and token requests work again, and a session opened before still does.
 */
import { expect } from 'chai';
import { Browser, type Page, type RequestInit } from '../../testing/harness/browser.js';
import { PASSWORD, PORTAL_SECRET, REDIRECT, seedPeople, testClients, testResources } from '../../testing/harness/fixtures.js';
import { startTestHub, type TestHub } from '../../testing/harness/hub.js';
import { randomPrefix } from '../../testing/harness/redis.js';
import { discover, exchange, signIn, startAuthorization } from '../../testing/harness/rp.js';
import { startSentinelGroup, type SentinelGroup } from '../../testing/harness/sentinel.js';

/** A browser that keeps every answer it got, to tell a refusal (503) from a failure (500). */
class RecordingBrowser extends Browser {
  readonly pages: Page[] = [];

  override async request(url: string, init: RequestInit = {}): Promise<Page> {
    const page = await super.request(url, init);
    this.pages.push(page);
    return page;
  }
}

interface Attempt {
  ok: boolean;
  /** Every HTTP status seen, the token request's included. */
  statuses: number[];
  /** The hub said it was unavailable (503, or temporarily_unavailable to the RP). */
  refused: boolean;
  error?: string;
}

type Rp = Awaited<ReturnType<typeof discover>>;

/** One sign-in and its token request, as a person and an RP do it. */
async function attempt(portal: Rp): Promise<Attempt> {
  const browser = new RecordingBrowser();
  const seen = (): { statuses: number[]; refused: boolean } => ({
    statuses: browser.pages.map((p) => p.status),
    refused: browser.pages.some((p) => p.status === 503 || Boolean(p.location?.includes('error=temporarily_unavailable'))),
  });
  try {
    const tokens = await exchange(portal, await signIn(browser, portal, 'zoe.test', PASSWORD));
    return { ok: typeof tokens.access_token === 'string', ...seen() };
  } catch (err) {
    // openid-client's errors carry the token endpoint's answer: its status and error code, or the response itself.
    const token = err as { status?: number; error?: string; message?: string; cause?: { status?: unknown } };
    const status = token.status ?? (typeof token.cause?.status === 'number' ? token.cause.status : undefined);
    const { statuses, refused } = seen();
    return {
      ok: false,
      statuses: status ? [...statuses, status] : statuses,
      refused: refused || status === 503 || token.error === 'temporarily_unavailable',
      error: token.message,
    };
  }
}

async function until(check: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('Redis Sentinel failover', function () {
  this.timeout(90_000);
  let group: SentinelGroup;
  let hub: TestHub;

  before(async () => {
    group = await startSentinelGroup();
    hub = await startTestHub({
      redis: 'memory',
      config: {
        redis: { sentinels: group.sentinels, name: group.name, keyPrefix: randomPrefix() },
        clients: testClients(),
        oidc: { resources: testResources },
      },
    });
    await seedPeople(hub.hub.store);
  });
  after(async () => {
    await hub?.stop();
    await group?.stop();
  });

  /**
   * Signs in a loop while `trigger` makes the sentinels fail over; checks the refusals, the
   * recovery, and that what was made before still works.
   */
  async function failover(trigger: (master: { host: string; port: number }) => Promise<void>): Promise<void> {
    const portal = await discover(hub.url, 'portal');
    const earlier = new Browser();
    const before = await exchange(portal, await signIn(earlier, portal, 'zoe.test', PASSWORD));
    const oldMaster = await group.masterAddress();
    await group.waitForReplication();

    const attempts: Attempt[] = [];
    let running = true;
    const loop = (async () => {
      while (running) {
        const tried = await attempt(portal);
        attempts.push(tried);
        // A refusal comes at once: a short pause, as a person would, rather than a busy loop.
        if (!tried.ok) await new Promise((r) => setTimeout(r, 50));
      }
    })();
    await until(() => attempts.filter((a) => a.ok).length >= 2, 10_000);

    await trigger(oldMaster);
    const triggeredAt = Date.now();
    const atTrigger = attempts.length;
    const promoted = await group.waitForNewMaster(oldMaster);
    expect(promoted.port).not.to.equal(oldMaster.port);
    const atPromotion = attempts.length;
    await until(() => attempts.slice(atPromotion).filter((a) => a.ok).length >= 3, 20_000);
    const recoveredAfterMs = Date.now() - triggeredAt;
    running = false;
    await loop;

    const failed = attempts.filter((a) => !a.ok);
    for (const a of failed) {
      expect(a.statuses.filter((s) => s >= 500 && s !== 503), JSON.stringify(a)).to.deep.equal([]);
      expect(a.refused, `a failure that is not a refusal: ${JSON.stringify(a)}`).to.equal(true);
    }
    expect(attempts.slice(0, atTrigger).every((a) => a.ok), 'every attempt before the failover succeeds').to.equal(true);
    expect(recoveredAfterMs).to.be.below(30_000);

    // The hub session opened before the failover: the sign-in goes through without the login page.
    const start = await startAuthorization(portal);
    const again = await earlier.follow(start.url.href, REDIRECT);
    expect(again.location, `${again.status} ${again.body.slice(0, 200)}`).to.match(/^https:\/\/rp\.example\/cb\?code=/);
    const tokens = await exchange(portal, { callback: new URL(again.location!), verifier: start.verifier, state: start.state, nonce: start.nonce });
    expect(tokens.access_token).to.be.a('string');

    // The refresh token issued before the failover.
    const refreshed = await fetch(`${hub.url}/token`, {
      method: 'POST',
      headers: { authorization: `Basic ${Buffer.from(`portal:${PORTAL_SECRET}`).toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: before.refresh_token! }),
    });
    expect(refreshed.status).to.equal(200);
    console.log(`      ${attempts.length} sign-ins, ${failed.length} refused (503), served again ${recoveredAfterMs} ms after the failover began`);
  }

  // The old master stays, demoted to a replica of the new one: the next test fails over back to it.
  it('follows a failover asked of the sentinels (SENTINEL FAILOVER)', () => failover(() => group.failover()));

  it('follows the promoted replica when the master is killed; 503 at worst during the switch; sessions opened before survive', () =>
    failover(async (master) => group.servers.find((s) => s.port === master.port)!.stop('SIGKILL')));
});
