/**
 * A generator of SAML Responses for the hostile corpus (saml-hostile.test.ts): a well-formed,
 * correctly signed and encrypted Response from the test IdP's keys, described by a spec that
 * each case changes. Raw hooks run BEFORE the signature of their element, so the signature
 * holds and the case tests the rule it is about, not the signature check.
 */
import { constants, createCipheriv, publicEncrypt, randomBytes, type KeyObject } from 'node:crypto';
import { DS, esc, instant, SAML, SAMLP, SIG, signRoot, XENC } from '../../testing/saml-signing.js';

export { DS, instant, SAML, SAMLP, signRoot, XENC };
export const XENC11 = 'http://www.w3.org/2009/xmlenc11#';

export const DATA_ALGORITHMS = {
  'aes128-gcm': { uri: `${XENC11}aes128-gcm`, cipher: 'aes-128-gcm', keyBytes: 16, ivBytes: 12 },
  'aes256-gcm': { uri: `${XENC11}aes256-gcm`, cipher: 'aes-256-gcm', keyBytes: 32, ivBytes: 12 },
  'aes256-cbc': { uri: `${XENC}aes256-cbc`, cipher: 'aes-256-cbc', keyBytes: 32, ivBytes: 16 },
  'tripledes-cbc': { uri: `${XENC}tripledes-cbc`, cipher: 'des-ede3-cbc', keyBytes: 24, ivBytes: 8 },
} as const;
export const KEY_ALGORITHMS = { 'rsa-oaep-mgf1p': `${XENC}rsa-oaep-mgf1p`, 'rsa-1_5': `${XENC}rsa-1_5` } as const;

export interface AssertionSpec {
  id: string;
  issuer: string | null;
  issueInstant: string;
  nameId: string;
  scd: { inResponseTo: string | null; notOnOrAfter: string; recipient: string };
  conditions: { notBefore: string; notOnOrAfter: string; audience: string };
  authnStatement: boolean;
  attributes: Record<string, string[]>;
}

export interface EncryptionSpec {
  data: keyof typeof DATA_ALGORITHMS;
  key: keyof typeof KEY_ALGORITHMS;
  /** Where the EncryptedKey sits: in the EncryptedData's KeyInfo, or beside it (with or without a RetrievalMethod). */
  layout: 'inline' | 'sibling' | 'retrieval';
  /** The prefix bound to the XML-Enc namespace (any prefix is the same namespace). */
  prefix: string;
  /** Leave out the data's EncryptionMethod (the schema allows it). */
  omitDataMethod?: boolean;
  /** What goes in the EncryptedData's KeyInfo before the key (foreign elements…). */
  keyInfoExtra?: string;
  /** Replace the data CipherValue (garbage). */
  dataCipherValue?: string;
}

export interface MessageSpec {
  response: { id: string; issuer: string | null; issueInstant: string; destination: string; inResponseTo: string | null };
  assertion: AssertionSpec;
  encryption: EncryptionSpec | null;
  signResponse: boolean;
  signAssertion: boolean;
  /** Raw rewrites: of the assertion (before its signature), of the plaintext that is encrypted, of the EncryptedAssertion, of the Response (before its signature), of the final XML. */
  tamper: { assertion?: (xml: string) => string; plaintext?: (xml: string) => string; encrypted?: (xml: string) => string; response?: (xml: string) => string; final?: (xml: string) => string };
}

export interface CorpusKeys {
  idpKey: KeyObject;
  /** The SP's encryption public key (from its certificate). */
  spEncryption: KeyObject;
}


/** A spec that the hub accepts: each case changes one thing. */
export function validSpec(p: { idpEntityId: string; spEntityId: string; acsUrl: string; requestId: string; attributes: Record<string, string[]>; encrypted: boolean }): MessageSpec {
  const rnd = () => `_${randomBytes(12).toString('hex')}`;
  return {
    response: { id: rnd(), issuer: p.idpEntityId, issueInstant: instant(0), destination: p.acsUrl, inResponseTo: p.requestId },
    assertion: {
      id: rnd(), issuer: p.idpEntityId, issueInstant: instant(0), nameId: `nid-${randomBytes(4).toString('hex')}`,
      scd: { inResponseTo: p.requestId, notOnOrAfter: instant(300), recipient: p.acsUrl },
      conditions: { notBefore: instant(-30), notOnOrAfter: instant(300), audience: p.spEntityId },
      authnStatement: true, attributes: p.attributes,
    },
    encryption: p.encrypted ? { data: 'aes128-gcm', key: 'rsa-oaep-mgf1p', layout: 'inline', prefix: 'xenc' } : null,
    signResponse: true,
    signAssertion: true,
    tamper: {},
  };
}

