/**
 * Configuration of upstream identity connectors: the platform's (ÉduConnect, in the hub's
 * config under `federation`) and each tenant's (its académie staff IdP, in `tenants/*.yaml`
 * under `connectors`).
 *
 * A connector may be declared disabled with only its id, type and label (the samples do): the
 * protocol settings are required only once it is enabled, so a tenant can be prepared before
 * its IdP is.
 */
import { z } from 'zod';
import { authnLevelSchema } from './core/authn-level.js';

/** A secret is never written in a file: it is read from the environment or a file. */
export const secretRefSchema = z.union([
  z.strictObject({ env: z.string().regex(/^[A-Z_][A-Z0-9_]*$/, 'an environment variable name') }),
  z.strictObject({ file: z.string().min(1) }),
], { error: 'a secret is never written in clear: { env: NAME } or { file: PATH }' });
export type SecretRef = z.infer<typeof secretRefSchema>;

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

export const oidcSettingsSchema = z.strictObject({
  /** The upstream issuer; its discovery document is read from `<issuer>/.well-known/openid-configuration`. */
  issuer: z.url(),
  clientId: z.string().min(1),
  /** Absent: a public client (PKCE only). */
  clientSecret: secretRefSchema.optional(),
  scopes: z.array(z.string().min(1)).default(['openid', 'profile', 'email']),
  /** Upstream claim names read into the identity (the académies' FIM names by default). */
  claims: z.strictObject({
    subject: z.string().default('sub'),
    givenName: z.string().default('given_name'),
    familyName: z.string().default('family_name'),
    /** The académie e-mail; tried in order (DOMAIN.md: `mail`, fallback `ctemail`). */
    email: z.array(z.string()).min(1).default(['email', 'mail', 'ctemail']),
    rne: z.string().default('FrEduRne'),
  }).prefault({}),
  /** Tolerance on the ID token's iat/exp. */
  clockSkewSeconds: z.number().int().min(0).max(300).default(60),
  /**
   * The standard `email` claim links only with `email_verified: true` (many OIDC providers let
   * users edit it); the claims named here are directory attributes the académie sets itself and
   * are trusted as they are.
   */
  directoryEmailClaims: z.array(z.string()).default(['mail', 'ctemail']),
  /** Accepted ID token signature algorithms. */
  idTokenAlgorithms: z.array(z.enum(['RS256', 'PS256', 'ES256', 'RS512', 'PS512', 'ES384', 'EdDSA'])).min(1).default(['RS256', 'PS256', 'ES256']),
  /** Allows http:// issuers (tests, development); refused in production by the hub's checks. */
  allowInsecureHttp: z.boolean().default(false),
});
export type OidcSettings = z.infer<typeof oidcSettingsSchema>;

/** How the upstream's answer becomes an identity, and how it is matched to an imported account. */
export const CONNECTOR_PROFILES = ['educonnect', 'academie'] as const;
export type ConnectorProfile = (typeof CONNECTOR_PROFILES)[number];

/** Where `npm run educonnect:local` (scripts/educonnect-local.ts) writes its files: development only. */
export const LOCAL_STANDIN_DIR = 'data/educonnect-local';

/** The files a SAML connector reads: IdP metadata (or its fallback), its signing certificate, our key pairs. */
export function samlFilesOf(settings: SamlSettings): string[] {
  const metadata = settings.idpMetadata;
  return [
    'file' in metadata ? metadata.file : metadata.fallbackFile,
    metadata.signingCertFile,
    ...[settings.signing, settings.encryption].flatMap((pair) => (pair ? [pair.keyFile, pair.certFile] : [])),
  ].filter((file): file is string => file !== undefined);
}

/** First path segments of the federation routes: a connector with one of these ids would be shadowed. */
export const RESERVED_CONNECTOR_IDS = ['start', 'staff', 'back', 'continue', 'choose', 'logout', 'metadata', 'acs', 'callback', 'slo'] as const;

