/** The `saml:` section of a SAML connector (an SP of ÉduConnect or of an académie's IdP). */
import { z } from 'zod';

/** A private key and its certificate, as PEM files (the key never appears in YAML). */
const keyPairSchema = z.strictObject({
  keyFile: z.string().min(1),
  certFile: z.string().min(1),
});
export type KeyPairConfig = z.infer<typeof keyPairSchema>;

/**
 * Encryption algorithms of EncryptedAssertions (key transport and data). 3DES (tripledes-cbc) is
 * what pysaml2 and older IdPs still default to; it is refused in production unless allowed.
 */
export const ENCRYPTION_ALGORITHMS = {
  'aes128-gcm': 'http://www.w3.org/2009/xmlenc11#aes128-gcm',
  'aes256-gcm': 'http://www.w3.org/2009/xmlenc11#aes256-gcm',
  'aes128-cbc': 'http://www.w3.org/2001/04/xmlenc#aes128-cbc',
  'aes256-cbc': 'http://www.w3.org/2001/04/xmlenc#aes256-cbc',
  'rsa-oaep': 'http://www.w3.org/2001/04/xmlenc#rsa-oaep-mgf1p',
  'rsa-oaep-11': 'http://www.w3.org/2009/xmlenc11#rsa-oaep',
  'tripledes-cbc': 'http://www.w3.org/2001/04/xmlenc#tripledes-cbc',
  'rsa-1_5': 'http://www.w3.org/2001/04/xmlenc#rsa-1_5',
} as const;
export type EncryptionAlgorithm = keyof typeof ENCRYPTION_ALGORITHMS;
/** The default: AES (GCM or CBC) data encryption, RSA-OAEP key transport. */
export const SAFE_ENCRYPTION_ALGORITHMS: EncryptionAlgorithm[] = ['aes128-gcm', 'aes256-gcm', 'aes128-cbc', 'aes256-cbc', 'rsa-oaep', 'rsa-oaep-11'];

const metadataTrustSchema = {
  /**
   * When set, the metadata must carry an enveloped XML signature on its root that verifies with
   * this certificate (the federation operator's metadata signing certificate, PEM file).
   */
  signingCertFile: z.string().min(1).optional(),
};

export const samlSettingsSchema = z.strictObject({
  /** The IdP's metadata: a local file (preferred: reviewed and versioned) or a URL refreshed periodically. */
  idpMetadata: z.union([
    z.strictObject({ file: z.string().min(1), ...metadataTrustSchema }),
    z.strictObject({
      url: z.url(),
      /** Used while the URL cannot be read (at start too). */
      fallbackFile: z.string().min(1).optional(),
      refreshMinutes: z.number().int().min(5).default(60),
      ...metadataTrustSchema,
    }),
  ]),
  /** Our SP entity id; default `<issuer>/federation/<connector id>/metadata` (where the metadata is published). */
  spEntityId: z.string().min(1).optional(),
  /** Signs our AuthnRequests (RSA-SHA256). */
  signing: keyPairSchema,
  /** Decrypts the IdP's encrypted assertions; published in our metadata with use="encryption". */
  encryption: keyPairSchema.optional(),
  /** ÉduConnect sends encrypted assertions: refuse clear ones when true. */
  wantAssertionsEncrypted: z.boolean().default(true),
  /** Require the Response's own signature. */
  wantResponseSigned: z.boolean().default(true),
  /** Require the Assertion's own signature (inside the encryption, for encrypted assertions). */
  wantAssertionSigned: z.boolean().default(true),
  /**
   * Algorithms accepted in EncryptedAssertions (EncryptionMethod of the data and of the key).
   * Absent: AES-GCM/CBC with RSA-OAEP, plus 3DES and RSA 1.5 outside production mode (test IdPs).
   */
  encryptionAlgorithms: z.array(z.enum(Object.keys(ENCRYPTION_ALGORITHMS) as [EncryptionAlgorithm, ...EncryptionAlgorithm[]])).min(1).optional(),
  /** Bounded tolerance on NotBefore / NotOnOrAfter / IssueInstant. */
  clockSkewSeconds: z.number().int().min(0).max(300).default(60),
  /** How long a sent AuthnRequest may be answered. */
  requestTtlSeconds: z.number().int().min(30).max(3600).default(600),
  /**
   * Attribute names that differ from the profile's defaults, by logical name (ÉduConnect:
   * `refId` for FrEduCtRefId, whose OID is unverified; académie: `email`, `rne`…).
   */
  attributes: z.record(z.string(), z.string().min(1)).default({}),
}).refine((s) => s.wantResponseSigned || s.wantAssertionSigned, { message: 'at least one of wantResponseSigned and wantAssertionSigned must be true' })
  .refine((s) => !s.wantAssertionsEncrypted || s.encryption !== undefined, { message: 'wantAssertionsEncrypted needs an encryption key pair', path: ['encryption'] });
export type SamlSettings = z.infer<typeof samlSettingsSchema>;
