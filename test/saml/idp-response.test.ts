/**
 * The IdP's SAML Response (issue 16, item 3): xmlsec1 (a real peer) accepts the Response's and
 * the assertion's signatures with the IdP certificate, pysaml2 as the SP accepts the response
 * (signed only, and signed + encrypted for its key), an altered value breaks the signatures,
 * names and values are escaped, and the HTTP-POST page runs no inline script.
 */
import { execFile } from 'node:child_process';
import { createPrivateKey } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { expect } from 'chai';
import Koa from 'koa';
import { assetsRouter } from '../../src/http/assets.js';
import { decryptAssertion } from '../../src/saml/core/decrypt.js';
import { keyPairFromPem, type KeyPair } from '../../src/saml/core/keys.js';
import { loadLibxml } from '../../src/saml/core/libxml.js';
import { idpEntityId, samlIdpConfigSchema } from '../../src/saml/idp/config.js';
import { signedIdpMetadata } from '../../src/saml/idp/metadata.js';
import { NAMEID_FORMATS } from '../../src/saml/idp/nameid.js';
import { autoPostForm, SAML_POST_SCRIPT_URL } from '../../src/saml/idp/post-form.js';
import { NAME_FORMATS } from '../../src/saml/idp/release.js';
import { buildResponse, type ResponseInput } from '../../src/saml/idp/response.js';
import { SamlValueInvalid } from '../../src/saml/idp/xml-text.js';
import { pysaml2Acs } from '../../testing/harness/pysaml2-acs.js';
import { writeSpMetadata } from '../../testing/harness/pysaml2-sp.js';
import { makeKeyPair, type KeyFiles } from '../../testing/harness/pysaml2.js';

const run = promisify(execFile);
const SP_BASE = 'https://ressource.example';
const SP_FILE = 'sp.xml';
const ACS = `${SP_BASE}/acs/post`;
const PASSWORD_PROTECTED = 'urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport';
const ENCRYPTION_ALGORITHMS = ['http://www.w3.org/2009/xmlenc11#aes256-gcm', 'http://www.w3.org/2001/04/xmlenc#rsa-oaep-mgf1p'];
const SAML_PROTOCOL = 'urn:oasis:names:tc:SAML:2.0:protocol';
const SAML_ASSERTION = 'urn:oasis:names:tc:SAML:2.0:assertion';

const b64 = (xml: string) => Buffer.from(xml, 'utf8').toString('base64');

/** xmlsec1's verdict on the first signature of `xml` with this certificate, `idElement` carrying the ID. */
async function xmlsecAccepts(xml: string, certFile: string, idElement: string, dir: string): Promise<boolean> {
  const file = join(dir, 'signed.xml');
  writeFileSync(file, xml);
  try {
    await run('xmlsec1', ['--verify', '--pubkey-cert-pem', certFile, '--id-attr:ID', idElement, file]);
    return true;
  } catch {
    return false;
  }
}

/** The Assertion element of a signed-only response, as a document of its own. */
function plainAssertion(responseXml: string): string {
  const match = /<saml:Assertion[\s>][\s\S]*<\/saml:Assertion>/.exec(responseXml);
  if (!match) throw new Error('no Assertion in the response');
  return match[0];
}

