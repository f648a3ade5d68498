/**
 * The admin API over HTTP on a running hub: authentication with the hub's own tokens, the
 * problem+json errors, and the OpenAPI document (validated against the OpenAPI 3.1 schema, every
 * declared route in it).
 */
import { Validator } from '@seriousme/openapi-schema-validator';
import { expect } from 'chai';
import { startTestHub, type TestHub } from '../../testing/harness/hub.js';
import { api, clientToken, grantTo, scriptClient, type ScriptClient } from './kit.js';

describe('admin API', function () {
  this.timeout(60_000);
  let hub: TestHub;
  let lilleAdmin: ScriptClient;

  before(async () => {
    hub = await startTestHub();
    lilleAdmin = await scriptClient(hub, 'script-lille-admin');
    await grantTo(hub, lilleAdmin.clientId, 'tenant-admin', 'lille');
  });
  after(() => hub?.stop());

  describe('the OpenAPI document', () => {
    it('is a valid OpenAPI 3.1 document with its security scheme', async () => {
      const answer = await api(hub, null, 'GET', '/openapi.json');
      expect(answer.status).to.equal(200);
      const validator = new Validator();
      const result = await validator.validate(answer.body);
      expect(result.errors ?? [], JSON.stringify(result.errors, null, 1)).to.deep.equal([]);
      expect(result.valid).to.equal(true);
      expect(answer.body.openapi).to.equal('3.1.0');
      expect(answer.body.components.securitySchemes.hubOAuth.flows.clientCredentials.tokenUrl).to.equal(`${hub.url}/token`);
    });

    it('describes every declared route, with its parameters and answers', async () => {
      const { body } = await api(hub, null, 'GET', '/openapi.json');
      const routes = hub.hub.adminRoutes;
      expect(routes.length).to.be.greaterThan(10);
      for (const route of routes) {
        const operation = body.paths[route.path.replace(/:(\w+)/g, '{$1}')]?.[route.method];
        expect(operation, `${route.method} ${route.path}`).to.be.an('object');
        expect(operation.operationId).to.equal(route.operationId);
        for (const name of [...route.path.matchAll(/:(\w+)/g)].map((m) => m[1])) {
          expect(operation.parameters.some((p: { name: string; in: string }) => p.name === name && p.in === 'path'), `${route.operationId} :${name}`).to.equal(true);
        }
        expect(operation.responses[String(route.reply.status)], route.operationId).to.be.an('object');
      }
      const ids = routes.map((r) => r.operationId);
      expect(new Set(ids).size).to.equal(ids.length);
    });
  });

  describe('authentication', () => {
    it('refuses a request without a token: 401, problem+json, WWW-Authenticate', async () => {
      const answer = await api(hub, null, 'GET', '/me');
      expect(answer.status).to.equal(401);
      expect(answer.type).to.match(/^application\/problem\+json/);
      expect(answer.body).to.include({ status: 401, code: 'unauthenticated', title: 'Unauthorized' });
      expect(answer.body.detail).to.match(/access token is required/);
      expect(answer.text).not.to.match(/at .*\.ts:\d+/);
    });

    it('refuses an unknown token and a token of another scheme', async () => {
      expect((await api(hub, 'not-a-real-token-at-all', 'GET', '/me')).status).to.equal(401);
      const basic = await fetch(`${hub.url}/admin/api/me`, { headers: { authorization: `Basic ${Buffer.from('a:b').toString('base64')}` } });
      expect(basic.status).to.equal(401);
    });

    it('refuses a token without the admin scope, and a client holding no role', async () => {
      const plain = await scriptClient(hub, 'script-no-admin-scope', ['openid']);
      const noScope = await api(hub, plain.token, 'GET', '/me');
      expect(noScope.status).to.equal(403);
      expect(noScope.body.detail).to.match(/admin" scope/);
      const roleless = await scriptClient(hub, 'script-roleless');
      const answer = await api(hub, roleless.token, 'GET', '/me');
      expect(answer.status).to.equal(403);
      expect(answer.body.detail).to.match(/holds no admin role/);
    });

    it('stops accepting a token once revoked at the hub', async () => {
      const token = await clientToken(hub, lilleAdmin.clientId, lilleAdmin.secret, 'admin');
      expect((await api(hub, token, 'GET', '/me')).status).to.equal(200);
      const revoked = await fetch(`${hub.url}/token/revocation`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${Buffer.from(`${lilleAdmin.clientId}:${lilleAdmin.secret}`).toString('base64')}` },
        body: new URLSearchParams({ token }).toString(),
      });
      expect(revoked.status).to.equal(200);
      expect((await api(hub, token, 'GET', '/me')).status).to.equal(401);
    });
  });

  describe('errors', () => {
    it('names each invalid field of a body', async () => {
      const answer = await api(hub, lilleAdmin.token, 'POST', '/tenants/lille/clients', { clientId: 'X', public: 'yes' });
      expect(answer.status).to.equal(400);
      expect(answer.body.code).to.equal('invalid_input');
      const paths = answer.body.errors.map((e: { path: string }) => e.path);
      expect(paths).to.include.members(['clientId', 'public', 'name', 'redirectUris', 'scopes']);
    });

    it('answers malformed JSON and unknown routes with problem+json', async () => {
      const malformed = await fetch(`${hub.url}/admin/api/tenants/lille/clients`, {
        method: 'POST', headers: { authorization: `Bearer ${lilleAdmin.token}`, 'content-type': 'application/json' }, body: '{"clientId":',
      });
      expect(malformed.status).to.equal(400);
      expect(malformed.headers.get('content-type')).to.match(/problem\+json/);
      const unknown = await api(hub, lilleAdmin.token, 'GET', '/nothing-here');
      expect(unknown.status).to.equal(404);
      expect(unknown.type).to.match(/problem\+json/);
    });

    it('answers an unknown tenant with 404 to a platform admin and 403 to a tenant admin', async () => {
      const platform = await scriptClient(hub, 'script-platform-admin');
      await grantTo(hub, platform.clientId, 'platform-admin', null);
      expect((await api(hub, platform.token, 'GET', '/tenants/nowhere/clients')).status).to.equal(404);
      expect((await api(hub, lilleAdmin.token, 'GET', '/tenants/nowhere/clients')).status).to.equal(403);
    });
  });

  describe('clients', () => {
    it('creates a tenant client whose secret is shown once and works at the token endpoint, then rotates it', async () => {
      const created = await api(hub, lilleAdmin.token, 'POST', '/tenants/lille/clients', {
        clientId: 'lille-script-app', name: 'Appli', public: false, redirectUris: ['https://app.example/cb'], scopes: ['openid'], grantTypes: ['client_credentials', 'authorization_code'],
      });
      expect(created.status).to.equal(201);
      expect(created.body.secret).to.be.a('string').with.length.greaterThan(30);
      const listed = await api(hub, lilleAdmin.token, 'GET', '/tenants/lille/clients');
      expect(JSON.stringify(listed.body)).not.to.include(created.body.secret);
      expect(await clientToken(hub, 'lille-script-app', created.body.secret, 'openid')).to.be.a('string');
      const rotated = await api(hub, lilleAdmin.token, 'POST', '/tenants/lille/clients/lille-script-app/secret');
      expect(rotated.status).to.equal(201);
      await clientToken(hub, 'lille-script-app', created.body.secret, 'openid').then(() => expect.fail('the old secret still works'), () => undefined);
      expect(await clientToken(hub, 'lille-script-app', rotated.body.secret, 'openid')).to.be.a('string');
      const events = await hub.hub.store.forTenant('lille').audit.list();
      const rotation = events.find((e) => e.type === 'client.secret_rotated');
      expect(rotation?.details).to.include({ by: 'admin', client: lilleAdmin.clientId, role: 'tenant-admin', adminTenant: 'lille' });
    });

    it('does not show or change another tenant\'s client', async () => {
      const amiens = await scriptClient(hub, 'script-amiens-admin');
      await grantTo(hub, amiens.clientId, 'tenant-admin', 'amiens');
      expect((await api(hub, amiens.token, 'GET', '/tenants/amiens/clients/lille-script-app')).status).to.equal(404);
      expect((await api(hub, amiens.token, 'POST', '/tenants/amiens/clients/lille-script-app/secret')).status).to.equal(404);
      expect((await api(hub, amiens.token, 'GET', '/tenants/lille/clients')).status).to.equal(403);
    });
  });

  describe('audit export', () => {
    it('streams the events the filters keep as JSON lines, one object per line', async () => {
      const res = await fetch(`${hub.url}/admin/api/tenants/lille/audit.jsonl?type=client.`, { headers: { authorization: `Bearer ${lilleAdmin.token}` } });
      expect(res.status).to.equal(200);
      expect(res.headers.get('content-type')).to.equal('application/x-ndjson; charset=utf-8');
      const text = await res.text();
      expect(text.endsWith('\n')).to.equal(true);
      const events = text.trimEnd().split('\n').map((line) => JSON.parse(line) as { type: string; tenantId: string });
      expect(events.map((e) => e.type)).to.include('client.secret_rotated');
      for (const event of events) expect(event).to.include({ tenantId: 'lille' }).and.have.property('type').that.match(/^client\./);
      expect((await fetch(`${hub.url}/admin/api/tenants/lille/audit.jsonl`)).status).to.equal(401);
    });
  });
});
