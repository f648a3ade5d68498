/** EphemeralStore pairs standing for two hub processes: one shared memory store, or two Redis connections. */
import { createLogger } from '../../src/shared/logger.js';
import type { EphemeralStore } from '../../src/storage/ports/ephemeral.js';
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

export async function redisPair(): Promise<EphemeralPair> {
  const settings = { url: await testRedisUrl(), keyPrefix: randomPrefix() };
  const processes = [await openSessionStorage(settings, silent), await openSessionStorage(settings, silent)];
  return {
    a: processes[0]!.ephemeral,
    b: processes[1]!.ephemeral,
    close: async () => void (await Promise.all(processes.map((p) => p.close()))),
  };
}
