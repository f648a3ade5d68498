/**
 * SAML Single Logout messages on the HTTP-Redirect binding (SAML bindings 3.4): the signature is
 * over the raw query string (`SAMLRequest=…&RelayState=…&SigAlg=…`, exactly as received), not
 * inside the XML, so it is checked here before the message is inflated, schema-validated and read.
 * What is read (issuer, destination, validity, NameID, SessionIndex, InResponseTo) comes from
 * that verified message only.
 */
import { createHash, verify as verifySignature, type KeyObject } from 'node:crypto';
import { inflateRawSync } from 'node:zlib';
import type { XmlElement } from 'libxml2-wasm';
import { FederationFailure } from '../core/failure.js';
import { childrenNamed, libxml } from '../../saml/core/libxml.js';
import { ForbiddenXml, MAX_SAML_XML_BYTES, SchemaInvalid, validateSamlXml } from '../../saml/core/schema-validator.js';
import { NS } from '../../saml/core/xmldsig.js';

const SIG_ALGS: Record<string, string> = {
  'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256': 'sha256',
  'http://www.w3.org/2001/04/xmldsig-more#rsa-sha512': 'sha512',
};
const SUCCESS = 'urn:oasis:names:tc:SAML:2.0:status:Success';
const SAFE_ID = /^[A-Za-z_][\w.-]{0,255}$/;

export interface LogoutExpectations {
  idpEntityId: string;
  idpKeys: KeyObject[];
  /** Our SLO endpoint: the Destination the message must name. */
  sloUrl: string;
  skewSeconds: number;
  /** How old an IssueInstant may be. */
  maxAgeSeconds: number;
  now: Date;
}

export interface VerifiedLogoutRequest {
  kind: 'request';
  id: string;
  nameId: string;
  sessionIndexes: string[];
  /** For the replay cache. */
  replayKey: string;
  relayState: string | null;
}

export interface VerifiedLogoutResponse {
  kind: 'response';
  inResponseTo: string;
  success: boolean;
  status: string;
  relayState: string | null;
}

/** The raw (still URL-encoded) values of a query string, as the signature covers them. */
function rawParams(rawQuery: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const part of rawQuery.split('&')) {
    const eq = part.indexOf('=');
    if (eq <= 0) continue;
    const name = part.slice(0, eq);
    if (out.has(name)) throw new FederationFailure('malformed', `parameter ${name} repeated`);
    out.set(name, part.slice(eq + 1));
  }
  return out;
}

const decode = (raw: string): string => decodeURIComponent(raw.replace(/\+/g, ' '));

/** Checks the query signature and returns the inflated XML with the message's kind. */
function verifiedXml(rawQuery: string, keys: KeyObject[]): { param: 'SAMLRequest' | 'SAMLResponse'; xml: string; relayState: string | null } {
  const params = rawParams(rawQuery);
  const param = params.has('SAMLRequest') ? 'SAMLRequest' : params.has('SAMLResponse') ? 'SAMLResponse' : null;
  if (!param || (params.has('SAMLRequest') && params.has('SAMLResponse'))) throw new FederationFailure('malformed', 'one SAMLRequest or SAMLResponse expected');
  const sigAlgRaw = params.get('SigAlg');
  const signatureRaw = params.get('Signature');
  if (!sigAlgRaw || !signatureRaw) throw new FederationFailure('response_unsigned', 'the logout message is not signed', 401);
  const hash = SIG_ALGS[decode(sigAlgRaw)];
  if (!hash) throw new FederationFailure('signature', 'signature algorithm not accepted (RSA-SHA256 or RSA-SHA512 only)', 401);
  const relayRaw = params.get('RelayState');
  const signed = `${param}=${params.get(param)!}${relayRaw !== undefined ? `&RelayState=${relayRaw}` : ''}&SigAlg=${sigAlgRaw}`;
  const signature = Buffer.from(decode(signatureRaw), 'base64');
  if (!keys.some((key) => verifySignature(hash, Buffer.from(signed, 'utf8'), key, signature))) throw new FederationFailure('signature', 'logout message signature does not verify with the IdP’s key', 401);
  let xml: string;
  try {
    xml = inflateRawSync(Buffer.from(decode(params.get(param)!), 'base64'), { maxOutputLength: MAX_SAML_XML_BYTES }).toString('utf8');
  } catch {
    throw new FederationFailure('malformed', 'the logout message cannot be inflated');
  }
  try {
    validateSamlXml(xml);
  } catch (err) {
    if (err instanceof ForbiddenXml) throw new FederationFailure('forbidden_xml', err.message);
    throw new FederationFailure('schema', err instanceof SchemaInvalid ? err.message : 'schema validation failed');
  }
  return { param, xml, relayState: relayRaw !== undefined ? decode(relayRaw) : null };
}

