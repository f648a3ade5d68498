/**
 * Validation of a SAML Response received on our ACS. Everything read from the message comes
 * from DOM nodes whose signature was verified (xmldsig.ts), at fixed absolute positions; the
 * checks are those of the SAML Web Browser SSO profile: issuer, destination, recipient, audience,
 * validity window with bounded skew, bearer subject confirmation, InResponseTo.
 */
import type { KeyObject } from 'node:crypto';
// SamlLib is a getter on samlify's CommonJS exports, invisible to Node's ESM named-export detection.
import samlify from 'samlify';

const { SamlLib } = samlify;
import type { XmlDocument, XmlElement } from 'libxml2-wasm';
import { libxml } from './libxml.js';
import { FederationFailure } from '../core/failure.js';
import { SchemaInvalid, validateSamlXml, MAX_SAML_XML_BYTES } from './schema-validator.js';
import { NS, SignatureInvalid, verifyEnveloped } from './xmldsig.js';

export interface ResponseExpectations {
  idpEntityId: string;
  idpKeys: KeyObject[];
  spEntityId: string;
  acsUrl: string;
  skewSeconds: number;
  wantResponseSigned: boolean;
  wantAssertionSigned: boolean;
  wantEncrypted: boolean;
  /** PEM of our decryption key; null when no encryption key is configured. */
  decryptionKey: string | null;
  /** Algorithm URIs accepted in the EncryptedAssertion (data and key transport). */
  encryptionAlgorithms: readonly string[];
  now: Date;
}

export interface VerifiedAssertion {
  id: string;
  issuer: string;
  nameId: string | null;
  inResponseTo: string | null;
  /** The earliest end of validity: the replay cache keeps the id until then (plus skew). */
  validUntil: Date;
  sessionIndex: string | null;
  /** The AuthnStatement's AuthnContextClassRef, when there is one. */
  authnContextClassRef: string | null;
  attributes: Record<string, string[]>;
}

const BEARER = 'urn:oasis:names:tc:SAML:2.0:cm:bearer';
const SUCCESS = 'urn:oasis:names:tc:SAML:2.0:status:Success';
const SAFE_ID = /^[A-Za-z_][\w.-]{0,255}$/;

function kids(el: XmlElement, ns: string, local: string): XmlElement[] {
  const out: XmlElement[] = [];
  for (let n = el.firstChild; n; n = n.next) if (n instanceof libxml().XmlElement && n.namespaceUri === ns && n.name === local) out.push(n);
  return out;
}
function one(el: XmlElement, ns: string, local: string, reason: 'malformed' = 'malformed'): XmlElement {
  const found = kids(el, ns, local);
  if (found.length !== 1) throw new FederationFailure(reason, `expected one ${local}, found ${found.length}`);
  return found[0]!;
}
function optional(el: XmlElement, ns: string, local: string): XmlElement | null {
  const found = kids(el, ns, local);
  if (found.length > 1) throw new FederationFailure('malformed', `several ${local}`);
  return found[0] ?? null;
}
const attr = (el: XmlElement, name: string): string | null => el.attr(name)?.value ?? null;

function parse(xml: string): XmlDocument {
  try {
    validateSamlXml(xml);
  } catch (err) {
    throw new FederationFailure('schema', err instanceof SchemaInvalid ? err.message : 'schema validation failed');
  }
  return libxml().XmlDocument.fromString(xml);
}

function verify(doc: XmlDocument, el: XmlElement, keys: KeyObject[]): boolean {
  const id = attr(el, 'ID');
  if (!id || !SAFE_ID.test(id)) throw new FederationFailure('malformed', 'missing or odd ID');
  try {
    return verifyEnveloped(doc, el, keys);
  } catch (err) {
    if (err instanceof SignatureInvalid) throw new FederationFailure('signature', err.reason, 401);
    throw err;
  }
}

function time(value: string | null, what: string): Date | null {
  if (value === null) return null;
  const date = new Date(value);
  if (!/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/.test(value) || Number.isNaN(date.getTime())) throw new FederationFailure('malformed', `bad ${what}`);
  return date;
}

