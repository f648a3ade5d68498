/**
 * The OIDC module's settings: the `oidc` section of the hub's config and the clients it declares.
 * Defaults are documented here, beside the schema; src/config composes this section.
 */
import { z } from 'zod';

const seconds = z.number().int().positive();

export const resourceSchema = z.strictObject({
  /** The resource indicator (RFC 8707) clients ask for, usually the API's base URL. */
  indicator: z.url(),
  /** Scopes this API accepts, space-separated in tokens. */
  scopes: z.array(z.string().min(1)).min(1),
  /** Access token lifetime for this API. Default 1 h. */
  accessTokenTtl: seconds.default(3600),
  /** ES256 by default: cheaper to sign than RS256 (README, Benchmark). */
  signingAlg: z.enum(['ES256', 'RS256']).default('ES256'),
});

/**
 * The ID token algorithms a client may ask for: those of the hub's key set. PS256 is missing on
 * purpose: the RSA key is pinned to `alg: RS256`, so oidc-provider offers no PS256 and would
 * refuse such a client at its first request. Add PS256 here with a PS256 key in
 * src/oidc/keys.ts.
 */
export const ID_TOKEN_ALGS = ['ES256', 'RS256'] as const;

export const clientSchema = z.strictObject({
  clientId: z.string().regex(/^[a-z0-9][a-z0-9._-]{1,63}$/, 'lower-case letters, digits, . _ -'),
  name: z.string().min(1),
  /** First-party clients (ONE, NEO) skip the consent page. */
  firstParty: z.boolean().default(false),
  /** SHA-256 (hex) of the client secret; absent for a public client (PKCE only). */
  secretSha256: z.string().regex(/^[0-9a-f]{64}$/, '64 hex characters').optional(),
  redirectUris: z.array(z.url()).min(1),
  postLogoutRedirectUris: z.array(z.url()).default([]),
  grantTypes: z.array(z.enum(['authorization_code', 'refresh_token', 'client_credentials'])).default(['authorization_code', 'refresh_token']),
  /** Scopes the client may request. */
  scopes: z.array(z.string().min(1)).default(['openid', 'profile', 'email', 'ent']),
  /**
   * OpenID Connect Back-Channel Logout: the hub POSTs a logout token here when the user's
   * session ends (the token carries `sid`). Absent: no back-channel logout. A private address
   * must be listed in `oidc.outboundPrivateHosts`.
   */
  backchannelLogoutUri: z.url().optional(),
  /**
   * `id_token_signed_response_alg`: RS256 (default; what most RPs accept) or ES256. The key set
   * holds one ES256 and one RS256 key (`hub keys generate`); see ID_TOKEN_ALGS.
   */
  idTokenSignedResponseAlg: z.enum(ID_TOKEN_ALGS).default('RS256'),
  /**
   * Tenants whose accounts the client serves. Absent: a platform client serves every tenant, a
   * client registered for a tenant (`hub clients create --tenant`) serves that tenant only.
   * Another tenant's account gets a refusal page, and the client nothing of it.
   */
  servedTenants: z.array(z.string().regex(/^[a-z0-9-]{1,32}$/, 'a tenant id')).min(1).optional(),
  /**
   * Origins (`https://app.example`, no path) from which a public browser client (no secret) calls
   * the token, userinfo, revocation and PAR endpoints. Default none: no cross-origin call is
   * allowed; a confidential client may not declare any (its secret never belongs in a browser).
   */
  webOrigins: z.array(z.url().refine((u) => URL.parse(u)?.origin === u, 'an origin: scheme, host and port, no path')).default([]),
}).refine((c) => !(c.secretSha256 && c.webOrigins.length), { path: ['webOrigins'], message: 'only a public client (without secretSha256) calls the hub from a browser' });

/** The `oidc` section. */
export const oidcConfigSchema = z.strictObject({
  /**
   * Keys signing the hub's cookies, newest first (env HUB_COOKIE_KEYS, comma-separated). Optional:
   * the cookie keys live in the store (src/auth/cookie-keys.ts); a first start stores these (the
   * first signs), else generates one; afterwards `hub keys rotate --use cookie` changes them.
   */
  cookieKeys: z.array(z.string().min(32, 'at least 32 characters')).min(1).optional(),
  /** PKCE (S256) for every client (`all`, the default) or only public ones. */
  pkce: z.enum(['all', 'public']).default('all'),
  ttl: z.strictObject({
    accessToken: seconds.default(3600),
    authorizationCode: seconds.default(60),
    idToken: seconds.default(3600),
    interaction: seconds.default(600),
    refreshToken: seconds.default(14 * 24 * 3600),
    session: seconds.default(8 * 3600),
    grant: seconds.default(14 * 24 * 3600),
  }).prefault({}),
  /**
   * Hosts the hub may call although they resolve to private, loopback or other special-use
   * addresses. Default `[]`: none. oidc-provider refuses, after DNS resolution, every outgoing
   * request (back-channel logout, a client's `jwks_uri` for private_key_jwt, sector identifier
   * URIs) to 10/8, 172.16/12, 192.168/16, 127/8, 169.254/16, 100.64/10, fc00::/7, ::1… so
   * that a client's URL cannot make the hub probe the internal network (SSRF).
   *
   * An entry is compared, exactly, with the hostname of the URL being called (WHATWG
   * `URL.hostname`: lower case, no port, IPv6 in brackets): `rp.intra.hdf.example`,
   * `10.20.0.15`, `[fd00::15]`. No wildcards or ranges. For a listed host the address check
   * is skipped entirely, whatever the name resolves to: list only hosts whose DNS the région
   * controls, e.g. an RP receiving back-channel logout inside the région's network. Requests
   * keep oidc-provider's 2.5 s timeout.
   */
  outboundPrivateHosts: z.array(z.string().min(1)).default([]),
  /** APIs that receive JWT access tokens. */
  resources: z.array(resourceSchema).default([]),
  /**
   * How long a hub process keeps its copy of a client (and of the public clients' web origins)
   * read from the store, in seconds: a client changed through another process takes effect here
   * within this delay (at once on the process that changed it). Default 30.
   */
  clientCacheSeconds: z.number().int().min(1).max(3600).default(30),
});

/** Scopes the hub knows: the OIDC and ENT ones, plus those of the configured APIs. */
/** `admin`: the admin API's; what a token may do there comes from the role grants of its subject. */
export const BASE_SCOPES = ['openid', 'offline_access', 'profile', 'email', 'ent', 'ent_children', 'admin'];

export type OidcConfig = z.infer<typeof oidcConfigSchema>;
export type ClientConfig = z.infer<typeof clientSchema>;
export type ResourceConfig = z.infer<typeof resourceSchema>;

/** What the provider is built from: the issuer, the `oidc` section, and whether a proxy stands in front. */
export interface ProviderSettings {
  issuer: string;
  oidc: OidcConfig;
  behindProxy: boolean;
}
