/**
 * The SAML messages SPs send to the hub's IdP (AuthnRequest at the SSO endpoint, LogoutRequest
 * and LogoutResponse at the SLO endpoint), on HTTP-Redirect or HTTP-POST, checked before the SSO
 * and SLO slices read anything of them. The rules are the SP side's (the SAML kit does the
 * bounded parsing, schema, DTD and processing-instruction refusals, and signatures):
 * - the sender is found from the message's one Issuer, a registered, enabled SP whose metadata is
 *   still valid; its keys come from that metadata only;
 * - a present signature is always verified (the query's on Redirect, the root element's enveloped
 *   one on POST); an AuthnRequest must be signed when the SP's metadata says
 *   `AuthnRequestsSigned`; logout messages must always be (SAML profiles 4.4.3.1, 4.4.4.1);
 * - Issuer and Signature occur only where they are read (no copy hidden in Extensions), an ID
 *   occurs once, a value read is one text node (no comment splitting it);
 * - Destination is this endpoint, IssueInstant within the skew and not older than
 *   MAX_REQUEST_AGE_SECONDS, and the message ID is remembered until it could no longer be
 *   accepted (replay refused).
 * What the caller gets back was read from the verified DOM only.
 */
import { createHash, type KeyObject } from 'node:crypto';
import type { XmlDocument, XmlElement } from 'libxml2-wasm';
import { ACR_ONE_FACTOR, ACR_TWO_FACTORS } from '../../identity/acr.js';
import { HubError } from '../../shared/errors.js';
import type { EphemeralStore } from '../../storage/ports/ephemeral.js';
import type { ServiceProvider, SpAcsEndpoint, SpEndpoint } from '../../storage/ports/index.js';
import { checkRedirectSignature, decodePostMessage, readRedirectQuery, type RedirectParam, type RedirectQuery } from '../core/bindings.js';
import { publicKeysOf } from '../core/keys.js';
import { childElements, childrenNamed, libxml } from '../core/libxml.js';
import { validateSamlXml } from '../core/schema-validator.js';
import { NS, verifyEnveloped } from '../core/xmldsig.js';
import { BINDINGS } from './sp-metadata.js';

/** How old an inbound message may be (beyond the skew): the browser brings it at once. */
export const MAX_REQUEST_AGE_SECONDS = 300;
/** The longest RelayState accepted (SAML bindings 3.4.3 and 3.5.3: 80 bytes SHOULD; the GAR's carry a URL). */
export const MAX_RELAY_STATE_LENGTH = 1024;

export type IdpRefusalReason =
  | 'malformed' | 'duplicate_id' | 'unknown_sp' | 'sp_disabled' | 'sp_metadata_expired' | 'unsigned'
  | 'destination' | 'issue_instant' | 'replay' | 'acs' | 'slo_endpoint' | 'nameid_policy' | 'authn_context';

/**
 * An inbound message the IdP will not act on, besides the SAML kit's own refusals (SamlError:
 * malformed, unsigned, signature, schema, forbidden_xml). `reason` is the machine code; the
 * message says what was wrong without quoting the message's values.
 */
export class IdpRequestRefused extends HubError {
  constructor(readonly reason: IdpRefusalReason, message: string, status = 400) {
    super(`saml_idp_${reason}`, message, { status, expose: false });
  }
}

/** How a message reached the endpoint: the raw query string (Redirect) or the form fields (POST). */
export type InboundMessage =
  | { binding: 'redirect'; rawQuery: string }
  | { binding: 'post'; body: { SAMLRequest?: string; SAMLResponse?: string; RelayState?: string } };

export interface InboundContext {
  /** The IdP endpoint the message was received at: its Destination must be this URL. */
  endpointUrl: string;
  /** The SP registry (`PlatformStore.serviceProviders.find`). */
  findSp: (entityId: string) => Promise<ServiceProvider | null>;
  /** Remembers message IDs until they expire. */
  replay: EphemeralStore;
  now: Date;
  skewSeconds: number;
}

export interface RequestedAcr {
  /** `exact`: the sign-in must reach one of `acrs`; `minimum`: at least the lowest of them. */
  comparison: 'exact' | 'minimum';
  /** Hub acr values (identity/acr.ts), lowest first. */
  acrs: string[];
}