export function assertionXml(a: AssertionSpec): string {
  const irt = a.scd.inResponseTo === null ? '' : ` InResponseTo="${esc(a.scd.inResponseTo)}"`;
  const attributes = Object.entries(a.attributes).map(([name, values]) =>
    `<saml:Attribute Name="${esc(name)}" NameFormat="urn:oasis:names:tc:SAML:2.0:attrname-format:uri">${values.map((v) => `<saml:AttributeValue xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:type="xs:string">${esc(v)}</saml:AttributeValue>`).join('')}</saml:Attribute>`).join('');
  return `<saml:Assertion xmlns:saml="${SAML}" ID="${a.id}" Version="2.0" IssueInstant="${a.issueInstant}">`
    + (a.issuer === null ? '' : `<saml:Issuer Format="urn:oasis:names:tc:SAML:2.0:nameid-format:entity">${esc(a.issuer)}</saml:Issuer>`) + SIG
    + `<saml:Subject><saml:NameID Format="urn:oasis:names:tc:SAML:2.0:nameid-format:persistent">${esc(a.nameId)}</saml:NameID>`
    + `<saml:SubjectConfirmation Method="urn:oasis:names:tc:SAML:2.0:cm:bearer"><saml:SubjectConfirmationData${irt} NotOnOrAfter="${a.scd.notOnOrAfter}" Recipient="${esc(a.scd.recipient)}"/></saml:SubjectConfirmation></saml:Subject>`
    + `<saml:Conditions NotBefore="${a.conditions.notBefore}" NotOnOrAfter="${a.conditions.notOnOrAfter}"><saml:AudienceRestriction><saml:Audience>${esc(a.conditions.audience)}</saml:Audience></saml:AudienceRestriction></saml:Conditions>`
    + (a.authnStatement ? `<saml:AuthnStatement AuthnInstant="${a.issueInstant}" SessionIndex="_s${randomBytes(6).toString('hex')}"><saml:AuthnContext><saml:AuthnContextClassRef>urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport</saml:AuthnContextClassRef></saml:AuthnContext></saml:AuthnStatement>` : '')
    + (attributes ? `<saml:AttributeStatement>${attributes}</saml:AttributeStatement>` : '')
    + '</saml:Assertion>';
}

function encryptData(plain: string, spec: EncryptionSpec): { key: Buffer; value: string } {
  const alg = DATA_ALGORITHMS[spec.data];
  const key = randomBytes(alg.keyBytes);
  const iv = randomBytes(alg.ivBytes);
  const cipher = createCipheriv(alg.cipher, key, iv);
  const body = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
  const tag = alg.cipher.endsWith('gcm') ? (cipher as unknown as { getAuthTag(): Buffer }).getAuthTag() : Buffer.alloc(0);
  return { key, value: Buffer.concat([iv, body, tag]).toString('base64') };
}

/** The EncryptedAssertion of `plain` for the SP's key, laid out as the spec says. */
export function encryptAssertion(plain: string, spec: EncryptionSpec, spEncryption: KeyObject): string {
  const p = spec.prefix;
  const data = encryptData(plain, spec);
  const padding = spec.key === 'rsa-1_5' ? constants.RSA_PKCS1_PADDING : constants.RSA_PKCS1_OAEP_PADDING;
  const wrapped = publicEncrypt({ key: spEncryption, padding, oaepHash: 'sha1' }, data.key).toString('base64');
  const encryptedKey = `<${p}:EncryptedKey xmlns:${p}="${XENC}" Id="EK_${randomBytes(6).toString('hex')}"><${p}:EncryptionMethod Algorithm="${KEY_ALGORITHMS[spec.key]}"/>`
    + `<ds:KeyInfo xmlns:ds="${DS}"><ds:KeyName>sp-enc</ds:KeyName></ds:KeyInfo><${p}:CipherData><${p}:CipherValue>${wrapped}</${p}:CipherValue></${p}:CipherData></${p}:EncryptedKey>`;
  const keyId = /Id="([^"]+)"/.exec(encryptedKey)![1]!;
  const inKeyInfo = spec.layout === 'inline' ? encryptedKey : spec.layout === 'retrieval' ? `<ds:RetrievalMethod URI="#${keyId}" Type="${XENC}EncryptedKey"/>` : '';
  const keyInfo = inKeyInfo || spec.keyInfoExtra ? `<ds:KeyInfo xmlns:ds="${DS}">${spec.keyInfoExtra ?? ''}${inKeyInfo}</ds:KeyInfo>` : '';
  const method = spec.omitDataMethod ? '' : `<${p}:EncryptionMethod Algorithm="${DATA_ALGORITHMS[spec.data].uri}"/>`;
  const encryptedData = `<${p}:EncryptedData xmlns:${p}="${XENC}" Id="ED_${randomBytes(6).toString('hex')}" Type="${XENC}Element">${method}${keyInfo}`
    + `<${p}:CipherData><${p}:CipherValue>${spec.dataCipherValue ?? data.value}</${p}:CipherValue></${p}:CipherData></${p}:EncryptedData>`;
  return `<saml:EncryptedAssertion xmlns:saml="${SAML}">${encryptedData}${spec.layout === 'inline' ? '' : encryptedKey}</saml:EncryptedAssertion>`;
}

/** The Response XML of `spec`, signed and encrypted with `keys`. */
export async function buildResponse(spec: MessageSpec, keys: CorpusKeys): Promise<string> {
  const t = spec.tamper;
  const assertion = await signRoot((t.assertion ?? ((x) => x))(assertionXml(spec.assertion)), spec.signAssertion ? keys.idpKey : null);
  const inner = spec.encryption
    ? (t.encrypted ?? ((x) => x))(encryptAssertion((t.plaintext ?? ((x) => x))(assertion), spec.encryption, keys.spEncryption))
    : assertion;
  const r = spec.response;
  const response = `<samlp:Response xmlns:samlp="${SAMLP}" xmlns:saml="${SAML}" ID="${r.id}" Version="2.0" IssueInstant="${r.issueInstant}" Destination="${esc(r.destination)}"`
    + (r.inResponseTo === null ? '' : ` InResponseTo="${esc(r.inResponseTo)}"`) + '>'
    + (r.issuer === null ? '' : `<saml:Issuer>${esc(r.issuer)}</saml:Issuer>`) + SIG
    + `<samlp:Status><samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Success"/></samlp:Status>${inner}</samlp:Response>`;
  const signed = await signRoot((t.response ?? ((x) => x))(response), spec.signResponse ? keys.idpKey : null);
  return (t.final ?? ((x) => x))(`<?xml version="1.0" encoding="UTF-8"?>\n${signed}`);
}
