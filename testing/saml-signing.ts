/**
 * Enveloped XML signatures made by hand for the hostile corpora (the SP's ACS corpus in
 * test/federation/saml-corpus.ts, the IdP's inbound corpus in testing/saml-idp-corpus.ts): the
 * Signature takes the place of a marker, so a case can put it anywhere, sign one element and
 * move it, or sign with an algorithm the hub refuses.
 */
import { createHash, sign, type KeyObject } from 'node:crypto';
import { loadLibxml } from '../src/saml/core/libxml.js';

export const SAMLP = 'urn:oasis:names:tc:SAML:2.0:protocol';
export const SAML = 'urn:oasis:names:tc:SAML:2.0:assertion';
export const DS = 'http://www.w3.org/2000/09/xmldsig#';
export const XENC = 'http://www.w3.org/2001/04/xmlenc#';
/** Where signRoot puts the Signature (after the Issuer, SAML core 5.4.1). */
export const SIG = '<!--{{SIG}}-->';

const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
/** An xs:dateTime `offsetSeconds` from now, without milliseconds. */
export const instant = (offsetSeconds: number, now = Date.now()): string => iso(now + offsetSeconds * 1000);
/** Escapes a value for an attribute or text node. */
export const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/"/g, '&quot;');

const HASHES = {
  sha256: { signature: 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256', digest: `${XENC}sha256` },
  /** Refused by the hub: here only to prove it. */
  sha1: { signature: `${DS}rsa-sha1`, digest: `${DS}sha1` },
} as const;
export type SignatureHash = keyof typeof HASHES;

/**
 * Signs the root element of `xml` (enveloped, exclusive c14n, RSA with `hash`), the Signature
 * taking the place of the SIG marker; without `key`, the marker is only removed.
 */
export async function signRoot(xml: string, key: KeyObject | null, hash: SignatureHash = 'sha256'): Promise<string> {
  if (!key) return xml.replace(SIG, '');
  const { XmlDocument, XmlC14NMode } = await loadLibxml();
  const c14n = (text: string) => {
    const doc = XmlDocument.fromString(text);
    try {
      return { id: doc.root.attr('ID')?.value ?? '', text: doc.root.canonicalizeToString({ mode: XmlC14NMode.XML_C14N_EXCLUSIVE_1_0, withComments: false }) };
    } finally {
      doc.dispose();
    }
  };
  const element = c14n(xml.replace(SIG, ''));
  const digest = createHash(hash).update(element.text, 'utf8').digest('base64');
  const exc = 'http://www.w3.org/2001/10/xml-exc-c14n#';
  const signedInfo = `<ds:SignedInfo xmlns:ds="${DS}"><ds:CanonicalizationMethod Algorithm="${exc}"/><ds:SignatureMethod Algorithm="${HASHES[hash].signature}"/>`
    + `<ds:Reference URI="#${element.id}"><ds:Transforms><ds:Transform Algorithm="${DS}enveloped-signature"/><ds:Transform Algorithm="${exc}"/></ds:Transforms>`
    + `<ds:DigestMethod Algorithm="${HASHES[hash].digest}"/><ds:DigestValue>${digest}</ds:DigestValue></ds:Reference></ds:SignedInfo>`;
  const value = sign(hash, Buffer.from(c14n(signedInfo).text, 'utf8'), key).toString('base64');
  return xml.replace(SIG, `<ds:Signature xmlns:ds="${DS}">${signedInfo}<ds:SignatureValue>${value}</ds:SignatureValue></ds:Signature>`);
}