function checkWindow(notBefore: Date | null, notOnOrAfter: Date | null, e: ResponseExpectations, what: string): void {
  const skew = e.skewSeconds * 1000;
  if (notBefore && e.now.getTime() + skew < notBefore.getTime()) throw new FederationFailure('not_yet_valid', `${what} not yet valid`, 401);
  if (notOnOrAfter && e.now.getTime() - skew >= notOnOrAfter.getTime()) throw new FederationFailure('expired', `${what} expired at ${notOnOrAfter.toISOString()}`, 401);
}

/**
 * Every EncryptionMethod under the EncryptedAssertion (the data's, and the key transport's inside
 * KeyInfo or beside it) must be an accepted one, before anything is decrypted: 3DES and RSA 1.5
 * are what a downgrade would pick.
 */
function checkEncryptionAlgorithms(encrypted: XmlElement, accepted: readonly string[]): void {
  const methods = encrypted.find('.//xenc:EncryptionMethod', { xenc: NS.xenc });
  if (methods.length === 0) throw new FederationFailure('malformed', 'EncryptedAssertion without EncryptionMethod');
  for (const method of methods) {
    const algorithm = method instanceof libxml().XmlElement ? attr(method, 'Algorithm') : null;
    if (!algorithm || !accepted.includes(algorithm)) throw new FederationFailure('encryption_algorithm', `encryption algorithm ${algorithm ?? 'none'} not accepted`);
  }
}

async function decrypt(xml: string, key: string): Promise<string> {
  try {
    const [, assertion] = await SamlLib.decryptAssertion({ entitySetting: { encPrivateKey: key } } as never, xml);
    return assertion;
  } catch {
    throw new FederationFailure('decryption', 'the encrypted assertion could not be decrypted with our key', 400);
  }
}

/** Validates the base64 SAMLResponse; throws FederationFailure with the first reason found. */
export async function verifySamlResponse(encoded: string, e: ResponseExpectations): Promise<VerifiedAssertion> {
  if (encoded.length > (MAX_SAML_XML_BYTES * 4) / 3 + 4 || !/^[A-Za-z0-9+/=\s]+$/.test(encoded)) throw new FederationFailure('malformed', 'SAMLResponse is not base64');
  const xml = Buffer.from(encoded, 'base64').toString('utf8');
  const doc = parse(xml);
  try {
    const response = doc.root;
    if (response.namespaceUri !== NS.samlp || response.name !== 'Response') throw new FederationFailure('malformed', 'not a SAML Response');
    const responseSigned = verify(doc, response, e.idpKeys);
    if (e.wantResponseSigned && !responseSigned) throw new FederationFailure('response_unsigned', 'the Response is not signed', 401);

    const issuer = optional(response, NS.saml, 'Issuer');
    if (issuer && issuer.content.trim() !== e.idpEntityId) throw new FederationFailure('issuer', 'Response issuer is not the IdP', 401);
    const status = one(one(response, NS.samlp, 'Status'), NS.samlp, 'StatusCode');
    if (attr(status, 'Value') !== SUCCESS) throw new FederationFailure('status', `IdP status ${attr(status, 'Value') ?? 'none'}`, 401);
    const destination = attr(response, 'Destination');
    if (destination !== null ? destination !== e.acsUrl : responseSigned) throw new FederationFailure('destination', 'Response destination is not our ACS', 401);
    const responseIrt = attr(response, 'InResponseTo');

    const encrypted = kids(response, NS.saml, 'EncryptedAssertion');
    const clear = kids(response, NS.saml, 'Assertion');
    if (encrypted.length + clear.length !== 1) throw new FederationFailure('malformed', 'exactly one assertion expected');
    if (e.wantEncrypted && encrypted.length !== 1) throw new FederationFailure('not_encrypted', 'the assertion is not encrypted', 401);

    let assertionDoc = doc;
    let assertion: XmlElement;
    if (encrypted.length === 1) {
      if (!e.decryptionKey) throw new FederationFailure('decryption', 'no decryption key configured');
      checkEncryptionAlgorithms(encrypted[0]!, e.encryptionAlgorithms);
      // What is decrypted is the one EncryptedAssertion child of the Response verified above.
      const plain = await decrypt(xml, e.decryptionKey);
      assertionDoc = parse(plain);
      assertion = assertionDoc.root;
    } else {
      assertion = clear[0]!;
    }
    try {
      if (assertion.namespaceUri !== NS.saml || assertion.name !== 'Assertion') throw new FederationFailure('malformed', 'not an Assertion');
      const assertionSigned = verify(assertionDoc, assertion, e.idpKeys);
      if (e.wantAssertionSigned && !assertionSigned) throw new FederationFailure('assertion_unsigned', 'the Assertion is not signed', 401);
      if (!responseSigned && !assertionSigned) throw new FederationFailure('response_unsigned', 'nothing is signed', 401);
      return readAssertion(assertion, responseIrt, e);
    } finally {
      if (assertionDoc !== doc) assertionDoc.dispose();
    }
  } finally {
    doc.dispose();
  }
}

