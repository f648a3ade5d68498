/**
 * What a token is worth, asked the way resource servers and browsers ask: introspection follows
 * the account's state, a client gets tokens only for the APIs it holds scopes of, a tenant's
 * client serves only its tenant, an essential `acr` claim is honoured, and cross-origin calls
 * are answered only for the origins a public client declared.
 */
import { expect } from 'chai';
import * as oidc from 'openid-client';
import { decodeJwt } from 'jose';
import { hashPassword } from '../../src/auth/passwords.js';
import { clientRecordFromConfig } from '../../src/oidc/clients.js';
import { configSchema } from '../../src/config/schema.js';
import { sha256Hex } from '../../src/shared/ids.js';
import { Browser, formAction, hiddenInputs } from '../../testing/harness/browser.js';
import { API, PASSWORD, PORTAL_SECRET, REDIRECT, seedPeople, testClients, testResources, type Fixture } from '../../testing/harness/fixtures.js';
import { startTestHub, type TestHub } from '../../testing/harness/hub.js';
import { discover, exchange, signIn, startAuthorization } from '../../testing/harness/rp.js';

const PARTNER_SECRET = 'partner-secret-for-tests-only';
const SPA_ORIGIN = 'https://spa.example';
const LILLE_APP = 'lille-app';

function basic(clientId: string, secret: string): string {
  return `Basic ${Buffer.from(`${encodeURIComponent(clientId)}:${encodeURIComponent(secret)}`).toString('base64')}`;
}