/** Functions (the 4th field of FrEduRne, or FrEduFonctAdm) of teaching staff (DOMAIN.md). */
export const DEFAULT_TEACHING_FUNCTIONS = ['ENS', 'DOC'];

const accountCreationSchema = z.strictObject({
  /**
   * The profile of a staff account: `byFunction` makes Teacher whoever has a teaching function in
   * one of their FrEduRne values (`teachingFunctions`), else Personnel; or always one of them
   * (an IdP serving only teachers, or only administration).
   */
  staffProfile: z.enum(['byFunction', 'Teacher', 'Personnel']).default('byFunction'),
  teachingFunctions: z.array(z.string().regex(/^[A-Z0-9]{2,10}$/, 'an upper-case function code (ENS, DOC…)')).min(1).default(DEFAULT_TEACHING_FUNCTIONS),
});
export type AccountCreationConfig = z.infer<typeof accountCreationSchema>;

function connectorSchema(defaultProfile: ConnectorProfile) {
  return z.strictObject({
    id: z.string().regex(/^[a-z0-9-]{2,40}$/, 'lower-case letters, digits and -')
      .refine((id) => !(RESERVED_CONNECTOR_IDS as readonly string[]).includes(id), { message: `reserved (the federation routes use ${RESERVED_CONNECTOR_IDS.join(', ')})` }),
    type: z.enum(['saml', 'oidc']),
    /** The label on the login page. */
    displayName: z.string().min(1),
    enabled: z.boolean().default(false),
    profile: z.enum(CONNECTOR_PROFILES).default(defaultProfile),
    /**
     * Link only, never create (the default): a login that matches no imported account gets the
     * "no account" page. `false`: such a login creates an active, password-less account in the
     * connector's tenant from what the upstream vouches for (../linking/provision.ts).
     */
    linkOnly: z.boolean().default(true),
    /** How `linkOnly: false` makes the account; ignored while linkOnly is true. */
    accountCreation: accountCreationSchema.prefault({}),
    /**
     * Domains of the académie e-mail addresses this IdP serves (login_hint routing, and the only
     * domains matched); empty: the tenant's directory sources' `academicDomains`.
     */
    emailDomains: z.array(z.string().min(3)).default([]),
    /** The `acr` of sign-ins through this connector (src/federation/core/authn-level.ts). */
    acr: authnLevelSchema.prefault({}),
    saml: samlSettingsSchema.optional(),
    oidc: oidcSettingsSchema.optional(),
  }).superRefine((c, ctx) => {
    if (!c.enabled) return;
    if (c.type === 'saml' && !c.saml) ctx.addIssue({ code: 'custom', path: ['saml'], message: 'required when the connector is enabled' });
    if (c.type === 'oidc' && !c.oidc) ctx.addIssue({ code: 'custom', path: ['oidc'], message: 'required when the connector is enabled' });
  });
}

/** A tenant's connector: its académie staff IdP. */
export const tenantConnectorSchema = connectorSchema('academie');

/** A platform connector (ÉduConnect): the profile defaults to educonnect. */
export const platformConnectorSchema = connectorSchema('educonnect');

export const platformFederationSchema = z.strictObject({
  /** Platform-wide connectors (ÉduConnect). */
  connectors: z.array(platformConnectorSchema).default([]),
  /** Remember the user's last choice on the login page for this many days (0: never). */
  rememberChoiceDays: z.number().int().min(0).max(400).default(180),
  /**
   * How often an unavailable connector is opened again, in seconds. A connector is unavailable
   * (the login page says so; the hub runs) while a file it needs does not exist yet (the IdP's
   * metadata before the metadata exchange, a key or certificate file) or its metadata URL does
   * not answer; it opens at the first retry after the file appears, without a restart. Any
   * other configuration error stops the start.
   */
  retrySeconds: z.number().int().min(1).max(3600).default(15),
});

export type TenantConnectorConfig = z.infer<typeof tenantConnectorSchema>;
export type ConnectorConfig = TenantConnectorConfig;
export type PlatformFederationConfig = z.infer<typeof platformFederationSchema>;
