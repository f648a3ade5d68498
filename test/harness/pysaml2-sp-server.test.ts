/**
 * The pysaml2 SP web server (testing/harness/pysaml2-sp-server.ts) against the pysaml2 IdP in its
 * users mode (login form, IdP session, SLO), driven in Chromium: SP-initiated login with both
 * bindings ends on /whoami with the attributes, single logout in both directions, and what the
 * SP sends and refuses.
 */
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { inflateRawSync } from 'node:zlib';
import { preparePysaml2Idp, type Pysaml2Idp } from '../../testing/harness/pysaml2.js';
import { startPysaml2Sp, type Pysaml2SpServer } from '../../testing/harness/pysaml2-sp-server.js';
import { submitForm, useBrowser, waitForUrl, type Page } from '../browser/harness.js';

const PASSWORD = 'mot-de-passe';
const NAME_ID = 'ec-ines';
const ATTRIBUTES = { 'urn:oid:2.5.4.42': ['Inès'], 'urn:oid:1.3.6.1.4.1.20326.10.999.1.7': ['eleve2d'] };
/** As pysaml2 hands them: the attributes it knows under their friendly name, the others under their Name. */
const READ_ATTRIBUTES = { givenName: ['Inès'], 'urn:oid:1.3.6.1.4.1.20326.10.999.1.7': ['eleve2d'] };
const SUCCESS = 'urn:oasis:names:tc:SAML:2.0:status:Success';
const RSA_SHA256 = 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256';
const EXACT_ACR = 'urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport';

/** The XML of a SAMLRequest sent by the HTTP-Redirect binding (deflated, base64). */
function redirectedRequest(location: string): { xml: string; query: URLSearchParams } {
  const query = new URL(location).searchParams;
  return { xml: inflateRawSync(Buffer.from(query.get('SAMLRequest')!, 'base64')).toString('utf8'), query };
}

/** The hidden fields of the SP's HTTP-POST page and its form's action. */
function postedForm(page: string): { action: string; fields: Record<string, string> } {
  const fields = Object.fromEntries([...page.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)].map((m) => [m[1]!, m[2]!]));
  return { action: /<form method="post" action="([^"]+)"/.exec(page)![1]!, fields };
}

