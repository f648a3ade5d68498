/**
 * The hub's configuration schema. Defaults are documented here, next to the field; the
 * shipped `config/default.yaml` repeats them for operators. Every object is strict: an unknown
 * key is a typo, and a typo in a security setting must stop the start, not be ignored.
 */
import proxyaddr from 'proxy-addr';
import { z } from 'zod';
import { authConfigSchema } from '../auth/config.js';
import { LOCAL_STANDIN_DIR, platformFederationSchema, usesLocalStandIn } from '../federation/config.js';

const seconds = z.number().int().positive();

function compilesAsProxyList(list: string[]): boolean {
  try {
    proxyaddr.compile(list);
    return true;
  } catch {
    return false;
  }
}

const resourceSchema = z.strictObject({
  /** The resource indicator (RFC 8707) clients ask for, usually the API's base URL. */
  indicator: z.url(),
  /** Scopes this API accepts, space-separated in tokens. */
  scopes: z.array(z.string().min(1)).min(1),
  /** Access token lifetime for this API. Default 1 h. */
  accessTokenTtl: seconds.default(3600),
  /** ES256 by default: about twice as fast to sign as RS256 here (ARCHITECTURE.md). */
  signingAlg: z.enum(['ES256', 'RS256']).default('ES256'),
});

/**
 * The ID token algorithms a client may ask for: those of the hub's key set. PS256 is missing on
 * purpose: the RSA key is pinned to `alg: RS256`, so oidc-provider offers no PS256 and would
 * refuse such a client at its first request. Add PS256 here with a PS256 key in
 * src/oidc/keys.ts.
 */
export const ID_TOKEN_ALGS = ['ES256', 'RS256'] as const;

