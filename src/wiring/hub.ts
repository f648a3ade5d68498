/**
 * The served hub, assembled: stores, keys, session storage, the sign-in (provider, federation,
 * interactions) and the HTTP app, built from the configuration and handed down. `hub serve`,
 * the test harness and the benchmark all start the hub through `buildHub`.
 */
import type Router from '@koa/router';
import type Koa from 'koa';
import { LocalAuth } from '../auth/local-auth.js';
import { LoginThrottle } from '../auth/login-throttle.js';
import { AuthPolicies } from '../auth/policy.js';
import { SecretBox } from '../auth/secret-box.js';
import { join } from 'node:path';
import { PROJECT_ROOT } from '../config/load.js';
import type { HubConfig } from '../config/schema.js';
import { createFederation, defaultRegistry } from '../federation/index.js';
import { createHttpApp } from '../http/app.js';
import { behindProxy } from '../http/client-address.js';
import type { AdminRoute } from '../admin/api/kit.js';
import { openAdmin } from '../admin/open.js';
import { adminTokenReader } from '../oidc/admin-tokens.js';
import { corsGuard } from '../oidc/cors.js';
import { interactionRouter } from '../oidc/interactions/routes.js';
import { keySetOf } from '../oidc/keys.js';
import { followKeys } from '../oidc/key-rotation.js';
import type { ProviderSettings } from '../oidc/config.js';
import { createProvider, forgetClient } from '../oidc/provider.js';
import { oidcSignIn } from '../oidc/sign-in.js';
import { countTokens } from '../oidc/provider-metrics.js';
import { tenantOfClient } from '../oidc/request-tenant.js';
import { loginProtocols } from '../login/protocols.js';
import { openSamlIdp } from '../saml/idp/open.js';
import type { Logger } from '../shared/logger.js';
import { NO_METRICS, type HubMetrics, type MetricsExposition } from '../shared/metrics.js';
import type { PlatformStore } from '../storage/ports/index.js';
import { adminImports } from './admin-imports.js';
import { mirrorDeclaredClients } from './declarations.js';
import { lockService } from './locks.js';
import { PrometheusMetrics } from './metrics.js';
import { wireDevelopment } from './development.js';
import { openPlatformStore, openSessionStorage, type SessionStorage } from './stores.js';
import { connectorsInFiles, TenantDirectory } from './tenants.js';
import { ensureSigningKeys, secretsKeyOf, signingKeyRing } from './signing-keys.js';
import type { SigningKeyRing } from '../auth/signing-keys.js';
import { followCookieKeys } from '../auth/cookie-keys.js';

/** oidc-provider, named through the OIDC module: only src/oidc imports it. */
type Provider = ReturnType<typeof createProvider>;

export interface Hub {
  app: Koa;
  provider: Provider;
  store: PlatformStore;
  /** The admin API's routes, as served (and described at /admin/api/openapi.json). */
  adminRoutes: readonly AdminRoute[];
  /** What the admin listener serves at /metrics (http/metrics-listener.ts); null when metrics are off. */
  metrics: MetricsExposition | null;
  close(): Promise<void>;
}

/** What a start opened, closed in reverse order: on a failed start, or when the hub stops. */
class OpenedResources {
  private readonly closers: Array<() => Promise<void>> = [];

  add<T extends { close(): Promise<void> }>(resource: T): T {
    this.closers.unshift(() => resource.close());
    return resource;
  }

  async close(): Promise<void> {
    for (const close of this.closers) await close();
  }
}

function createLocalAuth(config: HubConfig, policies: AuthPolicies, store: PlatformStore, sessions: SessionStorage, throttle: LoginThrottle, metrics: HubMetrics): LocalAuth {
  return new LocalAuth({
    store,
    ephemeral: sessions.ephemeral,
    throttle,
    policies,
    secrets: new SecretBox(secretsKeyOf(config), 'totp'),
    config: config.auth,
    metrics,
  });
}

interface SignInDeps {
  config: HubConfig;
  log: Logger;
  store: PlatformStore;
  keys: SigningKeyRing;
  tenants: TenantDirectory;
  sessions: SessionStorage;
  metrics: HubMetrics;
}

interface SignIn {
  provider: Provider;
  /** The sign-in pages (/interaction/…), the SAML IdP's and federation's routes. */
  routers: Router[];
  /** Runs around oidc-provider: the logout's follow-ups once its end-session confirmation ended the hub session. */
  afterEndSession: Koa.Middleware;
  /** What the sign-in opened that must be closed with the hub (federation, the SAML IdP's schedule). */
  closables: Array<{ close(): Promise<void> }>;
  /** Reads the stored connectors again at once, after a change made through this process. */
  reloadConnectors(): Promise<void>;
  /** The brute-force limits and the account policies, which the admin side reads and lifts too. */
  throttle: LoginThrottle;
  policies: AuthPolicies;
}

/** The provider's settings from the hub's config: a proxy stands in front when any is trusted. */
function providerSettings(config: HubConfig): ProviderSettings {
  return { issuer: config.issuer, oidc: config.oidc, behindProxy: behindProxy(config.http.trustProxy) };
}

