/**
 * The GAR export of accounts the real LDAP import wrote (SDET entries loaded into a throwaway
 * slapd, testing/sdet), not rows a generator wrote straight into the store: whatever the import
 * keeps (accented names, the directory's UAIs and class codes, pupils in several classes, staff
 * without a school) must make files the XSD accepts.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { tenantSchema } from '../../src/config/tenant-schema.js';
import { garExportConfigSchema } from '../../src/gar/config.js';
import { runGarExport } from '../../src/gar/export-run.js';
import { CLI_OPERATOR } from '../../src/identity/actor.js';
import { runImport } from '../../src/provisioning/job.js';
import { openLdapSource } from '../../src/provisioning/source/ldap.js';
import { createLogger } from '../../src/shared/logger.js';
import { FileLockService } from '../../src/storage/file/lock.js';
import { openSqlStore, type SqlStore } from '../../src/storage/sql/database.js';
import { startSlapd, type Slapd } from '../../testing/harness/slapd.js';
import { writeSdet } from '../../testing/sdet/sdet.js';

const SUFFIX = 'dc=ac-lille,dc=fr';

describe('GAR export of what the LDAP import wrote (real slapd)', function () {
  this.timeout(180_000);
  let dir: string;
  let slapd: Slapd;
  let store: SqlStore;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'gar-import-'));
    await writeSdet({ entries: 800, bad: 0, seed: 11, suffix: SUFFIX }, join(dir, 'data.ldif'));
    slapd = await startSlapd({ ldif: join(dir, 'data.ldif'), suffix: SUFFIX });
    store = await openSqlStore(`sqlite:${join(dir, 'hub.sqlite')}`);
    await store.tenants.upsert({ id: 'lille', name: 'Lille', academyCode: '09' });
    const tenant = tenantSchema.parse({
      id: 'lille', name: 'Lille', academyCode: '09',
      directorySources: [{
        id: 'AC-LILLE', type: 'ldap', url: slapd.url, enabled: true, bindDn: slapd.rootDn, bindPassword: { env: 'UNUSED' },
        baseDn: { people: `ou=people,${SUFFIX}`, structures: `ou=structures,${SUFFIX}`, groups: `ou=groups,${SUFFIX}` },
      }],
    });
    const source = tenant.directorySources[0]!;
    await runImport({
      scope: store.forTenant('lille'), locks: new FileLockService(join(dir, 'locks')), log: createLogger('silent'),
      openSource: (mapping) => openLdapSource({
        url: source.url, bindDn: source.bindDn, bindPassword: slapd.rootPassword, rejectUnauthorized: true, pageSize: source.pageSize, timeLimitSeconds: 30, connectTimeoutSeconds: 2, maxRetries: 1,
      }, mapping),
    }, { tenant, source, mode: 'full', dryRun: false, allowMassRemoval: false });
  });
  after(async () => {
    await store?.close();
    await slapd?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('writes files that validate, with the imported pupils, staff and classes', async () => {
    const report = await runGarExport({
      store, locks: new FileLockService(join(dir, 'locks')), config: garExportConfigSchema.parse({ outDir: join(dir, 'out') }), keysDir: dir,
      garOf: () => ({ settings: { projectId: 'ENT-HDF', structures: 'all', identifierKey: { env: 'UNUSED' } }, identifierKey: 'a GAR identifier key of at least thirty-two characters' }),
    }, CLI_OPERATOR, { tenantId: 'lille', dryRun: true });
    expect(report.validation, JSON.stringify(report.validation)).to.deep.equal({ ok: true });
    const lille = store.forTenant('lille');
    expect(report.counts.Etab).to.be.greaterThan(0);
    expect(report.counts.Eleve).to.be.greaterThan(0);
    expect(report.counts.Enseignant).to.be.greaterThan(0);
    expect(report.counts.Eleve + report.counts.Enseignant).to.be.at.most(await lille.accounts.count());
  });
});
