/**
 * LDAP import against a real slapd loaded with generated SDET data: full, idempotent re-run,
 * dry run, delta, quarantine, mass-removal guard, interrupted run resumed, concurrent runs.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import type { Redis } from 'ioredis';
import { CompiledQuery } from 'kysely';
import { Client } from 'ldapts';
import { tenantSchema, type TenantConfig } from '../../src/config/tenant-schema.js';
import type { DirectorySourceConfig } from '../../src/provisioning/source-config.js';
import { writeSdet, type SdetWriteResult } from '../../testing/sdet/sdet.js';
import { ImportRefused, runImport, type ImportDeps, type ImportRequest } from '../../src/provisioning/job.js';
import { createSdetMapper, type SdetMapperOptions } from '../../src/provisioning/sdet/mapping.js';
import { openLdapClient } from '../../src/provisioning/source/ldap-client.js';
import { DirectoryError, openLdapSource, openLdapSourceInThisThread, type DirectorySource, type EntryKind, type LdapSourceOptions } from '../../src/provisioning/source/ldap.js';
import { createLogger } from '../../src/shared/logger.js';
import { createRedis, waitForRedis } from '../../src/storage/redis/client.js';
import { RedisLockService } from '../../src/storage/redis/lock.js';
import { openSqlStore, type SqlStore } from '../../src/storage/sql/database.js';
import { createTestDatabase, type TestDatabase } from '../../testing/harness/postgres.js';
import { randomPrefix, testRedisUrl } from '../../testing/harness/redis.js';
import { startSlapd, type Slapd } from '../../testing/harness/slapd.js';

const SUFFIX = 'dc=ac-lille,dc=fr';
/** The generator names people `uid=L<AAF id>`; the external id is `LILLE-<AAF id>`. */
const dnOf = (externalId: string) => `uid=L${externalId.replace(/^LILLE-/, '')},ou=people,${SUFFIX}`;
const PEOPLE = 1500;
const BAD = 5;

function tenantWith(slapd: Slapd, overrides: Partial<Record<keyof DirectorySourceConfig, unknown>> = {}): TenantConfig {
  return tenantSchema.parse({
    id: 'lille', name: 'Lille', academyCode: '09',
    directorySources: [{
      id: 'AC-LILLE', type: 'ldap', url: slapd.url, enabled: true, bindDn: slapd.rootDn, bindPassword: { env: 'UNUSED' },
      baseDn: { people: `ou=people,${SUFFIX}`, structures: `ou=structures,${SUFFIX}`, groups: `ou=groups,${SUFFIX}` },
      pageSize: 200, batchSize: 250, linkBatchSize: 500, clockSkewSeconds: 0, ...overrides,
    }],
  });
}

