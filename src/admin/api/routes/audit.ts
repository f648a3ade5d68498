/** The audit log of a tenant (or of the platform): filtered pages, and the CSV and JSON lines exports, streamed. */
import { z } from 'zod';
import { Readable } from 'node:stream';
import type { AuditEvent, AuditFilter, PlatformStore } from '../../../storage/ports/index.js';
import { auditCsv } from '../../audit-csv.js';
import { auditJsonLines } from '../../audit-jsonl.js';
import { searchAudit, streamAudit } from '../../tenant-reads.js';
import { ownerLevels, pageOf, pageQuery, route, type AdminRoute } from '../kit.js';

const filterQuery = z.object({
  type: z.string().max(64).optional().describe('An event type, or its start ending with a dot (`login.`).'),
  account: z.string().max(64).optional().describe('The account concerned (its id).'),
  client: z.string().max(128).optional(),
  actor: z.string().max(64).optional().describe('Who did it: an admin\'s account id, or `cli`, `system`.'),
  from: z.iso.datetime({ offset: true }).or(z.iso.date()).optional().describe('From this date (included).'),
  to: z.iso.datetime({ offset: true }).or(z.iso.date()).optional().describe('Until this date (excluded).'),
});

export const auditEvent = z.object({
  id: z.string(), at: z.string(), type: z.string(), accountId: z.string().nullable(), clientId: z.string().nullable(),
  ip: z.string().nullable(), details: z.record(z.string(), z.unknown()),
});
const toAuditEvent = (e: AuditEvent) => ({ id: e.id, at: e.at.toISOString(), type: e.type, accountId: e.accountId, clientId: e.clientId, ip: e.ip, details: e.details });

function filterOf(q: z.output<typeof filterQuery>): AuditFilter {
  return {
    ...(q.type ? { types: [q.type] } : {}), ...(q.account ? { accountId: q.account } : {}), ...(q.client ? { clientId: q.client } : {}),
    ...(q.actor ? { actor: q.actor } : {}), ...(q.from ? { from: new Date(q.from) } : {}), ...(q.to ? { to: new Date(q.to) } : {}),
  };
}


export function auditRoutes(store: PlatformStore): AdminRoute[] {
  return ownerLevels('audit').flatMap(({ level, base, params, suffix }) => {
    return [
      route({
        operationId: `searchAudit${suffix}`, method: 'get', path: base, summary: 'Audit events, newest first', tag: 'audit', level, permission: 'audit.read',
        params, query: pageQuery.extend(filterQuery.shape), reply: { status: 200, description: 'A page of events.', schema: pageOf(auditEvent) },
        handle: async ({ tenantId, query }) => {
          const page = await searchAudit(store, tenantId, filterOf(query), { limit: query.limit, ...(query.after ? { after: query.after } : {}) });
          return { json: { items: page.items.map(toAuditEvent), next: page.next } };
        },
      }),
      route({
        operationId: `exportAudit${suffix}`, method: 'get', path: `${base}.csv`, summary: 'Every audit event the filters keep, as CSV (streamed)', tag: 'audit', level, permission: 'audit.read',
        params, query: filterQuery, reply: { status: 200, description: 'A CSV file (UTF-8 with BOM).', contentType: 'text/csv' },
        handle: async ({ tenantId, query, lang }) => ({
          stream: Readable.from(auditCsv(streamAudit(store, tenantId, filterOf(query)), { lang })),
          contentType: 'text/csv; charset=utf-8', filename: `audit-${tenantId ?? 'platform'}.csv`,
        }),
      }),
      route({
        operationId: `exportAuditJsonl${suffix}`, method: 'get', path: `${base}.jsonl`, summary: 'Every audit event the filters keep, as JSON lines (streamed)', tag: 'audit', level, permission: 'audit.read',
        params, query: filterQuery, reply: { status: 200, description: 'One JSON object per line, newest first.', contentType: 'application/x-ndjson' },
        handle: async ({ tenantId, query }) => ({
          stream: Readable.from(auditJsonLines(streamAudit(store, tenantId, filterOf(query)))),
          contentType: 'application/x-ndjson; charset=utf-8', filename: `audit-${tenantId ?? 'platform'}.jsonl`,
        }),
      }),
    ];
  });
}
