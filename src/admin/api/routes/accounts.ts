/** Accounts of a tenant: search, the whole picture, and the helpdesk's actions. */
import { z } from 'zod';
import {
  accountPicture, blockAccount, blockProfileOfStructure, changeLogin, reissueActivationCode, removeSecondFactor,
  revokeSessions, searchAccounts, unblockAccount, unlinkIdentity, unlockAccount, type AccountAdminPorts,
} from '../../../auth/account-admin.js';
import { ACCOUNT_STATUSES, PROFILES } from '../../../identity/vocabulary.js';
import type { AccountSearch } from '../../../storage/ports/index.js';
import type { Reach } from '../../authorization.js';
import { pageOf, pageQuery, route, tenantParams, type AdminRoute } from '../kit.js';
import {
  accountSummary, groupSummary, identitySummary, structureSummary, toAccountSummary, toGroupSummary, toIdentitySummary, toStructureSummary,
} from '../schemas.js';

/** The structures a reach covers; null: the whole tenant. */
export const structuresOf = (reach: Reach | null) => (reach?.kind === 'structures' ? reach.structureIds : null);

const accountParams = tenantParams.extend({ id: z.string().min(1).max(64) });

const searchQuery = pageQuery.extend({
  q: z.string().trim().min(1).max(200).describe('What to look for: a name prefix, a login prefix, an external id, an e-mail, a UAI.'),
  by: z.enum(['name', 'login', 'externalId', 'email', 'uai', 'class']).default('name').describe('How to read `q`.'),
  class: z.string().max(64).optional().describe('With `by=class`: the class code; `q` is the UAI.'),
  profile: z.enum(PROFILES).optional(),
  status: z.enum(ACCOUNT_STATUSES).optional(),
});

function searchOf(query: z.output<typeof searchQuery>): AccountSearch {
  switch (query.by) {
    case 'uai':
      return { kind: 'uai', uai: query.q.toUpperCase() };
    case 'class':
      return { kind: 'class', uai: query.q.toUpperCase(), classCode: query.class ?? '' };
    default:
      return { kind: query.by, text: query.q };
  }
}

const OBSTACLES = ['pending', 'activation_expired', 'locked', 'blocked', 'merged', 'disabled', 'disappeared', 'no_federated_link'] as const;

const picture = z.object({
  account: accountSummary,
  identities: z.array(identitySummary),
  structures: z.array(structureSummary),
  groups: z.array(groupSummary),
  parents: z.array(accountSummary),
  children: z.array(accountSummary),
  secondFactor: z.boolean(),
  locked: z.boolean(),
  obstacles: z.array(z.enum(OBSTACLES)).describe('Why the account cannot sign in now; empty: nothing stops it.'),
});

const issuedCode = z.object({ account: accountSummary, code: z.string().describe('Shown once: the hub keeps only its hash.'), expiresAt: z.string() });

