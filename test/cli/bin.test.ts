/**
 * bin/hub.js, the package's `hub` executable (`npx hub`): run with plain `node` from a folder
 * outside the project, as an operator's shell would, with the exit code passed through.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'chai';
import { PROJECT_ROOT } from '../../src/config/load.js';
import { CliSandbox, collect, expectFailure, expectUsageError, type CliResult } from '../../testing/harness/cli.js';

const BIN = join(PROJECT_ROOT, 'bin/hub.js');

describe('bin/hub.js', function () {
  this.timeout(120_000);
  let box: CliSandbox;

  beforeEach(() => {
    box = new CliSandbox();
  });
  afterEach(() => box.cleanup());

  /** `node <project>/bin/hub.js …` with the sandbox's folder as working directory. */
  function runBin(args: string[], env: Record<string, string> = {}): Promise<CliResult> {
    const child = spawn(process.execPath, [BIN, ...args], { cwd: box.dir, env: box.env(env), stdio: ['pipe', 'pipe', 'pipe'] });
    child.stdin.end();
    return collect(child, 60_000);
  }

  it('is the package\'s "hub" executable', () => {
    const pkg = JSON.parse(readFileSync(join(PROJECT_ROOT, 'package.json'), 'utf8')) as { bin: Record<string, string> };
    expect(pkg.bin).to.deep.equal({ hub: 'bin/hub.js' });
    expect(statSync(BIN).mode & 0o111, 'executable').to.not.equal(0);
    expect(readFileSync(BIN, 'utf8').startsWith('#!/usr/bin/env node\n')).to.equal(true);
  });

  it('--help lists the commands and exits 0, from any working directory', async () => {
    const r = await runBin(['--help']);
    expect(r.code, r.rawStderr).to.equal(0);
    expect(r.stdout).to.include('Usage: hub');
    for (const command of ['serve', 'migrate', 'keys', 'tenants', 'users', 'clients', 'connectors', 'import']) expect(r.stdout).to.match(new RegExp(`^\\s+${command}\\b`, 'm'));
    expect(r.stdout).to.match(/Exit codes: 0 done; 1 failure/);
    expect(r.stderr.trim()).to.equal('');
  });

  it('an unknown command exits 2 with a message', async () => {
    expectUsageError(await runBin(['frobnicate']), /unknown command 'frobnicate'/);
  });

  it('passes a failure\'s exit code 1 through, and reads the project\'s files, not the working directory\'s', async () => {
    const tenants = await runBin(['tenants', 'validate']);
    expect(tenants.code, tenants.rawStderr).to.equal(0);
    expect(tenants.stdout).to.equal('2 tenant file(s) valid: amiens, lille\n');
    mkdirSync(box.keysDir);
    writeFileSync(join(box.keysDir, 'jwks.json'), '{"keys": [');
    expectFailure(await runBin(['keys', 'import']), /jwks\.json: not valid JSON/);
  });
});
