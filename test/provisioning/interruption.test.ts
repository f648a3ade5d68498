/**
 * The import's interruption property, on both engines: whatever the point where a run stops (the
 * directory gone, the store failing before or after a batch commits, while linking, while
 * marking disappearances), the first complete run afterwards leaves the store exactly as one
 * uninterrupted run does: accounts, memberships, relations, identities, structures and classes.
 * The faults are injected in-process (a source that stops answering, a store whose call fails);
 * test/provisioning/import-kill.test.ts kills a real `hub import` process.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import type { Redis } from 'ioredis';
import { tenantSchema, type TenantConfig } from '../../src/config/tenant-schema.js';
import { writeSdet } from '../../testing/sdet/sdet.js';
import { runImport, type ImportDeps } from '../../src/provisioning/job.js';
import type { SdetMapperOptions } from '../../src/provisioning/sdet/mapping.js';
import { openLdapSource, type DirectorySource } from '../../src/provisioning/source/ldap.js';
import { createLogger } from '../../src/shared/logger.js';
import type { ImportStore, TenantScope } from '../../src/storage/ports/index.js';
import { createRedis, waitForRedis } from '../../src/storage/redis/client.js';
import { RedisLockService } from '../../src/storage/redis/lock.js';
import { openSqlStore, type SqlStore } from '../../src/storage/sql/database.js';
import { createTestDatabase, type TestDatabase } from '../../testing/harness/postgres.js';
import { randomPrefix, testRedisUrl } from '../../testing/harness/redis.js';
import { startSlapd, type Slapd } from '../../testing/harness/slapd.js';
import { dumpTenant } from '../../testing/harness/store-dump.js';

const SUFFIX = 'dc=ac-lille,dc=fr';
const PEOPLE = 900;

/** A fault: which store call fails (its `nth` call), before it runs or once it has committed. */
interface StoreFault { kind: 'store'; method: keyof ImportStore; nth: number; when: 'before' | 'after' }
/** The directory stops answering after `people` person entries (a connection reset, simulated). */
interface SourceFault { kind: 'source'; people: number }
type Fault = StoreFault | SourceFault;

const FAULTS: Array<{ name: string; fault: Fault }> = [
  { name: 'the directory lost after 150 people', fault: { kind: 'source', people: 150 } },
  { name: 'the directory lost after 700 people', fault: { kind: 'source', people: 700 } },
  { name: 'the store failing on the 3rd batch, before it commits', fault: { kind: 'store', method: 'applyAccounts', nth: 3, when: 'before' } },
  { name: 'the store failing once the 5th batch committed', fault: { kind: 'store', method: 'applyAccounts', nth: 5, when: 'after' } },
  { name: 'the store failing once the last batch committed (before linking)', fault: { kind: 'store', method: 'resolveRelations', nth: 1, when: 'before' } },
  { name: 'the store failing once the links are made', fault: { kind: 'store', method: 'resolveRelations', nth: 1, when: 'after' } },
  { name: 'the store failing while marking disappearances', fault: { kind: 'store', method: 'liveAccountsOfSource', nth: 1, when: 'before' } },
];

class InjectedFault extends Error {}

/** Table by table, and the first rows that differ: a whole-store diff would be unreadable. */
function expectSameStore(actual: Record<string, unknown[]>, expected: Record<string, unknown[]>): void {
  for (const table of Object.keys(expected)) {
    const a = actual[table]!.map((r) => JSON.stringify(r));
    const e = new Set(expected[table]!.map((r) => JSON.stringify(r)));
    const extra = a.filter((r) => !e.has(r));
    const missing = [...e].filter((r) => !a.includes(r));
    expect({ table, extra: extra.slice(0, 3), missing: missing.slice(0, 3), counts: [a.length, e.size] }).to.deep.equal({ table, extra: [], missing: [], counts: [e.size, e.size] });
  }
}

function faultyScope(scope: TenantScope, fault: StoreFault): TenantScope {
  let calls = 0;
  const imports = new Proxy(scope.imports, {
    get(target, prop, receiver) {
      const value: unknown = Reflect.get(target, prop, receiver);
      if (prop !== fault.method || typeof value !== 'function') return value;
      return async (...args: unknown[]) => {
        calls += 1;
        if (calls === fault.nth && fault.when === 'before') throw new InjectedFault(`${String(prop)} failed (injected)`);
        const result: unknown = await (value as (...a: unknown[]) => Promise<unknown>).apply(target, args);
        if (calls === fault.nth && fault.when === 'after') throw new InjectedFault(`${String(prop)} failed after committing (injected)`);
        return result;
      };
    },
  });
  return new Proxy(scope, { get: (target, prop, receiver) => (prop === 'imports' ? imports : Reflect.get(target, prop, receiver)) });
}

