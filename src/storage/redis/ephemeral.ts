/**
 * EphemeralStore in Redis. Sliding windows are sorted sets of timestamps (score = ms), trimmed
 * and counted in one Lua script so concurrent hub processes never lose a hit.
 */
import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { EphemeralStore } from '../ports/ephemeral.js';

const HIT = `
redis.call('zremrangebyscore', KEYS[1], '-inf', ARGV[1] - ARGV[2])
redis.call('zadd', KEYS[1], ARGV[1], ARGV[3])
redis.call('pexpire', KEYS[1], ARGV[2])
return redis.call('zcard', KEYS[1])`;

const TAKE = "local v = redis.call('get', KEYS[1]); if v then redis.call('del', KEYS[1]) end; return v";

export class RedisEphemeralStore implements EphemeralStore {
  constructor(private readonly redis: Redis) {}

  async claimOnce(key: string, ttlSeconds: number): Promise<boolean> {
    return (await this.redis.set(`once:${key}`, '1', 'EX', ttlSeconds, 'NX')) === 'OK';
  }

  async put(key: string, value: string, ttlSeconds: number): Promise<void> {
    await this.redis.set(`ticket:${key}`, value, 'EX', ttlSeconds);
  }

  get(key: string): Promise<string | null> {
    return this.redis.get(`ticket:${key}`);
  }

  // GETDEL needs Redis 6.2; the script works on any server the hub may meet.
  async take(key: string): Promise<string | null> {
    return (await this.redis.eval(TAKE, 1, `ticket:${key}`)) as string | null;
  }

  async delete(key: string): Promise<void> {
    await this.redis.del(`ticket:${key}`, `window:${key}`);
  }

  async hit(key: string, windowSeconds: number): Promise<number> {
    const member = `${Date.now()}-${randomBytes(6).toString('hex')}`;
    return Number(await this.redis.eval(HIT, 1, `window:${key}`, String(Date.now()), String(windowSeconds * 1000), member));
  }

  async count(key: string, windowSeconds: number): Promise<number> {
    return this.redis.zcount(`window:${key}`, Date.now() - windowSeconds * 1000 + 1, '+inf');
  }
}
