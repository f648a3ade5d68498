/**
 * Locks in Redis: SET NX PX with a random token, renewed at a third of the TTL, released only
 * by its holder (compare-and-delete in Lua), so a run killed half-way frees the lock by expiry.
 */
import { randomBytes } from 'node:crypto';
import type { Lease, LockService } from '../ports/locks.js';
import type { RedisClient } from './client.js';
import { guarded as guardedAs } from './unavailable.js';

/** Redis away: taking or releasing a lock fails as ServiceUnavailable, as every other Redis use does. */
const guarded = <T>(op: () => Promise<T>): Promise<T> => guardedAs('lock store (Redis)', op);

const RELEASE = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end";
const RENEW = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) else return 0 end";

export class RedisLockService implements LockService {
  constructor(private readonly redis: RedisClient) {}

  async acquire(name: string, ttlMs: number): Promise<Lease | null> {
    const key = `lock:${name}`;
    const token = randomBytes(16).toString('hex');
    if ((await guarded(() => this.redis.set(key, token, 'PX', ttlMs, 'NX'))) !== 'OK') return null;
    let held = true;
    const renewal = setInterval(() => {
      this.redis.eval(RENEW, 1, key, token, String(ttlMs)).then(
        (ok) => void (held = ok === 1),
        () => undefined, // Redis briefly away: the lease lives until its TTL, the next tick retries
      );
    }, Math.max(100, Math.floor(ttlMs / 3)));
    renewal.unref();
    return {
      held: () => held,
      release: async () => {
        clearInterval(renewal);
        held = false;
        await guarded(() => this.redis.eval(RELEASE, 1, key, token));
      },
    };
  }
}