function readAssertion(assertion: XmlElement, responseIrt: string | null, e: ResponseExpectations): VerifiedAssertion {
  const id = attr(assertion, 'ID')!;
  const issuer = one(assertion, NS.saml, 'Issuer').content.trim();
  if (issuer !== e.idpEntityId) throw new FederationFailure('issuer', 'Assertion issuer is not the IdP', 401);

  const subject = one(assertion, NS.saml, 'Subject');
  const nameId = optional(subject, NS.saml, 'NameID')?.content.trim() ?? null;
  const bearer = kids(subject, NS.saml, 'SubjectConfirmation').filter((c) => attr(c, 'Method') === BEARER);
  if (bearer.length !== 1) throw new FederationFailure('malformed', 'one bearer SubjectConfirmation expected');
  const data = one(bearer[0]!, NS.saml, 'SubjectConfirmationData');
  if (attr(data, 'Recipient') !== e.acsUrl) throw new FederationFailure('recipient', 'SubjectConfirmation recipient is not our ACS', 401);
  const dataEnd = time(attr(data, 'NotOnOrAfter'), 'SubjectConfirmationData NotOnOrAfter');
  if (!dataEnd) throw new FederationFailure('malformed', 'SubjectConfirmationData without NotOnOrAfter');
  checkWindow(time(attr(data, 'NotBefore'), 'SubjectConfirmationData NotBefore'), dataEnd, e, 'subject confirmation');
  const dataIrt = attr(data, 'InResponseTo');
  if (dataIrt && responseIrt && dataIrt !== responseIrt) throw new FederationFailure('unknown_request', 'InResponseTo values differ');

  const conditions = one(assertion, NS.saml, 'Conditions');
  const condEnd = time(attr(conditions, 'NotOnOrAfter'), 'Conditions NotOnOrAfter');
  checkWindow(time(attr(conditions, 'NotBefore'), 'Conditions NotBefore'), condEnd, e, 'assertion');
  const restrictions = kids(conditions, NS.saml, 'AudienceRestriction');
  // Each AudienceRestriction must name us (SAML core 2.5.1.4: they are all required to hold).
  if (restrictions.length === 0 || !restrictions.every((r) => kids(r, NS.saml, 'Audience').some((a) => a.content.trim() === e.spEntityId))) {
    throw new FederationFailure('audience', 'the assertion is not addressed to us', 401);
  }

  const attributes: Record<string, string[]> = {};
  for (const statement of kids(assertion, NS.saml, 'AttributeStatement')) {
    for (const a of kids(statement, NS.saml, 'Attribute')) {
      const name = attr(a, 'Name');
      if (!name) continue;
      (attributes[name] ??= []).push(...kids(a, NS.saml, 'AttributeValue').map((v) => v.content.trim()));
    }
  }
  const authn = optional(assertion, NS.saml, 'AuthnStatement');
  const validUntil = new Date(Math.min(dataEnd.getTime(), condEnd?.getTime() ?? dataEnd.getTime()));
  const classRef = authn ? kids(authn, NS.saml, 'AuthnContext').flatMap((c) => kids(c, NS.saml, 'AuthnContextClassRef'))[0]?.content.trim() ?? null : null;
  return { id, issuer, nameId, inResponseTo: dataIrt ?? responseIrt, validUntil, sessionIndex: authn ? attr(authn, 'SessionIndex') : null, authnContextClassRef: classRef, attributes };
}
