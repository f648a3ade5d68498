#!/usr/bin/env node
/**
 * `npm run build` (`node scripts/build.js [outDir]`): compiles src/ with tsconfig.build.json into
 * dist/ (or outDir), then copies the files src/ reads at run time beside the emitted modules
 * (stylesheets, browser scripts, XSD schemas, the password blocklist…): they are located from
 * `import.meta.url`, so each must sit next to its module as in src/. The folder is emptied first
 * so a source deleted since the last build leaves no module behind.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { resolve } from 'node:path';

const root = fileURLToPath(new URL('..', import.meta.url));
const outDir = resolve(process.argv[2] ?? resolve(root, 'dist'));
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');

rmSync(outDir, { recursive: true, force: true });
const compiled = spawnSync(process.execPath, [tsc, '-p', resolve(root, 'tsconfig.build.json'), '--outDir', outDir], { stdio: 'inherit' });
if (compiled.status !== 0) process.exit(compiled.status ?? 1);
cpSync(resolve(root, 'src'), outDir, { recursive: true, filter: (path) => !path.endsWith('.ts') });
