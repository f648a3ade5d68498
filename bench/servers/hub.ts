/**
 * Benchmark child: the real hub (buildHub of src/wiring + listen, exactly as `hub serve` does) with a temp
 * SQLite database, the local Redis under a random key prefix, the repository's tenants, the
 * parent's key set and one client_credentials client for one ES256 JWT resource.
 */
import { join } from 'node:path';
import { buildHub, type Hub } from '../../src/wiring/hub.js';
import { PROJECT_ROOT } from '../../src/config/load.js';
import { configSchema } from '../../src/config/schema.js';
import { listen } from '../../src/http/server.js';
import { sha256Hex } from '../../src/shared/ids.js';
import { createLogger } from '../../src/shared/logger.js';
import { announceReady, fail, freePort, mintRefreshToken, readSpec, REFRESH_SCOPE, stopOn } from './common.js';

/** An active account of the repository's `lille` tenant, whose refresh tokens the bench uses. */
async function refreshMinter(hub: Hub, clientId: string): Promise<() => Promise<string>> {
  const account = await hub.store.forTenant('lille').accounts.create({
    login: `bench.${Date.now()}`, firstName: 'Bench', lastName: 'Account', displayName: 'Bench Account', profile: 'Teacher', status: 'active', passwordHash: null, source: 'local',
  });
  return () => mintRefreshToken(hub.provider, clientId, account.id);
}

async function main(): Promise<void> {
  const spec = readSpec();
  if (!spec.dataDir) throw new Error('hub spec needs dataDir');
  const port = await freePort();
  const config = configSchema.parse({
    issuer: `http://127.0.0.1:${port}`,
    http: { port, host: '127.0.0.1' },
    database: { url: spec.databaseUrl ?? `sqlite:${join(spec.dataDir, 'hub.sqlite')}` },
    redis: { url: spec.redisUrl ?? 'redis://127.0.0.1:6379', keyPrefix: spec.keyPrefix ?? 'bench:' },
    keys: { dir: spec.keysDir },
    tenants: { dir: join(PROJECT_ROOT, 'tenants') },
    log: { level: spec.logLevel ?? 'silent' },
    demo: { seed: false },
    oidc: { resources: [{ indicator: spec.resource, scopes: spec.scope.split(' '), signingAlg: 'ES256' }] },
    clients: [
      {
        clientId: spec.clientId,
        name: 'Benchmark client',
        secretSha256: sha256Hex(spec.clientSecret),
        redirectUris: ['https://bench.example/cb'],
        ...(spec.grant === 'refresh_token'
          ? { grantTypes: ['client_credentials', 'authorization_code', 'refresh_token'], scopes: [...spec.scope.split(' '), ...REFRESH_SCOPE.split(' ')] }
          : { grantTypes: ['client_credentials'], scopes: spec.scope.split(' ') }),
      },
    ],
  });
  const hub = await buildHub(config, createLogger(config.log.level));
  const running = await listen(hub, '127.0.0.1', port);
  stopOn(() => running.stop());
  const probes = spec.grant === 'refresh_token' ? { mintRefreshToken: await refreshMinter(hub, spec.clientId) } : {};
  announceReady(spec, running.port, probes);
}

main().catch(fail);
