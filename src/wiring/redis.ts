/**
 * The hub's one way to open Redis, whoever needs it (the served hub, a CLI command, the test
 * harness): one server, a master behind Sentinel, or a Cluster, as configured; wait for it at
 * start, log its connection errors, and say it is unavailable when it does not answer, rather
 * than failing later on a half-open connection.
 */
import { redisConfigured, type RedisConfig } from '../config/redis.js';
import { ServiceUnavailable } from '../shared/errors.js';
import type { Logger } from '../shared/logger.js';
import { readSecret } from '../shared/secrets.js';
import { createRedis, waitForRedis, type RedisClient, type RedisTarget } from '../storage/redis/client.js';

export type RedisSettings = RedisConfig;
export type { RedisClient };

/** Where the settings say Redis is, secrets read; null when none is configured. */
function targetOf(settings: RedisSettings): RedisTarget | null {
  const password = settings.password && readSecret(settings.password, 'redis.password');
  if (settings.sentinels && settings.name) {
    const sentinelPassword = settings.sentinelPassword && readSecret(settings.sentinelPassword, 'redis.sentinelPassword');
    return { sentinels: settings.sentinels, name: settings.name, ...(password ? { password } : {}), ...(sentinelPassword ? { sentinelPassword } : {}) };
  }
  if (settings.cluster) return { cluster: settings.cluster, ...(password ? { password } : {}) };
  return settings.url ?? null;
}

/** For messages: where Redis was looked for, without credentials. */
function describe(settings: RedisSettings): string {
  if (settings.sentinels) return `Redis master "${settings.name}" (sentinels ${settings.sentinels.map((n) => `${n.host}:${n.port}`).join(', ')})`;
  if (settings.cluster) return `Redis Cluster (${settings.cluster.map((n) => `${n.host}:${n.port}`).join(', ')})`;
  return `Redis at ${new URL(settings.url!).host}`;
}

/** Redis ready to use, or null when none is configured; ServiceUnavailable when it does not answer. */
export async function openRedis(settings: RedisSettings, log: Logger): Promise<RedisClient | null> {
  const target = redisConfigured(settings) ? targetOf(settings) : null;
  if (!target) return null;
  const redis = createRedis(target, settings.keyPrefix);
  redis.on('error', (err: Error) => log.warn({ err: err.message }, 'redis connection error'));
  try {
    await waitForRedis(redis);
  } catch (err) {
    redis.disconnect();
    throw new ServiceUnavailable(describe(settings), err);
  }
  return redis;
}

/** Lets pending replies arrive, or drops the connection when Redis is away. */
export async function closeRedis(redis: RedisClient): Promise<void> {
  await redis.quit().catch(() => redis.disconnect());
}
