/**
 * End to end with a real SAML IdP (pysaml2 + xmlsec1) playing ÉduConnect: openid-client RP →
 * hub → IdP (signed AuthnRequest, encrypted and signed assertion with the OID attributes) →
 * hub → RP gets an ID token for the imported account. Then the refusals.
 */
import { expect } from 'chai';
import type * as oidc from 'openid-client';
import { fetchUserInfo } from 'openid-client';
import { REDIRECT } from '../../testing/harness/fixtures.js';
import type { TestHub } from '../../testing/harness/hub.js';
import type { Pysaml2Idp } from '../../testing/harness/pysaml2.js';
import { Browser } from '../../testing/harness/browser.js';
import { exchange, startAuthorization } from '../../testing/harness/rp.js';
import type { Account } from '../../src/storage/ports/index.js';
import { linkHref, OID, openLoginPage, postForm, postToAcs, toIdpForm, startEduconnectHub, type EduconnectSetup } from './helpers.js';

const EDUCONNECT = /\/federation\/start\/educonnect\?/;

function pupilAttributes(refIds: string[], id = 'a1b2c3d4e5') {
  return {
    [`${OID}57`]: [id],
    [`${OID}7`]: ['eleve2d'],
    [`${OID}72`]: ['0590121L'],
    [`${OID}67`]: ['2012-04-03'],
    'urn:oid:2.5.4.4': ['Lefèvre'],
    'urn:oid:2.5.4.42': ['Inès'],
    FrEduCtRefId: refIds,
  };
}

