/**
 * Every log line written while a request is handled names the request and its tenant (once
 * known): the hub's log lines are read as written, after a real login.
 */
import { expect } from 'chai';
import { CLI_OPERATOR } from '../../src/identity/actor.js';
import { addClient } from '../../src/oidc/client-service.js';
import { Browser } from '../../testing/harness/browser.js';
import { PASSWORD, seedPeople, testClients, testResources } from '../../testing/harness/fixtures.js';
import { startTestHub, type TestHub } from '../../testing/harness/hub.js';
import { discover, signIn } from '../../testing/harness/rp.js';
import { grantTo, scriptClient } from '../admin/kit.js';

interface Line {
  msg: string;
  requestId?: string;
  tenant?: string | null;
  method?: string;
  path?: string;
}

describe('log lines of a request', function () {
  this.timeout(60_000);
  const lines: Line[] = [];
  let hub: TestHub;

  before(async () => {
    hub = await startTestHub({
      config: { clients: testClients(), oidc: { resources: testResources }, log: { level: 'info' } },
      logDestination: { write: (line: string) => void lines.push(JSON.parse(line) as Line) },
    });
    await seedPeople(hub.hub.store);
  });
  after(() => hub?.stop());

  it('carry the request id and, from the moment the account is known, its tenant', async () => {
    lines.length = 0;
    await signIn(new Browser(), await discover(hub.url, 'portal'), 'zoe.test', PASSWORD);
    const requests = lines.filter((l) => l.msg === 'request');
    expect(requests.length).to.be.at.least(3);
    for (const line of requests) expect(line.requestId, JSON.stringify(line)).to.match(/^[0-9a-f-]{36}$/);
    expect(new Set(requests.map((l) => l.requestId)).size, 'one id per request').to.equal(requests.length);
    const login = requests.filter((l) => l.method === 'POST' && /^\/interaction\/[^/]+\/login$/.test(l.path ?? ''));
    expect(login).to.have.length(1);
    const duringLogin = lines.filter((l) => l.requestId === login[0]!.requestId);
    for (const line of duringLogin) expect(line.tenant, JSON.stringify(line)).to.equal('lille');
    const discovery = requests.find((l) => l.path === '/.well-known/openid-configuration');
    expect(discovery, 'a request about no tenant').to.have.property('tenant', null);
  });

  it('name the tenant of a tenant’s client at the token endpoint', async () => {
    const { secret } = await addClient({ store: hub.hub.store, config: hub.config }, CLI_OPERATOR, {
      clientId: 'lille-app', tenantId: 'lille', public: false, settings: { name: 'Lille app', redirectUris: ['https://app.example/cb'], scopes: ['openid'], grantTypes: ['client_credentials'] },
    });
    lines.length = 0;
    const res = await fetch(`${hub.url}/token`, {
      method: 'POST',
      headers: { authorization: `Basic ${Buffer.from(`lille-app:${secret!}`).toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' },
      body: 'grant_type=client_credentials&scope=openid',
    });
    expect(res.status).to.equal(200);
    const token = lines.find((l) => l.msg === 'request' && l.path === '/token');
    expect(token).to.include({ tenant: 'lille' });
  });

  it('name the tenant an admin API route is about', async () => {
    const admin = await scriptClient(hub, 'logs-lille-admin');
    await grantTo(hub, admin.clientId, 'tenant-admin', 'lille');
    lines.length = 0;
    const res = await fetch(`${hub.url}/admin/api/tenants/lille/audit`, { headers: { authorization: `Bearer ${admin.token}` } });
    expect(res.status).to.equal(200);
    expect(lines.find((l) => l.msg === 'request' && l.path === '/admin/api/tenants/lille/audit')).to.include({ tenant: 'lille' });
  });

  it('keep an incoming X-Request-Id, and name the request in the lines its modules write', async () => {
    lines.length = 0;
    const res = await fetch(`${hub.url}/interaction/x/login`, { method: 'POST', headers: { 'x-request-id': 'trace-42', 'content-type': 'application/x-www-form-urlencoded' }, body: 'login=%00' });
    expect(res.headers.get('x-request-id')).to.equal('trace-42');
    const mine = lines.filter((l) => l.requestId === 'trace-42');
    expect(mine.map((l) => l.msg)).to.include('request');
    expect(lines.filter((l) => l.requestId !== 'trace-42'), 'every line of this request names it').to.deep.equal([]);
  });
});
