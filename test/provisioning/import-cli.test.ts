/** `hub import` as an operator runs it: a real process against a real slapd, killed and resumed. */
import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'chai';
import { writeSdet } from '../../src/provisioning/generator/sdet.js';
import { openSqlStore } from '../../src/storage/sql/database.js';
import { CliSandbox, hasStackTrace, sleep, stderrLines } from '../harness/cli.js';
import { startSlapd, type Slapd } from '../harness/slapd.js';

const SUFFIX = 'dc=ac-lille,dc=fr';
const PEOPLE = 6000;

function tenantFile(slapd: Slapd): string {
  return `id: lille
name: Académie de Lille
academyCode: "09"
directorySources:
  - id: AC-LILLE
    type: ldap
    url: ${slapd.url}
    enabled: true
    bindDn: ${slapd.rootDn}
    bindPassword: { env: TEST_LDAP_PASSWORD }
    baseDn: { people: "ou=people,${SUFFIX}", structures: "ou=structures,${SUFFIX}", groups: "ou=groups,${SUFFIX}" }
    batchSize: 200
`;
}

describe('hub import (child process, real slapd)', function () {
  this.timeout(180_000);
  let box: CliSandbox;
  let slapd: Slapd;
  let env: Record<string, string>;

  const accountCount = async () => {
    const store = await openSqlStore(`sqlite:${box.databaseFile}`);
    try {
      const tenants = await store.tenants.list();
      return tenants.length ? await store.forTenant('lille').accounts.count() : 0;
    } finally {
      await store.close();
    }
  };

  before(async () => {
    box = new CliSandbox();
    await writeSdet({ entries: PEOPLE, seed: 3, suffix: SUFFIX }, join(box.dir, 'data.ldif'));
    slapd = await startSlapd({ ldif: join(box.dir, 'data.ldif'), suffix: SUFFIX });
    mkdirSync(join(box.dir, 'tenants'));
    writeFileSync(join(box.dir, 'tenants', 'lille.yaml'), tenantFile(slapd));
    env = { HUB_TENANTS_DIR: join(box.dir, 'tenants'), TEST_LDAP_PASSWORD: slapd.rootPassword };
  });
  after(async () => {
    await slapd?.stop();
    box?.cleanup();
  });

  it('fails fast with one clear line on a wrong bind password, recording nothing', async () => {
    const r = await box.run(['import', 'ldap', '--tenant', 'lille', '--mode', 'full'], { env: { ...env, TEST_LDAP_PASSWORD: 'wrong' } });
    expect(r.code).to.equal(1);
    expect(stderrLines(r)).to.deep.equal([`hub: the directory at 127.0.0.1:${slapd.port} refused the bind DN or password`]);
    const runs = await box.run(['import', 'runs', '--tenant', 'lille', '--json'], { env });
    expect(JSON.parse(runs.stdout)).to.deep.equal([]);
  });

  it('refuses a delta before any full run, and a bad --mode', async () => {
    const delta = await box.run(['import', 'ldap', '--tenant', 'lille', '--mode', 'delta'], { env });
    expect(delta.code).to.equal(3);
    expect(delta.stderr).to.include('run a full import first');
    const bad = await box.run(['import', 'ldap', '--tenant', 'lille', '--mode', 'sometimes'], { env });
    expect(bad.code).to.equal(2);
  });

  it('refuses to run while another process holds the lock (exit 3)', async () => {
    const locks = join(box.dir, 'locks');
    mkdirSync(locks, { recursive: true });
    writeFileSync(join(locks, 'import_lille_AC-LILLE.lock'), String(process.pid));
    const r = await box.run(['import', 'ldap', '--tenant', 'lille', '--mode', 'full'], { env });
    expect(r.code).to.equal(3);
    expect(r.stderr).to.include('already running');
    writeFileSync(join(locks, 'import_lille_AC-LILLE.lock'), '999999999'); // a dead holder: taken over below
  });

  it('resumes after a run killed with SIGKILL half-way', async () => {
    const child = box.spawn(['import', 'ldap', '--tenant', 'lille', '--mode', 'full'], env);
    child.stdin?.end();
    let partial = 0;
    for (let i = 0; i < 600 && partial === 0; i += 1) {
      await sleep(50);
      partial = await accountCount();
    }
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    partial = await accountCount();
    expect(partial).to.be.greaterThan(0).and.below(PEOPLE);

    const codes = join(box.dir, 'codes.csv');
    const r = await box.run(['import', 'ldap', '--tenant', 'lille', '--mode', 'full', '--json', '--codes-out', codes], { env, timeoutMs: 120_000 });
    expect(r.code, r.stderr).to.equal(0);
    expect(hasStackTrace(r.stderr)).to.equal(false);
    const report = JSON.parse(r.stdout) as { counters: { created: number; unchanged: number }; run: { status: string } };
    expect(report.run.status).to.equal('completed');
    expect(report.counters.unchanged).to.equal(partial);
    expect(report.counters.created + report.counters.unchanged).to.equal(PEOPLE);
    expect(await accountCount()).to.equal(PEOPLE);
    expect(statSync(codes).mode & 0o777).to.equal(0o600);
    expect(readFileSync(codes, 'utf8').trim().split('\n')).to.have.length(report.counters.created + 1);

    const runs = JSON.parse((await box.run(['import', 'runs', '--tenant', 'lille', '--json'], { env })).stdout) as Array<{ status: string; error: string | null }>;
    expect(runs.map((run) => run.status)).to.deep.equal(['completed', 'failed']);
    expect(runs[1]!.error).to.include('interrupted');
  });

  it('runs deltas on a schedule and stops cleanly on SIGTERM', async () => {
    const child = box.spawn(['import', 'schedule', '--tenant', 'lille', '--delta-every', '0.02', '--full-every', '1000'], { ...env, LOG_LEVEL: 'info' });
    child.stdin?.end();
    let out = '';
    child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
    for (let i = 0; i < 200 && (out.match(/scheduled import done/g) ?? []).length < 2; i += 1) await sleep(100);
    child.kill('SIGTERM');
    const code = await new Promise((r) => child.once('exit', r));
    expect(code).to.equal(0);
    const done = out.split('\n').filter((l) => l.includes('scheduled import done')).map((l) => JSON.parse(l) as { mode: string; counters: { read: number } });
    expect(done.length).to.be.at.least(2);
    expect(done.every((d) => d.mode === 'delta')).to.equal(true);
    expect(done[1]!.counters.read).to.equal(0);
  });
});
