/**
 * `hub roles …`: the admin roles, from the command line. The first platform or tenant admin of a
 * new hub is granted here; after that, admins grant roles from the console (both audited).
 */
import type { Command } from 'commander';
import { grantRole, grantsOn, revokeRole } from '../admin/grants.js';
import { ADMIN_ROLES, type AdminRole } from '../identity/admin-roles.js';
import { CLI_OPERATOR } from '../identity/actor.js';
import type { RoleGrant } from '../storage/ports/index.js';
import { printJsonOr, UsageError, withStore } from './context.js';

interface GrantOptions {
  login?: string;
  client?: string;
  role: string;
  tenant?: string;
  platform?: boolean;
  uai?: string[];
  json?: boolean;
}

const describeGrant = (g: RoleGrant) => [g.id, g.role, g.tenantId ?? 'platform', `${g.subjectKind}:${g.subjectId}`, g.structureIds.join(',') || '-', g.grantedAt.toISOString()].join('\t');

function tenantOf(o: { tenant?: string; platform?: boolean }): string | null {
  if (Boolean(o.tenant) === Boolean(o.platform)) throw new UsageError('name either --tenant <id> or --platform');
  return o.platform ? null : o.tenant!;
}

async function grant(o: GrantOptions): Promise<void> {
  if (Boolean(o.login) === Boolean(o.client)) throw new UsageError('name either --login <login> or --client <client id>');
  if (!(ADMIN_ROLES as readonly string[]).includes(o.role)) throw new UsageError(`--role must be one of ${ADMIN_ROLES.join(', ')}`);
  const tenantId = tenantOf(o);
  const created = await withStore((store) => grantRole(store, CLI_OPERATOR, {
    subjectKind: o.login ? 'account' : 'client', subject: (o.login ?? o.client)!, role: o.role as AdminRole, tenantId, uais: o.uai ?? [],
  }));
  printJsonOr(Boolean(o.json), created, () => `granted: ${describeGrant(created)}`);
}

async function list(o: { tenant?: string; platform?: boolean; json?: boolean }): Promise<void> {
  const tenantId = tenantOf(o);
  const grants = await withStore((store) => grantsOn(store, tenantId));
  printJsonOr(Boolean(o.json), grants, () => grants.map(describeGrant).join('\n') || '(no role granted)');
}

async function revoke(o: { id: string; tenant?: string; platform?: boolean }): Promise<void> {
  const tenantId = tenantOf(o);
  const removed = await withStore((store) => revokeRole(store, CLI_OPERATOR, tenantId, o.id));
  process.stdout.write(`revoked: ${describeGrant(removed)}\n`);
}

export function registerRoleCommands(program: Command): void {
  const roles = program.command('roles').description(`admin roles of the console and the admin API (${ADMIN_ROLES.join(', ')})`);
  roles.command('grant')
    .description('grant a role to an account (a person at the console) or a client (a script with client credentials)')
    .option('--login <login>', 'the account')
    .option('--client <id>', 'the client')
    .requiredOption('--role <role>', ADMIN_ROLES.join(' | '))
    .option('--tenant <id>', 'on this tenant')
    .option('--platform', 'on the platform (platform-admin, auditor)')
    .option('--uai <uai...>', 'only these schools of the tenant (structure-admin, helpdesk, auditor)')
    .option('--json', 'print JSON')
    .action(grant);
  roles.command('list')
    .description('the roles granted on a tenant or the platform')
    .option('--tenant <id>', 'this tenant\'s')
    .option('--platform', 'the platform\'s')
    .option('--json', 'print JSON')
    .action(list);
  roles.command('revoke')
    .description('revoke a role grant')
    .requiredOption('--id <grant>', 'the grant id (see hub roles list)')
    .option('--tenant <id>', 'a grant on this tenant')
    .option('--platform', 'a grant on the platform')
    .action(revoke);
}
