/** Likely duplicates of a tenant: the groups, merge (reversible for the grace period) and "not a duplicate". */
import { z } from 'zod';
import { accountInReach, revokeSessions, type AccountAdminPorts } from '../../../auth/account-admin.js';
import type { DuplicateService } from '../../../provisioning/duplicates.js';
import type { DistinctMark, MergeRecord } from '../../../storage/ports/index.js';
import { pageOf, pageQuery, route, tenantParams, type AdminRoute } from '../kit.js';
import { accountSummary, structureSummary, toAccountSummary, toStructureSummary } from '../schemas.js';
import { structuresOf } from './accounts.js';

const group = z.object({
  key: z.string(),
  birthDate: z.string(),
  members: z.array(z.object({ account: accountSummary, structures: z.array(structureSummary) })),
  marks: z.array(z.object({ id: z.string(), accountIds: z.array(z.string()) })),
});
const merge = z.object({ id: z.string(), keptId: z.string(), otherId: z.string(), mergedAt: z.string(), undoneAt: z.string().nullable(), undoUntil: z.string() });
const mark = z.object({ id: z.string(), accountIds: z.array(z.string()), markedAt: z.string(), undoneAt: z.string().nullable() });

const pair = z.object({ keepId: z.string().min(1).max(64), otherId: z.string().min(1).max(64) });

export function duplicateRoutes(ports: AccountAdminPorts, service: DuplicateService): AdminRoute[] {
  const days = service.undoGraceDays * 86_400_000;
  const toMerge = (m: MergeRecord) => ({
    id: m.id, keptId: m.keptId, otherId: m.otherId, mergedAt: m.mergedAt.toISOString(), undoneAt: m.undoneAt?.toISOString() ?? null,
    undoUntil: new Date(m.mergedAt.getTime() + days).toISOString(),
  });
  const toMark = (d: DistinctMark) => ({ id: d.id, accountIds: [...d.accountIds], markedAt: d.markedAt.toISOString(), undoneAt: d.undoneAt?.toISOString() ?? null });
  /** Both accounts must be within the admin's reach: one cannot merge a pupil of another school into one's own. */
  const bothInReach = async (tenant: string, reach: readonly string[] | null, ids: string[]) => {
    for (const id of ids) await accountInReach(ports.store, tenant, reach, id);
  };
  const page = (q: { limit: number; after?: string | undefined }) => ({ limit: q.limit, ...(q.after ? { after: q.after } : {}) });
  return [
    route({
      operationId: 'listDuplicates', method: 'get', path: '/tenants/:tenant/duplicates', summary: 'Groups of likely duplicate accounts (same names and birth date, different external ids)', tag: 'duplicates',
      level: 'tenant', structureScoped: true, permission: 'duplicates.read', params: tenantParams, query: pageQuery,
      reply: { status: 200, description: 'A page of groups.', schema: pageOf(group) },
      handle: async ({ params, query, reach }) => {
        const structures = structuresOf(reach);
        const result = await service.candidates(params.tenant, structures === null ? {} : { structureIds: structures }, page(query));
        return {
          json: {
            next: result.next,
            items: result.items.map((g) => ({
              key: g.key, birthDate: g.birthDate, marks: g.marks.map((m) => ({ id: m.id, accountIds: [...m.accountIds] })),
              // A role over some schools sees only the members it reaches.
              members: g.members.filter((m) => structures === null || m.structures.some((s) => structures.includes(s.id)))
                .map((m) => ({ account: toAccountSummary(m.account), structures: m.structures.map(toStructureSummary) })),
            })),
          },
        };
      },
    }),
    route({
      operationId: 'mergeDuplicates', method: 'post', path: '/tenants/:tenant/duplicates/merges', summary: 'Merge one account into another (reversible for the grace period)', tag: 'duplicates',
      level: 'tenant', structureScoped: true, permission: 'duplicates.manage', params: tenantParams, body: pair,
      reply: { status: 201, description: 'The merge; the other account is disabled and its sessions ended.', schema: merge },
      handle: async ({ params, body, reach, actor }) => {
        await bothInReach(params.tenant, structuresOf(reach), [body.keepId, body.otherId]);
        const record = await service.merge(actor, params.tenant, body.keepId, body.otherId);
        await revokeSessions(ports, actor, params.tenant, null, record.otherId);
        return { status: 201, json: toMerge(record) };
      },
    }),
    route({
      operationId: 'listMerges', method: 'get', path: '/tenants/:tenant/duplicates/merges', summary: 'Merges, newest first', tag: 'duplicates',
      level: 'tenant', permission: 'duplicates.read', params: tenantParams, query: pageQuery, reply: { status: 200, description: 'A page of merges.', schema: pageOf(merge) },
      handle: async ({ params, query }) => {
        const result = await service.listMerges(params.tenant, page(query));
        return { json: { items: result.items.map(toMerge), next: result.next } };
      },
    }),
    route({
      operationId: 'undoMerge', method: 'post', path: '/tenants/:tenant/duplicates/merges/:merge/undo', summary: 'Undo a merge within the grace period', tag: 'duplicates',
      level: 'tenant', permission: 'duplicates.manage', params: tenantParams.extend({ merge: z.string().min(1).max(64) }),
      reply: { status: 200, description: 'The merge, undone.', schema: merge },
      handle: async ({ params, actor }) => ({ json: toMerge(await service.undoMerge(actor, params.tenant, params.merge)) }),
    }),
    route({
      operationId: 'markNotDuplicates', method: 'post', path: '/tenants/:tenant/duplicates/marks', summary: 'Say two accounts are two people', tag: 'duplicates',
      level: 'tenant', structureScoped: true, permission: 'duplicates.manage', params: tenantParams, body: pair,
      reply: { status: 201, description: 'The mark.', schema: mark },
      handle: async ({ params, body, reach, actor }) => {
        await bothInReach(params.tenant, structuresOf(reach), [body.keepId, body.otherId]);
        return { status: 201, json: toMark(await service.markDistinct(actor, params.tenant, body.keepId, body.otherId)) };
      },
    }),
    route({
      operationId: 'undoNotDuplicates', method: 'post', path: '/tenants/:tenant/duplicates/marks/:mark/undo', summary: 'Withdraw a "not a duplicate" mark', tag: 'duplicates',
      level: 'tenant', permission: 'duplicates.manage', params: tenantParams.extend({ mark: z.string().min(1).max(64) }),
      reply: { status: 200, description: 'The mark, withdrawn.', schema: mark },
      handle: async ({ params, actor }) => ({ json: toMark(await service.undoDistinct(actor, params.tenant, params.mark)) }),
    }),
  ];
}