describe('ÉduConnect through a real pysaml2 IdP', function () {
  this.timeout(60_000);
  let idp: Pysaml2Idp;
  let hub: TestHub;
  let portal: oidc.Configuration;
  let setup: EduconnectSetup;
  let pupil: Account;

  const auditTypes = async (tenant: string | null) => (tenant ? hub.hub.store.forTenant(tenant).audit : hub.hub.store.audit).list({ limit: 50 });

  before(async () => {
    setup = await startEduconnectHub();
    ({ idp, hub, portal } = setup);
    const lille = hub.hub.store.forTenant('lille');
    pupil = await lille.accounts.create({ login: 'ines.lefevre', firstName: 'Inès', lastName: 'Lefèvre', displayName: 'Inès Lefèvre', profile: 'Student', status: 'pending', externalId: 'LILLE-1234567', source: 'AC-LILLE', activationCodeHash: 'a'.repeat(64), activationExpiresAt: new Date(Date.now() + 86_400_000) });
  });
  after(() => setup?.stop());

  it('shows the ÉduConnect and staff choices on the login page', async () => {
    const s = await openLoginPage(portal);
    expect(s.loginPage.body).to.include('Élève ou parent — ÉduConnect');
    expect(s.loginPage.body).to.match(EDUCONNECT);
  });

  it('logs a pupil in with an encrypted, signed assertion, activates and links the pending account', async () => {
    await idp.scenario({ attributes: pupilAttributes(['{AAF}09|X|1234567']), name_id: 'a1b2c3d4e5' });
    const s = await openLoginPage(portal);
    const form = await toIdpForm(s, EDUCONNECT);
    const fields = Buffer.from(form.fields.SAMLResponse!, 'base64').toString();
    expect(fields).to.include('EncryptedAssertion');
    const page = await postToAcs(s, form);
    expect(page.location, page.body.slice(0, 500)).to.match(new RegExp(`^${REDIRECT}`));
    const tokens = await exchange(portal, { callback: new URL(page.location!), verifier: s.auth.verifier, state: s.auth.state, nonce: s.auth.nonce });
    const claims = tokens.claims()!;
    expect(claims).to.include({ sub: pupil.id, acr: 'urn:ent-hdf:loa:1' });
    expect(claims.amr).to.deep.equal(['ext']);
    const info = await fetchUserInfo(portal, tokens.access_token, claims.sub);
    expect(info).to.include({ ent_profile: 'Student', tenant: 'lille', preferred_username: 'ines.lefevre' });

    const lille = hub.hub.store.forTenant('lille');
    const account = await lille.accounts.get(pupil.id);
    expect(account.status).to.equal('active');
    expect(account.activationCodeHash).to.equal(null);
    expect(await lille.identities.find('educonnect', 'a1b2c3d4e5')).to.include({ accountId: pupil.id });
    const types = (await auditTypes('lille')).map((e) => e.type);
    expect(types).to.include.members(['federation.link', 'federation.activation']);
  });

  it('keeps the interaction cookie on the interaction’s path: the sign-in steps live under it, the IdP’s endpoints do not need it', async () => {
    const s = await openLoginPage(portal);
    const start = linkHref(s.loginPage, EDUCONNECT);
    expect(new URL(start).pathname).to.equal(`/interaction/${s.uid}/federation/start/educonnect`);
    expect(await s.browser.cookieNames(start)).to.include('_interaction');
    expect(await s.browser.cookieNames(`${hub.url}/federation/educonnect/acs`)).not.to.include('_interaction');
  });

  describe('hints and the remembered choice', () => {
    const fromAuthorization = async (browser: Browser, extra: Record<string, string>) => {
      const auth = await startAuthorization(portal, extra);
      return { auth, page: await browser.follow(auth.url.href, REDIRECT) };
    };

    it('goes straight to ÉduConnect with idp_hint, never showing the login page, and back to the RP', async () => {
      await idp.scenario({ attributes: pupilAttributes(['{AAF}09|X|1234567']), name_id: 'a1b2c3d4e5' });
      const browser = new Browser();
      const { auth, page: atIdp } = await fromAuthorization(browser, { idp_hint: 'educonnect' });
      expect(atIdp.url).to.match(new RegExp(`^${idp.url}/sso\\?SAMLRequest=`));
      expect(atIdp.status, atIdp.body).to.equal(200);
      const page = await postToAcs({ browser, auth, loginPage: atIdp, uid: '' }, postForm(atIdp));
      expect(page.location, page.body.slice(0, 300)).to.match(new RegExp(`^${REDIRECT}`));
      expect((await exchange(portal, { callback: new URL(page.location!), ...auth })).claims()!.sub).to.equal(pupil.id);
    });

    it('shows the login page when idp_hint names no enabled connector', async () => {
      const { page } = await fromAuthorization(new Browser(), { idp_hint: 'nowhere' });
      expect(page.status).to.equal(200);
      expect(page.url).to.match(/\/interaction\/[\w-]+/);
      expect(page.body).to.match(EDUCONNECT);
    });

    it('remembers the last choice: the next sign-in goes there, "back" from it forgets the choice', async () => {
      await idp.scenario({ attributes: pupilAttributes(['{AAF}09|X|1234567']), name_id: 'a1b2c3d4e5' });
      const s = await openLoginPage(portal);
      const done = await postToAcs(s, await toIdpForm(s, EDUCONNECT));
      expect(done.location).to.match(new RegExp(`^${REDIRECT}`));
      await s.browser.forget('_session');
      const auth = await startAuthorization(portal);
      const toInteraction = await s.browser.request(auth.url.href);
      const uid = /\/interaction\/([\w-]+)/.exec(toInteraction.location ?? '')?.[1];
      expect(uid, toInteraction.body).to.be.a('string');
      const skipped = await s.browser.request(toInteraction.location!);
      expect(skipped.location).to.equal(`${hub.url}/interaction/${uid}/federation/start/educonnect?lang=fr`);
      const back = await s.browser.request(`${hub.url}/interaction/${uid}/federation/back?lang=fr`);
      expect(back.location).to.equal(`${hub.url}/interaction/${uid}?lang=fr`);
      const page = await s.browser.request(back.location!);
      expect(page.status).to.equal(200);
      expect(page.body).to.match(EDUCONNECT);
    });
  });

  it('prompt=select_account shows the login page despite the remembered choice and a live session, and signs in from it', async () => {
    await idp.scenario({ attributes: pupilAttributes(['{AAF}09|X|1234567']), name_id: 'a1b2c3d4e5' });
    const s = await openLoginPage(portal);
    expect((await postToAcs(s, await toIdpForm(s, EDUCONNECT))).location).to.match(new RegExp(`^${REDIRECT}`));
    const again = await openLoginPage(portal, { prompt: 'select_account' }, s.browser);
    expect(again.loginPage.status).to.equal(200);
    expect(again.loginPage.body).to.match(EDUCONNECT);
    const done = await postToAcs(again, await toIdpForm(again, EDUCONNECT));
    expect(done.location, done.body.slice(0, 300)).to.match(new RegExp(`^${REDIRECT}`));
    expect((await exchange(portal, { callback: new URL(done.location!), ...again.auth })).claims()!.sub).to.equal(pupil.id);
  });

  it('an expired sign-in step offers to start that sign-in again, and the other language', async () => {
    const s = await openLoginPage(portal);
    // Another browser (or this one once the interaction cookie has expired) follows the link.
    const page = await new Browser().request(linkHref(s.loginPage, EDUCONNECT));
    expect(page.status).to.equal(400);
    expect(page.body).to.include('Session expirée').and.include('<code>expired_interaction</code>');
    const restart = /href="([^"]*\/auth\?[^"]*)"/.exec(page.body)?.[1]?.replace(/&amp;/g, '&');
    expect(restart, page.body).to.be.a('string');
    const params = new URL(restart!, hub.url).searchParams;
    expect({ client: params.get('client_id'), state: params.get('state') }).to.deep.equal({ client: 'portal', state: s.auth.state });
    expect(page.body).to.match(new RegExp(`href="/interaction/${s.uid}/federation/start/educonnect\\?lang=en"`));
  });

  it('refuses a ticket brought to another sign-in’s path', async () => {
    await idp.scenario({ attributes: pupilAttributes(['{AAF}09|X|1234567']), name_id: 'a1b2c3d4e5' });
    const mallory = await openLoginPage(portal);
    const form = await toIdpForm(mallory, EDUCONNECT);
    const acs = await mallory.browser.request(form.action, { form: form.fields, crossSite: true });
    expect(acs.location).to.match(new RegExp(`/interaction/${mallory.uid}/federation/continue/`));
    const victim = await openLoginPage(portal, {}, new Browser());
    const page = await victim.browser.request(acs.location!.replace(`/interaction/${mallory.uid}/`, `/interaction/${victim.uid}/`));
    expect(page.status).to.equal(400);
    expect(page.location).to.equal(null);
    expect(page.body).to.include('<code>expired_interaction</code>');
  });

  it('finds the remembered link first next time (even without a FrEduCtRefId)', async () => {
    await idp.scenario({ attributes: pupilAttributes([]), name_id: 'a1b2c3d4e5' });
    const s = await openLoginPage(portal);
    const page = await postToAcs(s, await toIdpForm(s, EDUCONNECT));
    expect(page.location, page.body.slice(0, 300)).to.match(new RegExp(`^${REDIRECT}`));
  });

  it('offers a choice when several accounts match, and logs into the chosen one', async () => {
    const amiens = await hub.hub.store.forTenant('amiens').accounts.create({ login: 'paul.roux', firstName: 'Paul', lastName: 'Roux', profile: 'Relative', status: 'active', externalId: 'AMIENS-77', source: 'AC-AMIENS' });
    const lille = await hub.hub.store.forTenant('lille').accounts.create({ login: 'paul.roux2', firstName: 'Paul', lastName: 'Roux', profile: 'Relative', status: 'active', externalId: 'LILLE-88', source: 'AC-LILLE' });
    await idp.scenario({ attributes: { ...pupilAttributes(['{AAF}20|X|77', '{AAF}9|X|88', '{AAF}99|X|5'], 'parent-1'), [`${OID}7`]: ['resp2d'] }, name_id: 'parent-1' });
    const s = await openLoginPage(portal);
    const choice = await postToAcs(s, await toIdpForm(s, EDUCONNECT));
    expect(choice.status).to.equal(200);
    expect(choice.body).to.include('Choisissez votre compte').and.include('paul.roux2').and.include('Académie d&#39;Amiens');
    const action = /<form class="form" method="post" action="([^"]+)"/.exec(choice.body)![1]!.replace(/&amp;/g, '&');
    const done = await s.browser.follow(new URL(action, hub.url).href, REDIRECT, { form: { account: amiens.id } });
    const tokens = await exchange(portal, { callback: new URL(done.location!), verifier: s.auth.verifier, state: s.auth.state, nonce: s.auth.nonce });
    expect(tokens.claims()!.sub).to.equal(amiens.id);
    expect(lille.id).to.not.equal(amiens.id);
  });

  it('refuses an account that was not offered on the choice page', async () => {
    await idp.scenario({ attributes: { ...pupilAttributes(['{AAF}20|X|77', '{AAF}9|X|88'], 'parent-2') }, name_id: 'parent-2' });
    const s = await openLoginPage(portal);
    const choice = await postToAcs(s, await toIdpForm(s, EDUCONNECT));
    const action = /<form class="form" method="post" action="([^"]+)"/.exec(choice.body)![1]!.replace(/&amp;/g, '&');
    const refused = await s.browser.request(new URL(action, hub.url).href, { form: { account: pupil.id } });
    expect(refused.status).to.equal(400);
    expect(refused.body).to.include('Connexion refusée');
  });

  it('shows a help page, not an error, when no account matches, and creates none (link only by default)', async () => {
    const before = await hub.hub.store.forTenant('lille').accounts.count();
    await idp.scenario({ attributes: pupilAttributes(['{AAF}09|X|999999'], 'nobody'), name_id: 'nobody' });
    const s = await openLoginPage(portal);
    const page = await postToAcs(s, await toIdpForm(s, EDUCONNECT));
    expect(page.status).to.equal(200);
    expect(page.body).to.include('Aucun compte ENT trouvé').and.include('secrétariat');
    expect((await auditTypes(null)).map((e) => e.type)).to.include('federation.no_account');
    expect((await auditTypes(null)).find((e) => e.type === 'federation.no_account')?.details).not.to.have.property('notCreated');
    expect(await hub.hub.store.forTenant('lille').accounts.count()).to.equal(before);
    expect(await hub.hub.store.forTenant('lille').accounts.findByExternalId('LILLE-999999')).to.equal(null);
    expect((await auditTypes('lille')).map((e) => e.type)).not.to.include('account.created');
  });

  it('serves the pages in English', async () => {
    await idp.scenario({ attributes: pupilAttributes(['{AAF}09|X|999999'], 'nobody'), name_id: 'nobody' });
    const s = await openLoginPage(portal);
    s.loginPage = await s.browser.request(`${hub.url}/interaction/${s.uid}?lang=en`);
    expect(s.loginPage.body).to.include('Pupil or parent — ÉduConnect');
    const page = await postToAcs(s, await toIdpForm(s, /\/federation\/start\/educonnect\?.*lang=en/));
    expect(page.body).to.include('No ENT account found');
  });
});
