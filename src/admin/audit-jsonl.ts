/**
 * The audit log as JSON lines (one event per line, newest first), for a log pipeline or `jq`:
 * written as the events stream in, never held in memory. The same fields as the admin API's
 * events, plus the tenant and the user agent.
 */
import type { AuditEvent } from '../storage/ports/index.js';

function auditJsonLine(event: AuditEvent): string {
  const { id, at, type, tenantId, accountId, clientId, ip, userAgent, details } = event;
  return `${JSON.stringify({ id, at: at.toISOString(), type, tenantId, accountId, clientId, ip, userAgent, details })}\n`;
}

export async function* auditJsonLines(events: AsyncIterable<AuditEvent>): AsyncGenerator<string> {
  for await (const event of events) yield auditJsonLine(event);
}
