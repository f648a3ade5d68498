/** EphemeralStore pairs standing for two hub processes: one shared memory store, or two Redis connections. */
import { createLogger } from '../../src/shared/logger.js';
import type { EphemeralStore } from '../../src/storage/ports/ephemeral.js';
import type { RedisSettings } from '../../src/wiring/redis.js';
import { openSessionStorage } from '../../src/wiring/stores.js';
import { randomPrefix, testRedisUrl } from './redis.js';

export interface EphemeralPair {
  a: EphemeralStore;
  b: EphemeralStore;
  close(): Promise<void>;
}

const silent = createLogger('silent');

export async function memoryPair(): Promise<EphemeralPair> {
  const storage = await openSessionStorage({ keyPrefix: randomPrefix() }, silent);
  return { a: storage.ephemeral, b: storage.ephemeral, close: () => storage.close() };
}

/** `where`: the Redis of the settings (a cluster…); the test Redis by default. */
export async function redisPair(where?: Omit<RedisSettings, 'keyPrefix'>): Promise<EphemeralPair> {
  const settings = { ...(where ?? { url: await testRedisUrl() }), keyPrefix: randomPrefix() };
  const processes = [await openSessionStorage(settings, silent), await openSessionStorage(settings, silent)];
  return {
    a: processes[0]!.ephemeral,
    b: processes[1]!.ephemeral,
    close: async () => void (await Promise.all(processes.map((p) => p.close()))),
  };
}
