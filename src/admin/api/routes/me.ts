/** The signed-in admin: who it is, its roles, and the tenants it may open. */
import { z } from 'zod';
import type { PlatformStore } from '../../../storage/ports/index.js';
import { tenantsOf } from '../../authorization.js';
import { route, type AdminRoute } from '../kit.js';
import { roleGrant, toRoleGrant } from '../schemas.js';

const tenantSummary = z.object({ id: z.string(), name: z.string() });

export function meRoutes(store: PlatformStore): AdminRoute[] {
  return [
    route({
      operationId: 'me', method: 'get', path: '/me', summary: 'Who you are and your roles', tag: 'me', level: 'signed-in', permission: 'tenants.read',
      reply: { status: 200, description: 'The principal.', schema: z.object({ subjectKind: z.enum(['account', 'client']), subjectId: z.string(), displayName: z.string(), grants: z.array(roleGrant) }) },
      handle: async ({ principal: p }) => ({ json: { subjectKind: p.subjectKind, subjectId: p.subjectId, displayName: p.displayName, grants: p.grants.map(toRoleGrant) } }),
    }),
    route({
      operationId: 'listTenants', method: 'get', path: '/tenants', summary: 'The tenants you may open', tag: 'me', level: 'signed-in', permission: 'tenants.read',
      reply: { status: 200, description: 'Tenants (a single page).', schema: z.object({ items: z.array(tenantSummary), next: z.null() }) },
      handle: async ({ principal }) => {
        const mine = tenantsOf(principal);
        const all = await store.tenants.list();
        const visible = mine.includes(null) ? all : all.filter((t) => mine.includes(t.id));
        return { json: { items: visible.map((t) => ({ id: t.id, name: t.name })), next: null } };
      },
    }),
  ];
}
