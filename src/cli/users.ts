import { Command, Option } from 'commander';
import { LoginThrottle } from '../auth/login-throttle.js';
import { checkPassword } from '../auth/password-policy.js';
import { hashPassword } from '../auth/passwords.js';
import { AuthPolicies } from '../auth/policy.js';
import type { HubConfig } from '../config/schema.js';
import { formatActivationCode, generateActivationCode, hashActivationCode } from '../identity/activation-code.js';
import { loginProblem, normalizeLogin } from '../identity/login.js';
import { HubError, NotFound } from '../shared/errors.js';
import { type Account, type NewAccount, type PlatformStore } from '../storage/ports/index.js';
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

const invalid = (message: string) => new HubError('invalid_argument', message, { status: 400 });

function policiesOf(config: HubConfig, tenants: TenantDirectory): AuthPolicies {
  return new AuthPolicies(config.auth, tenants.authRules());
}

/** A fresh activation code: its hash and expiry for the store, the code itself to print once. */
function newActivation(config: HubConfig, tenants: TenantDirectory, tenantId: string, profile: Profile) {
  const code = generateActivationCode();
  const days = policiesOf(config, tenants).for(tenantId, profile).activationCodeTtlDays;
  return { code, activationCodeHash: hashActivationCode(code), activationExpiresAt: new Date(Date.now() + days * 86_400_000) };
}

const activationLine = (account: Account, code: string, expiresAt: Date) =>
  `activation code for ${account.login}: ${formatActivationCode(code)} (valid until ${expiresAt.toISOString().slice(0, 10)}; shown once)\n`;

async function accountByLogin(store: PlatformStore, login: string): Promise<Account> {
  const account = await store.accounts.findByLogin(normalizeLogin(login));
  if (!account) throw new NotFound(`account with login "${login}"`);
  return account;
}

async function create(o: CreateOptions): Promise<void> {
  const problem = loginProblem(o.login);
  if (problem) throw invalid(`invalid --login: ${problem}`);
  const password = o.passwordStdin ? await readStdin() : null;
  await withStore(async (store, config, tenants) => {
    if (!(await store.tenants.get(o.tenant))) throw invalid(`unknown tenant "${o.tenant}" (see hub tenants list)`);
    if (password !== null) {
      const policy = policiesOf(config, tenants).for(o.tenant, o.profile).password;
      const refused = checkPassword(password, policy, o);
      if (refused.length > 0) throw invalid(`the password is refused by the ${o.profile} policy (${refused.join(', ')}; at least ${policy.minLength} characters, not common, without the person's names)`);
    }
    const activation = password === null ? newActivation(config, tenants, o.tenant, o.profile) : null;
    const fields: NewAccount = {
      login: o.login, firstName: o.firstName, lastName: o.lastName, profile: o.profile,
      displayName: `${o.firstName} ${o.lastName}`, email: o.email ?? null, source: 'local',
      ...(activation
        ? { status: 'pending', activationCodeHash: activation.activationCodeHash, activationExpiresAt: activation.activationExpiresAt }
        : { status: 'active', passwordHash: await hashPassword(password!) }),
    };
    const account = await store.forTenant(o.tenant).accounts.create(fields);
    await store.forTenant(o.tenant).audit.record({ type: 'account.created', accountId: account.id, details: { by: 'cli' } });
    process.stdout.write(`created ${account.login} (${account.id}) in ${o.tenant}, status ${account.status}\n`);
    if (activation) process.stdout.write(activationLine(account, activation.code, activation.activationExpiresAt));
  });
}

