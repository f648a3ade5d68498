/**
 * Faults during a real `hub import ldap` (a child process reading a real slapd), each on a store
 * a complete run has filled: the directory connection cut for real (a TCP proxy in between),
 * PostgreSQL restarted, the process killed while it holds the Redis lock. A run that cannot end
 * fails with a clear message and its exit code, deprovisions nothing (every account stays as
 * the complete run left it), and the next run completes, leaving the store as one uninterrupted
 * run does. test/provisioning/import-kill.test.ts kills a first run at several points;
 * interruption.test.ts simulates the faults in process.
 */
import type { ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'chai';
import { Redis } from 'ioredis';
import { CompiledQuery } from 'kysely';
import { openSqlStore, type SqlStore } from '../../src/storage/sql/database.js';
import { writeSdet } from '../../testing/sdet/sdet.js';
import { CliSandbox, collect, hasStackTrace, sleep, type CliResult } from '../../testing/harness/cli.js';
import { startPostgresCluster, type PostgresCluster } from '../../testing/harness/postgres.js';
import { spawnRedis, type RedisServer } from '../../testing/harness/redis.js';
import { ldapTenantYaml, startSlapd, type Slapd } from '../../testing/harness/slapd.js';
import { dumpTenant } from '../../testing/harness/store-dump.js';
import { startTcpCutter, type TcpCutter } from '../../testing/harness/tcp-cutter.js';

const SUFFIX = 'dc=ac-lille,dc=fr';
const PEOPLE = 1000;
// Long enough for a second `hub` process to start (tsx compiles it) while the lease holds.
const LEASE_SECONDS = 15;
const IMPORT = ['import', 'ldap', '--tenant', 'lille', '--mode', 'full'];

describe('faults during an import', function () {
  this.timeout(120_000);
  let box: CliSandbox;
  let slapd: Slapd;
  let cutter: TcpCutter;
  let redis: RedisServer;
  let env: Record<string, string>;

  async function withStore<T>(url: string, fn: (store: SqlStore) => Promise<T>): Promise<T> {
    const store = await openSqlStore(url);
    try {
      return await fn(store);
    } finally {
      await store.close();
    }
  }

  const dump = (url: string) => withStore(url, (store) => dumpTenant(store, 'lille'));
  const run = (url: string) => box.run(IMPORT, { env: { ...env, DATABASE_URL: url }, timeoutMs: 90_000 });

  async function completeRun(url: string): Promise<void> {
    const result = await run(url);
    expect(result.code, result.rawStderr).to.equal(0);
  }

  /** The read counter of the run under way, or 0 (none yet, or the database is away). */
  async function readSoFar(store: SqlStore): Promise<number> {
    const { rows } = await store.db.executeQuery<{ counters: unknown }>(CompiledQuery.raw("select counters from import_runs where status = 'running'"));
    if (rows.length === 0) return 0;
    const counters = typeof rows[0]!.counters === 'string' ? JSON.parse(rows[0]!.counters) : rows[0]!.counters;
    return Number((counters as { read?: number }).read ?? 0);
  }

  /** Starts an import and calls `fault` once it has read `atLeast` entries; returns its result. */
  async function importWithFault(url: string, atLeast: number, fault: (child: ChildProcess) => Promise<void> | void): Promise<CliResult> {
    const child = box.spawn(IMPORT, { ...env, DATABASE_URL: url });
    const result = collect(child, 90_000);
    child.stdin?.end();
    await withStore(url, async (watcher) => {
      while (child.exitCode === null && (await readSoFar(watcher).catch(() => 0)) < atLeast) await sleep(5);
    });
    expect(child.exitCode, 'the run ended before the fault').to.equal(null);
    await fault(child);
    return result;
  }

  function expectFailed(result: CliResult, pattern: RegExp): void {
    const detail = `stdout: ${result.stdout}\nstderr: ${result.rawStderr}`;
    expect(result.code, detail).to.equal(1);
    expect(result.stderr, detail).to.match(/^hub: /);
    expect(result.stderr, detail).to.match(pattern);
    expect(hasStackTrace(result.rawStderr), detail).to.equal(false);
  }

  before(async () => {
    box = new CliSandbox();
    await writeSdet({ entries: PEOPLE, seed: 7, suffix: SUFFIX }, join(box.dir, 'data.ldif'));
    slapd = await startSlapd({ ldif: join(box.dir, 'data.ldif'), suffix: SUFFIX });
    cutter = await startTcpCutter({ host: '127.0.0.1', port: slapd.port });
    redis = await spawnRedis();
    mkdirSync(join(box.dir, 'tenants'));
    const throughCutter = { ...slapd, url: `ldap://127.0.0.1:${cutter.port}` };
    writeFileSync(join(box.dir, 'tenants', 'lille.yaml'), ldapTenantYaml(throughCutter, SUFFIX, {
      lines: `    batchSize: 50\n    pageSize: 50\n    maxRetries: 1\n    lockLeaseSeconds: ${LEASE_SECONDS}\n`,
    }));
    env = { HUB_TENANTS_DIR: join(box.dir, 'tenants'), TEST_LDAP_PASSWORD: slapd.rootPassword, REDIS_URL: redis.url };
  });
  after(async () => {
    await cutter?.close();
    await slapd?.stop();
    await redis?.stop();
    box?.cleanup();
  });

  describe('the directory connection cut (SQLite)', () => {
    const url = () => `sqlite:${join(box.dir, 'ldap-cut.sqlite')}`;
    let reference: Record<string, unknown[]>;
    before(async () => {
      await completeRun(url());
      reference = await dump(url());
      expect(reference.accounts!.length).to.be.greaterThan(PEOPLE / 2);
    });

    it('once, with a retry left: the search starts again on a new connection and the run completes', async () => {
      const before = cutter.connections;
      const result = await importWithFault(url(), PEOPLE / 3, () => cutter.cut());
      expect(result.code, result.rawStderr).to.equal(0);
      expect(cutter.connections).to.be.greaterThan(before + 1);
      expect(await dump(url())).to.deep.equal(reference);
    });

    it('for good: the run fails, says the directory is lost, deprovisions nothing; the next run completes', async () => {
      const result = await importWithFault(url(), PEOPLE / 3, () => cutter.refuse());
      try {
        expectFailed(result, /the import failed after committing .*: cannot reach the directory at 127.0.0.1:\d+/);
        expect(await dump(url())).to.deep.equal(reference);
      } finally {
        cutter.accept();
      }
      await completeRun(url());
      expect(await dump(url())).to.deep.equal(reference);
    });
  });

  describe('PostgreSQL restarted', () => {
    let cluster: PostgresCluster;
    let reference: Record<string, unknown[]>;
    before(async () => {
      cluster = await startPostgresCluster();
      await completeRun(cluster.url);
      reference = await dump(cluster.url);
    });
    after(() => cluster?.remove());

    it('the run fails with the database named, deprovisions nothing; the next run completes', async () => {
      const result = await importWithFault(cluster.url, PEOPLE / 3, () => cluster.restart());
      expectFailed(result, /the import failed after committing .*: database is unavailable \(.+\)$/m);
      expect(await dump(cluster.url)).to.deep.equal(reference);
      await completeRun(cluster.url);
      expect(await dump(cluster.url)).to.deep.equal(reference);
    });
  });

  describe('the process killed while it holds the Redis lock (SQLite)', () => {
    const url = () => `sqlite:${join(box.dir, 'killed.sqlite')}`;
    let reference: Record<string, unknown[]>;
    before(async () => {
      await completeRun(url());
      reference = await dump(url());
    });

    it('a run started at once is refused while the lease holds, and runs once it expired', async () => {
      const killed = await importWithFault(url(), PEOPLE / 3, (child) => void child.kill('SIGKILL'));
      expect(killed.signal).to.equal('SIGKILL');
      const lock = new Redis(redis.url);
      try {
        const refused = await run(url());
        expect(refused.code, refused.rawStderr).to.equal(3);
        expect(refused.stderr).to.match(/^hub: an import of AC-LILLE for lille is already running/);
        expect(hasStackTrace(refused.rawStderr)).to.equal(false);
        // Nobody released the lock: its lease ends it.
        const deadline = Date.now() + (LEASE_SECONDS + 2) * 1000;
        while ((await lock.keys('*lock:import:lille:AC-LILLE')).length > 0) {
          expect(Date.now(), 'the lease did not expire').to.be.below(deadline);
          await sleep(100);
        }
      } finally {
        lock.disconnect();
      }
      await completeRun(url());
      expect(await dump(url())).to.deep.equal(reference);
    });
  });
});
