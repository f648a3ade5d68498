/**
 * The IdP's SAML Response to an SP (SAML core 3.3.3, profiles 4.1.4.2): one signed Assertion,
 * encrypted for the SP when it publishes an encryption certificate, inside a signed Response.
 * Pure: the SSO step gives everything (who, what, for whom, when, with which keys).
 *
 * Order (SAML core 6.2, "sign then encrypt"): the assertion is signed on its own, so the SP checks
 * the IdP's signature on what it decrypted; the Response is signed last, over the
 * EncryptedAssertion, so the envelope cannot be changed either.
 *
 * Encryption, mirroring what the kit decrypts (src/saml/core/decrypt.ts):
 * - data: AES-256-GCM (xmlenc11#aes256-gcm): authenticated, unlike the CBC modes whose padding
 *   oracles broke XML Encryption; CipherValue = IV (12 bytes) ‖ ciphertext ‖ tag (16 bytes);
 * - key: RSA-OAEP with MGF1-SHA-1 and the SHA-1 digest (xmlenc#rsa-oaep-mgf1p, XML-Enc's default
 *   parameters). Chosen because every SP stack decrypts it (xmlsec1, Shibboleth SP,
 *   SimpleSAMLphp, samlify), whereas xmlenc11#rsa-oaep with SHA-256 is not yet everywhere; OAEP's
 *   security does not rest on the collision resistance that SHA-1 lost.
 */
import { constants, createCipheriv, publicEncrypt, randomBytes, X509Certificate, type KeyObject } from 'node:crypto';
import { documentXml, element, type XmlElementNode, type XmlNamespace } from '../core/canonical-xml.js';
import { certificateBody, signElement, type KeyPair } from '../core/keys.js';
import type { SpSignatures } from '../../storage/ports/index.js';
import { NS } from '../core/xmldsig.js';
import { instant, samlId, xmlValue } from './xml-text.js';

const XENC11 = 'http://www.w3.org/2009/xmlenc11#';
const AES256_GCM = `${XENC11}aes256-gcm`;
const RSA_OAEP_MGF1P = `${NS.xenc}rsa-oaep-mgf1p`;
const SHA1 = 'http://www.w3.org/2000/09/xmldsig#sha1';
const GCM_IV_BYTES = 12;
const STATUS_SUCCESS = 'urn:oasis:names:tc:SAML:2.0:status:Success';
const BEARER = 'urn:oasis:names:tc:SAML:2.0:cm:bearer';
const SAMLP: XmlNamespace = { prefix: 'samlp', uri: NS.samlp };
const SAML: XmlNamespace = { prefix: 'saml', uri: NS.saml };
const XENC: XmlNamespace = { prefix: 'xenc', uri: NS.xenc };
const DS: XmlNamespace = { prefix: 'ds', uri: NS.ds };
const XS: XmlNamespace = { prefix: 'xs', uri: 'http://www.w3.org/2001/XMLSchema' };
const XSI: XmlNamespace = { prefix: 'xsi', uri: 'http://www.w3.org/2001/XMLSchema-instance' };

/** How long the assertion may be used by default (Conditions and SubjectConfirmation NotOnOrAfter). */
export const DEFAULT_LIFETIME_SECONDS = 300;

export interface ResponseAttribute {
  name: string;
  nameFormat: string;
  friendlyName?: string;
  values: readonly string[];
}

export interface ResponseInput {
  /** The IdP's entityID. */
  issuer: string;
  /** The SP's entityID: the assertion's audience. */
  sp: string;
  /** The ACS URL the Response is posted to (Destination, Recipient). */
  acsUrl: string;
  /** The AuthnRequest's ID; null for an IdP-initiated response. */
  inResponseTo: string | null;
  nameId: { value: string; format: string; spNameQualifier?: string };
  attributes: readonly ResponseAttribute[];
  authn: { instant: Date; acr: string; sessionIndex: string };
  now: Date;
  /** Default DEFAULT_LIFETIME_SECONDS. */
  lifetimeSeconds?: number;
  /** The IdP's signing pair. */
  keys: KeyPair;
  /** The SP's encryption certificate (PEM): the assertion is then encrypted for it. */
  encryptTo?: string;
  /** What is signed: the assertion and the Response (default), or only one of them, as the SP's registration says. */
  signatures?: SpSignatures;
}

const saml = (name: string, attributes: Record<string, string | undefined> = {}, children: (XmlElementNode | string)[] = []) => element(SAML, name, attributes, children);
const xenc = (name: string, attributes: Record<string, string | undefined> = {}, children: (XmlElementNode | string)[] = []) => element(XENC, name, attributes, children);
const ds = (name: string, children: (XmlElementNode | string)[] = []) => element(DS, name, {}, children);

function attributeElement(attribute: ResponseAttribute): XmlElementNode {
  const what = `attribute ${attribute.name}`;
  const values = attribute.values.map((v) => {
    const value = saml('AttributeValue', {}, [xmlValue(v, what)]);
    value.attributes.push({ name: 'type', ns: XSI, value: 'xs:string' });
    return value;
  });
  const friendlyName = attribute.friendlyName === undefined ? undefined : xmlValue(attribute.friendlyName, what);
  return saml('Attribute', { Name: xmlValue(attribute.name, what), NameFormat: xmlValue(attribute.nameFormat, what), FriendlyName: friendlyName }, values);
}