// The import's batch SQL is hand-written per engine: both run the same scenarios.
for (const backend of ['SQLite', 'PostgreSQL'] as const) describe(`LDAP import (real slapd, ${backend})`, function () {
  this.timeout(120_000);
  let dir: string;
  let slapd: Slapd;
  let plan: SdetWriteResult;
  let store: SqlStore;
  let database: TestDatabase | null = null;
  let redis: Redis;
  let tenant: TenantConfig;
  /** What the first full run warned about (the links test checks it). */
  let fullRunWarnings: string[] = [];
  const log = createLogger('silent');

  const ldapOptions = (t: TenantConfig = tenant, password = slapd.rootPassword): LdapSourceOptions => {
    const s = t.directorySources[0]!;
    return { url: s.url, bindDn: s.bindDn, bindPassword: password, rejectUnauthorized: true, pageSize: s.pageSize, timeLimitSeconds: 30, connectTimeoutSeconds: 2, maxRetries: 1 };
  };
  const sourceOf = (t: TenantConfig = tenant, password = slapd.rootPassword) => (mapping: SdetMapperOptions) => openLdapSource(ldapOptions(t, password), mapping);
  const deps = (extra: Partial<ImportDeps> = {}): ImportDeps => ({ scope: store.forTenant('lille', { linksPerTransaction: tenant.directorySources[0]!.linkBatchSize }), locks: new RedisLockService(redis), openSource: sourceOf(), log, ...extra });
  const request = (mode: 'full' | 'delta', extra: Partial<ImportRequest> = {}): ImportRequest => ({ tenant, source: tenant.directorySources[0]!, mode, dryRun: false, allowMassRemoval: false, ...extra });
  const lille = () => store.forTenant('lille');

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'hub-import-'));
    plan = await writeSdet({ entries: PEOPLE, bad: BAD, seed: 7, suffix: SUFFIX }, join(dir, 'data.ldif'));
    slapd = await startSlapd({ ldif: join(dir, 'data.ldif'), suffix: SUFFIX });
    database = backend === 'SQLite' ? null : await createTestDatabase();
    store = await openSqlStore(database ? database.url : `sqlite:${join(dir, 'hub.sqlite')}`);
    await store.tenants.upsert({ id: 'lille', name: 'Lille', academyCode: '09' });
    redis = createRedis(await testRedisUrl(), randomPrefix());
    await waitForRedis(redis);
    tenant = tenantWith(slapd);
  });
  after(async () => {
    redis?.disconnect();
    await store?.close();
    await database?.drop();
    await slapd?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('refuses a wrong bind password, an unreachable server and a bad base DN, recording nothing', async () => {
    const wrong = await runImport(deps({ openSource: sourceOf(tenant, 'not the password') }), request('full')).catch((e: unknown) => e);
    expect(wrong).to.be.instanceOf(DirectoryError).and.have.property('code', 'ldap_bind_failed');
    const closed = tenantWith(slapd, { url: 'ldap://127.0.0.1:1' });
    const unreachable = await runImport(deps({ openSource: sourceOf(closed) }), request('full')).catch((e: unknown) => e);
    expect(unreachable).to.be.instanceOf(DirectoryError).and.have.property('code', 'ldap_unreachable');
    const badBase = tenantWith(slapd, { baseDn: { people: `ou=nobody,${SUFFIX}`, structures: `ou=structures,${SUFFIX}`, groups: `ou=groups,${SUFFIX}` } });
    const base = await runImport(deps(), { ...request('full'), tenant: badBase, source: badBase.directorySources[0]! }).catch((e: unknown) => e);
    expect(base).to.be.instanceOf(DirectoryError).and.have.property('code', 'ldap_bad_base');
    expect(await lille().imports.listRuns()).to.deep.equal([]);
    expect(await lille().accounts.count()).to.equal(0);
  });

  it('a dry run reports what a full run would do and writes no account', async () => {
    const report = await runImport(deps(), request('full', { dryRun: true }));
    expect(report.counters.created).to.be.greaterThan(PEOPLE - 50);
    expect(await lille().accounts.count()).to.equal(0);
    expect(await lille().structures.list()).to.deep.equal([]);
  });

  it('reads the same mapped entries, quarantined ones included, in the reader worker and in this thread', async () => {
    const mapping = { source: 'AC-LILLE', externalIdPrefix: 'LILLE' };
    const readAll = async (source: DirectorySource) => {
      const items: unknown[] = [];
      try {
        for (const [base, kind] of [['structures', 'structure'], ['groups', 'group'], ['people', 'person']] as Array<[string, EntryKind]>) {
          for await (const item of source.read(`ou=${base},${SUFFIX}`, '(objectClass=*)', kind)) items.push(item);
        }
      } finally {
        await source.close();
      }
      return items;
    };
    const inWorker = await readAll(await openLdapSource(ldapOptions(), mapping));
    const here = await readAll(await openLdapSourceInThisThread(ldapOptions(), mapping));
    expect(inWorker.length).to.be.greaterThan(PEOPLE);
    expect(inWorker.some((item) => !(item as { mapped: { ok: boolean } }).mapped.ok)).to.equal(true);
    expect(here).to.deep.equal(inWorker);
  });

  it('asks the directory only for the attributes the mapping reads', async () => {
    const wanted = createSdetMapper({ source: 'AC-LILLE' }).attributes('person');
    const client = await openLdapClient(ldapOptions());
    const names = new Set<string>();
    let entries = 0;
    try {
      for await (const entry of client.search(`ou=people,${SUFFIX}`, '(objectClass=ENTEleve)', wanted)) {
        entries += 1;
        for (const name of Object.keys(entry.attributes)) names.add(name.toLowerCase());
      }
    } finally {
      await client.close();
    }
    expect(entries).to.be.greaterThan(0);
    // Pupils carry a login, a sex and a MEF in the directory: none of them comes back.
    expect([...names]).to.include.members(['objectclass', 'modifytimestamp', 'entpersonjointure', 'enteleveine']);
    expect([...names].filter((n) => !wanted.some((w) => w.toLowerCase() === n))).to.deep.equal([]);
  });

  it('maps with the source\'s mapping settings, and refuses wrong ones before reading anything', async () => {
    const runsBefore = (await lille().imports.listRuns(100)).length;
    const wrong = tenantWith(slapd, { mapping: { overrides: { ENTEleve: { ENTEleveClase: 'x' } } } });
    const refused = await runImport(deps(), { ...request('full'), tenant: wrong, source: wrong.directorySources[0]! }).catch((e: unknown) => e);
    expect(refused).to.be.instanceOf(ImportRefused).and.have.property('code', 'bad_mapping');
    expect((refused as Error).message).to.match(/mapping of AC-LILLE is wrong: .*ENTEleveClase/);
    expect((await lille().imports.listRuns(100)).length).to.equal(runsBefore);
    // The reader worker maps with them: every person's DN is longer than 24 characters.
    const strict = tenantWith(slapd, { mapping: { maxValueLength: 24 } });
    const everyone = await runImport(deps(), { ...request('full', { dryRun: true }), tenant: strict, source: strict.directorySources[0]! }).catch((e: unknown) => e);
    // Every person quarantined: not an import, whatever the counters say.
    expect(everyone).to.be.instanceOf(ImportRefused).and.have.property('code', 'too_many_quarantined');
    const run = (everyone as ImportRefused).run!;
    expect(run).to.include({ status: 'failed' });
    expect(run.counters.created).to.equal(0);
    expect((await lille().imports.listQuarantine(run.id))[0]?.reason).to.match(/longer than 24 characters/);
  });

  it('imports everything on a full run, quarantining bad entries with their reasons', async () => {
    // A pupil names a parent the directory does not have: the run warns about that link.
    const client = new Client({ url: slapd.url });
    await client.bind(slapd.rootDn, slapd.rootPassword);
    const [pupil] = (await client.search(`ou=people,${SUFFIX}`, { filter: '(objectClass=ENTEleve)', attributes: ['1.1'], sizeLimit: 1 })).searchEntries;
    await client.unbind();
    await slapd.add(`dn: ${pupil!.dn}\nchangetype: modify\nadd: ENTEleveParents\nENTEleveParents: uid=L999999999,ou=people,${SUFFIX}\n`);
    // Let the second of the bulk load end, so the next delta can start strictly after it.
    await new Promise((r) => setTimeout(r, 1100));
    const codes: string[] = [];
    const report = await runImport(deps({ onCodes: (c) => codes.push(...c.map((x) => x.code)) }), request('full'));
    fullRunWarnings = report.warnings;
    const c = report.counters;
    expect(c.read).to.equal(PEOPLE + BAD + plan.structures + plan.classes + plan.groups);
    expect(c.quarantined).to.be.at.least(BAD);
    expect(c.created + c.quarantined).to.equal(PEOPLE + BAD);
    expect(report.quarantined.map((q) => q.reason).join('\n')).to.match(/date/i).and.match(/duplicate jointure/).and.match(/dangling/);
    expect(await lille().accounts.count()).to.equal(c.created);
    expect(codes).to.have.length(c.created);
    expect(new Set(codes).size).to.equal(codes.length);
    expect((await lille().structures.list()).length).to.equal(plan.structures);
    expect(report.run.highWaterMark).to.match(/^\d{14}Z$/);
  });

  it('builds accounts the claims can use: pending with a login, classes, parents', async () => {
    const accounts = await lille().accounts.list({ limit: 5000 });
    const pupil = accounts.find((a) => a.profile === 'Student')!;
    expect(pupil.status).to.equal('pending');
    expect(pupil.login).to.match(/^[a-z0-9]+\.[a-z0-9]+\d*$/);
    expect(pupil.externalId).to.match(/^LILLE-\d+$/);
    expect(await lille().memberships.groupsOf(pupil.id)).to.have.length.greaterThan(0);
    const parents = accounts.filter((a) => a.profile === 'Relative');
    const withChildren = await Promise.all(parents.slice(0, 20).map((p) => lille().relations.childrenOf(p.id)));
    expect(withChildren.some((children) => children.length > 0)).to.equal(true);
    expect(new Set(accounts.map((a) => a.login)).size).to.equal(accounts.length);
  });

  it('links exactly the parents and children the directory states, from either side', async () => {
    // Read from slapd, independently of the import's mapping: `uid=L<AAF id>` is `LILLE-<AAF id>`.
    const idOf = (dn: string) => /uid\s*=\s*L(\d+)/i.exec(dn)?.[1];
    const client = new Client({ url: slapd.url });
    await client.bind(slapd.rootDn, slapd.rootPassword);
    const { searchEntries } = await client.search(`ou=people,${SUFFIX}`, { filter: '(objectClass=ENTPerson)', attributes: ['ENTEleveParents', 'ENTEleveAutoriteParentale', 'ENTElevePersRelEleve', 'ENTAuxPersRelEleveEleve'] });
    await client.unbind();
    const list = (v: unknown) => (v === undefined ? [] : Array.isArray(v) ? v.map(String) : [String(v)]);
    // Every statement of a link: who states it, and the pair.
    const statements: Array<{ by: string; parent: string; child: string }> = [];
    for (const e of searchEntries) {
      const self = `LILLE-${idOf(e.dn)}`;
      for (const dn of [...list(e.ENTEleveParents), ...list(e.ENTEleveAutoriteParentale)]) statements.push({ by: self, parent: `LILLE-${idOf(dn)}`, child: self });
      for (const rel of list(e.ENTElevePersRelEleve)) if (rel.split('$')[3] === '1') statements.push({ by: self, parent: `LILLE-${rel.split('$')[0]}`, child: self });
      for (const dn of list(e.ENTAuxPersRelEleveEleve)) statements.push({ by: self, parent: self, child: `LILLE-${idOf(dn)}` });
    }
    const accounts = await lille().accounts.list({ limit: 5000 });
    const imported = new Set(accounts.map((a) => a.externalId));
    const made = statements.filter((s) => imported.has(s.by));
    const expected = [...new Set(made.filter((s) => imported.has(s.parent) && imported.has(s.child)).map((s) => `${s.parent}>${s.child}`))].sort();
    // A statement naming nobody the run imported is reported, once per statement.
    const dangling = made.filter((s) => !imported.has(s.parent) || !imported.has(s.child)).length;
    expect(dangling).to.be.greaterThan(0);
    expect(fullRunWarnings).to.deep.equal([`${dangling} parent–child link(s) name a person who was not imported (absent from the directory, or quarantined)`]);
    const linked: string[] = [];
    for (const parent of accounts.filter((a) => a.profile === 'Relative')) {
      for (const child of await lille().relations.childrenOf(parent.id)) linked.push(`${parent.externalId}>${child.externalId}`);
    }
    expect(expected.length).to.be.greaterThan(PEOPLE / 4);
    expect(linked.sort()).to.deep.equal(expected);
  });

  it('a second full run with unchanged data writes nothing', async () => {
    const before = await lille().accounts.list({ limit: 5000 });
    const report = await runImport(deps(), request('full'));
    expect(report.counters).to.include({ created: 0, updated: 0, disappeared: 0 });
    expect(report.counters.unchanged).to.equal(before.length);
    const after = await lille().accounts.list({ limit: 5000 });
    expect(after.map((a) => a.updatedAt.getTime())).to.deep.equal(before.map((a) => a.updatedAt.getTime()));
  });

  it('a delta run reads only what changed since the last run', async () => {
    const people = await lille().accounts.list({ limit: 5000 });
    const target = people.find((a) => a.profile === 'Teacher')!;
    await new Promise((r) => setTimeout(r, 1100)); // modifyTimestamp has a one-second resolution
    await slapd.add(`dn: ${dnOf(target.externalId!)}\nchangetype: modify\nreplace: sn\nsn: Nouveaunom\n`);
    const report = await runImport(deps(), request('delta'));
    expect(report.counters).to.include({ read: 1, updated: 1, created: 0, disappeared: 0 });
    expect((await lille().accounts.get(target.id)).lastName).to.equal('Nouveaunom');
    const again = await runImport(deps(), request('delta'));
    expect(again.counters.read).to.be.at.most(1);
    expect(again.counters.updated).to.equal(0);
  });

  it('a delta run rewrites only the parts of an account that changed: fields, memberships or links', async () => {
    const accounts = await lille().accounts.list({ limit: 5000 });
    const pupils = accounts.filter((a) => a.profile === 'Student');
    let pupil: (typeof pupils)[number] | undefined;
    for (const p of pupils) if ((await lille().memberships.groupsOf(p.id)).some((g) => g.kind === 'class') && (await lille().relations.parentsOf(p.id)).length > 0) { pupil = p; break; }
    const dn = dnOf(pupil!.externalId!);
    const client = new Client({ url: slapd.url });
    await client.bind(slapd.rootDn, slapd.rootPassword);
    const [entry] = (await client.search(dn, { scope: 'base', attributes: ['ENTEleveClasses', 'ENTEleveParents'] })).searchEntries;
    await client.unbind();
    const groupsOf = async () => (await lille().memberships.groupsOf(pupil!.id)).map((g) => g.id).sort();
    const parentsOf = async () => (await lille().relations.parentsOf(pupil!.id)).map((a) => a.id).sort();
    const [groups, parents] = [await groupsOf(), await parentsOf()];
    const writes = await countWrites(store, ['account_structures', 'group_members', 'relations', 'import_pending_relations']);
    const delta = async (ldif: string, target = dn) => {
      await new Promise((r) => setTimeout(r, 1100)); // modifyTimestamp has a one-second resolution
      await slapd.add(`dn: ${target}\nchangetype: modify\n${ldif}`);
      const report = await runImport(deps(), request('delta'));
      // The entry changed in the second of the last mark may be read again, unchanged.
      expect(report.counters).to.include({ updated: 1, created: 0 });
      return writes();
    };

    // A new family name: the account's row, nothing else.
    expect(await delta('replace: sn\nsn: Autrenom\n')).to.deep.equal({ account_structures: 0, group_members: 0, relations: 0, import_pending_relations: 0 });
    expect((await lille().accounts.get(pupil!.id)).lastName).to.equal('Autrenom');
    expect([await groupsOf(), await parentsOf()]).to.deep.equal([groups, parents]);

    // Another class of the same school: memberships, not links.
    const [classRef] = [entry!.ENTEleveClasses].flat().map(String);
    const membership = (await lille().memberships.groupsOf(pupil!.id)).find((g) => g.kind === 'class')!;
    const other = (await lille().groups.listByStructure(membership.structureId)).find((g) => g.kind === 'class' && g.id !== membership.id)!;
    const written = await delta(`replace: ENTEleveClasses\nENTEleveClasses: ${classRef!.slice(0, classRef!.lastIndexOf('$'))}$${other.code}\n`);
    expect(written.group_members).to.be.greaterThan(0);
    expect(written).to.include({ relations: 0, import_pending_relations: 0 });
    expect(await groupsOf()).to.include(other.id).and.not.include(membership.id);
    expect(await parentsOf()).to.deep.equal(parents);

    // One more parent: links, not memberships.
    const linked = new Set(parents);
    const parent = accounts.find((a) => a.profile === 'Relative' && !linked.has(a.id))!;
    const relinked = await delta(`add: ENTEleveParents\nENTEleveParents: ${dnOf(parent.externalId!)}\n`);
    expect(relinked).to.include({ account_structures: 0, group_members: 0 });
    expect(relinked.relations).to.be.greaterThan(0);
    expect(await parentsOf()).to.deep.equal([...parents, parent.id].sort());
    expect(entry!.ENTEleveParents).to.not.equal(undefined); // the pupil had parents by DN: the change adds one

    // A new INE: an indexed key alone, found by it at once.
    const ine = `9${String(Date.now()).slice(-9)}Z`;
    expect(await delta(`replace: ENTEleveINE\nENTEleveINE: ${ine}\n`)).to.deep.equal({ account_structures: 0, group_members: 0, relations: 0, import_pending_relations: 0 });
    expect((await lille().imports.findAccounts({ externalIds: [], ines: [ine] })).map((a) => a.id)).to.deep.equal([pupil!.id]);
  });

  it('rewrites every part of an account whose content hash is of the older, single-hash format', async () => {
    const accounts = await lille().accounts.list({ limit: 5000 });
    let pupil: (typeof accounts)[number] | undefined;
    for (const a of accounts.filter((x) => x.profile === 'Student')) if ((await lille().relations.parentsOf(a.id)).length > 0 && (await lille().memberships.groupsOf(a.id)).length > 0) { pupil = a; break; }
    const groups = (await lille().memberships.groupsOf(pupil!.id)).map((g) => g.id).sort();
    const parents = (await lille().relations.parentsOf(pupil!.id)).map((a) => a.id).sort();
    // What earlier versions stored: one SHA-256 of the whole entry, base64url.
    await store.db.updateTable('accounts').set({ content_hash: 'x'.repeat(43) }).where('id', '=', pupil!.id).execute();
    const writes = await countWrites(store, ['group_members', 'relations', 'import_pending_relations']);
    const report = await runImport(deps(), request('full'));
    expect(report.counters).to.include({ updated: 1, created: 0, disappeared: 0 });
    const written = await writes();
    expect(written.group_members).to.be.at.least(2 * groups.length); // deleted, then inserted again
    expect(written.import_pending_relations).to.be.greaterThan(0);
    expect(written.relations).to.be.greaterThan(0);
    expect((await lille().memberships.groupsOf(pupil!.id)).map((g) => g.id).sort()).to.deep.equal(groups);
    expect((await lille().relations.parentsOf(pupil!.id)).map((a) => a.id).sort()).to.deep.equal(parents);
    expect((await runImport(deps(), request('full'))).counters.updated).to.equal(0);
  });

  it('refuses a full run that would remove too many accounts, unless allowed', async () => {
    const narrowed = tenantWith(slapd, { filters: { people: '(&(objectClass=ENTPerson)(!(ENTPersonProfils=National_TUT)))' } });
    const narrowRequest = { ...request('full'), tenant: narrowed, source: narrowed.directorySources[0]! };
    const refused = await runImport(deps(), narrowRequest).catch((e: unknown) => e);
    expect(refused).to.be.instanceOf(ImportRefused).and.have.property('code', 'mass_removal');
    const relatives = (await lille().accounts.list({ limit: 5000 })).filter((a) => a.profile === 'Relative');
    expect(relatives.every((a) => a.status !== 'disappeared')).to.equal(true);
    const childrenOf = async () => Promise.all(relatives.map(async (r) => (await lille().relations.childrenOf(r.id)).map((c) => c.id).sort()));
    const children = await childrenOf();
    expect(children.flat().length).to.be.greaterThan(0);
    const allowed = await runImport(deps(), { ...narrowRequest, allowMassRemoval: true });
    expect(allowed.counters.disappeared).to.equal(relatives.length);
    expect((await lille().accounts.get(relatives[0]!.id)).status).to.equal('disappeared');
    expect(await lille().imports.purgeDisappeared(new Date(Date.now() - 86_400_000))).to.equal(0);
    // They come back with the next complete run.
    const back = await runImport(deps(), request('full'));
    expect(back.counters.updated).to.equal(relatives.length);
    expect((await lille().accounts.get(relatives[0]!.id)).status).to.equal('pending');
    // Back with the links they had: an unchanged entry's links are not stated again, and were never removed.
    expect(await childrenOf()).to.deep.equal(children);
  });

  it('refuses a second run while one holds the lock', async () => {
    const lease = await new RedisLockService(redis).acquire('import:lille:AC-LILLE', 10_000);
    const refused = await runImport(deps(), request('delta')).catch((e: unknown) => e);
    expect(refused).to.be.instanceOf(ImportRefused).and.have.property('code', 'import_locked');
    await lease!.release();
  });

  it('a run that dies half-way leaves the store consistent and the next run completes it', async () => {
    await store.forTenant('lille').imports.purgeDisappeared(new Date(Date.now() + 1000));
    for (const a of await lille().accounts.list({ limit: 5000 })) await lille().accounts.delete(a.id);
    let served = 0;
    const dying = async (mapping: SdetMapperOptions): Promise<DirectorySource> => {
      const real = await sourceOf()(mapping);
      return {
        ...real,
        async *read(base, filter, kind) {
          for await (const item of real.read(base, filter, kind)) {
            if (base.startsWith('ou=people') && ++served > 600) throw new Error('connection reset (simulated crash)');
            yield item;
          }
        },
      };
    };
    const failed = await runImport(deps({ openSource: dying }), request('full')).catch((e: unknown) => e);
    expect(failed).to.be.instanceOf(Error);
    const partial = await lille().accounts.count();
    expect(partial).to.be.within(250, 600);
    const [last] = await lille().imports.listRuns(1);
    expect(last).to.include({ status: 'failed' });
    const resumed = await runImport(deps(), request('full'));
    expect(resumed.counters.created + resumed.counters.unchanged + resumed.counters.quarantined).to.equal(PEOPLE + BAD);
    expect(resumed.counters.unchanged).to.equal(partial);
  });

});

