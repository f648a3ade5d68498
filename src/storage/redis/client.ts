import { Redis } from 'ioredis';
import { HubError } from '../../shared/errors.js';

/**
 * A Redis connection that fails fast while Redis is down (no offline queue, one retry), so a
 * request gets a 503 at once instead of hanging, and reconnects by itself in the background.
 */
export function createRedis(url: string, keyPrefix: string): Redis {
  return new Redis(url, {
    keyPrefix,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    connectTimeout: 2000,
    retryStrategy: (attempt) => Math.min(attempt * 200, 2000),
  });
}

/** Waits until the connection is ready, or throws after `timeoutMs`. */
export async function waitForRedis(redis: Redis, timeoutMs = 5000): Promise<void> {
  if (redis.status === 'ready') return;
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      redis.off('ready', onReady);
      reject(new HubError('redis_not_ready', `Redis not ready after ${timeoutMs} ms`, { status: 503 }));
    }, timeoutMs);
    function onReady(): void {
      clearTimeout(timer);
      resolve();
    }
    redis.once('ready', onReady);
  });
}