/** Never the firstChild / next walk: it stops at a processing instruction (libxml.ts). */
const child = childrenNamed;
const attr = (el: XmlElement, name: string): string | null => el.attr(name)?.value ?? null;

function instant(value: string | null, what: string): Date | null {
  if (value === null) return null;
  const date = new Date(value);
  if (!/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/.test(value) || Number.isNaN(date.getTime())) throw new FederationFailure('malformed', `bad ${what}`);
  return date;
}

/** Issuer, Destination and IssueInstant: common to both messages. */
function checkEnvelope(root: XmlElement, e: LogoutExpectations): void {
  const issuer = child(root, NS.saml, 'Issuer')[0]?.content.trim();
  if (issuer !== e.idpEntityId) throw new FederationFailure('issuer', 'the logout message does not come from the IdP', 401);
  // Signed messages must name their destination (SAML bindings 3.4.5.2).
  if (attr(root, 'Destination') !== e.sloUrl) throw new FederationFailure('destination', 'the logout message is not addressed to our SLO endpoint', 401);
  const issued = instant(attr(root, 'IssueInstant'), 'IssueInstant');
  const skew = e.skewSeconds * 1000;
  if (!issued || issued.getTime() > e.now.getTime() + skew) throw new FederationFailure('not_yet_valid', 'IssueInstant in the future', 401);
  if (issued.getTime() < e.now.getTime() - skew - e.maxAgeSeconds * 1000) throw new FederationFailure('expired', 'the logout message is too old', 401);
}

export function verifyLogoutMessage(rawQuery: string, e: LogoutExpectations): VerifiedLogoutRequest | VerifiedLogoutResponse {
  const { param, xml, relayState } = verifiedXml(rawQuery, e.idpKeys);
  const doc = libxml().XmlDocument.fromString(xml);
  try {
    const root = doc.root;
    const id = attr(root, 'ID');
    if (!id || !SAFE_ID.test(id)) throw new FederationFailure('malformed', 'missing or odd ID');
    if (param === 'SAMLRequest') {
      if (root.namespaceUri !== NS.samlp || root.name !== 'LogoutRequest') throw new FederationFailure('malformed', 'not a LogoutRequest');
      checkEnvelope(root, e);
      const notOnOrAfter = instant(attr(root, 'NotOnOrAfter'), 'NotOnOrAfter');
      if (notOnOrAfter && e.now.getTime() - e.skewSeconds * 1000 >= notOnOrAfter.getTime()) throw new FederationFailure('expired', 'the LogoutRequest has expired', 401);
      const nameIds = child(root, NS.saml, 'NameID');
      if (nameIds.length !== 1) throw new FederationFailure('no_identifier', 'one clear NameID expected (encrypted ones are not supported)');
      return {
        kind: 'request', id, relayState,
        nameId: nameIds[0]!.content.trim(),
        sessionIndexes: child(root, NS.samlp, 'SessionIndex').map((s) => s.content.trim()),
        replayKey: createHash('sha256').update(`${e.idpEntityId}\n${id}`).digest('hex'),
      };
    }
    if (root.namespaceUri !== NS.samlp || root.name !== 'LogoutResponse') throw new FederationFailure('malformed', 'not a LogoutResponse');
    checkEnvelope(root, e);
    const inResponseTo = attr(root, 'InResponseTo');
    if (!inResponseTo) throw new FederationFailure('unsolicited', 'a LogoutResponse without InResponseTo', 401);
    const status = child(child(root, NS.samlp, 'Status')[0]!, NS.samlp, 'StatusCode')[0];
    const value = status ? attr(status, 'Value') ?? '' : '';
    return { kind: 'response', inResponseTo, success: value === SUCCESS, status: value, relayState };
  } finally {
    doc.dispose();
  }
}
