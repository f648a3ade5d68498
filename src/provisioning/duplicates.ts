/**
 * Likely duplicate accounts, as helpdesk and school admins handle them (the admin console calls
 * this): the candidates, a merge of one account into another, "not a duplicate", and the undo of
 * either. Each decision takes the actor and writes its audit event. A merge can be undone for a
 * grace period only: past it, the kept account has lived on (new links, sign-ins) and the undo
 * would no longer give back what the two accounts were.
 *
 * Ending the merged account's sessions is the caller's job, once the merge is done.
 */
import { actorLabel, type Actor } from '../identity/actor.js';
import { AuditWriter, type LinkCounts } from '../storage/ports/audit-writer.js';
import {
  DuplicateRefused, type DistinctMark, type DuplicateFilters, type DuplicateGroup, type KeysetPage, type KeysetResult,
  type MergeLinks, type MergeRecord, type PlatformStore,
} from '../storage/ports/index.js';

export const DEFAULT_UNDO_GRACE_DAYS = 30;

export interface DuplicateServiceOptions {
  /** How long a merge may be undone, in days (30 by default). */
  undoGraceDays?: number;
  /** The clock the grace period is measured with (tests move it). */
  now?: () => Date;
}

const counts = (links: MergeLinks): LinkCounts => ({
  identities: links.identities.length, structures: links.structures.length, groups: links.groups.length,
  parents: links.parents.length, children: links.children.length,
});


const DAY_MS = 86_400_000;

export function duplicateService(store: PlatformStore, options: DuplicateServiceOptions = {}) {
  const graceDays = options.undoGraceDays ?? DEFAULT_UNDO_GRACE_DAYS;
  const now = options.now ?? (() => new Date());
  const scope = (tenantId: string) => store.forTenant(tenantId).duplicates;
  const audit = (actor: Actor, tenantId: string) => new AuditWriter(store, actor, tenantId);

  return {
    undoGraceDays: graceDays,

    candidates(tenantId: string, filters: DuplicateFilters, page: KeysetPage): Promise<KeysetResult<DuplicateGroup>> {
      return scope(tenantId).candidates(filters, page);
    },

    /** Merges `otherId` into `keepId`; the other account is disabled (its sessions are the caller's to end). */
    async merge(actor: Actor, tenantId: string, keepId: string, otherId: string): Promise<MergeRecord> {
      const record = await scope(tenantId).merge(keepId, otherId, actorLabel(actor));
      await audit(actor, tenantId).write('account.merged', {
        accountId: record.otherId,
        details: {
          merge: record.id, kept: record.keptId, other: record.otherId,
          moved: counts(record.moved), skipped: counts(record.skipped),
          before: record.otherBefore, after: { status: 'disabled', disabledReason: 'merged' },
        },
      });
      return record;
    },

    /** Within the grace period: moves back what the merge moved and gives the other account its status back. */
    async undoMerge(actor: Actor, tenantId: string, mergeId: string): Promise<MergeRecord> {
      const duplicates = scope(tenantId);
      const merge = await duplicates.getMerge(mergeId);
      const deadline = new Date(merge.mergedAt.getTime() + graceDays * DAY_MS);
      if (merge.undoneAt === null && now() > deadline) {
        throw new DuplicateRefused('grace_period_over',
          `this merge can no longer be undone: merges are undone within ${graceDays} days, and this one was done on ${merge.mergedAt.toISOString().slice(0, 10)}`);
      }
      const record = await duplicates.undoMerge(mergeId, actorLabel(actor));
      // Read back: an account an import marked disappeared since stays so (the store says why).
      const other = await store.forTenant(tenantId).accounts.get(record.otherId);
      await audit(actor, tenantId).write('account.merge_undone', {
        accountId: record.otherId,
        details: {
          merge: record.id, kept: record.keptId, other: record.otherId, movedBack: counts(record.moved),
          before: { status: 'disabled', disabledReason: 'merged' }, after: { status: other.status, disabledReason: other.disabledReason },
        },
      });
      return record;
    },

    listMerges(tenantId: string, page: KeysetPage): Promise<KeysetResult<MergeRecord>> {
      return scope(tenantId).listMerges(page);
    },

    /** "These two are two people": the pair is no longer offered. */
    async markDistinct(actor: Actor, tenantId: string, aId: string, bId: string): Promise<DistinctMark> {
      const mark = await scope(tenantId).markDistinct(aId, bId, actorLabel(actor));
      await audit(actor, tenantId).write('duplicate.dismissed', { details: { mark: mark.id, accounts: mark.accountIds } });
      return mark;
    },

    async undoDistinct(actor: Actor, tenantId: string, markId: string): Promise<DistinctMark> {
      const mark = await scope(tenantId).undoDistinct(markId, actorLabel(actor));
      await audit(actor, tenantId).write('duplicate.dismissal_undone', { details: { mark: mark.id, accounts: mark.accountIds } });
      return mark;
    },

    listMarks(tenantId: string, page: KeysetPage): Promise<KeysetResult<DistinctMark>> {
      return scope(tenantId).listMarks(page);
    },
  };
}

export type DuplicateService = ReturnType<typeof duplicateService>;
