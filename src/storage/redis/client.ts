import { Cluster, Redis, type RedisOptions } from 'ioredis';
import { HubError } from '../../shared/errors.js';

/** One server, a master found through Sentinel, or a Cluster: the stores speak to either. */
export type RedisClient = Redis | Cluster;

export interface RedisNode {
  host: string;
  port: number;
}

/** Where Redis is: a `redis://` URL, the sentinels of a master group, or the seed nodes of a cluster. */
export type RedisTarget =
  | string
  | { sentinels: RedisNode[]; name: string; password?: string; sentinelPassword?: string }
  | { cluster: RedisNode[]; password?: string };

/**
 * Fail fast while Redis is down (no offline queue, one retry), so a request gets a 503 at once
 * instead of hanging, and reconnect by itself in the background.
 */
const FAIL_FAST = {
  enableOfflineQueue: false,
  maxRetriesPerRequest: 1,
  connectTimeout: 2000,
} satisfies RedisOptions;

const retryStrategy = (attempt: number): number => Math.min(attempt * 200, 2000);

/**
 * A master demoted by a failover answers writes with READONLY until the client reconnects; the
 * reconnection asks the sentinels again and lands on the new master.
 */
const reconnectOnError = (err: Error): boolean => err.message.startsWith('READONLY');

export function createRedis(url: string, keyPrefix: string): Redis;
export function createRedis(target: RedisTarget, keyPrefix: string): RedisClient;
export function createRedis(target: RedisTarget, keyPrefix: string): RedisClient {
  if (typeof target === 'string') return new Redis(target, { ...FAIL_FAST, keyPrefix, retryStrategy, reconnectOnError });
  if ('cluster' in target) {
    return new Cluster(target.cluster, {
      enableOfflineQueue: false,
      clusterRetryStrategy: retryStrategy,
      redisOptions: { keyPrefix, password: target.password, connectTimeout: FAIL_FAST.connectTimeout, maxRetriesPerRequest: FAIL_FAST.maxRetriesPerRequest },
    });
  }
  const redis = new Redis({
    ...FAIL_FAST,
    keyPrefix,
    retryStrategy,
    reconnectOnError,
    sentinels: target.sentinels,
    name: target.name,
    password: target.password,
    sentinelPassword: target.sentinelPassword,
  });
  followSwitches(redis, target);
  return redis;
}

/**
 * Moves the client when the sentinels announce a new master (`+switch-master`). A master demoted
 * by SENTINEL FAILOVER stays writable for seconds before the sentinels make it a replica, and
 * what is written there meanwhile is lost. Not ioredis's failoverDetector: it drops the client
 * even while it connects, which ends it for good (ioredis 6.0.0); only a ready client is dropped
 * here, one that is connecting asks the sentinels anyway.
 */
function followSwitches(redis: Redis, target: { sentinels: RedisNode[]; name: string; sentinelPassword?: string }): void {
  for (const sentinel of target.sentinels) {
    const watcher = new Redis({ ...sentinel, password: target.sentinelPassword, connectTimeout: FAIL_FAST.connectTimeout, retryStrategy });
    watcher.on('error', () => undefined); // a sentinel away: retried; the client reports its own errors
    watcher.on('message', (_channel: string, message: string) => {
      // `<name> <old ip> <old port> <new ip> <new port>`, told by each sentinel in turn: only the
      // first finds the client elsewhere.
      const [name, , , host, port] = message.split(' ');
      const connectedThere = redis.stream?.remoteAddress === host && String(redis.stream?.remotePort) === port;
      if (name === target.name && redis.status === 'ready' && !connectedThere) redis.disconnect(true);
    });
    watcher.subscribe('+switch-master').catch(() => undefined);
    redis.once('end', () => watcher.disconnect());
  }
}

/** Waits until the connection is ready, or throws after `timeoutMs`. */
export async function waitForRedis(redis: RedisClient, timeoutMs = 5000): Promise<void> {
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
