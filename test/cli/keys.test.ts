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
    const nothingElse = 'saml: nothing to import\ncookie: nothing to import\npairwise: nothing to import\n';
    expect(ok(await box.run(['keys', 'import']))).to.match(new RegExp(`^oidc: imported .+\n${nothingElse}$`));
    expect(ok(await box.run(['keys', 'import'])), 'again: nothing to do').to.equal(`oidc: already in the store\n${nothingElse}`);

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

  it('imports the configured cookie keys and pairwise salt once, lists them without their secret, rotates the cookie keys and refuses to rotate the salt', async () => {
    const [newest, older, salt] = ['n'.repeat(40), 'o'.repeat(40), 'a configured pairwise salt'];
    const config = join(box.dir, 'hub.yaml');
    writeFileSync(config, 'samlIdp:\n  pairwiseSalt: { env: HUB_TEST_PAIRWISE_SALT }\n');
    const env = { HUB_COOKIE_KEYS: `${newest},${older}`, HUB_CONFIG: config, HUB_TEST_PAIRWISE_SALT: salt };
    const imported = ok(await box.run(['keys', 'import'], { env }));
    expect(imported).to.match(/^oidc: nothing to import\nsaml: nothing to import\ncookie: imported cookie-[0-9a-f]{32}, cookie-[0-9a-f]{32}\npairwise: imported pairwise-[0-9a-f]{32}\n$/);
    expect(ok(await box.run(['keys', 'import'], { env })), 'again: nothing to do')
      .to.equal('oidc: nothing to import\nsaml: nothing to import\ncookie: already in the store\npairwise: already in the store\n');

    const listed = ok(await box.run(['keys', 'list', '--json'], { env }));
    for (const secret of [newest, older, salt]) expect(listed, 'no secret is listed').not.to.include(secret);
    const keys = JSON.parse(listed) as Listed[];
    expect(keys.filter((k) => k.use === 'cookie').map((k) => [k.alg, k.state])).to.have.deep.members([['HMAC-SHA1', 'active'], ['HMAC-SHA1', 'previous']]);
    expect(keys.filter((k) => k.use === 'pairwise').map((k) => [k.alg, k.state, k.retires])).to.deep.equal([['HMAC-SHA256', 'active', null]]);

    expectRefused(await box.run(['keys', 'rotate', '--use', 'pairwise'], { env }), /^hub: the pairwise salt is never rotated: changing it would change every persistent NameID the SPs know; nothing created$/);
    const rotated = ok(await box.run(['keys', 'rotate', '--publish-delay', '1h'], { env }));
    expect(rotated).to.match(/^created cookie HMAC-SHA1 cookie-[0-9a-f]{32}, signing from \S+$/m);
    expect(rotated, '--use all leaves the salt alone').not.to.match(/pairwise/);
    const after = await list();
    expect(after.filter((k) => k.use === 'cookie').map((k) => k.state)).to.have.members(['active', 'previous', 'next']);
    expect(after.filter((k) => k.use === 'pairwise').map((k) => k.kid)).to.deep.equal(keys.filter((k) => k.use === 'pairwise').map((k) => k.kid));
    expectRefused(await box.run(['keys', 'rotate', '--use', 'cookie'], { env }), /^hub: a next cookie key is already published \(HMAC-SHA1 cookie-[0-9a-f]{32}\), signing from \S+: nothing created$/);

    expectRefused(await box.run(['keys', 'import'], { env: { ...env, HUB_COOKIE_KEYS: 'x'.repeat(40) } }), /^hub: the store already holds other cookie keys: an import only fills a store without keys of that use \(rotate instead\)$/);
    expectRefused(await box.run(['keys', 'import'], { env: { ...env, HUB_TEST_PAIRWISE_SALT: 'another salt' } }), /^hub: the store already holds other pairwise keys: an import only fills a store without keys of that use \(the stored one stays\)$/);
  });
});
