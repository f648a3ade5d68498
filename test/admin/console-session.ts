/**
 * A console session for a script's admin token, planted in the hub's shared ephemeral store as
 * the console's sign-in leaves one (the sign-in itself, two factors in a browser, is not what
 * these tests are about), and a caller of the console's pages with its cookie.
 */
import { randomBytes } from 'node:crypto';
import { createRedis, waitForRedis } from '../../src/storage/redis/client.js';
import { RedisEphemeralStore } from '../../src/storage/redis/ephemeral.js';
import type { TestHub } from '../../testing/harness/hub.js';

export interface ConsoleClient {
  csrf: string;
  /** GET or POST (a form, with the session's CSRF token unless `csrf: null`); redirects are not followed. */
  page(method: 'GET' | 'POST', path: string, form?: Record<string, string>, options?: { csrf?: string | null }): Promise<{ status: number; location: string | null; type: string; text: string; headers: Headers }>;
}

export async function consoleSession(hub: TestHub, accessToken: string): Promise<ConsoleClient> {
  const id = randomBytes(24).toString('base64url');
  const csrf = randomBytes(24).toString('base64url');
  const redis = createRedis(hub.config.redis.url!, hub.config.redis.keyPrefix);
  try {
    await waitForRedis(redis);
    // The key and the record `ConsoleSessions.open` writes.
    await new RedisEphemeralStore(redis).put(`admin-console:session:${id}`, JSON.stringify({ accessToken, idToken: '', csrf, expiresAt: Math.floor(Date.now() / 1000) + 600 }), 600);
  } finally {
    redis.disconnect();
  }
  return {
    csrf,
    async page(method, path, form, options = {}) {
      const token = options.csrf === undefined ? csrf : options.csrf;
      const body = method === 'POST' ? new URLSearchParams({ ...form, ...(token === null ? {} : { csrf: token }) }).toString() : undefined;
      const response = await fetch(`${hub.url}${path}`, {
        method, redirect: 'manual',
        headers: { cookie: `hub_admin=${id}`, ...(body ? { 'content-type': 'application/x-www-form-urlencoded' } : {}) },
        ...(body ? { body } : {}),
      });
      return { status: response.status, location: response.headers.get('location'), type: response.headers.get('content-type') ?? '', text: await response.text(), headers: response.headers };
    },
  };
}
