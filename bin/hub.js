#!/usr/bin/env node
/**
 * The `hub` command (`npx hub …`, or bin/hub.js from anywhere): loads tsx in this process and
 * runs src/cli/main.ts, which sets the exit code (0, 1 failure, 2 usage, 3 refused). The
 * project's tsconfig is used whatever the working directory.
 */
import { fileURLToPath } from 'node:url';
import { register } from 'tsx/esm/api';

const root = new URL('..', import.meta.url);
register({ tsconfig: fileURLToPath(new URL('tsconfig.json', root)) });
await import(new URL('src/cli/main.ts', root).href);
