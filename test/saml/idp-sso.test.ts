/**
 * The SAML IdP's SSO and SLO over HTTP, with an RFC 6265 cookie jar (testing/harness/browser.ts)
 * and a real SP not written here: Debian's pysaml2 signs the SP's requests
 * (testing/harness/pysaml2-sp.ts) and reads the hub's responses as its ACS would
 * (testing/harness/pysaml2-acs.ts). The same flows run in Chromium in test/browser/saml-idp.test.ts.
 */
import { execFile } from 'node:child_process';
import { appendFileSync, copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { inflateRawSync } from 'node:zlib';
import { expect } from 'chai';
import { generate } from 'otplib';
import { hashPassword } from '../../src/auth/passwords.js';
import { ACR_TWO_FACTORS } from '../../src/identity/acr.js';
import { PROJECT_ROOT } from '../../src/config/load.js';
import { CLI_OPERATOR } from '../../src/identity/actor.js';
import { garPersonIdentifier } from '../../src/identity/gar-identifier.js';
import { addServiceProvider } from '../../src/saml/idp/sp-service.js';
import { Browser, formAction, hiddenInputs, type Page } from '../../testing/harness/browser.js';
import { PASSWORD, seedPeople } from '../../testing/harness/fixtures.js';
import { startTestHub, type TestHub } from '../../testing/harness/hub.js';
import { pysaml2Acs } from '../../testing/harness/pysaml2-acs.js';
import { pysaml2SpMessage, writeSpMetadata } from '../../testing/harness/pysaml2-sp.js';

const run = promisify(execFile);
const SP_BASE = 'http://127.0.0.1:9/sp';
const SP_ENTITY = `${SP_BASE}/metadata`;
const GAR_BASE = 'http://127.0.0.1:9/gar';
const LILLE_BASE = 'http://127.0.0.1:9/lille';
const AMIENS_BASE = 'http://127.0.0.1:9/amiens';
const POST_SLO_BASE = 'http://127.0.0.1:9/postslo';
const CLEAR_BASE = 'http://127.0.0.1:9/clear';
const PERSISTENT = 'urn:oasis:names:tc:SAML:2.0:nameid-format:persistent';
const STATUS = 'urn:oasis:names:tc:SAML:2.0:status:';

/** The ID of the AuthnRequest or LogoutRequest in a Redirect query. */
function requestIdOf(rawQuery: string): string {
  const encoded = new URLSearchParams(rawQuery).get('SAMLRequest')!;
  return /ID="([^"]+)"/.exec(inflateRawSync(Buffer.from(encoded, 'base64')).toString('utf8'))![1]!;
}

/** Whether xmlsec1 accepts the enveloped signature of the protocol message `xml` (root `root`) with the certificate of `metadataFile`. */
async function xmlsecAccepts(xml: string, root: string, metadataFile: string): Promise<boolean> {
  const folder = mkdtempSync(join(tmpdir(), 'xmlsec-'));
  try {
    const body = /<ds:X509Certificate>([^<]+)</.exec(readFileSync(metadataFile, 'utf8'))![1]!;
    writeFileSync(join(folder, 'idp.crt'), `-----BEGIN CERTIFICATE-----\n${body.replace(/.{64}/g, '$&\n')}\n-----END CERTIFICATE-----\n`);
    writeFileSync(join(folder, 'message.xml'), xml);
    await run('xmlsec1', ['--verify', '--pubkey-cert-pem', join(folder, 'idp.crt'), '--id-attr:ID', `urn:oasis:names:tc:SAML:2.0:protocol:${root}`, join(folder, 'message.xml')]);
    return true;
  } catch {
    return false;
  } finally {
    rmSync(folder, { recursive: true, force: true });
  }
}

