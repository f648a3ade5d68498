/**
 * End to end: openid-client (a real RP library) runs the authorization code + PKCE flow
 * against a running hub over HTTP, then refresh, userinfo, introspection, revocation and
 * logout, on SQLite and on PostgreSQL, with sessions in Redis.
 */
import { createServer, type Server } from 'node:http';
import { expect } from 'chai';
import * as oidc from 'openid-client';
import { decodeJwt } from 'jose';
import { Browser, formAction, hiddenInputs } from '../../testing/harness/browser.js';
import { API, PASSWORD, REDIRECT, seedPeople, testClients, testResources, type Fixture } from '../../testing/harness/fixtures.js';
import { startTestHub, type TestHub } from '../../testing/harness/hub.js';
import { createTestDatabase, type TestDatabase } from '../../testing/harness/postgres.js';
import { freePort } from '../../testing/harness/redis.js';
import { discover, exchange, signIn } from '../../testing/harness/rp.js';

/** Receives back-channel logout tokens. */
async function logoutReceiver(): Promise<{ url: string; tokens: string[]; server: Server }> {
  const tokens: string[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      tokens.push(new URLSearchParams(body).get('logout_token') ?? '');
      res.end();
    });
  });
  const port = await freePort();
  await new Promise<void>((r) => server.listen(port, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${port}/backchannel`, tokens, server };
}

for (const engine of ['sqlite', 'postgres'] as const) {
  describe(`OIDC flow with openid-client (${engine}, Redis sessions)`, function () {
    let hub: TestHub;
    let db: TestDatabase | undefined;
    let people: Fixture;
    let receiver: Awaited<ReturnType<typeof logoutReceiver>>;
    let portal: oidc.Configuration;

    before(async function () {
      this.timeout(60_000);
      receiver = await logoutReceiver();
      db = engine === 'postgres' ? await createTestDatabase() : undefined;
      hub = await startTestHub({ ...(db ? { databaseUrl: db.url } : {}), config: { clients: testClients(receiver.url), oidc: { resources: testResources, outboundPrivateHosts: ['127.0.0.1'] } } });
      people = await seedPeople(hub.hub.store);
      portal = await discover(hub.url, 'portal');
    });
    after(async () => {
      await hub?.stop();
      await db?.drop();
      receiver?.server.close();
    });

    it('answers a browser’s /favicon.ico with an empty 204, not an HTML error page', async () => {
      const res = await fetch(`${hub.url}/favicon.ico`);
      expect(res.status).to.equal(204);
      expect(await res.text()).to.equal('');
    });

    it('shows the login page again for prompt=select_account despite a live session, and signs in from it', async () => {
      const browser = new Browser();
      await signIn(browser, portal, 'zoe.test', PASSWORD);
      // Another account would go through oidc-provider's self-submitting logout form: the browser suite drives that one.
      const auth = await signIn(browser, portal, 'zoe.test', PASSWORD, { prompt: 'select_account' });
      expect((await exchange(portal, auth)).claims()!.sub).to.equal(people.pupilId);
    });

    it('issues an ID token with ENT claims for a first-party client without consent', async () => {
      const auth = await signIn(new Browser(), portal, 'zoe.test', PASSWORD);
      const tokens = await exchange(portal, auth);
      const claims = tokens.claims()!;
      expect(claims.sub).to.equal(people.pupilId);
      expect(claims.iss).to.equal(hub.url);
      expect(tokens.refresh_token, 'refresh token').to.be.a('string');
      const info = await oidc.fetchUserInfo(portal, tokens.access_token, claims.sub);
      expect(info).to.include({ given_name: 'Zoé', preferred_username: 'zoe.test', ent_profile: 'Student', tenant: 'lille' });
      expect(info.structures).to.deep.equal([{ uai: '0590121L', name: 'Collège Test' }]);
      expect(info.classes).to.deep.equal([{ uai: '0590121L', code: '4B', name: '4e B' }]);
      expect(info).not.to.have.property('birthdate');
    });

    it('releases a parent’s children only with the ent_children scope', async () => {
      const auth = await signIn(new Browser(), portal, 'MARC.test', PASSWORD, { scope: 'openid ent_children' });
      const tokens = await exchange(portal, auth);
      const info = await oidc.fetchUserInfo(portal, tokens.access_token, tokens.claims()!.sub);
      expect(info.children).to.deep.equal([{ sub: people.pupilId, given_name: 'Zoé', family_name: 'Test' }]);
      expect(info).not.to.have.property('given_name');
    });

    it('rotates refresh tokens and refuses a used one', async () => {
      const tokens = await exchange(portal, await signIn(new Browser(), portal, 'zoe.test', PASSWORD));
      const refreshed = await oidc.refreshTokenGrant(portal, tokens.refresh_token!);
      expect(refreshed.refresh_token).to.be.a('string').and.not.equal(tokens.refresh_token);
      expect(refreshed.claims()!.sub).to.equal(people.pupilId);
      const reuse = await oidc.refreshTokenGrant(portal, tokens.refresh_token!).catch((e: unknown) => e);
      expect(reuse).to.be.instanceOf(oidc.ResponseBodyError).and.have.property('error', 'invalid_grant');
    });

    it('introspects, then revokes an access token', async () => {
      const tokens = await exchange(portal, await signIn(new Browser(), portal, 'zoe.test', PASSWORD));
      const active = await oidc.tokenIntrospection(portal, tokens.access_token);
      expect(active).to.include({ active: true, sub: people.pupilId, client_id: 'portal' });
      await oidc.tokenRevocation(portal, tokens.access_token);
      expect((await oidc.tokenIntrospection(portal, tokens.access_token)).active).to.equal(false);
    });

    it('issues ES256 JWT access tokens for an API with client_credentials', async () => {
      const grant = await oidc.clientCredentialsGrant(portal, { scope: 'timetable.read', resource: API });
      const header = JSON.parse(Buffer.from(grant.access_token.split('.')[0]!, 'base64url').toString()) as { alg: string };
      expect(header.alg).to.equal('ES256');
      expect(grant.expires_in, 'the API’s own token lifetime').to.equal(600);
      expect(decodeJwt(grant.access_token)).to.include({ aud: API, client_id: 'portal', scope: 'timetable.read' });
    });

    it('shows the consent page to a third-party client, and the RP gets the code after approval', async () => {
      const spa = await discover(hub.url, 'spa');
      const auth = await signIn(new Browser(), spa, 'zoe.test', PASSWORD);
      const tokens = await exchange(spa, auth);
      expect(tokens.claims()!.sub).to.equal(people.pupilId);
    });

    it('logs out (RP-initiated) and notifies the back-channel logout URI', async () => {
      const browser = new Browser();
      const tokens = await exchange(portal, await signIn(browser, portal, 'zoe.test', PASSWORD));
      const endUrl = oidc.buildEndSessionUrl(portal, { id_token_hint: tokens.id_token!, post_logout_redirect_uri: 'https://rp.example/bye' });
      const confirm = await browser.request(endUrl.href);
      expect(confirm.status).to.equal(200);
      expect(confirm.body).to.include('lang="fr"');
      const done = await browser.follow(formAction(confirm, /\/session\/end\/confirm/), 'https://rp.example/', { form: { ...hiddenInputs(confirm), logout: 'yes' } });
      expect(done.location).to.match(/^https:\/\/rp\.example\/bye/);
      await new Promise((r) => setTimeout(r, 300));
      const logoutToken = decodeJwt(receiver.tokens.at(-1) ?? '');
      expect(logoutToken.sub).to.equal(people.pupilId);
      expect(logoutToken.events).to.have.property('http://schemas.openid.net/event/backchannel-logout');
      // The session is gone: a new authorization shows the login page again.
      const again = await browser.follow(oidc.buildAuthorizationUrl(portal, { redirect_uri: REDIRECT, scope: 'openid', code_challenge: await oidc.calculatePKCECodeChallenge(oidc.randomPKCECodeVerifier()), code_challenge_method: 'S256' }).href, REDIRECT);
      expect(again.body).to.include('name="password"');
    });
  });
}
