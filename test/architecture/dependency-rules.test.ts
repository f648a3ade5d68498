/**
 * The house rules of .dependency-cruiser.cjs must be able to fail: a small tree that breaks each
 * one on purpose is cruised with the project's own configuration, and every rule must fire. The
 * real tree is checked by `npm run check:deps`, part of the README's test command.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { expect } from 'chai';

const PROJECT = resolve(import.meta.dirname, '../..');
const CONFIG = join(PROJECT, '.dependency-cruiser.cjs');
const DEPCRUISE = join(PROJECT, 'node_modules/.bin/depcruise');

/** One file per broken rule: path → content. */
const BROKEN_TREE: Record<string, string> = {
  'src/federation/drives-provider.ts': "import type Provider from 'oidc-provider';\nexport type P = Provider;\n",
  'src/ui/reads-a-module.ts': "import { consent } from '../oidc/pages.js';\nexport const x = consent;\n",
  'src/oidc/pages.ts': "import { db } from '../storage/sql/db.js';\nexport const consent = db;\n",
  'src/storage/sql/db.ts': 'export const db = 1;\n',
  'src/storage/redis/cache.ts': "import { db } from '../sql/db.js';\nexport const cache = db;\n",
  'src/auth/demo-user.ts': "import { demo } from '../dev/seed.js';\nexport const user = demo;\n",
  'src/dev/seed.ts': 'export const demo = 1;\n',
  'src/shared/fixture.ts': "import { sample } from '../../testing/sample.js';\nexport const f = sample;\n",
  'testing/sample.ts': 'export const sample = 1;\n',
  'src/identity/asserts.ts': "import { expect } from 'chai';\nexport const e = expect;\n",
  'src/auth/ping.ts': "import { pong } from './pong.js';\nexport const ping = () => pong;\n",
  'src/auth/pong.ts': "import { ping } from './ping.js';\nexport const pong = () => ping;\n",
  'tsconfig.json': JSON.stringify({ compilerOptions: { module: 'NodeNext', moduleResolution: 'NodeNext', strict: true }, include: ['src', 'testing'] }),
};

/** The `err` reporter, the one the check command uses: it sets the exit code and names each rule broken. */
async function cruise(dir: string): Promise<{ exitCode: number; rules: string[] }> {
  try {
    await promisify(execFile)(DEPCRUISE, ['src', '--config', CONFIG, '--output-type', 'err'], { cwd: dir });
    return { exitCode: 0, rules: [] };
  } catch (err) {
    const failure = err as { code: number; stdout: string };
    const rules = [...failure.stdout.matchAll(/^\s*error ([\w-]+):/gm)].map((m) => m[1]!);
    return { exitCode: failure.code, rules: [...new Set(rules)].sort() };
  }
}

describe('dependency rules', function () {
  this.timeout(60_000);
  let dir: string;

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'hub-deps-'));
    for (const [path, content] of Object.entries(BROKEN_TREE)) {
      mkdirSync(dirname(join(dir, path)), { recursive: true });
      writeFileSync(join(dir, path), content);
    }
    symlinkSync(join(PROJECT, 'node_modules'), join(dir, 'node_modules'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('fires every rule on a tree that breaks each one on purpose, with a failing exit code', async () => {
    const { exitCode, rules } = await cruise(dir);
    expect(exitCode).to.not.equal(0);
    expect(rules).to.include.members([
      'oidc-provider-only-in-oidc', 'layer-kits', 'adapters-only-from-wiring', 'adapters-stay-apart',
      'dev-only-from-wiring', 'src-not-to-testing', 'src-not-to-test-libraries', 'no-circular',
    ]);
  });
});
