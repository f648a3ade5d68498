/**
 * The `redis` section: one server (`url`), a master watched by Redis Sentinel (`sentinels` and
 * `name`), or a Redis Cluster (`cluster`); exactly one of the three, or none (memory, development).
 */
import { z } from 'zod';
import { secretRefSchema } from '../shared/secrets.js';

const node = z.strictObject({
  host: z.string().min(1),
  port: z.number().int().min(1).max(65535),
});

export const redisConfigSchema = z.strictObject({
  /** `redis://…` (env REDIS_URL): one server. Absent (and no sentinels, no cluster): in-memory sessions, development only. */
  url: z.string().regex(/^rediss?:\/\//, 'must start with redis:// or rediss://').optional(),
  /** Prefix of every key the hub writes, so several hubs can share one Redis. No `{…}` with a cluster: it would put every key in one slot. */
  keyPrefix: z.string().default('hub:'),
  /** Sentinels to ask where the master named `name` is; the hub follows it through failovers. */
  sentinels: z.array(node).min(1).optional(),
  /** The master group name the sentinels watch (their `sentinel monitor <name> …`). */
  name: z.string().min(1).optional(),
  /** Seed nodes of a Redis Cluster; the others are discovered. */
  cluster: z.array(node).min(1).optional(),
  /** Password of the Redis servers (sentinel and cluster; a single server takes it in its URL). */
  password: secretRefSchema.optional(),
  /** Password of the sentinels themselves, when they ask one (`requirepass` in sentinel.conf). */
  sentinelPassword: secretRefSchema.optional(),
}).superRefine((redis, ctx) => {
  const chosen = [redis.url && 'url', redis.sentinels && 'sentinels', redis.cluster && 'cluster'].filter(Boolean);
  if (chosen.length > 1) ctx.addIssue({ code: 'custom', message: `one of url, sentinels or cluster, not ${chosen.join(' and ')}` });
  if (redis.sentinels && !redis.name) ctx.addIssue({ code: 'custom', path: ['name'], message: 'required with sentinels (the master group name)' });
  if (redis.name && !redis.sentinels) ctx.addIssue({ code: 'custom', path: ['name'], message: 'goes with sentinels' });
  if (redis.sentinelPassword && !redis.sentinels) ctx.addIssue({ code: 'custom', path: ['sentinelPassword'], message: 'goes with sentinels' });
  if (redis.password && redis.url) ctx.addIssue({ code: 'custom', path: ['password'], message: 'a single server takes its password in the URL (redis://:password@host)' });
  if (redis.cluster && /[{}]/.test(redis.keyPrefix)) ctx.addIssue({ code: 'custom', path: ['keyPrefix'], message: 'no { or } with a cluster (a hash tag would put every key in one slot)' });
});

export type RedisConfig = z.infer<typeof redisConfigSchema>;

/** Whether a shared Redis (of any kind) is configured. */
export const redisConfigured = (redis: RedisConfig): boolean => Boolean(redis.url ?? redis.sentinels ?? redis.cluster);
