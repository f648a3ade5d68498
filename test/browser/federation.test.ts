/**
 * Federated sign-in in a real browser (Chromium through Playwright), each flow from the web RP
 * through the hub and back: ÉduConnect (a pysaml2 IdP with its own login form and session, as
 * the real one), académie staff IdPs over SAML (pysaml2) and OIDC (node-oidc-provider), the
 * hints that skip the login page, account choice, the no-account page, and single logout in
 * every direction. Elements are found by links, form actions and input names, never by wording.
 */
import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ACR_ONE_FACTOR } from '../../src/identity/acr.js';
import type { Account } from '../../src/storage/ports/index.js';
import { tenantsWith } from '../federation/helpers.js';
import { prepareOidcUpstream, type OidcUpstream } from '../../testing/harness/oidc-upstream.js';
import { makeKeyPair, preparePysaml2Idp, type IdpUser, type Pysaml2Idp } from '../../testing/harness/pysaml2.js';
import {
  followLink, onHub, rpBye, rpResult, startHubWithRp, startLogin, submitForm, useBrowser, visit, waitForUrl,
  type HubWithRp, type Page,
} from './harness.js';

const OID = 'urn:oid:1.3.6.1.4.1.20326.10.999.1.';
const IDP_PASSWORD = 'mot-de-passe-educonnect';
const STAFF_SAML = 'lille-agents';
const STAFF_OIDC = 'amiens-agents';
const RNE = '0590121L$UAJ$PU$ENS$0590121L$T3$LYC$3000';

function eduConnectUser(id: string, refIds: string[], profile = 'eleve2d'): IdpUser {
  return {
    password: IDP_PASSWORD, name_id: id,
    attributes: { [`${OID}57`]: [id], [`${OID}7`]: [profile], 'urn:oid:2.5.4.4': ['Lefèvre'], 'urn:oid:2.5.4.42': ['Inès'], FrEduCtRefId: refIds },
  };
}

