/**
 * The GAR export end to end (src/gar/export-run.ts): a generated tenant of 100,000 people in a
 * SQLite store, exported, validated against the XSD, packed and delivered to a throwaway OpenSSH
 * sshd (testing/harness/sshd.ts); what arrived is checked with md5sum, unpacked with tar and its
 * nodes counted with xmllint, against what the store holds. Then the failures: a value the XSD
 * refuses (the report names the person, nothing is packed), the server's key not the pinned one
 * (the package stays on disk), a second run while one holds the tenant's lock.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { expect } from 'chai';
import { sql } from 'kysely';
import { garExportConfigSchema } from '../../src/gar/config.js';
import { runGarExport, type GarExportPorts } from '../../src/gar/export-run.js';
import { CLI_OPERATOR } from '../../src/identity/actor.js';
import { garPersonIdentifier } from '../../src/identity/gar-identifier.js';
import type { TenantGar } from '../../src/identity/gar.js';
import { FileLockService } from '../../src/storage/file/lock.js';
import { openSqlStore, type SqlStore } from '../../src/storage/sql/index.js';
import { garTenantCounts, seedGarTenant } from '../../testing/gar-tenant.js';
import { generateSshKey, startSshd, type Sshd } from '../../testing/harness/sshd.js';

const run = promisify(execFile);
const TENANT = 'lille';
const SIZE = { people: 100_000, schools: 50 };
const KEY = 'a GAR identifier key of at least thirty-two characters';

describe('GAR export: a 100,000-people tenant written, validated, packed and delivered by SFTP', function () {
  this.timeout(300_000);
  let dir: string;
  let store: SqlStore;
  let sshd: Sshd;
  let gar: TenantGar;

  function ports(overrides: Partial<GarExportPorts> = {}, sftp: Record<string, unknown> = {}): GarExportPorts {
    const config = garExportConfigSchema.parse({
      outDir: join(dir, 'out'),
      sftp: { host: sshd.host, port: sshd.port, username: sshd.username, privateKeyFile: 'gar-client.key', knownHostsFile: 'gar-host.pub', retries: 1, retryDelaySeconds: 1, timeoutSeconds: 10, ...sftp },
    });
    return { store, locks: new FileLockService(join(dir, 'locks')), config, keysDir: join(dir, 'keys'), garOf: () => gar, ...overrides };
  }

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'gar-export-'));
    store = await openSqlStore(`sqlite:${join(dir, 'hub.db')}`);
    await store.tenants.upsert({ id: TENANT, name: 'Lille', academyCode: '09' });
    await seedGarTenant(store, TENANT, SIZE);
    sshd = await startSshd();
    mkdirSync(join(sshd.rootDir, 'lille'));
    mkdirSync(join(dir, 'keys'));
    writeFileSync(join(dir, 'keys', 'gar-client.key'), sshd.clientPrivateKey, { mode: 0o600 });
    writeFileSync(join(dir, 'keys', 'gar-host.pub'), `${sshd.hostPublicKey}\n`);
    gar = { settings: { projectId: 'ENT-HDF', structures: 'all', identifierKey: { env: 'UNUSED' }, remoteDir: join(sshd.rootDir, 'lille') }, identifierKey: KEY };
  });
  after(async () => {
    await sshd?.stop();
    await store?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('delivers the package, which unpacks to files that validate and hold the store’s counts', async () => {
    const report = await runGarExport(ports(), CLI_OPERATOR, { tenantId: TENANT, deliver: true });
    const expected = garTenantCounts(SIZE);
    expect(report.validation).to.deep.equal({ ok: true });
    expect(report.counts).to.include({ Etab: expected.Etab, Eleve: expected.Eleve, Enseignant: expected.Enseignant, RespAff: expected.RespAff });
    expect(report.files.filter((f) => f.kind === 'Eleve')).to.have.length(Math.ceil(expected.Eleve / 10_000));
    expect(report.delivery).to.deep.include({ status: 'delivered', attempts: 1 });

    const remote = join(sshd.rootDir, 'lille');
    const arrived = readdirSync(remote).sort();
    expect(arrived).to.deep.equal([`${report.package!.archive.split('/').pop()}`, `${report.package!.md5.split('/').pop()}`].sort());
    await run('md5sum', ['-c', arrived.find((f) => f.endsWith('.md5'))!], { cwd: remote });
    const unpacked = join(dir, 'unpacked');
    mkdirSync(unpacked);
    await run('tar', ['xzf', join(remote, arrived.find((f) => f.endsWith('.tar.gz'))!), '-C', unpacked]);
    const files = readdirSync(unpacked);
    expect(files.sort()).to.deep.equal(report.files.map((f) => f.name).sort());
    const count = async (kind: string, element: string) => {
      let total = 0;
      for (const file of files.filter((f) => f.includes(`_${kind}_`))) {
        const { stdout } = await run('xmllint', ['--xpath', `count(/*/*[local-name()='${element}'])`, join(unpacked, file)], { maxBuffer: 1 << 20 });
        total += Number(stdout);
      }
      return total;
    };
    expect(await count('Eleve', 'GAREleve')).to.equal(expected.Eleve);
    expect(await count('Enseignant', 'GAREnseignant')).to.equal(expected.Enseignant);
    expect(await count('Groupe', 'GARGroupe')).to.equal(expected.groups);
    expect(await count('Etab', 'GAREtab')).to.equal(expected.Etab);
    // The same identifier the SAML IdP sends the GAR.
    const firstPupil = readFileSync(join(unpacked, files.find((f) => f.includes('_Eleve_'))!), 'utf8');
    expect(firstPupil).to.contain(`>${garPersonIdentifier(KEY, { id: `${TENANT}-a00000000` })}<`);
    expect(JSON.parse(readFileSync(join(report.dir, 'report.json'), 'utf8'))).to.deep.include({ run: report.run, counts: report.counts });
    const [audit] = await store.forTenant(TENANT).audit.list({ limit: 1 });
    expect(audit).to.deep.include({ type: 'gar.export' });
    expect(audit!.details).to.deep.include({ valid: true, delivery: 'delivered', counts: report.counts });
  });

  it('a value the XSD refuses stops the run before packing, naming the person and the element', async () => {
    await sql`update accounts set last_name = '' where id = ${`${TENANT}-a00000040`}`.execute(store.db);
    try {
      const report = await runGarExport(ports(), CLI_OPERATOR, { tenantId: TENANT, deliver: true });
      expect(report.validation.ok).to.equal(false);
      if (report.validation.ok) return;
      const [problem] = report.validation.problems;
      expect(problem!.element).to.match(/GARPersonNom/);
      expect(problem!.node!.ids.GARPersonIdentifiant).to.equal(garPersonIdentifier(KEY, { id: `${TENANT}-a00000040` }));
      expect(report.package).to.equal(null);
      expect(report.delivery).to.deep.equal({ status: 'not_asked' });
    } finally {
      await sql`update accounts set last_name = 'Nom de famille 40' where id = ${`${TENANT}-a00000040`}`.execute(store.db);
    }
  });

  it('a server whose key is not the pinned one gets nothing; the package stays on disk; a second run waits for the lock', async () => {
    const other = await generateSshKey();
    writeFileSync(join(dir, 'keys', 'other-host.pub'), `${other.publicKey}\n`);
    const before = readdirSync(join(sshd.rootDir, 'lille'));
    const report = await runGarExport(ports({}, { knownHostsFile: 'other-host.pub' }), CLI_OPERATOR, { tenantId: TENANT, deliver: true });
    expect(report.delivery).to.deep.include({ status: 'failed', code: 'gar_host_key_refused' });
    expect(readdirSync(join(sshd.rootDir, 'lille'))).to.deep.equal(before);
    expect(readdirSync(report.dir)).to.include.members([report.package!.archive.split('/').pop(), report.package!.md5.split('/').pop()]);

    const locks = new FileLockService(join(dir, 'locks'));
    const lease = await locks.acquire(`gar-export:${TENANT}`);
    try {
      const err = await runGarExport(ports(), CLI_OPERATOR, { tenantId: TENANT, dryRun: true }).then(() => null, (e: unknown) => e);
      expect(err).to.deep.include({ code: 'gar_export_running', status: 409 });
    } finally {
      await lease!.release();
    }
  });
});