export interface VerifiedAuthnRequest {
  id: string;
  sp: ServiceProvider;
  /** The SP's endpoint from its metadata (HTTP-POST), never a URL taken from the request. */
  acs: SpAcsEndpoint;
  forceAuthn: boolean;
  isPassive: boolean;
  /** The NameIDPolicy's Format (persistent or transient); null when none or unspecified. */
  nameIdFormat: string | null;
  requestedAcr: RequestedAcr | null;
  relayState: string | null;
}

export interface VerifiedLogoutRequest {
  id: string;
  sp: ServiceProvider;
  /** Where the LogoutResponse goes: the SP's SLO endpoint of the binding the request came on, else its first. */
  slo: SpEndpoint;
  nameId: string;
  sessionIndexes: string[];
  relayState: string | null;
}

export interface VerifiedLogoutResponse {
  id: string;
  sp: ServiceProvider;
  inResponseTo: string;
  /** The top-level StatusCode. */
  status: string;
  success: boolean;
  relayState: string | null;
}

const PERSISTENT = 'urn:oasis:names:tc:SAML:2.0:nameid-format:persistent';
const TRANSIENT = 'urn:oasis:names:tc:SAML:2.0:nameid-format:transient';
const UNSPECIFIED = 'urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified';
const ENTITY = 'urn:oasis:names:tc:SAML:2.0:nameid-format:entity';
const SUCCESS = 'urn:oasis:names:tc:SAML:2.0:status:Success';
const SAFE_ID = /^[A-Za-z_][\w.-]{0,255}$/;
const INSTANT = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/;

/**
 * The SAML authentication context classes the hub understands, as hub acr levels. The hub's own
 * acr URIs are accepted as classes too. A class not listed is ignored when the request names a
 * known one beside it, and refused (`authn_context`, NoAuthnContext for the SSO slice) when it
 * names none: an SP asking for what the hub cannot tell must not get a weaker sign-in silently.
 */
export const AUTHN_CONTEXT_CLASSES: Readonly<Record<string, string>> = {
  'urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport': ACR_ONE_FACTOR,
  'urn:oasis:names:tc:SAML:2.0:ac:classes:Password': ACR_ONE_FACTOR,
  [ACR_ONE_FACTOR]: ACR_ONE_FACTOR,
  [ACR_TWO_FACTORS]: ACR_TWO_FACTORS,
};
const ACR_ORDER = [ACR_ONE_FACTOR, ACR_TWO_FACTORS];

const kids = childrenNamed;
const attr = (el: XmlElement, name: string): string | null => el.attr(name)?.value ?? null;

interface Envelope {
  doc: XmlDocument;
  root: XmlElement;
  param: RedirectParam;
  relayState: string | null;
  /** The Redirect binding's query, whose signature is checked once the sender is known; null on POST. */
  query: RedirectQuery | null;
}

/** The message's XML, parameter and RelayState as each binding carries them; nothing verified yet. */
function receive(message: InboundMessage, what: string, alwaysSigned: boolean): Omit<Envelope, 'doc' | 'root'> & { xml: string } {
  if (message.binding === 'redirect') {
    const query = readRedirectQuery(message.rawQuery, what, alwaysSigned);
    return { param: query.param, xml: query.xml, relayState: query.relayState, query };
  }
  const { SAMLRequest, SAMLResponse, RelayState } = message.body;
  if ((SAMLRequest === undefined) === (SAMLResponse === undefined)) throw new IdpRequestRefused('malformed', 'one SAMLRequest or SAMLResponse expected');
  const param = SAMLRequest !== undefined ? 'SAMLRequest' : 'SAMLResponse';
  return { param, xml: decodePostMessage((SAMLRequest ?? SAMLResponse)!, param), relayState: RelayState ?? null, query: null };
}

/** The message as received, parsed and schema-valid; nothing of it is trusted yet. */
function open(message: InboundMessage, what: string, alwaysSigned: boolean): Envelope {
  const { xml, ...received } = receive(message, what, alwaysSigned);
  if (received.relayState !== null && received.relayState.length > MAX_RELAY_STATE_LENGTH) throw new IdpRequestRefused('malformed', 'RelayState too long');
  validateSamlXml(xml);
  const doc = libxml().XmlDocument.fromString(xml);
  return { doc, root: doc.root, ...received };
}

/** Checks the message's signature (the query's, or the root's enveloped one) with the SP's keys; false when it carries none. */
function verifySignature(env: Envelope, keys: KeyObject[], what: string): boolean {
  if (!env.query) return verifyEnveloped(env.doc, env.root, keys);
  if (!env.query.signature) return false;
  checkRedirectSignature(env.query, keys, what, 'SP');
  return true;
}

