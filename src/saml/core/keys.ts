/**
 * Key material of a SAML entity, turned into KeyObjects once (when a connector opens, or when a
 * metadata copy is read), never per message. The PEM texts stay beside the keys for samlify,
 * which takes them as text.
 */
import { createHash, createPrivateKey, createPublicKey, sign, X509Certificate, type KeyObject } from 'node:crypto';
import { createRequire } from 'node:module';
import type * as Samlify from 'samlify';
import { HubError, InvariantBroken } from '../../shared/errors.js';
import { canonicalXml, element, type XmlElementNode, type XmlNamespace } from './canonical-xml.js';

/**
 * samlify is CommonJS and defines `SamlLib` through a getter, which Node's detection of the named
 * exports of a CommonJS module cannot see: an ESM import finds it only under some loaders (mocha's
 * tsx hook, not `bin/hub.js`). `require` gives the module's own exports everywhere.
 */
const { SamlLib } = createRequire(import.meta.url)('samlify') as typeof Samlify;

export const RSA_SHA256 = 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256';

export interface KeyPair {
  privateKey: KeyObject;
  keyPem: string;
  certPem: string;
}

/** Key material that is not what its configuration says it is: a configuration error. */
export class KeyMaterialInvalid extends HubError {
  constructor(message: string) {
    super('invalid_key_material', message, { status: 500, expose: false });
  }
}

/** A private key and its certificate from PEM texts; `names` say where each came from, for the message. */
export function keyPairFromPem(keyPem: string, certPem: string, names: { key: string; cert: string }): KeyPair {
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey(keyPem);
  } catch {
    throw new KeyMaterialInvalid(`${names.key} is not a PEM private key`);
  }
  if (!certPem.includes('BEGIN CERTIFICATE')) throw new KeyMaterialInvalid(`${names.cert} is not a PEM certificate`);
  return { privateKey, keyPem, certPem };
}

/** A PEM certificate's base64 body, as metadata and KeyInfo carry it. */
export function certificateBody(certPem: string): string {
  return certPem.replace(/-----[^-]+-----|\s/g, '');
}

/** The public key of a PEM certificate (a metadata signing certificate). */
export function certificateKey(certPem: string): KeyObject {
  return new X509Certificate(certPem).publicKey;
}

/** The signing keys of a peer, from the base64 certificates of its metadata. */
export function publicKeysOf(certsBase64: string[]): KeyObject[] {
  return certsBase64.map((b64) => new X509Certificate(Buffer.from(b64.replace(/\s+/g, ''), 'base64')).publicKey).map((k) => createPublicKey(k.export({ format: 'pem', type: 'spki' })));
}

/** RSA-SHA256 signature of `octets` (the HTTP-Redirect binding signs the query string this way). */
export function signRsaSha256(octets: string, pair: KeyPair): Buffer {
  return sign('sha256', Buffer.from(octets, 'utf8'), pair.privateKey);
}

/**
 * Where an enveloped signature goes: right after the Issuer of a protocol message or assertion
 * (SAML core 5.4.1), first child of an element without one (metadata's EntityDescriptor).
 */
export type SignaturePlacement = 'afterIssuer' | 'first';

/**
 * Signs the element at `referenceXPath` with an enveloped XML signature (RSA-SHA256, SHA-256
 * digest, exclusive canonicalisation), placed as `placement` says (after its Issuer by default).
 * xml-crypto (through samlify) does the signing: verifyEnveloped (xmldsig.ts) reads the result.
 */
export function signEnveloped(xml: string, referenceXPath: string, pair: KeyPair, placement: SignaturePlacement = 'afterIssuer'): string {
  return SamlLib.constructSAMLSignature({
    rawSamlMessage: xml,
    referenceTagXPath: referenceXPath,
    // samlify hands an unencrypted key through to xml-crypto, which signs with node:crypto and
    // takes the KeyObject made once: the PEM text would be parsed again for every signature.
    privateKey: pair.privateKey as unknown as string,
    signingCert: certificateBody(pair.certPem),
    signatureAlgorithm: RSA_SHA256,
    isBase64Output: false,
    signatureConfig: {
      prefix: 'ds',
      location: placement === 'first' ? { reference: referenceXPath, action: 'prepend' } : { reference: `${referenceXPath}/*[local-name(.)='Issuer']`, action: 'after' },
    },
  });
}

const DS: XmlNamespace = { prefix: 'ds', uri: 'http://www.w3.org/2000/09/xmldsig#' };
const EXC_C14N = 'http://www.w3.org/2001/10/xml-exc-c14n#';
const ENVELOPED = 'http://www.w3.org/2000/09/xmldsig#enveloped-signature';
const SHA256 = 'http://www.w3.org/2001/04/xmlenc#sha256';

const certificateBodies = new WeakMap<KeyPair, string>();
/** The KeyInfo certificate of a pair, cut out of its PEM once. */
function certificateBodyOf(pair: KeyPair): string {
  let body = certificateBodies.get(pair);
  if (body === undefined) {
    body = certificateBody(pair.certPem);
    certificateBodies.set(pair, body);
  }
  return body;
}

const ds = (name: string, attributes: Record<string, string> = {}, children: (XmlElementNode | string)[] = []) => element(DS, name, attributes, children);

/**
 * `el` with the enveloped signature signEnveloped would give it (same algorithms, same
 * Signature), placed after its Issuer, for an element the hub built itself (canonical-xml.ts):
 * the digest is the SHA-256 of its canonical form, the SignedInfo is written in canonical form
 * too, and node:crypto signs it once with the KeyObject. `el` must carry its ID in `ID` and
 * start with its Issuer.
 */
export function signElement(el: XmlElementNode, pair: KeyPair): XmlElementNode {
  const id = el.attributes.find((a) => a.name === 'ID' && !a.ns)?.value;
  const issuer = el.children[0];
  if (id === undefined || typeof issuer === 'string' || issuer?.name !== 'Issuer') throw new InvariantBroken(`signElement: ${el.name} needs an ID and an Issuer first`);
  const digest = createHash('sha256').update(canonicalXml(el), 'utf8').digest('base64');
  const signedInfo = ds('SignedInfo', {}, [
    ds('CanonicalizationMethod', { Algorithm: EXC_C14N }),
    ds('SignatureMethod', { Algorithm: RSA_SHA256 }),
    ds('Reference', { URI: `#${id}` }, [
      ds('Transforms', {}, [ds('Transform', { Algorithm: ENVELOPED }), ds('Transform', { Algorithm: EXC_C14N })]),
      ds('DigestMethod', { Algorithm: SHA256 }),
      ds('DigestValue', {}, [digest]),
    ]),
  ]);
  const value = sign('sha256', Buffer.from(canonicalXml(signedInfo), 'utf8'), pair.privateKey).toString('base64');
  const signature = ds('Signature', {}, [
    signedInfo,
    ds('SignatureValue', {}, [value]),
    ds('KeyInfo', {}, [ds('X509Data', {}, [ds('X509Certificate', {}, [certificateBodyOf(pair)])])]),
  ]);
  return { ...el, children: [issuer, signature, ...el.children.slice(1)] };
}
