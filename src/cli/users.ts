import { Command, Option } from 'commander';
import { hashPassword } from '../auth/passwords.js';
import { loginProblem } from '../identity/login.js';
import { HubError } from '../shared/errors.js';
import { PROFILES, type Profile } from '../storage/ports/index.js';
import { withStore } from './context.js';

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

export function registerUserCommands(program: Command): void {
  const users = program.command('users').description('accounts');
  users
    .command('create')
    .description('create a local account (active with --password-stdin, else pending activation)')
    .requiredOption('--tenant <id>', 'tenant (académie) id')
    .requiredOption('--login <login>', 'login, unique platform-wide')
    .requiredOption('--first-name <name>', 'first name')
    .requiredOption('--last-name <name>', 'last name')
    .addOption(new Option('--profile <profile>', 'ENT profile').choices(PROFILES).makeOptionMandatory())
    .option('--email <email>', 'e-mail address')
    .option('--password-stdin', 'read the password from standard input')
    .action(async (o: CreateOptions) => {
      const problem = loginProblem(o.login);
      if (problem) throw invalid(`invalid --login: ${problem}`);
      const password = o.passwordStdin ? await readStdin() : null;
      if (password !== null && password.length < 8) throw invalid('the password must have at least 8 characters');
      await withStore(async (store) => {
        if (!(await store.tenants.get(o.tenant))) throw invalid(`unknown tenant "${o.tenant}" (see hub tenants list)`);
        const account = await store.forTenant(o.tenant).accounts.create({
          login: o.login, firstName: o.firstName, lastName: o.lastName, profile: o.profile,
          displayName: `${o.firstName} ${o.lastName}`, email: o.email ?? null, source: 'local',
          status: password === null ? 'pending' : 'active', passwordHash: password === null ? null : await hashPassword(password),
        });
        await store.forTenant(o.tenant).audit.record({ type: 'account.created', accountId: account.id, details: { by: 'cli' } });
        process.stdout.write(`created ${account.login} (${account.id}) in ${o.tenant}, status ${account.status}\n`);
      });
    });
}
