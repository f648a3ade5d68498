/**
 * `hub keys` against a temporary SQLite store, in a child process: the import of today's
 * `keys/jwks.json` (idempotent, refused over other keys), the list with the states, a rotation
 * and the refusal of a second one while a next key is published (exit 7), the retirement.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'chai';
import { generateKeys } from '../../src/oidc/keys.js';
import { CliSandbox, expectFailure, expectUsageError, hasStackTrace, type CliResult } from '../../testing/harness/cli.js';

interface Listed { kid: string; use: string; alg: string; state: string; created: string; activates: string; deactivated: string | null; retires: string | null }

function ok(result: CliResult): string {
  expect(result.code, `stderr: ${result.rawStderr}`).to.equal(0);
  return result.stdout;
}

/** A refusal: exit 7, one `hub: …` line, no stack trace. */
function expectRefused(result: CliResult, pattern: RegExp): void {
  const detail = `stdout: ${result.stdout}\nstderr: ${result.rawStderr}`;
  expect(result.code, detail).to.equal(7);
  expect(result.stderr.trim(), detail).to.match(pattern);
  expect(hasStackTrace(result.rawStderr), detail).to.equal(false);
}

describe('hub keys (child process)', function () {
  this.timeout(120_000);
  let box: CliSandbox;

  beforeEach(() => {
    box = new CliSandbox();
  });
  afterEach(() => box.cleanup());

  const list = async (): Promise<Listed[]> => JSON.parse(ok(await box.run(['keys', 'list', '--json']))) as Listed[];

  it('imports jwks.json once (the newest pair signs, the older verifies), then rotates, refusing a second rotation', async () => {
    expect(await list()).to.deep.equal([]);
    const older = (await generateKeys(box.keysDir)).keys;
    const newer = (await generateKeys(box.keysDir)).keys.slice(0, 2);
    expect(ok(await box.run(['keys', 'import']))).to.match(/^oidc: imported .+\nsaml: no key file found\n$/);
    expect(ok(await box.run(['keys', 'import'])), 'again: nothing to do').to.equal('oidc: already in the store\nsaml: no key file found\n');

    const imported = await list();
    const stateOf = (kid: string) => imported.find((k) => k.kid === kid)?.state;
    expect(newer.map((k) => stateOf(k.kid))).to.deep.equal(['active', 'active']);
    expect(older.map((k) => stateOf(k.kid))).to.deep.equal(['previous', 'previous']);
    for (const key of imported) expect(Object.keys(key)).to.have.members(['kid', 'use', 'alg', 'state', 'created', 'activates', 'deactivated', 'retires'], 'public information only');

    const before = Date.now();
    const rotated = ok(await box.run(['keys', 'rotate', '--use', 'oidc', '--publish-delay', '2h']));
    const lines = rotated.trim().split('\n');
    expect(lines).to.have.length(2);
    expect(lines[0]).to.match(/^created oidc ES256 \S+, signing from \S+$/);
    const signsFrom = Date.parse(/signing from (\S+)$/.exec(lines[0]!)![1]!);
    expect(signsFrom - before).to.be.within(2 * 3600e3 - 60e3, 2 * 3600e3 + 60e3);
    const after = await list();
    const next = after.filter((k) => k.state === 'next');
    expect(next.map((k) => k.alg)).to.deep.equal(['ES256', 'RS256']);
    const replaced = after.filter((k) => newer.some((n) => n.kid === k.kid));
    expect(replaced.map((k) => k.deactivated)).to.deep.equal(next.map((k) => k.activates), 'the active keys hand over when the next ones sign');

    expectRefused(await box.run(['keys', 'rotate', '--use', 'oidc']), /^hub: a next oidc key is already published \(ES256 \S+, RS256 \S+\), signing from \S+: nothing created$/);
    expect(ok(await box.run(['keys', 'retire']))).to.equal('no key to retire\n');
  });

  it('refuses an import over other keys, a corrupt jwks.json and a wrong duration; rotates the SAML IdP\'s key', async () => {
    await generateKeys(box.keysDir);
    ok(await box.run(['keys', 'import']));
    const other = join(box.dir, 'other-keys');
    await generateKeys(other);
    expectRefused(await box.run(['keys', 'import', '--dir', other]), /^hub: the store already holds other oidc keys: an import only fills a store without keys of that use \(rotate instead\)$/);
    const corrupt = join(box.dir, 'corrupt');
    mkdirSync(corrupt);
    writeFileSync(join(corrupt, 'jwks.json'), '{"keys": [');
    expectFailure(await box.run(['keys', 'import', '--dir', corrupt]), /jwks\.json: not valid JSON/);
    expectUsageError(await box.run(['keys', 'rotate', '--publish-delay', 'soon']), /a duration is expected/, 'hub keys rotate');

    expect(ok(await box.run(['keys', 'rotate', '--use', 'saml']))).to.match(/^created saml RS256 saml-[0-9a-f]{32}, signing now\n$/);
    expect((await list()).filter((k) => k.use === 'saml').map((k) => k.state)).to.deep.equal(['active']);
  });
});
