/** `hub import` as an operator runs it: a real process against a real slapd, killed and resumed. */
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'chai';
import { writeSdet } from '../../testing/sdet/sdet.js';
import type { ImportProgress, ImportReport } from '../../src/provisioning/job.js';
import { formatReport, progressPrinter } from '../../src/provisioning/report.js';
import { openSqlStore } from '../../src/storage/sql/database.js';
import { CliSandbox, collect, expectUsageError, hasStackTrace, sleep, stderrLines, type CliResult } from '../../testing/harness/cli.js';
import { ldapTenantYaml, startSlapd, type Slapd } from '../../testing/harness/slapd.js';

const SUFFIX = 'dc=ac-lille,dc=fr';
const PEOPLE = 6000;

/** The tenant file of these tests: batches of 200. */
function tenantFile(slapd: Slapd, extra: { enabled?: boolean; lines?: string } = {}): string {
  return ldapTenantYaml(slapd, SUFFIX, { ...extra, lines: `    batchSize: 200\n${extra.lines ?? ''}` });
}

/** A tenants folder of its own, with the lille tenant file as given. */
function tenantsDir(box: CliSandbox, name: string, content: string): string {
  const dir = join(box.dir, name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'lille.yaml'), content);
  return dir;
}

interface JsonFailure {
  error: string;
  message: string;
  exitCode: number;
  run?: { id: string; status: string; counters: { read: number; created: number; quarantined: number } };
}

/** A --json failure: the exit code, one JSON object on stdout saying the same. */
function jsonFailure(r: CliResult, exitCode: number, error: string): JsonFailure {
  const detail = `stdout: ${r.stdout}\nstderr: ${r.rawStderr}`;
  expect(r.code, detail).to.equal(exitCode);
  const out = JSON.parse(r.stdout) as JsonFailure;
  expect(out.error, detail).to.equal(error);
  expect(out.exitCode).to.equal(exitCode);
  expect(out.message).to.be.a('string').and.not.equal('');
  expect(hasStackTrace(r.rawStderr), detail).to.equal(false);
  return out;
}

/** No line of a human report is a raw JSON log line. */
function expectNoJsonLine(text: string): void {
  expect(text.split('\n').filter((l) => l.trimStart().startsWith('{')), text).to.deep.equal([]);
}

