/**
 * SP metadata as the hub's IdP reads it (src/saml/idp/sp-metadata.ts): real documents written by
 * pysaml2 (unsigned, and signed by a federation operator's key), and hand-written hostile ones,
 * each refused with a sentence naming what is wrong.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { certificateBody, certificateKey } from '../../src/saml/core/keys.js';
import { BINDINGS, parseSpMetadata, SpMetadataRefused, type SpMetadataRules } from '../../src/saml/idp/sp-metadata.js';
import { makeKeyPair, type KeyFiles } from '../../testing/harness/pysaml2.js';
import { writeSpMetadata } from '../../testing/harness/pysaml2-sp.js';

const PRODUCTION: SpMetadataRules = { production: true, trust: null };
const DEVELOPMENT: SpMetadataRules = { production: false, trust: null };
const TRANSIENT = 'urn:oasis:names:tc:SAML:2.0:nameid-format:transient';

/** A hand-written SP metadata document; `sp` replaces the SPSSODescriptor's content. */
function spXml(options: { root?: string; entityId?: string; validUntil?: string; sp?: string; descriptors?: number; doctype?: boolean } = {}): string {
  const acs = `<md:AssertionConsumerService Binding="${BINDINGS.post}" Location="https://gar.example/acs" index="0" isDefault="true"/>`;
  const descriptor = `<md:SPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">${options.sp ?? acs}</md:SPSSODescriptor>`;
  const root = options.root ?? 'EntityDescriptor';
  return `${options.doctype ? '<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>' : ''}`
    + `<md:${root} xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" xmlns:ds="http://www.w3.org/2000/09/xmldsig#" entityID="${options.entityId ?? 'https://gar.example/metadata'}"${options.validUntil ? ` validUntil="${options.validUntil}"` : ''}>`
    + `${descriptor.repeat(options.descriptors ?? 1)}</md:${root}>`;
}

async function refusal(xml: string, rules: SpMetadataRules = PRODUCTION): Promise<string> {
  const err = await parseSpMetadata(xml, rules, 'SP metadata test.xml').then(() => null, (e: unknown) => e);
  expect(err, 'expected a refusal').to.be.instanceOf(SpMetadataRefused);
  expect(err).to.include({ code: 'invalid_sp_metadata', status: 400, expose: true });
  return (err as Error).message;
}

