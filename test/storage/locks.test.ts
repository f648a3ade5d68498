import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { ServiceUnavailable } from '../../src/shared/errors.js';
import { FileLockService } from '../../src/storage/file/lock.js';
import { createRedis, waitForRedis } from '../../src/storage/redis/client.js';
import { RedisLockService } from '../../src/storage/redis/lock.js';
import { lockServiceConformance } from '../../testing/conformance/locks.js';
import { randomPrefix, spawnRedis, testRedisUrl } from '../../testing/harness/redis.js';

lockServiceConformance('files', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'hub-locks-'));
  return { locks: new FileLockService(dir), close: async () => rmSync(dir, { recursive: true, force: true }) };
});

lockServiceConformance('Redis', async () => {
  const redis = createRedis(await testRedisUrl(), randomPrefix());
  await waitForRedis(redis);
  return { locks: new RedisLockService(redis), close: async () => void (await redis.quit()) };
});

describe('file locks', () => {
  it('take over the lock of a process that is gone', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hub-locks-'));
    try {
      // No process has this pid: it is above Linux's pid_max.
      writeFileSync(join(dir, 'import_lille_AC-LILLE.lock'), String(2 ** 22 + 1));
      const lease = await new FileLockService(dir).acquire('import:lille:AC-LILLE');
      expect(lease?.held()).to.equal(true);
      await lease!.release();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('Redis locks when Redis is down', () => {
  it('refuse to take a lock with ServiceUnavailable, naming the lock store, not a raw Redis error', async () => {
    const server = await spawnRedis();
    const redis = createRedis(server.url, randomPrefix());
    redis.on('error', () => {});
    await waitForRedis(redis);
    await server.stop();
    const err = await new RedisLockService(redis).acquire('import:lille:AC-LILLE', 5_000).catch((e: unknown) => e);
    expect(err).to.be.instanceOf(ServiceUnavailable);
    expect((err as Error).message).to.equal('lock store (Redis) is unavailable');
    redis.disconnect();
  });
});
