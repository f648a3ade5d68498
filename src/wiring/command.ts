/**
 * What a CLI command runs on: the store (migrated, tenant files and config clients mirrored, as
 * at every hub start), the tenant directory, and the Redis-backed services, Redis being opened
 * only by a command that needs it.
 */
import type { HubConfig } from '../config/schema.js';
import { HubError } from '../shared/errors.js';
import type { Logger } from '../shared/logger.js';
import type { EphemeralStore } from '../storage/ports/ephemeral.js';
import type { DirectorySourceConfig } from '../provisioning/source-config.js';
import type { PlatformStore, TenantScope } from '../storage/ports/index.js';
import type { LockService } from '../storage/ports/locks.js';
import { RedisEphemeralStore } from '../storage/redis/ephemeral.js';
import { mirrorDeclaredClients } from './declarations.js';
import { lockService } from './locks.js';
import { closeRedis, openRedis, type RedisClient } from './redis.js';
import { openPlatformStore } from './stores.js';
import { TenantDirectory } from './tenants.js';

export interface CommandServices {
  store: PlatformStore;
  tenants: TenantDirectory;
  /** A tenant's store for an import from `source`, with the source's tuning of the SQL adapter. */
  importScope(tenantId: string, source: Pick<DirectorySourceConfig, 'linkBatchSize'>): TenantScope;
  /** Locks shared by every machine through Redis, else lock files of this machine. */
  locks(): Promise<LockService>;
  /**
   * The hubs' shared short-lived state (login limits…) in Redis. Without Redis it lives in each
   * hub process, out of a command's reach: HubError `no_redis`.
   */
  sharedEphemeral(): Promise<EphemeralStore>;
  close(): Promise<void>;
}

/** `log`: where Redis connection errors go (a command's stdout is its output). */
export async function openCommandServices(config: HubConfig, log: Logger): Promise<CommandServices> {
  const store = await openPlatformStore(config);
  let tenants: TenantDirectory;
  try {
    tenants = await TenantDirectory.open(config, store);
    await mirrorDeclaredClients(config, store);
  } catch (err) {
    await store.close();
    throw err;
  }
  let opening: Promise<RedisClient | null> | undefined;
  const redis = (): Promise<RedisClient | null> => {
    // A Redis that did not answer is asked again next time (a scheduled import's next run).
    opening ??= openRedis(config.redis, log).catch((err: unknown) => {
      opening = undefined;
      throw err;
    });
    return opening;
  };
  return {
    store,
    tenants,
    importScope: (tenantId, source) => store.forTenant(tenantId, { linksPerTransaction: source.linkBatchSize }),
    locks: async () => lockService(config, await redis()),
    sharedEphemeral: async () => {
      const opened = await redis();
      if (!opened) throw new HubError('no_redis', 'no REDIS_URL: the hubs keep this state in their own memory', { status: 400 });
      return new RedisEphemeralStore(opened);
    },
    close: async () => {
      const opened = await opening?.catch(() => null);
      if (opened) await closeRedis(opened);
      await store.close();
    },
  };
}
