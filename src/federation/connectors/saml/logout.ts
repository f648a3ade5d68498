/**
 * SAML Single Logout messages on the HTTP-Redirect binding (SAML bindings 3.4): the query
 * signature is checked (../../../saml/core/bindings.ts) before the message is inflated,
 * schema-validated and read.
 * What is read (issuer, destination, validity, NameID, SessionIndex, InResponseTo) comes from
 * that verified message only.
 */
import { createHash, type KeyObject } from 'node:crypto';
import type { XmlElement } from 'libxml2-wasm';
import { verifyRedirectQuery, type RedirectMessage } from '../../../saml/core/bindings.js';
import { SamlError } from '../../../saml/core/errors.js';
import { childrenNamed, libxml } from '../../../saml/core/libxml.js';
import { validateSamlXml } from '../../../saml/core/schema-validator.js';
import { NS } from '../../../saml/core/xmldsig.js';
import { FederationFailure, samlRefusal } from '../../core/failure.js';

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

/** The verified, inflated and schema-valid message; the kit's refusals become the SP's. */
function verifiedXml(rawQuery: string, keys: KeyObject[]): RedirectMessage {
  try {
    const message = verifyRedirectQuery(rawQuery, keys, 'logout message', 'IdP');
    validateSamlXml(message.xml);
    return message;
  } catch (err) {
    if (err instanceof SamlError) throw samlRefusal(err);
    throw new FederationFailure('schema', 'schema validation failed');
  }
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