/** One text node, nothing else: a comment inside a value (`https://sp<!---->.example`) is refused. */
function textOf(el: XmlElement, what: string): string {
  const { XmlText } = libxml();
  const nodes = el.find('node()');
  if (nodes.length !== 1 || !(nodes[0] instanceof XmlText)) throw new IdpRequestRefused('malformed', `${what} must be plain text`);
  return el.content.trim();
}

/** Every ID-like attribute once in the document; Issuer and Signature only where they are read. */
function checkStructure(env: Envelope, rootName: string): void {
  const { doc, root } = env;
  if (root.namespaceUri !== NS.samlp || root.name !== rootName) throw new IdpRequestRefused('malformed', `not a ${rootName}`);
  const seen = new Set<string>();
  for (const node of doc.find("//@*[local-name()='ID' or local-name()='Id' or local-name()='id']")) {
    const { value } = node as unknown as { value: string };
    if (seen.has(value)) throw new IdpRequestRefused('duplicate_id', 'an ID is used twice in the message');
    seen.add(value);
  }
  const count = (local: string) => doc.find(`//*[local-name()='${local}']`).length;
  if (count(rootName) !== 1) throw new IdpRequestRefused('malformed', `another ${rootName} inside the message`);
  if (count('Issuer') !== 1 || kids(root, NS.saml, 'Issuer').length !== 1) throw new IdpRequestRefused('malformed', 'one Issuer expected, as a child of the message');
  if (count('Signature') !== kids(root, NS.ds, 'Signature').length) throw new IdpRequestRefused('malformed', 'a Signature elsewhere than on the message itself');
  const id = attr(root, 'ID');
  if (!id || !SAFE_ID.test(id)) throw new IdpRequestRefused('malformed', 'missing or odd ID');
}

/** The registered, enabled SP that the Issuer names, and its signing keys. */
async function senderOf(env: Envelope, ctx: InboundContext): Promise<ServiceProvider> {
  const issuer = kids(env.root, NS.saml, 'Issuer')[0]!;
  const format = attr(issuer, 'Format');
  if (format !== null && format !== ENTITY) throw new IdpRequestRefused('malformed', 'the Issuer is not an entity name');
  const sp = await ctx.findSp(textOf(issuer, 'Issuer'));
  if (!sp) throw new IdpRequestRefused('unknown_sp', 'the message comes from an SP the hub does not know', 403);
  if (!sp.enabled) throw new IdpRequestRefused('sp_disabled', 'the SP is disabled', 403);
  if (sp.validUntil && sp.validUntil.getTime() <= ctx.now.getTime()) throw new IdpRequestRefused('sp_metadata_expired', 'the SP’s metadata has expired', 403);
  return sp;
}

function instantOf(root: XmlElement, name: string): Date | null {
  const value = attr(root, name);
  if (value === null) return null;
  const date = new Date(value);
  if (!INSTANT.test(value) || Number.isNaN(date.getTime())) throw new IdpRequestRefused('malformed', `bad ${name}`);
  return date;
}

/**
 * Destination, IssueInstant and the replay cache, once the signature holds. The ID is kept until
 * the message could no longer be accepted: IssueInstant + the maximum age + the skew.
 */
async function checkFreshness(env: Envelope, sp: ServiceProvider, ctx: InboundContext): Promise<string> {
  const { root } = env;
  if (attr(root, 'Destination') !== ctx.endpointUrl) throw new IdpRequestRefused('destination', 'the message is not addressed to this endpoint', 403);
  const issued = instantOf(root, 'IssueInstant')!;
  const skew = ctx.skewSeconds * 1000;
  if (issued.getTime() > ctx.now.getTime() + skew) throw new IdpRequestRefused('issue_instant', 'the message is issued in the future', 403);
  const acceptedUntil = issued.getTime() + MAX_REQUEST_AGE_SECONDS * 1000 + skew;
  if (acceptedUntil < ctx.now.getTime()) throw new IdpRequestRefused('issue_instant', 'the message was issued too long ago', 403);
  const id = attr(root, 'ID')!;
  const key = `saml-idp:inbound:${createHash('sha256').update(`${sp.entityId}\n${id}`).digest('hex')}`;
  const ttl = Math.max(1, Math.ceil((acceptedUntil - ctx.now.getTime()) / 1000));
  if (!(await ctx.replay.claimOnce(key, ttl))) throw new IdpRequestRefused('replay', 'this message was already received', 403);
  return id;
}

