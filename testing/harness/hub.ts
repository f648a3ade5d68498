/**
 * Starts a real hub for a test: SQLite in a temp folder (or the given database URL), Redis from
 * `testRedisUrl()` with a random key prefix (or memory), a key set generated once per run, the
 * repository's tenants, and the given config overrides. It listens on a free port.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildHub, type Hub } from '../../src/wiring/hub.js';
import { PROJECT_ROOT } from '../../src/config/load.js';
import { configSchema, type HubConfig } from '../../src/config/schema.js';
import { generateKeys } from '../../src/oidc/keys.js';
import { createLogger } from '../../src/shared/logger.js';
import { listen } from '../../src/http/server.js';
import { freePort, randomPrefix, testRedisUrl } from './redis.js';

let keysDir: Promise<string> | undefined;

/** One key set for the whole run: RSA generation is slow. */
export function testKeysDir(): Promise<string> {
  keysDir ??= (async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hub-keys-'));
    await generateKeys(dir);
    process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
    return dir;
  })();
  return keysDir;
}

export interface TestHub {
  url: string;
  hub: Hub;
  config: HubConfig;
  stop(): Promise<void>;
}

export interface TestHubOptions {
  /** Partial config (same shape as config files). */
  config?: Record<string, unknown>;
  /** `memory`, a Redis URL, or the shared test Redis (default). */
  redis?: 'memory' | string;
  databaseUrl?: string;
}

export async function startTestHub(options: TestHubOptions = {}): Promise<TestHub> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'hub-test-'));
  const redisUrl = options.redis === 'memory' ? undefined : (options.redis ?? (await testRedisUrl()));
  const config = configSchema.parse({
    issuer: `http://127.0.0.1:${port}`,
    http: { port, host: '127.0.0.1' },
    database: { url: options.databaseUrl ?? `sqlite:${join(dir, 'hub.sqlite')}` },
    redis: { ...(redisUrl ? { url: redisUrl } : {}), keyPrefix: randomPrefix() },
    keys: { dir: await testKeysDir() },
    tenants: { dir: join(PROJECT_ROOT, 'tenants') },
    log: { level: process.env.HUB_TEST_LOG ?? 'silent' },
    ...options.config,
  });
  const hub = await buildHub(config, createLogger(config.log.level));
  const running = await listen(hub, '127.0.0.1', port);
  return {
    url: `http://127.0.0.1:${port}`,
    hub,
    config,
    stop: async () => {
      await running.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
