/**
 * Refusals at the ACS, with responses made by the real pysaml2 IdP (and tampered with here for
 * the signature-wrapping variants): each gets a clear page (400/401), no login, and a
 * `federation.failure` audit event naming the reason.
 */
import { expect } from 'chai';
import type * as oidc from 'openid-client';
import { Browser } from '../../testing/harness/browser.js';
import type { TestHub } from '../../testing/harness/hub.js';
import type { Pysaml2Idp, Scenario } from '../../testing/harness/pysaml2.js';
import { OID, openLoginPage, postToAcs, toIdpForm , startEduconnectHub, type EduconnectSetup } from './helpers.js';

const EDUCONNECT = /\/federation\/start\/educonnect\?/;
const attributes = (aafId: string, id: string) => ({ [`${OID}57`]: [id], [`${OID}7`]: ['eleve2d'], FrEduCtRefId: [`{AAF}09|X|${aafId}`] });

describe('ÉduConnect refusals (pysaml2 IdP)', function () {
  this.timeout(60_000);
  let idp: Pysaml2Idp;
  let hub: TestHub;
  let portal: oidc.Configuration;
  let setup: EduconnectSetup;

  before(async () => {
    setup = await startEduconnectHub();
    ({ idp, hub, portal } = setup);
    await hub.hub.store.forTenant('lille').accounts.create({ login: 'victim.pupil', firstName: 'V', lastName: 'P', profile: 'Student', status: 'active', externalId: 'LILLE-1111', source: 'AC-LILLE' });
    await hub.hub.store.forTenant('lille').accounts.create({ login: 'mallory.pupil', firstName: 'M', lastName: 'P', profile: 'Student', status: 'active', externalId: 'LILLE-2222', source: 'AC-LILLE' });
  });
  after(() => setup?.stop());

  async function lastFailure(): Promise<Record<string, unknown> | undefined> {
    const events = await hub.hub.store.audit.list({ limit: 5 });
    return events.find((e) => e.type === 'federation.failure')?.details;
  }

  async function expectRefused(page: { status: number; body: string; location: string | null }, reason: string, status = 401) {
    expect(page.location, 'no redirect to the RP').to.equal(null);
    expect(page.status, page.body.slice(0, 300)).to.equal(status);
    expect(page.body).to.include(reason === 'expired_interaction' ? 'Session expirée' : 'Connexion refusée').and.include(`Code technique\u00a0: <code>${reason}</code>`);
    expect(page.body).not.to.match(/^\s+at .+/m);
    expect(await lastFailure()).to.include({ connector: 'educonnect', reason });
  }

  async function refusedWith(scenario: Scenario, reason: string, status = 401) {
    await idp.scenario({ attributes: attributes('1111', 'victim'), name_id: 'victim', ...scenario });
    const s = await openLoginPage(portal);
    await expectRefused(await postToAcs(s, await toIdpForm(s, EDUCONNECT)), reason, status);
  }

  it('refuses a response with nothing signed', () => refusedWith({ sign_response: false, sign_assertion: false }, 'response_unsigned'));
  it('refuses a signed response whose assertion is not signed', () => refusedWith({ sign_assertion: false }, 'assertion_unsigned'));
  it('refuses a clear (unencrypted) assertion', () => refusedWith({ encrypt: false }, 'not_encrypted'));
  it('refuses an assertion for another audience', () => refusedWith({ audience: 'https://other-sp.example/' }, 'audience'));
  it('refuses an expired assertion', () => refusedWith({ lifetime_minutes: -10 }, 'expired'));
  it('refuses an unsolicited response', () => refusedWith({ in_response_to: '' }, 'unsolicited'));
  it('refuses an answer to a request this hub never sent', () => refusedWith({ in_response_to: '_not-a-request-of-ours' }, 'unknown_request'));

  it('refuses a replayed response', async () => {
    await idp.scenario({ attributes: attributes('1111', 'victim'), name_id: 'victim' });
    const s = await openLoginPage(portal);
    const form = await toIdpForm(s, EDUCONNECT);
    const first = await s.browser.request(form.action, { form: form.fields });
    expect(first.status).to.equal(303);
    const again = await openLoginPage(portal, {}, new Browser());
    await expectRefused(await postToAcs(again, form), 'replay');
  });

  it('refuses a response answering another browser’s request (login CSRF)', async () => {
    await idp.scenario({ attributes: attributes('2222', 'mallory'), name_id: 'mallory' });
    const mallory = await openLoginPage(portal);
    const form = await toIdpForm(mallory, EDUCONNECT);
    const victim = await openLoginPage(portal, {}, new Browser());
    await expectRefused(await postToAcs(victim, form), 'expired_interaction', 400);
  });

  describe('signature wrapping', () => {
    /** A genuine response for Mallory and one for the victim, each for its own pending request. */
    async function twoResponses() {
      await idp.scenario({ attributes: attributes('2222', 'mallory'), name_id: 'mallory' });
      const s = await openLoginPage(portal);
      const mallory = await toIdpForm(s, EDUCONNECT);
      await idp.scenario({ attributes: attributes('1111', 'victim'), name_id: 'victim' });
      const other = await openLoginPage(portal, {}, new Browser());
      const victim = await toIdpForm(other, EDUCONNECT);
      const xml = (f: typeof mallory) => Buffer.from(f.fields.SAMLResponse!, 'base64').toString('utf8');
      return { s, form: mallory, malloryXml: xml(mallory), victimXml: xml(victim) };
    }
    const encryptedOf = (xml: string) => /<ns1:EncryptedAssertion>[\s\S]*<\/ns1:EncryptedAssertion>/.exec(xml)![0];
    const post = (r: Awaited<ReturnType<typeof twoResponses>>, xml: string) =>
      postToAcs(r.s, { action: r.form.action, fields: { ...r.form.fields, SAMLResponse: Buffer.from(xml).toString('base64') } });

    it('refuses an assertion swapped under a kept signature (digest mismatch)', async () => {
      const r = await twoResponses();
      const forged = r.malloryXml.replace(encryptedOf(r.malloryXml), encryptedOf(r.victimXml));
      await expectRefused(await post(r, forged), 'signature');
    });

    it('refuses the signed response moved into Extensions of a forged one (XSW)', async () => {
      const r = await twoResponses();
      const signed = r.malloryXml.replace(/^<\?xml[^>]*>\s*/, '');
      const open = /^<ns0:Response [^>]*>/.exec(signed)![0];
      const forgedOpen = open.replace(/ ID="[^"]+"/, ' ID="_forged"');
      const status = /<ns0:Status>[\s\S]*?<\/ns0:Status>/.exec(signed)![0];
      const forged = `${forgedOpen}<ns0:Extensions>${signed}</ns0:Extensions>${status}${encryptedOf(r.victimXml)}</ns0:Response>`;
      const page = await post(r, forged);
      expect(page.status).to.be.oneOf([400, 401]);
      expect(page.location).to.equal(null);
      expect((await lastFailure())?.reason).to.be.oneOf(['schema', 'response_unsigned', 'signature']);
    });

    it('refuses a forged response reusing the signed one’s ID (duplicate ID)', async () => {
      const r = await twoResponses();
      const signed = r.malloryXml.replace(/^<\?xml[^>]*>\s*/, '');
      const signature = /<ns2:Signature[\s\S]*?<\/ns2:Signature>/.exec(signed)![0];
      const forged = signed.replace(encryptedOf(signed), encryptedOf(r.victimXml)).replace(signature, `${signature}<ns0:Extensions>${signed}</ns0:Extensions>`);
      const page = await post(r, forged);
      expect(page.status).to.be.oneOf([400, 401]);
      expect(page.location).to.equal(null);
      expect((await lastFailure())?.reason).to.be.oneOf(['schema', 'signature']);
    });

    it('refuses a response whose schema is broken (an unexpected element)', async () => {
      const r = await twoResponses();
      const forged = r.malloryXml.replace('<ns0:Status>', '<ns0:Evil/><ns0:Status>');
      await expectRefused(await post(r, forged), 'schema', 400);
    });
  });
});
