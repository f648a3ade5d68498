/**
 * The stores the hub runs on: the SQL store (SQLite or PostgreSQL, from `database.url`), and the
 * session storage (oidc-provider's models and the short-lived shared state) in Redis, or in
 * memory when no Redis is configured (one process, development only).
 */
import type { HubConfig } from '../config/schema.js';
import type { ReadinessCheck } from '../http/health.js';
import type { Logger } from '../shared/logger.js';
import { MemoryEphemeralStore } from '../storage/memory/ephemeral.js';
import { MemoryOidcAdapter, MemoryOidcStore } from '../storage/memory/oidc-adapter.js';
import type { EphemeralStore } from '../storage/ports/ephemeral.js';
import type { PlatformStore } from '../storage/ports/index.js';
import type { OidcModelAdapter } from '../storage/ports/oidc-adapter.js';
import { RedisEphemeralStore } from '../storage/redis/ephemeral.js';
import { RedisOidcAdapter } from '../storage/redis/oidc-adapter.js';
import { migrateToLatest, openSqlStore, type SqlStore } from '../storage/sql/index.js';
import { closeRedis, openRedis, type RedisClient, type RedisSettings } from './redis.js';

/** The SQL store, migrated to the latest schema. */
export async function openPlatformStore(config: HubConfig): Promise<SqlStore> {
  return openSqlStore(config.database.url, { migrate: true, replicas: config.database.replicas });
}

/** Applies the pending migrations; returns their names (none when the database is up to date). */
export async function migrateDatabase(config: HubConfig): Promise<string[]> {
  const store = await openSqlStore(config.database.url, { migrate: false });
  try {
    return await migrateToLatest(store.db);
  } finally {
    await store.close();
  }
}

export interface SessionStorage {
  modelAdapter: (model: string) => OidcModelAdapter;
  ephemeral: EphemeralStore;
  readiness: ReadinessCheck[];
  /** The Redis client when one is configured: the wiring builds its other shared services on it (locks). */
  redis: RedisClient | null;
  close(): Promise<void>;
}

export async function openSessionStorage(settings: RedisSettings, log: Logger): Promise<SessionStorage> {
  const redis = await openRedis(settings, log);
  if (!redis) {
    log.warn('no Redis (REDIS_URL, redis.sentinels or redis.cluster): sessions and tokens are kept in memory (single process, lost on restart; development only)');
    const memory = new MemoryOidcStore();
    const ephemeral = new MemoryEphemeralStore();
    return {
      modelAdapter: (model) => new MemoryOidcAdapter(memory, model),
      ephemeral,
      readiness: [],
      redis: null,
      close: async () => { memory.close(); ephemeral.close(); },
    };
  }
  return {
    modelAdapter: (model) => new RedisOidcAdapter(redis, model),
    ephemeral: new RedisEphemeralStore(redis),
    readiness: [{ name: 'redis', check: async () => void (await redis.ping()) }],
    redis,
    close: () => closeRedis(redis),
  };
}
