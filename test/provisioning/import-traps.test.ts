/**
 * A small directory written as real annuaires are, traps included, imported from a real slapd:
 * a pupil listed twice (same INE, two schools), an INE typed on two children, a wrong UAI check
 * letter, a bare structure jointure, classes without an ENTClasse entry, a broken structure with
 * its people. What can be kept is kept, the rest is quarantined with a reason, the report says
 * what each broken structure took with it, and the run's status tells how it went.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import type { Redis } from 'ioredis';
import { tenantSchema, type TenantConfig } from '../../src/config/tenant-schema.js';
import { uaiCheckLetter } from '../../src/identity/uai.js';
import { ImportRefused, runImport, type ImportDeps, type ImportReport } from '../../src/provisioning/job.js';
import type { SdetMapperOptions } from '../../src/provisioning/sdet/mapping.js';
import { openLdapSource } from '../../src/provisioning/source/ldap.js';
import { createLogger } from '../../src/shared/logger.js';
import { createRedis, waitForRedis } from '../../src/storage/redis/client.js';
import { RedisLockService } from '../../src/storage/redis/lock.js';
import { openSqlStore, type SqlStore } from '../../src/storage/sql/database.js';
import { randomPrefix, testRedisUrl } from '../../testing/harness/redis.js';
import { startSlapd, type Slapd } from '../../testing/harness/slapd.js';
import { dumpTenant } from '../../testing/harness/store-dump.js';

const SUFFIX = 'dc=ac-lille,dc=fr';
const GOOD_UAI = `0590121${uaiCheckLetter('0590121')}`;
const WRONG_LETTER_UAI = `0590122${uaiCheckLetter('0590122') === 'A' ? 'B' : 'A'}`;
const structureDn = (siren: string) => `ENTStructureSIREN=${siren},ou=structures,${SUFFIX}`;
const [S1, S2, S3] = ['11111111100011', '22222222200022', '33333333300033'].map(structureDn) as [string, string, string];

function structure(siren: string, uai: string, jointure: string, name: string): string {
  return `dn: ${structureDn(siren)}\nobjectClass: top\nobjectClass: organizationalUnit\nobjectClass: ENTStructure\nobjectClass: ENTEtablissement\n`
    + `ou: ${name}\nENTStructureSIREN: ${siren}\nENTStructureJointure: ${jointure}\nENTStructureNomCourant: ${name}\nENTStructureUAI: ${uai}\n`;
}

function pupil(id: string, p: { first: string; last: string; birth: string; ine: string; school: string; klass: string }): string {
  return `dn: uid=L${id},ou=people,${SUFFIX}\nobjectClass: top\nobjectClass: person\nobjectClass: organizationalPerson\nobjectClass: inetOrgPerson\nobjectClass: ENTPerson\nobjectClass: ENTEleve\n`
    + `uid: L${id}\ncn: ${p.last} ${p.first}\nsn: ${p.last}\ngivenName: ${p.first}\nENTPersonJointure: AC-LILLE$${id}\nENTPersonLogin: ${p.first}.${p.last}\nENTPersonProfils: National_ELV\n`
    + `ENTPersonStructRattach: ${p.school}\nENTPersonDateNaissance: ${p.birth}\nENTEleveINE: ${p.ine}\nENTEleveMajeur: N\nENTEleveClasses: ${p.school}$${p.klass}\n`;
}

const LDIF = [
  `dn: ${SUFFIX}\nobjectClass: top\nobjectClass: dcObject\nobjectClass: organization\ndc: ac-lille\no: Academie de Lille\n`,
  ...['structures', 'groups', 'people'].map((ou) => `dn: ou=${ou},${SUFFIX}\nobjectClass: top\nobjectClass: organizationalUnit\nou: ${ou}\n`),
  structure('11111111100011', GOOD_UAI, 'AC-LILLE$1111', 'College Un'),
  // A real directory's typo in the check letter, and a jointure written without its source.
  structure('22222222200022', WRONG_LETTER_UAI, '9000', 'College Deux'),
  // Not a UAI at all: the structure cannot be kept, nor the people who name it.
  structure('33333333300033', 'XYZ', 'AC-LILLE$3333', 'College Trois'),
  // No ENTClasse entry anywhere: classes exist only in the people's references.
  pupil('1001', { first: 'Nolan', last: 'Petit', birth: '01/02/2012', ine: '1234567890A', school: S1, klass: '6A' }),
  pupil('1006', { first: 'Ines', last: 'Moreau', birth: '03/03/2012', ine: '2222222222B', school: S1, klass: '6A' }),
  pupil('1003', { first: 'Lea', last: 'Petit', birth: '05/05/2011', ine: '1234567890A', school: S1, klass: '5C' }),
  // Enough others that batches of 10 put the pupil's second entry in a later batch.
  ...Array.from({ length: 12 }, (_, i) => pupil(String(2000 + i), { first: 'Eleve', last: `Numero${i}`, birth: '06/06/2012', ine: `${String(7000000000 + i)}F`, school: S1, klass: '6A' })),
  pupil('1004', { first: 'Tom', last: 'Roux', birth: '04/04/2012', ine: '4444444444D', school: S3, klass: '6B' }),
  pupil('1005', { first: 'Zoe', last: 'Roux', birth: '04/04/2012', ine: '5555555555E', school: S3, klass: '6B' }),
  // The same pupil in a second school (a move the directory shows twice).
  pupil('1002', { first: 'Nolan', last: 'Petit', birth: '01/02/2012', ine: '1234567890A', school: S2, klass: '5B' }),
].join('\n');

describe('a directory with the traps of real annuaires (real slapd)', function () {
  this.timeout(120_000);
  let dir: string;
  let slapd: Slapd;
  let redis: Redis;
  const log = createLogger('silent');

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'hub-traps-'));
    writeFileSync(join(dir, 'data.ldif'), LDIF);
    slapd = await startSlapd({ ldif: join(dir, 'data.ldif'), suffix: SUFFIX });
    redis = createRedis(await testRedisUrl(), randomPrefix());
    await waitForRedis(redis);
  });
  after(async () => {
    redis?.disconnect();
    await slapd?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  function tenantWith(overrides: Record<string, unknown> = {}): TenantConfig {
    return tenantSchema.parse({
      id: 'lille', name: 'Lille', academyCode: '09',
      directorySources: [{
        id: 'AC-LILLE', type: 'ldap', url: slapd.url, enabled: true, bindDn: slapd.rootDn, bindPassword: { env: 'UNUSED' },
        baseDn: { people: `ou=people,${SUFFIX}`, structures: `ou=structures,${SUFFIX}`, groups: `ou=groups,${SUFFIX}` },
        pageSize: 100, batchSize: 100, clockSkewSeconds: 0, ...overrides,
      }],
    });
  }

  async function importInto(store: SqlStore, tenant: TenantConfig, dryRun = false): Promise<ImportReport> {
    const s = tenant.directorySources[0]!;
    const deps: ImportDeps = {
      scope: store.forTenant('lille'), locks: new RedisLockService(redis), log,
      openSource: (mapping: SdetMapperOptions) => openLdapSource({ url: s.url, bindDn: s.bindDn, bindPassword: slapd.rootPassword, rejectUnauthorized: true, pageSize: s.pageSize, timeLimitSeconds: 30, connectTimeoutSeconds: 2, maxRetries: 0 }, mapping),
    };
    return runImport(deps, { tenant, source: s, mode: 'full', dryRun, allowMassRemoval: false });
  }

  async function freshStore(name: string): Promise<SqlStore> {
    const store = await openSqlStore(`sqlite:${join(dir, `${name}.sqlite`)}`);
    await store.tenants.upsert({ id: 'lille', name: 'Lille', academyCode: '09' });
    return store;
  }

  // Batches of 10: the pupil's second entry meets an account committed by an earlier batch; of 100: one in the same batch.
  for (const batchSize of [10, 100]) {
    it(`keeps what can be kept and says what it could not (batches of ${batchSize})`, async () => {
      const store = await freshStore(`traps-${batchSize}`);
      try {
        const report = await importInto(store, tenantWith({ batchSize }));
        const dump = await dumpTenant(store, 'lille');
        // One account for Nolan (two entries, one INE), one for Inès; Léa's INE is Nolan's but not her birth date.
        expect(dump.accounts!.map((a) => (a as { external_id: string }).external_id).filter((id) => !/^LILLE-20/.test(id))).to.deep.equal(['LILLE-1001', 'LILLE-1006']);
        expect(dump.accountStructures).to.deep.include.members([
          { external_id: 'LILLE-1001', uai: GOOD_UAI }, { external_id: 'LILLE-1001', uai: WRONG_LETTER_UAI },
        ]);
        expect(dump.groupMembers).to.deep.include.members([
          { external_id: 'LILLE-1001', uai: GOOD_UAI, kind: 'class', code: '6A' },
          { external_id: 'LILLE-1001', uai: WRONG_LETTER_UAI, kind: 'class', code: '5B' },
          { external_id: 'LILLE-1006', uai: GOOD_UAI, kind: 'class', code: '6A' },
        ]);
        expect(dump.groups).to.deep.include.members([{ uai: GOOD_UAI, kind: 'class', code: '6A', name: '6A' }, { uai: WRONG_LETTER_UAI, kind: 'class', code: '5B', name: '5B' }]);
        expect(dump.structures!.map((s) => (s as { uai: string }).uai).sort()).to.deep.equal([GOOD_UAI, WRONG_LETTER_UAI].sort());
        expect(report.counters).to.include({ created: 14, merged: 1 });
        const reasons = report.quarantined.map((q) => `${q.dn}: ${q.reason}`).join('\n');
        expect(reasons, reasons).to.match(/uid=l1003.*another pupil/i).and.match(/uid=l1004.*dangling structure/i).and.match(/uid=l1005.*dangling structure/i);
        expect(report.warnings.join('\n')).to.match(new RegExp(`${WRONG_LETTER_UAI}.*check letter`)).and.match(/structure entstructuresiren=33333333300033.*quarantined .*: 2 person\(s\) attached/i);
        // 3 of 18 people quarantined, more than the default 10 %.
        expect(report.run.status).to.equal('completed_with_errors');
        expect(report.run.finishedAt).to.be.instanceOf(Date);

        const again = await importInto(store, tenantWith({ batchSize }));
        expect(again.counters).to.include({ created: 0, updated: 0, merged: 1 });
        expect(await dumpTenant(store, 'lille')).to.deep.equal(dump);
      } finally {
        await store.close();
      }
    });
  }

  it('is "completed" when the quarantined share is within what the source allows', async () => {
    const store = await freshStore('allowed');
    try {
      expect((await importInto(store, tenantWith({ maxQuarantinedShare: 0.2 }))).run.status).to.equal('completed');
    } finally {
      await store.close();
    }
  });

  it('fails, marking nothing disappeared and keeping no delta mark, when almost everyone is quarantined', async () => {
    const store = await freshStore('everyone');
    try {
      const first = await importInto(store, tenantWith());
      // Every person's DN is longer than 24 characters: all of them quarantined.
      const broken = tenantWith({ mapping: { maxValueLength: 24 } });
      const refused = await importInto(store, broken).catch((e: unknown) => e);
      expect(refused).to.be.instanceOf(ImportRefused).and.have.property('code', 'too_many_quarantined');
      expect((refused as ImportRefused).run).to.include({ status: 'failed', highWaterMark: null });
      const accounts = await store.forTenant('lille').accounts.list();
      expect(new Set(accounts.map((a) => a.status))).to.deep.equal(new Set(['pending']));
      expect(accounts).to.have.length(14);
      expect((await store.forTenant('lille').imports.lastCompletedRun('AC-LILLE'))?.id).to.equal(first.run.id);
    } finally {
      await store.close();
    }
  });
});
