#!/usr/bin/env node
/**
 * The `hub` command (`npx hub`, bin/hub.js, or `npm run hub --`). Exit codes: 0 done; 1 failure,
 * with one clear `hub: …` line on stderr; 2 usage error (the message and the usage on stderr);
 * 3 refused by a guard an operator may script around (another import holds the lock, the
 * mass-removal guard). A stack trace is never printed unless HUB_DEBUG is set.
 */
import { Command, CommanderError } from 'commander';
import { HubError, ServiceUnavailable } from '../shared/errors.js';
import { registerClientCommands } from './clients.js';
import { registerConnectorCommands } from './connectors.js';
import { registerImportCommands } from './imports.js';
import { registerKeyCommands } from './keys.js';
import { registerServeCommands } from './serve.js';
import { registerTenantCommands } from './tenants.js';
import { registerUserCommands } from './users.js';

export const USAGE_EXIT = 2;

function buildProgram(): Command {
  const program = new Command('hub')
    .description('ent-sso-hub: identity federation and single sign-on hub of the Hauts-de-France ENT')
    .showHelpAfterError()
    .exitOverride()
    .addHelpText('after', `
Exit codes: 0 done; 1 failure (one "hub: …" line on stderr; HUB_DEBUG=1 adds the stack);
2 usage error; 3 refused by a guard (import lock held, mass-removal guard).`);
  registerServeCommands(program);
  registerKeyCommands(program);
  registerTenantCommands(program);
  registerUserCommands(program);
  registerClientCommands(program);
  registerConnectorCommands(program);
  registerImportCommands(program);
  return program;
}

/** Refusals an operator may script around (another run holds the lock, mass-removal guard). */
const REFUSED_EXIT = 3;

function fail(err: unknown): never {
  if (err instanceof CommanderError) process.exit(err.exitCode === 0 ? 0 : USAGE_EXIT);
  const message = err instanceof HubError && err.expose ? err.message : `unexpected error: ${(err as Error).message}`;
  // A backing service's own words help ("connect ECONNREFUSED …"); other errors say it all.
  const cause = err instanceof ServiceUnavailable && err.cause instanceof Error ? ` (${err.cause.message})` : '';
  process.stderr.write(`hub: ${message}${cause}\n`);
  if (process.env.HUB_DEBUG) console.error(err);
  process.exit(err instanceof HubError && err.status === 409 && err.code !== 'conflict' ? REFUSED_EXIT : 1);
}

buildProgram().parseAsync(process.argv).catch(fail);
