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
import { constants, createCipheriv, publicEncrypt, randomBytes, X509Certificate } from 'node:crypto';
import { HubError } from '../../shared/errors.js';
import { certificateBody, signEnveloped, type KeyPair } from '../core/keys.js';
import { NS } from '../core/xmldsig.js';

const XENC11 = 'http://www.w3.org/2009/xmlenc11#';
const AES256_GCM = `${XENC11}aes256-gcm`;
const RSA_OAEP_MGF1P = `${NS.xenc}rsa-oaep-mgf1p`;
const SHA1 = 'http://www.w3.org/2000/09/xmldsig#sha1';
const GCM_IV_BYTES = 12;
const STATUS_SUCCESS = 'urn:oasis:names:tc:SAML:2.0:status:Success';
const BEARER = 'urn:oasis:names:tc:SAML:2.0:cm:bearer';
const XS = 'http://www.w3.org/2001/XMLSchema';
const XSI = 'http://www.w3.org/2001/XMLSchema-instance';

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
}

/** A value the XML cannot carry (a control character): the account's data is wrong, not the SP. */
export class SamlValueInvalid extends HubError {
  constructor(what: string) {
    super('saml_value_invalid', `The ${what} holds a character that an XML document cannot carry, so no SAML response can be built for it.`, { status: 500, expose: false });
  }
}

/** Characters outside XML 1.0's Char production (C0 controls but tab, CR, LF; U+FFFE, U+FFFF; lone surrogates). */
const NOT_XML_CHAR = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const XML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;', '\r': '&#13;', '\n': '&#10;', '\t': '&#9;' };

/**
 * Text for element content and double-quoted attributes alike. CR, LF and tab are escaped too, so
 * attribute normalisation and line-end handling give the SP the very characters sent.
 */
