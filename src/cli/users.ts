/** `hub users create|reset-activation|unlock`: options in, the account services (src/auth) called as the CLI operator, their outcome printed. */
import { Command, Option } from 'commander';
import { checkNewLogin, createLocalAccount, resetActivation, unlockLogin, type IssuedCode } from '../auth/account-service.js';
import { resetPendingActivations, selectForReset, type SelectionQuery } from '../auth/bulk-activation-reset.js';
import { LoginThrottle } from '../auth/login-throttle.js';
import { AuthPolicies } from '../auth/policy.js';
import { redisConfigured } from '../config/redis.js';
import type { HubConfig } from '../config/schema.js';
import { CLI_OPERATOR } from '../identity/actor.js';
import { formatActivationCode } from '../identity/activation-code.js';
import { HubError } from '../shared/errors.js';
import type { Account } from '../storage/ports/index.js';
import type { TenantDirectory } from '../wiring/tenants.js';
import { annotate, CodesFile, commandContext, printJsonOr, UsageError, withCommand, withStore } from './context.js';
import { PROFILES, type Profile } from '../identity/vocabulary.js';

interface CreateOptions {
  tenant: string;
  login: string;
  firstName: string;
  lastName: string;
  profile: Profile;
  email?: string;
  passwordStdin?: boolean;
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '');
}

function policiesOf(config: HubConfig, tenants: TenantDirectory): AuthPolicies {
  return new AuthPolicies(config.auth, tenants.authRules());
}

const activationLine = (account: Account, issued: IssuedCode) =>
  `activation code for ${account.login}: ${formatActivationCode(issued.code)} (valid until ${issued.expiresAt.toISOString().slice(0, 10)}; shown once)\n`;

async function create(o: CreateOptions): Promise<void> {
  checkNewLogin(o.login); // before waiting for a password on standard input
  const password = o.passwordStdin ? await readStdin() : null;
  await withStore(async (store, config, tenants) => {
    const { account, activation } = await createLocalAccount({ store, policies: policiesOf(config, tenants) }, CLI_OPERATOR, {
      tenantId: o.tenant, login: o.login, firstName: o.firstName, lastName: o.lastName, profile: o.profile, email: o.email ?? null, password,
    });
    process.stdout.write(`created ${account.login} (${account.id}) in ${o.tenant}, status ${account.status}\n`);
    if (activation) process.stdout.write(activationLine(account, activation));
  });
}

async function resetOne(login: string): Promise<void> {
  await withStore(async (store, config, tenants) => {
    const { account, activation } = await resetActivation({ store, policies: policiesOf(config, tenants) }, CLI_OPERATOR, login);
    process.stdout.write(activationLine(account, activation));
  });
}

interface ResetOptions {
  login?: string;
  tenant?: string;
  structure?: string;
  class?: string;
  run?: string;
  codesOut?: string;
  json?: boolean;
}

/** A selection naming nothing that exists is the operator's mistake: a usage error (exit 2). */
function asUsageError(err: unknown): never {
  throw err instanceof HubError && err.code === 'invalid_argument' ? new UsageError(err.message) : err;
}

async function resetBulk(o: ResetOptions): Promise<void> {
  const query: SelectionQuery = o.run !== undefined ? { tenant: o.tenant, run: o.run } : { tenant: o.tenant, structure: o.structure!, class: o.class };
  await withStore(async (store, config, tenants) => {
    const selection = await selectForReset(store, query).catch(asUsageError);
    const codes = CodesFile.create(o.codesOut!);
    const { issued, skipped } = await resetPendingActivations({ store, policies: policiesOf(config, tenants) }, CLI_OPERATOR, selection, codes)
      .catch((err: unknown) => {
        if (codes.count > 0) annotate(err, { note: `${codes.count} new code(s) were issued before the failure: ${codes.path}`, json: { issued: codes.count, codesFile: codes.path } });
        throw err;
      })
      .finally(() => codes.close());
    const skippedTotal = Object.values(skipped).reduce((a, b) => a + b, 0);
    const result = { tenant: selection.tenantId, ...selection.describe, issued, codesFile: issued > 0 ? codes.path : null, skipped };
    printJsonOr(Boolean(o.json), result, () => [
      ...(selection.note ? [`note: ${selection.note}`] : []),
      issued > 0
        ? `issued ${issued} new activation code(s) in ${selection.tenantId}: ${codes.path} (mode 0600; the previous codes of these accounts stop working)`
        : 'no pending account: no code issued, no file written',
      `skipped ${skippedTotal} account(s) not pending${skippedTotal ? ` (${Object.entries(skipped).map(([status, k]) => `${status} ${k}`).join(', ')})` : ''}: left as they are`,
    ].join('\n'));
  });
}