describe('saml/idp response', function () {
  this.timeout(30_000);
  let dir: string;
  let idpKeyFiles: KeyFiles;
  let idpKeys: KeyPair;
  let issuer: string;
  let idpMetadata: string;
  let spCertPem: string;
  let spKeyPem: string;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'idp-response-'));
    idpKeyFiles = await makeKeyPair(dir, 'idp');
    idpKeys = keyPairFromPem(readFileSync(idpKeyFiles.keyFile, 'utf8'), readFileSync(idpKeyFiles.certFile, 'utf8'), { key: 'idp.key', cert: 'idp.crt' });
    const settings = { issuer: 'https://ent.example', idp: samlIdpConfigSchema.parse({}) };
    issuer = idpEntityId(settings);
    idpMetadata = join(dir, 'idp-metadata.xml');
    writeFileSync(idpMetadata, signedIdpMetadata(settings, { signing: idpKeys, signingCerts: [idpKeys.certPem], encryptionCerts: [] }, new Date()));
    await writeSpMetadata(dir, SP_FILE, { base: SP_BASE });
    spCertPem = readFileSync(join(dir, `${SP_FILE}-sp.crt`), 'utf8');
    spKeyPem = readFileSync(join(dir, `${SP_FILE}-sp.key`), 'utf8');
    await loadLibxml();
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  function input(overrides: Partial<ResponseInput> = {}): ResponseInput {
    const now = new Date();
    return {
      issuer, sp: `${SP_BASE}/metadata`, acsUrl: ACS, inResponseTo: '_request-1',
      nameId: { value: 'pairwise-id-1', format: NAMEID_FORMATS.persistent, spNameQualifier: `${SP_BASE}/metadata` },
      attributes: [
        { name: 'idEnt', friendlyName: 'idEnt', nameFormat: NAME_FORMATS.basic, values: ['HDF-1'] },
        { name: 'GARPersonIdentifiant', friendlyName: 'GARPersonIdentifiant', nameFormat: NAME_FORMATS.basic, values: ['gar-42'] },
      ],
      authn: { instant: new Date(now.getTime() - 60_000), acr: PASSWORD_PROTECTED, sessionIndex: '_session-1' },
      now, keys: idpKeys, ...overrides,
    };
  }

  const acs = (xml: string, inResponseTo?: string) => pysaml2Acs({ dir, file: SP_FILE, base: SP_BASE, idpMetadata, response: b64(xml), ...(inResponseTo !== undefined ? { inResponseTo } : {}) });

  async function decrypted(responseXml: string): Promise<string> {
    const { XmlDocument } = await loadLibxml();
    const doc = XmlDocument.fromString(responseXml);
    try {
      const [encrypted] = doc.find(`/*[local-name()='Response']/*[local-name()='EncryptedAssertion' and namespace-uri()='${SAML_ASSERTION}']`);
      if (!encrypted) throw new Error('no EncryptedAssertion in the response');
      return decryptAssertion(encrypted as Parameters<typeof decryptAssertion>[0], createPrivateKey(spKeyPem), ENCRYPTION_ALGORITHMS).xml;
    } finally {
      doc.dispose();
    }
  }

  describe('signed only', () => {
    it('xmlsec1 accepts the Response and the assertion signatures with the IdP certificate', async () => {
      const xml = buildResponse(input());
      expect(xml).to.match(/^<samlp:Response /);
      expect(await xmlsecAccepts(xml, idpKeyFiles.certFile, `${SAML_PROTOCOL}:Response`, dir)).to.equal(true);
      expect(await xmlsecAccepts(plainAssertion(xml), idpKeyFiles.certFile, `${SAML_ASSERTION}:Assertion`, dir)).to.equal(true);
    });

    it('pysaml2 as the SP accepts it: issuer, NameID, attributes, InResponseTo', async () => {
      const verdict = await acs(buildResponse(input()), '_request-1');
      expect(verdict).to.deep.include({ accepted: true, nameId: 'pairwise-id-1', nameIdFormat: NAMEID_FORMATS.persistent, issuer, inResponseTo: '_request-1' });
      expect(verdict.accepted && verdict.attributes).to.deep.equal({ idEnt: ['HDF-1'], GARPersonIdentifiant: ['gar-42'] });
    });

    it('signs only what the SP’s registration says: the assertion alone (as entcore for the GAR), or the Response alone', async () => {
      const assertionOnly = buildResponse(input({ signatures: 'assertion' }));
      expect(assertionOnly.match(/<ds:Signature /g)).to.have.length(1);
      expect(await xmlsecAccepts(plainAssertion(assertionOnly), idpKeyFiles.certFile, `${SAML_ASSERTION}:Assertion`, dir)).to.equal(true);
      expect(await xmlsecAccepts(assertionOnly, idpKeyFiles.certFile, `${SAML_PROTOCOL}:Response`, dir), 'the Response carries no signature of its own').to.equal(false);
      const responseOnly = buildResponse(input({ signatures: 'response' }));
      expect(responseOnly.match(/<ds:Signature /g)).to.have.length(1);
      expect(plainAssertion(responseOnly)).not.to.contain('<ds:Signature');
      expect(await xmlsecAccepts(responseOnly, idpKeyFiles.certFile, `${SAML_PROTOCOL}:Response`, dir)).to.equal(true);
    });

    it('carries the confirmation, conditions and authentication statement the SP checks', () => {
      const now = new Date('2026-03-02T08:00:00.000Z');
      const xml = buildResponse(input({ now, lifetimeSeconds: 120, inResponseTo: null }));
      expect(xml).to.include('Destination="https://ressource.example/acs/post"').and.not.include('InResponseTo=');
      expect(xml).to.include('<saml:SubjectConfirmation Method="urn:oasis:names:tc:SAML:2.0:cm:bearer"><saml:SubjectConfirmationData NotOnOrAfter="2026-03-02T08:02:00Z" Recipient="https://ressource.example/acs/post"></saml:SubjectConfirmationData>');
      expect(xml).to.include('<saml:Conditions NotBefore="2026-03-02T08:00:00Z" NotOnOrAfter="2026-03-02T08:02:00Z"><saml:AudienceRestriction><saml:Audience>https://ressource.example/metadata</saml:Audience>');
      expect(xml).to.include(`SessionIndex="_session-1"><saml:AuthnContext><saml:AuthnContextClassRef>${PASSWORD_PROTECTED}</saml:AuthnContextClassRef>`);
      expect(xml).to.include('<saml:AttributeValue xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:type="xs:string">HDF-1</saml:AttributeValue>');
      const ids = [...xml.matchAll(/ ID="(_[0-9a-f]{40})"/g)].map((m) => m[1]);
      expect(ids).to.have.length(2);
      expect(new Set(ids).size).to.equal(2);
    });

    it('an IdP-initiated response (no InResponseTo) is accepted as unsolicited', async () => {
      const verdict = await acs(buildResponse(input({ inResponseTo: null })));
      expect(verdict).to.deep.include({ accepted: true, nameId: 'pairwise-id-1', inResponseTo: null });
    });

    it('an altered attribute value breaks both signatures, and pysaml2 refuses the response', async () => {
      const altered = buildResponse(input()).replace('>gar-42<', '>gar-43<');
      expect(altered).to.include('>gar-43<');
      expect(await xmlsecAccepts(altered, idpKeyFiles.certFile, `${SAML_PROTOCOL}:Response`, dir)).to.equal(false);
      expect(await xmlsecAccepts(plainAssertion(altered), idpKeyFiles.certFile, `${SAML_ASSERTION}:Assertion`, dir)).to.equal(false);
      expect(await acs(altered, '_request-1')).to.include({ accepted: false, error: 'SignatureError' });
    });

    it('a response signed by another key is refused by pysaml2', async () => {
      const other = await makeKeyPair(dir, 'other');
      const keys = keyPairFromPem(readFileSync(other.keyFile, 'utf8'), readFileSync(other.certFile, 'utf8'), { key: 'other.key', cert: 'other.crt' });
      expect(await acs(buildResponse(input({ keys })), '_request-1')).to.include({ accepted: false, error: 'SignatureError' });
    });

    it('escapes <, & and quotes in names and values: the SP reads them as sent and the signatures hold', async () => {
      const tricky = `a<b & "c" 'd' ></saml:AttributeValue>`;
      const xml = buildResponse(input({
        nameId: { value: `n<&"'`, format: NAMEID_FORMATS.persistent },
        attributes: [{ name: `x"<&'y`, nameFormat: NAME_FORMATS.basic, friendlyName: `f"&<`, values: [tricky, 'plain'] }],
      }));
      expect(await xmlsecAccepts(xml, idpKeyFiles.certFile, `${SAML_PROTOCOL}:Response`, dir)).to.equal(true);
      const verdict = await acs(xml, '_request-1');
      expect(verdict).to.deep.include({ accepted: true, nameId: `n<&"'` });
      expect(verdict.accepted && verdict.attributes).to.deep.equal({ [`x"<&'y`]: [tricky, 'plain'] });
    });

    it('written in canonical form and signed once: xmlsec1 accepts both signatures over & < > " \' CR LF TAB, non-ASCII and astral values, read back as sent', async () => {
      const special = ['&amp; < > " \' end', 'CR\rLF\nCRLF\r\nTAB\t', '  spaces kept  ', 'Lefèvre Œuvre ß ĳ', 'astral 𝄞 😀 𠀀', ''];
      const xml = buildResponse(input({
        issuer: `${issuer}?a=1&b="2"`,
        nameId: { value: '\t<n>\r\n', format: NAMEID_FORMATS.persistent, spNameQualifier: 'q"&<>\'\r\n\t' },
        attributes: [{ name: 'n"&<>\'\t\r\n', friendlyName: 'é𝄞', nameFormat: NAME_FORMATS.basic, values: special }],
      }));
      expect(await xmlsecAccepts(xml, idpKeyFiles.certFile, `${SAML_PROTOCOL}:Response`, dir)).to.equal(true);
      expect(await xmlsecAccepts(plainAssertion(xml), idpKeyFiles.certFile, `${SAML_ASSERTION}:Assertion`, dir)).to.equal(true);
      const { XmlDocument } = await loadLibxml();
      const doc = XmlDocument.fromString(xml);
      try {
        const values = doc.find("//*[local-name()='AttributeValue']").map((v) => v.content);
        expect(values).to.deep.equal(special);
        const attribute = doc.get("//*[local-name()='Attribute']") as Parameters<typeof decryptAssertion>[0];
        expect(attribute.attr('Name')?.value).to.equal('n"&<>\'\t\r\n');
        expect(attribute.attr('FriendlyName')?.value).to.equal('é𝄞');
        const nameId = doc.get("//*[local-name()='NameID']") as Parameters<typeof decryptAssertion>[0];
        expect(nameId.content).to.equal('\t<n>\r\n');
        expect(nameId.attr('SPNameQualifier')?.value).to.equal('q"&<>\'\r\n\t');
      } finally {
        doc.dispose();
      }
      const altered = xml.replace('astral 𝄞', 'astral 𝄟');
      expect(await xmlsecAccepts(altered, idpKeyFiles.certFile, `${SAML_PROTOCOL}:Response`, dir)).to.equal(false);
    });

    it('refuses a value an XML document cannot carry, with a clear error', () => {
      let error: unknown;
      try {
        buildResponse(input({ attributes: [{ name: 'displayName', nameFormat: NAME_FORMATS.basic, values: ['bad\u0001name'] }] }));
      } catch (err) {
        error = err;
      }
      expect(error).to.be.instanceOf(SamlValueInvalid);
      expect(error).to.include({ code: 'saml_value_invalid', status: 500 });
      expect((error as Error).message).to.equal('The attribute displayName holds a character that an XML document cannot carry, so no SAML response can be built for it.');
    });

    it('leaves the AttributeStatement out when nothing is released', () => {
      expect(buildResponse(input({ attributes: [] }))).to.not.include('AttributeStatement');
    });
  });

  describe('signed and encrypted for the SP', () => {
    it('carries no clear assertion; the SP key decrypts it and xmlsec1 accepts both signatures', async () => {
      const xml = buildResponse(input({ encryptTo: spCertPem }));
      expect(xml).to.include(`<saml:EncryptedAssertion xmlns:saml="${SAML_ASSERTION}">`).and.not.include('<saml:Assertion').and.not.include('gar-42');
      expect(xml).to.include('Algorithm="http://www.w3.org/2009/xmlenc11#aes256-gcm"').and.include('Algorithm="http://www.w3.org/2001/04/xmlenc#rsa-oaep-mgf1p"');
      expect(await xmlsecAccepts(xml, idpKeyFiles.certFile, `${SAML_PROTOCOL}:Response`, dir)).to.equal(true);
      const assertion = await decrypted(xml);
      expect(assertion).to.include('>gar-42<');
      expect(await xmlsecAccepts(assertion, idpKeyFiles.certFile, `${SAML_ASSERTION}:Assertion`, dir)).to.equal(true);
    });

    it('pysaml2 as the SP decrypts it with its own key and accepts it', async () => {
      const verdict = await acs(buildResponse(input({ encryptTo: spCertPem })), '_request-1');
      expect(verdict).to.deep.include({ accepted: true, nameId: 'pairwise-id-1', inResponseTo: '_request-1' });
      expect(verdict.accepted && verdict.attributes).to.deep.equal({ idEnt: ['HDF-1'], GARPersonIdentifiant: ['gar-42'] });
    });

    it('an altered ciphertext breaks the Response signature', async () => {
      const xml = buildResponse(input({ encryptTo: spCertPem }));
      const altered = xml.replace(/(<xenc:CipherValue>)(.)/g, (_, open: string, c: string) => `${open}${c === 'A' ? 'B' : 'A'}`);
      expect(await xmlsecAccepts(altered, idpKeyFiles.certFile, `${SAML_PROTOCOL}:Response`, dir)).to.equal(false);
      expect(await acs(altered, '_request-1')).to.include({ accepted: false, error: 'SignatureError' });
    });

    it('encrypted for another SP\'s certificate, the SP cannot read it', async () => {
      const other = await makeKeyPair(dir, 'other-sp');
      const verdict = await acs(buildResponse(input({ encryptTo: readFileSync(other.certFile, 'utf8') })), '_request-1');
      expect(verdict).to.include({ accepted: false, error: 'NoAssertion' });
    });
  });

  describe('the HTTP-POST page', () => {
    it('posts the response and RelayState to the ACS with a visible button, French first, and no inline script', () => {
      const page = autoPostForm(ACS, 'SAMLResponse', 'PHNhbWw+', 'https://ressource.example/livre?a=1&b="2"', 'fr');
      expect(page).to.include('<form id="saml-post" method="post" action="https://ressource.example/acs/post">');
      expect(page).to.include('<input type="hidden" name="SAMLResponse" value="PHNhbWw+">');
      expect(page).to.include('<input type="hidden" name="RelayState" value="https://ressource.example/livre?a=1&amp;b=&quot;2&quot;">');
      expect(page).to.include('<button type="submit">Continuer</button>');
      const scripts = [...page.matchAll(/<script\b[^>]*>([\s\S]*?)<\/script>/g)];
      expect(scripts.map((m) => m[0])).to.deep.equal([`<script src="${SAML_POST_SCRIPT_URL}" defer></script>`]);
      expect(page).to.not.match(/\son[a-z]+=/i);
      expect(page).to.match(/<html lang="fr">/);
    });

    it('has no RelayState field without one, and speaks English when asked', () => {
      const page = autoPostForm(ACS, 'SAMLResponse', 'PHNhbWw+', undefined, 'en');
      expect(page).to.not.include('RelayState');
      expect(page).to.include('<button type="submit">Continue</button>');
    });

    it('its script is served from /assets, which the CSP\'s script-src \'self\' allows', async () => {
      const app = new Koa().use(assetsRouter().routes());
      const server = app.listen(0, '127.0.0.1');
      await new Promise((resolve) => server.once('listening', resolve));
      try {
        const res = await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}${SAML_POST_SCRIPT_URL}`);
        expect(res.status).to.equal(200);
        expect(res.headers.get('content-type')).to.equal('text/javascript; charset=utf-8');
        expect(await res.text()).to.include("document.getElementById('saml-post').submit()");
      } finally {
        server.close();
      }
    });
  });
});
