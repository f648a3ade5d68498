/** The dashboard's figures for a tenant (narrowed to its schools for a role over some schools). */
import { z } from 'zod';
import type { LoginThrottle } from '../../../auth/login-throttle.js';
import { ACCOUNT_STATUSES, PROFILES } from '../../../identity/vocabulary.js';
import type { PlatformStore } from '../../../storage/ports/index.js';
import { dashboardOf } from '../../tenant-reads.js';
import { route, tenantParams, type AdminRoute } from '../kit.js';
import { structuresOf } from './accounts.js';

const dashboard = z.object({
  accounts: z.array(z.object({ profile: z.enum(PROFILES), status: z.enum(ACCOUNT_STATUSES), count: z.number().int() })),
  activation: z.array(z.object({ structureId: z.string(), uai: z.string(), name: z.string(), accounts: z.number().int(), active: z.number().int(), pending: z.number().int() })),
  signIns: z.array(z.object({ day: z.string(), count: z.number().int() })).describe('The last 30 days, oldest first (UTC days).'),
  locked: z.array(z.object({ login: z.string(), accountId: z.string(), until: z.string() })),
  lastImports: z.array(z.object({ id: z.string(), sourceId: z.string(), status: z.string(), dryRun: z.boolean(), startedAt: z.string(), finishedAt: z.string().nullable(), counters: z.record(z.string(), z.number()) })),
});

export function dashboardRoutes(ports: { store: PlatformStore; throttle: Pick<LoginThrottle, 'lockedLogins'> }): AdminRoute[] {
  return [route({
    operationId: 'getDashboard', method: 'get', path: '/tenants/:tenant/dashboard', summary: 'The tenant\'s figures', tag: 'dashboard', level: 'tenant', structureScoped: true, permission: 'dashboard.read',
    params: tenantParams, reply: { status: 200, description: 'The figures.', schema: dashboard },
    handle: async ({ params, reach }) => {
      const d = await dashboardOf(ports, params.tenant, structuresOf(reach));
      return {
        json: {
          accounts: d.accounts, activation: d.activation, signIns: d.signIns,
          locked: d.locked.map((l) => ({ ...l, until: l.until.toISOString() })),
          lastImports: d.lastImports.map((r) => ({ id: r.id, sourceId: r.sourceId, status: r.status, dryRun: r.dryRun, startedAt: r.startedAt.toISOString(), finishedAt: r.finishedAt?.toISOString() ?? null, counters: { ...r.counters } })),
        },
      };
    },
  })];
}