const clientSchema = z.strictObject({
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

export const configSchema = z.strictObject({
  /** `production` refuses unsafe shortcuts: in-memory sessions, generated keys, demo data, default cookie keys. */
  mode: z.enum(['development', 'production']).default('development'),
  /**
   * Public issuer URL (env HUB_ISSUER): the address browsers and RPs reach the hub at, also the
   * prefix of every endpoint. Must be https in production. When neither HUB_ISSUER nor the
   * HUB_CONFIG file sets it, `loadConfig` derives it from `http`: `http://localhost:<port>`
   * (`http://<host>:<port>` when the hub listens on one address only), so `PORT=3456 npm start`
   * works as is. `http://localhost:3000` when this schema is used alone.
   */
  issuer: z.url().default('http://localhost:3000'),
  http: z.strictObject({
    /** env PORT. Default 3000; 0 (a free port) needs an explicit issuer. */
    port: z.number().int().min(0).max(65535).default(3000),
    /** env HOST: the address to listen on. Default 0.0.0.0 (every IPv4 interface). */
    host: z.string().default('0.0.0.0'),
    /**
     * The reverse proxies in front of the hub, whose X-Forwarded-* headers are believed. Default
     * `false`: none, the TCP peer is the client. A list of the proxies' addresses or CIDR ranges
     * (`['10.0.0.0/8']`; `loopback`, `linklocal`, `uniquelocal` stand for their ranges) is the
     * safest; a number N trusts the N nearest hops whatever their address; `true` means 1 (one
     * proxy). The client's address is the rightmost X-Forwarded-For entry not added by a trusted
     * proxy: the throttles and the audit log can no longer be given a made-up address.
     */
    trustProxy: z.union([
      z.boolean(),
      z.number().int().min(0).max(10),
      z.array(z.string().min(1)).min(1).refine(compilesAsProxyList, 'IP addresses, CIDR ranges, or loopback / linklocal / uniquelocal'),
    ]).default(false),
    /** Largest request body accepted on the hub's own forms. */
    maxBodyBytes: z.number().int().positive().default(16 * 1024),
    /** Seconds given to open requests on SIGTERM before connections are closed. */
    shutdownGraceSeconds: seconds.default(10),
  }).prefault({}),
  database: z.strictObject({
    /** `sqlite:<file>` (embedded default) or `postgres://…` (env DATABASE_URL). */
    url: z.string().regex(/^(sqlite:|postgres(ql)?:\/\/)/, 'must start with sqlite: or postgres://').default('sqlite:data/hub.sqlite'),
  }).prefault({}),
  redis: z.strictObject({
    /** `redis://…` (env REDIS_URL). Absent: in-memory sessions, development only. */
    url: z.string().regex(/^rediss?:\/\//, 'must start with redis:// or rediss://').optional(),
    /** Prefix of every key the hub writes, so several hubs can share one Redis. */
    keyPrefix: z.string().default('hub:'),
  }).prefault({}),
  keys: z.strictObject({
    /** Folder of the signing key set (`jwks.json`), env HUB_KEYS_DIR. */
    dir: z.string().default('keys'),
  }).prefault({}),
  tenants: z.strictObject({
    /** Folder of `*.yaml` tenant definitions, env HUB_TENANTS_DIR. */
    dir: z.string().default('tenants'),
  }).prefault({}),
  log: z.strictObject({
    /** env LOG_LEVEL. */
    level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  }).prefault({}),
  oidc: z.strictObject({
    /** Keys signing the hub's cookies, newest first (env HUB_COOKIE_KEYS, comma-separated). Required in production. */
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
  }).prefault({}),
  /** Local accounts: password policy, second factor, activation, brute-force limits; see src/auth/config.ts. */
  auth: authConfigSchema.prefault({}),
  /** Upstream identity providers of the platform (ÉduConnect); see src/federation/config.ts. */
  federation: platformFederationSchema.prefault({}),
  /** Platform clients declared in config (ONE, NEO…), mirrored into the store at start. */
  clients: z.array(clientSchema).default([]),
  demo: z.strictObject({
    /** Seed the demo accounts and structures at start (development only). */
    seed: z.boolean().default(false),
  }).prefault({}),
});

export type HubConfig = z.infer<typeof configSchema>;
export type ClientConfig = z.infer<typeof clientSchema>;
export type ResourceConfig = z.infer<typeof resourceSchema>;

/** Scopes the hub knows: the OIDC and ENT ones, plus those of the configured APIs. */
export const BASE_SCOPES = ['openid', 'offline_access', 'profile', 'email', 'ent', 'ent_children'];

/** Rules that span several fields; each returns a message for the path it names. */
export function crossFieldIssues(config: HubConfig): string[] {
  const issues: string[] = [];
  const known = new Set([...BASE_SCOPES, ...config.oidc.resources.flatMap((r) => r.scopes)]);
  config.clients.forEach((client, i) => {
    const unknown = client.scopes.filter((s) => !known.has(s));
    if (unknown.length) issues.push(`clients.${i}.scopes: unknown scope(s) ${unknown.join(', ')} (declare them under oidc.resources)`);
  });
  return config.mode === 'production' ? [...issues, ...productionIssues(config)] : issues;
}

function productionIssues(config: HubConfig): string[] {
  const issues: string[] = [];
  if (!config.issuer.startsWith('https://')) issues.push('issuer: must be an https:// URL in production (set HUB_ISSUER to the public address of the hub)');
  if (!config.redis.url) issues.push('redis.url: required in production (sessions and tokens must survive a restart and be shared)');
  if (!config.oidc.cookieKeys) issues.push('oidc.cookieKeys: required in production (set HUB_COOKIE_KEYS)');
  if (!config.auth.secretsKey) issues.push('auth.secretsKey: required in production (set HUB_SECRETS_KEY; it encrypts TOTP secrets)');
  if (config.demo.seed) issues.push('demo.seed: must be false in production');
  if (config.database.url.startsWith('sqlite:')) issues.push('database.url: PostgreSQL is required in production');
  config.federation.connectors.forEach((c, i) => {
    if (usesLocalStandIn(c)) {
      issues.push(`federation.connectors.${i}: "${c.id}" is the local ÉduConnect stand-in of development (${LOCAL_STANDIN_DIR}): declare the real connector under federation.connectors in the HUB_CONFIG file`);
    }
  });
  return issues;
}
