/** Every oidc-provider model adapter against the contract: Redis (real server) and memory; then Redis going away. */
import { expect } from 'chai';
import type { Redis } from 'ioredis';
import { createRedis, waitForRedis } from '../../src/storage/redis/client.js';
import { RedisOidcAdapter } from '../../src/storage/redis/oidc-adapter.js';
import { MemoryOidcAdapter, MemoryOidcStore } from '../../src/storage/memory/oidc-adapter.js';
import { ServiceUnavailable } from '../../src/shared/errors.js';
import { oidcAdapterConformance } from '../../testing/conformance/oidc-adapter.js';
import { randomPrefix, spawnRedis, testRedisUrl } from '../../testing/harness/redis.js';

oidcAdapterConformance('Redis', async () => {
  const redis: Redis = createRedis(await testRedisUrl(), randomPrefix());
  await waitForRedis(redis);
  return { factory: (model) => new RedisOidcAdapter(redis, model), close: async () => void (await redis.quit()) };
});

oidcAdapterConformance('memory', async () => {
  const store = new MemoryOidcStore();
  return { factory: (model) => new MemoryOidcAdapter(store, model), close: async () => store.close() };
});

describe('Redis adapter when Redis is down', () => {
  it('fails fast with ServiceUnavailable instead of hanging', async () => {
    const server = await spawnRedis();
    const redis = createRedis(server.url, randomPrefix());
    redis.on('error', () => {});
    await waitForRedis(redis);
    await server.stop();
    const started = Date.now();
    const err = await new RedisOidcAdapter(redis, 'Session').find('x').catch((e: unknown) => e);
    expect(err).to.be.instanceOf(ServiceUnavailable);
    expect(Date.now() - started).to.be.below(3000);
    redis.disconnect();
  });
});
