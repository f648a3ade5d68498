/**
 * The SAML kit's signing side (what the coming IdP will send) against its verifying side (what
 * the SP connector checks): a message signed by one verifies with the other, and a change fails.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { base64Octets } from '../../src/saml/core/base64.js';
import { decodePostMessage, signedRedirectQuery, verifyRedirectQuery } from '../../src/saml/core/bindings.js';
import { SamlError, SignatureInvalid } from '../../src/saml/core/errors.js';
import { certificateBody, keyPairFromPem, publicKeysOf, signEnveloped, type KeyPair } from '../../src/saml/core/keys.js';
import { childElements, libxml, loadLibxml } from '../../src/saml/core/libxml.js';
import { MAX_SAML_XML_BYTES } from '../../src/saml/core/schema-validator.js';
import { readDocument } from '../../src/saml/core/xml-tree.js';
import { verifyEnveloped } from '../../src/saml/core/xmldsig.js';
import { makeKeyPair } from '../../testing/harness/pysaml2.js';

const LOGOUT_REQUEST = '<samlp:LogoutRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="_lr1" Version="2.0" IssueInstant="2025-01-01T00:00:00Z"><saml:Issuer>https://idp.example</saml:Issuer><saml:NameID>pupil-1</saml:NameID></samlp:LogoutRequest>';

describe('SAML kit', () => {
  let dir: string;
  let pair: KeyPair;
  let other: KeyPair;
  before(async () => {
    await loadLibxml();
    dir = mkdtempSync(join(tmpdir(), 'saml-kit-'));
    const read = async (name: string) => {
      const files = await makeKeyPair(dir, name);
      return keyPairFromPem(readFileSync(files.keyFile, 'utf8'), readFileSync(files.certFile, 'utf8'), { key: files.keyFile, cert: files.certFile });
    };
    [pair, other] = [await read('signer'), await read('other')];
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('verifies an HTTP-Redirect query it signed, and refuses it altered or from another key', () => {
    const query = signedRedirectQuery({ param: 'SAMLRequest', xml: LOGOUT_REQUEST, relayState: 'back to é' }, pair);
    expect(verifyRedirectQuery(query, publicKeysOf([certificateBody(pair.certPem)]), 'logout message', 'IdP')).to.deep.equal({ param: 'SAMLRequest', xml: LOGOUT_REQUEST, relayState: 'back to é' });
    const refused = (q: string, keys: KeyPair) => {
      try {
        verifyRedirectQuery(q, publicKeysOf([certificateBody(keys.certPem)]), 'logout message', 'IdP');
      } catch (err) {
        return err instanceof SamlError ? err.reason : 'other';
      }
      return 'accepted';
    };
    expect(refused(query, other)).to.equal('signature');
    expect(refused(query.replace('RelayState=back', 'RelayState=elsewhere'), pair)).to.equal('signature');
    expect(refused(query.replace(/&Signature=.*$/, ''), pair)).to.equal('unsigned');
  });

  it('verifies an enveloped signature it made, placed after the Issuer, and refuses it altered', () => {
    const signed = signEnveloped(LOGOUT_REQUEST, "/*[local-name(.)='LogoutRequest']", pair);
    const doc = libxml().XmlDocument.fromString(signed);
    try {
      expect(childElements(doc.root).map((el) => el.name)).to.deep.equal(['Issuer', 'Signature', 'NameID']);
      expect(verifyEnveloped(doc, doc.root, publicKeysOf([certificateBody(pair.certPem)]))).to.equal(true);
    } finally {
      doc.dispose();
    }
    const altered = libxml().XmlDocument.fromString(signed.replace('pupil-1', 'pupil-2'));
    try {
      expect(() => verifyEnveloped(altered, altered.root, publicKeysOf([certificateBody(pair.certPem)]))).to.throw(SignatureInvalid, 'digest mismatch');
    } finally {
      altered.dispose();
    }
  });

  it('verifies a signed element whose canonical form is longer than one output chunk of libxml2, non-ASCII throughout', () => {
    // The canonical octets reach the hash in several chunks (about 4000 octets each), at both alignments of a two-octet character.
    for (const filler of ['é', 'xé']) {
      const message = LOGOUT_REQUEST.replace('pupil-1', filler.repeat(4000));
      const doc = libxml().XmlDocument.fromString(signEnveloped(message, "/*[local-name(.)='LogoutRequest']", pair));
      try {
        expect(verifyEnveloped(doc, doc.root, publicKeysOf([certificateBody(pair.certPem)]))).to.equal(true);
      } finally {
        doc.dispose();
      }
    }
  });

  it('reads a document into plain objects: names, namespaces, attributes, text and CDATA, every element past comments and processing instructions', () => {
    const doc = libxml().XmlDocument.fromString('<a:r xmlns:a="urn:a" xmlns="urn:d" x="1&amp;2" a:y="é"><!--c-->t<?pi?><e>u<![CDATA[<v>]]><f/></e><g a:z=""/></a:r>');
    try {
      const { root, elements } = readDocument(doc);
      expect(elements.map((el) => [el.ns, el.name])).to.deep.equal([['urn:a', 'r'], ['urn:d', 'e'], ['urn:d', 'f'], ['urn:d', 'g']]);
      expect(root.attributes).to.deep.equal([{ ns: null, name: 'x', value: '1&2' }, { ns: 'urn:a', name: 'y', value: 'é' }]);
      expect(root.children.map((el) => el.name)).to.deep.equal(['e', 'g']);
      expect([root.text, elements[1]!.text, elements[3]!.attributes[0]!.value]).to.deep.equal(['tu<v>', 'u<v>', '']);
    } finally {
      doc.dispose();
    }
  });

  it('reads base64 as SAML carries it, wrapped or not, and nothing else', () => {
    const octets = Buffer.from('Lefèvre, Inès: des octets quelconques \u0000\u00ff');
    const text = octets.toString('base64');
    expect(base64Octets(text)).to.deep.equal(octets);
    expect(base64Octets(text.replace(/(.{8})/g, '$1\r\n '))).to.deep.equal(octets);
    expect(base64Octets(`${text.slice(0, 8)}*${text.slice(8)}`)).to.equal(null);
    expect(base64Octets('')).to.equal(null);
  });

  it('decodes an HTTP-POST message, and refuses what is not base64 or too large, saying which', () => {
    expect(decodePostMessage(Buffer.from(LOGOUT_REQUEST).toString('base64'), 'SAMLResponse')).to.equal(LOGOUT_REQUEST);
    expect(() => decodePostMessage('<xml/>', 'SAMLResponse')).to.throw(SamlError, 'SAMLResponse is not base64');
    const huge = Buffer.alloc(MAX_SAML_XML_BYTES + 1024, 'a').toString('base64');
    expect(() => decodePostMessage(huge, 'SAMLRequest')).to.throw(SamlError, `SAMLRequest is larger than ${MAX_SAML_XML_BYTES} bytes`);
  });
});