/** A new code; the old one and the password stop working, so a lost or leaked account is recovered. */
async function resetOne(login: string): Promise<void> {
  await withStore(async (store, config, tenants) => {
    const found = await accountByLogin(store, login);
    if (found.status === 'disabled' || found.status === 'disappeared') throw invalid(`account "${found.login}" is ${found.status}; enable it before issuing a code`);
    const activation = newActivation(config, tenants, found.tenantId, found.profile);
    const tenant = store.forTenant(found.tenantId);
    const account = await tenant.accounts.update(found.id, {
      status: 'pending', passwordHash: null, passwordChangedAt: new Date(),
      activationCodeHash: activation.activationCodeHash, activationExpiresAt: activation.activationExpiresAt,
    });
    await tenant.audit.record({ type: 'activation.reset', accountId: account.id, details: { by: 'cli' } });
    process.stdout.write(activationLine(account, activation.code, activation.activationExpiresAt));
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

/** What a bulk reset covers, in one tenant. */
interface Selection {
  tenantId: string;
  /** For the audit and the output: `{ structure, class }` or `{ run }`. */
  describe: Record<string, string>;
  /** A page of the selected accounts, whatever their status, in a stable order. */
  page(offset: number, limit: number): Promise<Account[]>;
  note?: string;
}

const PAGE = 500;

async function tenantsToSearch(store: PlatformStore, tenant: string | undefined): Promise<string[]> {
  if (tenant === undefined) return (await store.tenants.list()).map((t) => t.id);
  if (!(await store.tenants.get(tenant))) throw new UsageError(`unknown tenant "${tenant}" (see hub tenants list)`);
  return [tenant];
}

async function selectAccounts(store: PlatformStore, o: ResetOptions): Promise<Selection> {
  const tenants = await tenantsToSearch(store, o.tenant);
  if (o.run !== undefined) {
    for (const tenantId of tenants) {
      const run = await store.forTenant(tenantId).imports.getRun(o.run);
      if (!run) continue;
      if (run.dryRun) throw new UsageError(`import run ${run.id} was a dry run: it created no account`);
      // A run still recorded as running is in progress, or was killed and not yet taken over.
      const to = run.finishedAt ?? new Date();
      const accounts = store.forTenant(tenantId).accounts;
      return {
        tenantId, describe: { run: run.id, source: run.sourceId },
        page: (offset, limit) => accounts.listCreatedBySource(run.sourceId, run.startedAt, to, { offset, limit }),
        ...(run.finishedAt === null ? { note: `run ${run.id} is still recorded as running (in progress, or stopped before it could record its end): the accounts it created until now` } : {}),
      };
    }
    throw new UsageError(`no import run ${o.run}${o.tenant !== undefined ? ` for tenant ${o.tenant}` : ''} (see hub import runs --tenant T)`);
  }
  const typed = o.structure!.trim();
  let uai = typed;
  const found: string[] = [];
  for (const tenantId of tenants) {
    const structures = store.forTenant(tenantId).structures;
    const structure = (await structures.findByUai(typed)) ?? (await structures.findByUai(typed.toUpperCase()));
    if (structure) {
      found.push(tenantId);
      uai = structure.uai;
    }
  }
  if (found.length === 0) throw new UsageError(`no structure with UAI ${typed}${o.tenant !== undefined ? ` in tenant ${o.tenant}` : ''}`);
  if (found.length > 1) throw new UsageError(`structure ${uai} is in several tenants (${found.join(', ')}): name one with --tenant`);
  const tenantId = found[0]!;
  const accounts = store.forTenant(tenantId).accounts;
  if (o.class !== undefined && (await accounts.listInStructure(uai, o.class, { limit: 1 })).length === 0) {
    throw new UsageError(`structure ${uai} has no class "${o.class}" with members`);
  }
  return {
    tenantId, describe: { structure: uai, ...(o.class !== undefined ? { class: o.class } : {}) },
    page: (offset, limit) => accounts.listInStructure(uai, o.class, { offset, limit }),
  };
}

/**
 * New activation codes for the pending (never activated) accounts of a structure, a class or an
 * import run, written to a new CSV file; active, disabled and disappeared accounts are left as
 * they are and counted. Audited per account (`activation.reset`, like --login: an account's
 * history shows every code issued for it) and once for the operation (`activation.reset_bulk`,
 * with the selection and the counts: what the operator did, in one event).
 */
async function resetBulk(o: ResetOptions): Promise<void> {
  await withStore(async (store, config, tenants) => {
    const selection = await selectAccounts(store, o);
    const codes = CodesFile.create(o.codesOut!);
    const skipped: Record<string, number> = {};
    const scope = store.forTenant(selection.tenantId);
    const policies = policiesOf(config, tenants);
    try {
      for (let offset = 0; ; offset += PAGE) {
        const page = await selection.page(offset, PAGE);
        for (const account of page) {
          if (account.status !== 'pending') {
            skipped[account.status] = (skipped[account.status] ?? 0) + 1;
            continue;
          }
          const code = generateActivationCode();
          const days = policies.for(selection.tenantId, account.profile).activationCodeTtlDays;
          const updated = await scope.accounts.updatePending(account.id, { activationCodeHash: hashActivationCode(code), activationExpiresAt: new Date(Date.now() + days * 86_400_000) });
          if (!updated) {
            skipped.activated = (skipped.activated ?? 0) + 1; // activated between the read and the write
            continue;
          }
          codes.write([{ login: updated.login, code, externalId: updated.externalId }]);
          await scope.audit.record({ type: 'activation.reset', accountId: updated.id, details: { by: 'cli', bulk: true, ...selection.describe } });
        }
        if (page.length < PAGE) break;
      }
    } catch (err) {
      if (codes.count > 0) annotate(err, { note: `${codes.count} new code(s) were issued before the failure: ${codes.path}`, json: { issued: codes.count, codesFile: codes.path } });
      throw err;
    } finally {
      codes.close();
      await scope.audit.record({ type: 'activation.reset_bulk', details: { by: 'cli', ...selection.describe, issued: codes.count, skipped } }).catch(() => undefined);
    }
    const count = codes.count;
    const skippedTotal = Object.values(skipped).reduce((a, b) => a + b, 0);
    const result = { tenant: selection.tenantId, ...selection.describe, issued: count, codesFile: count > 0 ? codes.path : null, skipped };
    printJsonOr(Boolean(o.json), result, () => [
      ...(selection.note ? [`note: ${selection.note}`] : []),
      count > 0
        ? `issued ${count} new activation code(s) in ${selection.tenantId}: ${codes.path} (mode 0600; the previous codes of these accounts stop working)`
        : 'no pending account: no code issued, no file written',
      `skipped ${skippedTotal} account(s) not pending${skippedTotal ? ` (${Object.entries(skipped).map(([status, k]) => `${status} ${k}`).join(', ')})` : ''}: left as they are`,
    ].join('\n'));
  });
}

async function resetActivation(this: Command, o: ResetOptions): Promise<void> {
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

/** Lifts a brute-force lock. The lock is on the login as typed, so an unknown login can be unlocked too. */
async function unlock(o: { login: string }): Promise<void> {
  const { config } = commandContext();
  if (!config.redis.url) throw new HubError('no_redis', 'no REDIS_URL: without Redis, login limits live in the hub process and end with it (restart the hub)', { status: 400 });
  await withCommand(async ({ store, sharedEphemeral }) => {
    const wasLimited = await new LoginThrottle(await sharedEphemeral(), config.auth.throttle).unlock(o.login);
    const account = await store.accounts.findByLogin(normalizeLogin(o.login));
    const audit = account ? store.forTenant(account.tenantId).audit : store.audit;
    await audit.record({ type: 'account.unlocked', accountId: account?.id ?? null, details: { by: 'cli', login: o.login.slice(0, 64), wasLimited } });
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
    .action(resetActivation);
  users
    .command('unlock')
    .description('lift the brute-force lock of a login (needs REDIS_URL)')
    .requiredOption('--login <login>', 'the login as users type it')
    .action(unlock);
}
