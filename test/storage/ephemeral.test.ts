import { expect } from 'chai';
import { Redis } from 'ioredis';
import { RedisEphemeralStore } from '../../src/storage/redis/ephemeral.js';
import { ephemeralStoreConformance } from '../../testing/conformance/ephemeral.js';
import { memoryPair, redisPair } from '../../testing/harness/ephemeral.js';
import { randomPrefix, testRedisUrl } from '../../testing/harness/redis.js';

ephemeralStoreConformance('memory', memoryPair);
ephemeralStoreConformance('redis (two connections, as two hub processes)', redisPair);

describe('RedisEphemeralStore', () => {
  it('lets an expiring set expire with its last member: an idle set leaves no key behind', async () => {
    const prefix = randomPrefix();
    const redis = new Redis(await testRedisUrl(), { keyPrefix: prefix });
    try {
      const store = new RedisEphemeralStore(redis);
      await store.addToSet('locked', 'late', new Date(Date.now() + 60_000));
      await store.addToSet('locked', 'early', new Date(Date.now() + 5_000));
      expect(await redis.pttl('set:locked')).to.be.within(55_000, 60_000);
      await store.removeFromSet('locked', 'late');
      // The end of a removed member stays the set's until the next add: a later expiry, never an earlier one.
      await store.addToSet('locked', 'early', new Date(Date.now() + 5_000));
      expect(await redis.pttl('set:locked')).to.be.within(1, 5_000);
      await store.addToSet('locked', 'early', new Date(Date.now() - 1));
      expect(await redis.exists('set:locked')).to.equal(0);
    } finally {
      redis.disconnect();
    }
  });
});
