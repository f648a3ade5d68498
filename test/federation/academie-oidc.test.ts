/**
 * The académie staff path with the generic OIDC upstream connector, end to end against a real
 * node-oidc-provider playing the académie's IdP: openid-client RP → hub login page →
 * "Personnel de l'Éducation nationale" → Lille → académie OP (discovery, code + PKCE, state,
 * nonce) → hub → RP gets an ID token for the imported teacher matched by académie e-mail.
 * Then the refusals, each with a clear page and a `federation.failure` audit event.
 */
import { expect } from 'chai';
import { rmSync } from 'node:fs';
import type * as oidc from 'openid-client';
import { fetchUserInfo } from 'openid-client';
import { REDIRECT, testClients, testResources } from '../../testing/harness/fixtures.js';
import { startTestHub, type TestHub } from '../../testing/harness/hub.js';
import { prepareOidcUpstream, type OidcUpstream, type UpstreamUser } from '../../testing/harness/oidc-upstream.js';
import { discover, exchange } from '../../testing/harness/rp.js';
import type { Account } from '../../src/storage/ports/index.js';
import { lastAudit, openLoginPage, staffStart, tenantsWith, type Started } from './helpers.js';

const CONNECTOR = 'lille-agents';
const RNE = '0590121L$UAJ$PU$ENS$0590121L$T3$LYC$3000';
const teacher = (sub: string, claims: Record<string, unknown> = {}): UpstreamUser => ({
  sub, claims: { given_name: 'Marie', family_name: 'Curie', mail: 'Marie.Curie@ac-lille.fr', FrEduRne: [RNE], ...claims },
});