/** The sign-in: oidc-provider, the SAML IdP, the upstream connectors and the hub's own login pages. */
async function createSignIn({ config, log, store, keys, tenants, sessions, metrics }: SignInDeps): Promise<SignIn> {
  const { ephemeral } = sessions;
  const throttle = new LoginThrottle(ephemeral, config.auth.throttle);
  const policies = new AuthPolicies(config.auth, tenants.authRules());
  const provider = createProvider({ settings: providerSettings(config), store, keys: keySetOf(await keys.live('oidc')), modelAdapter: sessions.modelAdapter, isLocked: (login) => throttle.isLocked(login), log });
  const keyRefresh = await followKeys(provider, keys, config.keys.refreshSeconds, log);
  countTokens(provider, metrics);
  const signIn = oidcSignIn({ provider, ephemeral, log, sessionTtl: config.oidc.ttl.session });
  const samlIdp = config.samlIdp.enabled
    ? await openSamlIdp({ issuer: config.issuer, mode: config.mode, keysDir: config.keys.dir, idp: config.samlIdp }, {
      store, ephemeral, hubSession: signIn.hubSession, logout: signIn.logout, log,
      sessionTtl: config.oidc.ttl.session, signInTtl: config.oidc.ttl.interaction, garOf: (tenantId) => tenants.gar(tenantId),
      dataDir: join(PROJECT_ROOT, 'data'), locks: lockService(config, sessions.redis), metrics,
      keys: { ring: keys, refreshSeconds: config.keys.refreshSeconds },
    })
    : null;
  const login = loginProtocols(signIn.protocol, samlIdp ? [samlIdp.protocol] : []);
  const federation = await createFederation({ config: { ...config, sessionTtlSeconds: config.oidc.ttl.session }, tenants: tenants.declarations(), store, ephemeral, login, logout: signIn.logout, log, metrics });
  const pages = {
    provider, login, hubSession: signIn.hubSession, store, ephemeral,
    auth: createLocalAuth(config, policies, store, sessions, throttle, metrics),
    termsVersion: config.auth.termsVersion,
    mfaIssuer: config.auth.mfaIssuer,
    signInTtl: config.oidc.ttl.interaction,
    maxBodyBytes: config.http.maxBodyBytes,
    federation,
  };
  const interactions = interactionRouter(pages, samlIdp ? [samlIdp.steps(pages)] : []);
  return {
    provider, routers: [...(samlIdp?.routers ?? []), interactions, ...federation.routers], afterEndSession: signIn.afterEndSession,
    closables: samlIdp ? [keyRefresh, federation, samlIdp] : [keyRefresh, federation],
    reloadConnectors: () => federation.reloadConnectors(),
    throttle, policies,
  };
}

/** What a tenant's connection letters print (its file's `letters`, else the defaults). */
function lettersOf(tenants: TenantDirectory, issuer: string, tenantId: string): { entName: string; activationUrl: string } {
  const letters = tenants.declaration(tenantId)?.letters;
  return { entName: letters?.entName ?? 'ENT Hauts-de-France', activationUrl: letters?.activationUrl ?? issuer };
}

export interface BuildOptions {
  /** The time the signing keys' states are read at; tests move it. */
  clock?: () => Date;
}

export async function buildHub(config: HubConfig, log: Logger, options: BuildOptions = {}): Promise<Hub> {
  const opened = new OpenedResources();
  try {
    const store = opened.add(await openPlatformStore(config));
    const keys = signingKeyRing(config, store, options.clock);
    await ensureSigningKeys(config, keys, log);
    const tenants = await TenantDirectory.open(config, store);
    await mirrorDeclaredClients(config, store, log);
    const developmentRouters = config.mode === 'development' ? await wireDevelopment(config, store, log) : [];
    const sessions = opened.add(await openSessionStorage(config.redis, log));
    const readiness = [{ name: 'database', check: () => store.ping() }, ...sessions.readiness];
    // One registry per hub (tests run several in one process); none at all when metrics are off.
    const prometheus = config.metrics.enabled ? new PrometheusMetrics({ readiness, store, tenantIds: () => tenants.list().map((t) => t.id) }) : null;
    const metrics = prometheus ?? NO_METRICS;
    const { provider, routers, afterEndSession, closables, reloadConnectors, throttle, policies } = await createSignIn({ config, log, store, keys, tenants, sessions, metrics });
    for (const closable of closables) opened.add(closable);
    const imports = opened.add(adminImports({
      store, tenants, log, locks: lockService(config, sessions.redis),
      importScope: (tenantId, source) => store.forTenant(tenantId, { linksPerTransaction: source.linkBatchSize }),
    }));
    const admin = await openAdmin({
      issuer: config.issuer, store, ephemeral: sessions.ephemeral, log, clients: config,
      readToken: adminTokenReader(provider, { store, isLocked: (login) => throttle.isLocked(login) }),
      accounts: { policies, throttle }, clientChanged: (clientId) => forgetClient(provider, clientId),
      letters: { of: (tenantId) => lettersOf(tenants, config.issuer, tenantId) },
      connectors: { inFiles: connectorsInFiles(config, tenants), registry: defaultRegistry(), changed: reloadConnectors },
      imports: { startImport: imports.startImport, sourcesOf: imports.sourcesOf },
      sps: { production: config.mode === 'production', gar: { declaredGar: (id) => tenants.declaredGar(id), changed: (id) => tenants.garSwitched(id) } },
    });
    const app = createHttpApp({
      issuer: config.issuer,
      trustProxy: config.http.trustProxy,
      maxBodyBytes: config.http.maxBodyBytes,
      provider,
      log,
      metrics,
      readiness,
      audit: store.audit,
      aroundProvider: [corsGuard(store, config.oidc.clientCacheSeconds * 1000), afterEndSession, tenantOfClient],
      routers: [...routers, ...admin.routers, ...developmentRouters],
    });
    opened.add(await followCookieKeys([app, provider], keys, config.keys.refreshSeconds, log));
    return { app, provider, store, adminRoutes: admin.routes, metrics: prometheus, close: () => opened.close() };
  } catch (err) {
    await opened.close();
    throw err;
  }
}