async function resetActivationCommand(this: Command, o: ResetOptions): Promise<void> {
  const bulk = o.structure !== undefined || o.run !== undefined;
  if (o.login !== undefined && (bulk || o.class !== undefined)) this.error('error: --login excludes --structure, --class and --run');
  if (o.structure !== undefined && o.run !== undefined) this.error('error: --structure and --run exclude each other');
  if (o.class !== undefined && o.structure === undefined) this.error('error: --class needs --structure');
  if (o.login === undefined && !bulk) this.error('error: one of --login <login>, --structure <uai> or --run <id> is required');
  if (bulk && o.codesOut === undefined) this.error('error: --codes-out <file> is required with --structure or --run (the codes are not printed)');
  if (!bulk && (o.codesOut !== undefined || o.tenant !== undefined || o.json)) this.error('error: --codes-out, --tenant and --json go with --structure or --run (--login prints its code)');
  if (bulk) await resetBulk(o);
  else await resetOne(o.login!);
}

async function unlock(o: { login: string }): Promise<void> {
  const { config } = commandContext();
  if (!redisConfigured(config.redis)) throw new HubError('no_redis', 'no REDIS_URL: without Redis, login limits live in the hub process and end with it (restart the hub)', { status: 400 });
  await withCommand(async ({ store, sharedEphemeral }) => {
    const throttle = new LoginThrottle(await sharedEphemeral(), config.auth.throttle);
    const { wasLimited } = await unlockLogin({ store, throttle }, CLI_OPERATOR, o.login);
    process.stdout.write(wasLimited ? `unlocked ${o.login}\n` : `${o.login} was not locked\n`);
  });
}

export function registerUserCommands(program: Command): void {
  const users = program.command('users').description('accounts');
  users
    .command('create')
    .description('create a local account: active with --password-stdin, else pending with an activation code (printed once)')
    .requiredOption('--tenant <id>', 'tenant (académie) id')
    .requiredOption('--login <login>', 'login, unique platform-wide')
    .requiredOption('--first-name <name>', 'first name')
    .requiredOption('--last-name <name>', 'last name')
    .addOption(new Option('--profile <profile>', 'ENT profile').choices(PROFILES).makeOptionMandatory())
    .option('--email <email>', 'e-mail address')
    .option('--password-stdin', 'read the password from standard input (checked against the profile’s policy)')
    .action(create);
  users
    .command('reset-activation')
    .description('issue new activation codes: one account\'s (--login: printed once; the old code and the password stop working), or those of the pending accounts of a structure, a class or an import run (written to --codes-out)')
    .option('--login <login>', 'one account, whatever its status (a disabled or disappeared one is refused)')
    .option('--structure <uai>', 'the pending accounts attached to this structure')
    .option('--class <code>', 'with --structure: only the members of this class')
    .option('--run <id>', 'the pending accounts an import run created (hub import runs --tenant T)')
    .option('--tenant <id>', 'with --structure or --run: the tenant to look in (default: every tenant)')
    .option('--codes-out <file>', 'with --structure or --run: a new CSV file for the codes (login,activation_code,external_id; mode 0600; an existing file is refused)')
    .option('--json', 'with --structure or --run: print the outcome as JSON')
    .addHelpText('after', `
Only pending (never activated) accounts get a new code with --structure or --run: active,
disabled and disappeared ones are left as they are and counted. Audited: activation.reset per
account, activation.reset_bulk for the operation.
Exit codes: 0 done; 1 failure; 2 usage error (conflicting options, unknown tenant, structure,
class or run, existing codes file).`)
    .action(resetActivationCommand);
  users
    .command('unlock')
    .description('lift the brute-force lock of a login (needs REDIS_URL)')
    .requiredOption('--login <login>', 'the login as users type it')
    .action(unlock);
}