for (const backend of ['SQLite', 'PostgreSQL'] as const) describe(`interrupted imports complete like uninterrupted ones (${backend})`, function () {
  this.timeout(300_000);
  let dir: string;
  let slapd: Slapd;
  let redis: Redis;
  let tenant: TenantConfig;
  let reference: Record<string, unknown[]>;
  const databases: TestDatabase[] = [];
  const log = createLogger('silent');

  async function freshStore(name: string): Promise<SqlStore> {
    let url = `sqlite:${join(dir, `${name}.sqlite`)}`;
    if (backend === 'PostgreSQL') {
      const database = await createTestDatabase();
      databases.push(database);
      url = database.url;
    }
    const store = await openSqlStore(url);
    await store.tenants.upsert({ id: 'lille', name: 'Lille', academyCode: '09' });
    return store;
  }

  const source = (mapping: SdetMapperOptions) => {
    const s = tenant.directorySources[0]!;
    return openLdapSource({ url: s.url, bindDn: s.bindDn, bindPassword: slapd.rootPassword, rejectUnauthorized: true, pageSize: s.pageSize, timeLimitSeconds: 30, connectTimeoutSeconds: 2, maxRetries: 0 }, mapping);
  };

  function dyingSource(after: number) {
    return async (mapping: SdetMapperOptions): Promise<DirectorySource> => {
      const real = await source(mapping);
      let served = 0;
      return {
        ...real,
        async *read(base, filter, kind) {
          for await (const item of real.read(base, filter, kind)) {
            if (kind === 'person' && ++served > after) throw new InjectedFault('connection reset (injected)');
            yield item;
          }
        },
      };
    };
  }

  const deps = (store: SqlStore, fault?: Fault): ImportDeps => {
    const scope = store.forTenant('lille', { linksPerTransaction: tenant.directorySources[0]!.linkBatchSize });
    return {
      scope: fault?.kind === 'store' ? faultyScope(scope, fault) : scope,
      locks: new RedisLockService(redis),
      openSource: fault?.kind === 'source' ? dyingSource(fault.people) : source,
      log,
    };
  };
  const full = { mode: 'full' as const, dryRun: false, allowMassRemoval: false };

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'hub-interrupt-'));
    await writeSdet({ entries: PEOPLE, bad: 3, seed: 11, suffix: SUFFIX }, join(dir, 'data.ldif'));
    slapd = await startSlapd({ ldif: join(dir, 'data.ldif'), suffix: SUFFIX });
    redis = createRedis(await testRedisUrl(), randomPrefix());
    await waitForRedis(redis);
    tenant = tenantSchema.parse({
      id: 'lille', name: 'Lille', academyCode: '09',
      directorySources: [{
        id: 'AC-LILLE', type: 'ldap', url: slapd.url, enabled: true, bindDn: slapd.rootDn, bindPassword: { env: 'UNUSED' },
        baseDn: { people: `ou=people,${SUFFIX}`, structures: `ou=structures,${SUFFIX}`, groups: `ou=groups,${SUFFIX}` },
        // Small batches and link chunks: many points to stop at.
        pageSize: 100, batchSize: 100, linkBatchSize: 150, clockSkewSeconds: 0,
      }],
    });
    const store = await freshStore('reference');
    try {
      const report = await runImport(deps(store), { tenant, source: tenant.directorySources[0]!, ...full });
      expect(report.run.status).to.equal('completed');
      reference = await dumpTenant(store, 'lille');
    } finally {
      await store.close();
    }
    expect(reference.relations!.length, 'the directory states parent–child links').to.be.greaterThan(50);
  });
  after(async () => {
    redis?.disconnect();
    for (const database of databases) await database.drop();
    await slapd?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  for (const { name, fault } of FAULTS) {
    it(`after ${name}`, async () => {
      const store = await freshStore(name.replace(/\W+/g, '-'));
      try {
        const request = { tenant, source: tenant.directorySources[0]!, ...full };
        const failed = await runImport(deps(store, fault), request).catch((e: unknown) => e);
        expect(failed, 'the faulty run fails').to.be.instanceOf(Error).and.have.property('message').that.matches(/injected/);
        const [stopped] = await store.forTenant('lille').imports.listRuns(1);
        expect(stopped).to.include({ status: 'failed' });
        // Its row shows what its committed batches did, not what it had planned.
        expect(stopped!.counters.created, 'created by the stopped run').to.equal(await store.forTenant('lille').accounts.count());
        const resumed = await runImport(deps(store), request);
        expect(resumed.run.status).to.equal('completed');
        expectSameStore(await dumpTenant(store, 'lille'), reference);
      } finally {
        await store.close();
      }
    });
  }

  it('after two interruptions in a row, the second one while linking', async () => {
    const store = await freshStore('twice');
    try {
      const request = { tenant, source: tenant.directorySources[0]!, ...full };
      await runImport(deps(store, { kind: 'source', people: 400 }), request).catch(() => undefined);
      await runImport(deps(store, { kind: 'store', method: 'resolveRelations', nth: 1, when: 'before' }), request).catch(() => undefined);
      expect((await runImport(deps(store), request)).run.status).to.equal('completed');
      expectSameStore(await dumpTenant(store, 'lille'), reference);
    } finally {
      await store.close();
    }
  });
});
