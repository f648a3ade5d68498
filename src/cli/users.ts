import { Command, Option } from 'commander';
import { LoginThrottle } from '../auth/login-throttle.js';
import { checkPassword } from '../auth/password-policy.js';
import { hashPassword } from '../auth/passwords.js';
import { AuthPolicies } from '../auth/policy.js';
import type { HubConfig } from '../config/schema.js';
import { loadTenants } from '../config/tenants.js';
import { formatActivationCode, generateActivationCode, hashActivationCode } from '../identity/activation-code.js';
import { loginProblem, normalizeLogin } from '../identity/login.js';
import { HubError, NotFound } from '../shared/errors.js';
import { PROFILES, type Account, type NewAccount, type PlatformStore, type Profile } from '../storage/ports/index.js';
import { createRedis, waitForRedis } from '../storage/redis/client.js';
import { RedisEphemeralStore } from '../storage/redis/ephemeral.js';
import { commandContext, withStore } from './context.js';

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

function policiesOf(config: HubConfig): AuthPolicies {
  return new AuthPolicies(config.auth, new Map(loadTenants(config.tenants.dir).flatMap((t) => (t.auth ? [[t.id, t.auth] as const] : []))));
}

/** A fresh activation code: its hash and expiry for the store, the code itself to print once. */
function newActivation(config: HubConfig, tenantId: string, profile: Profile) {
  const code = generateActivationCode();
  const days = policiesOf(config).for(tenantId, profile).activationCodeTtlDays;
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
  await withStore(async (store, config) => {
    if (!(await store.tenants.get(o.tenant))) throw invalid(`unknown tenant "${o.tenant}" (see hub tenants list)`);
    if (password !== null) {
      const policy = policiesOf(config).for(o.tenant, o.profile).password;
      const refused = checkPassword(password, policy, o);
      if (refused.length > 0) throw invalid(`the password is refused by the ${o.profile} policy (${refused.join(', ')}; at least ${policy.minLength} characters, not common, without the person's names)`);
    }
    const activation = password === null ? newActivation(config, o.tenant, o.profile) : null;
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
async function resetActivation(o: { login: string }): Promise<void> {
  await withStore(async (store, config) => {
    const found = await accountByLogin(store, o.login);
    if (found.status === 'disabled' || found.status === 'disappeared') throw invalid(`account "${found.login}" is ${found.status}; enable it before issuing a code`);
    const activation = newActivation(config, found.tenantId, found.profile);
    const tenant = store.forTenant(found.tenantId);
    const account = await tenant.accounts.update(found.id, {
      status: 'pending', passwordHash: null, passwordChangedAt: new Date(),
      activationCodeHash: activation.activationCodeHash, activationExpiresAt: activation.activationExpiresAt,
    });
    await tenant.audit.record({ type: 'activation.reset', accountId: account.id, details: { by: 'cli' } });
    process.stdout.write(activationLine(account, activation.code, activation.activationExpiresAt));
  });
}

/** Lifts a brute-force lock. The lock is on the login as typed, so an unknown login can be unlocked too. */
async function unlock(o: { login: string }): Promise<void> {
  const { config } = commandContext();
  if (!config.redis.url) throw new HubError('no_redis', 'no REDIS_URL: without Redis, login limits live in the hub process and end with it (restart the hub)', { status: 400 });
  const redis = createRedis(config.redis.url, config.redis.keyPrefix);
  redis.on('error', () => undefined); // reported by waitForRedis below
  try {
    await waitForRedis(redis).catch(() => {
      throw new HubError('unavailable', `Redis at ${new URL(config.redis.url!).host} is unreachable`, { status: 503 });
    });
    const wasLimited = await new LoginThrottle(new RedisEphemeralStore(redis), config.auth.throttle).unlock(o.login);
    await withStore(async (store) => {
      const account = await store.accounts.findByLogin(normalizeLogin(o.login));
      const audit = account ? store.forTenant(account.tenantId).audit : store.audit;
      await audit.record({ type: 'account.unlocked', accountId: account?.id ?? null, details: { by: 'cli', login: o.login.slice(0, 64), wasLimited } });
    });
    process.stdout.write(wasLimited ? `unlocked ${o.login}\n` : `${o.login} was not locked\n`);
  } finally {
    redis.disconnect();
  }
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
    .description('issue a new activation code (printed once); the old code and the password stop working')
    .requiredOption('--login <login>', 'the account’s login')
    .action(resetActivation);
  users
    .command('unlock')
    .description('lift the brute-force lock of a login (needs REDIS_URL)')
    .requiredOption('--login <login>', 'the login as users type it')
    .action(unlock);
}