describe('SAML IdP: SP metadata', function () {
  this.timeout(30_000);
  let dir: string;
  let operator: KeyFiles;
  let stranger: KeyFiles;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'sp-metadata-'));
    [operator, stranger] = [await makeKeyPair(dir, 'operator'), await makeKeyPair(dir, 'stranger')];
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('reads what the IdP needs from pysaml2 SP metadata', async () => {
    const file = await writeSpMetadata(dir, 'sp.xml', { base: 'https://ressource.example', name: 'Manuel numérique' });
    const spCert = certificateBody(readFileSync(join(dir, 'sp.xml-sp.crt'), 'utf8'));
    const parsed = await parseSpMetadata(readFileSync(file, 'utf8'), PRODUCTION, 'SP metadata sp.xml');
    expect(parsed).to.deep.include({ entityId: 'https://ressource.example/metadata', displayName: 'Manuel numérique' });
    expect(parsed.validUntil!.getTime() - Date.now()).to.be.within(23 * 3600_000, 25 * 3600_000);
    const acs = parsed.values.assertionConsumerServices;
    expect(acs.map((a) => [a.binding, a.location])).to.deep.equal([[BINDINGS.post, 'https://ressource.example/acs/post'], [BINDINGS.artifact, 'https://ressource.example/acs/artifact']]);
    expect(new Set(acs.map((a) => a.index)).size).to.equal(2);
    expect(parsed.values).to.deep.include({
      singleLogoutServices: [{ binding: BINDINGS.redirect, location: 'https://ressource.example/slo' }],
      signingCertificates: [spCert],
      encryptionCertificates: [spCert],
      authnRequestsSigned: true,
      wantAssertionsSigned: true,
    });
    expect(parsed.values.nameIdFormats).to.include(TRANSIENT);
  });

  it('checks a signed document against the configured certificate', async () => {
    const signed = readFileSync(await writeSpMetadata(dir, 'signed.xml', { base: 'https://ressource.example', signer: operator }), 'utf8');
    const unsigned = readFileSync(await writeSpMetadata(dir, 'unsigned.xml', { base: 'https://ressource.example' }), 'utf8');
    const trusting = (keys: KeyFiles): SpMetadataRules => ({ production: true, trust: certificateKey(readFileSync(keys.certFile, 'utf8')) });
    expect((await parseSpMetadata(signed, trusting(operator), 'signed')).entityId).to.equal('https://ressource.example/metadata');
    expect(await refusal(signed, trusting(stranger))).to.match(/^SP metadata test\.xml refused: the document signature refused: /);
    expect(await refusal(unsigned, trusting(operator))).to.equal('SP metadata test.xml refused: the document is not signed, and a metadata signing certificate is configured');
    // A signed copy altered after signing (another ACS) no longer verifies.
    const altered = signed.replace('https://ressource.example/acs/post', 'https://attacker.example/acs');
    expect(await refusal(altered, trusting(operator))).to.match(/signature/);
  });

  it('accepts http endpoints only outside production', async () => {
    const xml = readFileSync(await writeSpMetadata(dir, 'http.xml', { base: 'http://127.0.0.1:8080' }), 'utf8');
    expect(await refusal(xml)).to.equal('SP metadata test.xml refused: AssertionConsumerService Location http://127.0.0.1:8080/acs/post is not https (http is accepted only outside production)');
    expect((await parseSpMetadata(xml, DEVELOPMENT, 'dev')).values.assertionConsumerServices[0]!.location).to.equal('http://127.0.0.1:8080/acs/post');
  });

  it('refuses hostile and unusable documents, saying why', async () => {
    const badCert = `<md:KeyDescriptor use="signing"><ds:KeyInfo><ds:X509Data><ds:X509Certificate>MIIBnotacertificate</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>`;
    const acs = (binding: string, location: string, index = '0') => `<md:AssertionConsumerService Binding="${binding}" Location="${location}" index="${index}"/>`;
    const cases: Array<[string, string, RegExp]> = [
      ['DOCTYPE', spXml({ doctype: true }), /refused: a DOCTYPE is not allowed$/],
      ['not XML', '<md:EntityDescriptor', /refused: not well-formed XML$/],
      ['aggregate', `<md:EntitiesDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata">${spXml()}</md:EntitiesDescriptor>`, /must be one md:EntityDescriptor, not an aggregate/],
      ['schema: an aggregate with an entityID', spXml({ root: 'EntitiesDescriptor' }), /not valid against the SAML metadata schema: Element '\{urn:oasis:names:tc:SAML:2.0:metadata\}EntitiesDescriptor', attribute 'entityID': The attribute 'entityID' is not allowed\.$/],
      ['other root', '<x:Foo xmlns:x="urn:x"/>', /not valid against the SAML metadata schema: Element '\{urn:x\}Foo': No matching global declaration/],
      ['no entityID', spXml({ entityId: '' }), /entityID must be present/],
      ['no SPSSODescriptor', spXml({ descriptors: 0 }), /not valid against the SAML metadata schema: Element '\{urn:oasis:names:tc:SAML:2.0:metadata\}EntityDescriptor': Missing child element/],
      ['two SPSSODescriptors', spXml({ descriptors: 2 }), /expected one SPSSODescriptor, found 2/],
      ['no ACS', spXml({ sp: `<md:SingleLogoutService Binding="${BINDINGS.redirect}" Location="https://gar.example/slo"/>` }), /SPSSODescriptor': Missing child element/],
      ['unknown binding', spXml({ sp: acs('urn:example:bindings:carrier-pigeon', 'https://gar.example/acs') }), /AssertionConsumerService has an unknown binding \(urn:example:bindings:carrier-pigeon\)/],
      ['no binding on SLO', spXml({ sp: `${acs(BINDINGS.post, 'https://gar.example/acs')}<md:SingleLogoutService Location="https://gar.example/slo"/>` }), /not valid against the SAML metadata schema: Element '\{urn:oasis:names:tc:SAML:2.0:metadata\}SingleLogoutService': This element is not expected/],
      ['javascript ACS', spXml({ sp: acs(BINDINGS.post, 'javascript:alert(1)') }), /AssertionConsumerService Location javascript:alert\(1\) is not https$/],
      ['relative ACS', spXml({ sp: acs(BINDINGS.post, '/acs') }), /AssertionConsumerService Location is not a URL/],
      ['http SLO', spXml({ sp: `${acs(BINDINGS.post, 'https://gar.example/acs')}<md:SingleLogoutService Binding="${BINDINGS.redirect}" Location="http://gar.example/slo"/>` }), /SingleLogoutService': This element is not expected/],
      ['only artifact ACS', spXml({ sp: acs(BINDINGS.artifact, 'https://gar.example/acs') }), /no AssertionConsumerService with the HTTP-POST binding/],
      ['bad index', spXml({ sp: acs(BINDINGS.post, 'https://gar.example/acs', '-1') }), /attribute 'index': '…' is not a valid value of the atomic type 'xs:unsignedShort'/],
      ['same index', spXml({ sp: acs(BINDINGS.post, 'https://gar.example/a') + acs(BINDINGS.post, 'https://gar.example/b') }), /same index/],
      ['expired', spXml({ validUntil: '2020-01-01T00:00:00Z' }), /the metadata expired on 2020-01-01T00:00:00.000Z \(validUntil of EntityDescriptor\)/],
      ['bad validUntil', spXml({ validUntil: 'tomorrow' }), /attribute 'validUntil': '…' is not a valid value of the atomic type 'xs:dateTime'/],
      ['malformed certificate', spXml({ sp: badCert + acs(BINDINGS.post, 'https://gar.example/acs') }), /X509Certificate': '…' is not a valid value of the atomic type 'xs:base64Binary'/],
      ['empty KeyDescriptor', spXml({ sp: `<md:KeyDescriptor/>${acs(BINDINGS.post, 'https://gar.example/acs')}` }), /KeyDescriptor': Missing child element/],
      ['too deep', spXml({ sp: `<md:Extensions>${'<x:a xmlns:x="urn:x">'.repeat(40)}${'</x:a>'.repeat(40)}</md:Extensions>${acs(BINDINGS.post, 'https://gar.example/acs')}` }), /refused: not valid against the SAML metadata schema: elements nested too deeply$/],
      ['too large', spXml({ sp: `<!--${'x'.repeat(300 * 1024)}-->` }), /larger than 256 KiB/],
    ];
    for (const [name, xml, expected] of cases) expect(await refusal(xml), name).to.match(expected);
  });

  it('keeps the earliest validUntil, and accepts a document without one', async () => {
    const later = new Date(Date.now() + 48 * 3600_000).toISOString();
    const sooner = new Date(Date.now() + 3600_000).toISOString();
    const both = spXml({ validUntil: later }).replace('protocolSupportEnumeration=', `validUntil="${sooner}" protocolSupportEnumeration=`);
    expect((await parseSpMetadata(both, PRODUCTION, 'x')).validUntil!.toISOString()).to.equal(sooner);
    const none = await parseSpMetadata(spXml(), PRODUCTION, 'x');
    expect(none).to.deep.include({ validUntil: null, displayName: null });
    expect(none.values).to.deep.include({ signingCertificates: [], encryptionCertificates: [], authnRequestsSigned: false, wantAssertionsSigned: false, nameIdFormats: [] });
    expect(none.values.assertionConsumerServices).to.deep.equal([{ binding: BINDINGS.post, location: 'https://gar.example/acs', index: 0, isDefault: true }]);
  });
});
