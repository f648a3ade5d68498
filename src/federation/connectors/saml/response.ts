/**
 * Validation of a SAML Response received on our ACS. Each parsed document (the Response, the
 * decrypted Assertion) is read once into plain objects (xml-tree.ts), a copy of the very DOM
 * whose signatures are verified (xmldsig.ts: the removed Signature leaves both); everything is
 * read from the elements that were verified, at fixed absolute positions. The
 * checks are those of the SAML Web Browser SSO profile: issuer, destination, recipient, audience,
 * validity window with bounded skew, bearer subject confirmation, InResponseTo.
 * Before anything is read, the whole tree is checked for what a SAML Response never holds: a
 * DTD or processing instruction, a repeated ID (across the envelope and the decrypted assertion),
 * a Response, Assertion, Issuer or Signature elsewhere than where it is read, an XML-Encryption
 * element outside the one EncryptedAssertion structure decrypt.ts decrypts.
 */
import type { KeyObject } from 'node:crypto';
import type { XmlDocument } from 'libxml2-wasm';
import { decodePostBytes } from '../../../saml/core/bindings.js';
import { decryptPlanned, encryptionPlan, isXencElement } from '../../../saml/core/decrypt.js';
import { SamlError } from '../../../saml/core/errors.js';
import { parseSamlXml } from '../../../saml/core/schema-validator.js';
import { attribute, childrenNamed, readDocument, type TreeElement, type XmlTree } from '../../../saml/core/xml-tree.js';
import { NS, verifyEnvelopedElement } from '../../../saml/core/xmldsig.js';
import { FederationFailure, samlRefusal } from '../../core/failure.js';

/**
 * The longest an assertion may be valid, from its IssueInstant to its NotOnOrAfter (Conditions and
 * bearer confirmation): the replay cache keeps its id that long, so it must be bounded.
 */
export const MAX_ASSERTION_LIFETIME_SECONDS = 600;
/** The oldest a Response or Assertion IssueInstant may be (plus the skew): the POST follows at once. */
export const MAX_MESSAGE_AGE_SECONDS = 300;

