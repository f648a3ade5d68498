#!/usr/bin/env node
/**
 * The `hub` command (`npx hub`, bin/hub.js, or `npm run hub --`). Exit codes (EXIT in context.ts):
 * 0 done; 1 failure, with one clear `hub: …` line on stderr; 2 usage error (the message and the
 * usage on stderr); 3 import lock held; 4 mass removal refused; 5 import completed with errors;
 * 6 too many quarantined entries; 7 other import refusal. A command run with --json also prints
 * its failure as a JSON object on stdout. A stack trace is never printed unless HUB_DEBUG is set.
 */
import { Command, CommanderError } from 'commander';
import { HubError, ServiceUnavailable } from '../shared/errors.js';
import { registerAuditCommands } from './audit.js';
import { registerClientCommands } from './clients.js';
import { registerConnectorCommands } from './connectors.js';
import { EXIT, exitCodeOf, notesOf, UsageError } from './context.js';
import { registerGarCommands } from './gar.js';
import { registerImportCommands } from './imports.js';
import { registerKeyCommands } from './keys.js';
import { registerRoleCommands } from './roles.js';
import { registerSamlCommands } from './saml.js';
import { registerServeCommands } from './serve.js';
import { registerTenantCommands } from './tenants.js';
import { registerUserCommands } from './users.js';

export const USAGE_EXIT = EXIT.usage;

/** The command whose action runs, once commander has parsed the arguments. */
let running: Command | null = null;

function buildProgram(): Command {
  const program = new Command('hub')
    .description('ent-sso-hub: identity federation and single sign-on hub of the Hauts-de-France ENT')
    .showHelpAfterError()
    .exitOverride()
    .hook('preAction', (_program, action) => {
      running = action;
    })
    .addHelpText('after', `
Exit codes: 0 done; 1 failure (one "hub: …" line on stderr; HUB_DEBUG=1 adds the stack);
2 usage error; 3 import lock held; 4 mass removal refused; 5 import completed with errors;
6 too many quarantined entries; 7 other import refusal (see hub import ldap --help).
A command run with --json prints its failure as {"error", "message"[, "run"]} on stdout too.`);
  registerServeCommands(program);
  registerKeyCommands(program);
  registerTenantCommands(program);
  registerUserCommands(program);
  registerClientCommands(program);
  registerConnectorCommands(program);
  registerSamlCommands(program);
  registerImportCommands(program);
  registerGarCommands(program);
  registerRoleCommands(program);
  registerAuditCommands(program);
  return program;
}

/** `hub import ldap`: the command's path as typed. */
function commandPath(command: Command): string {
  const names: string[] = [];
  for (let c: Command | null = command; c; c = c.parent) names.unshift(c.name());
  return names.join(' ');
}

function fail(err: unknown): never {
  if (err instanceof CommanderError) process.exit(err.exitCode === 0 ? 0 : USAGE_EXIT);
  // Errors of a run (ImportRefused, ImportFailed) carry the run as recorded, with its counters.
  const run = err instanceof HubError ? (err as HubError & { run?: unknown }).run : undefined;
  const exposed = err instanceof HubError && (err.expose || run !== undefined);
  const message = exposed ? err.message : `unexpected error: ${(err as Error).message}`;
  // A backing service's own words help ("connect ECONNREFUSED …"); other errors say it all.
  const cause = err instanceof ServiceUnavailable && err.cause instanceof Error ? ` (${err.cause.message})` : '';
  const exitCode = exitCodeOf(err);
  const notes = notesOf(err);
  if (running?.opts().json) {
    const code = err instanceof HubError ? err.code : 'unexpected';
    process.stdout.write(`${JSON.stringify({ error: code, message: `${message}${cause}`, exitCode, ...(run !== undefined ? { run } : {}), ...notes.json }, null, 2)}\n`);
  }
  process.stderr.write(`hub: ${message}${cause}\n`);
  for (const line of notes.lines) process.stderr.write(`  ${line}\n`);
  if (err instanceof UsageError && running) process.stderr.write(`Usage: ${commandPath(running)} ${running.usage()}\n(${commandPath(running)} --help for the options)\n`);
  if (process.env.HUB_DEBUG) console.error(err);
  process.exit(exitCode);
}

buildProgram().parseAsync(process.argv).catch(fail);
