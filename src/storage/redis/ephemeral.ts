/**
 * EphemeralStore in Redis. Sliding windows are sorted sets of timestamps (score = ms), trimmed
 * and counted in one Lua script so concurrent hub processes never lose a hit. Every command and
 * script touches one key, so a Cluster serves it as well as one server. Any Redis failure
 * becomes ServiceUnavailable (503 upstream).
 */
import { randomBytes } from 'node:crypto';
import type { EphemeralStore } from '../ports/ephemeral.js';
import type { RedisClient } from './client.js';
import { guarded as guardedAs } from './unavailable.js';

/** Redis away: the login's throttle, tickets and steps answer 503 like the sessions do. */
const guarded = <T>(op: () => Promise<T>): Promise<T> => guardedAs('Redis', op);

const HIT = `
redis.call('zremrangebyscore', KEYS[1], '-inf', ARGV[1] - ARGV[2])
redis.call('zadd', KEYS[1], ARGV[1], ARGV[3])
redis.call('pexpire', KEYS[1], ARGV[2])
return redis.call('zcard', KEYS[1])`;

/**
 * Adds (or moves) a member, drops those whose end has come, and lets the whole set expire with
 * its last member, so an idle set leaves nothing behind. ARGV: now, end (ms), member.
 */
const ADD_TO_SET = `
redis.call('zadd', KEYS[1], ARGV[2], ARGV[3])
redis.call('zremrangebyscore', KEYS[1], '-inf', ARGV[1])
local last = redis.call('zrange', KEYS[1], -1, -1, 'WITHSCORES')
if last[2] then redis.call('pexpireat', KEYS[1], last[2]) end`;

const TAKE = "local v = redis.call('get', KEYS[1]); if v then redis.call('del', KEYS[1]) end; return v";

export class RedisEphemeralStore implements EphemeralStore {
  constructor(private readonly redis: RedisClient) {}

  claimOnce(key: string, ttlSeconds: number): Promise<boolean> {
    return guarded(async () => (await this.redis.set(`once:${key}`, '1', 'EX', ttlSeconds, 'NX')) === 'OK');
  }

  put(key: string, value: string, ttlSeconds: number): Promise<void> {
    return guarded(async () => void (await this.redis.set(`ticket:${key}`, value, 'EX', ttlSeconds)));
  }

  get(key: string): Promise<string | null> {
    return guarded(() => this.redis.get(`ticket:${key}`));
  }

  // GETDEL needs Redis 6.2; the script works on any server the hub may meet.
  take(key: string): Promise<string | null> {
    return guarded(async () => (await this.redis.eval(TAKE, 1, `ticket:${key}`)) as string | null);
  }

  // Two commands, not one DEL of two keys: on a Cluster the keys live in different slots.
  delete(key: string): Promise<void> {
    return guarded(async () => void (await Promise.all([this.redis.del(`ticket:${key}`), this.redis.del(`window:${key}`)])));
  }

  hit(key: string, windowSeconds: number): Promise<number> {
    const member = `${Date.now()}-${randomBytes(6).toString('hex')}`;
    return guarded(async () => Number(await this.redis.eval(HIT, 1, `window:${key}`, String(Date.now()), String(windowSeconds * 1000), member)));
  }

  count(key: string, windowSeconds: number): Promise<number> {
    return guarded(() => this.redis.zcount(`window:${key}`, Date.now() - windowSeconds * 1000 + 1, '+inf'));
  }

  // A sorted set scored by each member's end (ms).
  addToSet(key: string, member: string, expiresAt: Date): Promise<void> {
    return guarded(async () => void (await this.redis.eval(ADD_TO_SET, 1, `set:${key}`, String(Date.now()), String(expiresAt.getTime()), member)));
  }

  removeFromSet(key: string, member: string): Promise<void> {
    return guarded(async () => void (await this.redis.zrem(`set:${key}`, member)));
  }

  membersOf(key: string, limit: number): Promise<Array<{ member: string; expiresAt: Date }>> {
    return guarded(async () => {
      const flat = await this.redis.zrevrangebyscore(`set:${key}`, '+inf', `(${Date.now()}`, 'WITHSCORES', 'LIMIT', 0, limit);
      const members: Array<{ member: string; expiresAt: Date }> = [];
      for (let i = 0; i + 1 < flat.length; i += 2) members.push({ member: flat[i]!, expiresAt: new Date(Number(flat[i + 1])) });
      return members;
    });
  }
}