function xmlEscape(value: string, what: string): string {
  if (NOT_XML_CHAR.test(value)) throw new SamlValueInvalid(what);
  return value.replace(/[&<>"'\r\n\t]/g, (c) => XML_ESCAPES[c]!);
}

/** `_` + 160 random bits: an xs:ID (starts with a letter or `_`), unguessable. */
function samlId(): string {
  return `_${randomBytes(20).toString('hex')}`;
}

/** xs:dateTime in UTC, whole seconds (some SPs refuse fractions). */
function instant(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function attributeXml(attribute: ResponseAttribute): string {
  const what = `attribute ${attribute.name}`;
  const friendly = attribute.friendlyName === undefined ? '' : ` FriendlyName="${xmlEscape(attribute.friendlyName, what)}"`;
  const values = attribute.values.map((v) => `<saml:AttributeValue xsi:type="xs:string">${xmlEscape(v, what)}</saml:AttributeValue>`).join('');
  return `<saml:Attribute Name="${xmlEscape(attribute.name, what)}" NameFormat="${xmlEscape(attribute.nameFormat, what)}"${friendly}>${values}</saml:Attribute>`;
}

/** The unsigned Assertion, a document of its own (its namespaces declared on it) so it can be signed alone. */
function assertionXml(input: ResponseInput, id: string): string {
  const now = instant(input.now);
  const notOnOrAfter = instant(new Date(input.now.getTime() + (input.lifetimeSeconds ?? DEFAULT_LIFETIME_SECONDS) * 1000));
  const acs = xmlEscape(input.acsUrl, 'ACS URL');
  const inResponseTo = input.inResponseTo === null ? '' : ` InResponseTo="${xmlEscape(input.inResponseTo, 'request ID')}"`;
  const { nameId } = input;
  const spNameQualifier = nameId.spNameQualifier === undefined ? '' : ` SPNameQualifier="${xmlEscape(nameId.spNameQualifier, 'NameID')}"`;
  // An AttributeStatement must hold at least one Attribute (SAML assertion schema).
  const attributes = input.attributes.length === 0 ? '' : `<saml:AttributeStatement>${input.attributes.map(attributeXml).join('')}</saml:AttributeStatement>`;
  return `<saml:Assertion xmlns:saml="${NS.saml}" xmlns:xs="${XS}" xmlns:xsi="${XSI}" ID="${id}" Version="2.0" IssueInstant="${now}">`
    + `<saml:Issuer>${xmlEscape(input.issuer, 'IdP entityID')}</saml:Issuer>`
    + `<saml:Subject><saml:NameID Format="${xmlEscape(nameId.format, 'NameID format')}"${spNameQualifier}>${xmlEscape(nameId.value, 'NameID')}</saml:NameID>`
    + `<saml:SubjectConfirmation Method="${BEARER}"><saml:SubjectConfirmationData NotOnOrAfter="${notOnOrAfter}" Recipient="${acs}"${inResponseTo}/></saml:SubjectConfirmation></saml:Subject>`
    + `<saml:Conditions NotBefore="${now}" NotOnOrAfter="${notOnOrAfter}"><saml:AudienceRestriction><saml:Audience>${xmlEscape(input.sp, 'SP entityID')}</saml:Audience></saml:AudienceRestriction></saml:Conditions>`
    + `<saml:AuthnStatement AuthnInstant="${instant(input.authn.instant)}" SessionIndex="${xmlEscape(input.authn.sessionIndex, 'session index')}">`
    + `<saml:AuthnContext><saml:AuthnContextClassRef>${xmlEscape(input.authn.acr, 'authentication context')}</saml:AuthnContextClassRef></saml:AuthnContext></saml:AuthnStatement>`
    + attributes
    + '</saml:Assertion>';
}

/** The signed assertion encrypted for the SP's certificate (the certificate named in KeyInfo). */
function encryptAssertion(signedAssertion: string, spCertPem: string): string {
  const spKey = new X509Certificate(spCertPem).publicKey;
  const dataKey = randomBytes(32);
  const iv = randomBytes(GCM_IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', dataKey, iv);
  const data = Buffer.concat([iv, cipher.update(signedAssertion, 'utf8'), cipher.final(), cipher.getAuthTag()]);
  const wrappedKey = publicEncrypt({ key: spKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha1' }, dataKey);
  return `<saml:EncryptedAssertion><xenc:EncryptedData xmlns:xenc="${NS.xenc}" xmlns:ds="${NS.ds}" Id="${samlId()}" Type="${NS.xenc}Element">`
    + `<xenc:EncryptionMethod Algorithm="${AES256_GCM}"/>`
    + `<ds:KeyInfo><xenc:EncryptedKey Id="${samlId()}"><xenc:EncryptionMethod Algorithm="${RSA_OAEP_MGF1P}"><ds:DigestMethod Algorithm="${SHA1}"/></xenc:EncryptionMethod>`
    + `<ds:KeyInfo><ds:X509Data><ds:X509Certificate>${certificateBody(spCertPem)}</ds:X509Certificate></ds:X509Data></ds:KeyInfo>`
    + `<xenc:CipherData><xenc:CipherValue>${wrappedKey.toString('base64')}</xenc:CipherValue></xenc:CipherData></xenc:EncryptedKey></ds:KeyInfo>`
    + `<xenc:CipherData><xenc:CipherValue>${data.toString('base64')}</xenc:CipherValue></xenc:CipherData>`
    + '</xenc:EncryptedData></saml:EncryptedAssertion>';
}

/** The Response XML (no XML declaration), signed, its assertion signed and, with `encryptTo`, encrypted. */
export function buildResponse(input: ResponseInput): string {
  const signedAssertion = signEnveloped(assertionXml(input, samlId()), "/*[local-name(.)='Assertion']", input.keys);
  const assertion = input.encryptTo === undefined ? signedAssertion : encryptAssertion(signedAssertion, input.encryptTo);
  const inResponseTo = input.inResponseTo === null ? '' : ` InResponseTo="${xmlEscape(input.inResponseTo, 'request ID')}"`;
  const response = `<samlp:Response xmlns:samlp="${NS.samlp}" xmlns:saml="${NS.saml}" ID="${samlId()}" Version="2.0" IssueInstant="${instant(input.now)}" Destination="${xmlEscape(input.acsUrl, 'ACS URL')}"${inResponseTo}>`
    + `<saml:Issuer>${xmlEscape(input.issuer, 'IdP entityID')}</saml:Issuer>`
    + `<samlp:Status><samlp:StatusCode Value="${STATUS_SUCCESS}"/></samlp:Status>`
    + assertion
    + '</samlp:Response>';
  return signEnveloped(response, "/*[local-name(.)='Response']", input.keys);
}