describe('harness: the pysaml2 SP web server, against the pysaml2 IdP in Chromium', function () {
  this.timeout(60_000);
  let idp: Pysaml2Idp;
  let sp: Pysaml2SpServer;
  /** Signs no request, has no encryption key, and no IdP until its test gives it one. */
  let bare: Pysaml2SpServer;

  before(async function () {
    this.timeout(60_000);
    [idp, sp, bare] = await Promise.all([
      preparePysaml2Idp({ users: { ines: { password: PASSWORD, name_id: NAME_ID, attributes: ATTRIBUTES }, paul: { password: PASSWORD, name_id: 'ec-paul', attributes: {} } } }),
      startPysaml2Sp({ name: 'Ressource test' }),
      startPysaml2Sp({ encrypt: false, signRequests: false }),
    ]);
    await Promise.all([idp.serve(readFileSync(sp.metadataFile, 'utf8')), sp.useIdp(readFileSync(idp.metadataFile, 'utf8'))]);
  });
  after(async () => {
    await Promise.all([idp?.stop(), sp?.stop(), bare?.stop()]);
  });

  describe('in Chromium', () => {
    const browser = useBrowser();

    const whoami = async (page: Page) => JSON.parse(await page.locator('body').innerText()) as Record<string, unknown>;

    /** From the SP's /login to /whoami through the IdP's login form. */
    async function signIn(page: Page, binding: 'redirect' | 'post', relay: string, username = 'ines'): Promise<Record<string, unknown>> {
      await page.goto(`${sp.base}/login?binding=${binding}&relay=${relay}`);
      if (binding === 'post') await submitForm(page, '/sso');
      await waitForUrl(page, (url) => url.href.startsWith(`${idp.url}/sso`), 'the IdP’s login form');
      await submitForm(page, '/login', { username, password: PASSWORD });
      await waitForUrl(page, (url) => url.href === `${sp.base}/whoami`, 'the SP’s /whoami');
      return whoami(page);
    }

    /** The session /whoami shows after signing in by that binding, checked against the SP's own record. */
    async function expectSignedIn(page: Page, binding: 'redirect' | 'post'): Promise<Record<string, unknown>> {
      const session = await signIn(page, binding, `state-${binding}`);
      expect(session).to.deep.include({ name_id: NAME_ID, name_id_format: 'urn:oasis:names:tc:SAML:2.0:nameid-format:persistent', attributes: READ_ATTRIBUTES, issuer: idp.entityId, relay_state: `state-${binding}` });
      expect(session.session_index).to.be.a('string').and.not.empty;
      expect(session.in_response_to).to.be.a('string').and.not.empty;
      expect((await sp.events()).filter((e) => e.kind === 'login').at(-1)).to.deep.include({ in_response_to: session.in_response_to, name_id: NAME_ID });
      return session;
    }

    it('SP-initiated login (post): the IdP’s form, then /whoami with the NameID, the attributes and the RelayState', async () => {
      await expectSignedIn(browser.page, 'post');
    });

    it('SP-initiated login (redirect), then logout (redirect): the IdP ends its session and answers; the SP’s session ends', async () => {
      const { page } = browser;
      const session = await expectSignedIn(page, 'redirect');
      await page.goto(`${sp.base}/logout?binding=redirect`);
      await waitForUrl(page, (url) => url.href.startsWith(`${sp.base}/slo?`), 'the SP’s /slo with the IdP’s LogoutResponse');
      expect(await page.locator('#logged-out').count()).to.equal(1);
      expect(await idp.lastLogout()).to.deep.include({ kind: 'request', name_id: NAME_ID, session_indexes: [session.session_index], idp_session_ended: true });
      expect((await sp.events()).at(-1)).to.deep.include({ kind: 'logout_response_received', status: SUCCESS, session_ended: true, issuer: idp.entityId });
      expect((await page.goto(`${sp.base}/whoami`))!.status()).to.equal(401);
    });

    it('IdP-initiated logout: the SP ends the NameID’s session and answers with a signed LogoutResponse', async () => {
      const { page } = browser;
      // Paul: the other tests' sessions of Inès would end too.
      await signIn(page, 'redirect', 'before-idp-logout', 'paul');
      const { url, id } = await idp.logoutRequest({ sp: sp.entityId, name_id: 'ec-paul' });
      await page.goto(url);
      await waitForUrl(page, (u) => u.href.startsWith(`${idp.url}/slo?`), 'the IdP’s /slo with the SP’s LogoutResponse');
      // The IdP checked the response's redirect signature with the SP's metadata before recording it.
      expect(await idp.lastLogout()).to.deep.include({ kind: 'response', in_response_to: id, status: SUCCESS, issuer: sp.entityId });
      expect((await sp.events()).at(-1)).to.deep.include({ kind: 'logout_request_received', id, name_id: 'ec-paul', sessions_ended: 1 });
      expect((await page.goto(`${sp.base}/whoami`))!.status()).to.equal(401);
    });

    it('IsPassive without an IdP session: the IdP’s signed NoPassive Response is refused as a status, in JSON and in the events', async () => {
      const { page } = browser;
      await page.goto(`${sp.base}/login?binding=redirect&passive=1`);
      await waitForUrl(page, (url) => url.href === `${sp.base}/acs/post`, 'the SP’s ACS');
      const refusal = { error: 'status', status: 'urn:oasis:names:tc:SAML:2.0:status:NoPassive' };
      expect(JSON.parse(await page.locator('body').innerText())).to.deep.include(refusal);
      expect((await sp.events()).at(-1)).to.deep.include({ kind: 'refused', at: '/acs/post', ...refusal });
    });

    it('accepts an unsolicited Response (no InResponseTo) once: its replay is refused', async () => {
      const { page } = browser;
      await idp.scenario({ in_response_to: '' });
      try {
        let posted: string | null = null;
        page.on('request', (r) => { if (r.url() === `${sp.base}/acs/post`) posted = r.postData(); });
        expect(await signIn(page, 'post', 'unsolicited')).to.deep.include({ name_id: NAME_ID, in_response_to: null });
        const replayed = await fetch(`${sp.base}/acs/post`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: posted! });
        expect(replayed.status).to.equal(403);
        expect(await replayed.json()).to.deep.include({ error: 'replay' });
      } finally {
        await idp.scenario({});
      }
    });
  });

  describe('over HTTP', () => {
    it('the AuthnRequest: signed RSA-SHA256 on both bindings, ForceAuthn, IsPassive and an exact RequestedAuthnContext when asked', async () => {
      const asked = `force=1&passive=1&relay=r&acr=${encodeURIComponent(EXACT_ACR)}`;
      const redirected = await fetch(`${sp.base}/login?binding=redirect&${asked}`, { redirect: 'manual' });
      expect(redirected.status).to.equal(302);
      const { xml, query } = redirectedRequest(redirected.headers.get('location')!);
      expect(query.get('SigAlg')).to.equal(RSA_SHA256);
      expect(query.get('Signature')).to.be.a('string');
      expect(query.get('RelayState')).to.equal('r');
      expect(xml).to.match(/ForceAuthn="true"/).and.match(/IsPassive="true"/).and.match(new RegExp(`Destination="${idp.url}/sso"`));
      expect(xml).to.match(/RequestedAuthnContext[^>]*Comparison="exact"/).and.include(`>${EXACT_ACR}</`);

      const posted = postedForm(await (await fetch(`${sp.base}/login?binding=post`)).text());
      expect(posted.action).to.equal(`${idp.url}/sso`);
      const postedXml = Buffer.from(posted.fields.SAMLRequest!, 'base64').toString('utf8');
      expect(postedXml).to.include(`Algorithm="${RSA_SHA256}"`).and.match(/<(\w+:)?Signature[ >]/);
      expect(postedXml).not.to.match(/ForceAuthn|IsPassive|RequestedAuthnContext/);
    });

    it('refuses, with the reason and an event: a Response that is not one, an unsigned IdP LogoutRequest', async () => {
      const acs = await fetch(`${sp.base}/acs/post`, { method: 'POST', body: new URLSearchParams({ SAMLResponse: Buffer.from('<nonsense/>').toString('base64') }) });
      expect(acs.status).to.equal(403);
      expect(await acs.json()).to.have.keys('error', 'message');
      const unsigned = await fetch((await idp.logoutRequest({ sp: sp.entityId, name_id: NAME_ID, sign: false })).url, { redirect: 'manual' });
      expect(unsigned.status).to.equal(403);
      expect(await unsigned.json()).to.deep.include({ error: 'signature' });
      const events = await sp.events();
      expect(events.slice(-2).map((e) => [e.kind, e.at])).to.deep.equal([['refused', '/acs/post'], ['refused', '/slo']]);
    });

    it('an IdP-initiated LogoutRequest by HTTP-POST: its enveloped signature required and checked, answered by a signed LogoutResponse (Redirect)', async () => {
      const post = (body: Record<string, string>) => fetch(`${sp.base}/slo`, { method: 'POST', body: new URLSearchParams(body), redirect: 'manual' });
      const unsigned = await post((await idp.logoutRequest({ sp: sp.entityId, name_id: 'nobody', binding: 'post', sign: false })).body!);
      expect(unsigned.status).to.equal(403);
      expect(await unsigned.json()).to.deep.include({ error: 'signature', message: 'unsigned LogoutRequest' });
      const request = await idp.logoutRequest({ sp: sp.entityId, name_id: 'nobody', binding: 'post', relay_state: 'back' });
      const tamperedXml = Buffer.from(request.body!.SAMLRequest!, 'base64').toString('utf8').replace('>nobody<', '>ec-ines<');
      const tampered = await post({ ...request.body!, SAMLRequest: Buffer.from(tamperedXml).toString('base64') });
      expect(tampered.status).to.equal(403);
      expect(await tampered.json()).to.deep.include({ error: 'IncorrectlySigned' });
      expect(request.url).to.equal(`${sp.base}/slo`);
      const answered = await post(request.body!);
      expect(answered.status).to.equal(302);
      const location = answered.headers.get('location')!;
      expect(new URL(location).searchParams.get('RelayState')).to.equal('back');
      await fetch(location);
      expect(await idp.lastLogout()).to.deep.include({ kind: 'response', in_response_to: request.id, status: SUCCESS });
      expect((await sp.events()).at(-1)).to.deep.include({ kind: 'logout_request_received', binding: 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST', name_id: 'nobody', sessions_ended: 0 });
    });

    it('without an IdP, /login answers 503; with signRequests and encrypt off: no Signature, no encryption key', async () => {
      expect((await fetch(`${bare.base}/login`)).status).to.equal(503);
      const metadata = await (await fetch(`${bare.base}/metadata`)).text();
      expect(metadata).to.equal(readFileSync(bare.metadataFile, 'utf8'));
      expect(metadata).to.include('use="signing"').and.not.include('use="encryption"');
      await bare.useIdp(readFileSync(idp.metadataFile, 'utf8'));
      const redirected = await fetch(`${bare.base}/login?binding=redirect`, { redirect: 'manual' });
      expect(redirected.status).to.equal(302);
      expect(new URL(redirected.headers.get('location')!).searchParams.has('Signature')).to.equal(false);
    });
  });
});
