/**
 * Starts a real hub for a test: SQLite in a temp folder (or the given database URL), Redis from
 * `testRedisUrl()` with a random key prefix (or memory), key files made once per run (each hub's
 * first start imports them into its store), the repository's tenants, and the given config
 * overrides. It listens on a free port.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildHub, type Hub } from '../../src/wiring/hub.js';
import { PROJECT_ROOT } from '../../src/config/load.js';
import { configSchema, type HubConfig } from '../../src/config/schema.js';
import { generateKeys } from '../../src/oidc/keys.js';
import { DEVELOPMENT_CERT_FILE, DEVELOPMENT_KEY_FILE, samlKeyKind } from '../../src/saml/idp/keys.js';
import type { DestinationStream } from 'pino';
import { createLogger } from '../../src/shared/logger.js';
import { listen } from '../../src/http/server.js';
import { withMetricsListener } from '../../src/http/metrics-listener.js';
import { freePort, randomPrefix, testRedisUrl } from './redis.js';

let keysDir: Promise<string> | undefined;

/** One key set for the whole run, OIDC's and the SAML IdP's: RSA generation is slow. */
export function testKeysDir(): Promise<string> {
  keysDir ??= (async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hub-keys-'));
    await generateKeys(dir);
    const [saml] = await samlKeyKind('ent-sso-hub tests').generate();
    writeFileSync(join(dir, DEVELOPMENT_KEY_FILE), saml!.privateKey, { mode: 0o600 });
    writeFileSync(join(dir, DEVELOPMENT_CERT_FILE), saml!.publicKey);
    process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
    return dir;
  })();
  return keysDir;
}

export interface TestHub {
  url: string;
  /** The admin listener's `/metrics` URL, when the config turns metrics on (`metrics: { enabled: true, port: 0 }`). */
  metricsUrl: string | null;
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
  /** The time the signing keys' states are read at (default: the real one). */
  clock?: () => Date;
  /** Where the hub's log lines go (a test reading them); stdout by default. */
  logDestination?: DestinationStream;
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
  const log = createLogger(config.log.level, options.logDestination);
  const hub = await buildHub(config, log, { clock: options.clock });
  const { servable, listener } = await withMetricsListener(hub, config.metrics, log);
  const running = await listen(servable, '127.0.0.1', port);
  return {
    url: `http://127.0.0.1:${port}`,
    metricsUrl: listener ? `http://${listener.address}/metrics` : null,
    hub,
    config,
    stop: async () => {
      await running.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
