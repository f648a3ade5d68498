/**
 * `hub users reset-activation` in bulk (--structure [--class] | --run, --codes-out): new codes
 * for the pending accounts only, to a new file (mode 0600), audited; against a temporary SQLite
 * file seeded through the store, as an import would have left it.
 */
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'chai';
import { hashActivationCode } from '../../src/identity/activation-code.js';
import type { Account, ImportRun, NewAccount, PlatformStore } from '../../src/storage/ports/index.js';
import { openSqlStore } from '../../src/storage/sql/database.js';
import { CliSandbox, expectUsageError, sleep } from '../../testing/harness/cli.js';

const HEADER = 'login,activation_code,external_id';

describe('hub users reset-activation in bulk (child process)', function () {
  this.timeout(120_000);
  let box: CliSandbox;
  let accounts: Record<string, Account>;
  let run: ImportRun;

  const withStore = async <T>(fn: (store: PlatformStore) => Promise<T>): Promise<T> => {
    const store = await openSqlStore(`sqlite:${box.databaseFile}`, { migrate: false });
    try {
      return await fn(store);
    } finally {
      await store.close();
    }
  };
  const reload = (name: string) => withStore((store) => store.forTenant('lille').accounts.get(accounts[name]!.id));
  const csv = (file: string) => readFileSync(file, 'utf8').trim().split('\n');

  before(async () => {
    box = new CliSandbox();
    // Creates the database and mirrors the shipped tenants (lille, amiens).
    const first = await box.run(['import', 'runs', '--tenant', 'lille', '--json']);
    expect(first.code, first.rawStderr).to.equal(0);
    accounts = await withStore(async (store) => {
      const lille = store.forTenant('lille');
      const school = await lille.structures.upsert({ uai: '0590001A', name: 'Collège A' });
      const other = await lille.structures.upsert({ uai: '0590002B', name: 'Collège B' });
      const sixA = await lille.groups.upsert({ structureId: school.id, kind: 'class', code: '6A', name: '6e A' });
      const fiveB = await lille.groups.upsert({ structureId: school.id, kind: 'class', code: '5B', name: '5e B' });
      const make = (login: string, fields: Partial<NewAccount>) =>
        lille.accounts.create({ login, profile: 'Student', firstName: 'X', lastName: login, source: 'local', status: 'pending', activationCodeHash: hashActivationCode(`old-${login}`), ...fields });
      const made: Record<string, Account> = {
        pending6a: await make('eleve.pending6a', { externalId: 'LILLE-1' }),
        pending5b: await make('eleve.pending5b', { externalId: 'LILLE-2' }),
        active6a: await make('eleve.active6a', { status: 'active', activationCodeHash: null }),
        disabled6a: await make('eleve.disabled6a', { status: 'disabled' }),
        otherSchool: await make('eleve.other', {}),
      };
      for (const name of ['pending6a', 'pending5b', 'active6a', 'disabled6a']) await lille.memberships.attachToStructure(made[name]!.id, school.id);
      await lille.memberships.attachToStructure(made.otherSchool!.id, other.id);
      for (const name of ['pending6a', 'active6a', 'disabled6a']) await lille.memberships.addToGroup(made[name]!.id, sixA.id);
      await lille.memberships.addToGroup(made.pending5b!.id, fiveB.id);

      // An import run of AC-LILLE and the accounts it created; one before, one after it.
      made.before = await make('eleve.before', { source: 'AC-LILLE' });
      await sleep(20);
      const started = await lille.imports.startRun({ sourceId: 'AC-LILLE', mode: 'full', dryRun: false });
      made.run1 = await make('eleve.run1', { source: 'AC-LILLE', externalId: 'LILLE-11' });
      made.run2 = await make('eleve.run2', { source: 'AC-LILLE', externalId: 'LILLE-12' });
      made.runActive = await make('eleve.run3', { source: 'AC-LILLE', status: 'active', activationCodeHash: null });
      await sleep(5);
      await lille.imports.finishRun(started.id, { status: 'failed', counters: { read: 3, created: 3, updated: 0, unchanged: 0, disappeared: 0, quarantined: 0, merged: 0 }, highWaterMark: null, error: 'interrupted (the process stopped before the end)' });
      run = (await lille.imports.getRun(started.id))!;
      await sleep(20);
      made.after = await make('eleve.after', { source: 'AC-LILLE' });
      return made;
    });
  });
  after(() => box?.cleanup());

  it('issues new codes to the pending members of a class only, to a new 0600 file, and audits them', async () => {
    const file = join(box.dir, 'codes-6a.csv');
    const r = await box.run(['users', 'reset-activation', '--structure', '0590001A', '--class', '6A', '--codes-out', file]);
    expect(r.code, r.rawStderr).to.equal(0);
    expect(r.stdout).to.include('issued 1 new activation code(s)');
    expect(r.stdout).to.match(/skipped 2 account\(s\) not pending \((active 1, disabled 1|disabled 1, active 1)\)/);
    expect(statSync(file).mode & 0o777).to.equal(0o600);
    const lines = csv(file);
    expect(lines[0]).to.equal(HEADER);
    expect(lines).to.have.length(2);
    const [login, code, externalId] = lines[1]!.split(',');
    expect([login, externalId]).to.deep.equal(['eleve.pending6a', 'LILLE-1']);
    // The code in the file is the one the store now expects; the old one stops working.
    const pending = await reload('pending6a');
    expect(pending.activationCodeHash).to.equal(hashActivationCode(code!));
    expect(pending.status).to.equal('pending');
    expect(pending.activationExpiresAt!.getTime()).to.be.greaterThan(Date.now());
    // Active and disabled accounts are untouched.
    expect(await reload('active6a')).to.deep.equal(accounts.active6a);
    expect(await reload('disabled6a')).to.deep.equal(accounts.disabled6a);
    expect(await reload('pending5b')).to.deep.equal(accounts.pending5b);

    const events = await withStore((store) => store.forTenant('lille').audit.list());
    const resets = events.filter((e) => e.type === 'activation.reset');
    expect(resets.map((e) => e.accountId)).to.deep.equal([accounts.pending6a!.id]);
    expect(resets[0]!.details).to.include({ by: 'cli', bulk: true, structure: '0590001A', class: '6A' });
    const summary = events.filter((e) => e.type === 'activation.reset_bulk');
    expect(summary).to.have.length(1);
    expect(summary[0]!.details).to.deep.include({ by: 'cli', structure: '0590001A', class: '6A', issued: 1 });
  });

  it('covers a whole structure, and prints JSON with --json', async () => {
    const file = join(box.dir, 'codes-school.csv');
    const r = await box.run(['users', 'reset-activation', '--structure', '0590001A', '--codes-out', file, '--json']);
    expect(r.code, r.rawStderr).to.equal(0);
    const out = JSON.parse(r.stdout) as { tenant: string; issued: number; codesFile: string; skipped: Record<string, number> };
    expect(out).to.deep.include({ tenant: 'lille', issued: 2, codesFile: file });
    expect(out.skipped).to.deep.equal({ active: 1, disabled: 1 });
    expect(csv(file).slice(1).map((l) => l.split(',')[0])).to.deep.equal(['eleve.pending5b', 'eleve.pending6a']);
  });

  it('covers the accounts an import run created, and only those', async () => {
    const file = join(box.dir, 'codes-run.csv');
    const r = await box.run(['users', 'reset-activation', '--run', run.id, '--codes-out', file]);
    expect(r.code, r.rawStderr).to.equal(0);
    expect(csv(file).slice(1).map((l) => l.split(',')[0])).to.deep.equal(['eleve.run1', 'eleve.run2']);
    expect(r.stdout).to.include('skipped 1 account(s) not pending (active 1)');
    for (const name of ['run1', 'run2']) expect((await reload(name)).activationCodeHash).to.not.equal(accounts[name]!.activationCodeHash);
    for (const name of ['before', 'after', 'runActive']) expect(await reload(name)).to.deep.equal(accounts[name]);
  });

  it('never overwrites an existing codes file: refused as a usage error, nothing changed', async () => {
    const file = join(box.dir, 'taken.csv');
    writeFileSync(file, 'earlier codes\n');
    const before = await reload('pending6a');
    const r = await box.run(['users', 'reset-activation', '--structure', '0590001A', '--codes-out', file]);
    expectUsageError(r, /codes file .*taken\.csv already exists/, 'hub users reset-activation');
    expect(readFileSync(file, 'utf8')).to.equal('earlier codes\n');
    expect(await reload('pending6a')).to.deep.equal(before);
  });

  it('refuses conflicting or incomplete options and unknown targets as usage errors', async () => {
    const file = join(box.dir, 'never.csv');
    const usage = 'hub users reset-activation';
    expectUsageError(await box.run(['users', 'reset-activation', '--class', '6A', '--codes-out', file]), /--class needs --structure/, usage);
    expectUsageError(await box.run(['users', 'reset-activation', '--login', 'eleve.pending6a', '--structure', '0590001A', '--codes-out', file]), /--login excludes/, usage);
    expectUsageError(await box.run(['users', 'reset-activation', '--structure', '0590001A', '--run', run.id, '--codes-out', file]), /exclude each other/, usage);
    expectUsageError(await box.run(['users', 'reset-activation', '--structure', '0590001A']), /--codes-out <file> is required/, usage);
    expectUsageError(await box.run(['users', 'reset-activation']), /one of --login/, usage);
    expectUsageError(await box.run(['users', 'reset-activation', '--structure', '0000000X', '--codes-out', file]), /no structure with UAI 0000000X/, usage);
    expectUsageError(await box.run(['users', 'reset-activation', '--structure', '0590001A', '--class', '9Z', '--codes-out', file]), /no class "9Z"/, usage);
    expectUsageError(await box.run(['users', 'reset-activation', '--run', 'no-such-run', '--codes-out', file]), /no import run no-such-run/, usage);
    expectUsageError(await box.run(['users', 'reset-activation', '--structure', '0590001A', '--tenant', 'atlantis', '--codes-out', file]), /unknown tenant "atlantis"/, usage);
    expect(existsSync(file)).to.equal(false);
  });
});