/**
 * Everything common to the three messages: structure, sender, signature, freshness. `mustBeSigned`
 * is true (logout messages) or asks the SP's metadata (AuthnRequest).
 */
async function verifyEnvelope(message: InboundMessage, ctx: InboundContext, rootName: string, param: RedirectParam, mustBeSigned: true | ((sp: ServiceProvider) => boolean)): Promise<{ env: Envelope; sp: ServiceProvider; id: string }> {
  const env = open(message, rootName, mustBeSigned === true);
  try {
    if (env.param !== param) throw new IdpRequestRefused('malformed', `a ${rootName} is sent as ${param}`);
    // SAML bindings 3.4.4.1: on HTTP-Redirect the query is signed, never the XML.
    if (message.binding === 'redirect' && kids(env.root, NS.ds, 'Signature').length > 0) throw new IdpRequestRefused('malformed', 'an XML signature on the HTTP-Redirect binding');
    checkStructure(env, rootName);
    const sp = await senderOf(env, ctx);
    const signed = verifySignature(env, publicKeysOf(sp.metadata.signingCertificates), rootName);
    if (!signed && (mustBeSigned === true || mustBeSigned(sp))) throw new IdpRequestRefused('unsigned', `the ${rootName} is not signed`, 403);
    const id = await checkFreshness(env, sp, ctx);
    return { env, sp, id };
  } catch (err) {
    env.doc.dispose();
    throw err;
  }
}

/** The ACS from the SP's metadata that the request names (URL or index), else its default. */
/** The SP's HTTP-POST ACS used when nothing names one: its default, else its first (SAML metadata 2.2.3). */
export function defaultPostAcs(sp: ServiceProvider): SpAcsEndpoint | undefined {
  const posts = sp.metadata.assertionConsumerServices.filter((e) => e.binding === BINDINGS.post);
  return posts.find((e) => e.isDefault) ?? posts[0];
}

function acsOf(request: XmlElement, sp: ServiceProvider): SpAcsEndpoint {
  const url = attr(request, 'AssertionConsumerServiceURL');
  const index = attr(request, 'AssertionConsumerServiceIndex');
  const binding = attr(request, 'ProtocolBinding');
  if (index !== null && (url !== null || binding !== null)) throw new IdpRequestRefused('acs', 'AssertionConsumerServiceIndex excludes AssertionConsumerServiceURL and ProtocolBinding (SAML core 3.4.1)');
  if (binding !== null && binding !== BINDINGS.post) throw new IdpRequestRefused('acs', 'only the HTTP-POST binding is offered for responses');
  const posts = sp.metadata.assertionConsumerServices.filter((e) => e.binding === BINDINGS.post);
  const found = url !== null ? posts.find((e) => e.location === url)
    : index !== null ? posts.find((e) => e.index === Number(index))
      : defaultPostAcs(sp);
  if (!found) throw new IdpRequestRefused('acs', url !== null || index !== null ? 'the requested assertion consumer service is not one of the SP’s HTTP-POST endpoints in its metadata' : 'the SP’s metadata has no HTTP-POST assertion consumer service');
  return found;
}

function nameIdFormatOf(request: XmlElement): string | null {
  const policy = kids(request, NS.samlp, 'NameIDPolicy')[0];
  const format = policy ? attr(policy, 'Format') : null;
  if (format === null || format === UNSPECIFIED) return null;
  if (format !== PERSISTENT && format !== TRANSIENT) throw new IdpRequestRefused('nameid_policy', 'only persistent and transient NameIDs are issued');
  return format;
}

/** RequestedAuthnContext as hub acr levels; `better` and `maximum` comparisons are refused. */
function requestedAcrOf(request: XmlElement): RequestedAcr | null {
  const context = kids(request, NS.samlp, 'RequestedAuthnContext')[0];
  if (!context) return null;
  const comparison = attr(context, 'Comparison') ?? 'exact';
  if (comparison !== 'exact' && comparison !== 'minimum') throw new IdpRequestRefused('authn_context', `comparison ${comparison} is not supported (exact or minimum)`);
  const classes = kids(context, NS.saml, 'AuthnContextClassRef').map((c) => textOf(c, 'AuthnContextClassRef'));
  if (classes.length === 0) throw new IdpRequestRefused('authn_context', 'authentication context declarations are not supported, only classes');
  const acrs = ACR_ORDER.filter((acr) => classes.some((c) => AUTHN_CONTEXT_CLASSES[c] === acr));
  if (acrs.length === 0) throw new IdpRequestRefused('authn_context', 'none of the requested authentication context classes is offered');
  return { comparison, acrs };
}