/**
 * Counts the rows inserted or deleted in `tables` from now on (triggers into a table of its
 * own, made once per database); the function returned reads the counts since the last read.
 */
async function countWrites(store: SqlStore, tables: string[]): Promise<() => Promise<Record<string, number>>> {
  const run = (text: string) => store.db.executeQuery(CompiledQuery.raw(text));
  await run('create table if not exists test_writes (table_name text not null)');
  if (store.dialect === 'postgres') {
    await run("create or replace function test_count_write() returns trigger language plpgsql as $$ begin insert into test_writes values (tg_table_name); return null; end $$");
  }
  for (const table of tables) {
    for (const event of ['insert', 'delete']) {
      const name = `test_count_${event}_${table}`;
      await run(store.dialect === 'postgres'
        ? `create or replace trigger ${name} after ${event} on ${table} for each row execute function test_count_write()`
        : `create trigger if not exists ${name} after ${event} on ${table} begin insert into test_writes values ('${table}'); end`);
    }
  }
  return async () => {
    const { rows } = await run('select table_name, count(*) as n from test_writes group by table_name');
    await run('delete from test_writes');
    const counts = Object.fromEntries(tables.map((t) => [t, 0]));
    for (const row of rows as Array<{ table_name: string; n: number | string }>) counts[row.table_name] = Number(row.n);
    return counts;
  };
}
