/**
 * The Redis stores on a real Redis Cluster (three masters): the ephemeral store, the locks and
 * the oidc-provider models pass their conformance suites, so no command of theirs spans two slots.
 */
import { expect } from 'chai';
import { createLogger } from '../../src/shared/logger.js';
import { createRedis, waitForRedis, type RedisClient } from '../../src/storage/redis/client.js';
import { RedisLockService } from '../../src/storage/redis/lock.js';
import { RedisOidcAdapter } from '../../src/storage/redis/oidc-adapter.js';
import { openRedis, closeRedis } from '../../src/wiring/redis.js';
import { ephemeralStoreConformance } from '../../testing/conformance/ephemeral.js';
import { lockServiceConformance } from '../../testing/conformance/locks.js';
import { oidcAdapterConformance } from '../../testing/conformance/oidc-adapter.js';
import { redisPair } from '../../testing/harness/ephemeral.js';
import { randomPrefix } from '../../testing/harness/redis.js';
import { startRedisCluster, type RedisClusterNodes } from '../../testing/harness/redis-cluster.js';

describe('Redis Cluster', function () {
  this.timeout(30_000);
  let cluster: RedisClusterNodes;
  before(async () => {
    cluster = await startRedisCluster();
  });
  after(async () => {
    await cluster?.stop();
  });

  async function client(): Promise<RedisClient> {
    const redis = createRedis({ cluster: cluster.nodes }, randomPrefix());
    await waitForRedis(redis);
    return redis;
  }

  ephemeralStoreConformance('Redis Cluster (two connections, as two hub processes)', () => redisPair({ cluster: cluster.nodes }));

  lockServiceConformance('Redis Cluster', async () => {
    const redis = await client();
    return { locks: new RedisLockService(redis), close: () => closeRedis(redis) };
  });

  oidcAdapterConformance('Redis Cluster', async () => {
    const redis = await client();
    return { factory: (model) => new RedisOidcAdapter(redis, model), close: () => closeRedis(redis) };
  });

  it('spreads the keys over the masters (the prefix carries no hash tag)', async () => {
    const redis = await openRedis({ cluster: cluster.nodes, keyPrefix: 'hub:' }, createLogger('silent'));
    try {
      for (let i = 0; i < 30; i += 1) await redis!.set(`spread:${i}`, '1', 'EX', 30);
      const perNode = await Promise.all(cluster.nodes.map(async (node) => {
        const { Redis } = await import('ioredis');
        const direct = new Redis(node);
        try {
          return (await direct.keys('hub:spread:*')).length;
        } finally {
          direct.disconnect();
        }
      }));
      expect(perNode.every((n) => n > 0), String(perNode)).to.equal(true);
    } finally {
      await closeRedis(redis!);
    }
  });
});