describe('token rules', function () {
  this.timeout(60_000);
  let hub: TestHub;
  let people: Fixture;
  let portal: oidc.Configuration;

  before(async () => {
    hub = await startTestHub({
      config: {
        oidc: { resources: testResources },
        auth: { throttle: { lockAfter: 3, delayAfter: 100 } },
        clients: [
          ...testClients(),
          {
            clientId: 'partner', name: 'Partenaire', secretSha256: sha256Hex(PARTNER_SECRET), redirectUris: [REDIRECT],
            grantTypes: ['authorization_code', 'client_credentials'], scopes: ['openid', 'profile'],
          },
          { clientId: 'browser-app', name: 'Appli web', redirectUris: [`${SPA_ORIGIN}/cb`], scopes: ['openid', 'profile'], webOrigins: [SPA_ORIGIN] },
        ],
      },
    });
    people = await seedPeople(hub.hub.store);
    portal = await discover(hub.url, 'portal');
    const [tenantClient] = configSchema.shape.clients.parse([{ clientId: LILLE_APP, name: 'Appli de Lille', redirectUris: [REDIRECT], scopes: ['openid', 'profile'] }]);
    await hub.hub.store.forTenant('lille').clients.create(clientRecordFromConfig(tenantClient!), 'cli');
    await hub.hub.store.forTenant('amiens').accounts.create({
      login: 'leo.amiens', firstName: 'Léo', lastName: 'Amiens', profile: 'Student', status: 'active', passwordHash: await hashPassword(PASSWORD), source: 'local',
    });
  });
  after(() => hub?.stop());

  async function introspect(token: string, client = 'portal', secret = PORTAL_SECRET): Promise<Record<string, unknown>> {
    const res = await fetch(`${hub.url}/token/introspection`, {
      method: 'POST', headers: { authorization: basic(client, secret), 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ token }),
    });
    expect(res.status).to.equal(200);
    return (await res.json()) as Record<string, unknown>;
  }

  async function tokensOf(login: string) {
    return exchange(portal, await signIn(new Browser(), portal, login, PASSWORD, { scope: 'openid profile offline_access', prompt: 'consent' }));
  }

  async function expectAllRefused(tokens: oidc.TokenEndpointResponse) {
    expect(await introspect(tokens.access_token), 'access token').to.deep.equal({ active: false });
    expect(await introspect(tokens.refresh_token!), 'refresh token').to.deep.equal({ active: false });
    const userinfo = await fetch(`${hub.url}/me`, { headers: { authorization: `Bearer ${tokens.access_token}` } });
    expect(userinfo.status, 'userinfo').to.equal(401);
    let refreshError: unknown;
    await oidc.refreshTokenGrant(portal, tokens.refresh_token!).catch((err: unknown) => (refreshError = err));
    expect(refreshError, 'refresh').to.be.instanceOf(oidc.ResponseBodyError).and.have.property('error', 'invalid_grant');
  }

  describe('introspection and the account’s state', () => {
    it('answers active for a live account’s tokens', async () => {
      const tokens = await tokensOf('zoe.test');
      expect(await introspect(tokens.access_token)).to.include({ active: true, sub: people.pupilId });
      expect(await introspect(tokens.refresh_token!)).to.include({ active: true, sub: people.pupilId });
    });

    it('answers inactive for tokens issued before a password change', async () => {
      const tokens = await tokensOf('zoe.test');
      await hub.hub.store.forTenant('lille').accounts.update(people.pupilId, { passwordChangedAt: new Date(Date.now() + 2000) });
      try {
        await expectAllRefused(tokens);
      } finally {
        await hub.hub.store.forTenant('lille').accounts.update(people.pupilId, { passwordChangedAt: new Date(Date.now() - 10_000) });
      }
    });

    for (const status of ['disabled', 'disappeared'] as const) {
      it(`answers inactive once the account is ${status}`, async () => {
        const tokens = await tokensOf('marc.test');
        await hub.hub.store.forTenant('lille').accounts.update(people.parentId, { status });
        try {
          await expectAllRefused(tokens);
        } finally {
          await hub.hub.store.forTenant('lille').accounts.update(people.parentId, { status: 'active' });
        }
      });
    }

    it('answers inactive once the account is deleted', async () => {
      const lille = hub.hub.store.forTenant('lille');
      await lille.accounts.create({ login: 'gone.test', firstName: 'Gone', lastName: 'Test', profile: 'Teacher', status: 'active', passwordHash: await hashPassword(PASSWORD), source: 'local' });
      const tokens = await tokensOf('gone.test');
      await lille.accounts.delete(String(decodeJwt(tokens.id_token!).sub));
      await expectAllRefused(tokens);
    });

    it('answers inactive while the login is locked by failed attempts, and active again once unlocked', async () => {
      const lille = hub.hub.store.forTenant('lille');
      await lille.accounts.create({ login: 'target.test', firstName: 'Target', lastName: 'Test', profile: 'Teacher', status: 'active', passwordHash: await hashPassword(PASSWORD), source: 'local' });
      const tokens = await tokensOf('target.test');
      const attacker = new Browser();
      for (let i = 0; i < 3; i += 1) {
        const page = await attacker.follow((await startAuthorization(portal)).url.href, REDIRECT);
        await attacker.request(formAction(page, /\/login/), { form: { login: 'target.test', password: 'wrong guess' } });
      }
      expect(await introspect(tokens.access_token)).to.deep.equal({ active: false });
      expect(await introspect(tokens.refresh_token!)).to.deep.equal({ active: false });
      expect((await fetch(`${hub.url}/me`, { headers: { authorization: `Bearer ${tokens.access_token}` } })).status).to.equal(401);
    });
  });

  describe('audiences', () => {
    async function clientCredentials(client: string, secret: string, params: Record<string, string>) {
      const res = await fetch(`${hub.url}/token`, {
        method: 'POST', headers: { authorization: basic(client, secret), 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ grant_type: 'client_credentials', ...params }),
      });
      return { status: res.status, body: (await res.json()) as Record<string, unknown> };
    }

    it('gives a client holding an API’s scope a token for that API', async () => {
      const res = await clientCredentials('portal', PORTAL_SECRET, { resource: API, scope: 'timetable.read' });
      expect(res.status, JSON.stringify(res.body)).to.equal(200);
      expect(decodeJwt(String(res.body.access_token))).to.include({ aud: API, scope: 'timetable.read' });
    });

    it('refuses client credentials for an API the client holds no scope of (invalid_target)', async () => {
      const res = await clientCredentials('partner', PARTNER_SECRET, { resource: API });
      expect(res.status).to.equal(400);
      expect(res.body.error).to.equal('invalid_target');
    });

    it('refuses a scope the client was not given (invalid_scope or invalid_target)', async () => {
      const res = await clientCredentials('partner', PARTNER_SECRET, { resource: API, scope: 'timetable.read' });
      expect(res.status).to.equal(400);
      expect(res.body.error).to.be.oneOf(['invalid_scope', 'invalid_target']);
    });

    it('refuses a user’s authorization for an API the client holds no scope of', async () => {
      const spa = await discover(hub.url, 'spa');
      const browser = new Browser();
      const start = await startAuthorization(spa, { resource: API });
      let page = await browser.follow(start.url.href, REDIRECT);
      if (!page.location) page = await browser.follow(formAction(page, /\/login/), REDIRECT, { form: { login: 'zoe.test', password: PASSWORD } });
      if (!page.location && page.body.includes('/confirm')) page = await browser.follow(formAction(page, /\/confirm/), REDIRECT, { form: {} });
      expect(page.location, page.body.slice(0, 300)).to.be.a('string');
      expect(new URL(page.location!).searchParams.get('error')).to.equal('invalid_target');
    });
  });

  describe('a tenant’s client', () => {
    async function signInTo(clientId: string, login: string) {
      const config = await discover(hub.url, clientId);
      const browser = new Browser();
      const start = await startAuthorization(config, { scope: 'openid profile' });
      const loginPage = await browser.follow(start.url.href, REDIRECT);
      let page = await browser.follow(formAction(loginPage, /\/login/), REDIRECT, { form: { login, password: PASSWORD } });
      if (!page.location && page.body.includes('/confirm')) page = await browser.follow(formAction(page, /\/confirm/), REDIRECT, { form: {} });
      return { browser, page, config, start };
    }

    it('serves an account of its own tenant', async () => {
      const { page } = await signInTo(LILLE_APP, 'zoe.test');
      expect(page.location, page.body.slice(0, 300)).to.match(/^https:\/\/rp\.example\/cb\?code=/);
    });

    it('refuses, with a page and an audit event, an account of another tenant', async () => {
      const { page } = await signInTo(LILLE_APP, 'leo.amiens');
      expect(page.location).to.equal(null);
      expect(page.status).to.equal(403);
      expect(page.body).to.include('Application non ouverte à votre compte').and.include('Se connecter avec un autre compte');
      expect(page.body).not.to.include('code=');
      const events = await hub.hub.store.audit.list({ limit: 5 });
      expect(events.find((e) => e.type === 'client.tenant_refused')).to.include({ clientId: LILLE_APP });
    });

    it('lets the refused person sign in with another account, served by the client', async () => {
      const { browser, page } = await signInTo(LILLE_APP, 'leo.amiens');
      const other = await browser.follow(new URL(page.body.match(/href="([^"]*account=other[^"]*)"/)![1]!.replace(/&amp;/g, '&'), page.url).href, REDIRECT);
      expect(other.status).to.equal(200);
      let done = await browser.follow(formAction(other, /\/login/), REDIRECT, { form: { login: 'zoe.test', password: PASSWORD } });
      // Another account: oidc-provider ends the refused session with its self-submitting form, then resumes.
      if (!done.location && done.body.includes('Submitting Callback')) done = await browser.follow(formAction(done, /./), REDIRECT, { form: hiddenInputs(done) });
      if (!done.location && done.body.includes('/confirm')) done = await browser.follow(formAction(done, /\/confirm/), REDIRECT, { form: {} });
      expect(done.location, done.body.slice(0, 300)).to.match(/^https:\/\/rp\.example\/cb\?code=/);
    });

    it('may not introspect the tokens of another tenant’s accounts', async () => {
      const [server] = configSchema.shape.clients.parse([{ clientId: 'amiens-api', name: 'API d’Amiens', secretSha256: sha256Hex(PARTNER_SECRET), redirectUris: [REDIRECT], grantTypes: ['client_credentials'], scopes: ['openid'] }]);
      await hub.hub.store.forTenant('amiens').clients.create(clientRecordFromConfig(server!), 'cli');
      const lilleTokens = await tokensOf('zoe.test');
      const amiensTokens = await tokensOf('leo.amiens');
      expect(await introspect(lilleTokens.access_token, 'amiens-api', PARTNER_SECRET)).to.deep.equal({ active: false });
      expect(await introspect(amiensTokens.access_token, 'amiens-api', PARTNER_SECRET)).to.include({ active: true });
    });

    it('refuses a live session of another tenant’s account (single sign-on) too', async () => {
      const browser = new Browser();
      await signIn(browser, portal, 'leo.amiens', PASSWORD);
      const lilleApp = await discover(hub.url, LILLE_APP);
      const page = await browser.follow((await startAuthorization(lilleApp, { scope: 'openid profile' })).url.href, REDIRECT);
      expect(page.location).to.equal(null);
      expect(page.status).to.equal(403);
    });
  });

  describe('an essential acr claim', () => {
    it('is advertised in discovery', async () => {
      const discovery = (await (await fetch(`${hub.url}/.well-known/openid-configuration`)).json()) as Record<string, unknown>;
      expect(discovery.claims_parameter_supported).to.equal(true);
    });

    it('asks for the second factor, as acr_values does', async () => {
      const claims = JSON.stringify({ id_token: { acr: { essential: true, values: ['urn:ent-hdf:loa:2'] } } });
      const browser = new Browser();
      const start = await startAuthorization(portal, { claims });
      const loginPage = await browser.follow(start.url.href, REDIRECT);
      const next = await browser.follow(formAction(loginPage, /\/login/), REDIRECT, { form: { login: 'zoe.test', password: PASSWORD } });
      expect(next.location, 'no code with one factor').to.equal(null);
      expect(next.body).to.match(/\/(enrol|mfa)/);
    });
  });

  describe('cross-origin calls', () => {
    const preflight = (path: string, origin: string) => fetch(`${hub.url}${path}`, {
      method: 'OPTIONS', headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' },
    });

    for (const path of ['/token', '/me', '/token/revocation', '/request', '/token/introspection']) {
      it(`answers no preflight of ${path} from an undeclared origin`, async () => {
        const res = await preflight(path, 'https://evil.example');
        expect(res.headers.get('access-control-allow-origin')).to.equal(null);
      });
    }

    it('answers the preflight of a declared origin of a public client', async () => {
      const res = await preflight('/token', SPA_ORIGIN);
      expect(res.headers.get('access-control-allow-origin')).to.equal(SPA_ORIGIN);
    });

    it('does not let an undeclared origin read the token endpoint’s answers, errors included', async () => {
      const post = (body: Record<string, string>, headers: Record<string, string> = {}) => fetch(`${hub.url}/token`, {
        method: 'POST', headers: { origin: 'https://evil.example', 'content-type': 'application/x-www-form-urlencoded', ...headers }, body: new URLSearchParams(body),
      });
      const unknownClient = await post({ grant_type: 'client_credentials', client_id: 'nobody' });
      expect(unknownClient.headers.get('access-control-allow-origin')).to.equal(null);
      const wrongSecret = await post({ grant_type: 'client_credentials' }, { authorization: basic('partner', 'wrong') });
      expect(wrongSecret.headers.get('access-control-allow-origin')).to.equal(null);
      const good = await post({ grant_type: 'client_credentials' }, { authorization: basic('partner', PARTNER_SECRET) });
      expect(good.headers.get('access-control-allow-origin')).to.equal(null);
      const introspection = await fetch(`${hub.url}/token/introspection`, {
        method: 'POST', headers: { origin: 'https://evil.example', authorization: basic('portal', PORTAL_SECRET), 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ token: 'x' }),
      });
      expect(introspection.headers.get('access-control-allow-origin')).to.equal(null);
    });

    it('does not let any page read userinfo with a confidential client’s token', async () => {
      const tokens = await tokensOf('zoe.test');
      const res = await fetch(`${hub.url}/me`, { headers: { origin: 'https://rp.example', authorization: `Bearer ${tokens.access_token}` } });
      expect(res.headers.get('access-control-allow-origin')).to.equal(null);
    });

    it('keeps discovery and the key set open to every origin', async () => {
      const res = await fetch(`${hub.url}/.well-known/openid-configuration`, { headers: { origin: 'https://evil.example' } });
      expect(res.headers.get('access-control-allow-origin')).to.equal('https://evil.example');
    });
  });
});
