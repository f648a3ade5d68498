/**
 * The two SAML bindings the hub speaks (SAML bindings 3.4, 3.5). On HTTP-Redirect the signature
 * is over the raw query string (`SAMLRequest=…&RelayState=…&SigAlg=…`, exactly as received), not
 * inside the XML, so it is checked before the message is inflated. On HTTP-POST the message is
 * base64 in a form field, and carries its own XML signatures (xmldsig.ts).
 */
import { isUtf8 } from 'node:buffer';
import { verify as verifySignature, type KeyObject } from 'node:crypto';
import { deflateRawSync, inflateRawSync } from 'node:zlib';
import { base64Octets } from './base64.js';
import { SamlError } from './errors.js';
import { RSA_SHA256, signRsaSha256, type KeyPair } from './keys.js';
import { MAX_SAML_XML_BYTES } from './schema-validator.js';

const SIG_ALGS: Record<string, string> = {
  [RSA_SHA256]: 'sha256',
  'http://www.w3.org/2001/04/xmldsig-more#rsa-sha512': 'sha512',
};

export type RedirectParam = 'SAMLRequest' | 'SAMLResponse';

export interface RedirectMessage {
  param: RedirectParam;
  /** The inflated XML, not validated yet. */
  xml: string;
  relayState: string | null;
}

/** The raw (still URL-encoded) values of a query string, as the signature covers them. */
function rawParams(rawQuery: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const part of rawQuery.split('&')) {
    const eq = part.indexOf('=');
    if (eq <= 0) continue;
    const name = part.slice(0, eq);
    if (out.has(name)) throw new SamlError('malformed', `parameter ${name} repeated`);
    out.set(name, part.slice(eq + 1));
  }
  return out;
}

const decode = (raw: string): string => decodeURIComponent(raw.replace(/\+/g, ' '));

/** A Redirect-binding message read from its query, its signature (if any) not checked yet. */
export interface RedirectQuery extends RedirectMessage {
  /** null when the query carries neither SigAlg nor Signature. */
  signature: { hash: string; signed: string; value: Buffer } | null;
}

/**
 * Reads and inflates a Redirect-binding query without checking its signature: a receiver that
 * learns the sender (and so its keys) from the message's Issuer reads first, then calls
 * `checkRedirectSignature` before trusting anything else in it. Inflation is bounded. When the
 * message must be signed whoever sent it (`signatureRequired`), an unsigned one is refused
 * before it is inflated.
 */
export function readRedirectQuery(rawQuery: string, what: string, signatureRequired: boolean): RedirectQuery {
  const params = rawParams(rawQuery);
  const param = params.has('SAMLRequest') ? 'SAMLRequest' : params.has('SAMLResponse') ? 'SAMLResponse' : null;
  if (!param || (params.has('SAMLRequest') && params.has('SAMLResponse'))) throw new SamlError('malformed', 'one SAMLRequest or SAMLResponse expected');
  const sigAlgRaw = params.get('SigAlg');
  const signatureRaw = params.get('Signature');
  // Half a signature is no signature, whatever the receiver requires.
  if ((sigAlgRaw === undefined) !== (signatureRaw === undefined)) throw new SamlError('unsigned', `the ${what} is not signed (SigAlg and Signature go together)`);
  const relayRaw = params.get('RelayState');
  let signature: RedirectQuery['signature'] = null;
  if (sigAlgRaw !== undefined && signatureRaw !== undefined) {
    const hash = SIG_ALGS[decode(sigAlgRaw)];
    if (!hash) throw new SamlError('signature', 'signature algorithm not accepted (RSA-SHA256 or RSA-SHA512 only)');
    const signed = `${param}=${params.get(param)!}${relayRaw !== undefined ? `&RelayState=${relayRaw}` : ''}&SigAlg=${sigAlgRaw}`;
    signature = { hash, signed, value: Buffer.from(decode(signatureRaw), 'base64') };
  } else if (signatureRequired) {
    throw new SamlError('unsigned', `the ${what} is not signed`);
  }
  let xml: string;
  try {
    xml = inflateRawSync(Buffer.from(decode(params.get(param)!), 'base64'), { maxOutputLength: MAX_SAML_XML_BYTES }).toString('utf8');
  } catch {
    throw new SamlError('malformed', `the ${what} cannot be inflated`);
  }
  return { param, xml, relayState: relayRaw !== undefined ? decode(relayRaw) : null, signature };
}

/** Throws unless the query was signed and the signature verifies with one of `keys` (the peer's). */
export function checkRedirectSignature(query: RedirectQuery, keys: KeyObject[], what: string, peer: string): void {
  const { signature } = query;
  if (!signature) throw new SamlError('unsigned', `the ${what} is not signed`);
  if (!keys.some((key) => verifySignature(signature.hash, Buffer.from(signature.signed, 'utf8'), key, signature.value))) throw new SamlError('signature', `${what} signature does not verify with the ${peer}’s key`);
}

/**
 * Checks the query signature with one of `keys` (the peer's) and returns the inflated message.
 * `what` names the message in the details (`logout message`).
 */
export function verifyRedirectQuery(rawQuery: string, keys: KeyObject[], what: string, peer: string): RedirectMessage {
  const query = readRedirectQuery(rawQuery, what, true);
  checkRedirectSignature(query, keys, what, peer);
  return { param: query.param, xml: query.xml, relayState: query.relayState };
}

/** The signed query string of a message sent on HTTP-Redirect (RSA-SHA256), for the IdP side. */
export function signedRedirectQuery(message: RedirectMessage, pair: KeyPair): string {
  const parts = [`${message.param}=${encodeURIComponent(deflateRawSync(Buffer.from(message.xml, 'utf8')).toString('base64'))}`];
  if (message.relayState !== null) parts.push(`RelayState=${encodeURIComponent(message.relayState)}`);
  parts.push(`SigAlg=${encodeURIComponent(RSA_SHA256)}`);
  const signed = parts.join('&');
  return `${signed}&Signature=${encodeURIComponent(signRsaSha256(signed, pair).toString('base64'))}`;
}

/**
 * The XML of a message posted on HTTP-POST, as UTF-8 octets (what the parser reads): base64,
 * bounded in size. Octets that are not UTF-8 become U+FFFD, as in decodePostMessage's text.
 */
export function decodePostBytes(encoded: string, param: RedirectParam): Buffer {
  if (encoded.length > (MAX_SAML_XML_BYTES * 4) / 3 + 4) throw new SamlError('malformed', `${param} is larger than ${MAX_SAML_XML_BYTES} bytes`);
  const bytes = base64Octets(encoded);
  if (!bytes) throw new SamlError('malformed', `${param} is not base64`);
  return isUtf8(bytes) ? bytes : Buffer.from(bytes.toString('utf8'), 'utf8');
}

/** The XML of a message posted on HTTP-POST: base64, bounded in size. */
export function decodePostMessage(encoded: string, param: RedirectParam): string {
  return decodePostBytes(encoded, param).toString('utf8');
}
