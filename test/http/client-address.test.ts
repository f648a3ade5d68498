/**
 * The client's address behind reverse proxies: only what the trusted proxies appended to
 * X-Forwarded-For counts. A small Koa app shows the rule; a running hub shows the per-address
 * limit and the audit log can no longer be given a made-up address.
 */
import { createServer, type Server } from 'node:http';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { expect } from 'chai';
import Koa from 'koa';
import { configSchema } from '../../src/config/schema.js';
import { clientAddress, type TrustProxy } from '../../src/http/client-address.js';
import { Browser, formAction } from '../../testing/harness/browser.js';
import { REDIRECT, seedPeople, testClients, testResources } from '../../testing/harness/fixtures.js';
import { startTestHub, type TestHub } from '../../testing/harness/hub.js';
import { discover, startAuthorization } from '../../testing/harness/rp.js';

async function echoServer(trust: TrustProxy): Promise<{ url: string; server: Server }> {
  const app = new Koa({ proxy: trust !== false });
  app.use(clientAddress(trust));
  app.use((ctx) => {
    ctx.body = { ip: ctx.ip, protocol: ctx.protocol, host: ctx.host };
  });
  const server = createServer(app.callback()).listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`, server };
}

async function seenBy(trust: TrustProxy, headers: Record<string, string>): Promise<{ ip: string; protocol: string; host: string }> {
  const { url, server } = await echoServer(trust);
  try {
    return (await (await fetch(url, { headers })).json()) as { ip: string; protocol: string; host: string };
  } finally {
    server.close();
  }
}

const LOOPBACK = /^(::ffff:)?127\.0\.0\.1$/;

describe('client address behind proxies', () => {
  describe('the rule', () => {
    it('ignores X-Forwarded-* when no proxy is trusted', async () => {
      const seen = await seenBy(false, { 'x-forwarded-for': '203.0.113.9', 'x-forwarded-proto': 'https', 'x-forwarded-host': 'evil.example' });
      expect(seen.ip).to.match(LOOPBACK);
      expect(seen.protocol).to.equal('http');
      expect(seen.host).to.match(/^127\.0\.0\.1:/);
    });

    it('takes the rightmost entry a trusted proxy added, not the leftmost one a client wrote', async () => {
      const seen = await seenBy(['loopback'], { 'x-forwarded-for': '203.0.113.9, 198.51.100.7', 'x-forwarded-proto': 'https' });
      expect(seen.ip).to.equal('198.51.100.7');
      expect(seen.protocol).to.equal('https');
    });

    it('walks back through every trusted proxy of the list', async () => {
      expect((await seenBy(['loopback', '10.0.0.0/8'], { 'x-forwarded-for': '203.0.113.9, 198.51.100.7, 10.1.2.3' })).ip).to.equal('198.51.100.7');
    });

    it('counts hops: N trusts the peer and the N-1 entries before it', async () => {
      const headers = { 'x-forwarded-for': '203.0.113.9, 198.51.100.7, 10.1.2.3' };
      expect((await seenBy(1, headers)).ip).to.equal('10.1.2.3');
      expect((await seenBy(2, headers)).ip).to.equal('198.51.100.7');
    });

    it('reads `true` as one proxy, never as "believe the whole list"', async () => {
      expect((await seenBy(true, { 'x-forwarded-for': '203.0.113.9, 198.51.100.7' })).ip).to.equal('198.51.100.7');
    });

    it('believes nothing from a peer outside the trusted list', async () => {
      const seen = await seenBy(['10.0.0.0/8'], { 'x-forwarded-for': '203.0.113.9', 'x-forwarded-proto': 'https' });
      expect(seen.ip).to.match(LOOPBACK);
      expect(seen.protocol).to.equal('http');
    });

    it('refuses a proxy list that is not addresses or ranges at load', () => {
      expect(configSchema.safeParse({ http: { trustProxy: ['not an address'] } }).success).to.equal(false);
      expect(configSchema.safeParse({ http: { trustProxy: ['10.0.0.0/8', 'loopback'] } }).success).to.equal(true);
    });
  });

  describe('a hub behind a proxy', function () {
    this.timeout(30_000);
    let hub: TestHub;
    before(async () => {
      hub = await startTestHub({ config: { http: { trustProxy: ['loopback'] }, oidc: { resources: testResources }, clients: testClients(), auth: { throttle: { ipMaxFailures: 5, delayAfter: 100 } } } });
      await seedPeople(hub.hub.store);
    });
    after(() => hub?.stop());

    it('limits the real address although each attempt claims another one, and audits the real one', async () => {
      const portal = await discover(hub.url, 'portal');
      const statuses: number[] = [];
      for (let i = 0; i < 7; i += 1) {
        const browser = new Browser();
        const headers = { 'x-forwarded-for': `203.0.113.${i + 1}, 198.51.100.7` };
        const page = await browser.request((await startAuthorization(portal)).url.href, { headers });
        expect(page.status, page.body.slice(0, 200)).to.equal(303);
        const login = await browser.follow(page.location!, REDIRECT);
        const answer = await browser.request(formAction(login, /\/login/), { form: { login: `nobody${i}`, password: 'wrong guess' }, headers });
        statuses.push(answer.status);
      }
      expect(statuses.slice(0, 5)).to.deep.equal([401, 401, 401, 401, 401]);
      expect(statuses.slice(5)).to.deep.equal([429, 429]);
      const failures = (await hub.hub.store.audit.list({ limit: 20 })).filter((e) => e.type === 'login.failure');
      expect(failures).to.have.length.greaterThan(0);
      expect(new Set(failures.map((e) => e.ip))).to.deep.equal(new Set(['198.51.100.7']));
    });
  });
});
