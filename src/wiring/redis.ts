/**
 * The hub's one way to open Redis, whoever needs it (the served hub, a CLI command, the test
 * harness): wait for it at start, log its connection errors, and say it is unavailable when it
 * does not answer, rather than failing later on a half-open connection.
 */
import type { Redis } from 'ioredis';
import type { HubConfig } from '../config/schema.js';
import { ServiceUnavailable } from '../shared/errors.js';
import type { Logger } from '../shared/logger.js';
import { createRedis, waitForRedis } from '../storage/redis/client.js';

export type RedisSettings = HubConfig['redis'];

/** Redis ready to use, or null when none is configured; ServiceUnavailable when it does not answer. */
export async function openRedis(settings: RedisSettings, log: Logger): Promise<Redis | null> {
  if (!settings.url) return null;
  const redis = createRedis(settings.url, settings.keyPrefix);
  redis.on('error', (err: Error) => log.warn({ err: err.message }, 'redis connection error'));
  try {
    await waitForRedis(redis);
  } catch (err) {
    redis.disconnect();
    throw new ServiceUnavailable(`Redis at ${new URL(settings.url).host}`, err);
  }
  return redis;
}

/** Lets pending replies arrive, or drops the connection when Redis is away. */
export async function closeRedis(redis: Redis): Promise<void> {
  await redis.quit().catch(() => redis.disconnect());
}