/** The unsigned Assertion; `xs` is declared on it for the xsi:type values (a QName the schema reads). */
function assertionElement(input: ResponseInput, id: string): XmlElementNode {
  const now = instant(input.now);
  const notOnOrAfter = instant(new Date(input.now.getTime() + (input.lifetimeSeconds ?? DEFAULT_LIFETIME_SECONDS) * 1000));
  const acs = xmlValue(input.acsUrl, 'ACS URL');
  const inResponseTo = input.inResponseTo === null ? undefined : xmlValue(input.inResponseTo, 'request ID');
  const { nameId } = input;
  const spNameQualifier = nameId.spNameQualifier === undefined ? undefined : xmlValue(nameId.spNameQualifier, 'NameID');
  const assertion = saml('Assertion', { ID: id, Version: '2.0', IssueInstant: now }, [
    saml('Issuer', {}, [xmlValue(input.issuer, 'IdP entityID')]),
    saml('Subject', {}, [
      saml('NameID', { Format: xmlValue(nameId.format, 'NameID format'), SPNameQualifier: spNameQualifier }, [xmlValue(nameId.value, 'NameID')]),
      saml('SubjectConfirmation', { Method: BEARER }, [saml('SubjectConfirmationData', { NotOnOrAfter: notOnOrAfter, Recipient: acs, InResponseTo: inResponseTo })]),
    ]),
    saml('Conditions', { NotBefore: now, NotOnOrAfter: notOnOrAfter }, [saml('AudienceRestriction', {}, [saml('Audience', {}, [xmlValue(input.sp, 'SP entityID')])])]),
    saml('AuthnStatement', { AuthnInstant: instant(input.authn.instant), SessionIndex: xmlValue(input.authn.sessionIndex, 'session index') }, [
      saml('AuthnContext', {}, [saml('AuthnContextClassRef', {}, [xmlValue(input.authn.acr, 'authentication context')])]),
    ]),
  ]);
  // An AttributeStatement must hold at least one Attribute (SAML assertion schema).
  if (input.attributes.length > 0) assertion.children.push(saml('AttributeStatement', {}, input.attributes.map(attributeElement)));
  assertion.declares = [XS];
  return assertion;
}

/** SP certificates parsed once: a response per sign-in must not parse the same PEM again. */
const spKeys = new Map<string, KeyObject>();
const MAX_SP_KEYS = 1000;
function spKeyOf(certPem: string): KeyObject {
  let key = spKeys.get(certPem);
  if (!key) {
    if (spKeys.size >= MAX_SP_KEYS) spKeys.clear();
    key = new X509Certificate(certPem).publicKey;
    spKeys.set(certPem, key);
  }
  return key;
}

/** The (signed) assertion encrypted for the SP's certificate (the certificate named in KeyInfo). */
function encryptAssertion(assertion: string, spCertPem: string): XmlElementNode {
  const dataKey = randomBytes(32);
  const iv = randomBytes(GCM_IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', dataKey, iv);
  const data = Buffer.concat([iv, cipher.update(assertion, 'utf8'), cipher.final(), cipher.getAuthTag()]);
  const wrappedKey = publicEncrypt({ key: spKeyOf(spCertPem), padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha1' }, dataKey);
  const keyTransport = xenc('EncryptionMethod', { Algorithm: RSA_OAEP_MGF1P }, [element(DS, 'DigestMethod', { Algorithm: SHA1 })]);
  const encryptedKey = xenc('EncryptedKey', { Id: samlId() }, [
    keyTransport,
    ds('KeyInfo', [ds('X509Data', [ds('X509Certificate', [certificateBody(spCertPem)])])]),
    xenc('CipherData', {}, [xenc('CipherValue', {}, [wrappedKey.toString('base64')])]),
  ]);
  return saml('EncryptedAssertion', {}, [
    xenc('EncryptedData', { Id: samlId(), Type: `${NS.xenc}Element` }, [
      xenc('EncryptionMethod', { Algorithm: AES256_GCM }),
      ds('KeyInfo', [encryptedKey]),
      xenc('CipherData', {}, [xenc('CipherValue', {}, [data.toString('base64')])]),
    ]),
  ]);
}

/**
 * The Response XML (no XML declaration): its assertion signed, then, with `encryptTo`, encrypted,
 * then the Response signed (`signatures` may leave out one of the two). Written in exclusive
 * canonical form (canonical-xml.ts), so each signature hashes and signs what is written, once.
 */
export function buildResponse(input: ResponseInput): string {
  const signatures = input.signatures ?? 'both';
  const built = assertionElement(input, samlId());
  const signedAssertion = signatures === 'response' ? built : signElement(built, input.keys);
  const assertion = input.encryptTo === undefined ? signedAssertion : encryptAssertion(documentXml(signedAssertion), input.encryptTo);
  const inResponseTo = input.inResponseTo === null ? undefined : xmlValue(input.inResponseTo, 'request ID');
  const response = element(SAMLP, 'Response', { ID: samlId(), Version: '2.0', IssueInstant: instant(input.now), Destination: xmlValue(input.acsUrl, 'ACS URL'), InResponseTo: inResponseTo }, [
    saml('Issuer', {}, [xmlValue(input.issuer, 'IdP entityID')]),
    element(SAMLP, 'Status', {}, [element(SAMLP, 'StatusCode', { Value: STATUS_SUCCESS })]),
    assertion,
  ]);
  return documentXml(signatures === 'assertion' ? response : signElement(response, input.keys));
}
