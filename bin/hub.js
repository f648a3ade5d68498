#!/usr/bin/env node
/**
 * The `hub` command (`npx hub …`, or bin/hub.js from anywhere): runs the CLI, which sets the exit
 * code (0, 1 failure, 2 usage, 3 refused). In a checkout (src/ present) it loads tsx in this
 * process and runs src/cli/main.ts with the project's tsconfig, whatever the working directory,
 * so a dist/ left by an earlier `npm run build` is never run stale. Without src/ (a production
 * install: the image holds dist/ and no tsx) it runs the compiled dist/cli/main.js.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = new URL('..', import.meta.url);
const source = new URL('src/cli/main.ts', root);
if (existsSync(source)) {
  const { register } = await import('tsx/esm/api');
  register({ tsconfig: fileURLToPath(new URL('tsconfig.json', root)) });
  await import(source.href);
} else {
  await import(new URL('dist/cli/main.js', root).href);
}
