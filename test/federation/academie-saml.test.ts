/**
 * The académie staff path with the SAML connector, end to end against a real pysaml2 IdP playing
 * the académie's "portail agents": openid-client RP → hub login page → "Personnel de
 * l'Éducation nationale" → Lille → IdP (signed AuthnRequest; signed, encrypted assertion with
 * mail / ctemail / FrEduRne) → hub → RP gets an ID token for the teacher matched by académie e-mail.
 */
import { expect } from 'chai';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inflateRawSync } from 'node:zlib';
import * as oidc from 'openid-client';
import { fetchUserInfo } from 'openid-client';
import { REDIRECT, testClients, testResources } from '../../testing/harness/fixtures.js';
import { startTestHub, type TestHub } from '../../testing/harness/hub.js';
import { makeKeyPair, preparePysaml2Idp, type Pysaml2Idp } from '../../testing/harness/pysaml2.js';
import { discover, exchange, startAuthorization } from '../../testing/harness/rp.js';
import { Browser, formAction, hiddenInputs } from '../../testing/harness/browser.js';
import type { Account } from '../../src/storage/ports/index.js';
import { CLI_OPERATOR } from '../../src/identity/actor.js';
import { addServiceProvider } from '../../src/saml/idp/sp-service.js';
import { pysaml2Acs } from '../../testing/harness/pysaml2-acs.js';
import { pysaml2SpMessage, writeSpMetadata } from '../../testing/harness/pysaml2-sp.js';
import { lastAudit, openLoginPage, postForm, staffStart, tenantsWith, type Started } from './helpers.js';

const CONNECTOR = 'lille-agents';
const RNE = '0590121L$UAJ$PU$ENS$0590121L$T3$LYC$3000';

