/**
 * The SAML identity provider's settings: the `samlIdp` section of the hub's config (partner
 * resources, the GAR first). Defaults are documented here, beside the schema; src/config
 * composes this section.
 */
import { z } from 'zod';
import { readSecret, secretRefSchema } from '../../shared/secrets.js';

const seconds = z.number().int().positive();

export const KEY_USES = ['signing', 'encryption', 'both'] as const;
export type KeyUse = (typeof KEY_USES)[number];

export const idpKeyPairSchema = z.strictObject({
  /** PEM private key; a relative path is relative to `keys.dir`. */
  keyFile: z.string().min(1),
  /** PEM certificate of that key, as published in the metadata; relative to `keys.dir` too. */
  certFile: z.string().min(1),
  /** What SPs may use the certificate for. Default `both`. */
  use: z.enum(KEY_USES).default('both'),
});

/** An aggregate's refresh period unless given: 6 hours. */
export const DEFAULT_AGGREGATE_REFRESH_SECONDS = 6 * 3600;

/**
 * A metadata aggregate (an md:EntitiesDescriptor, possibly nested) whose SPs the hub registers
 * and keeps up to date: the GAR's, a federation's.
 */
export const spAggregateSchema = z.strictObject({
  /** Names the aggregate in reports and as its SPs' source (`aggregate <id>`). */
  id: z.string().regex(/^[a-z0-9][a-z0-9_-]{0,62}$/, 'lower-case letters, digits, - and _ (at most 63)'),
  /** Where the aggregate is fetched: https in production. */
  url: z.url(),
  /**
   * PEM certificate of the key that signs the aggregate: required, an unsigned or otherwise
   * signed copy is refused. A relative path is relative to `keys.dir`.
   */
  certFile: z.string().min(1),
  /** Who owns its SPs: `platform` (default) or a tenant id. */
  owner: z.string().min(1).default('platform'),
  /** The release policy of the SPs it adds (updates keep theirs). Default `generic`, the one that releases least. */
  releasePolicy: z.string().min(1).default('generic'),
  /** How often it is fetched again. Default 6 h; the document's cacheDuration, if shorter, wins. */
  refreshSeconds: seconds.default(DEFAULT_AGGREGATE_REFRESH_SECONDS),
  /** Where the last good copy is kept (`<cacheDir>/<id>.xml`), read at start when the URL does not answer. Default `data/saml-aggregates`. */
  cacheDir: z.string().min(1).optional(),
});

/** The `samlIdp` section. */
export const samlIdpConfigSchema = z.strictObject({
  /** Serve the SAML IdP (metadata, SSO, SLO under /saml). Default true. */
  enabled: z.boolean().default(true),
  /**
   * The IdP's entityID. Default `<issuer>/saml/metadata`: the URL the metadata is served at,
   * which is what the GAR expects.
   */
  entityId: z.url().optional(),
  metadata: z.strictObject({
    /** How long a copy of the metadata stays valid (`validUntil` = signing time + this). Default 7 days. */
    validSeconds: seconds.default(7 * 24 * 3600),
    /** How long an SP may keep a copy before fetching again (`cacheDuration`, HTTP max-age). Default 1 day. */
    cacheSeconds: seconds.default(24 * 3600),
  }).prefault({}).refine((m) => m.cacheSeconds < m.validSeconds, { path: ['cacheSeconds'], message: 'must be shorter than validSeconds, or a cached copy outlives its validity' }),
  /**
   * Secret salt of the pairwise (persistent) NameIDs, as Shibboleth's ComputedId: `{ env }` or
   * `{ file }`. Optional: the salt lives in the store (pairwise-salt.ts); a first start stores
   * this one, else a random one. Once stored it never changes, as that would change every
   * persistent NameID an SP has stored: a configured salt that differs refuses the start.
   */
  pairwiseSalt: secretRefSchema.optional(),
  /**
   * The IdP's key pairs. The first pair of each use (`signing` or `both`; `encryption` or
   * `both`) is active; the others are published only, so SPs learn a new certificate before it
   * signs (rotation) and keep the old one while their copies expire. Default `[]`: production
   * refuses to start without one; development generates `saml-idp.key` / `saml-idp.crt` (use
   * `both`) in `keys.dir` once and reuses them.
   */
  keys: z.array(idpKeyPairSchema).default([]).refine((pairs) => pairs.length === 0 || pairs.some((p) => p.use !== 'encryption'), 'at least one key pair must sign (use: signing or both)'),
  /** How far the SPs' clocks may be off, for the IssueInstant of their requests. Default 60. */
  clockSkewSeconds: z.number().int().min(0).max(300).default(60),
  /** The SP metadata aggregates refreshed on a schedule (`hub saml sp refresh` runs one pass). Default `[]`. */
  aggregates: z.array(spAggregateSchema).default([]).refine((list) => new Set(list.map((a) => a.id)).size === list.length, 'two aggregates have the same id'),
});

export type SamlIdpConfig = z.infer<typeof samlIdpConfigSchema>;
export type IdpKeyPairConfig = z.infer<typeof idpKeyPairSchema>;
export type SpAggregateConfig = z.infer<typeof spAggregateSchema>;

/** What the IdP is built from: the hub's issuer and mode, the keys folder, and its own section. */
export interface IdpSettings {
  issuer: string;
  mode: 'development' | 'production';
  keysDir: string;
  idp: SamlIdpConfig;
}

/** The IdP's entityID: the configured one, or the metadata URL. */
export function idpEntityId(settings: Pick<IdpSettings, 'issuer' | 'idp'>): string {
  return settings.idp.entityId ?? `${settings.issuer.replace(/\/+$/, '')}/saml/metadata`;
}

/** The configured pairwise-NameID salt, read; undefined when none is configured (the store's is used). */
export function configuredPairwiseSalt(settings: Pick<IdpSettings, 'idp'>, env: NodeJS.ProcessEnv = process.env): string | undefined {
  const ref = settings.idp.pairwiseSalt;
  return ref ? readSecret(ref, 'samlIdp.pairwiseSalt', env) : undefined;
}
