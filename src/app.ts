/**
 * The one place where the hub is wired: stores, keys, session storage, provider and HTTP app
 * are built from the configuration and handed down. Nothing else reads config or globals.
 */
import type Koa from 'koa';
import type Provider from 'oidc-provider';
import type { Redis } from 'ioredis';
import type { HubConfig } from './config/schema.js';
import { mirrorDeclarations } from './declarations.js';
import { LocalAuth } from './auth/local-auth.js';
import { LoginThrottle } from './auth/login-throttle.js';
import { AuthPolicies } from './auth/policy.js';
import { SecretBox } from './auth/secret-box.js';
import type { TenantConfig } from './config/tenant-schema.js';
import { loadTenants } from './config/tenants.js';
import { createFederation, defaultRegistry, type Federation } from './federation/index.js';
import { createHttpApp } from './http/app.js';
import { interactionRouter } from './oidc/interactions/routes.js';
import { demoClientRecord, demoRouter } from './dev/demo-rp.js';
import type { ReadinessCheck } from './http/health.js';
import { loadOrCreateKeys } from './oidc/keys.js';
import { corsGuard } from './oidc/cors.js';
import { cookieKeysOf, createProvider } from './oidc/provider.js';
import { oidcSignIn } from './oidc/sign-in.js';
import { seedDemo } from './dev/demo-seed.js';
import type { Logger } from './shared/logger.js';
import { ServiceUnavailable } from './shared/errors.js';
import { MemoryEphemeralStore } from './storage/memory/ephemeral.js';
import { MemoryOidcAdapter, MemoryOidcStore } from './storage/memory/oidc-adapter.js';
import type { EphemeralStore } from './storage/ports/ephemeral.js';
import type { OidcModelAdapter } from './storage/ports/oidc-adapter.js';
import type { PlatformStore } from './storage/ports/index.js';
import { createRedis, waitForRedis } from './storage/redis/client.js';
import { RedisEphemeralStore } from './storage/redis/ephemeral.js';
import { RedisOidcAdapter } from './storage/redis/oidc-adapter.js';
import { openSqlStore } from './storage/sql/database.js';

export interface Hub {
  app: Koa;
  provider: Provider;
  store: PlatformStore;
  close(): Promise<void>;
}

interface SessionStorage {
  modelAdapter: (model: string) => OidcModelAdapter;
  ephemeral: EphemeralStore;
  readiness: ReadinessCheck[];
  close(): Promise<void>;
}

async function openSessionStorage(config: HubConfig, log: Logger): Promise<SessionStorage> {
  if (!config.redis.url) {
    log.warn('no REDIS_URL: sessions and tokens are kept in memory (single process, lost on restart; development only)');
    const memory = new MemoryOidcStore();
    const ephemeral = new MemoryEphemeralStore();
    return {
      modelAdapter: (model) => new MemoryOidcAdapter(memory, model),
      ephemeral,
      readiness: [],
      close: async () => { memory.close(); ephemeral.close(); },
    };
  }
  const redis: Redis = createRedis(config.redis.url, config.redis.keyPrefix);
  redis.on('error', (err: Error) => log.warn({ err: err.message }, 'redis connection error'));
  try {
    await waitForRedis(redis);
  } catch (err) {
    redis.disconnect();
    throw new ServiceUnavailable(`Redis at ${new URL(config.redis.url).host}`, err);
  }
  return {
    modelAdapter: (model) => new RedisOidcAdapter(redis, model),
    ephemeral: new RedisEphemeralStore(redis),
    readiness: [{ name: 'redis', check: async () => void (await redis.ping()) }],
    close: async () => void (await redis.quit().catch(() => redis.disconnect())),
  };
}

/** Production refuses to start without a secrets key (config checks); development gets a labelled one. */
const DEVELOPMENT_SECRETS_KEY = 'development-only secrets key: set HUB_SECRETS_KEY in production';

function createLocalAuth(config: HubConfig, tenants: TenantConfig[], store: PlatformStore, ephemeral: EphemeralStore, throttle: LoginThrottle): LocalAuth {
  const tenantRules = new Map(tenants.flatMap((t) => (t.auth ? [[t.id, t.auth] as const] : [])));
  return new LocalAuth({
    store,
    ephemeral,
    throttle,
    policies: new AuthPolicies(config.auth, tenantRules),
    secrets: new SecretBox(config.auth.secretsKey ?? DEVELOPMENT_SECRETS_KEY, 'totp'),
    config: config.auth,
  });
}

export async function buildHub(config: HubConfig, log: Logger): Promise<Hub> {
  const store = await openSqlStore(config.database.url, { migrate: true });
  let sessions: SessionStorage | undefined;
  let federation: Federation | undefined;
  try {
    const keys = await loadOrCreateKeys(config.keys.dir, config.mode, log);
    await mirrorDeclarations(config, store, log);
    if (config.demo.seed) await seedDemo(store, log);
    if (config.mode === 'development') await store.clients.upsert(demoClientRecord(config.issuer), 'development');
    sessions = await openSessionStorage(config, log);
    const { ephemeral } = sessions;
    const throttle = new LoginThrottle(ephemeral, config.auth.throttle);
    const provider = createProvider({ config, store, keys, modelAdapter: sessions.modelAdapter, isLocked: (login) => throttle.isLocked(login), log });
    const tenants = loadTenants(config.tenants.dir, defaultRegistry().settingsCheck);
    const signIn = oidcSignIn({ provider, ephemeral, log });
    federation = await createFederation({ config, tenants, store, ephemeral, login: signIn.protocol, logout: signIn.logout, log });
    const interactions = interactionRouter({
      provider, store, ephemeral,
      auth: createLocalAuth(config, tenants, store, ephemeral, throttle),
      termsVersion: config.auth.termsVersion,
      mfaIssuer: config.auth.mfaIssuer,
      interactionTtl: config.oidc.ttl.interaction,
      maxBodyBytes: config.http.maxBodyBytes,
      federation,
    });
    const app = createHttpApp({
      issuer: config.issuer,
      trustProxy: config.http.trustProxy,
      maxBodyBytes: config.http.maxBodyBytes,
      cookieKeys: cookieKeysOf(config),
      provider,
      log,
      readiness: [{ name: 'database', check: () => store.ping() }, ...sessions.readiness],
      audit: store.audit,
      aroundProvider: [corsGuard(store), signIn.afterEndSession],
      routers: [interactions, ...federation.routers, ...(config.mode === 'development' ? [demoRouter(config.issuer, log)] : [])],
    });
    const [storage, connectors] = [sessions, federation];
    return { app, provider, store, close: async () => { await connectors.close(); await storage.close(); await store.close(); } };
  } catch (err) {
    await federation?.close();
    await sessions?.close();
    await store.close();
    throw err;
  }
}