describe('hub import (child process, real slapd)', function () {
  this.timeout(180_000);
  let box: CliSandbox;
  let slapd: Slapd;
  let env: Record<string, string>;

  const accountCount = async (sandbox = box) => {
    const store = await openSqlStore(`sqlite:${sandbox.databaseFile}`);
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

  it('reports an unknown tenant and a disabled source as usage errors, in JSON too with --json', async () => {
    expectUsageError(await box.run(['import', 'ldap', '--tenant', 'atlantis', '--mode', 'full'], { env }), /unknown tenant "atlantis"/, 'hub import ldap');
    const json = jsonFailure(await box.run(['import', 'ldap', '--tenant', 'atlantis', '--mode', 'full', '--json'], { env }), 2, 'usage');
    expect(json.message).to.include('unknown tenant "atlantis"');
    expectUsageError(await box.run(['import', 'runs', '--tenant', 'atlantis'], { env }), /unknown tenant "atlantis"/, 'hub import runs');
    const disabled = { ...env, HUB_TENANTS_DIR: tenantsDir(box, 'tenants-disabled', tenantFile(slapd, { enabled: false })) };
    const r = await box.run(['import', 'ldap', '--tenant', 'lille', '--mode', 'full'], { env: disabled });
    expectUsageError(r, /directory source AC-LILLE of tenant lille is disabled/, 'hub import ldap');
    expectUsageError(await box.run(['import', 'ldap', '--tenant', 'lille', '--source', 'AC-LILLE', '--mode', 'full'], { env: disabled }), /is disabled/, 'hub import ldap');
    expect(await accountCount()).to.equal(0);
  });

  it('documents every exit code in --help', async () => {
    const r = await box.run(['import', 'ldap', '--help'], { env });
    expect(r.code).to.equal(0);
    for (const words of ['0 completed', '1 failed', '2 usage error', '3 another import', '4 mass removal refused', '5 completed with errors', '6 too many quarantined', '7 other refusal']) expect(r.stdout).to.include(words);
  });

  it('refuses a delta before any full run (exit 7), and a bad --mode', async () => {
    const delta = await box.run(['import', 'ldap', '--tenant', 'lille', '--mode', 'delta'], { env });
    expect(delta.code).to.equal(7);
    expect(delta.stderr).to.include('run a full import first');
    jsonFailure(await box.run(['import', 'ldap', '--tenant', 'lille', '--mode', 'delta', '--json'], { env }), 7, 'no_previous_run');
    const bad = await box.run(['import', 'ldap', '--tenant', 'lille', '--mode', 'sometimes'], { env });
    expect(bad.code).to.equal(2);
  });

  it('refuses to run while another process holds the lock (exit 3), in JSON with --json', async () => {
    const locks = join(box.dir, 'locks');
    mkdirSync(locks, { recursive: true });
    writeFileSync(join(locks, 'import_lille_AC-LILLE.lock'), String(process.pid));
    const r = await box.run(['import', 'ldap', '--tenant', 'lille', '--mode', 'full'], { env });
    expect(r.code).to.equal(3);
    expect(r.stderr).to.include('already running');
    const json = jsonFailure(await box.run(['import', 'ldap', '--tenant', 'lille', '--mode', 'full', '--json'], { env }), 3, 'import_locked');
    expect(json.message).to.include('already running');
    writeFileSync(join(locks, 'import_lille_AC-LILLE.lock'), '999999999'); // a dead holder: taken over below
  });

  it('resumes after a run killed with SIGKILL half-way, never overwriting its codes file', async () => {
    const codes = join(box.dir, 'codes.csv');
    const child = box.spawn(['import', 'ldap', '--tenant', 'lille', '--mode', 'full', '--codes-out', codes], env);
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

    // The killed run's row shows what its committed batches did.
    type Run = { id: string; status: string; error: string | null; counters: { created: number; read: number } };
    const listRuns = async () => JSON.parse((await box.run(['import', 'runs', '--tenant', 'lille', '--json'], { env })).stdout) as Run[];
    const [killed] = await listRuns();
    expect(killed!.status).to.equal('running');
    expect(killed!.counters.created).to.be.greaterThan(0).and.at.most(partial);

    // Its codes are the only copy: a rerun naming the same file is refused and changes nothing.
    const kept = readFileSync(codes, 'utf8');
    expect(kept.trim().split('\n').length).to.be.greaterThan(1);
    const again = await box.run(['import', 'ldap', '--tenant', 'lille', '--mode', 'full', '--codes-out', codes], { env });
    expectUsageError(again, /codes file .*codes\.csv already exists/, 'hub import ldap');
    expect(readFileSync(codes, 'utf8')).to.equal(kept);
    expect(statSync(codes).mode & 0o777).to.equal(0o600);
    expect(await accountCount()).to.equal(partial);
    expect((await listRuns()).map((run) => run.id)).to.deep.equal([killed!.id]);

    // A human report (here a dry run, which takes over the killed run) has no raw JSON log line.
    const dry = await box.run(['import', 'ldap', '--tenant', 'lille', '--mode', 'full', '--dry-run'], { env, timeoutMs: 120_000 });
    expect(dry.code, dry.rawStderr).to.equal(0);
    expect(dry.stdout).to.include('[dry run: nothing written]');
    expectNoJsonLine(dry.stdout);
    const abandoned = (await listRuns()).find((run) => run.id === killed!.id)!;
    expect(abandoned.status).to.equal('failed');
    expect(abandoned.error).to.include('interrupted');
    expect(abandoned.counters.created).to.equal(killed!.counters.created);

    const codes2 = join(box.dir, 'codes-2.csv');
    const r = await box.run(['import', 'ldap', '--tenant', 'lille', '--mode', 'full', '--json', '--codes-out', codes2], { env, timeoutMs: 120_000 });
    expect(r.code, r.stderr).to.equal(0);
    expect(hasStackTrace(r.stderr)).to.equal(false);
    const report = JSON.parse(r.stdout) as { counters: { created: number; unchanged: number }; run: { id: string; status: string; finishedAt: string | null } };
    expect(report.run.status).to.equal('completed');
    expect(report.run.finishedAt).to.be.a('string');
    expect(report.counters.unchanged).to.equal(partial);
    expect(report.counters.created + report.counters.unchanged).to.equal(PEOPLE);
    expect(await accountCount()).to.equal(PEOPLE);
    expect(statSync(codes2).mode & 0o777).to.equal(0o600);
    expect(readFileSync(codes2, 'utf8').trim().split('\n')).to.have.length(report.counters.created + 1);
    expect(readFileSync(codes, 'utf8')).to.equal(kept);

    const runs = await listRuns();
    expect(runs.map((run) => run.status)).to.deep.equal(['completed', 'completed', 'failed']);

    // `hub import show <id> --json`, as the reports print it, works without --tenant.
    const show = await box.run(['import', 'show', report.run.id, '--json'], { env });
    expect(show.code, show.rawStderr).to.equal(0);
    expect((JSON.parse(show.stdout) as { run: { id: string } }).run.id).to.equal(report.run.id);
  });

  it('a delta report has finishedAt', async () => {
    const r = await box.run(['import', 'ldap', '--tenant', 'lille', '--mode', 'delta', '--json'], { env });
    expect(r.code, r.rawStderr).to.equal(0);
    const report = JSON.parse(r.stdout) as { run: { finishedAt: string | null; startedAt: string } };
    expect(report.run.finishedAt).to.be.a('string');
    expect(new Date(report.run.finishedAt!).getTime()).to.be.at.least(new Date(report.run.startedAt).getTime());
  });

  it('refuses a mass removal with exit 4, in JSON with --json', async () => {
    const pupilsOnly = { ...env, HUB_TENANTS_DIR: tenantsDir(box, 'tenants-pupils', tenantFile(slapd, { lines: '    filters: { people: "(&(objectClass=ENTPerson)(objectClass=ENTEleve))" }\n' })) };
    const r = await box.run(['import', 'ldap', '--tenant', 'lille', '--mode', 'full'], { env: pupilsOnly, timeoutMs: 120_000 });
    expect(r.code, r.rawStderr).to.equal(4);
    expect(r.stderr).to.include('--allow-mass-removal');
    const json = jsonFailure(await box.run(['import', 'ldap', '--tenant', 'lille', '--mode', 'full', '--json'], { env: pupilsOnly, timeoutMs: 120_000 }), 4, 'mass_removal');
    expect(json.run?.status).to.equal('failed');
  });

  it('a directory lost mid-run fails (exit 1) saying how many accounts were already committed', async () => {
    const fresh = new CliSandbox();
    try {
      const lost = { ...env, HUB_TENANTS_DIR: tenantsDir(fresh, 'tenants', tenantFile(slapd, { lines: '    maxRetries: 0\n' })) };
      const child = fresh.spawn(['import', 'ldap', '--tenant', 'lille', '--mode', 'full', '--json'], lost);
      const result = collect(child, 120_000);
      child.stdin?.end();
      let partial = 0;
      for (let i = 0; i < 600 && partial === 0; i += 1) {
        await sleep(50);
        partial = await accountCount(fresh);
      }
      await slapd.restart();
      const r = await result;
      const json = jsonFailure(r, 1, 'import_failed');
      const committed = await accountCount(fresh);
      expect(committed).to.be.greaterThan(0).and.below(PEOPLE);
      expect(json.message).to.match(/committing \d+ account/);
      expect(Number(/committing (\d+) account/.exec(json.message)![1])).to.equal(committed);
      expect(json.run?.status).to.equal('failed');
      expect(json.run?.counters.created).to.equal(committed);
      expect(r.stderr).to.include(`hub: ${json.message}`);
    } finally {
      fresh.cleanup();
    }
  });

  it('runs deltas on a schedule and stops cleanly on SIGTERM', async () => {
    expectUsageError(await box.run(['import', 'schedule', '--tenant', 'lille', '--codes-dir', join(box.dir, 'nowhere')], { env }), /--codes-dir .*nowhere is not a folder/, 'hub import schedule');
    const codesDir = join(box.dir, 'codes-dir');
    mkdirSync(codesDir);
    const child = box.spawn(['import', 'schedule', '--tenant', 'lille', '--delta-every', '0.02', '--full-every', '1000', '--codes-dir', codesDir], { ...env, LOG_LEVEL: 'info' });
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
    // Runs that create no account leave no codes file behind.
    expect(readdirSync(codesDir)).to.deep.equal([]);
  });
});

/** Runs whose entries are mostly bad: completed with errors (exit 5), or failed with nothing changed (exit 6). */
describe('hub import of a directory with many bad entries (child process, real slapd)', function () {
  this.timeout(180_000);
  const started: Slapd[] = [];
  const boxes: CliSandbox[] = [];

  async function directory(entries: number, bad: number): Promise<{ box: CliSandbox; env: Record<string, string> }> {
    const box = new CliSandbox();
    boxes.push(box);
    await writeSdet({ entries, bad, seed: 5, suffix: SUFFIX }, join(box.dir, 'data.ldif'));
    const slapd = await startSlapd({ ldif: join(box.dir, 'data.ldif'), suffix: SUFFIX });
    started.push(slapd);
    return { box, env: { HUB_TENANTS_DIR: tenantsDir(box, 'tenants', tenantFile(slapd)), TEST_LDAP_PASSWORD: slapd.rootPassword } };
  }
  const count = async (box: CliSandbox) => {
    const store = await openSqlStore(`sqlite:${box.databaseFile}`);
    try {
      return (await store.tenants.list()).length ? await store.forTenant('lille').accounts.count() : 0;
    } finally {
      await store.close();
    }
  };

  after(async () => {
    for (const slapd of started) await slapd.stop();
    for (const box of boxes) box.cleanup();
  });

  it('ends "completed with errors" with exit 5 above the allowed share; its hint works as printed', async () => {
    const { box, env } = await directory(300, 100);
    const r = await box.run(['import', 'ldap', '--tenant', 'lille', '--mode', 'full'], { env, timeoutMs: 120_000 });
    expect(r.code, `${r.stdout}\n${r.rawStderr}`).to.equal(5);
    expect(r.stdout).to.match(/: completed with errors in /);
    expectNoJsonLine(r.stdout);
    expect(await count(box)).to.be.greaterThan(0);
    const hint = /\((hub import show \S+ .*--json)\)/.exec(r.stdout)?.[1];
    expect(hint, r.stdout).to.be.a('string');
    const show = await box.run(hint!.split(' ').slice(1), { env });
    expect(show.code, show.rawStderr).to.equal(0);
    const shown = JSON.parse(show.stdout) as { run: { status: string }; quarantined: unknown[] };
    expect(shown.run.status).to.equal('completed_with_errors');
    expect(shown.quarantined.length).to.be.greaterThan(20);

    const json = await box.run(['import', 'ldap', '--tenant', 'lille', '--mode', 'full', '--json'], { env, timeoutMs: 120_000 });
    expect(json.code).to.equal(5);
    expect((JSON.parse(json.stdout) as ImportReport).run.status).to.equal('completed_with_errors');
  });

  it('fails with exit 6 and changes nothing when (nearly) everything is quarantined', async () => {
    const { box, env } = await directory(10, 200);
    const r = await box.run(['import', 'ldap', '--tenant', 'lille', '--mode', 'full'], { env, timeoutMs: 120_000 });
    expect(r.code, `${r.stdout}\n${r.rawStderr}`).to.equal(6);
    expect(r.stdout).to.equal('');
    expect(r.stderr).to.match(/^hub: .*quarantined/);
    expect(await count(box)).to.equal(0);
    const json = jsonFailure(await box.run(['import', 'ldap', '--tenant', 'lille', '--mode', 'full', '--json'], { env, timeoutMs: 120_000 }), 6, 'too_many_quarantined');
    expect(json.run?.status).to.equal('failed');
    expect(await count(box)).to.equal(0);
  });
});

describe('import report and progress line', () => {
  const report = (quarantined: number): ImportReport => ({
    run: { id: 'run-1', tenantId: 'lille', sourceId: 'AC-LILLE', mode: 'full', dryRun: false, status: 'completed', startedAt: new Date(0), finishedAt: new Date(1000), highWaterMark: null, counters: { read: 100, created: 50, updated: 0, unchanged: 50 - quarantined, disappeared: 0, quarantined, merged: 0 }, error: null },
    counters: { read: 100, created: 50, updated: 0, unchanged: 50 - quarantined, disappeared: 0, quarantined, merged: 0 },
    quarantined: Array.from({ length: quarantined }, (_, i) => ({ dn: `uid=${i},ou=people`, reason: 'bad' })),
    warnings: [],
    seconds: 1,
  });

  it('prints a `hub import show` hint that names the tenant', () => {
    expect(formatReport(report(25))).to.include('… and 5 more (hub import show run-1 --tenant lille --json)');
  });

  it('says "completed with errors"', () => {
    const r = report(25);
    r.run.status = 'completed_with_errors';
    expect(formatReport(r).split('\n')[0]).to.include(': completed with errors in 1.0 s');
  });

  function fakeTerminal() {
    const writes: string[] = [];
    let clock = 0;
    return { writes, stream: { write: (s: string) => (writes.push(s), true) }, tick: (ms: number) => (clock += ms), now: () => clock };
  }
  const update = (p: { update(p: ImportProgress): void }, read: number) => p.update({ phase: 'people', read });

  it('erases the whole line at each update and at the end (\\r ESC[2K), leaving nothing stray', () => {
    const t = fakeTerminal();
    const progress = progressPrinter(t.stream, 1_000_000, t.now);
    t.tick(3000);
    update(progress, 100_000);
    t.tick(1000);
    update(progress, 5);
    progress.done();
    for (const w of t.writes) expect(w.startsWith('\r\x1b[2K'), JSON.stringify(w)).to.equal(true);
    expect(t.writes.at(-1)).to.equal('\r\x1b[2K');
    for (const w of t.writes.slice(0, -1)) expect(w).to.not.match(/\s$/);
  });

  it('shows no ETA until the rate means something, then a sane one', () => {
    const t = fakeTerminal();
    const progress = progressPrinter(t.stream, 1_000_000, t.now);
    t.tick(1);
    update(progress, 3); // structures read in a millisecond: 3,000/s would promise 5 minutes
    t.tick(500);
    update(progress, 200);
    expect(t.writes.join('')).to.not.include('ETA');
    t.tick(1499);
    update(progress, 20_000); // 10,000/s after 2 s: 98 s left
    expect(t.writes.at(-1)).to.include('ETA 1 min 38 s');
    expect(t.writes.at(-1)).to.include('10,000/s');
  });
});
