/**
 * The tenant middleware on a small router, as the admin API will mount it: the tenant a route
 * names reaches the handler from the tenant directory; an unknown one gets the hub's 404 page.
 */
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import Router from '@koa/router';
import { expect } from 'chai';
import Koa from 'koa';
import { PROJECT_ROOT } from '../../src/config/load.js';
import { configSchema } from '../../src/config/schema.js';
import { errorHandler } from '../../src/http/errors.js';
import { requestContext } from '../../src/http/request-context.js';
import { tenantContext } from '../../src/http/tenant-context.js';
import { createLogger } from '../../src/shared/logger.js';
import { openSqlStore, type SqlStore } from '../../src/storage/sql/index.js';
import { TenantDirectory, type KnownTenant } from '../../src/wiring/tenants.js';

describe('http/tenant-context: the tenant a route names, in ctx.state.tenant', () => {
  let store: SqlStore;
  let server: Server;
  let url: string;

  before(async () => {
    store = await openSqlStore('sqlite::memory:');
    const tenants = await TenantDirectory.open(configSchema.parse({ tenants: { dir: join(PROJECT_ROOT, 'tenants') } }), store);
    const log = createLogger('silent');
    const router = new Router({ prefix: '/admin/tenants' });
    router.get('/:tenant/accounts', tenantContext(tenants), async (ctx) => {
      const tenant = ctx.state.tenant as KnownTenant;
      ctx.body = { id: tenant.id, name: tenant.name, scope: tenant.scope.tenantId, sources: tenant.declaration?.directorySources.map((s) => s.id) };
    });
    const byHeader = new Router();
    byHeader.get('/whoami', tenantContext(tenants, (ctx) => ctx.get('x-tenant') || undefined), (ctx) => {
      ctx.body = { id: (ctx.state.tenant as KnownTenant).id };
    });
    const app = new Koa();
    app.use(requestContext(log));
    app.use(errorHandler(log));
    app.use(router.routes());
    app.use(byHeader.routes());
    server = createServer(app.callback()).listen(0, '127.0.0.1');
    await once(server, 'listening');
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  after(async () => {
    server.close();
    await store.close();
  });

  it('gives the handler the tenant of the :tenant parameter, with its settings and its store scope', async () => {
    const response = await fetch(`${url}/admin/tenants/lille/accounts`);
    expect(response.status).to.equal(200);
    expect(await response.json()).to.deep.equal({ id: 'lille', name: 'Académie de Lille', scope: 'lille', sources: ['AC-LILLE'] });
  });

  it('answers an unknown tenant with the hub’s 404 page, in French by default', async () => {
    const response = await fetch(`${url}/admin/tenants/atlantis/accounts`, { headers: { accept: 'text/html' } });
    expect(response.status).to.equal(404);
    const page = await response.text();
    expect(page).to.include('Page introuvable');
    expect(page).to.include('<html lang="fr"');
  });

  it('answers an unknown tenant in JSON to an API client', async () => {
    const response = await fetch(`${url}/admin/tenants/atlantis/accounts`, { headers: { accept: 'application/json' } });
    expect(response.status).to.equal(404);
    expect(await response.json()).to.deep.include({ error: 'not_found' });
  });

  it('takes the tenant from a resolver the router gives', async () => {
    expect(await (await fetch(`${url}/whoami`, { headers: { 'x-tenant': 'amiens' } })).json()).to.deep.equal({ id: 'amiens' });
    expect((await fetch(`${url}/whoami`, { headers: { accept: 'text/html' } })).status).to.equal(404);
  });
});
