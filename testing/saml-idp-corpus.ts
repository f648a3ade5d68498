/**
 * A generator of the messages SPs send to the hub's IdP (AuthnRequest, LogoutRequest,
 * LogoutResponse) for the inbound corpus (test/saml/idp-inbound.test.ts): a valid message,
 * signed with the SP's key, described by a spec that each case changes; the wrapping shapes
 * (XSW1–8) built from a signed original and an evil twin; and the two bindings' encodings.
 * Hooks run BEFORE the signature of the message (`message`), so the signature holds and the case
 * tests the rule it is about, or after it (`final`), to move or break the signature.
 */
import { randomBytes, sign, type KeyObject } from 'node:crypto';
import { deflateRawSync } from 'node:zlib';
import { DS, esc, instant, SAML, SAMLP, SIG, signRoot, type SignatureHash } from './saml-signing.js';

export type InboundKind = 'AuthnRequest' | 'LogoutRequest' | 'LogoutResponse';
export const PARAM_OF: Record<InboundKind, 'SAMLRequest' | 'SAMLResponse'> = { AuthnRequest: 'SAMLRequest', LogoutRequest: 'SAMLRequest', LogoutResponse: 'SAMLResponse' };

export interface InboundSpec {
  kind: InboundKind;
  id: string;
  issuer: string;
  issueInstant: string;
  destination: string | null;
  /** Further attributes of the root element (`ForceAuthn="true"`…), raw. */
  attributes: Record<string, string>;
  /** The root's children after Issuer and Signature, raw (schema order). */
  children: string;
  /** null: unsigned. */
  key: KeyObject | null;
  hash: SignatureHash;
  tamper: { message?: (xml: string) => string; final?: (xml: string) => string };
}

export const POST_BINDING = 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST';
export const PASSWORD_PROTECTED = 'urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport';
export const PERSISTENT = 'urn:oasis:names:tc:SAML:2.0:nameid-format:persistent';
const SUCCESS = 'urn:oasis:names:tc:SAML:2.0:status:Success';

export const newId = (): string => `_${randomBytes(12).toString('hex')}`;

/** What every valid message needs: who sends it, where to, with which key. */
export interface Sender {
  spEntityId: string;
  destination: string;
  key: KeyObject | null;
}

/** An AuthnRequest the IdP accepts: POST ACS named by URL, persistent NameID, PasswordProtectedTransport exact. */
export function authnRequestSpec(s: Sender & { acsUrl: string }): InboundSpec {
  return {
    kind: 'AuthnRequest', id: newId(), issuer: s.spEntityId, issueInstant: instant(0), destination: s.destination,
    attributes: { AssertionConsumerServiceURL: s.acsUrl, ProtocolBinding: POST_BINDING },
    children: `<samlp:NameIDPolicy Format="${PERSISTENT}" AllowCreate="true"/>`
      + `<samlp:RequestedAuthnContext Comparison="exact"><saml:AuthnContextClassRef>${PASSWORD_PROTECTED}</saml:AuthnContextClassRef></samlp:RequestedAuthnContext>`,
    key: s.key, hash: 'sha256', tamper: {},
  };
}

export function logoutRequestSpec(s: Sender): InboundSpec {
  return {
    kind: 'LogoutRequest', id: newId(), issuer: s.spEntityId, issueInstant: instant(0), destination: s.destination,
    attributes: { NotOnOrAfter: instant(120) },
    children: `<saml:NameID Format="${PERSISTENT}">pairwise-1</saml:NameID><samlp:SessionIndex>_session-1</samlp:SessionIndex>`,
    key: s.key, hash: 'sha256', tamper: {},
  };
}

export function logoutResponseSpec(s: Sender & { inResponseTo: string }): InboundSpec {
  return {
    kind: 'LogoutResponse', id: newId(), issuer: s.spEntityId, issueInstant: instant(0), destination: s.destination,
    attributes: { InResponseTo: s.inResponseTo },
    children: `<samlp:Status><samlp:StatusCode Value="${SUCCESS}"/></samlp:Status>`,
    key: s.key, hash: 'sha256', tamper: {},
  };
}

/** The message's XML before signing, the SIG marker after its Issuer. */
export function unsignedXml(spec: InboundSpec): string {
  const attributes = Object.entries({ ...(spec.destination === null ? {} : { Destination: spec.destination }), ...spec.attributes })
    .map(([name, value]) => ` ${name}="${esc(value)}"`).join('');
  return `<samlp:${spec.kind} xmlns:samlp="${SAMLP}" xmlns:saml="${SAML}" ID="${spec.id}" Version="2.0" IssueInstant="${spec.issueInstant}"${attributes}>`
    + `<saml:Issuer>${esc(spec.issuer)}</saml:Issuer>${SIG}${spec.children}</samlp:${spec.kind}>`;
}

