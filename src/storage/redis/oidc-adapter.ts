/**
 * oidc-provider models in Redis (after oidc-provider's example adapter): one key per record
 * with the model's TTL, a list per grant so a grant's tokens are revoked together, and
 * uid / user-code indexes. Any Redis failure becomes ServiceUnavailable (503 upstream).
 *
 * No command spans two keys, so the same code runs on one server and on a Cluster, where a
 * record, its grant and its indexes live in different slots. Without a transaction, writes are
 * ordered so that one cut half-way is harmless: indexes before the record (an index to nothing
 * is a miss), records deleted before their grant list.
 */
import { GRANTABLE_MODELS, type AdapterPayload, type OidcModelAdapter } from '../ports/oidc-adapter.js';
import type { RedisClient } from './client.js';
import { guarded as guardedAs } from './unavailable.js';

const grantKey = (grantId: string): string => `oidc:grant:${grantId}`;
const userCodeKey = (userCode: string): string => `oidc:userCode:${userCode}`;
const uidKey = (uid: string): string => `oidc:uid:${uid}`;

const guarded = <T>(op: () => Promise<T>): Promise<T> => guardedAs('session store (Redis)', op);

/**
 * Appends a record's key to its grant list and lets the list live as long as its longest
 * record. Keys in the list are unprefixed: ioredis adds the prefix again when they are deleted.
 * ARGV: record key, seconds to live (0: none).
 */
const ADD_TO_GRANT = `
redis.call('rpush', KEYS[1], ARGV[1])
local ttl = tonumber(ARGV[2])
if ttl > 0 and ttl > redis.call('ttl', KEYS[1]) then redis.call('expire', KEYS[1], ttl) end`;

export class RedisOidcAdapter implements OidcModelAdapter {
  constructor(private readonly redis: RedisClient, private readonly model: string) {}

  private key(id: string): string {
    return `oidc:${this.model}:${id}`;
  }

  upsert(id: string, payload: AdapterPayload, expiresIn: number): Promise<void> {
    return guarded(async () => {
      const key = this.key(id);
      const indexes: Array<Promise<unknown>> = [];
      if (GRANTABLE_MODELS.has(this.model) && payload.grantId) indexes.push(this.redis.eval(ADD_TO_GRANT, 1, grantKey(payload.grantId), key, String(expiresIn)));
      if (payload.userCode) indexes.push(this.redis.set(userCodeKey(payload.userCode), id, 'EX', expiresIn));
      if (payload.uid) indexes.push(this.redis.set(uidKey(payload.uid), id, 'EX', expiresIn));
      await Promise.all(indexes);
      const data = JSON.stringify(payload);
      await (expiresIn ? this.redis.set(key, data, 'EX', expiresIn) : this.redis.set(key, data));
    });
  }

  find(id: string): Promise<AdapterPayload | undefined> {
    return guarded(async () => {
      const [data, consumed] = await Promise.all([this.redis.get(this.key(id)), this.redis.get(`${this.key(id)}:consumed`)]);
      if (typeof data !== 'string') return undefined;
      const payload = JSON.parse(data) as AdapterPayload;
      return typeof consumed === 'string' ? { ...payload, consumed: Number(consumed) } : payload;
    });
  }

  findByUid(uid: string): Promise<AdapterPayload | undefined> {
    return guarded(async () => {
      const id = await this.redis.get(uidKey(uid));
      return id ? this.find(id) : undefined;
    });
  }

  findByUserCode(userCode: string): Promise<AdapterPayload | undefined> {
    return guarded(async () => {
      const id = await this.redis.get(userCodeKey(userCode));
      return id ? this.find(id) : undefined;
    });
  }

  destroy(id: string): Promise<void> {
    return guarded(async () => {
      await Promise.all([this.redis.del(this.key(id)), this.redis.del(`${this.key(id)}:consumed`)]);
    });
  }

  consume(id: string): Promise<void> {
    return guarded(async () => {
      // A separate key with the record's remaining TTL: consuming must not rewrite the payload.
      const ttl = await this.redis.ttl(this.key(id));
      await this.redis.set(`${this.key(id)}:consumed`, String(Math.floor(Date.now() / 1000)), 'EX', Math.max(ttl, 1));
    });
  }

  revokeByGrantId(grantId: string): Promise<void> {
    return guarded(async () => {
      const keys = await this.redis.lrange(grantKey(grantId), 0, -1);
      await Promise.all(keys.flatMap((key) => [this.redis.del(key), this.redis.del(`${key}:consumed`)]));
      await this.redis.del(grantKey(grantId));
    });
  }
}
