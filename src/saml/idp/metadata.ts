/**
 * The IdP's metadata: one EntityDescriptor with an IDPSSODescriptor, signed (RSA-SHA256,
 * exclusive C14N) with the active signing key. It is built once and served as is; it is signed
 * again when half its validity is gone, so a copy fetched at any time stays valid for at least
 * half of `validSeconds`, and at once when the keys change (a rotation).
 */
import { randomBytes } from 'node:crypto';
import { certificateBody, signEnveloped } from '../core/keys.js';
import { idpEntityId, type IdpSettings } from './config.js';
import type { IdpKeys, IdpKeySource } from './keys.js';

const PROTOCOL = 'urn:oasis:names:tc:SAML:2.0:protocol';
const BINDINGS = ['urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect', 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST'];
export const NAMEID_FORMATS = [
  'urn:oasis:names:tc:SAML:2.0:nameid-format:persistent',
  'urn:oasis:names:tc:SAML:2.0:nameid-format:transient',
  'urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress',
];

/** The IdP's endpoints, under the router's prefix (routes.ts). */
export function idpEndpoints(issuer: string): { sso: string; slo: string } {
  const base = `${issuer.replace(/\/+$/, '')}/saml`;
  return { sso: `${base}/sso`, slo: `${base}/slo` };
}

function xmlAttr(value: string): string {
  return value.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/"/g, '&quot;');
}

function keyDescriptors(use: 'signing' | 'encryption', certs: string[]): string {
  return certs
    .map((pem) => `<md:KeyDescriptor use="${use}"><ds:KeyInfo><ds:X509Data><ds:X509Certificate>${certificateBody(pem)}</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>`)
    .join('');
}

function services(element: 'SingleLogoutService' | 'SingleSignOnService', location: string): string {
  return BINDINGS.map((binding) => `<md:${element} Binding="${binding}" Location="${xmlAttr(location)}"/>`).join('');
}

/** The signed metadata document, valid from `now` for `metadata.validSeconds`. */
export function signedIdpMetadata(settings: Pick<IdpSettings, 'issuer' | 'idp'>, keys: IdpKeys, now: Date): string {
  const { validSeconds, cacheSeconds } = settings.idp.metadata;
  const { sso, slo } = idpEndpoints(settings.issuer);
  const validUntil = new Date(now.getTime() + validSeconds * 1000).toISOString();
  // Schema order (saml-schema-metadata-2.0): KeyDescriptor, SingleLogoutService, NameIDFormat, SingleSignOnService.
  const xml = `<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" xmlns:ds="http://www.w3.org/2000/09/xmldsig#" ID="_${randomBytes(16).toString('hex')}" entityID="${xmlAttr(idpEntityId(settings))}" validUntil="${validUntil}" cacheDuration="PT${cacheSeconds}S">`
    + `<md:IDPSSODescriptor WantAuthnRequestsSigned="false" protocolSupportEnumeration="${PROTOCOL}">`
    + keyDescriptors('signing', keys.signingCerts)
    + keyDescriptors('encryption', keys.encryptionCerts)
    + services('SingleLogoutService', slo)
    + NAMEID_FORMATS.map((format) => `<md:NameIDFormat>${format}</md:NameIDFormat>`).join('')
    + services('SingleSignOnService', sso)
    + '</md:IDPSSODescriptor></md:EntityDescriptor>';
  return signEnveloped(xml, "/*[local-name(.)='EntityDescriptor']", keys.signing, 'first');
}

/** The metadata as served: signed once, signed again when half its validity is gone or the keys changed. */
export class IdpMetadata {
  private xml = '';
  private renewAt = 0;
  private signedWith: IdpKeys | undefined;

  constructor(
    private readonly settings: Pick<IdpSettings, 'issuer' | 'idp'>,
    private readonly keys: IdpKeySource,
    private readonly clock: () => Date = () => new Date(),
  ) {
    this.current();
  }

  /** Seconds an SP may keep a copy (`cacheDuration`, HTTP max-age). */
  get cacheSeconds(): number {
    return this.settings.idp.metadata.cacheSeconds;
  }

  current(): string {
    const now = this.clock();
    const keys = this.keys.current();
    if (now.getTime() >= this.renewAt || keys !== this.signedWith) {
      this.xml = signedIdpMetadata(this.settings, keys, now);
      this.signedWith = keys;
      this.renewAt = now.getTime() + (this.settings.idp.metadata.validSeconds * 1000) / 2;
    }
    return this.xml;
  }
}
