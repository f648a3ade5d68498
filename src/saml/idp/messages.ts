/**
 * The IdP's protocol messages besides the successful SSO Response (response.ts): a Response that
 * carries only a status (the SP's request cannot be answered with an assertion), and the logout
 * messages. `sendToSp` delivers any of them on the SP's endpoint binding: HTTP-Redirect with the
 * query signed, or HTTP-POST with the message signed (enveloped) in the auto-posted form.
 */
import type { Context } from 'koa';
import type { SpEndpoint } from '../../storage/ports/index.js';
import type { Lang } from '../../ui/i18n.js';
import { signedRedirectQuery, type RedirectParam } from '../core/bindings.js';
import { signEnveloped, type KeyPair } from '../core/keys.js';
import { NS } from '../core/xmldsig.js';
import { autoPostForm } from './post-form.js';
import { BINDINGS } from './sp-metadata.js';
import type { SpSession } from './sp-sessions.js';
import { instant, samlId, xmlEscape } from './xml-text.js';

const STATUS_PREFIX = 'urn:oasis:names:tc:SAML:2.0:status:';
export const STATUS = {
  success: `${STATUS_PREFIX}Success`,
  requester: `${STATUS_PREFIX}Requester`,
  responder: `${STATUS_PREFIX}Responder`,
  noPassive: `${STATUS_PREFIX}NoPassive`,
  noAuthnContext: `${STATUS_PREFIX}NoAuthnContext`,
  invalidNameIdPolicy: `${STATUS_PREFIX}InvalidNameIDPolicy`,
} as const;

/** A status: the top-level code (Success, Requester, Responder) and, for a failure, the second-level one. */
export type Status = readonly [string] | readonly [string, string];

/** What every message from the IdP to an SP states: from whom, to which endpoint, when. */
export interface MessageHeader {
  issuer: string;
  destination: string;
  now: Date;
}


function statusXml(status: Status): string {
  const [top, second] = status;
  const inner = second === undefined ? '' : `<samlp:StatusCode Value="${xmlEscape(second, 'status')}"/>`;
  return `<samlp:Status><samlp:StatusCode Value="${xmlEscape(top, 'status')}"${inner ? `>${inner}</samlp:StatusCode>` : '/>'}</samlp:Status>`;
}

function open(element: string, header: MessageHeader, id: string, extra: string): string {
  return `<samlp:${element} xmlns:samlp="${NS.samlp}" xmlns:saml="${NS.saml}" ID="${id}" Version="2.0" IssueInstant="${instant(header.now)}" Destination="${xmlEscape(header.destination, 'destination')}"${extra}>`
    + `<saml:Issuer>${xmlEscape(header.issuer, 'IdP entityID')}</saml:Issuer>`;
}

const inResponseToAttr = (id: string | null): string => (id === null ? '' : ` InResponseTo="${xmlEscape(id, 'request ID')}"`);

/** A Response without assertion (SAML core 3.2.2): the SP's AuthnRequest fails with `status`. */
export function statusResponseXml(header: MessageHeader, inResponseTo: string | null, status: Status): string {
  return `${open('Response', header, samlId(), inResponseToAttr(inResponseTo))}${statusXml(status)}</samlp:Response>`;
}

/** The LogoutRequest `id` for the session the SP holds under `nameId` and `sessionIndex`, valid until `notOnOrAfter`. */
export function logoutRequestXml(header: MessageHeader, id: string, session: SpSession, notOnOrAfter: Date): string {
  const { nameId } = session;
  const qualifier = nameId.spNameQualifier === undefined ? '' : ` SPNameQualifier="${xmlEscape(nameId.spNameQualifier, 'SP entityID')}"`;
  return open('LogoutRequest', header, id, ` NotOnOrAfter="${instant(notOnOrAfter)}"`)
    + `<saml:NameID Format="${xmlEscape(nameId.format, 'NameID format')}"${qualifier}>${xmlEscape(nameId.value, 'NameID')}</saml:NameID>`
    + `<samlp:SessionIndex>${xmlEscape(session.sessionIndex, 'session index')}</samlp:SessionIndex></samlp:LogoutRequest>`;
}

/** The LogoutResponse to an SP's LogoutRequest. */
export function logoutResponseXml(header: MessageHeader, inResponseTo: string, status: Status): string {
  return `${open('LogoutResponse', header, samlId(), inResponseToAttr(inResponseTo))}${statusXml(status)}</samlp:LogoutResponse>`;
}

const rootElementOf = (xml: string): string => /^<samlp:(\w+)/.exec(xml)![1]!;

/**
 * Sends `xml` (unsigned) to the SP's `endpoint`: HTTP-Redirect (302, the query signed) or
 * HTTP-POST (the message signed, in the auto-posted form page). The answer is never cached.
 */
export function sendToSp(ctx: Context, endpoint: SpEndpoint, param: RedirectParam, xml: string, relayState: string | null, keys: KeyPair, lang: Lang): void {
  ctx.set('Cache-Control', 'no-store');
  if (endpoint.binding === BINDINGS.redirect) {
    const query = signedRedirectQuery({ param, xml, relayState }, keys);
    ctx.redirect(`${endpoint.location}${endpoint.location.includes('?') ? '&' : '?'}${query}`);
    return;
  }
  const signed = signEnveloped(xml, `/*[local-name(.)='${rootElementOf(xml)}']`, keys);
  ctx.type = 'html';
  ctx.body = autoPostForm(endpoint.location, param, Buffer.from(signed, 'utf8').toString('base64'), relayState ?? undefined, lang);
}
