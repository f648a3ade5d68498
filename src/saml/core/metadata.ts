/**
 * What any SAML metadata goes through before a parser reads it: no DOCTYPE (the door of entity
 * attacks), and, when the federation operator's metadata signing certificate is configured, an
 * enveloped signature on its root made with that certificate's key (a copy fetched over a
 * tampered channel is then refused).
 */
import type { KeyObject } from 'node:crypto';
import { SamlError, SignatureInvalid } from './errors.js';
import { libxml } from './libxml.js';
import { verifyEnveloped } from './xmldsig.js';

/** Throws SamlError unless `xml` may be parsed as metadata; `what` names it in messages (`IdP metadata`). */
export function checkMetadata(xml: string, trust: KeyObject | null, what: string): void {
  if (/<!DOCTYPE/i.test(xml)) throw new SamlError('forbidden_xml', `${what} must not contain a DOCTYPE`);
  if (trust) checkMetadataSignature(xml, trust, what);
}

function checkMetadataSignature(xml: string, key: KeyObject, what: string): void {
  const doc = libxml().XmlDocument.fromString(xml);
  try {
    let signed: boolean;
    try {
      signed = verifyEnveloped(doc, doc.root, [key]);
    } catch (err) {
      if (err instanceof SignatureInvalid) throw new SamlError('signature', `${what} signature refused: ${err.detail}`);
      throw err;
    }
    if (!signed) throw new SamlError('unsigned', `${what} is not signed, and a metadata signing certificate is configured`);
  } finally {
    doc.dispose();
  }
}