describe('académie staff IdP over SAML (pysaml2 IdP)', function () {
  this.timeout(60_000);
  let idp: Pysaml2Idp;
  let hub: TestHub;
  let portal: oidc.Configuration;
  let keysDir: string;
  let tenantsDir: string;
  let paul: Account;

  before(async () => {
    idp = await preparePysaml2Idp();
    keysDir = mkdtempSync(join(tmpdir(), 'sp-keys-'));
    const [signing, encryption] = await Promise.all([makeKeyPair(keysDir, 'sp-sign'), makeKeyPair(keysDir, 'sp-enc')]);
    tenantsDir = tenantsWith({
      lille: [{ id: CONNECTOR, type: 'saml', displayName: 'Personnel de l’académie de Lille', enabled: true, emailDomains: ['ac-lille.fr'], saml: { idpMetadata: { file: idp.metadataFile }, signing, encryption } }],
    });
    hub = await startTestHub({ config: { clients: testClients(), oidc: { resources: testResources }, tenants: { dir: tenantsDir } } });
    await idp.serve(await (await fetch(`${hub.url}/federation/${CONNECTOR}/metadata`)).text());
    portal = await discover(hub.url, 'portal');
    paul = await hub.hub.store.forTenant('lille').accounts.create({
      login: 'paul.durand', firstName: 'Paul', lastName: 'Durand', displayName: 'Paul Durand', profile: 'Teacher', status: 'pending',
      academicEmail: 'paul.durand@ac-lille.fr', externalId: 'LILLE-777', source: 'AC-LILLE',
    });
  });
  after(async () => {
    await hub?.stop();
    await idp?.stop();
    if (keysDir) rmSync(keysDir, { recursive: true, force: true });
    if (tenantsDir) rmSync(tenantsDir, { recursive: true, force: true });
  });

  async function throughIdp(s: Started) {
    const start = await s.browser.request(await staffStart(s, CONNECTOR));
    expect(start.status).to.equal(302);
    expect(start.location).to.match(new RegExp(`^${idp.url}/sso\\?SAMLRequest=.*&Signature=`));
    const idpPage = await s.browser.request(start.location!);
    expect(idpPage.status, idpPage.body).to.equal(200);
    const form = postForm(idpPage);
    expect(Buffer.from(form.fields.SAMLResponse!, 'base64').toString()).to.include('EncryptedAssertion');
    const acs = await s.browser.request(form.action, { form: form.fields });
    expect(acs.status, acs.body.slice(0, 300)).to.equal(303);
    return s.browser.follow(acs.location!, REDIRECT);
  }

  it('a SAML SP’s sign-in goes through the académie IdP too: the login page’s staff button, the IdP, then pysaml2 accepts the hub’s assertion', async () => {
    await idp.scenario({ name_id: 'agent-saml-sp', attributes: { mail: ['paul.durand@ac-lille.fr'] } });
    const spBase = 'http://127.0.0.1:9/fed-sp';
    const spDir = mkdtempSync(join(tmpdir(), 'fed-sp-'));
    try {
      await addServiceProvider({ store: hub.hub.store, production: false }, CLI_OPERATOR, { owner: null, from: { file: await writeSpMetadata(spDir, 'sp.xml', { base: spBase }) } });
      const sp = { dir: spDir, file: 'sp.xml', base: spBase };
      const message = await pysaml2SpMessage({ ...sp, message: 'authn', binding: 'redirect', destination: `${hub.url}/saml/sso` });
      if (message.binding !== 'redirect') throw new Error('redirect expected');
      const browser = new Browser();
      const loginPage = await browser.follow(`${hub.url}/saml/sso?${message.rawQuery}`, spBase, { crossSite: true });
      expect(loginPage.url).to.match(/\/interaction\/saml-[\w-]{32}\/start/);
      const start = await browser.request(await staffStart({ browser, loginPage }, CONNECTOR));
      expect(start.location).to.match(new RegExp(`^${idp.url}/sso\\?SAMLRequest=`));
      const form = postForm(await browser.request(start.location!));
      const acs = await browser.request(form.action, { form: form.fields, crossSite: true });
      expect(acs.status, acs.body.slice(0, 300)).to.equal(303);
      const answer = await browser.follow(acs.location!, spBase);
      expect(formAction(answer, /./)).to.equal(`${spBase}/acs/post`);
      const idpMetadata = join(spDir, 'hub-idp.xml');
      writeFileSync(idpMetadata, await (await fetch(`${hub.url}/saml/metadata`)).text());
      const verdict = await pysaml2Acs({ ...sp, idpMetadata, response: hiddenInputs(answer).SAMLResponse!, inResponseTo: /ID="([^"]+)"/.exec(inflateRawSync(Buffer.from(new URLSearchParams(message.rawQuery).get('SAMLRequest')!, 'base64')).toString('utf8'))![1]! });
      expect(verdict.accepted, JSON.stringify(verdict)).to.equal(true);
    } finally {
      rmSync(spDir, { recursive: true, force: true });
    }
  });

  it('logs a teacher in by académie e-mail (mail), activates the account and releases ENT claims', async () => {
    await idp.scenario({ name_id: 'agent-paul', attributes: { mail: ['Paul.Durand@ac-lille.fr'], givenName: ['Paul'], sn: ['Durand'], FrEduRne: [RNE] } });
    const s = await openLoginPage(portal);
    const page = await throughIdp(s);
    expect(page.location, page.body.slice(0, 400)).to.match(new RegExp(`^${REDIRECT}`));
    const tokens = await exchange(portal, { callback: new URL(page.location!), verifier: s.auth.verifier, state: s.auth.state, nonce: s.auth.nonce });
    expect(tokens.claims()).to.include({ sub: paul.id, acr: 'urn:ent-hdf:loa:1' });
    expect(tokens.claims()!.amr).to.deep.equal(['ext']);
    const info = await fetchUserInfo(portal, tokens.access_token, paul.id);
    expect(info).to.include({ ent_profile: 'Teacher', ent_national_profile: 'National_3', tenant: 'lille', preferred_username: 'paul.durand' });
    const lille = hub.hub.store.forTenant('lille');
    expect((await lille.accounts.get(paul.id)).status).to.equal('active');
    expect(await lille.identities.find(CONNECTOR, 'agent-paul')).to.include({ accountId: paul.id });
    expect(await lastAudit(hub.hub.store, 'lille', 'login.success')).to.deep.include({ connector: CONNECTOR, email: 'paul.durand@ac-lille.fr', uai: ['0590121L'] });
  });

  it('gives two factors when the assertion’s AuthnContextClassRef is a multi-factor one', async () => {
    await idp.scenario({ name_id: 'agent-paul-mfa', authn_class_ref: 'https://refeds.org/profile/mfa', attributes: { mail: ['paul.durand@ac-lille.fr'], FrEduRne: [RNE] } });
    const s = await openLoginPage(portal);
    const page = await throughIdp(s);
    const claims = (await exchange(portal, { callback: new URL(page.location!), verifier: s.auth.verifier, state: s.auth.state, nonce: s.auth.nonce })).claims()!;
    expect(claims).to.include({ sub: paul.id, acr: 'urn:ent-hdf:loa:2' });
    expect(claims.amr).to.deep.equal(['ext', 'mfa']);
  });

  it('falls back to ctemail', async () => {
    await idp.scenario({ name_id: 'agent-paul-2', attributes: { ctemail: ['paul.durand@ac-lille.fr'], FrEduRne: [RNE] } });
    const s = await openLoginPage(portal);
    const page = await throughIdp(s);
    expect(page.location, page.body.slice(0, 400)).to.match(new RegExp(`^${REDIRECT}`));
    const tokens = await exchange(portal, { callback: new URL(page.location!), verifier: s.auth.verifier, state: s.auth.state, nonce: s.auth.nonce });
    expect(tokens.claims()!.sub).to.equal(paul.id);
  });

  it('matches nobody on an address outside the académie’s domains', async () => {
    await idp.scenario({ name_id: 'agent-other', attributes: { mail: ['paul.durand@ac-amiens.fr'] } });
    const s = await openLoginPage(portal);
    const page = await throughIdp(s);
    expect(page.status).to.equal(200);
    expect(page.body).to.include('Aucun compte ENT trouvé');
    expect(await lastAudit(hub.hub.store, 'lille', 'federation.no_account')).to.include({ subject: 'agent-other', refusedEmail: 'paul.durand@ac-amiens.fr' });
  });

  it('refuses an expired assertion with a page and an audit event in the tenant', async () => {
    await idp.scenario({ name_id: 'agent-paul', attributes: { mail: ['paul.durand@ac-lille.fr'] }, lifetime_minutes: -10 });
    const s = await openLoginPage(portal);
    const start = await s.browser.request(await staffStart(s, CONNECTOR));
    const form = postForm(await s.browser.request(start.location!));
    const page = await s.browser.request(form.action, { form: form.fields });
    expect(page.status).to.equal(401);
    expect(page.body).to.include('Connexion refusée').and.include('expiré');
    expect(await lastAudit(hub.hub.store, 'lille', 'federation.failure')).to.include({ connector: CONNECTOR, reason: 'expired' });
  });

  describe('single logout', () => {
    const spEntityId = () => `${hub.url}/federation/${CONNECTOR}/metadata`;

    /** Logs Paul in with a fresh browser and returns it (with a live hub session). */
    async function loggedIn(nameId: string): Promise<Browser> {
      await idp.scenario({ name_id: nameId, attributes: { mail: ['paul.durand@ac-lille.fr'] } });
      const s = await openLoginPage(portal);
      const page = await throughIdp(s);
      expect(page.location, page.body.slice(0, 300)).to.match(new RegExp(`^${REDIRECT}`));
      expect(await hasHubSession(s.browser)).to.equal(true);
      return s.browser;
    }

    /** A new authorization goes straight back to the RP only while the hub session lives. */
    async function hasHubSession(browser: Browser): Promise<boolean> {
      const auth = await startAuthorization(portal);
      const page = await browser.follow(auth.url.href, REDIRECT);
      return page.location?.startsWith(REDIRECT) ?? false;
    }

    it('SP-initiated: the hub’s end-session page, then a signed LogoutRequest and the IdP’s LogoutResponse', async () => {
      const browser = await loggedIn('agent-slo-1');
      // A bare GET (a link on any site) only leads to the hub's confirmation page.
      const ask = await browser.request(`${hub.url}/federation/logout`);
      expect(ask.location).to.match(new RegExp(`^${hub.url}/session/end\\?`));
      const confirm = await browser.request(ask.location!);
      expect(confirm.status).to.equal(200);
      expect(await hasHubSession(browser)).to.equal(true);
      // Once the hub session has ended, the browser goes to the IdP's logout before any "signed out" page.
      const start = await browser.request(formAction(confirm, /\/session\/end\/confirm/), { form: { ...hiddenInputs(confirm), logout: 'yes' } });
      expect(start.status).to.equal(303);
      expect(start.location).to.match(new RegExp(`^${idp.url}/slo\\?SAMLRequest=.*&SigAlg=.*&Signature=`));
      const atIdp = await browser.request(start.location!);
      expect(atIdp.status, atIdp.body).to.equal(302);
      expect(await idp.lastLogout()).to.deep.include({ kind: 'request', issuer: spEntityId(), name_id: 'agent-slo-1', destination: `${idp.url}/slo` });
      expect(atIdp.location).to.match(new RegExp(`^${hub.url}/federation/${CONNECTOR}/slo\\?SAMLResponse=`));
      const done = await browser.request(atIdp.location!);
      expect(done.status, done.body.slice(0, 300)).to.equal(200);
      expect(done.body).to.include('Vous êtes déconnecté').and.not.include('role="alert"');
      expect(await hasHubSession(browser)).to.equal(false);
      expect(await lastAudit(hub.hub.store, 'lille', 'federation.logout')).to.include({ connector: CONNECTOR, initiator: 'hub', upstreamStatus: 'urn:oasis:names:tc:SAML:2.0:status:Success' });
    });

    it('RP-initiated with post_logout_redirect_uri: the IdP logout runs first, then the browser lands at the RP with its state', async () => {
      const browser = await loggedIn('agent-slo-5');
      const auth = await startAuthorization(portal);
      const callback = await browser.follow(auth.url.href, REDIRECT);
      const tokens = await exchange(portal, { callback: new URL(callback.location!), ...auth });
      const end = oidc.buildEndSessionUrl(portal, { id_token_hint: tokens.id_token!, post_logout_redirect_uri: 'https://rp.example/bye', state: 'st-42' });
      const confirm = await browser.request(end.href);
      expect(confirm.status).to.equal(200);
      const toIdp = await browser.request(formAction(confirm, /\/session\/end\/confirm/), { form: { ...hiddenInputs(confirm), logout: 'yes' } });
      expect(toIdp.location).to.match(new RegExp(`^${idp.url}/slo\\?SAMLRequest=`));
      const atIdp = await browser.request(toIdp.location!);
      expect(await idp.lastLogout()).to.deep.include({ kind: 'request', name_id: 'agent-slo-5' });
      const back = await browser.request(atIdp.location!);
      expect(back.status).to.equal(303);
      expect(back.location).to.equal('https://rp.example/bye?state=st-42');
      expect(await hasHubSession(browser)).to.equal(false);
    });

    it('RP-initiated, "this application only": the hub session and the IdP session stay', async () => {
      const browser = await loggedIn('agent-slo-6');
      const auth = await startAuthorization(portal);
      const callback = await browser.follow(auth.url.href, REDIRECT);
      const tokens = await exchange(portal, { callback: new URL(callback.location!), ...auth });
      const end = oidc.buildEndSessionUrl(portal, { id_token_hint: tokens.id_token!, post_logout_redirect_uri: 'https://rp.example/bye' });
      const confirm = await browser.request(end.href);
      const stay = await browser.request(formAction(confirm, /\/session\/end\/confirm/), { form: hiddenInputs(confirm) });
      expect(stay.location).to.equal('https://rp.example/bye');
      expect(await hasHubSession(browser)).to.equal(true);
    });

    it('RP-initiated without post_logout_redirect_uri, "this application only": the hub’s page says the ENT session stays, and it does', async () => {
      const browser = await loggedIn('agent-slo-7');
      const auth = await startAuthorization(portal);
      const callback = await browser.follow(auth.url.href, REDIRECT);
      const tokens = await exchange(portal, { callback: new URL(callback.location!), ...auth });
      const confirm = await browser.request(oidc.buildEndSessionUrl(portal, { id_token_hint: tokens.id_token! }).href);
      const page = await browser.follow(formAction(confirm, /\/session\/end\/confirm/), REDIRECT, { form: hiddenInputs(confirm) });
      expect(page.status, `${page.url} ${page.body.slice(0, 300)}`).to.equal(200);
      expect(page.url).to.match(new RegExp(`^${hub.url}/session/end/success`));
      expect(await hasHubSession(browser)).to.equal(true);
      expect(await idp.lastLogout()).not.to.deep.include({ name_id: 'agent-slo-7' });
    });

    it('IdP-initiated: a signed LogoutRequest ends the hub session and gets a signed LogoutResponse', async () => {
      const browser = await loggedIn('agent-slo-2');
      const { url, id } = await idp.logoutRequest({ sp: spEntityId(), name_id: 'agent-slo-2', relay_state: 'rs-1' });
      const atHub = await browser.request(url);
      expect(atHub.status, atHub.body.slice(0, 300)).to.equal(302);
      expect(atHub.location).to.match(new RegExp(`^${idp.url}/slo\\?SAMLResponse=.*RelayState=rs-1.*&Signature=`));
      const atIdp = await browser.request(atHub.location!);
      expect(atIdp.status, atIdp.body).to.equal(200);
      expect(await idp.lastLogout()).to.deep.include({ kind: 'response', in_response_to: id, status: 'urn:oasis:names:tc:SAML:2.0:status:Success', destination: `${idp.url}/slo` });
      expect(await hasHubSession(browser)).to.equal(false);
      expect(await lastAudit(hub.hub.store, 'lille', 'federation.logout')).to.include({ initiator: 'idp', subject: 'agent-slo-2', matchedSession: true, hubSessionEnded: true });
    });

    it('IdP-initiated, with a SAML SP signed in through the hub session: the SP is told on the logout page, then the IdP gets its LogoutResponse', async () => {
      const browser = await loggedIn('agent-slo-8');
      const spBase = 'http://127.0.0.1:9/slo-sp';
      const spDir = mkdtempSync(join(tmpdir(), 'slo-sp-'));
      try {
        await addServiceProvider({ store: hub.hub.store, production: false }, CLI_OPERATOR, { owner: null, from: { file: await writeSpMetadata(spDir, 'sp.xml', { base: spBase }) } });
      } finally {
        rmSync(spDir, { recursive: true, force: true });
      }
      const sso = await browser.follow(`${hub.url}/saml/sso/${encodeURIComponent(`${spBase}/metadata`)}`, spBase);
      expect(sso.body).to.contain('name="SAMLResponse"');

      const { url, id } = await idp.logoutRequest({ sp: spEntityId(), name_id: 'agent-slo-8', relay_state: 'rs-8' });
      const atHub = await browser.request(url);
      expect(atHub.status, atHub.body.slice(0, 300)).to.equal(302);
      expect(atHub.location).to.match(new RegExp(`^${hub.url}/saml/slo/run/[\\w-]+$`));
      const page = await browser.request(atHub.location!);
      const frame = /<iframe class="logout-frame" src="([^"]+)"/.exec(page.body)![1]!;
      const toSp = await browser.request(new URL(frame, hub.url).href);
      expect(toSp.status).to.equal(302);
      const request = new URL(toSp.location!);
      expect(`${request.origin}${request.pathname}`).to.equal(`${spBase}/slo`);
      expect(request.searchParams.get('Signature')).to.be.a('string');
      expect(inflateRawSync(Buffer.from(request.searchParams.get('SAMLRequest')!, 'base64')).toString('utf8')).to.match(/<samlp:LogoutRequest [^>]*>.*<saml:NameID [^>]*SPNameQualifier="[^"]*slo-sp\/metadata"[^>]*>[^<]+<\/saml:NameID><samlp:SessionIndex>_/);

      const done = await browser.request(`${atHub.location!}/done`);
      expect(done.status).to.equal(303);
      expect(done.location).to.match(new RegExp(`^${idp.url}/slo\\?SAMLResponse=.*RelayState=rs-8.*&Signature=`));
      expect((await browser.request(done.location!)).status).to.equal(200);
      expect(await idp.lastLogout()).to.deep.include({ kind: 'response', in_response_to: id, status: 'urn:oasis:names:tc:SAML:2.0:status:Success' });
      expect(await hasHubSession(browser)).to.equal(false);
      expect(await lastAudit(hub.hub.store, 'lille', 'saml.logout')).to.deep.include({ initiator: 'hub', unanswered: [`${spBase}/metadata`] });
    });

    it('IdP-initiated for another subject: answers, but leaves this browser’s session alone', async () => {
      const browser = await loggedIn('agent-slo-3');
      const { url } = await idp.logoutRequest({ sp: spEntityId(), name_id: 'someone-else' });
      const atHub = await browser.request(url);
      expect(atHub.status).to.equal(302);
      expect(await hasHubSession(browser)).to.equal(true);
      expect(await lastAudit(hub.hub.store, 'lille', 'federation.logout')).to.include({ initiator: 'idp', subject: 'someone-else', matchedSession: false, hubSessionEnded: false });
    });

    describe('refuses an IdP LogoutRequest', () => {
      async function refused(url: string, reason: string, browser: Browser = new Browser()) {
        const page = await browser.request(url);
        expect(page.status, page.body.slice(0, 300)).to.equal(401);
        expect(page.location).to.equal(null);
        expect(page.body).to.include('Connexion refusée').and.include(`Code technique\u00a0: <code>${reason}</code>`);
        expect(await lastAudit(hub.hub.store, 'lille', 'federation.failure')).to.include({ connector: CONNECTOR, reason });
      }

      it('unsigned (and the session survives)', async () => {
        const browser = await loggedIn('agent-slo-4');
        await refused((await idp.logoutRequest({ sp: spEntityId(), name_id: 'agent-slo-4', sign: false })).url, 'response_unsigned', browser);
        expect(await hasHubSession(browser)).to.equal(true);
      });

      it('with a signature that does not verify', async () => {
        const { url } = await idp.logoutRequest({ sp: spEntityId(), name_id: 'agent-slo-4' });
        const u = new URL(url);
        const sig = u.searchParams.get('Signature')!;
        u.searchParams.set('Signature', (sig[0] === 'A' ? 'B' : 'A') + sig.slice(1));
        await refused(u.href, 'signature');
      });

      it('past its NotOnOrAfter', async () => {
        await refused((await idp.logoutRequest({ sp: spEntityId(), name_id: 'agent-slo-4', expired: true })).url, 'expired');
      });

      it('addressed to another destination', async () => {
        await refused((await idp.logoutRequest({ sp: spEntityId(), name_id: 'agent-slo-4', destination: 'https://other-sp.example/slo' })).url, 'destination');
      });

      it('replayed', async () => {
        const { url } = await idp.logoutRequest({ sp: spEntityId(), name_id: 'agent-slo-4' });
        expect((await new Browser().request(url)).status).to.equal(302);
        await refused(url, 'replay');
      });

      it('an unsigned LogoutResponse', async () => {
        await refused(`${hub.url}/federation/${CONNECTOR}/slo?SAMLResponse=x`, 'response_unsigned');
      });
    });
  });
});
