/**
 * The last step of an account's life in a directory tenant: accounts missing from complete
 * imports for longer than the source's grace period are deleted, with their links.
 */
import type { Actor } from '../identity/actor.js';
import { AuditWriter } from '../storage/ports/audit-writer.js';
import type { PlatformStore } from '../storage/ports/index.js';

/** Deletes the tenant's accounts that disappeared more than `graceDays` ago; how many, and the cut-off. */
export async function purgeDisappeared(store: PlatformStore, actor: Actor, tenantId: string, graceDays: number): Promise<{ deleted: number; before: Date }> {
  const before = new Date(Date.now() - graceDays * 86_400_000);
  const deleted = await store.forTenant(tenantId).imports.purgeDisappeared(before);
  await new AuditWriter(store, actor, tenantId).write('import.purge', { details: { deleted, before: before.toISOString() } });
  return { deleted, before };
}
