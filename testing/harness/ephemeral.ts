/** EphemeralStore pairs standing for two hub processes: one shared memory store, or two Redis connections. */
import type { Redis } from 'ioredis';
import { MemoryEphemeralStore } from '../../src/storage/memory/ephemeral.js';
import type { EphemeralStore } from '../../src/storage/ports/ephemeral.js';
import { createRedis, waitForRedis } from '../../src/storage/redis/client.js';
import { RedisEphemeralStore } from '../../src/storage/redis/ephemeral.js';
import { randomPrefix, testRedisUrl } from './redis.js';

export interface EphemeralPair {
  a: EphemeralStore;
  b: EphemeralStore;
  close(): Promise<void>;
}

export async function memoryPair(): Promise<EphemeralPair> {
  const store = new MemoryEphemeralStore();
  return { a: store, b: store, close: async () => store.close() };
}

export async function redisPair(): Promise<EphemeralPair> {
  const url = await testRedisUrl();
  const prefix = randomPrefix();
  const clients: Redis[] = [createRedis(url, prefix), createRedis(url, prefix)];
  await Promise.all(clients.map((c) => waitForRedis(c)));
  return {
    a: new RedisEphemeralStore(clients[0]!),
    b: new RedisEphemeralStore(clients[1]!),
    close: async () => void (await Promise.all(clients.map((c) => c.quit()))),
  };
}
