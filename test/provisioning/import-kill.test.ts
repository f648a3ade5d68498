/**
 * The interruption property with a real process: `hub import ldap` killed with SIGKILL at several
 * points (early, late, once every account is written but before the links), then run again,
 * leaves the store exactly as one uninterrupted run does — on SQLite and on PostgreSQL.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'chai';
import { CompiledQuery } from 'kysely';
import { writeSdet } from '../../testing/sdet/sdet.js';
import { openSqlStore } from '../../src/storage/sql/database.js';
import { CliSandbox, sleep } from '../../testing/harness/cli.js';
import { createTestDatabase, type TestDatabase } from '../../testing/harness/postgres.js';
import { ldapTenantYaml, startSlapd, type Slapd } from '../../testing/harness/slapd.js';
import { dumpTenant } from '../../testing/harness/store-dump.js';

const SUFFIX = 'dc=ac-lille,dc=fr';
const PEOPLE = 2000;

interface Progress { accounts: number; relations: number }

/** When to kill the run, from what the store shows. */
const KILL_POINTS: Array<{ name: string; when: (p: Progress, total: Progress) => boolean }> = [
  { name: 'with the first batch written', when: (p) => p.accounts > 0 },
  { name: 'with most accounts written', when: (p, total) => p.accounts >= total.accounts * 0.6 },
  { name: 'with every account written, before the links', when: (p, total) => p.accounts >= total.accounts && p.relations === 0 },
  { name: 'while linking', when: (p, total) => p.relations > 0 && p.relations < total.relations },
];

for (const backend of ['SQLite', 'PostgreSQL'] as const) describe(`hub import killed with SIGKILL and run again (${backend})`, function () {
  this.timeout(300_000);
  let box: CliSandbox;
  let slapd: Slapd;
  let env: Record<string, string>;
  let reference: Record<string, unknown[]>;
  const databases: TestDatabase[] = [];

  async function freshDatabase(name: string): Promise<string> {
    if (backend === 'SQLite') return `sqlite:${join(box.dir, `${name}.sqlite`)}`;
    const database = await createTestDatabase();
    databases.push(database);
    return database.url;
  }

  async function withStore<T>(url: string, fn: (store: Awaited<ReturnType<typeof openSqlStore>>) => Promise<T>): Promise<T> {
    const store = await openSqlStore(url);
    try {
      return await fn(store);
    } finally {
      await store.close();
    }
  }

  const importArgs = ['import', 'ldap', '--tenant', 'lille', '--mode', 'full', '--json'];
  const runToEnd = async (url: string) => {
    const r = await box.run(importArgs, { env: { ...env, DATABASE_URL: url }, timeoutMs: 180_000 });
    expect(r.code, r.rawStderr).to.be.oneOf([0, 5]);
    return r;
  };

  async function progressOf(store: Awaited<ReturnType<typeof openSqlStore>>): Promise<Progress> {
    const count = async (table: string) => Number((await store.db.executeQuery<{ n: number | string }>(CompiledQuery.raw(`select count(*) as n from ${table}`))).rows[0]!.n);
    return { accounts: await count('accounts'), relations: await count('relations') };
  }

  before(async () => {
    box = new CliSandbox();
    await writeSdet({ entries: PEOPLE, seed: 5, suffix: SUFFIX }, join(box.dir, 'data.ldif'));
    slapd = await startSlapd({ ldif: join(box.dir, 'data.ldif'), suffix: SUFFIX });
    mkdirSync(join(box.dir, 'tenants'));
    writeFileSync(join(box.dir, 'tenants', 'lille.yaml'), ldapTenantYaml(slapd, SUFFIX, { lines: '    batchSize: 100\n    linkBatchSize: 100\n' }));
    env = { HUB_TENANTS_DIR: join(box.dir, 'tenants'), TEST_LDAP_PASSWORD: slapd.rootPassword };
    const url = await freshDatabase('reference');
    await runToEnd(url);
    reference = await withStore(url, (store) => dumpTenant(store, 'lille'));
    expect(reference.relations!.length).to.be.greaterThan(100);
  });
  after(async () => {
    for (const database of databases) await database.drop();
    await slapd?.stop();
    box?.cleanup();
  });

  for (const point of KILL_POINTS) {
    it(`after a kill ${point.name}`, async function () {
      const url = await freshDatabase(point.name.replace(/\W+/g, '-'));
      const total = { accounts: reference.accounts!.length, relations: reference.relations!.length };
      // The schema first, so that the watcher can read while the import writes.
      await withStore(url, async () => undefined);
      const child = box.spawn(importArgs, { ...env, DATABASE_URL: url });
      child.stdin?.end();
      const exited = new Promise((resolve) => child.once('exit', resolve));
      let killed = false;
      await withStore(url, async (watcher) => {
        while (child.exitCode === null && !killed) {
          const progress = await progressOf(watcher).catch(() => ({ accounts: 0, relations: 0 }));
          if (point.when(progress, total)) killed = child.kill('SIGKILL');
          else await sleep(2);
        }
      });
      await exited;
      // The run may have finished before the point was seen: then there is nothing to resume.
      if (!killed) this.skip();
      await runToEnd(url);
      const dump = await withStore(url, (store) => dumpTenant(store, 'lille'));
      for (const table of Object.keys(reference)) expect(dump[table], table).to.deep.equal(reference[table]);
    });
  }
});
