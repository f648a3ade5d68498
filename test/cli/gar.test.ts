/**
 * `hub gar export` as an operator runs it: the real CLI in a child process on a temporary SQLite
 * file, a tenant file with a `gar` section. A dry run writes and validates the files and says so
 * (text and JSON); what cannot run is refused with a sentence and exit code 2, no stack trace.
 */
import { appendFileSync, copyFileSync, existsSync, mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'chai';
import { PROJECT_ROOT } from '../../src/config/load.js';
import { openSqlStore } from '../../src/storage/sql/database.js';
import { CliSandbox, expectUsageError, hasStackTrace } from '../../testing/harness/cli.js';

const KEY_ENV = 'HUB_TEST_GAR_KEY';

describe('cli: gar export (child process)', function () {
  this.timeout(180_000);
  let box: CliSandbox;
  let tenants: string;
  const env = () => ({ HUB_TENANTS_DIR: tenants, [KEY_ENV]: 'a GAR identifier key of at least thirty-two characters' });

  before(async () => {
    box = new CliSandbox();
    tenants = join(box.dir, 'tenants');
    mkdirSync(tenants);
    for (const file of ['amiens.yaml', 'lille.yaml']) copyFileSync(join(PROJECT_ROOT, 'tenants', file), join(tenants, file));
    appendFileSync(join(tenants, 'lille.yaml'), `\ngar:\n  projectId: ENT-HDF\n  structures: [0590121L]\n  identifierKey: { env: ${KEY_ENV} }\n`);
    const store = await openSqlStore(`sqlite:${box.databaseFile}`);
    try {
      await store.tenants.upsert({ id: 'lille', name: 'Lille', academyCode: '09' });
      const lille = store.forTenant('lille');
      const school = await lille.structures.upsert({ uai: '0590121L', name: 'Collège Test' });
      const klass = await lille.groups.upsert({ structureId: school.id, kind: 'class', code: '4B', name: '4e B' });
      const pupil = await lille.accounts.create({ login: 'zoe.gar', firstName: 'Zoé', lastName: 'Test', profile: 'Student', status: 'active', birthDate: '2012-03-04' });
      await lille.memberships.attachToStructure(pupil.id, school.id);
      await lille.memberships.addToGroup(pupil.id, klass.id);
    } finally {
      await store.close();
    }
  });
  after(() => box?.cleanup());

  it('a dry run writes and validates the files of the tenant, in text and in JSON, and packs nothing', async () => {
    const out = join(box.dir, 'out');
    const text = await box.run(['gar', 'export', '--tenant', 'lille', '--dry-run', '--out', out], { env: env() });
    expect(text.code, text.rawStderr).to.equal(0);
    expect(text.stdout).to.match(/^lille: 5 file\(s\), Etab 1, Eleve 1, Enseignant 0, Groupe 2, RespAff 0, [\d,]+ bytes in /);
    const json = await box.run(['gar', 'export', '--tenant', 'lille', '--dry-run', '--out', out, '--json'], { env: env() });
    expect(json.code, json.rawStderr).to.equal(0);
    const report = JSON.parse(json.stdout) as { dir: string; validation: { ok: boolean }; package: unknown; counts: Record<string, number> };
    expect(report).to.deep.include({ validation: { ok: true }, package: null, counts: { Etab: 1, Eleve: 1, Enseignant: 0, Groupe: 2, RespAff: 0 } });
    expect(readdirSync(join(report.dir, 'files'))).to.have.length(5);
    expect(existsSync(join(report.dir, 'report.json'))).to.equal(true);
  });

  it('refuses with exit 2: no tenant named, an unknown tenant, a tenant without gar, a delivery nobody configured', async () => {
    expectUsageError(await box.run(['gar', 'export', '--dry-run'], { env: env() }), /one of --tenant <id> or --all is required/, 'hub gar export');
    expectUsageError(await box.run(['gar', 'export', '--tenant', 'nowhere'], { env: env() }), /unknown tenant "nowhere"/, 'hub gar export');
    for (const [args, message] of [
      [['--tenant', 'amiens'], /tenant amiens has no gar section/],
      [['--tenant', 'lille', '--deliver'], /no GAR SFTP server is configured \(garExport\.sftp\)/],
    ] as const) {
      const result = await box.run(['gar', 'export', ...args], { env: env() });
      expect(result.code, result.rawStderr).to.equal(2);
      expect(result.stderr).to.match(/^hub: /).and.match(message);
      expect(hasStackTrace(result.rawStderr)).to.equal(false);
    }
  });
});
