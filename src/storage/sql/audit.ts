import type { Kysely } from 'kysely';
import { newId } from '../../shared/ids.js';
import type { AuditEvent, AuditStore, NewAuditEvent, Page } from '../ports/index.js';
import { auditSearch } from './audit-search.js';
import { guarded } from './constraints.js';
import { paged, tenantLabel } from './queries.js';
import { toAuditEvent, toJsonText, toTimestamp } from './rows.js';
import type { Database } from './schema.js';

/**
 * The audit trail of one tenant, or of the platform when `tenantId` is null. `reads`: where the
 * search and the export run (a replica when configured; they tolerate lag).
 */
export function auditStore(db: Kysely<Database>, tenantId: string | null, reads: Kysely<Database> = db): AuditStore {
  const { search, stream } = auditSearch(reads, tenantId);
  return {
    search,
    stream,

    async record(input: NewAuditEvent): Promise<AuditEvent> {
      const event: AuditEvent = {
        id: newId(),
        tenantId,
        at: new Date(),
        type: input.type,
        accountId: input.accountId ?? null,
        clientId: input.clientId ?? null,
        ip: input.ip ?? null,
        userAgent: input.userAgent ?? null,
        details: input.details ?? {},
      };
      const guard = tenantId === null ? {} : { missing: tenantLabel(tenantId) };
      await guarded(guard, () => db.insertInto('audit_events').values({
        id: event.id, tenant_id: tenantId, at: toTimestamp(event.at), type: event.type, account_id: event.accountId,
        client_id: event.clientId, ip: event.ip, user_agent: event.userAgent, details: toJsonText(event.details),
      }).execute());
      return event;
    },

    async list(page?: Page): Promise<AuditEvent[]> {
      const query = db.selectFrom('audit_events').selectAll()
        .where('tenant_id', tenantId === null ? 'is' : '=', tenantId)
        // seq orders the events recorded within the same millisecond.
        .orderBy('at', 'desc').orderBy('seq', 'desc');
      const rows = await paged(query, page).execute();
      return rows.map(toAuditEvent);
    },
  };
}
