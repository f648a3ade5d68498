/** Which lock service guards the imports: Redis when configured (every machine sees it), else lock files. */
import { dirname, join } from 'node:path';
import { PROJECT_ROOT } from '../config/load.js';
import type { HubConfig } from '../config/schema.js';
import { FileLockService } from '../storage/file/lock.js';
import type { LockService } from '../storage/ports/locks.js';
import { RedisLockService } from '../storage/redis/lock.js';
import type { RedisClient } from './redis.js';

/** Lock files sit beside the SQLite database they protect (or in data/ for PostgreSQL). */
function localLockDir(config: HubConfig): string {
  const sqlite = /^sqlite:(.+)$/.exec(config.database.url);
  return sqlite && sqlite[1] !== ':memory:' ? join(dirname(sqlite[1]!), 'locks') : join(PROJECT_ROOT, 'data', 'locks');
}

export function lockService(config: HubConfig, redis: RedisClient | null): LockService {
  return redis ? new RedisLockService(redis) : new FileLockService(localLockDir(config));
}
