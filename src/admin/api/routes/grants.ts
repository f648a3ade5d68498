/** Who holds which admin role: read and changed by tenant admins in their tenant, by platform admins everywhere. */
import { z } from 'zod';
import { ADMIN_ROLES } from '../../../identity/admin-roles.js';
import type { PlatformStore } from '../../../storage/ports/index.js';
import { grantRole, grantsOn, revokeRole } from '../../grants.js';
import { pageOf, route, tenantParams, type AdminRoute } from '../kit.js';
import { roleGrant, toRoleGrant } from '../schemas.js';

const grantBody = z.object({
  subjectKind: z.enum(['account', 'client']),
  subject: z.string().min(1).max(128).describe('An account\'s login, or a client id.'),
  role: z.enum(ADMIN_ROLES),
  uais: z.array(z.string().min(1).max(16)).max(200).default([]).describe('For structure-admin (and helpdesk or auditor on some schools): the schools\' UAIs; empty: the whole tenant.'),
});

const levels = [
  { level: 'tenant' as const, base: '/tenants/:tenant/grants', params: tenantParams, body: grantBody, suffix: '' },
  { level: 'platform' as const, base: '/platform/grants', params: z.object({}), body: grantBody.extend({ tenant: z.string().min(1).max(64).nullable().default(null).describe('null: a platform grant.') }), suffix: 'OfPlatform' },
];

export function grantRoutes(store: PlatformStore): AdminRoute[] {
  return levels.flatMap(({ level, base, params, body, suffix }) => {
    const tenantOf = (p: Record<string, unknown>) => (level === 'tenant' ? String(p.tenant) : null);
    return [
      route({
        operationId: `listGrants${suffix}`, method: 'get', path: base, summary: 'List the role grants', tag: 'roles', level, permission: 'grants.read',
        params, reply: { status: 200, description: 'Every grant here (a single page).', schema: pageOf(roleGrant) },
        handle: async ({ params: p }) => ({ json: { items: (await grantsOn(store, tenantOf(p))).map(toRoleGrant), next: null } }),
      }),
      route({
        operationId: `grantRole${suffix}`, method: 'post', path: base, summary: 'Grant a role', tag: 'roles', level, permission: 'grants.manage',
        params, body, reply: { status: 201, description: 'The grant.', schema: roleGrant },
        handle: async ({ params: p, body: b, actor }) => {
          const tenantId = level === 'tenant' ? tenantOf(p) : (b as { tenant: string | null }).tenant;
          const grant = await grantRole(store, actor, { subjectKind: b.subjectKind, subject: b.subject, role: b.role, tenantId, uais: b.uais });
          return { status: 201, json: toRoleGrant(grant) };
        },
      }),
      route({
        operationId: `revokeGrant${suffix}`, method: 'delete', path: `${base}/:grant`, summary: 'Revoke a role grant', tag: 'roles', level, permission: 'grants.manage',
        params: params.extend({ grant: z.string().min(1).max(64) }), reply: { status: 204, description: 'Revoked.' },
        handle: async ({ params: p, actor }) => {
          await revokeRole(store, actor, tenantOf(p), p.grant);
          return { status: 204 };
        },
      }),
    ];
  });
}