/** The auto-posted form's fields and the XML of its message. */
function postedForm(page: Page): { action: string; fields: Record<string, string>; xml: string } {
  const fields = Object.fromEntries(Object.entries(hiddenInputs(page)).map(([k, v]) => [k, v.replace(/&amp;/g, '&').replace(/&quot;/g, '"').replace(/&#39;/g, "'")]));
  const message = fields.SAMLResponse ?? fields.SAMLRequest!;
  return { action: formAction(page, /./), fields, xml: Buffer.from(message, 'base64').toString('utf8') };
}

describe('SAML IdP: SSO and SLO with pysaml2 as the SP', function () {
  this.timeout(60_000);
  let hub: TestHub;
  let dir: string;
  let idpMetadata: string;
  const sp = { dir: '', file: 'sp.xml', base: SP_BASE };

  before(async () => {
    hub = await startTestHub();
    await seedPeople(hub.hub.store);
    dir = mkdtempSync(join(tmpdir(), 'idp-sso-'));
    sp.dir = dir;
    const spFile = await writeSpMetadata(dir, 'sp.xml', { base: SP_BASE, name: 'Ressource de test' });
    await addServiceProvider({ store: hub.hub.store, production: false }, CLI_OPERATOR, { owner: null, from: { file: spFile }, releasePolicy: 'generic' });
    const garFile = await writeSpMetadata(dir, 'gar.xml', { base: GAR_BASE, name: 'GAR' });
    await addServiceProvider({ store: hub.hub.store, production: false }, CLI_OPERATOR, { owner: null, from: { file: garFile }, releasePolicy: 'gar' });
    const clear = await writeSpMetadata(dir, 'clear.xml', { base: CLEAR_BASE });
    await addServiceProvider({ store: hub.hub.store, production: false }, CLI_OPERATOR, { owner: null, from: { file: clear }, releasePolicy: 'generic', encryptAssertions: false });
    const postSlo = await writeSpMetadata(dir, 'postslo.xml', { base: POST_SLO_BASE, sloPost: true });
    await addServiceProvider({ store: hub.hub.store, production: false }, CLI_OPERATOR, { owner: null, from: { file: postSlo }, releasePolicy: 'generic' });
    for (const [tenant, base] of [['lille', LILLE_BASE], ['amiens', AMIENS_BASE]] as const) {
      const file = await writeSpMetadata(dir, `${tenant}.xml`, { base, name: `Ressource de ${tenant}` });
      await addServiceProvider({ store: hub.hub.store, production: false }, CLI_OPERATOR, { owner: tenant, from: { file }, releasePolicy: 'generic' });
    }
    idpMetadata = join(dir, 'idp.xml');
    writeFileSync(idpMetadata, await (await fetch(`${hub.url}/saml/metadata`)).text());
  });
  after(async () => {
    await hub?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

type RequestFlags = { forceAuthn?: boolean; isPassive?: boolean; authnContext?: string };

  const authnRequest = (binding: 'redirect' | 'post', relayState?: string, flags: RequestFlags = {}) =>
    pysaml2SpMessage({ ...sp, message: 'authn', binding, destination: `${hub.url}/saml/sso`, ...(relayState ? { relayState } : {}), ...flags });

  /** The SP sends the browser to the IdP with a signed AuthnRequest (Redirect). */
  async function startSso(browser: Browser, relayState?: string, flags: RequestFlags = {}): Promise<{ page: Page; requestId: string }> {
    const message = await authnRequest('redirect', relayState, flags);
    if (message.binding !== 'redirect') throw new Error('redirect expected');
    const page = await browser.follow(`${hub.url}/saml/sso?${message.rawQuery}`, SP_BASE, { crossSite: true });
    return { page, requestId: requestIdOf(message.rawQuery) };
  }

  /** An ENT portal's link to the SP at `base` (IdP-initiated). */
  const portalLink = (browser: Browser, base: string): Promise<Page> =>
    browser.follow(`${hub.url}/saml/sso/${encodeURIComponent(`${base}/metadata`)}`, base);

  function expectRefusal(page: Page, text: string): void {
    expect(page.status).to.equal(403);
    expect(page.body).to.contain(text);
    expect(page.body).not.to.contain('SAMLResponse');
  }

  async function signIn(browser: Browser, loginPage: Page, login = 'zoe.test'): Promise<Page> {
    expect(loginPage.status, loginPage.body.slice(0, 300)).to.equal(200);
    expect(loginPage.url).to.match(/\/interaction\/saml-[\w-]{32}\/start/);
    return browser.follow(formAction(loginPage, /\/login/), SP_BASE, { form: { login, password: PASSWORD } });
  }

  it('SP-initiated on HTTP-Redirect: the login page, then a signed and encrypted response pysaml2 accepts, with the generic policy’s attributes', async () => {
    const browser = new Browser();
    const { page, requestId } = await startSso(browser, 'state-1');
    const answer = await signIn(browser, page);
    const { action, fields } = postedForm(answer);
    expect(action).to.equal(`${SP_BASE}/acs/post`);
    expect(fields.RelayState).to.equal('state-1');
    const verdict = await pysaml2Acs({ ...sp, idpMetadata, response: fields.SAMLResponse!, inResponseTo: requestId });
    if (!verdict.accepted) throw new Error(`${verdict.error}: ${verdict.message}`);
    expect(verdict.nameIdFormat).to.equal(PERSISTENT);
    expect(verdict.inResponseTo).to.equal(requestId);
    expect(verdict.attributes).to.deep.equal({ pairwiseId: [verdict.nameId], profile: ['National_1'], uai: ['0590121L'], classes: ['0590121L$4B'] });
  });

  it('with a hub session: a POST AuthnRequest is answered at once, with the same pairwise NameID', async () => {
    const browser = new Browser();
    const first = await startSso(browser);
    const firstAnswer = postedForm(await signIn(browser, first.page));
    const message = await authnRequest('post', 'again');
    if (message.binding !== 'post') throw new Error('post expected');
    const page = await browser.follow(`${hub.url}/saml/sso`, SP_BASE, { form: message.body, crossSite: true });
    const { fields } = postedForm(page);
    expect(fields.RelayState).to.equal('again');
    const [a, b] = await Promise.all([firstAnswer.fields.SAMLResponse!, fields.SAMLResponse!].map((response) => pysaml2Acs({ ...sp, idpMetadata, response })));
    if (!a!.accepted || !b!.accepted) throw new Error('both responses should be accepted');
    expect(b!.nameId).to.equal(a!.nameId);
  });

  it('IdP-initiated from a portal link: an unsolicited response with the RelayState, accepted by pysaml2', async () => {
    const browser = new Browser();
    await signIn(browser, (await startSso(browser)).page);
    const resource = 'https://ressource.example/manuel?page=12&x=1';
    const page = await browser.follow(`${hub.url}/saml/sso/${encodeURIComponent(SP_ENTITY)}?RelayState=${encodeURIComponent(resource)}`, SP_BASE);
    const { fields, xml } = postedForm(page);
    expect(fields.RelayState).to.equal(resource);
    expect(xml).not.to.contain('InResponseTo');
    const verdict = await pysaml2Acs({ ...sp, idpMetadata, response: fields.SAMLResponse! });
    expect(verdict.accepted, JSON.stringify(verdict)).to.equal(true);
  });

  it('an SP registered without encryption gets its assertion in clear (though its metadata offers a key), signed, accepted by pysaml2', async () => {
    const browser = new Browser();
    await signIn(browser, (await startSso(browser)).page);
    const { fields, xml } = postedForm(await portalLink(browser, CLEAR_BASE));
    expect(xml).to.contain('<saml:Assertion ').and.not.to.contain('EncryptedAssertion');
    const verdict = await pysaml2Acs({ dir, file: 'clear.xml', base: CLEAR_BASE, idpMetadata, response: fields.SAMLResponse! });
    expect(verdict.accepted, JSON.stringify(verdict)).to.equal(true);
  });

  it('IsPassive without a session: a signed NoPassive status to the ACS, no login page; ForceAuthn with one: the login page again', async () => {
    const browser = new Browser();
    const passive = await startSso(browser, undefined, { isPassive: true });
    const { action, xml, fields } = postedForm(passive.page);
    expect(action).to.equal(`${SP_BASE}/acs/post`);
    expect(xml).to.contain(`${STATUS}NoPassive`).and.not.to.contain('Assertion');
    const verdict = await pysaml2Acs({ ...sp, idpMetadata, response: fields.SAMLResponse!, inResponseTo: passive.requestId });
    expect(verdict.accepted).to.equal(false);
    await signIn(browser, (await startSso(browser)).page);
    const forced = await startSso(browser, undefined, { forceAuthn: true });
    expect(forced.page.url).to.match(/\/interaction\/saml-[\w-]{32}\/start/);
    expect(forced.page.body).to.contain('name="password"');
  });

  it('RequestedAuthnContext two factors over a one-factor session: the password, then TOTP enrolment, then an assertion stating two factors', async () => {
    const browser = new Browser();
    await hub.hub.store.forTenant('lille').accounts.create({ login: 'lea.saml', firstName: 'Léa', lastName: 'Saml', profile: 'Teacher', status: 'active', source: 'local', passwordHash: await hashPassword(PASSWORD) });
    const first = await startSso(browser);
    const oneFactor = postedForm(await signIn(browser, first.page, 'lea.saml'));
    expect(oneFactor.xml).to.contain('EncryptedAssertion');
    const stepUp = await startSso(browser, undefined, { authnContext: ACR_TWO_FACTORS });
    expect(stepUp.page.url, 'the session is not enough: the login page').to.match(/\/interaction\/saml-/);
    const enrol = await signIn(browser, stepUp.page, 'lea.saml');
    const secret = /<code class="secret">([^<]+)</.exec(enrol.body)![1]!.replace(/\s/g, '');
    const codes = await browser.follow(formAction(enrol, /\/enrol/), SP_BASE, { form: { code: await generate({ secret }) } });
    const answer = postedForm(await browser.follow(formAction(codes, /\/continue/), SP_BASE, { form: {} }));
    const verdict = await pysaml2Acs({ ...sp, idpMetadata, response: answer.fields.SAMLResponse!, inResponseTo: stepUp.requestId });
    expect(verdict.accepted, JSON.stringify(verdict)).to.equal(true);
    const [latest, earlier] = (await hub.hub.store.forTenant('lille').audit.list({ limit: 100 })).filter((e) => e.type === 'saml.sso' && e.clientId === SP_ENTITY);
    expect(latest!.details).to.include({ authnContext: ACR_TWO_FACTORS });
    expect(earlier!.details).to.include({ authnContext: 'urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport' });
  });

  it('the GAR policy: a pupil whose school does not use the GAR gets a page in French, not an assertion', async () => {
    const browser = new Browser();
    await signIn(browser, (await startSso(browser)).page);
    expectRefusal(await portalLink(browser, GAR_BASE), 'Aucun de vos établissements ne donne accès aux ressources numériques du GAR');
  });

  it('a tenant’s own SP: served to its accounts, refused with a page to another tenant’s (no assertion)', async () => {
    const browser = new Browser();
    await signIn(browser, (await startSso(browser)).page);
    expect(postedForm(await portalLink(browser, LILLE_BASE)).action).to.equal(`${LILLE_BASE}/acs/post`);
    expectRefusal(await portalLink(browser, AMIENS_BASE), 'Ce service est réservé aux comptes d’une autre académie');
  });

  it('refuses an unknown SP’s link (404) and a replayed AuthnRequest (a page in words, no login)', async () => {
    const browser = new Browser();
    const unknown = await browser.request(`${hub.url}/saml/sso/${encodeURIComponent('https://unknown.example/sp')}`);
    expect(unknown.status).to.equal(404);
    expect(unknown.body).to.contain('Ce service n’est pas connu de l’ENT');
    const message = await authnRequest('redirect');
    if (message.binding !== 'redirect') throw new Error('redirect expected');
    expect((await browser.request(`${hub.url}/saml/sso?${message.rawQuery}`)).status).to.equal(302);
    const replay = await browser.request(`${hub.url}/saml/sso?${message.rawQuery}`);
    expect(replay.status).to.be.oneOf([400, 403]);
    expect(replay.body).to.contain('Accès au service impossible');
    expect(replay.body).not.to.match(/at .*\.ts:\d+/);
  });

  it('SP-initiated logout on HTTP-POST: the hub session ends (its cookie came back with the GET) and the LogoutResponse is posted, signed', async () => {
    const postSp = { dir, file: 'postslo.xml', base: POST_SLO_BASE };
    const browser = new Browser();
    const message = await pysaml2SpMessage({ ...postSp, message: 'authn', binding: 'redirect', destination: `${hub.url}/saml/sso` });
    if (message.binding !== 'redirect') throw new Error('redirect expected');
    const login = await browser.follow(`${hub.url}/saml/sso?${message.rawQuery}`, POST_SLO_BASE, { crossSite: true });
    const answer = postedForm(await browser.follow(formAction(login, /\/login/), POST_SLO_BASE, { form: { login: 'zoe.test', password: PASSWORD } }));
    const verdict = await pysaml2Acs({ ...postSp, idpMetadata, response: answer.fields.SAMLResponse!, inResponseTo: requestIdOf(message.rawQuery) });
    if (!verdict.accepted) throw new Error(verdict.message);
    const logout = await pysaml2SpMessage({ ...postSp, message: 'logout', binding: 'post', destination: `${hub.url}/saml/slo`, idp: `${hub.url}/saml/metadata`, nameId: verdict.nameId });
    if (logout.binding !== 'post') throw new Error('post expected');
    const end = await browser.follow(`${hub.url}/saml/slo`, POST_SLO_BASE, { form: logout.body, crossSite: true });
    const reply = postedForm(end);
    expect(reply.action).to.equal(`${POST_SLO_BASE}/slo`);
    expect(reply.xml).to.match(/^<samlp:LogoutResponse /).and.contain(`${STATUS}Success`).and.contain('<ds:Signature');
    expect(await xmlsecAccepts(reply.xml, 'LogoutResponse', idpMetadata)).to.equal(true);
    expect(await xmlsecAccepts(reply.xml.replace('Success', 'Requester'), 'LogoutResponse', idpMetadata), 'an altered copy').to.equal(false);
    expect((await startSso(browser)).page.url, 'the hub session ended').to.match(/\/interaction\/saml-/);
  });

  it('SP-initiated logout: the hub session ends and the SP gets a signed LogoutResponse; the next AuthnRequest asks to sign in again', async () => {
    const browser = new Browser();
    const { page, requestId } = await startSso(browser);
    const answer = postedForm(await signIn(browser, page));
    const verdict = await pysaml2Acs({ ...sp, idpMetadata, response: answer.fields.SAMLResponse!, inResponseTo: requestId });
    if (!verdict.accepted) throw new Error(verdict.message);
    const idpEntity = `${hub.url}/saml/metadata`;
    const logout = await pysaml2SpMessage({ ...sp, message: 'logout', binding: 'redirect', destination: `${hub.url}/saml/slo`, idp: idpEntity, nameId: verdict.nameId, relayState: 'bye' });
    if (logout.binding !== 'redirect') throw new Error('redirect expected');
    const end = await browser.follow(`${hub.url}/saml/slo?${logout.rawQuery}`, SP_BASE, { crossSite: true });
    const response = new URL(end.location!);
    expect(`${response.origin}${response.pathname}`).to.equal(`${SP_BASE}/slo`);
    expect(response.searchParams.get('RelayState')).to.equal('bye');
    expect(response.searchParams.get('Signature')).to.be.a('string');
    const xml = inflateRawSync(Buffer.from(response.searchParams.get('SAMLResponse')!, 'base64')).toString('utf8');
    expect(xml).to.contain(`InResponseTo="${requestIdOf(logout.rawQuery)}"`);
    expect(xml).to.contain(`${STATUS}Success`);
    const next = await startSso(browser);
    expect(next.page.url).to.match(/\/interaction\/saml-/);
  });
});

describe('SAML IdP: the GAR policy for a school that uses the GAR', function () {
  this.timeout(60_000);
  const KEY_ENV = 'HUB_TEST_GAR_IDENTIFIER_KEY';
  const KEY = 'a GAR identifier key of at least thirty-two characters';
  let hub: TestHub;
  let dir: string;
  let people: Awaited<ReturnType<typeof seedPeople>>;
  const gar = { dir: '', file: 'gar.xml', base: GAR_BASE };

  before(async () => {
    process.env[KEY_ENV] = KEY;
    dir = mkdtempSync(join(tmpdir(), 'idp-gar-'));
    const tenants = join(dir, 'tenants');
    mkdirSync(tenants);
    for (const file of ['amiens.yaml', 'lille.yaml']) copyFileSync(join(PROJECT_ROOT, 'tenants', file), join(tenants, file));
    appendFileSync(join(tenants, 'lille.yaml'), `\ngar:\n  projectId: ENT-HDF-TEST\n  structures: [0590121L]\n  identifierKey: { env: ${KEY_ENV} }\n`);
    hub = await startTestHub({ config: { tenants: { dir: tenants } } });
    people = await seedPeople(hub.hub.store);
    gar.dir = dir;
    const file = await writeSpMetadata(dir, 'gar.xml', { base: GAR_BASE, name: 'GAR' });
    await addServiceProvider({ store: hub.hub.store, production: false }, CLI_OPERATOR, { owner: null, from: { file }, releasePolicy: 'gar' });
    writeFileSync(join(dir, 'idp.xml'), await (await fetch(`${hub.url}/saml/metadata`)).text());
  });
  after(async () => {
    delete process.env[KEY_ENV];
    await hub?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('sends idEnt and GARPersonIdentifiant (the export’s identifier) and nothing else about the pupil; the persistent NameID pysaml2 asks for', async () => {
    const browser = new Browser();
    const message = await pysaml2SpMessage({ ...gar, message: 'authn', binding: 'redirect', destination: `${hub.url}/saml/sso` });
    if (message.binding !== 'redirect') throw new Error('redirect expected');
    const login = await browser.follow(`${hub.url}/saml/sso?${message.rawQuery}`, GAR_BASE, { crossSite: true });
    const answer = await browser.follow(formAction(login, /\/login/), GAR_BASE, { form: { login: 'zoe.test', password: PASSWORD } });
    const { fields } = postedForm(answer);
    const verdict = await pysaml2Acs({ ...gar, idpMetadata: join(dir, 'idp.xml'), response: fields.SAMLResponse!, inResponseTo: requestIdOf(message.rawQuery) });
    if (!verdict.accepted) throw new Error(`${verdict.error}: ${verdict.message}`);
    expect(verdict.nameIdFormat).to.equal(PERSISTENT);
    expect(verdict.attributes).to.deep.equal({ idEnt: ['ENT-HDF-TEST'], GARPersonIdentifiant: [garPersonIdentifier(KEY, { id: people.pupilId })] });
  });
});
