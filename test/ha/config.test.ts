/** The high-availability settings: Redis Sentinel or Cluster, PostgreSQL replicas; what is refused and why. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { loadConfig } from '../../src/config/load.js';
import { ConfigError } from '../../src/shared/errors.js';
import { createLogger } from '../../src/shared/logger.js';
import { openRedis } from '../../src/wiring/redis.js';

const PRODUCTION_ENV = {
  HUB_MODE: 'production',
  HUB_ISSUER: 'https://sso.hdf.example',
  DATABASE_URL: 'postgresql://hub@db.example/hub',
  HUB_COOKIE_KEYS: 'a'.repeat(32),
  HUB_SECRETS_KEY: 'a'.repeat(32),
};

describe('high-availability settings', () => {
  let dir: string;
  const file = (text: string): string => {
    const path = join(dir, `config-${Math.random().toString(36).slice(2)}.yaml`);
    writeFileSync(path, text);
    return path;
  };
  const issuesOf = (text: string, env: NodeJS.ProcessEnv = {}): string[] => {
    try {
      loadConfig({ env, defaultFile: file(text) });
    } catch (err) {
      expect(err).to.be.instanceOf(ConfigError);
      return (err as ConfigError).issues;
    }
    return expect.fail('expected a ConfigError');
  };

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'hub-ha-config-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('takes a Sentinel master group in place of REDIS_URL, in production too', () => {
    const config = loadConfig({
      env: PRODUCTION_ENV,
      defaultFile: file([
        'demo: { seed: false }',
        'redis:',
        '  name: hubmaster',
        '  sentinels: [{ host: sentinel-a, port: 26379 }, { host: sentinel-b, port: 26379 }]',
        '  password: { env: REDIS_PASSWORD }',
        '',
      ].join('\n')),
    });
    expect(config.redis).to.deep.include({ name: 'hubmaster', password: { env: 'REDIS_PASSWORD' } });
    expect(config.redis.sentinels).to.have.length(2);
  });

  it('takes a Cluster and reads replicas from DATABASE_REPLICAS', () => {
    const config = loadConfig({
      env: { ...PRODUCTION_ENV, DATABASE_REPLICAS: 'postgres://hub@replica-a/hub, postgres://hub@replica-b/hub' },
      defaultFile: file('demo: { seed: false }\nredis:\n  cluster: [{ host: redis-a, port: 6379 }]\n'),
    });
    expect(config.redis.cluster).to.deep.equal([{ host: 'redis-a', port: 6379 }]);
    expect(config.database.replicas).to.deep.equal(['postgres://hub@replica-a/hub', 'postgres://hub@replica-b/hub']);
  });

  it('reports the contradictions, each with its path', () => {
    expect(issuesOf('redis:\n  url: redis://a\n  cluster: [{ host: b, port: 6379 }]\n')).to.include('redis: one of url, sentinels or cluster, not url and cluster');
    expect(issuesOf('redis:\n  sentinels: [{ host: s, port: 26379 }]\n')).to.include('redis.name: required with sentinels (the master group name)');
    expect(issuesOf('redis:\n  cluster: [{ host: a, port: 6379 }]\n  password: "in clear"\n')[0]).to.match(/^redis\.password: a secret is never written in clear/);
    expect(issuesOf('redis: { name: hubmaster }\n')).to.include('redis.name: goes with sentinels');
    expect(issuesOf('redis: { keyPrefix: "{hub}:", cluster: [{ host: a, port: 6379 }] }\n')[0]).to.match(/^redis\.keyPrefix: no \{ or \} with a cluster/);
    expect(issuesOf('database: { url: "sqlite::memory:", replicas: ["postgres://hub@replica/hub"] }\n')).to.include('database.replicas: replicas go with a PostgreSQL database.url');
  });

  it('says which variable is missing for a Redis password, before any connection', async () => {
    const error = await openRedis(
      { keyPrefix: 'hub:', name: 'hubmaster', sentinels: [{ host: '127.0.0.1', port: 1 }], password: { env: 'HUB_TEST_NO_SUCH_VARIABLE' } },
      createLogger('silent'),
    ).then(() => null, (e: unknown) => e);
    expect(error).to.be.instanceOf(ConfigError);
    expect((error as ConfigError).issues).to.deep.equal(['environment variable HUB_TEST_NO_SUCH_VARIABLE is not set']);
  });
});