/** The message, signed (enveloped) when the spec has a key: the POST binding's XML. */
export async function buildMessage(spec: InboundSpec): Promise<string> {
  const signed = await signRoot((spec.tamper.message ?? ((x) => x))(unsignedXml(spec)), spec.key, spec.hash);
  return (spec.tamper.final ?? ((x) => x))(signed);
}

/** The form fields of the HTTP-POST binding. */
export function postBody(xml: string, param: 'SAMLRequest' | 'SAMLResponse', relayState?: string): Record<string, string> {
  return { [param]: Buffer.from(xml, 'utf8').toString('base64'), ...(relayState === undefined ? {} : { RelayState: relayState }) };
}

const SIG_ALG_URIS: Record<SignatureHash, string> = { sha256: 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256', sha1: `${DS}rsa-sha1` };

/** The raw query of the HTTP-Redirect binding, signed with `key` (any hash, SHA-1 included, to prove it refused). */
export function redirectQuery(xml: string, param: 'SAMLRequest' | 'SAMLResponse', o: { key: KeyObject | null; hash?: SignatureHash; relayState?: string }): string {
  const parts = [`${param}=${encodeURIComponent(deflateRawSync(Buffer.from(xml, 'utf8')).toString('base64'))}`];
  if (o.relayState !== undefined) parts.push(`RelayState=${encodeURIComponent(o.relayState)}`);
  if (!o.key) return parts.join('&');
  const hash = o.hash ?? 'sha256';
  parts.push(`SigAlg=${encodeURIComponent(SIG_ALG_URIS[hash])}`);
  const signed = parts.join('&');
  return `${signed}&Signature=${encodeURIComponent(sign(hash, Buffer.from(signed, 'utf8'), o.key).toString('base64'))}`;
}

/** The Signature element of a signed message, and the message without it. */
export function splitSignature(signed: string): { signature: string; bare: string } {
  const match = /<ds:Signature[\s\S]*<\/ds:Signature>/.exec(signed);
  if (!match) throw new Error('no signature to split');
  return { signature: match[0], bare: signed.replace(match[0], '') };
}

/** Inserts `what` right after the root's Issuer (where Signature and Extensions go). */
export function afterIssuer(xml: string, what: string): string {
  const end = xml.indexOf('</saml:Issuer>') + '</saml:Issuer>'.length;
  return xml.slice(0, end) + what + xml.slice(end);
}

/** Inserts `what` as the first child of the root's Extensions, which it creates after the Issuer and the Signature (or its marker). */
export function inExtensions(xml: string, what: string): string {
  const sig = /<\/ds:Signature>|<!--\{\{SIG\}\}-->/.exec(xml);
  const end = sig ? sig.index + sig[0].length : xml.indexOf('</saml:Issuer>') + '</saml:Issuer>'.length;
  return `${xml.slice(0, end)}<samlp:Extensions>${what}</samlp:Extensions>${xml.slice(end)}`;
}

const withObject = (signature: string, what: string) => signature.replace('</ds:Signature>', `<ds:Object>${what}</ds:Object></ds:Signature>`);

/** Signs the original message, after an optional rewrite of it (before its signature). */
export type SignOriginal = (rewrite?: (xml: string) => string) => Promise<string>;

/**
 * The signature-wrapping shapes (after the XSW1–8 of Somorovsky et al., for a message whose root
 * is signed): the original is the signed message, `evil` an unsigned twin the attacker wants read.
 */
export const WRAPPINGS: Record<string, (signOriginal: SignOriginal, evil: string) => Promise<string>> = {
  'XSW1: the evil message wraps the signed original in its Extensions': async (o, e) => inExtensions(e, await o()),
  'XSW2: the evil message carries the original’s Signature, the original (unsigned) in its Extensions': async (o, e) => {
    const { signature, bare } = splitSignature(await o());
    return inExtensions(afterIssuer(e, signature), bare);
  },
  'XSW3: the evil message takes the original’s ID and wraps it': async (o, e) => {
    const original = await o();
    return inExtensions(e.replace(/ ID="[^"]+"/, ` ID="${/ ID="([^"]+)"/.exec(original)![1]}"`), original);
  },
  'XSW4: the signed original wraps the evil message in its Extensions (signed with it)': async (o, e) => o((x) => inExtensions(x, e)),
  'XSW5: the evil message carries the original’s Signature alone': async (o, e) => afterIssuer(e, splitSignature(await o()).signature),
  'XSW6: the evil message carries the original’s Signature, the signed original in its ds:Object': async (o, e) => {
    const original = await o();
    return afterIssuer(e, withObject(splitSignature(original).signature, original));
  },
  'XSW7: the evil message wraps the signed original in a foreign extension element': async (o, e) => inExtensions(e, `<x:Wrap xmlns:x="urn:example:wrap">${await o()}</x:Wrap>`),
  'XSW8: the evil message carries the original’s Signature, the original (unsigned) in its ds:Object': async (o, e) => {
    const { signature, bare } = splitSignature(await o());
    return afterIssuer(e, withObject(signature, bare));
  },
};