const isTrue = (value: string | null): boolean => value === 'true' || value === '1';

/** An AuthnRequest on the SSO endpoint (`ctx.endpointUrl`), either binding. */
export async function verifyAuthnRequest(message: InboundMessage, ctx: InboundContext): Promise<VerifiedAuthnRequest> {
  const { env, sp, id } = await verifyEnvelope(message, ctx, 'AuthnRequest', 'SAMLRequest', (s) => s.metadata.authnRequestsSigned);
  try {
    const request = env.root;
    if (kids(request, NS.saml, 'Subject').length > 0) throw new IdpRequestRefused('malformed', 'a Subject in the AuthnRequest is not supported');
    return {
      id, sp,
      acs: acsOf(request, sp),
      forceAuthn: isTrue(attr(request, 'ForceAuthn')),
      isPassive: isTrue(attr(request, 'IsPassive')),
      nameIdFormat: nameIdFormatOf(request),
      requestedAcr: requestedAcrOf(request),
      relayState: env.relayState,
    };
  } finally {
    env.doc.dispose();
  }
}

/** The SP's SLO endpoint for the binding the message came on, else its first; refused without one. */
function sloOf(sp: ServiceProvider, binding: InboundMessage['binding']): SpEndpoint {
  const endpoints = sp.metadata.singleLogoutServices.filter((e) => e.binding === BINDINGS.post || e.binding === BINDINGS.redirect);
  const found = endpoints.find((e) => e.binding === BINDINGS[binding]) ?? endpoints[0];
  if (!found) throw new IdpRequestRefused('slo_endpoint', 'the SP’s metadata has no single logout service (HTTP-Redirect or HTTP-POST)');
  return found;
}

/** A LogoutRequest on the SLO endpoint (`ctx.endpointUrl`), either binding; always signed. */
export async function verifyLogoutRequest(message: InboundMessage, ctx: InboundContext): Promise<VerifiedLogoutRequest> {
  const { env, sp, id } = await verifyEnvelope(message, ctx, 'LogoutRequest', 'SAMLRequest', true);
  try {
    const request = env.root;
    const slo = sloOf(sp, message.binding);
    const notOnOrAfter = instantOf(request, 'NotOnOrAfter');
    if (notOnOrAfter && ctx.now.getTime() - ctx.skewSeconds * 1000 >= notOnOrAfter.getTime()) throw new IdpRequestRefused('issue_instant', 'the LogoutRequest has expired', 403);
    const nameIds = kids(request, NS.saml, 'NameID');
    if (nameIds.length !== 1) throw new IdpRequestRefused('malformed', 'one clear NameID expected (encrypted ones are not supported)');
    return {
      id, sp, slo,
      nameId: textOf(nameIds[0]!, 'NameID'),
      sessionIndexes: kids(request, NS.samlp, 'SessionIndex').map((s) => textOf(s, 'SessionIndex')),
      relayState: env.relayState,
    };
  } finally {
    env.doc.dispose();
  }
}

/** A LogoutResponse on the SLO endpoint (`ctx.endpointUrl`), either binding; always signed. */
export async function verifyLogoutResponse(message: InboundMessage, ctx: InboundContext): Promise<VerifiedLogoutResponse> {
  const { env, sp, id } = await verifyEnvelope(message, ctx, 'LogoutResponse', 'SAMLResponse', true);
  try {
    const response = env.root;
    const inResponseTo = attr(response, 'InResponseTo');
    if (!inResponseTo) throw new IdpRequestRefused('malformed', 'a LogoutResponse without InResponseTo');
    const statusCode = childElements(kids(response, NS.samlp, 'Status')[0]!).find((c) => c.namespaceUri === NS.samlp && c.name === 'StatusCode')!;
    const status = attr(statusCode, 'Value') ?? '';
    return { id, sp, inResponseTo, status, success: status === SUCCESS, relayState: env.relayState };
  } finally {
    env.doc.dispose();
  }
}