export function accountRoutes(ports: AccountAdminPorts): AdminRoute[] {
  const base = '/tenants/:tenant/accounts';
  const action = (operationId: string, suffix: string, summary: string, run: (tenantId: string, reach: readonly string[] | null, id: string, actor: Parameters<typeof blockAccount>[1]) => Promise<unknown>) => route({
    operationId, method: 'post', path: `${base}/:id/${suffix}`, summary, tag: 'accounts', level: 'tenant', structureScoped: true, permission: 'accounts.manage',
    params: accountParams, reply: { status: 204, description: 'Done.' },
    handle: async ({ params, reach, actor }) => {
      await run(params.tenant, structuresOf(reach), params.id, actor);
      return { status: 204 };
    },
  });
  return [
    route({
      operationId: 'searchAccounts', method: 'get', path: base, summary: 'Find accounts', tag: 'accounts', level: 'tenant', structureScoped: true, permission: 'accounts.read',
      params: tenantParams, query: searchQuery, reply: { status: 200, description: 'A page of accounts.', schema: pageOf(accountSummary) },
      handle: async ({ params, query, reach }) => {
        const filters = { ...(query.profile ? { profile: query.profile } : {}), ...(query.status ? { status: query.status } : {}) };
        const page = await searchAccounts(ports.store, params.tenant, structuresOf(reach), searchOf(query), filters, { limit: query.limit, ...(query.after ? { after: query.after } : {}) });
        return { json: { items: page.items.map(toAccountSummary), next: page.next } };
      },
    }),
    route({
      operationId: 'getAccount', method: 'get', path: `${base}/:id`, summary: 'An account, its links and why it cannot sign in', tag: 'accounts', level: 'tenant', structureScoped: true, permission: 'accounts.read',
      params: accountParams, reply: { status: 200, description: 'The account.', schema: picture },
      handle: async ({ params, reach }) => {
        const p = await accountPicture(ports, params.tenant, structuresOf(reach), params.id);
        return {
          json: {
            account: toAccountSummary(p.account), identities: p.identities.map(toIdentitySummary), structures: p.structures.map(toStructureSummary),
            groups: p.groups.map(toGroupSummary), parents: p.parents.map(toAccountSummary), children: p.children.map(toAccountSummary),
            secondFactor: p.secondFactor, locked: p.locked, obstacles: p.obstacles,
          },
        };
      },
    }),
    route({
      operationId: 'reissueActivationCode', method: 'post', path: `${base}/:id/activation-code`, summary: 'Issue a new activation code (the account is pending again)', tag: 'accounts', level: 'tenant', structureScoped: true, permission: 'accounts.manage',
      params: accountParams, reply: { status: 201, description: 'The new code, shown once.', schema: issuedCode },
      handle: async ({ params, reach, actor }) => {
        const { account, activation } = await reissueActivationCode(ports, actor, params.tenant, structuresOf(reach), params.id);
        return { status: 201, json: { account: toAccountSummary(account), code: activation.code, expiresAt: activation.expiresAt.toISOString() } };
      },
    }),
    action('blockAccount', 'block', 'Block the account (its sessions end)', (t, r, id, actor) => blockAccount(ports, actor, t, r, id)),
    action('unblockAccount', 'unblock', 'Lift an admin\'s block', (t, r, id, actor) => unblockAccount(ports, actor, t, r, id)),
    action('unlockAccount', 'unlock', 'Lift a brute-force lock', (t, r, id, actor) => unlockAccount(ports, actor, t, r, id)),
    action('revokeSessions', 'revoke-sessions', 'End every session and token of the account', (t, r, id, actor) => revokeSessions(ports, actor, t, r, id)),
    action('removeSecondFactor', 'remove-second-factor', 'Remove the second factor (TOTP) and its recovery codes', (t, r, id, actor) => removeSecondFactor(ports, actor, t, r, id)),
    route({
      operationId: 'unlinkIdentity', method: 'delete', path: `${base}/:id/identities/:identity`, summary: 'Unlink a federated identity', tag: 'accounts', level: 'tenant', structureScoped: true, permission: 'accounts.manage',
      params: accountParams.extend({ identity: z.string().min(1).max(64) }), reply: { status: 204, description: 'Unlinked.' },
      handle: async ({ params, reach, actor }) => {
        await unlinkIdentity(ports, actor, params.tenant, structuresOf(reach), params.id, params.identity);
        return { status: 204 };
      },
    }),
    route({
      operationId: 'changeLogin', method: 'put', path: `${base}/:id/login`, summary: 'Change the login (alias)', tag: 'accounts', level: 'tenant', structureScoped: true, permission: 'accounts.manage',
      params: accountParams, body: z.object({ login: z.string().min(1).max(64) }), reply: { status: 200, description: 'The account.', schema: accountSummary },
      handle: async ({ params, body, reach, actor }) => ({ json: toAccountSummary(await changeLogin(ports, actor, params.tenant, structuresOf(reach), params.id, body.login)) }),
    }),
    route({
      operationId: 'blockProfileOfSchool', method: 'post', path: '/tenants/:tenant/structures/:uai/block', summary: 'Block or unblock every account of a profile of a school', tag: 'accounts', level: 'tenant', structureScoped: true, permission: 'accounts.manage',
      params: tenantParams.extend({ uai: z.string().min(1).max(16) }),
      body: z.object({ profile: z.enum(PROFILES), block: z.boolean().describe('true: block; false: lift admins\' blocks.') }),
      reply: { status: 200, description: 'How many changed.', schema: z.object({ changed: z.number().int(), unchanged: z.number().int() }) },
      handle: async ({ params, body, reach, actor }) => ({
        json: await blockProfileOfStructure(ports, actor, params.tenant, structuresOf(reach), { uai: params.uai.toUpperCase(), profile: body.profile }, body.block),
      }),
    }),
  ];
}
