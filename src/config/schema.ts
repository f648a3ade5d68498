/**
 * The hub's configuration schema. Defaults are documented here, next to the field; the
 * shipped `config/default.yaml` repeats them for operators. Every object is strict: an unknown
 * key is a typo, and a typo in a security setting must stop the start, not be ignored.
 */
import proxyaddr from 'proxy-addr';
import { z } from 'zod';
import { authConfigSchema } from '../auth/config.js';
import { BASE_SCOPES, clientSchema, oidcConfigSchema } from '../oidc/config.js';
import { LOCAL_STANDIN_DIR, platformFederationSchema, usesLocalStandIn } from '../federation/config.js';
import { garExportConfigSchema } from '../gar/config.js';
import { samlIdpConfigSchema } from '../saml/idp/config.js';
import { redisConfigSchema, redisConfigured } from './redis.js';

const seconds = z.number().int().positive();

function compilesAsProxyList(list: string[]): boolean {
  try {
    proxyaddr.compile(list);
    return true;
  } catch {
    return false;
  }
}

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
    /**
     * Streaming replicas of the PostgreSQL primary (env DATABASE_REPLICAS, comma-separated): the
     * admin search, dashboard figures, audit search and export and the GAR export read there,
     * and may be a little behind; everything else stays on the primary.
     */
    replicas: z.array(z.string().regex(/^postgres(ql)?:\/\//, 'must start with postgres://')).default([]),
  }).prefault({}),
  /** One server, Sentinel or Cluster; see src/config/redis.ts. */
  redis: redisConfigSchema.prefault({}),
  keys: z.strictObject({
    /**
     * Folder of the key files of hubs before the keys moved to the store (`jwks.json`, the SAML
     * IdP's development pair), env HUB_KEYS_DIR: what a first start or `hub keys import` takes in.
     */
    dir: z.string().default('keys'),
    /** How long `hub keys rotate` publishes a new key before it signs. Default 24 h. */
    publishDelaySeconds: z.number().int().min(0).default(24 * 3600),
    /** How often every node reads the keys in the store again (a rotation elsewhere, a key's time come). Default 60. */
    refreshSeconds: z.number().positive().default(60),
  }).prefault({}),
  tenants: z.strictObject({
    /** Folder of `*.yaml` tenant definitions, env HUB_TENANTS_DIR. */
    dir: z.string().default('tenants'),
    /**
     * How long a hub process may serve a school's GAR switch as it was before an admin changed
     * it through another process, in seconds (at once on the process that switched it). Default 30.
     */
    garSwitchesSeconds: seconds.max(3600).default(30),
  }).prefault({}),
  /**
   * Prometheus metrics, served at /metrics on a listener of their own, never on the public port.
   * Off by default (env HUB_METRICS_ENABLED=true); on loopback unless told otherwise (env
   * HUB_METRICS_HOST, e.g. 0.0.0.0 in a container scraped from outside; HUB_METRICS_PORT).
   */
  metrics: z.strictObject({
    enabled: z.boolean().default(false),
    host: z.string().default('127.0.0.1'),
    /** 0: a free port (tests). */
    port: z.number().int().min(0).max(65535).default(9464),
  }).prefault({}),
  log: z.strictObject({
    /** env LOG_LEVEL. */
    level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  }).prefault({}),
  oidc: oidcConfigSchema.prefault({}),
  /** Local accounts: password policy, second factor, activation, brute-force limits; see src/auth/config.ts. */
  auth: authConfigSchema.prefault({}),
  /** Upstream identity providers of the platform (ÉduConnect); see src/federation/config.ts. */
  federation: platformFederationSchema.prefault({}),
  /** The SAML IdP of partner resources (the GAR): entityID, metadata, keys; see src/saml/idp/config.ts. */
  samlIdp: samlIdpConfigSchema.prefault({}),
  /** The GAR annuaire export: output folder, file size, XSD, the GAR's SFTP server; see src/gar/config.ts. */
  garExport: garExportConfigSchema.prefault({}),
  /** Platform clients declared in config (ONE, NEO…), mirrored into the store at start. */
  clients: z.array(clientSchema).default([]),
  demo: z.strictObject({
    /** Seed the demo accounts and structures at start (development only). */
    seed: z.boolean().default(false),
  }).prefault({}),
});

export type HubConfig = z.infer<typeof configSchema>;

/** Rules that span several fields; each returns a message for the path it names. */
export function crossFieldIssues(config: HubConfig): string[] {
  const issues: string[] = [];
  if (config.database.replicas.length > 0 && config.database.url.startsWith('sqlite:')) issues.push('database.replicas: replicas go with a PostgreSQL database.url');
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
  if (!redisConfigured(config.redis)) issues.push('redis.url: required in production, or redis.sentinels, or redis.cluster (sessions and tokens must survive a restart and be shared)');
  if (!config.auth.secretsKey) issues.push('auth.secretsKey: required in production (set HUB_SECRETS_KEY; it encrypts TOTP secrets and the keys in the store: signing keys, cookie keys, the pairwise salt)');
  if (config.demo.seed) issues.push('demo.seed: must be false in production');
  if (config.database.url.startsWith('sqlite:')) issues.push('database.url: PostgreSQL is required in production');
  config.federation.connectors.forEach((c, i) => {
    if (usesLocalStandIn(c)) {
      issues.push(`federation.connectors.${i}: "${c.id}" is the local ÉduConnect stand-in of development (${LOCAL_STANDIN_DIR}): declare the real connector under federation.connectors in the HUB_CONFIG file`);
    }
  });
  return issues;
}
