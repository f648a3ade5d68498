/** The SQL duplicates store: the candidates' search, merges and their undo, "not a duplicate" marks. */
import type { Kysely } from 'kysely';
import { Conflict, NotFound } from '../../shared/errors.js';
import { newId } from '../../shared/ids.js';
import { DuplicateRefused, type DistinctMark, type DuplicateStore, type KeysetPage, type KeysetResult } from '../ports/index.js';
import { accountMerges, toMergeRecord } from './account-merge.js';
import { guarded } from './constraints.js';
import { duplicateCandidates, type MarkRow } from './duplicate-candidates.js';
import { assertOwned } from './queries.js';
import { nowTimestamp, toDate } from './rows.js';
import type { Database } from './schema.js';

function toMark(row: MarkRow): DistinctMark {
  return {
    id: row.id,
    tenantId: row.tenant_id,
    accountIds: [row.a_id, row.b_id],
    markedAt: toDate(row.marked_at),
    markedBy: row.marked_by,
    undoneAt: row.undone_at === null ? null : toDate(row.undone_at),
    undoneBy: row.undone_by,
  };
}

/** Newest first by id (UUIDv7, time-ordered); the cursor is the last id of the page. */
function newestFirst<T extends { id: string }>(rows: T[], limit: number): KeysetResult<T> {
  const more = rows.length > limit;
  const items = rows.slice(0, limit);
  return { items, next: more ? items[items.length - 1]!.id : null };
}

const pageSize = (page: KeysetPage): number => Math.max(1, Math.floor(page.limit));

export function tenantDuplicates(db: Kysely<Database>, tenantId: string): DuplicateStore {
  const merges = accountMerges(db, tenantId);
  const marks = () => db.selectFrom('duplicate_marks').selectAll().where('tenant_id', '=', tenantId);

  return {
    candidates: duplicateCandidates(db, tenantId, toMark),
    merge: merges.merge,
    undoMerge: merges.undoMerge,

    async getMerge(mergeId: string) {
      const row = await db.selectFrom('account_merges').selectAll().where('tenant_id', '=', tenantId).where('id', '=', mergeId).executeTakeFirst();
      if (!row) throw new NotFound(`merge "${mergeId}"`);
      return toMergeRecord(row);
    },

    async listMerges(page: KeysetPage) {
      const limit = pageSize(page);
      let query = db.selectFrom('account_merges').selectAll().where('tenant_id', '=', tenantId);
      if (page.after !== undefined) query = query.where('id', '<', page.after);
      const rows = await query.orderBy('id', 'desc').limit(limit + 1).execute();
      return newestFirst(rows.map(toMergeRecord), limit);
    },

    async markDistinct(aId: string, bId: string, by: string) {
      if (aId === bId) throw new DuplicateRefused('same_account', 'an account cannot be marked distinct from itself');
      await assertOwned(db, 'accounts', tenantId, aId);
      await assertOwned(db, 'accounts', tenantId, bId);
      const [first, second] = aId < bId ? [aId, bId] : [bId, aId];
      const conflicts = { 'tenant_id,a_id,b_id': () => new Conflict('mark', `accounts "${first}" and "${second}" are already marked as two people`) };
      const row = await guarded({ conflicts, missing: `account "${aId}" or "${bId}"` }, () => db.insertInto('duplicate_marks').values({
        id: newId(), tenant_id: tenantId, a_id: first, b_id: second, marked_at: nowTimestamp(), marked_by: by, undone_at: null, undone_by: null,
      }).returningAll().executeTakeFirstOrThrow());
      return toMark(row);
    },

    async undoDistinct(markId: string, by: string) {
      const row = await db.updateTable('duplicate_marks').set({ undone_at: nowTimestamp(), undone_by: by })
        .where('tenant_id', '=', tenantId).where('id', '=', markId).where('undone_at', 'is', null)
        .returningAll().executeTakeFirst();
      if (row) return toMark(row);
      if (await marks().where('id', '=', markId).executeTakeFirst()) throw new Conflict('undone', `mark "${markId}" was already undone`);
      throw new NotFound(`mark "${markId}"`);
    },

    async listMarks(page: KeysetPage) {
      const limit = pageSize(page);
      let query = marks();
      if (page.after !== undefined) query = query.where('id', '<', page.after);
      const rows = await query.orderBy('id', 'desc').limit(limit + 1).execute();
      return newestFirst(rows.map(toMark), limit);
    },
  };
}
