/**
 * oidc-provider models in Redis (after oidc-provider's example adapter): one key per record
 * with the model's TTL, a list per grant so a grant's tokens are revoked together, and
 * uid / user-code indexes. Any Redis failure becomes ServiceUnavailable (503 upstream).
 */
import type { Redis } from 'ioredis';
import { GRANTABLE_MODELS, type AdapterPayload, type OidcModelAdapter } from '../ports/oidc-adapter.js';
import { guarded as guardedAs } from './unavailable.js';

const grantKey = (grantId: string): string => `oidc:grant:${grantId}`;
const userCodeKey = (userCode: string): string => `oidc:userCode:${userCode}`;
const uidKey = (uid: string): string => `oidc:uid:${uid}`;

const guarded = <T>(op: () => Promise<T>): Promise<T> => guardedAs('session store (Redis)', op);

export class RedisOidcAdapter implements OidcModelAdapter {
  constructor(private readonly redis: Redis, private readonly model: string) {}

  private key(id: string): string {
    return `oidc:${this.model}:${id}`;
  }

  upsert(id: string, payload: AdapterPayload, expiresIn: number): Promise<void> {
    return guarded(async () => {
      const key = this.key(id);
      const multi = this.redis.multi().set(key, JSON.stringify(payload));
      if (expiresIn) multi.expire(key, expiresIn);
      if (GRANTABLE_MODELS.has(this.model) && payload.grantId) {
        // Keys in the list are unprefixed: ioredis adds the prefix again when they are deleted.
        multi.rpush(grantKey(payload.grantId), key);
        const ttl = await this.redis.ttl(grantKey(payload.grantId));
        if (expiresIn > ttl) multi.expire(grantKey(payload.grantId), expiresIn);
      }
      if (payload.userCode) multi.set(userCodeKey(payload.userCode), id, 'EX', expiresIn);
      if (payload.uid) multi.set(uidKey(payload.uid), id, 'EX', expiresIn);
      await multi.exec();
    });
  }

  find(id: string): Promise<AdapterPayload | undefined> {
    return guarded(async () => {
      const [[, data] = [], [, consumed] = []] = (await this.redis.multi().get(this.key(id)).get(`${this.key(id)}:consumed`).exec()) ?? [];
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
      await this.redis.del(this.key(id), `${this.key(id)}:consumed`);
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
      const multi = this.redis.multi();
      for (const key of keys) multi.del(key, `${key}:consumed`);
      multi.del(grantKey(grantId));
      await multi.exec();
    });
  }
}