export interface ResponseExpectations {
  idpEntityId: string;
  idpKeys: KeyObject[];
  spEntityId: string;
  acsUrl: string;
  skewSeconds: number;
  wantResponseSigned: boolean;
  wantAssertionSigned: boolean;
  wantEncrypted: boolean;
  /** Our decryption key; null when no encryption key is configured. */
  decryptionKey: KeyObject | null;
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
const ENTITY = 'urn:oasis:names:tc:SAML:2.0:nameid-format:entity';
const SUCCESS = 'urn:oasis:names:tc:SAML:2.0:status:Success';
const SAFE_ID = /^[A-Za-z_][\w.-]{0,255}$/;

const kids = childrenNamed;
function one(el: TreeElement, ns: string, local: string, reason: 'malformed' = 'malformed'): TreeElement {
  const found = kids(el, ns, local);
  if (found.length !== 1) throw new FederationFailure(reason, `expected one ${local}, found ${found.length}`);
  return found[0]!;
}
function optional(el: TreeElement, ns: string, local: string): TreeElement | null {
  const found = kids(el, ns, local);
  if (found.length > 1) throw new FederationFailure('malformed', `several ${local}`);
  return found[0] ?? null;
}
const attr = attribute;

/** The validated document (schema.ts parses it once; the caller disposes it). */
function parse(xml: string | Buffer): XmlDocument {
  try {
    return parseSamlXml(xml);
  } catch (err) {
    if (err instanceof SamlError) throw err;
    throw new FederationFailure('schema', 'schema validation failed');
  }
}

interface Ids {
  /** Every ID-like attribute value (SAML ID, XML-DSig / XML-Enc Id, xml:id): unique in its document. */
  all: Set<string>;
  /** The SAML IDs (what signatures reference): unique across the envelope and the decrypted assertion. */
  saml: Set<string>;
}

const ID_NAMES = new Set(['ID', 'Id', 'id']);

function collectIds(tree: XmlTree): Ids {
  const ids: Ids = { all: new Set(), saml: new Set() };
  for (const el of tree.elements) {
    for (const { name, value } of el.attributes) {
      if (!ID_NAMES.has(name)) continue;
      if (ids.all.has(value)) throw new FederationFailure('duplicate_id', 'an ID is used twice in the message');
      ids.all.add(value);
      if (name === 'ID') ids.saml.add(value);
    }
  }
  return ids;
}

/**
 * The decrypted assertion is a document of its own, so a signature check there cannot see the
 * envelope: no SAML ID of one may be an ID of the other. (Signature Ids may repeat across the
 * two: pysaml2 names both signatures "Signature1".)
 */
function checkIdsAcross(envelope: Ids, assertion: Ids): void {
  for (const id of envelope.saml) if (assertion.all.has(id)) throw new FederationFailure('duplicate_id', 'an ID of the envelope is used again in the decrypted assertion');
  for (const id of assertion.saml) if (envelope.all.has(id)) throw new FederationFailure('duplicate_id', 'an ID of the decrypted assertion is used again in the envelope');
}

/**
 * The elements the checks read, in any namespace, occur only where they are read: a copy hidden
 * in an extension point (Extensions, Advice, AttributeValue, KeyInfo, ds:Object) is refused.
 * One pass over the elements counts them all, XML-Enc elements included.
 */
function expectOnly(tree: XmlTree, expected: Record<string, number>, xencElements: number): void {
  const counts = new Map(Object.keys(expected).map((local) => [local, 0]));
  let xenc = 0;
  for (const el of tree.elements) {
    const count = counts.get(el.name);
    if (count !== undefined) counts.set(el.name, count + 1);
    if (isXencElement(el)) xenc++;
  }
  for (const [local, count] of counts) {
    if (count !== expected[local]) throw new FederationFailure('malformed', `unexpected ${local} element`);
  }
  if (xenc !== xencElements) throw new FederationFailure('encryption_structure', 'XML-Encryption element outside the EncryptedAssertion structure');
}

/** The Signatures (and Issuers) where they are read: direct children of the Response or Assertion. */
function signatureCount(...elements: TreeElement[]): number {
  return elements.reduce((n, el) => n + kids(el, NS.ds, 'Signature').length, 0);
}
function issuerCount(...elements: TreeElement[]): number {
  return elements.reduce((n, el) => n + kids(el, NS.saml, 'Issuer').length, 0);
}

/** SAML core 2.2.5: an Issuer names an entity; it must be the IdP. */
function checkIssuer(issuer: TreeElement | null, e: ResponseExpectations, what: string): void {
  if (!issuer) throw new FederationFailure('issuer', `${what} without Issuer`, 401);
  const format = attr(issuer, 'Format');
  if ((format !== null && format !== ENTITY) || issuer.text.trim() !== e.idpEntityId) throw new FederationFailure('issuer', `${what} issuer is not the IdP`, 401);
}

/** Issued neither in the future nor too long ago (both beyond the skew). */
function checkIssueInstant(el: TreeElement, e: ResponseExpectations, what: string): Date {
  const issued = time(attr(el, 'IssueInstant'), `${what} IssueInstant`);
  const skew = e.skewSeconds * 1000;
  if (!issued) throw new FederationFailure('malformed', `${what} without IssueInstant`);
  if (issued.getTime() > e.now.getTime() + skew) throw new FederationFailure('issue_instant', `${what} issued in the future`, 401);
  if (issued.getTime() < e.now.getTime() - skew - MAX_MESSAGE_AGE_SECONDS * 1000) throw new FederationFailure('issue_instant', `${what} issued too long ago`, 401);
  return issued;
}

/** A NotOnOrAfter no later than the assertion's IssueInstant plus the maximum lifetime. */
function checkLifetime(end: Date | null, issued: Date, what: string): void {
  if (end && end.getTime() - issued.getTime() > MAX_ASSERTION_LIFETIME_SECONDS * 1000) {
    throw new FederationFailure('lifetime', `${what} NotOnOrAfter is more than ${MAX_ASSERTION_LIFETIME_SECONDS} s after IssueInstant`, 401);
  }
}

function verify(doc: XmlDocument, tree: XmlTree, el: TreeElement, keys: KeyObject[]): boolean {
  const id = attr(el, 'ID');
  if (!id || !SAFE_ID.test(id)) throw new FederationFailure('malformed', 'missing or odd ID');
  return verifyEnvelopedElement(doc, tree, el, keys);
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


/** Validates the base64 SAMLResponse; throws FederationFailure with the first reason found. */
export async function verifySamlResponse(encoded: string, e: ResponseExpectations): Promise<VerifiedAssertion> {
  try {
    return verifyResponse(decodePostBytes(encoded, 'SAMLResponse'), e);
  } catch (err) {
    // The SAML kit's refusals (bindings, schema, signatures, decryption) become the SP's, at this door.
    throw err instanceof SamlError ? samlRefusal(err) : err;
  }
}

function verifyResponse(xml: Buffer, e: ResponseExpectations): VerifiedAssertion {
  const doc = parse(xml);
  try {
    // Read once: every check below reads these plain objects, never the DOM again.
    const tree = readDocument(doc);
    const response = tree.root;
    if (response.ns !== NS.samlp || response.name !== 'Response') throw new FederationFailure('malformed', 'not a SAML Response');
    const ids = collectIds(tree);
    const encrypted = kids(response, NS.saml, 'EncryptedAssertion');
    const clear = kids(response, NS.saml, 'Assertion');
    if (encrypted.length + clear.length !== 1) throw new FederationFailure('malformed', 'exactly one assertion expected');
    if (e.wantEncrypted && encrypted.length !== 1) throw new FederationFailure('not_encrypted', 'the assertion is not encrypted', 401);
    const structure = { Response: 1, Assertion: clear.length, EncryptedAssertion: encrypted.length, Issuer: issuerCount(response, ...clear), Signature: signatureCount(response, ...clear) };
    if (encrypted.length === 1 && !e.decryptionKey) throw new FederationFailure('decryption', 'no decryption key configured');
    // Read now: what is decrypted below is exactly this checked structure.
    const plan = encrypted.length === 1 ? encryptionPlan(encrypted[0]!) : null;
    expectOnly(tree, structure, plan?.xencElements ?? 0);

    const responseSigned = verify(doc, tree, response, e.idpKeys);
    if (e.wantResponseSigned && !responseSigned) throw new FederationFailure('response_unsigned', 'the Response is not signed', 401);
    checkIssuer(kids(response, NS.saml, 'Issuer')[0] ?? null, e, 'Response');
    const status = one(one(response, NS.samlp, 'Status'), NS.samlp, 'StatusCode');
    if (attr(status, 'Value') !== SUCCESS) throw new FederationFailure('status', `IdP status ${attr(status, 'Value') ?? 'none'}`, 401);
    const destination = attr(response, 'Destination');
    if (destination !== null ? destination !== e.acsUrl : responseSigned) throw new FederationFailure('destination', 'Response destination is not our ACS', 401);
    checkIssueInstant(response, e, 'Response');
    const responseIrt = attr(response, 'InResponseTo');

    if (!plan) return checkAssertion(doc, tree, clear[0]!, { responseSigned, responseIrt }, e);
    // What is decrypted is the one EncryptedAssertion child of the Response verified above.
    const assertionDoc = parse(decryptPlanned(plan, e.decryptionKey!, e.encryptionAlgorithms));
    try {
      const assertionTree = readDocument(assertionDoc);
      const assertion = assertionTree.root;
      if (assertion.ns !== NS.saml || assertion.name !== 'Assertion') throw new FederationFailure('malformed', 'not an Assertion');
      // The decrypted assertion is a document of its own: its IDs must not repeat the envelope's.
      checkIdsAcross(ids, collectIds(assertionTree));
      expectOnly(assertionTree, { Response: 0, Assertion: 1, EncryptedAssertion: 0, Issuer: issuerCount(assertion), Signature: signatureCount(assertion) }, 0);
      return checkAssertion(assertionDoc, assertionTree, assertion, { responseSigned, responseIrt }, e);
    } finally {
      assertionDoc.dispose();
    }
  } finally {
    doc.dispose();
  }
}

/** The assertion's signature (then its content): `doc` and `tree` are the document that holds it. */
function checkAssertion(doc: XmlDocument, tree: XmlTree, assertion: TreeElement, envelope: { responseSigned: boolean; responseIrt: string | null }, e: ResponseExpectations): VerifiedAssertion {
  const assertionSigned = verify(doc, tree, assertion, e.idpKeys);
  if (e.wantAssertionSigned && !assertionSigned) throw new FederationFailure('assertion_unsigned', 'the Assertion is not signed', 401);
  if (!envelope.responseSigned && !assertionSigned) throw new FederationFailure('response_unsigned', 'nothing is signed', 401);
  return readAssertion(assertion, envelope.responseIrt, e);
}

/** The one bearer confirmation (SAML profiles 4.1.4.2): for our ACS, answering our request, bounded in time. */
function readBearer(subject: TreeElement, responseIrt: string | null, issued: Date, e: ResponseExpectations): { end: Date; inResponseTo: string } {
  const bearer = kids(subject, NS.saml, 'SubjectConfirmation').filter((c) => attr(c, 'Method') === BEARER);
  if (bearer.length !== 1) throw new FederationFailure('malformed', 'one bearer SubjectConfirmation expected');
  const data = one(bearer[0]!, NS.saml, 'SubjectConfirmationData');
  if (attr(data, 'Recipient') !== e.acsUrl) throw new FederationFailure('recipient', 'SubjectConfirmation recipient is not our ACS', 401);
  if (attr(data, 'NotBefore') !== null) throw new FederationFailure('malformed', 'a bearer SubjectConfirmationData must not carry NotBefore');
  const end = time(attr(data, 'NotOnOrAfter'), 'SubjectConfirmationData NotOnOrAfter');
  if (!end) throw new FederationFailure('malformed', 'SubjectConfirmationData without NotOnOrAfter');
  checkLifetime(end, issued, 'SubjectConfirmationData');
  checkWindow(null, end, e, 'subject confirmation');
  const inResponseTo = attr(data, 'InResponseTo');
  // Neither says which request is answered: IdP-initiated, refused as such by the connector.
  if (!inResponseTo && responseIrt === null) throw new FederationFailure('unsolicited', 'IdP-initiated (unsolicited) responses are not accepted', 401);
  if (!inResponseTo) throw new FederationFailure('in_response_to', 'the bearer SubjectConfirmationData carries no InResponseTo', 401);
  if (responseIrt !== null && responseIrt !== inResponseTo) throw new FederationFailure('in_response_to', 'InResponseTo values differ', 401);
  return { end, inResponseTo };
}

function readAssertion(assertion: TreeElement, responseIrt: string | null, e: ResponseExpectations): VerifiedAssertion {
  const id = attr(assertion, 'ID')!;
  checkIssuer(kids(assertion, NS.saml, 'Issuer')[0] ?? null, e, 'Assertion');
  const issuer = e.idpEntityId;
  const issued = checkIssueInstant(assertion, e, 'Assertion');

  const subject = one(assertion, NS.saml, 'Subject');
  const nameId = optional(subject, NS.saml, 'NameID')?.text.trim() ?? null;
  const bearer = readBearer(subject, responseIrt, issued, e);

  const conditions = one(assertion, NS.saml, 'Conditions');
  const condEnd = time(attr(conditions, 'NotOnOrAfter'), 'Conditions NotOnOrAfter');
  checkLifetime(condEnd, issued, 'Conditions');
  checkWindow(time(attr(conditions, 'NotBefore'), 'Conditions NotBefore'), condEnd, e, 'assertion');
  const restrictions = kids(conditions, NS.saml, 'AudienceRestriction');
  // Each AudienceRestriction must name us (SAML core 2.5.1.4: they are all required to hold).
  if (restrictions.length === 0 || !restrictions.every((r) => kids(r, NS.saml, 'Audience').some((a) => a.text.trim() === e.spEntityId))) {
    throw new FederationFailure('audience', 'the assertion is not addressed to us', 401);
  }

  const attributes: Record<string, string[]> = {};
  for (const statement of kids(assertion, NS.saml, 'AttributeStatement')) {
    for (const a of kids(statement, NS.saml, 'Attribute')) {
      const name = attr(a, 'Name');
      if (!name) continue;
      (attributes[name] ??= []).push(...kids(a, NS.saml, 'AttributeValue').map((v) => v.text.trim()));
    }
  }
  // SAML profiles 4.1.4.2: the assertion says how the user authenticated.
  const authn = kids(assertion, NS.saml, 'AuthnStatement');
  if (authn.length !== 1) throw new FederationFailure('authn_statement', `one AuthnStatement expected, found ${authn.length}`, 401);
  const validUntil = new Date(Math.min(bearer.end.getTime(), condEnd?.getTime() ?? bearer.end.getTime()));
  const classRef = kids(authn[0]!, NS.saml, 'AuthnContext').flatMap((c) => kids(c, NS.saml, 'AuthnContextClassRef'))[0]?.text.trim() ?? null;
  return { id, issuer, nameId, inResponseTo: bearer.inResponseTo, validUntil, sessionIndex: attr(authn[0]!, 'SessionIndex'), authnContextClassRef: classRef, attributes };
}