describe('académie staff IdP over OIDC (node-oidc-provider upstream)', function () {
  this.timeout(60_000);
  let upstream: OidcUpstream;
  let hub: TestHub;
  let portal: oidc.Configuration;
  let tenantsDir: string;
  let marie: Account;
  let callbackPrefix: string;

  before(async () => {
    upstream = await prepareOidcUpstream();
    tenantsDir = tenantsWith({
      lille: [{
        id: CONNECTOR, type: 'oidc', displayName: 'Personnel de l’académie de Lille', enabled: true,
        // No emailDomains: the tenant's directory source gives ac-lille.fr.
        oidc: { issuer: upstream.issuer, clientId: upstream.clientId, clientSecret: { env: upstream.secretEnv }, scopes: ['openid', 'profile', 'email', 'academie'], allowInsecureHttp: true },
      }],
    });
    hub = await startTestHub({ config: { clients: testClients(), oidc: { resources: testResources }, tenants: { dir: tenantsDir } } });
    callbackPrefix = `${hub.url}/federation/${CONNECTOR}/callback`;
    await upstream.serve(callbackPrefix);
    portal = await discover(hub.url, 'portal');
    marie = await hub.hub.store.forTenant('lille').accounts.create({
      login: 'marie.curie', firstName: 'Marie', lastName: 'Curie', displayName: 'Marie Curie', profile: 'Teacher', status: 'active',
      academicEmail: 'marie.curie@ac-lille.fr', externalId: 'LILLE-555', source: 'AC-LILLE',
    });
  });
  beforeEach(() => upstream.tamper(null));
  after(async () => {
    await hub?.stop();
    await upstream?.stop();
    if (tenantsDir) rmSync(tenantsDir, { recursive: true, force: true });
  });

  /** Leaves for the académie OP and stops at the hub's callback (the URL the OP redirected to). */
  async function toCallback(s: Started): Promise<string> {
    const page = await s.browser.follow(await staffStart(s, CONNECTOR), callbackPrefix);
    expect(page.location, `${page.status} ${page.body.slice(0, 300)}`).to.be.a('string').and.match(new RegExp(`^${callbackPrefix}\\?`));
    return page.location!;
  }

  async function expectRefused(s: Started, page: { status: number; body: string; location: string | null }, reason: string, status = 401) {
    expect(page.location, 'no redirect').to.equal(null);
    expect(page.status, page.body.slice(0, 300)).to.equal(status);
    expect(page.body).to.include('Connexion refusée').and.include(`Code technique\u00a0: <code>${reason}</code>`).and.include('<html lang="fr"');
    expect(page.body).not.to.match(/^\s+at .+/m);
    expect(await lastAudit(hub.hub.store, 'lille', 'federation.failure')).to.include({ connector: CONNECTOR, reason });
    expect(s.browser).to.be.ok;
  }

  it('gives two factors (acr loa:2, amr ext+mfa) when the upstream ID token says it used an OTP', async () => {
    upstream.user(teacher('fim-marie'));
    upstream.tamper((p) => ({ payload: { ...p, amr: ['pwd', 'otp'] } }));
    const s = await openLoginPage(portal);
    const page = await s.browser.follow(await staffStart(s, CONNECTOR), REDIRECT);
    const claims = (await exchange(portal, { callback: new URL(page.location!), verifier: s.auth.verifier, state: s.auth.state, nonce: s.auth.nonce })).claims()!;
    expect(claims).to.include({ sub: marie.id, acr: 'urn:ent-hdf:loa:2' });
    expect(claims.amr).to.deep.equal(['ext', 'mfa']);
  });

  it('logs a teacher in: RP gets an ID token with ENT claims for the account matched by académie e-mail', async () => {
    upstream.user(teacher('fim-marie'));
    const s = await openLoginPage(portal);
    expect(s.loginPage.body).to.include('Personnel de l’Éducation nationale');
    const staff = await s.browser.request(new URL(`/interaction/${s.uid}/federation/staff?lang=fr`, hub.url).href);
    expect(staff.body).to.include('Choisissez votre académie').and.include('Personnel de l’académie de Lille');
    const start = await s.browser.request(await staffStart(s, CONNECTOR));
    const authorize = new URL(start.location!);
    expect(authorize.origin).to.equal(upstream.issuer);
    expect(authorize.searchParams.get('code_challenge_method')).to.equal('S256');
    expect(authorize.searchParams.get('state')).to.have.length.greaterThan(20);
    expect(authorize.searchParams.get('nonce')).to.have.length.greaterThan(20);
    const page = await s.browser.follow(start.location!, REDIRECT);
    expect(page.location, page.body.slice(0, 400)).to.match(new RegExp(`^${REDIRECT}`));

    const tokens = await exchange(portal, { callback: new URL(page.location!), verifier: s.auth.verifier, state: s.auth.state, nonce: s.auth.nonce });
    const claims = tokens.claims()!;
    expect(claims.sub).to.equal(marie.id);
    expect(claims.amr).to.deep.equal(['ext']);
    expect(claims.acr).to.equal('urn:ent-hdf:loa:1');
    const info = await fetchUserInfo(portal, tokens.access_token, claims.sub);
    expect(info).to.include({ ent_profile: 'Teacher', ent_national_profile: 'National_3', tenant: 'lille', preferred_username: 'marie.curie' });
    expect(await hub.hub.store.forTenant('lille').identities.find(CONNECTOR, 'fim-marie')).to.include({ accountId: marie.id });
    expect(await lastAudit(hub.hub.store, 'lille', 'federation.link')).to.include({ connector: CONNECTOR, subject: 'fim-marie', via: 'academicEmail' });
    expect(await lastAudit(hub.hub.store, 'lille', 'login.success')).to.deep.include({ method: 'federation', email: 'marie.curie@ac-lille.fr', uai: ['0590121L'] });
  });

  it('falls back to ctemail when mail is absent', async () => {
    upstream.user(teacher('fim-marie-2', { mail: undefined, ctemail: 'marie.curie@ac-lille.fr' }));
    const s = await openLoginPage(portal);
    const page = await s.browser.follow(await staffStart(s, CONNECTOR), REDIRECT);
    expect(page.location, page.body.slice(0, 300)).to.match(new RegExp(`^${REDIRECT}`));
    const tokens = await exchange(portal, { callback: new URL(page.location!), verifier: s.auth.verifier, state: s.auth.state, nonce: s.auth.nonce });
    expect(tokens.claims()!.sub).to.equal(marie.id);
  });

  it('refuses a callback with a state this hub never issued', async () => {
    upstream.user(teacher('fim-x'));
    const s = await openLoginPage(portal);
    const callback = new URL(await toCallback(s));
    callback.searchParams.set('state', 'forged-state-value-000000000');
    await expectRefused(s, await s.browser.follow(callback.href, REDIRECT), 'state');
  });

  it('refuses a replayed state (the callback used twice)', async () => {
    upstream.user(teacher('fim-marie'));
    const s = await openLoginPage(portal);
    const callback = await toCallback(s);
    const first = await s.browser.request(callback);
    expect(first.status).to.equal(303);
    await expectRefused(s, await s.browser.request(callback), 'state');
  });

  it('refuses an ID token with another nonce', async () => {
    upstream.user(teacher('fim-marie'));
    upstream.tamper((p) => ({ payload: { ...p, nonce: 'someone-elses-nonce' } }));
    const s = await openLoginPage(portal);
    await expectRefused(s, await s.browser.follow(await staffStart(s, CONNECTOR), REDIRECT), 'nonce');
  });

  it('refuses an ID token issued to another client (audience)', async () => {
    upstream.user(teacher('fim-marie'));
    upstream.tamper((p) => ({ payload: { ...p, aud: 'another-client' } }));
    const s = await openLoginPage(portal);
    await expectRefused(s, await s.browser.follow(await staffStart(s, CONNECTOR), REDIRECT), 'audience');
  });

  it('refuses an expired ID token', async () => {
    upstream.user(teacher('fim-marie'));
    const now = Math.floor(Date.now() / 1000);
    upstream.tamper((p) => ({ payload: { ...p, iat: now - 1200, exp: now - 600 } }));
    const s = await openLoginPage(portal);
    await expectRefused(s, await s.browser.follow(await staffStart(s, CONNECTOR), REDIRECT), 'expired');
  });

  it('refuses an ID token signed with a key the upstream does not publish', async () => {
    upstream.user(teacher('fim-marie'));
    upstream.tamper((p) => ({ payload: p, foreignKey: true }));
    const s = await openLoginPage(portal);
    await expectRefused(s, await s.browser.follow(await staffStart(s, CONNECTOR), REDIRECT), 'signature');
  });

  it('refuses in English with ?lang=en', async () => {
    upstream.user(teacher('fim-marie'));
    const s = await openLoginPage(portal);
    const callback = new URL(await toCallback(s));
    callback.searchParams.set('state', 'forged-state-value-111111111');
    callback.searchParams.set('lang', 'en');
    const page = await s.browser.request(callback.href);
    expect(page.status).to.equal(401);
    expect(page.body).to.include('Sign-in refused').and.include('Technical code: <code>state</code>').and.include('<html lang="en"');
  });

  it('does not match an e-mail outside the académie’s domains (no-account page, audited)', async () => {
    upstream.user(teacher('fim-gmail', { mail: 'marie.curie@gmail.com' }));
    await hub.hub.store.forTenant('lille').accounts.create({ login: 'gmail.user', firstName: 'G', lastName: 'U', profile: 'Teacher', status: 'active', academicEmail: 'marie.curie@gmail.com', source: 'local' });
    const s = await openLoginPage(portal);
    const page = await s.browser.follow(await staffStart(s, CONNECTOR), REDIRECT);
    expect(page.location).to.equal(null);
    expect(page.status).to.equal(200);
    expect(page.body).to.include('Aucun compte ENT trouvé').and.include('adresse e-mail académique');
    expect(await lastAudit(hub.hub.store, 'lille', 'federation.no_account')).to.include({ connector: CONNECTOR, subject: 'fim-gmail', refusedEmail: 'marie.curie@gmail.com', email: null });
    expect(await hub.hub.store.forTenant('lille').identities.find(CONNECTOR, 'fim-gmail')).to.equal(null);
  });

  it('refuses an upstream identity holding a control character (a NUL no store would take), with a page', async () => {
    upstream.user(teacher('fim-nul', { family_name: 'Cu\u0000rie', mail: 'marie.curie@ac-lille.fr' }));
    const s = await openLoginPage(portal);
    const page = await s.browser.follow(await staffStart(s, CONNECTOR), REDIRECT);
    await expectRefused(s, page, 'malformed', 400);
    expect(await hub.hub.store.forTenant('lille').identities.find(CONNECTOR, 'fim-nul')).to.equal(null);
  });

  it('creates no account for a vouched académie e-mail that matches none (link only by default)', async () => {
    const before = await hub.hub.store.forTenant('lille').accounts.count();
    upstream.user(teacher('fim-unknown', { mail: 'inconnu.du.bataillon@ac-lille.fr' }));
    const s = await openLoginPage(portal);
    const page = await s.browser.follow(await staffStart(s, CONNECTOR), REDIRECT);
    expect(page.location).to.equal(null);
    expect(page.body).to.include('Aucun compte ENT trouvé');
    expect(await lastAudit(hub.hub.store, 'lille', 'federation.no_account')).to.include({ subject: 'fim-unknown', email: 'inconnu.du.bataillon@ac-lille.fr' }).and.not.have.property('notCreated');
    expect(await hub.hub.store.forTenant('lille').accounts.count()).to.equal(before);
    expect(await hub.hub.store.forTenant('lille').identities.find(CONNECTOR, 'fim-unknown')).to.equal(null);
  });

  it('never links on an unverified (self-declared) e-mail claim', async () => {
    upstream.user({ sub: 'fim-self', claims: { given_name: 'Marie', family_name: 'Curie', email: 'marie.curie@ac-lille.fr', email_verified: false } });
    const s = await openLoginPage(portal);
    const page = await s.browser.follow(await staffStart(s, CONNECTOR), REDIRECT);
    expect(page.location).to.equal(null);
    expect(page.body).to.include('Aucun compte ENT trouvé');
    expect(await lastAudit(hub.hub.store, 'lille', 'federation.no_account')).to.include({ subject: 'fim-self', email: null, unverifiedEmailIgnored: true });
    expect(await hub.hub.store.forTenant('lille').identities.find(CONNECTOR, 'fim-self')).to.equal(null);
  });

  it('links on the standard e-mail claim once the upstream says it is verified', async () => {
    upstream.user({ sub: 'fim-verified', claims: { email: 'marie.curie@ac-lille.fr', email_verified: true } });
    const s = await openLoginPage(portal);
    const page = await s.browser.follow(await staffStart(s, CONNECTOR), REDIRECT);
    expect(page.location, page.body.slice(0, 300)).to.match(new RegExp(`^${REDIRECT}`));
  });
});