describe('browser: federated sign-in and single logout, from the web RP through the hub and back', function () {
  this.timeout(90_000);
  const browser = useBrowser();
  let env: HubWithRp;
  let educonnect: Pysaml2Idp;
  let staffIdp: Pysaml2Idp;
  let upstream: OidcUpstream;
  let keysDir: string;
  let tenantsDir: string;
  let pupil: Account;
  let paul: Account;
  let marie: Account;
  let parentInAmiens: Account;

  before(async function () {
    this.timeout(90_000);
    [educonnect, staffIdp, upstream] = await Promise.all([
      preparePysaml2Idp({
        users: {
          ines: eduConnectUser('ec-ines', ['{AAF}09|X|1234567']),
          'paul.roux': eduConnectUser('ec-parent', ['{AAF}20|X|77', '{AAF}9|X|88'], 'resp2d'),
          nobody: eduConnectUser('ec-nobody', ['{AAF}09|X|999999']),
        },
      }),
      preparePysaml2Idp({ users: { 'paul.durand': { password: IDP_PASSWORD, name_id: 'agent-paul', attributes: { mail: ['paul.durand@ac-lille.fr'], FrEduRne: [RNE] } } } }),
      prepareOidcUpstream(),
    ]);
    keysDir = mkdtempSync(join(tmpdir(), 'sp-keys-'));
    const [signing, encryption] = await Promise.all([makeKeyPair(keysDir, 'sp-sign'), makeKeyPair(keysDir, 'sp-enc')]);
    tenantsDir = tenantsWith({
      lille: [{ id: STAFF_SAML, type: 'saml', displayName: 'Personnel de l’académie de Lille', enabled: true, emailDomains: ['ac-lille.fr'], saml: { idpMetadata: { file: staffIdp.metadataFile }, signing, encryption } }],
      amiens: [{
        id: STAFF_OIDC, type: 'oidc', displayName: 'Personnel de l’académie d’Amiens', enabled: true, emailDomains: ['ac-amiens.fr'],
        oidc: { issuer: upstream.issuer, clientId: upstream.clientId, clientSecret: { env: upstream.secretEnv }, scopes: ['openid', 'profile', 'email', 'academie'], allowInsecureHttp: true },
      }],
    });
    env = await startHubWithRp({
      hub: {
        config: {
          tenants: { dir: tenantsDir },
          federation: { connectors: [{ id: 'educonnect', type: 'saml', displayName: 'ÉduConnect', enabled: true, saml: { idpMetadata: { file: educonnect.metadataFile }, signing, encryption } }] },
        },
      },
    });
    const hub = env.hub.url;
    await Promise.all([
      educonnect.serve(await (await fetch(`${hub}/federation/educonnect/metadata`)).text()),
      staffIdp.serve(await (await fetch(`${hub}/federation/${STAFF_SAML}/metadata`)).text()),
      upstream.serve(`${hub}/federation/${STAFF_OIDC}/callback`),
    ]);
    const lille = env.hub.hub.store.forTenant('lille');
    const amiens = env.hub.hub.store.forTenant('amiens');
    pupil = await lille.accounts.create({ login: 'ines.lefevre', firstName: 'Inès', lastName: 'Lefèvre', displayName: 'Inès Lefèvre', profile: 'Student', status: 'active', externalId: 'LILLE-1234567', source: 'AC-LILLE' });
    paul = await lille.accounts.create({ login: 'paul.durand', firstName: 'Paul', lastName: 'Durand', displayName: 'Paul Durand', profile: 'Teacher', status: 'active', academicEmail: 'paul.durand@ac-lille.fr', source: 'AC-LILLE' });
    marie = await amiens.accounts.create({ login: 'marie.curie', firstName: 'Marie', lastName: 'Curie', displayName: 'Marie Curie', profile: 'Teacher', status: 'active', academicEmail: 'marie.curie@ac-amiens.fr', source: 'AC-AMIENS' });
    parentInAmiens = await amiens.accounts.create({ login: 'paul.roux', firstName: 'Paul', lastName: 'Roux', displayName: 'Paul Roux', profile: 'Relative', status: 'active', externalId: 'AMIENS-77', source: 'AC-AMIENS' });
    await lille.accounts.create({ login: 'paul.roux2', firstName: 'Paul', lastName: 'Roux', displayName: 'Paul Roux', profile: 'Relative', status: 'active', externalId: 'LILLE-88', source: 'AC-LILLE' });
  });
  after(async () => {
    await env?.stop();
    await Promise.all([educonnect?.stop(), staffIdp?.stop(), upstream?.stop()]);
    for (const dir of [keysDir, tenantsDir]) if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const hubUrl = () => env.hub.url;
  const atIdp = (page: Page, idp: Pysaml2Idp) => waitForUrl(page, (url) => url.href.startsWith(idp.url), `the IdP at ${idp.url}`);

  /** On the IdP's own login form: signs in (the IdP then posts the assertion to the hub by itself). */
  async function signInAtIdp(page: Page, idp: Pysaml2Idp, username: string, name: string): Promise<void> {
    await atIdp(page, idp);
    await visit(page, name);
    await submitForm(page, '/login', { username, password: IDP_PASSWORD });
  }

  /** RP → hub login page → "Élève ou parent — ÉduConnect" → the IdP's form → … */
  async function throughEduConnectButton(page: Page, username: string, name: string): Promise<void> {
    await startLogin(page, env.rp);
    await onHub(page, env.hub, /^\/interaction\/[^/]+(\?|$)/);
    await visit(page, `${name}-login-page`, 'login-with-federation');
    await followLink(page, '/federation/start/educonnect');
    await signInAtIdp(page, educonnect, username, `${name}-educonnect-form`);
  }

  /** The hub's end-session page, "sign out everywhere". */
  async function confirmLogoutEverywhere(page: Page, name: string): Promise<void> {
    await onHub(page, env.hub, /\/session\/end/);
    await visit(page, name);
    await Promise.all([page.waitForEvent('framenavigated'), page.locator('button[type="submit"][name="logout"][value="yes"]').click()]);
  }

  /** The pupil signs in through ÉduConnect, then the RP sends her to the hub's logout, confirmed "everywhere". */
  async function signInThenLogOutEverywhere(page: Page, name: string, postLogout: boolean): Promise<void> {
    await throughEduConnectButton(page, 'ines', name);
    await rpResult(page, env.rp);
    await page.goto(env.rp.logoutUrl(postLogout));
    await confirmLogoutEverywhere(page, `${name}-confirm`);
  }

  it('ÉduConnect through the home-realm button: the IdP’s own form, then the RP gets the pupil with acr and amr', async () => {
    const { page } = browser;
    await throughEduConnectButton(page, 'ines', 'educonnect');
    const result = await rpResult(page, env.rp);
    expect(result.claims).to.include({ sub: pupil.id, acr: ACR_ONE_FACTOR });
    expect(result.claims!.amr).to.deep.equal(['ext']);
    await visit(page, 'educonnect-rp');
  });

  it('RP-initiated logout with post_logout_redirect_uri: the ÉduConnect session ends first, the browser lands on the RP with its state, the next login asks the IdP password', async () => {
    const { page } = browser;
    await signInThenLogOutEverywhere(page, 'slo-rp', true);
    const bye = await rpBye(page, env.rp);
    expect(bye.state).to.be.a('string').and.equal(bye.expected);
    expect(await educonnect.lastLogout()).to.deep.include({ kind: 'request', name_id: 'ec-ines', idp_session_ended: true });
    // The hub remembers the choice of ÉduConnect, but neither it nor ÉduConnect remembers the pupil: the IdP's form comes back.
    await page.goto(env.rp.loginUrl());
    await signInAtIdp(page, educonnect, 'ines', 'slo-rp-again');
    expect((await rpResult(page, env.rp)).claims!.sub).to.equal(pupil.id);
  });

  it('RP-initiated logout without post_logout_redirect_uri: through the IdP, ends on the hub’s signed-out page', async () => {
    const { page } = browser;
    await signInThenLogOutEverywhere(page, 'slo-plain', false);
    await onHub(page, env.hub, /\/federation\/educonnect\/slo/);
    await visit(page, 'slo-plain-signed-out', 'federation-signed-out');
    expect(await educonnect.lastLogout()).to.deep.include({ kind: 'request', name_id: 'ec-ines', idp_session_ended: true });
    await page.goto(env.rp.loginUrl());
    await atIdp(page, educonnect);
    expect(await page.locator('input[name="password"]').count()).to.equal(1);
  });

  it('IdP-initiated logout (the person signs out at ÉduConnect) ends the hub session: the next RP login asks the IdP password again', async () => {
    const { page } = browser;
    await throughEduConnectButton(page, 'ines', 'slo-idp');
    await rpResult(page, env.rp);
    // The person signs out at ÉduConnect: its session ends, then it sends the hub a LogoutRequest.
    await page.goto(`${educonnect.url}/idp-logout?${new URLSearchParams({ sp: `${hubUrl()}/federation/educonnect/metadata` })}`);
    await waitForUrl(page, (u) => u.href.startsWith(`${educonnect.url}/slo`), 'the IdP’s /slo with our LogoutResponse');
    expect(await educonnect.lastLogout()).to.deep.include({ kind: 'response', status: 'urn:oasis:names:tc:SAML:2.0:status:Success' });
    const audit = (await env.hub.hub.store.audit.list({ limit: 5 })).find((e) => e.type === 'federation.logout');
    expect(audit?.details).to.include({ initiator: 'idp', subject: 'ec-ines', matchedSession: true, hubSessionEnded: true });
    // No silent sign-in any more: the RP's next login meets ÉduConnect's form (the remembered choice skips the hub's page).
    await page.goto(env.rp.loginUrl());
    await signInAtIdp(page, educonnect, 'ines', 'slo-idp-again');
    expect((await rpResult(page, env.rp)).claims!.sub).to.equal(pupil.id);
  });

  it('idp_hint=educonnect skips the hub’s login page', async () => {
    const { page } = browser;
    await page.goto(env.rp.loginUrl({ idp_hint: 'educonnect' }));
    await signInAtIdp(page, educonnect, 'ines', 'idp-hint-educonnect-form');
    expect((await rpResult(page, env.rp)).claims!.sub).to.equal(pupil.id);
  });

  it('login_hint in an académie’s e-mail domain goes straight to its staff IdP (SAML)', async () => {
    const { page } = browser;
    await page.goto(env.rp.loginUrl({ login_hint: 'paul.durand@ac-lille.fr' }));
    await signInAtIdp(page, staffIdp, 'paul.durand', 'login-hint-staff-form');
    expect((await rpResult(page, env.rp)).claims).to.include({ sub: paul.id, acr: ACR_ONE_FACTOR });
  });

  it('académie staff over SAML: "Personnel de l’Éducation nationale", the académie, its IdP, the RP', async () => {
    const { page } = browser;
    await startLogin(page, env.rp);
    await onHub(page, env.hub, /^\/interaction\//);
    await followLink(page, '/federation/staff');
    await visit(page, 'staff-choice', 'staff-choice');
    await followLink(page, `/federation/start/${STAFF_SAML}`);
    await signInAtIdp(page, staffIdp, 'paul.durand', 'staff-saml-form');
    expect((await rpResult(page, env.rp)).claims!.sub).to.equal(paul.id);
  });

  it('académie staff over OIDC: the upstream OP signs the teacher in, the RP gets her account', async () => {
    const { page } = browser;
    upstream.user({ sub: 'fim-marie', claims: { given_name: 'Marie', family_name: 'Curie', mail: 'marie.curie@ac-amiens.fr' } });
    await startLogin(page, env.rp);
    await onHub(page, env.hub, /^\/interaction\//);
    await followLink(page, '/federation/staff');
    await followLink(page, `/federation/start/${STAFF_OIDC}`);
    const result = await rpResult(page, env.rp);
    expect(result.claims).to.include({ sub: marie.id, acr: ACR_ONE_FACTOR });
    expect(result.claims!.amr).to.deep.equal(['ext']);
  });

  it('account choice: a parent known in two académies picks one', async () => {
    const { page } = browser;
    await throughEduConnectButton(page, 'paul.roux', 'account-choice');
    await onHub(page, env.hub, /\/federation\/continue\//);
    await visit(page, 'account-choice-page', 'account-choice');
    await page.locator(`input[name="account"][value="${parentInAmiens.id}"]`).check();
    await Promise.all([page.waitForEvent('framenavigated'), page.locator('form[action*="/federation/choose/"] button[type="submit"]').click()]);
    expect((await rpResult(page, env.rp)).claims!.sub).to.equal(parentInAmiens.id);
  });

  it('no account: a help page, with a way back to the choices', async () => {
    const { page } = browser;
    await throughEduConnectButton(page, 'nobody', 'no-account');
    await onHub(page, env.hub, /\/federation\/continue\//);
    await visit(page, 'no-account-page', 'no-account');
    await followLink(page, '/federation/back');
    await onHub(page, env.hub, /^\/interaction\/[^/]+(\?|$)/);
  });
});
